//! Moderation's refusals, each spelled once, and the one place they become API errors.

use chrono::{DateTime, Utc};
use confab_proto::ErrorCode;

use crate::error::ApiError;

/// An RFC 3339 time to the second, as refusals show it.
fn shown(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Why moderation refuses something.
#[derive(Debug, thiserror::Error)]
pub enum ModerationError {
    /// The text has a listed word and the action is `reject` (`field` names the input).
    #[error("this text contains a word that is not allowed here")]
    Blocked {
        /// The input field.
        field: &'static str,
    },
    /// A site-wide mute with an end.
    #[error(
        "an administrator muted you until {}; you cannot send messages until then",
        shown(.0)
    )]
    MutedUntil(DateTime<Utc>),
    /// A permanent site-wide mute.
    #[error("an administrator muted you; you cannot send messages")]
    Muted,
}

impl From<ModerationError> for ApiError {
    fn from(e: ModerationError) -> Self {
        match e {
            ModerationError::Blocked { field } => {
                ApiError::new(ErrorCode::ContentBlocked, e.to_string()).with_field(field)
            }
            ModerationError::MutedUntil(_) | ModerationError::Muted => {
                ApiError::new(ErrorCode::UserMuted, e.to_string())
            }
        }
    }
}
