//! The notification inbox: one row per like, comment, reply or mention addressed to a user.
//! What the user may still see of them is decided when the inbox is read.

use confab_proto::ids::{MomentCommentId, MomentId, MomentNotificationId, UserId};
use confab_proto::moments::NotificationKind;
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use super::super::model::Notification;
use super::{all, exec};
use crate::infra::store::{StoreError, from_ms, to_ms};

fn kind_str(k: NotificationKind) -> &'static str {
    match k {
        NotificationKind::Like => "like",
        NotificationKind::Comment => "comment",
        NotificationKind::Reply => "reply",
        NotificationKind::Mention => "mention",
    }
}

fn kind_of(s: &str) -> NotificationKind {
    match s {
        "like" => NotificationKind::Like,
        "comment" => NotificationKind::Comment,
        "reply" => NotificationKind::Reply,
        _ => NotificationKind::Mention,
    }
}

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i64,
    user_id: i64,
    actor_id: i64,
    kind: String,
    moment_id: i64,
    comment_id: Option<i64>,
    created_at: i64,
}

const COLUMNS: &str = "id, user_id, actor_id, kind, moment_id, comment_id, created_at";

fn notification_of(r: Row) -> Notification {
    Notification {
        id: MomentNotificationId(r.id),
        user: UserId(r.user_id),
        actor: UserId(r.actor_id),
        kind: kind_of(&r.kind),
        moment: MomentId(r.moment_id),
        comment: r.comment_id.map(MomentCommentId),
        created_at: from_ms(r.created_at),
    }
}

/// Stores a notification.
pub async fn insert(db: &impl ConnectionTrait, n: &Notification) -> Result<(), StoreError> {
    exec(
        db,
        format!("INSERT INTO moment_notifications ({COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?)"),
        [
            n.id.0.into(),
            n.user.0.into(),
            n.actor.0.into(),
            kind_str(n.kind).into(),
            n.moment.0.into(),
            n.comment.map(|c| c.0).into(),
            to_ms(n.created_at).into(),
        ],
    )
    .await?;
    Ok(())
}

/// Removes the notification of `actor`'s like of `moment` (an unlike).
pub async fn delete_like(
    db: &impl ConnectionTrait,
    moment: MomentId,
    actor: UserId,
) -> Result<(), StoreError> {
    exec(
        db,
        "DELETE FROM moment_notifications WHERE moment_id = ? AND actor_id = ? AND kind = 'like'",
        [moment.0.into(), actor.0.into()],
    )
    .await?;
    Ok(())
}

/// `user`'s notifications, newest first: older than `before` or newer than `after` (ids)
/// when given.
pub async fn list(
    db: &impl ConnectionTrait,
    user: UserId,
    before: Option<i64>,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Notification>, StoreError> {
    let mut values: Vec<Value> = vec![user.0.into()];
    let mut sql = format!("SELECT {COLUMNS} FROM moment_notifications WHERE user_id = ?");
    if let Some(b) = before {
        sql.push_str(" AND id < ?");
        values.push(b.into());
    }
    if let Some(a) = after {
        sql.push_str(" AND id > ?");
        values.push(a.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    values.push((limit as i64).into());
    let rows: Vec<Row> = all(db, sql, values).await?;
    Ok(rows.into_iter().map(notification_of).collect())
}

/// The newest notification id of `user` (0 when none).
pub async fn newest_id(db: &impl ConnectionTrait, user: UserId) -> Result<i64, StoreError> {
    Ok(list(db, user, None, None, 1)
        .await?
        .first()
        .map_or(0, |n| n.id.0))
}
