//! Follows: edges with their own ids (newest-first pages), counts.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::sea_query::OnConflict;
use sea_orm::{
    ColumnTrait, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use super::entities::follows;
use crate::infra::store::{StoreError, from_ms, to_ms};

/// A follow edge as listed: the other user, the edge's id (the cursor) and its time.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FollowRow {
    /// The follower (followers list) or the one followed (following list).
    pub user: UserId,
    /// The edge's snowflake id.
    pub id: i64,
    /// Since.
    pub since: DateTime<Utc>,
}

/// Records that `follower` follows `followee` (idempotent: an existing edge keeps its id).
pub async fn create_follow(
    db: &impl ConnectionTrait,
    follower: UserId,
    followee: UserId,
    id: i64,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    follows::Entity::insert(follows::ActiveModel {
        follower_id: Set(follower.0),
        followee_id: Set(followee.0),
        id: Set(id),
        created_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::columns([follows::Column::FollowerId, follows::Column::FolloweeId])
            // A no-op update: MySQL has no portable "do nothing" (sea-query renders
            // `ON DUPLICATE KEY IGNORE`, which MariaDB refuses).
            .update_column(follows::Column::FollowerId)
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

/// (followers, following) counts of `user`.
pub async fn follow_counts(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<(u64, u64), StoreError> {
    let followers = follows::Entity::find()
        .filter(follows::Column::FolloweeId.eq(user.0))
        .count(db)
        .await?;
    let following = follows::Entity::find()
        .filter(follows::Column::FollowerId.eq(user.0))
        .count(db)
        .await?;
    Ok((followers, following))
}

/// A page of `user`'s followers (`followers = true`) or of whom they follow, newest first,
/// with edge ids below `before`.
pub async fn list_follows(
    db: &impl ConnectionTrait,
    user: UserId,
    followers: bool,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<FollowRow>, StoreError> {
    let mine = if followers {
        follows::Column::FolloweeId
    } else {
        follows::Column::FollowerId
    };
    let mut q = follows::Entity::find().filter(mine.eq(user.0));
    if let Some(b) = before {
        q = q.filter(follows::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(follows::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|f| FollowRow {
            user: UserId(if followers {
                f.follower_id
            } else {
                f.followee_id
            }),
            id: f.id,
            since: from_ms(f.created_at),
        })
        .collect())
}

/// Unfollows (idempotent).
pub async fn delete_follow(
    db: &impl ConnectionTrait,
    follower: UserId,
    followee: UserId,
) -> Result<(), StoreError> {
    follows::Entity::delete_many()
        .filter(follows::Column::FollowerId.eq(follower.0))
        .filter(follows::Column::FolloweeId.eq(followee.0))
        .exec(db)
        .await?;
    Ok(())
}
