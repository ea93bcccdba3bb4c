//! `call_participants`: who is in a group call now (`left_at` unset), from which device.

use chrono::{DateTime, Utc};
use confab_proto::ids::{CallId, SessionId, UserId};
use sea_orm::{ConnectionTrait, Statement, Value};

use crate::infra::store::{StoreError, from_ms, to_ms};

/// A participant of a group call.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Participant {
    pub call_id: CallId,
    pub user_id: UserId,
    pub session_id: SessionId,
    pub away_at: Option<DateTime<Utc>>,
}

fn stmt(db: &impl ConnectionTrait, sql: &str, values: Vec<Value>) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Puts `user` in `call` from `session` (again, if they were in it before).
pub async fn join(
    db: &impl ConnectionTrait,
    call: CallId,
    user: UserId,
    session: SessionId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "DELETE FROM call_participants WHERE call_id = ? AND user_id = ?",
        vec![call.0.into(), user.0.into()],
    ))
    .await?;
    db.execute_raw(stmt(
        db,
        "INSERT INTO call_participants (call_id, user_id, session_id, joined_at, left_at, away_at) \
         VALUES (?, ?, ?, ?, NULL, NULL)",
        vec![
            call.0.into(),
            user.0.into(),
            session.0.into(),
            to_ms(now).into(),
        ],
    ))
    .await?;
    Ok(())
}

/// Takes `user` out of `call`; true when they were in it.
pub async fn leave(
    db: &impl ConnectionTrait,
    call: CallId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = db
        .execute_raw(stmt(
            db,
            "UPDATE call_participants SET left_at = ? \
             WHERE call_id = ? AND user_id = ? AND left_at IS NULL",
            vec![to_ms(now).into(), call.0.into(), user.0.into()],
        ))
        .await?;
    Ok(done.rows_affected() == 1)
}

/// Takes everyone out of `call` (it ended).
pub async fn leave_all(
    db: &impl ConnectionTrait,
    call: CallId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "UPDATE call_participants SET left_at = ? WHERE call_id = ? AND left_at IS NULL",
        vec![to_ms(now).into(), call.0.into()],
    ))
    .await?;
    Ok(())
}

/// Who is in `call` now, in the order they joined.
pub async fn present(
    db: &impl ConnectionTrait,
    call: CallId,
) -> Result<Vec<Participant>, StoreError> {
    let rows = db
        .query_all_raw(stmt(
            db,
            "SELECT call_id, user_id, session_id, away_at FROM call_participants \
             WHERE call_id = ? AND left_at IS NULL ORDER BY joined_at, user_id",
            vec![call.0.into()],
        ))
        .await?;
    rows.iter()
        .map(|r| {
            Ok(Participant {
                call_id: CallId(r.try_get("", "call_id")?),
                user_id: UserId(r.try_get("", "user_id")?),
                session_id: SessionId(r.try_get("", "session_id")?),
                away_at: r.try_get::<Option<i64>>("", "away_at")?.map(from_ms),
            })
        })
        .collect()
}

/// How many users were ever in `call`.
pub async fn count_ever(db: &impl ConnectionTrait, call: CallId) -> Result<i64, StoreError> {
    let r = db
        .query_one_raw(stmt(
            db,
            "SELECT COUNT(*) AS n FROM call_participants WHERE call_id = ?",
            vec![call.0.into()],
        ))
        .await?;
    Ok(match r {
        Some(r) => r.try_get("", "n")?,
        None => 0,
    })
}

/// Marks `session`'s participation in `call` as dropped (from `now`).
pub async fn participant_away(
    db: &impl ConnectionTrait,
    call: CallId,
    session: SessionId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "UPDATE call_participants SET away_at = ? \
         WHERE call_id = ? AND session_id = ? AND left_at IS NULL AND away_at IS NULL",
        vec![to_ms(now).into(), call.0.into(), session.0.into()],
    ))
    .await?;
    Ok(())
}

/// Clears `session`'s drop mark in `call` (it is connected).
pub async fn participant_back(
    db: &impl ConnectionTrait,
    call: CallId,
    session: SessionId,
) -> Result<(), StoreError> {
    db.execute_raw(stmt(
        db,
        "UPDATE call_participants SET away_at = NULL \
         WHERE call_id = ? AND session_id = ? AND left_at IS NULL AND away_at IS NOT NULL",
        vec![call.0.into(), session.0.into()],
    ))
    .await?;
    Ok(())
}
