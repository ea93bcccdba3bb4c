//! The one screening step for user-written text, used by every path that takes it
//! (messages and their edits, nicknames, friend-request notes and greetings, group texts;
//! new features as they land): the filter, then the configured action — `mask` stores the
//! masked text, `reject` refuses with `content_blocked`, `review` stores the masked text and
//! files a report with the original once the content is stored.

use confab_proto::ids::{ReportId, UserId};

use super::filter;
use super::store::{NewReport, file_report};
use crate::error::ApiError;
use crate::state::AppState;

pub use super::store::Target;

/// Screened text: what to store, and the original when it needs a review.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Screened {
    /// The text to store and show: the original, or masked.
    pub text: String,
    /// The original, when the action is `review` and a word matched: hand it to
    /// [`Screened::file_review`] (or [`file_review`]) once the content is stored.
    pub review: Option<String>,
}

/// Screens `text` (refusals name `field`).
pub fn screen(state: &AppState, field: &'static str, text: &str) -> Result<Screened, ApiError> {
    let checked = filter::check(state, field, text)?;
    Ok(Screened {
        review: checked.review.then(|| text.to_owned()),
        text: checked.text,
    })
}

impl Screened {
    /// Files the review report this text asks for, if any (see [`file_review`]).
    pub async fn file_review(
        &self,
        state: &AppState,
        target: Target,
        target_user: Option<UserId>,
        reason: &str,
    ) {
        if let Some(original) = &self.review {
            file_review(state, target, target_user, reason, original.clone()).await;
        }
    }
}

/// Files the filter's report on content already stored (the system is the reporter). The
/// content is acknowledged, so a failure here is logged, not returned.
pub async fn file_review(
    state: &AppState,
    target: Target,
    target_user: Option<UserId>,
    reason: &str,
    original: String,
) {
    let report = NewReport {
        target,
        target_user,
        reporter: None,
        reason: reason.to_owned(),
        excerpt: Some(original),
    };
    let id = ReportId(state.ids.next_id());
    if let Err(e) = file_report(state.store.writer(), id, report, state.clock.now()).await {
        tracing::error!(error = %e, ?target, "filter report not filed");
    }
}
