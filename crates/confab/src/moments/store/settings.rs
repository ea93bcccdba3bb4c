//! Per-user settings (stranger range, cover, read marks) and the two hide lists. A user
//! without a settings row has the defaults; the row is made on the first change.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, UserId};
use confab_proto::moments::StrangerRange;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use super::super::model::{HideKind, Settings, range_from_str, range_str};
use super::{IdRow, all, exec, insert_ignore, marks, one};
use crate::infra::store::{StoreError, to_ms};

#[derive(Debug, FromQueryResult)]
struct Row {
    stranger_range: String,
    cover_file_id: Option<i64>,
    notifications_read_id: i64,
    feed_seen_id: i64,
}

/// `user`'s settings (the defaults when never set).
pub async fn find(db: &impl ConnectionTrait, user: UserId) -> Result<Settings, StoreError> {
    Ok(one::<Row>(
        db,
        "SELECT stranger_range, cover_file_id, notifications_read_id, feed_seen_id \
         FROM moment_settings WHERE user_id = ?",
        [user.0.into()],
    )
    .await?
    .map_or_else(Settings::default, |r| Settings {
        stranger_range: range_from_str(&r.stranger_range),
        cover: r.cover_file_id.map(FileId),
        notifications_read: r.notifications_read_id,
        feed_seen: r.feed_seen_id,
    }))
}

/// Makes `user`'s row if missing, so the updates below have a row to change.
async fn ensure(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        db,
        format!(
            "{} moment_settings (user_id, stranger_range, cover_file_id, notifications_read_id, \
             feed_seen_id, updated_at) VALUES (?, 'all', NULL, 0, 0, ?)",
            insert_ignore(db)
        ),
        [user.0.into(), to_ms(now).into()],
    )
    .await?;
    Ok(())
}

/// Sets the stranger range.
pub async fn set_range(
    db: &impl ConnectionTrait,
    user: UserId,
    range: StrangerRange,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ensure(db, user, now).await?;
    exec(
        db,
        "UPDATE moment_settings SET stranger_range = ?, updated_at = ? WHERE user_id = ?",
        [range_str(range).into(), to_ms(now).into(), user.0.into()],
    )
    .await?;
    Ok(())
}

/// Sets or clears the cover.
pub async fn set_cover(
    db: &impl ConnectionTrait,
    user: UserId,
    cover: Option<FileId>,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ensure(db, user, now).await?;
    exec(
        db,
        "UPDATE moment_settings SET cover_file_id = ?, updated_at = ? WHERE user_id = ?",
        [cover.map(|c| c.0).into(), to_ms(now).into(), user.0.into()],
    )
    .await?;
    Ok(())
}

/// Moves a read mark (`notifications_read_id` or `feed_seen_id`) forward to `to`, never
/// back.
pub async fn advance(
    db: &impl ConnectionTrait,
    user: UserId,
    feed: bool,
    to: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    ensure(db, user, now).await?;
    let col = if feed {
        "feed_seen_id"
    } else {
        "notifications_read_id"
    };
    exec(
        db,
        format!("UPDATE moment_settings SET {col} = ? WHERE user_id = ? AND {col} < ?"),
        [to.into(), user.0.into(), to.into()],
    )
    .await?;
    Ok(())
}

/// Whether a user's cover is `file`.
pub async fn is_cover(db: &impl ConnectionTrait, file: FileId) -> Result<bool, StoreError> {
    Ok(one::<IdRow>(
        db,
        "SELECT user_id AS id FROM moment_settings WHERE cover_file_id = ? LIMIT 1",
        [file.0.into()],
    )
    .await?
    .is_some())
}

fn hide_str(k: HideKind) -> &'static str {
    match k {
        HideKind::From => "from",
        HideKind::Mute => "mute",
    }
}

/// Adds `other` to one of `user`'s lists (again: nothing).
pub async fn add_hide(
    db: &impl ConnectionTrait,
    user: UserId,
    kind: HideKind,
    other: UserId,
) -> Result<(), StoreError> {
    exec(
        db,
        format!(
            "{} moment_hides (user_id, kind, other_id) VALUES (?, ?, ?)",
            insert_ignore(db)
        ),
        [user.0.into(), hide_str(kind).into(), other.0.into()],
    )
    .await?;
    Ok(())
}

/// Removes `other` from one of `user`'s lists.
pub async fn remove_hide(
    db: &impl ConnectionTrait,
    user: UserId,
    kind: HideKind,
    other: UserId,
) -> Result<(), StoreError> {
    exec(
        db,
        "DELETE FROM moment_hides WHERE user_id = ? AND kind = ? AND other_id = ?",
        [user.0.into(), hide_str(kind).into(), other.0.into()],
    )
    .await?;
    Ok(())
}

/// One of `user`'s lists (at most `limit` entries, by id).
pub async fn list_hides(
    db: &impl ConnectionTrait,
    user: UserId,
    kind: HideKind,
    limit: u64,
) -> Result<Vec<UserId>, StoreError> {
    let rows: Vec<IdRow> = all(
        db,
        "SELECT other_id AS id FROM moment_hides WHERE user_id = ? AND kind = ? ORDER BY other_id LIMIT ?",
        [user.0.into(), hide_str(kind).into(), (limit as i64).into()],
    )
    .await?;
    Ok(rows.into_iter().map(|r| UserId(r.id)).collect())
}

/// Which of `users` hide their moments from `viewer` (kind `from` naming the viewer).
pub async fn hiding_from(
    db: &impl ConnectionTrait,
    viewer: UserId,
    users: &[UserId],
) -> Result<HashSet<UserId>, StoreError> {
    if users.is_empty() {
        return Ok(HashSet::new());
    }
    let mut values: Vec<Value> = vec![viewer.0.into()];
    values.extend(users.iter().map(|u| Value::from(u.0)));
    let rows: Vec<IdRow> = all(
        db,
        format!(
            "SELECT user_id AS id FROM moment_hides WHERE kind = 'from' AND other_id = ? AND user_id IN ({})",
            marks(users.len())
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| UserId(r.id)).collect())
}
