//! The review queue's storage, for the admin feature (which reviews and decides) and for
//! users' reports: filing, finding, listing the open ones, and recording a decision.

use confab_proto::ids::{ReportId, UserId};

use super::store;
use crate::error::ApiError;
use crate::state::AppState;

pub use super::store::{MAX_EXCERPT_CHARS, NewReport, Report, Target};

/// Files a report (status `open`).
pub async fn file(state: &AppState, id: ReportId, report: NewReport) -> Result<Report, ApiError> {
    Ok(store::file_report(state.store.writer(), id, report, state.clock.now()).await?)
}

/// A report, read from the primary (a decision reads its own writes).
pub async fn find(state: &AppState, id: ReportId) -> Result<Option<Report>, ApiError> {
    Ok(store::find_report(state.store.writer(), id).await?)
}

/// `reporter`'s open report on `target`, if any (a repeated report merges into it).
pub async fn find_open_by(
    state: &AppState,
    reporter: UserId,
    target: Target,
) -> Result<Option<Report>, ApiError> {
    Ok(store::find_open_report_by(state.store.reader(), reporter, target).await?)
}

/// Open reports, oldest first, after a cursor.
pub async fn list_open(
    state: &AppState,
    after: Option<ReportId>,
    limit: u64,
) -> Result<Vec<Report>, ApiError> {
    Ok(store::list_open_reports(state.store.reader(), after, limit).await?)
}

/// Closes an open report with `status`; `false` when it was not open (decided already).
pub async fn decide(
    state: &AppState,
    id: ReportId,
    status: &str,
    resolution: Option<&str>,
    reviewer: UserId,
) -> Result<bool, ApiError> {
    Ok(store::decide_report(
        state.store.writer(),
        id,
        status,
        resolution,
        reviewer,
        state.clock.now(),
    )
    .await?)
}

/// Opens a decided report again (its action failed after the decision was recorded).
pub async fn reopen(state: &AppState, id: ReportId) -> Result<(), ApiError> {
    Ok(store::reopen_report(state.store.writer(), id).await?)
}
