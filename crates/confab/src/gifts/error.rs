//! Every refusal the gifts feature answers, each message spelled once, and the one mapping to
//! the wire error (code and `field`).

use confab_proto::ErrorCode;

use crate::error::ApiError;

/// Why a gifts or wallet request is refused.
#[derive(Debug, thiserror::Error)]
pub enum GiftsError {
    /// No such gift.
    #[error("no such gift")]
    NoGift,
    /// No such send.
    #[error("no such gift send")]
    NoSend,
    /// No such user.
    #[error("no such user")]
    NoUser,
    /// Not on sale now.
    #[error("this gift is not on sale now")]
    Unavailable,
    /// Too few coins (or diamonds).
    #[error("the balance is too low; nothing was charged")]
    Insufficient,
    /// Too few backpack items.
    #[error("the backpack holds too few unexpired items of this gift; nothing was taken")]
    TooFewItems,
    /// An idempotency key reused for other content.
    #[error("this key was used before for a different request")]
    KeyReused,
    /// Reversed before.
    #[error("this gift send was reversed before")]
    AlreadyReversed,
    /// A gift to oneself.
    #[error("you cannot send a gift to yourself")]
    ToSelf,
    /// The receiver is not in the room or conversation.
    #[error("the receiver is not here")]
    ReceiverAbsent,
    /// The sender is not a member of the conversation.
    #[error("you are not a member of this conversation")]
    NotMember,
    /// Blocked either way.
    #[error("one of you has blocked the other")]
    Blocked,
    /// Neither or both of room and conversation.
    #[error("give exactly one of room_id and conversation_id")]
    Place,
    /// Top-ups are off.
    #[error("top-ups are not configured on this server")]
    TopupsOff,
    /// A top-up notice that is not signed right (or is stale).
    #[error("the top-up notice's signature is missing, wrong or stale")]
    Signature,
    /// A field out of bounds (field, what it must be).
    #[error("{0}: {1}")]
    Invalid(&'static str, &'static str),
}

impl From<GiftsError> for ApiError {
    fn from(e: GiftsError) -> Self {
        use GiftsError as E;
        let (code, field) = match &e {
            E::NoGift | E::NoSend | E::NoUser => (ErrorCode::NotFound, None),
            E::Unavailable => (ErrorCode::GiftUnavailable, Some("gift_id")),
            E::Insufficient => (ErrorCode::InsufficientBalance, None),
            E::TooFewItems => (ErrorCode::InsufficientItems, Some("count")),
            E::KeyReused => (ErrorCode::KeyReused, None),
            E::AlreadyReversed => (ErrorCode::AlreadyReversed, None),
            E::ToSelf => (ErrorCode::CannotTargetSelf, Some("receiver_id")),
            E::ReceiverAbsent => (ErrorCode::NotMember, Some("receiver_id")),
            E::NotMember => (ErrorCode::NotMember, None),
            E::Blocked => (ErrorCode::Blocked, Some("receiver_id")),
            E::Place => (ErrorCode::ValidationFailed, Some("room_id")),
            E::TopupsOff => (ErrorCode::TopupsUnavailable, None),
            E::Signature => (ErrorCode::TopupSignatureInvalid, None),
            E::Invalid(f, _) => (ErrorCode::ValidationFailed, Some(*f)),
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
