//! Every refusal of the moments feature, each message spelled once, and the one mapping to
//! the wire error (code and `field`).

use confab_proto::ErrorCode;

use crate::error::ApiError;

/// Why a moments request is refused.
#[derive(Debug, thiserror::Error)]
pub enum MomentsError {
    /// No such moment, or one the viewer may not see (the two are not told apart).
    #[error("no such moment")]
    NoMoment,
    /// No such comment (or one the viewer may not see).
    #[error("no such comment")]
    NoComment,
    /// No such user.
    #[error("no such user")]
    NoUser,
    /// Only the author (or a system administrator) may delete a moment.
    #[error("only its author may delete this moment")]
    NotAuthor,
    /// Only the comment's author or the moment's author may delete a comment.
    #[error("only the comment's author or the moment's author may delete this comment")]
    NotCommentAuthor,
    /// A mention or list entry names someone who is not my friend.
    #[error("{0}: only friends can be named here")]
    NotFriend(&'static str),
    /// A medium that is not an upload of mine.
    #[error("media: every file must be an image or a video I uploaded")]
    NotMine,
    /// A hide list naming myself.
    #[error("you cannot hide your moments from yourself")]
    ToSelf,
    /// A field out of bounds (field, what it must be).
    #[error("{0}: {1}")]
    Invalid(&'static str, &'static str),
}

impl From<MomentsError> for ApiError {
    fn from(e: MomentsError) -> Self {
        use MomentsError as E;
        let (code, field) = match &e {
            E::NoMoment | E::NoComment | E::NoUser => (ErrorCode::NotFound, None),
            E::NotAuthor | E::NotCommentAuthor => (ErrorCode::Forbidden, None),
            E::NotFriend(f) => (ErrorCode::NotFriends, Some(*f)),
            E::NotMine => (ErrorCode::ValidationFailed, Some("media")),
            E::ToSelf => (ErrorCode::CannotTargetSelf, Some("user_id")),
            E::Invalid(f, _) => (ErrorCode::ValidationFailed, Some(*f)),
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
