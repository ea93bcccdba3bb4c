//! Reports: users file them (`POST /reports`), the sensitive-word filter files system ones,
//! and system administrators review the open queue — uphold with an action, or dismiss.
//!
//! A reporter may only report what they can see: a message inside their visibility window
//! of a conversation they are in, an account that exists, a group they can see. What was
//! reported is snapshotted into the report's `excerpt` at filing time, so the reviewer sees
//! it as it was even after an edit or a recall. Filing is bounded: one open report per
//! reporter and target (filing again returns the open one), and
//! `moderation.reports_per_day` new reports per reporter per day (on the cache).
//!
//! A decision claims the report first (a conditional update from `open`, so of two
//! reviewers racing exactly one decides), then carries out the action; if the action
//! fails the claim is undone, so the report is never marked upheld for an action that did
//! not happen. Every decision is audited.

use std::time::Duration;

use confab_proto::ErrorCode;
use confab_proto::admin::{
    AdminReportOut, DismissIn, PageQuery, ReportIn, ReportOut, ReportPage, ReportTarget,
    UpholdAction, UpholdIn,
};
use confab_proto::ids::{ReportId, UserId};

use super::error::AdminError;
use super::service::{page_cursor, page_limit};
use crate::error::ApiError;
use crate::moderation::audit::audit;
use crate::moderation::reports::{self, NewReport, Report, Target};
use crate::state::AppState;

/// Longest reason and reviewer note, in characters.
const MAX_REASON: usize = 500;

fn target_of(t: &ReportTarget) -> Target {
    match *t {
        ReportTarget::Message {
            conversation_id,
            seq,
        } => Target::Message(conversation_id, seq),
        ReportTarget::User { user_id } => Target::User(user_id),
        ReportTarget::Group { group_id } => Target::Group(group_id),
        ReportTarget::Moment { moment_id } => Target::Moment(moment_id),
        ReportTarget::MomentComment { comment_id } => Target::MomentComment(comment_id),
    }
}

fn wire_target(t: Target) -> ReportTarget {
    match t {
        Target::Message(conversation_id, seq) => ReportTarget::Message {
            conversation_id,
            seq,
        },
        Target::User(user_id) => ReportTarget::User { user_id },
        Target::Group(group_id) => ReportTarget::Group { group_id },
        Target::Moment(moment_id) => ReportTarget::Moment { moment_id },
        Target::MomentComment(comment_id) => ReportTarget::MomentComment { comment_id },
    }
}

fn report_out(r: &Report) -> ReportOut {
    ReportOut {
        id: r.id,
        target: wire_target(r.target),
        reason: r.reason.clone(),
        status: r.status.clone(),
        created_at: r.created_at,
    }
}

/// A report as the review queue shows it.
pub fn admin_report_out(r: &Report) -> AdminReportOut {
    AdminReportOut {
        id: r.id,
        target: wire_target(r.target),
        target_user_id: match r.target {
            Target::User(u) => Some(u),
            _ => r.target_user,
        },
        reporter_id: r.reporter,
        reason: r.reason.clone(),
        excerpt: r.excerpt.clone(),
        status: r.status.clone(),
        resolution: r.resolution.clone(),
        reviewed_by: r.reviewed_by,
        reviewed_at: r.reviewed_at,
        created_at: r.created_at,
    }
}

fn note(field: &'static str, text: Option<&str>) -> Result<Option<String>, ApiError> {
    let Some(t) = text.map(str::trim).filter(|t| !t.is_empty()) else {
        return Ok(None);
    };
    if t.chars().count() > MAX_REASON || t.chars().any(|c| c.is_control() && c != '\n') {
        return Err(ApiError::invalid(
            field,
            format!("{field}: at most {MAX_REASON} characters, no control characters"),
        ));
    }
    Ok(Some(t.to_owned()))
}

/// The excerpt of a message body: its user-written text, or its kind and shape.
fn message_excerpt(kind: &str, body: &str) -> String {
    let v: serde_json::Value = serde_json::from_str(body).unwrap_or(serde_json::Value::Null);
    let text = ["text", "caption", "name"]
        .iter()
        .find_map(|k| v.get(*k).and_then(|t| t.as_str()));
    match (kind, text) {
        ("text", Some(t)) => t.to_owned(),
        (_, Some(t)) => format!("[{kind}] {t}"),
        _ => format!("[{kind}] {body}"),
    }
}

/// What `me` reports, checked against what `me` can see: the content snapshot and the
/// user responsible.
async fn snapshot(
    state: &AppState,
    me: UserId,
    target: Target,
) -> Result<(String, Option<UserId>), ApiError> {
    match target {
        Target::Message(conv, seq) => {
            let no_message = || ApiError::from(AdminError::NoMessage);
            let (c, member) = crate::messaging::service::membership(state, me, conv).await?;
            if seq <= member.floor() || seq > member.ceiling(c.last_seq) {
                return Err(no_message());
            }
            let m = crate::messaging::service::find_message(state, conv, seq)
                .await?
                .ok_or_else(no_message)?;
            if m.recalled_at.is_some() {
                return Err(AdminError::Recalled.into());
            }
            if m.sender_id == me {
                return Err(AdminError::OwnMessage.into());
            }
            Ok((message_excerpt(&m.kind, &m.body), Some(m.sender_id)))
        }
        Target::User(user) => {
            if user == me {
                return Err(AdminError::ReportSelf.into());
            }
            let u = crate::accounts::service::get_user(state, user).await?;
            let mut excerpt = format!("@{} “{}”", u.username, u.nickname);
            if !u.bio.is_empty() {
                excerpt.push_str(" — ");
                excerpt.push_str(&u.bio);
            }
            Ok((excerpt, Some(user)))
        }
        Target::Group(group) => group_snapshot(state, me, group).await,
        Target::Moment(_) | Target::MomentComment(_) => {
            let (excerpt, author) = crate::moments::reports::snapshot(state, me, target).await?;
            if author == me {
                return Err(AdminError::ReportSelf.into());
            }
            Ok((excerpt, Some(author)))
        }
    }
}

/// A group `me` can see (public, or private with `me` a member): its name, description and
/// announcement at report time, and its owner (the user a `mute` or `disable` would hit is
/// not inferred from a group: a group report is upheld with `dissolve`).
async fn group_snapshot(
    state: &AppState,
    me: UserId,
    group: confab_proto::ids::GroupId,
) -> Result<(String, Option<UserId>), ApiError> {
    let g = crate::groups::service::get(state, me, group).await?;
    if g.dissolved {
        return Err(AdminError::NoGroup.into());
    }
    let mut excerpt = g.name.clone();
    if !g.description.is_empty() {
        excerpt.push_str(" — ");
        excerpt.push_str(&g.description);
    }
    if let Some(a) = g.announcement.as_deref().filter(|a| !a.is_empty()) {
        excerpt.push_str(" — ");
        excerpt.push_str(a);
    }
    Ok((excerpt, Some(g.owner_id)))
}

/// Files `me`'s report. `(report, true)` when filed now; `(report, false)` when `me`
/// already had an open report on the same target (that one is returned, nothing is added).
pub async fn file(
    state: &AppState,
    me: UserId,
    input: ReportIn,
) -> Result<(ReportOut, bool), ApiError> {
    let reason = note("reason", Some(&input.reason))?
        .ok_or_else(|| ApiError::invalid("reason", "reason: 1 to 500 characters"))?;
    let target = target_of(&input.target);
    if let Target::Message(_, seq) = target
        && seq < 1
    {
        return Err(ApiError::invalid("target.seq", "target.seq: 1 or more"));
    }
    let (excerpt, target_user) = snapshot(state, me, target).await?;
    if let Some(open) = reports::find_open_by(state, me, target).await? {
        return Ok((report_out(&open), false));
    }
    let limit = state.config.moderation.reports_per_day;
    let key = format!("rl:report:{me}");
    let n = match state.cache.incr(&key, Duration::from_secs(86_400)).await {
        Ok(n) => n,
        Err(e) => {
            // Fail closed: an unbounded report flood is worse than a retry later.
            return Err(e.into());
        }
    };
    if n > u64::from(limit) {
        let retry = match state.cache.ttl(&key).await {
            Ok(Some(d)) => d.as_secs() + 1,
            _ => 86_400,
        };
        return Err(AdminError::TooManyReports {
            limit,
            retry_after: retry,
        }
        .into());
    }
    let report = reports::file(
        state,
        ReportId(state.ids.next_id()),
        NewReport {
            target,
            target_user,
            reporter: Some(me),
            reason,
            excerpt: Some(excerpt),
        },
    )
    .await?;
    Ok((report_out(&report), true))
}

/// The open reports, oldest first.
pub async fn list_open(state: &AppState, q: PageQuery) -> Result<ReportPage, ApiError> {
    let limit = page_limit(&q)?;
    let after = page_cursor(&q)?.map(ReportId);
    let rows = reports::list_open(state, after, limit).await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(ReportPage {
        items: rows.iter().map(admin_report_out).collect(),
        next_cursor,
    })
}

async fn open_report(state: &AppState, id: ReportId) -> Result<Report, ApiError> {
    let r = reports::find(state, id)
        .await?
        .ok_or(AdminError::NoReport)?;
    if r.status != "open" {
        return Err(AdminError::Closed.into());
    }
    Ok(r)
}

/// The user an action on `r` applies to.
fn responsible(r: &Report) -> Result<UserId, ApiError> {
    match r.target {
        Target::User(u) => Ok(u),
        Target::Message(..) | Target::Moment(_) | Target::MomentComment(_) => r
            .target_user
            .ok_or_else(|| AdminError::NotApplicable("the content's author is unknown").into()),
        Target::Group(_) => Err(AdminError::NotApplicable(
            "a group report is upheld with `dissolve` (or `none`)",
        )
        .into()),
    }
}

/// Upholds an open report and carries out its action; audited.
pub async fn uphold(
    state: &AppState,
    admin: UserId,
    id: ReportId,
    input: UpholdIn,
) -> Result<AdminReportOut, ApiError> {
    let note = note("note", input.note.as_deref())?;
    if input.action != UpholdAction::Mute && input.until.is_some() {
        return Err(ApiError::invalid("until", "until: only with `mute`"));
    }
    let until = crate::moderation::mutes::check_until(state, "until", input.until)?;
    let r = open_report(state, id).await?;
    // Everything that can be refused is refused before the claim.
    let subject = match input.action {
        UpholdAction::Recall => match r.target {
            Target::Message(..) | Target::Moment(_) | Target::MomentComment(_) => None,
            _ => {
                return Err(AdminError::NotApplicable(
                    "`recall` applies to message, moment and comment reports",
                )
                .into());
            }
        },
        UpholdAction::Dissolve => match r.target {
            Target::Group(_) => None,
            _ => {
                return Err(
                    AdminError::NotApplicable("`dissolve` applies to group reports").into(),
                );
            }
        },
        UpholdAction::Mute | UpholdAction::Disable => {
            let u = responsible(&r)?;
            if u == admin {
                return Err(AdminError::OwnAccountByReport.into());
            }
            Some(u)
        }
        UpholdAction::None => None,
    };
    let resolution = match input.action {
        UpholdAction::Recall => "recall",
        UpholdAction::Mute => "mute",
        UpholdAction::Disable => "disable",
        UpholdAction::Dissolve => "dissolve",
        UpholdAction::None => "none",
    };
    if !reports::decide(state, id, "upheld", Some(resolution), admin).await? {
        return Err(AdminError::Closed.into());
    }
    if let Err(e) = act(state, admin, &r, input.action, subject, until).await {
        if let Err(undo) = reports::reopen(state, id).await {
            tracing::error!(error = %undo, report = %id, "upheld report not reopened after its action failed");
        }
        return Err(e);
    }
    audit(
        state,
        admin,
        "report.uphold",
        "report",
        id.to_string(),
        serde_json::json!({
            "action": resolution,
            "until": until,
            "note": note,
            "target": wire_target(r.target),
            "subject": subject.map(|u| u.to_string()),
        }),
    )
    .await?;
    decided(state, id).await
}

async fn act(
    state: &AppState,
    admin: UserId,
    r: &Report,
    action: UpholdAction,
    subject: Option<UserId>,
    until: Option<chrono::DateTime<chrono::Utc>>,
) -> Result<(), ApiError> {
    match (action, r.target, subject) {
        (UpholdAction::Recall, Target::Message(conv, seq), _) => {
            crate::messaging::actions::recall_as_moderator(state, conv, seq, admin).await?;
        }
        (UpholdAction::Recall, target @ (Target::Moment(_) | Target::MomentComment(_)), _) => {
            crate::moments::reports::hide(state, target).await?;
        }
        (UpholdAction::Mute, _, Some(u)) => {
            crate::moderation::mutes::mute_user(state, u, until, admin, Some(r.id)).await?;
        }
        (UpholdAction::Disable, _, Some(u)) => {
            crate::accounts::service::disable_user(state, u).await?;
        }
        (UpholdAction::Dissolve, Target::Group(g), _) => {
            match crate::groups::service::dissolve_by_admin(state, g, admin).await {
                // Dissolved meanwhile (by its owner, or another report): the action holds.
                Err(e) if e.code() == ErrorCode::GroupDissolved => {}
                r => r?,
            }
        }
        _ => {}
    }
    Ok(())
}

async fn decided(state: &AppState, id: ReportId) -> Result<AdminReportOut, ApiError> {
    let r = reports::find(state, id)
        .await?
        .ok_or(AdminError::NoReport)?;
    Ok(admin_report_out(&r))
}

/// Dismisses an open report; audited.
pub async fn dismiss(
    state: &AppState,
    admin: UserId,
    id: ReportId,
    input: DismissIn,
) -> Result<AdminReportOut, ApiError> {
    let note = note("note", input.note.as_deref())?;
    let r = open_report(state, id).await?;
    if !reports::decide(state, id, "dismissed", None, admin).await? {
        return Err(AdminError::Closed.into());
    }
    audit(
        state,
        admin,
        "report.dismiss",
        "report",
        id.to_string(),
        serde_json::json!({"note": note, "target": wire_target(r.target)}),
    )
    .await?;
    decided(state, id).await
}
