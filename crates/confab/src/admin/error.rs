//! The admin feature's refusals, each spelled once, and the one place they become API errors.

use confab_proto::ErrorCode;

use crate::error::ApiError;

/// Why an administrative request (or a user's report) is refused.
#[derive(Debug, thiserror::Error)]
pub enum AdminError {
    /// No such user.
    #[error("no such user")]
    NoUser,
    /// No such message (or one outside the reporter's window).
    #[error("no such message")]
    NoMessage,
    /// No such group (or a private one the reporter is not in).
    #[error("no such group")]
    NoGroup,
    /// No such report.
    #[error("no such report")]
    NoReport,
    /// Unmuting a user who is not muted.
    #[error("that user is not muted")]
    NotMuted,
    /// Removing a word that is only in the words file, or nowhere.
    #[error("no such admin-managed word")]
    NoWord,
    /// Reporting a recalled message.
    #[error("the message was recalled; there is nothing left to report")]
    Recalled,
    /// Reporting one's own message.
    #[error("you cannot report your own message")]
    OwnMessage,
    /// Reporting oneself.
    #[error("you cannot report yourself")]
    ReportSelf,
    /// An administrator acting on their own account (`what`: disable, mute).
    #[error("you cannot {0} your own account")]
    OwnAccount(&'static str),
    /// Upholding a report on one's own account with an action against it.
    #[error("you cannot mute or disable your own account")]
    OwnAccountByReport,
    /// Over the daily report quota.
    #[error("at most {limit} reports a day; retry after Retry-After seconds")]
    TooManyReports {
        /// Reports a day.
        limit: u32,
        /// Seconds until the window ends.
        retry_after: u64,
    },
    /// Deciding a report that was decided already.
    #[error("this report was already decided")]
    Closed,
    /// An uphold action that does not fit the report (the reason says why).
    #[error("{0}")]
    NotApplicable(&'static str),
}

impl From<AdminError> for ApiError {
    fn from(e: AdminError) -> Self {
        use AdminError as E;
        let code = match &e {
            E::NoUser | E::NoMessage | E::NoGroup | E::NoReport | E::NotMuted | E::NoWord => {
                ErrorCode::NotFound
            }
            E::Recalled => ErrorCode::MessageRecalled,
            E::OwnMessage | E::ReportSelf | E::OwnAccount(_) | E::OwnAccountByReport => {
                ErrorCode::CannotTargetSelf
            }
            E::TooManyReports { .. } => ErrorCode::RateLimited,
            E::Closed => ErrorCode::ReportClosed,
            E::NotApplicable(_) => ErrorCode::ActionNotApplicable,
        };
        let out = ApiError::new(code, e.to_string());
        match e {
            E::TooManyReports { retry_after, .. } => out.with_retry_after(retry_after),
            E::NotApplicable(_) => out.with_field("action"),
            _ => out,
        }
    }
}
