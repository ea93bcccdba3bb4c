//! Every refusal the rooms feature answers, each message spelled once, and the one mapping
//! to the wire error (code and `field`).

use chrono::{DateTime, Utc};
use confab_proto::ErrorCode;

use crate::error::ApiError;

/// Why a rooms request is refused.
#[derive(Debug, thiserror::Error)]
pub enum RoomsError {
    /// No such room.
    #[error("no such room")]
    NoRoom,
    /// The room is closed.
    #[error("the room is closed")]
    Closed,
    /// The caller is not in the room now.
    #[error("you are not in this room")]
    NotInRoom,
    /// The user acted on is not in the room now.
    #[error("that user is not in this room")]
    TargetNotInRoom,
    /// Owner or admin only.
    #[error("only the owner or an admin may do this")]
    ManagersOnly,
    /// Owner only.
    #[error("only the owner may do this")]
    OwnerOnly,
    /// The target's role is not below the caller's.
    #[error("an admin may act only on members; nobody acts on the owner")]
    Outranked,
    /// Acting on oneself where that makes no sense.
    #[error("you cannot do this to yourself")]
    SelfTarget,
    /// A private room's password is missing or wrong.
    #[error("this room needs its password")]
    Password,
    /// A re-entry ban.
    #[error("you were kicked from this room; you may re-enter after {until}")]
    Kicked {
        /// When the ban ends.
        until: DateTime<Utc>,
    },
    /// A chat mute.
    #[error("you are muted in this room")]
    Muted,
    /// A chat mute with an end.
    #[error("you are muted in this room until {0}")]
    MutedUntil(DateTime<Utc>),
    /// Mute-all.
    #[error("the room's chat is muted: only the owner and admins may send")]
    AllMuted,
    /// Too many open rooms owned.
    #[error("you already own {limit} open rooms")]
    TooManyRooms {
        /// The limit.
        limit: u32,
    },
    /// No seat at that position.
    #[error("no such seat: positions are 1 to {seats}")]
    NoSuchSeat {
        /// The room's seat count.
        seats: u32,
    },
    /// Seat taken.
    #[error("that seat is taken")]
    SeatTaken,
    /// Seat locked.
    #[error("that seat is locked")]
    SeatLocked,
    /// Seat muted.
    #[error("your seat is muted")]
    SeatMuted,
    /// Already seated.
    #[error("already holds a seat")]
    AlreadySeated,
    /// Not seated.
    #[error("holds no seat")]
    NotSeated,
    /// Every seat taken or locked.
    #[error("every seat is taken or locked")]
    NoFreeSeat,
    /// Take in apply mode.
    #[error("seats here are taken by application")]
    ApplyRequired,
    /// An application already pending.
    #[error("you already applied for a seat")]
    ApplicationPending,
    /// No such pending application.
    #[error("no pending application from that user")]
    NoApplication,
    /// No such pending invitation.
    #[error("no pending seat invitation")]
    NoInvitation,
    /// An application in `free` mode.
    #[error("seats here are free: take one")]
    FreeMode,
    /// No media tokens on this server.
    #[error("voice is not configured on this server")]
    MediaUnavailable,
    /// A tag not on the list.
    #[error("tag: not one of GET /room-tags")]
    UnknownTag,
    /// No such tag (admin delete).
    #[error("no such tag")]
    NoTag,
    /// A private room without a password.
    #[error("password: required for a private room")]
    PasswordRequired,
    /// A patch with nothing in it.
    #[error("nothing to change")]
    NothingToChange,
    /// Bad ban length.
    #[error("ban_secs: 0 to 31536000")]
    BanSecs,
    /// Bad search text.
    #[error("q: 1 to 40 characters")]
    SearchText,
    /// Bad page size.
    #[error("limit: 1 to {max}")]
    Limit {
        /// The largest page.
        max: u32,
    },
    /// A cursor this server did not make.
    #[error("cursor: not a cursor from this list")]
    Cursor,
    /// Nothing to lift.
    #[error("no such kick")]
    NoKick,
    /// Nothing to lift.
    #[error("no such mute")]
    NoMute,
}

impl From<RoomsError> for ApiError {
    fn from(e: RoomsError) -> Self {
        use RoomsError as E;
        let (code, field) = match &e {
            E::NoRoom | E::NoApplication | E::NoInvitation | E::NoTag | E::NoKick | E::NoMute => {
                (ErrorCode::NotFound, None)
            }
            E::Closed => (ErrorCode::RoomClosed, None),
            E::NotInRoom => (ErrorCode::NotInRoom, None),
            E::TargetNotInRoom => (ErrorCode::NotInRoom, Some("user_id")),
            E::ManagersOnly | E::OwnerOnly | E::Outranked => (ErrorCode::RoomRoleRequired, None),
            E::SelfTarget => (ErrorCode::CannotTargetSelf, Some("user_id")),
            E::Password => (ErrorCode::RoomPasswordInvalid, Some("password")),
            E::Kicked { .. } => (ErrorCode::KickedFromRoom, None),
            E::Muted | E::MutedUntil(_) => (ErrorCode::RoomMuted, None),
            E::AllMuted => (ErrorCode::RoomAllMuted, None),
            E::TooManyRooms { .. } => (ErrorCode::RoomLimit, None),
            E::NoSuchSeat { .. } => (ErrorCode::ValidationFailed, Some("position")),
            E::SeatTaken => (ErrorCode::SeatTaken, None),
            E::SeatLocked => (ErrorCode::SeatLocked, None),
            E::SeatMuted => (ErrorCode::SeatMuted, None),
            E::AlreadySeated => (ErrorCode::AlreadySeated, None),
            E::NotSeated => (ErrorCode::NotSeated, None),
            E::NoFreeSeat => (ErrorCode::NoFreeSeat, None),
            E::ApplyRequired => (ErrorCode::SeatApplyRequired, None),
            E::ApplicationPending => (ErrorCode::ApplicationPending, None),
            E::FreeMode => (ErrorCode::Conflict, None),
            E::MediaUnavailable => (ErrorCode::MediaUnavailable, None),
            E::UnknownTag => (ErrorCode::ValidationFailed, Some("tag")),
            E::PasswordRequired => (ErrorCode::ValidationFailed, Some("password")),
            E::NothingToChange => (ErrorCode::ValidationFailed, None),
            E::BanSecs => (ErrorCode::ValidationFailed, Some("ban_secs")),
            E::SearchText => (ErrorCode::ValidationFailed, Some("q")),
            E::Limit { .. } => (ErrorCode::ValidationFailed, Some("limit")),
            E::Cursor => (ErrorCode::ValidationFailed, Some("cursor")),
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
