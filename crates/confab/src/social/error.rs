//! Every refusal the social feature answers, each message spelled once, and the one mapping
//! to the wire error (code and `field`).

use confab_proto::ErrorCode;

use crate::error::ApiError;

/// Why a social request is refused.
#[derive(Debug, thiserror::Error)]
pub enum SocialError {
    /// The user does not exist, is not active, or is hidden by a block.
    #[error("no such user")]
    NoUser,
    /// No such friend request (for me).
    #[error("no such friend request")]
    NoRequest,
    /// No such friend.
    #[error("no such friend")]
    NoFriend,
    /// One side blocks the other.
    #[error("one of you has blocked the other")]
    Blocked,
    /// Direct messages need a friendship under `social.direct_policy = "friends"`.
    #[error("direct messages are between friends only: send a friend request first")]
    FriendsOnly,
    /// A friend request to a friend.
    #[error("you are already friends")]
    AlreadyFriends,
    /// Too many of my requests are pending.
    #[error(
        "you have {pending} pending friend requests, the most allowed; cancel some or wait for answers"
    )]
    RequestLimit {
        /// How many are pending.
        pending: u64,
    },
    /// One side has the most friends allowed.
    #[error("{who} already has the most friends allowed ({max})")]
    FriendLimit {
        /// "you" or "the other user".
        who: &'static str,
        /// The limit.
        max: u64,
    },
    /// The request was accepted, declined or cancelled already.
    #[error("this friend request is no longer pending")]
    RequestNotPending,
    /// A friend request to myself.
    #[error("you cannot send yourself a friend request")]
    RequestToSelf,
    /// Blocking, unblocking, following or unfollowing myself.
    #[error("that is you")]
    ThatIsYou,
}

impl From<SocialError> for ApiError {
    fn from(e: SocialError) -> Self {
        use SocialError as E;
        let (code, field) = match &e {
            E::NoUser | E::NoRequest | E::NoFriend => (ErrorCode::NotFound, None),
            E::Blocked => (ErrorCode::Blocked, None),
            E::FriendsOnly => (ErrorCode::NotFriends, None),
            E::AlreadyFriends => (ErrorCode::AlreadyFriends, None),
            E::RequestLimit { .. } => (ErrorCode::FriendRequestLimit, None),
            E::FriendLimit { .. } => (ErrorCode::FriendLimit, None),
            E::RequestNotPending => (ErrorCode::RequestNotPending, None),
            E::RequestToSelf | E::ThatIsYou => (ErrorCode::ValidationFailed, Some("user_id")),
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
