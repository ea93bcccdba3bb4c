//! Blocks: creating one ends what it forbids (pending requests, follows) in one
//! transaction; the checks either way; lists.

use std::collections::HashSet;

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use confab_proto::social::FriendRequestStatus;
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::super::model::{pending_key, status_str};
use super::entities::{blocks, follows, friend_requests};
use crate::infra::store::{StoreError, from_ms, to_ms};

/// Blocks `blocked` for `user` (idempotent), and in the same transaction ends what the block
/// forbids: pending requests either way (ours cancelled, theirs declined) and follows either
/// way. Friendships stay (docs/decisions/0007-blocking-a-friend.md).
pub async fn create_block(
    db: &DatabaseConnection,
    user: UserId,
    blocked: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    blocks::Entity::insert(blocks::ActiveModel {
        user_id: Set(user.0),
        blocked_id: Set(blocked.0),
        created_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::columns([blocks::Column::UserId, blocks::Column::BlockedId])
            // A no-op update: MySQL has no portable "do nothing" (sea-query renders
            // `ON DUPLICATE KEY IGNORE`, which MariaDB refuses).
            .update_column(blocks::Column::UserId)
            .to_owned(),
    )
    .exec_without_returning(&txn)
    .await?;
    for (from, to, status) in [
        (user, blocked, FriendRequestStatus::Cancelled),
        (blocked, user, FriendRequestStatus::Declined),
    ] {
        friend_requests::Entity::update_many()
            .col_expr(
                friend_requests::Column::Status,
                Expr::value(status_str(status)),
            )
            .col_expr(
                friend_requests::Column::PendingKey,
                Expr::value(Option::<String>::None),
            )
            .col_expr(friend_requests::Column::UpdatedAt, Expr::value(to_ms(now)))
            .filter(friend_requests::Column::PendingKey.eq(pending_key(from, to)))
            .exec(&txn)
            .await?;
    }
    follows::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(follows::Column::FollowerId.eq(user.0))
                        .add(follows::Column::FolloweeId.eq(blocked.0)),
                )
                .add(
                    Condition::all()
                        .add(follows::Column::FollowerId.eq(blocked.0))
                        .add(follows::Column::FolloweeId.eq(user.0)),
                ),
        )
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Whether `user` blocks `blocked`.
pub async fn is_blocked(
    db: &impl ConnectionTrait,
    user: UserId,
    blocked: UserId,
) -> Result<bool, StoreError> {
    Ok(blocks::Entity::find_by_id((user.0, blocked.0))
        .one(db)
        .await?
        .is_some())
}

/// Whether `a` blocks `b` or `b` blocks `a` (one query).
pub async fn blocked_either_way(
    db: &impl ConnectionTrait,
    a: UserId,
    b: UserId,
) -> Result<bool, StoreError> {
    Ok(blocks::Entity::find()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(blocks::Column::UserId.eq(a.0))
                        .add(blocks::Column::BlockedId.eq(b.0)),
                )
                .add(
                    Condition::all()
                        .add(blocks::Column::UserId.eq(b.0))
                        .add(blocks::Column::BlockedId.eq(a.0)),
                ),
        )
        .count(db)
        .await?
        > 0)
}

/// Everyone `user` blocks or is blocked by.
pub async fn block_peers(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<HashSet<UserId>, StoreError> {
    let rows = blocks::Entity::find()
        .filter(
            Condition::any()
                .add(blocks::Column::UserId.eq(user.0))
                .add(blocks::Column::BlockedId.eq(user.0)),
        )
        .all(db)
        .await?;
    Ok(rows
        .into_iter()
        .map(|b| {
            if b.user_id == user.0 {
                UserId(b.blocked_id)
            } else {
                UserId(b.user_id)
            }
        })
        .collect())
}

/// A page of the users `user` blocks, by blocked id after `after`, with the block's time.
pub async fn list_blocks(
    db: &impl ConnectionTrait,
    user: UserId,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<(UserId, DateTime<Utc>)>, StoreError> {
    let mut q = blocks::Entity::find().filter(blocks::Column::UserId.eq(user.0));
    if let Some(a) = after {
        q = q.filter(blocks::Column::BlockedId.gt(a));
    }
    Ok(q.order_by_asc(blocks::Column::BlockedId)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(|b| (UserId(b.blocked_id), from_ms(b.created_at)))
        .collect())
}

/// Which of `others` block `viewer` (search hides them from the viewer).
pub async fn blockers_among(
    db: &impl ConnectionTrait,
    viewer: UserId,
    others: &[UserId],
) -> Result<HashSet<UserId>, StoreError> {
    if others.is_empty() {
        return Ok(HashSet::new());
    }
    let ids: Vec<i64> = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::UserId)
        .filter(blocks::Column::BlockedId.eq(viewer.0))
        .filter(blocks::Column::UserId.is_in(others.iter().map(|u| u.0)))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(UserId).collect())
}

/// Unblocks (idempotent).
pub async fn delete_block(
    db: &impl ConnectionTrait,
    user: UserId,
    blocked: UserId,
) -> Result<(), StoreError> {
    blocks::Entity::delete_many()
        .filter(blocks::Column::UserId.eq(user.0))
        .filter(blocks::Column::BlockedId.eq(blocked.0))
        .exec(db)
        .await?;
    Ok(())
}
