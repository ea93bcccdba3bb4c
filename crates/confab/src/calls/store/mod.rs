//! The calls tables (private to the feature): `calls`, `call_lines`, `call_participants`.
//! Plain SQL with bound parameters; every statement is the same on SQLite and MySQL.
//! Every change of a call's `state` is conditional on the state it leaves, so of racing
//! transitions exactly one changes a row ([`transition`] answers whether this one did).

mod participants;

use chrono::{DateTime, Utc};
use confab_proto::calls::{CallKind, CallMedia, CallOutcome, CallState};
use confab_proto::ids::{CallId, ConversationId, SessionId, UserId};
use sea_orm::{ConnectionTrait, QueryResult, Statement, Value};

pub use participants::*;

use crate::infra::store::{StoreError, from_ms, to_ms};

/// A call row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Call {
    pub id: CallId,
    pub kind: CallKind,
    pub media: CallMedia,
    pub conversation_id: ConversationId,
    pub caller_id: UserId,
    pub callee_id: Option<UserId>,
    pub state: CallState,
    pub outcome: Option<CallOutcome>,
    pub created_at: DateTime<Utc>,
    pub answered_at: Option<DateTime<Utc>>,
    pub ended_at: Option<DateTime<Utc>>,
    pub ended_by: Option<UserId>,
    pub caller_session: SessionId,
    pub callee_session: Option<SessionId>,
    pub caller_away_at: Option<DateTime<Utc>>,
    pub callee_away_at: Option<DateTime<Utc>>,
}

const COLUMNS: &str = "id, kind, media, conversation_id, caller_id, callee_id, state, outcome, \
    created_at, answered_at, ended_at, ended_by, caller_session, callee_session, \
    caller_away_at, callee_away_at";

pub fn kind_str(k: CallKind) -> &'static str {
    match k {
        CallKind::Direct => "direct",
        CallKind::Group => "group",
    }
}

pub fn media_str(m: CallMedia) -> &'static str {
    match m {
        CallMedia::Audio => "audio",
        CallMedia::Video => "video",
    }
}

pub fn state_str(s: CallState) -> &'static str {
    match s {
        CallState::Ringing => "ringing",
        CallState::Active => "active",
        CallState::Ended => "ended",
    }
}

pub fn outcome_str(o: CallOutcome) -> &'static str {
    match o {
        CallOutcome::Answered => "answered",
        CallOutcome::Missed => "missed",
        CallOutcome::Declined => "declined",
        CallOutcome::Cancelled => "cancelled",
        CallOutcome::Busy => "busy",
    }
}

fn bad(what: &str, v: &str) -> StoreError {
    StoreError::Db(sea_orm::DbErr::Type(format!("unknown call {what} {v:?}")))
}

fn parse<T: Copy>(
    what: &str,
    v: &str,
    all: &[T],
    name: fn(T) -> &'static str,
) -> Result<T, StoreError> {
    all.iter()
        .copied()
        .find(|x| name(*x) == v)
        .ok_or_else(|| bad(what, v))
}

fn row(r: &QueryResult) -> Result<Call, StoreError> {
    let g = |c: &str| r.try_get::<i64>("", c);
    let o = |c: &str| r.try_get::<Option<i64>>("", c);
    let kind: String = r.try_get("", "kind")?;
    let media: String = r.try_get("", "media")?;
    let state: String = r.try_get("", "state")?;
    let outcome: Option<String> = r.try_get("", "outcome")?;
    use CallOutcome as O;
    Ok(Call {
        id: CallId(g("id")?),
        kind: parse(
            "kind",
            &kind,
            &[CallKind::Direct, CallKind::Group],
            kind_str,
        )?,
        media: parse(
            "media",
            &media,
            &[CallMedia::Audio, CallMedia::Video],
            media_str,
        )?,
        conversation_id: ConversationId(g("conversation_id")?),
        caller_id: UserId(g("caller_id")?),
        callee_id: o("callee_id")?.map(UserId),
        state: parse(
            "state",
            &state,
            &[CallState::Ringing, CallState::Active, CallState::Ended],
            state_str,
        )?,
        outcome: match outcome {
            None => None,
            Some(v) => Some(parse(
                "outcome",
                &v,
                &[O::Answered, O::Missed, O::Declined, O::Cancelled, O::Busy],
                outcome_str,
            )?),
        },
        created_at: from_ms(g("created_at")?),
        answered_at: o("answered_at")?.map(from_ms),
        ended_at: o("ended_at")?.map(from_ms),
        ended_by: o("ended_by")?.map(UserId),
        caller_session: SessionId(g("caller_session")?),
        callee_session: o("callee_session")?.map(SessionId),
        caller_away_at: o("caller_away_at")?.map(from_ms),
        callee_away_at: o("callee_away_at")?.map(from_ms),
    })
}

fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Stores a new call.
pub async fn insert(db: &impl ConnectionTrait, c: &Call) -> Result<(), StoreError> {
    let sql = format!(
        "INSERT INTO calls ({COLUMNS}, record_seq) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)"
    );
    let values: Vec<Value> = vec![
        c.id.0.into(),
        kind_str(c.kind).into(),
        media_str(c.media).into(),
        c.conversation_id.0.into(),
        c.caller_id.0.into(),
        c.callee_id.map(|u| u.0).into(),
        state_str(c.state).into(),
        c.outcome.map(outcome_str).into(),
        to_ms(c.created_at).into(),
        c.answered_at.map(to_ms).into(),
        c.ended_at.map(to_ms).into(),
        c.ended_by.map(|u| u.0).into(),
        c.caller_session.0.into(),
        c.callee_session.map(|s| s.0).into(),
        c.caller_away_at.map(to_ms).into(),
        c.callee_away_at.map(to_ms).into(),
    ];
    db.execute_raw(stmt(db, &sql, values)).await?;
    Ok(())
}

/// The call `id`.
pub async fn find(db: &impl ConnectionTrait, id: CallId) -> Result<Option<Call>, StoreError> {
    let sql = format!("SELECT {COLUMNS} FROM calls WHERE id = ?");
    match db.query_one_raw(stmt(db, &sql, vec![id.0.into()])).await? {
        Some(r) => Ok(Some(row(&r)?)),
        None => Ok(None),
    }
}

/// Live calls (ringing or active), oldest first: what the sweeper looks at.
pub async fn list_live(db: &impl ConnectionTrait, limit: u64) -> Result<Vec<Call>, StoreError> {
    let sql = format!(
        "SELECT {COLUMNS} FROM calls WHERE state IN ('ringing', 'active') ORDER BY id LIMIT ?"
    );
    let rows = db
        .query_all_raw(stmt(db, &sql, vec![(limit as i64).into()]))
        .await?;
    rows.iter().map(row).collect()
}

/// Answers a ringing call on `session`; true when this call was still ringing (this answer
/// won).
pub async fn answer(
    db: &impl ConnectionTrait,
    id: CallId,
    session: SessionId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = db
        .execute_raw(stmt(
            db,
            "UPDATE calls SET state = 'active', answered_at = ?, callee_session = ? \
             WHERE id = ? AND state = 'ringing'",
            vec![to_ms(now).into(), session.0.into(), id.0.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Ends a call that is still in state `from`; true when this transition won.
pub async fn end(
    db: &impl ConnectionTrait,
    id: CallId,
    from: CallState,
    outcome: CallOutcome,
    by: Option<UserId>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = db
        .execute_raw(stmt(
            db,
            "UPDATE calls SET state = 'ended', outcome = ?, ended_at = ?, ended_by = ? \
             WHERE id = ? AND state = ?",
            vec![
                outcome_str(outcome).into(),
                to_ms(now).into(),
                by.map(|u| u.0).into(),
                id.0.into(),
                state_str(from).into(),
            ],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Notes which message records the call.
pub async fn set_record(db: &impl ConnectionTrait, id: CallId, seq: i64) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "UPDATE calls SET record_seq = ? WHERE id = ?",
        vec![seq.into(), id.0.into()],
    ))
    .await?;
    Ok(())
}

/// The call holding `holder`'s line, if any.
pub async fn line_of(
    db: &impl ConnectionTrait,
    holder: &str,
) -> Result<Option<CallId>, StoreError> {
    let r = db
        .query_one_raw(stmt(
            db,
            "SELECT call_id FROM call_lines WHERE holder = ?",
            vec![holder.into()],
        ))
        .await?;
    Ok(match r {
        Some(r) => Some(CallId(r.try_get("", "call_id")?)),
        None => None,
    })
}

/// Takes `holder`'s line for `call` (a primary-key conflict when it is taken).
pub async fn take_line(
    db: &impl ConnectionTrait,
    holder: &str,
    call: CallId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "INSERT INTO call_lines (holder, call_id, created_at) VALUES (?, ?, ?)",
        vec![holder.into(), call.0.into(), to_ms(now).into()],
    ))
    .await?;
    Ok(())
}

/// Frees `holder`'s line if `call` holds it.
pub async fn free_line(
    db: &impl ConnectionTrait,
    holder: &str,
    call: CallId,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "DELETE FROM call_lines WHERE holder = ? AND call_id = ?",
        vec![holder.into(), call.0.into()],
    ))
    .await?;
    Ok(())
}

/// Frees every line `call` holds (it ended).
pub async fn free_lines(db: &impl ConnectionTrait, call: CallId) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "DELETE FROM call_lines WHERE call_id = ?",
        vec![call.0.into()],
    ))
    .await?;
    Ok(())
}

/// Marks `session`'s side of the live 1:1 call `call` as dropped (from `now`), leaving a
/// mark already set.
pub async fn mark_away(
    db: &impl ConnectionTrait,
    call: CallId,
    session: SessionId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    for side in ["caller", "callee"] {
        let sql = format!(
            "UPDATE calls SET {side}_away_at = ? WHERE id = ? AND {side}_session = ? \
             AND state IN ('ringing', 'active') AND {side}_away_at IS NULL"
        );
        let values = vec![to_ms(now).into(), call.0.into(), session.0.into()];
        db.execute_raw(stmt(db, &sql, values)).await?;
    }
    Ok(())
}

/// Clears the drop mark of `session`'s side of the call `call` (it is connected).
pub async fn mark_back(
    db: &impl ConnectionTrait,
    call: CallId,
    session: SessionId,
) -> Result<(), StoreError> {
    for side in ["caller", "callee"] {
        let sql = format!(
            "UPDATE calls SET {side}_away_at = NULL WHERE id = ? AND {side}_session = ? \
             AND {side}_away_at IS NOT NULL"
        );
        db.execute_raw(stmt(db, &sql, vec![call.0.into(), session.0.into()]))
            .await?;
    }
    Ok(())
}
