//! Likes and comments. A like is a row keyed by (moment, user): inserting one that exists
//! does nothing, and the moment's counter moves only when a row was really inserted or
//! deleted, in the same transaction — so concurrent likes never lose or double one.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use confab_proto::ids::{MomentCommentId, MomentId, UserId};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use super::super::model::Comment;
use super::{IdRow, all, exec, insert_ignore, marks, one};
use crate::infra::store::{StoreError, from_ms, to_ms};

/// Adds `user`'s like (call inside a transaction). `Some(true)`: added; `Some(false)`: it
/// was there; `None`: no such moment (the caller rolls back).
pub async fn like(
    db: &impl ConnectionTrait,
    moment: MomentId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Option<bool>, StoreError> {
    let added = exec(
        db,
        format!(
            "{} moment_likes (moment_id, user_id, created_at) VALUES (?, ?, ?)",
            insert_ignore(db)
        ),
        [moment.0.into(), user.0.into(), to_ms(now).into()],
    )
    .await?
        > 0;
    let exists = if added {
        exec(
            db,
            "UPDATE moments SET like_count = like_count + 1 WHERE id = ?",
            [moment.0.into()],
        )
        .await?
            > 0
    } else {
        one::<IdRow>(db, "SELECT id FROM moments WHERE id = ?", [moment.0.into()])
            .await?
            .is_some()
    };
    Ok(exists.then_some(added))
}

/// Removes `user`'s like (call inside a transaction); `true` when there was one.
pub async fn unlike(
    db: &impl ConnectionTrait,
    moment: MomentId,
    user: UserId,
) -> Result<bool, StoreError> {
    let removed = exec(
        db,
        "DELETE FROM moment_likes WHERE moment_id = ? AND user_id = ?",
        [moment.0.into(), user.0.into()],
    )
    .await?
        > 0;
    if removed {
        exec(
            db,
            "UPDATE moments SET like_count = like_count - 1 WHERE id = ? AND like_count > 0",
            [moment.0.into()],
        )
        .await?;
    }
    Ok(removed)
}

/// Which of `moments` `user` likes.
pub async fn liked_among(
    db: &impl ConnectionTrait,
    user: UserId,
    moments: &[MomentId],
) -> Result<HashSet<MomentId>, StoreError> {
    if moments.is_empty() {
        return Ok(HashSet::new());
    }
    let mut values: Vec<Value> = vec![user.0.into()];
    values.extend(moments.iter().map(|m| Value::from(m.0)));
    let rows: Vec<IdRow> = all(
        db,
        format!(
            "SELECT moment_id AS id FROM moment_likes WHERE user_id = ? AND moment_id IN ({})",
            marks(moments.len())
        ),
        values,
    )
    .await?;
    Ok(rows.into_iter().map(|r| MomentId(r.id)).collect())
}

/// A like as stored.
#[derive(Debug, Clone, FromQueryResult)]
pub struct LikeRow {
    /// Who.
    pub user_id: i64,
    /// When (ms).
    pub created_at: i64,
}

/// Likes of `moment`, newest first, by `among` only when given, older than the cursor
/// `(created_at ms, user id)`.
pub async fn list_likes(
    db: &impl ConnectionTrait,
    moment: MomentId,
    among: Option<&[UserId]>,
    before: Option<(i64, i64)>,
    limit: u64,
) -> Result<Vec<LikeRow>, StoreError> {
    let mut values: Vec<Value> = vec![moment.0.into()];
    let mut sql = String::from("SELECT user_id, created_at FROM moment_likes WHERE moment_id = ?");
    if let Some(users) = among {
        sql.push_str(&format!(" AND user_id IN ({})", marks(users.len())));
        values.extend(users.iter().map(|u| Value::from(u.0)));
    }
    if let Some((at, u)) = before {
        sql.push_str(" AND (created_at < ? OR (created_at = ? AND user_id < ?))");
        values.extend([at.into(), at.into(), u.into()]);
    }
    sql.push_str(" ORDER BY created_at DESC, user_id DESC LIMIT ?");
    values.push((limit as i64).into());
    all(db, sql, values).await
}

#[derive(Debug, FromQueryResult)]
struct CommentRow {
    id: i64,
    moment_id: i64,
    author_id: i64,
    reply_to: Option<i64>,
    reply_to_user: Option<i64>,
    text: String,
    hidden_at: Option<i64>,
    created_at: i64,
}

const COMMENT_COLUMNS: &str =
    "id, moment_id, author_id, reply_to, reply_to_user, text, hidden_at, created_at";

fn comment_of(r: CommentRow) -> Comment {
    Comment {
        id: MomentCommentId(r.id),
        moment: MomentId(r.moment_id),
        author: UserId(r.author_id),
        reply_to: r.reply_to.map(MomentCommentId),
        reply_to_user: r.reply_to_user.map(UserId),
        text: r.text,
        hidden: r.hidden_at.is_some(),
        created_at: from_ms(r.created_at),
    }
}

/// Stores a comment and counts it (call inside a transaction); `false` when the moment is
/// gone (the caller rolls back). Rows are locked in the order a deletion takes them:
/// comments, then the moment.
pub async fn insert_comment(db: &impl ConnectionTrait, c: &Comment) -> Result<bool, StoreError> {
    exec(
        db,
        format!(
            "INSERT INTO moment_comments ({COMMENT_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, NULL, ?)"
        ),
        [
            c.id.0.into(),
            c.moment.0.into(),
            c.author.0.into(),
            c.reply_to.map(|r| r.0).into(),
            c.reply_to_user.map(|u| u.0).into(),
            c.text.clone().into(),
            to_ms(c.created_at).into(),
        ],
    )
    .await?;
    Ok(exec(
        db,
        "UPDATE moments SET comment_count = comment_count + 1 WHERE id = ?",
        [c.moment.0.into()],
    )
    .await?
        > 0)
}

/// A comment by id.
pub async fn find_comment(
    db: &impl ConnectionTrait,
    id: MomentCommentId,
) -> Result<Option<Comment>, StoreError> {
    Ok(one::<CommentRow>(
        db,
        format!("SELECT {COMMENT_COLUMNS} FROM moment_comments WHERE id = ?"),
        [id.0.into()],
    )
    .await?
    .map(comment_of))
}

/// The comments with these ids (any that exist), in no particular order.
pub async fn find_comments(
    db: &impl ConnectionTrait,
    ids: &[MomentCommentId],
) -> Result<Vec<Comment>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<CommentRow> = all(
        db,
        format!(
            "SELECT {COMMENT_COLUMNS} FROM moment_comments WHERE id IN ({})",
            marks(ids.len())
        ),
        ids.iter().map(|i| Value::from(i.0)),
    )
    .await?;
    Ok(rows.into_iter().map(comment_of).collect())
}

/// Comments of `moment`, oldest first, by `among` only when given, after `after` (an id),
/// leaving out hidden ones.
pub async fn list_comments(
    db: &impl ConnectionTrait,
    moment: MomentId,
    among: Option<&[UserId]>,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Comment>, StoreError> {
    let mut values: Vec<Value> = vec![moment.0.into()];
    let mut sql = format!(
        "SELECT {COMMENT_COLUMNS} FROM moment_comments WHERE moment_id = ? AND hidden_at IS NULL"
    );
    if let Some(users) = among {
        sql.push_str(&format!(" AND author_id IN ({})", marks(users.len())));
        values.extend(users.iter().map(|u| Value::from(u.0)));
    }
    if let Some(a) = after {
        sql.push_str(" AND id > ?");
        values.push(a.into());
    }
    sql.push_str(" ORDER BY id LIMIT ?");
    values.push((limit as i64).into());
    let rows: Vec<CommentRow> = all(db, sql, values).await?;
    Ok(rows.into_iter().map(comment_of).collect())
}

/// Deletes a comment, its notifications, and uncounts it (call inside a transaction);
/// `false` when it was not there.
pub async fn delete_comment(db: &impl ConnectionTrait, c: &Comment) -> Result<bool, StoreError> {
    exec(
        db,
        "DELETE FROM moment_notifications WHERE comment_id = ?",
        [c.id.0.into()],
    )
    .await?;
    let gone = exec(
        db,
        "DELETE FROM moment_comments WHERE id = ?",
        [c.id.0.into()],
    )
    .await?
        > 0;
    if gone {
        exec(
            db,
            "UPDATE moments SET comment_count = comment_count - 1 WHERE id = ? AND comment_count > 0",
            [c.moment.0.into()],
        )
        .await?;
    }
    Ok(gone)
}

/// Marks a comment hidden by a moderator; `false` when there is no such comment.
pub async fn hide_comment(
    db: &impl ConnectionTrait,
    id: MomentCommentId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    exec(
        db,
        "UPDATE moment_comments SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL",
        [to_ms(now).into(), id.0.into()],
    )
    .await?;
    Ok(find_comment(db, id).await?.is_some())
}
