//! Posts and what hangs off them: media, the `only`/`except` list, mentions. Deleting a
//! post removes all of it, with its likes, comments and notifications, in one transaction.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, MomentId, UserId};
use confab_proto::moments::{Location, Visibility};
use sea_orm::{ConnectionTrait, FromQueryResult, Value};

use super::super::model::{Post, visibility_from_str, visibility_str};
use super::{IdRow, all, exec, marks, one};
use crate::infra::store::{StoreError, from_ms, to_ms};

#[derive(Debug, FromQueryResult)]
struct Row {
    id: i64,
    author_id: i64,
    text: String,
    visibility: String,
    location: Option<String>,
    like_count: i64,
    comment_count: i64,
    hidden_at: Option<i64>,
    created_at: i64,
}

const COLUMNS: &str =
    "id, author_id, text, visibility, location, like_count, comment_count, hidden_at, created_at";

/// A post to store.
pub struct NewPost<'a> {
    /// Id.
    pub id: MomentId,
    /// Author.
    pub author: UserId,
    /// Screened text.
    pub text: &'a str,
    /// Visibility.
    pub visibility: Visibility,
    /// Place.
    pub location: Option<&'a Location>,
    /// Media, in order.
    pub media: &'a [FileId],
    /// The list's users.
    pub audience_users: &'a [UserId],
    /// The list's tags.
    pub audience_tags: &'a [String],
    /// Mentioned friends.
    pub mentions: &'a [UserId],
    /// When.
    pub now: DateTime<Utc>,
}

/// Stores a post with its media, list and mentions (call inside a transaction).
pub async fn insert(db: &impl ConnectionTrait, p: &NewPost<'_>) -> Result<(), StoreError> {
    let location = p
        .location
        .map(|l| serde_json::to_string(l).unwrap_or_default());
    exec(
        db,
        format!("INSERT INTO moments ({COLUMNS}) VALUES (?, ?, ?, ?, ?, 0, 0, NULL, ?)"),
        [
            p.id.0.into(),
            p.author.0.into(),
            p.text.into(),
            visibility_str(p.visibility).into(),
            location.into(),
            to_ms(p.now).into(),
        ],
    )
    .await?;
    for (i, f) in p.media.iter().enumerate() {
        exec(
            db,
            "INSERT INTO moment_media (moment_id, position, file_id) VALUES (?, ?, ?)",
            [p.id.0.into(), (i as i32).into(), f.0.into()],
        )
        .await?;
    }
    let entries = p
        .audience_users
        .iter()
        .map(|u| ("user", u.0.to_string()))
        .chain(p.audience_tags.iter().map(|t| ("tag", t.clone())));
    for (kind, value) in entries {
        exec(
            db,
            "INSERT INTO moment_audience (moment_id, kind, value) VALUES (?, ?, ?)",
            [p.id.0.into(), kind.into(), value.into()],
        )
        .await?;
    }
    for u in p.mentions {
        exec(
            db,
            "INSERT INTO moment_mentions (moment_id, user_id) VALUES (?, ?)",
            [p.id.0.into(), u.0.into()],
        )
        .await?;
    }
    Ok(())
}

/// Fills media, lists and mentions of `rows`, in three queries.
async fn complete(db: &impl ConnectionTrait, rows: Vec<Row>) -> Result<Vec<Post>, StoreError> {
    if rows.is_empty() {
        return Ok(Vec::new());
    }
    let ids: Vec<Value> = rows.iter().map(|r| r.id.into()).collect();
    let m = marks(ids.len());
    #[derive(FromQueryResult)]
    struct Media {
        moment_id: i64,
        file_id: i64,
    }
    #[derive(FromQueryResult)]
    struct Entry {
        moment_id: i64,
        kind: String,
        value: String,
    }
    #[derive(FromQueryResult)]
    struct Mention {
        moment_id: i64,
        user_id: i64,
    }
    let media: Vec<Media> = all(
        db,
        format!("SELECT moment_id, file_id FROM moment_media WHERE moment_id IN ({m}) ORDER BY moment_id, position"),
        ids.clone(),
    )
    .await?;
    let entries: Vec<Entry> = all(
        db,
        format!("SELECT moment_id, kind, value FROM moment_audience WHERE moment_id IN ({m})"),
        ids.clone(),
    )
    .await?;
    let mentions: Vec<Mention> = all(
        db,
        format!("SELECT moment_id, user_id FROM moment_mentions WHERE moment_id IN ({m}) ORDER BY user_id"),
        ids,
    )
    .await?;
    let mut posts: Vec<Post> = rows.into_iter().map(post_of).collect();
    let at: HashMap<i64, usize> = posts.iter().enumerate().map(|(i, p)| (p.id.0, i)).collect();
    for x in media {
        if let Some(&i) = at.get(&x.moment_id) {
            posts[i].media.push(FileId(x.file_id));
        }
    }
    for x in entries {
        if let Some(&i) = at.get(&x.moment_id) {
            match (x.kind.as_str(), x.value.parse::<i64>()) {
                ("user", Ok(u)) => posts[i].audience_users.push(UserId(u)),
                ("tag", _) => posts[i].audience_tags.push(x.value),
                _ => {}
            }
        }
    }
    for x in mentions {
        if let Some(&i) = at.get(&x.moment_id) {
            posts[i].mentions.push(UserId(x.user_id));
        }
    }
    Ok(posts)
}

fn post_of(r: Row) -> Post {
    Post {
        id: MomentId(r.id),
        author: UserId(r.author_id),
        text: r.text,
        visibility: visibility_from_str(&r.visibility),
        location: r.location.and_then(|l| serde_json::from_str(&l).ok()),
        like_count: r.like_count,
        comment_count: r.comment_count,
        hidden: r.hidden_at.is_some(),
        created_at: from_ms(r.created_at),
        media: Vec::new(),
        audience_users: Vec::new(),
        audience_tags: Vec::new(),
        mentions: Vec::new(),
    }
}

/// A post by id.
pub async fn find(db: &impl ConnectionTrait, id: MomentId) -> Result<Option<Post>, StoreError> {
    let rows: Vec<Row> = all(
        db,
        format!("SELECT {COLUMNS} FROM moments WHERE id = ?"),
        [id.0.into()],
    )
    .await?;
    Ok(complete(db, rows).await?.pop())
}

/// Posts by these ids (any order).
pub async fn find_many(
    db: &impl ConnectionTrait,
    ids: &[MomentId],
) -> Result<Vec<Post>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    let rows: Vec<Row> = all(
        db,
        format!(
            "SELECT {COLUMNS} FROM moments WHERE id IN ({})",
            marks(ids.len())
        ),
        ids.iter().map(|i| Value::from(i.0)),
    )
    .await?;
    complete(db, rows).await
}

/// Up to `limit` posts of `authors`, newest first, older than `before` (an id) when given.
pub async fn list_by_authors(
    db: &impl ConnectionTrait,
    authors: &[UserId],
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Post>, StoreError> {
    if authors.is_empty() {
        return Ok(Vec::new());
    }
    let mut values: Vec<Value> = authors.iter().map(|a| a.0.into()).collect();
    let mut sql = format!(
        "SELECT {COLUMNS} FROM moments WHERE author_id IN ({})",
        marks(authors.len())
    );
    if let Some(b) = before {
        sql.push_str(" AND id < ?");
        values.push(b.into());
    }
    sql.push_str(" ORDER BY id DESC LIMIT ?");
    values.push((limit as i64).into());
    let rows: Vec<Row> = all(db, sql, values).await?;
    complete(db, rows).await
}

/// The posts carrying `file`.
pub async fn with_file(db: &impl ConnectionTrait, file: FileId) -> Result<Vec<Post>, StoreError> {
    let ids: Vec<IdRow> = all(
        db,
        "SELECT moment_id AS id FROM moment_media WHERE file_id = ? LIMIT 50",
        [file.0.into()],
    )
    .await?;
    let ids: Vec<MomentId> = ids.into_iter().map(|r| MomentId(r.id)).collect();
    find_many(db, &ids).await
}

/// Marks a post hidden by a moderator; `false` when there is no such post.
pub async fn hide(
    db: &impl ConnectionTrait,
    id: MomentId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE moments SET hidden_at = ? WHERE id = ? AND hidden_at IS NULL",
        [to_ms(now).into(), id.0.into()],
    )
    .await?
        > 0
        || one::<IdRow>(db, "SELECT id FROM moments WHERE id = ?", [id.0.into()])
            .await?
            .is_some())
}

/// Deletes a post and everything that hangs off it (call inside a transaction); `false`
/// when it was not there.
pub async fn delete(db: &impl ConnectionTrait, id: MomentId) -> Result<bool, StoreError> {
    for table in [
        "moment_media",
        "moment_audience",
        "moment_mentions",
        "moment_likes",
        "moment_comments",
        "moment_notifications",
    ] {
        exec(
            db,
            format!("DELETE FROM {table} WHERE moment_id = ?"),
            [id.0.into()],
        )
        .await?;
    }
    Ok(exec(db, "DELETE FROM moments WHERE id = ?", [id.0.into()]).await? > 0)
}

/// How many rows of each moments table mention this post (tests and the cascade check).
pub async fn count_rows(db: &impl ConnectionTrait, id: MomentId) -> Result<u64, StoreError> {
    #[derive(FromQueryResult)]
    struct N {
        n: i64,
    }
    let mut total = 0;
    for (table, col) in [
        ("moments", "id"),
        ("moment_media", "moment_id"),
        ("moment_audience", "moment_id"),
        ("moment_mentions", "moment_id"),
        ("moment_likes", "moment_id"),
        ("moment_comments", "moment_id"),
        ("moment_notifications", "moment_id"),
    ] {
        let n = one::<N>(
            db,
            format!("SELECT COUNT(*) AS n FROM {table} WHERE {col} = ?"),
            [id.0.into()],
        )
        .await?
        .map_or(0, |r| r.n);
        total += u64::try_from(n).unwrap_or(0);
    }
    Ok(total)
}
