//! Channels' refusals, each spelled once, and the one place they become API errors.

use chrono::{DateTime, Utc};
use confab_proto::ErrorCode;

use crate::error::ApiError;

/// An RFC 3339 time to the second, as refusals show it.
fn shown(t: &DateTime<Utc>) -> String {
    t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
}

/// Why a channel refuses a request.
#[derive(Debug, thiserror::Error)]
pub enum ChannelsError {
    /// `channels.world_posting = "off"`.
    #[error("posting in this channel is turned off")]
    PostingOff,
    /// `channels.world_posting = "admins"`, and the poster is not one.
    #[error("only administrators may post in this channel")]
    AdminsOnly,
    /// A channel mute with an end.
    #[error("an administrator muted you in this channel until {}", shown(.0))]
    MutedUntil(DateTime<Utc>),
    /// A permanent channel mute.
    #[error("an administrator muted you in this channel")]
    Muted,
    /// Over the per-user posting rate; retry after the window.
    #[error("posting in this channel too fast; retry after Retry-After seconds")]
    TooFast {
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// An administrator muting themself.
    #[error("you cannot mute yourself")]
    MuteSelf,
    /// Unmuting someone who is not muted.
    #[error("that user is not muted in the world channel")]
    NotMuted,
}

impl From<ChannelsError> for ApiError {
    fn from(e: ChannelsError) -> Self {
        use ChannelsError as E;
        let code = match &e {
            E::PostingOff | E::AdminsOnly => ErrorCode::ChannelPostingClosed,
            E::MutedUntil(_) | E::Muted => ErrorCode::ChannelMuted,
            E::TooFast { .. } => ErrorCode::RateLimited,
            E::MuteSelf => ErrorCode::CannotTargetSelf,
            E::NotMuted => ErrorCode::NotFound,
        };
        let out = ApiError::new(code, e.to_string());
        match e {
            E::TooFast { retry_after } => out.with_retry_after(retry_after),
            _ => out,
        }
    }
}
