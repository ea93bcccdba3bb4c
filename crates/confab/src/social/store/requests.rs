//! Friend requests: create (one pending per direction), accept (the friendship rows in the
//! same transaction), merge, close, find and list.

use chrono::{DateTime, Utc};
use confab_proto::ids::{FriendRequestId, UserId};
use confab_proto::social::{Direction, FriendRequestStatus};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::super::model::{Request, parse_status, pending_key, status_str};
use super::entities::{friend_requests, friendships};
use crate::infra::store::{StoreError, from_ms, to_ms, unique_violation};

fn request_of(m: friend_requests::Model) -> Request {
    Request {
        id: FriendRequestId(m.id),
        from: UserId(m.from_id),
        to: UserId(m.to_id),
        note: m.note,
        greeting: m.greeting,
        status: parse_status(&m.status),
        created_at: from_ms(m.created_at),
        updated_at: from_ms(m.updated_at),
    }
}

/// A new friend request.
pub struct NewRequest<'a> {
    /// Id.
    pub id: FriendRequestId,
    /// Sender.
    pub from: UserId,
    /// Recipient.
    pub to: UserId,
    /// Note.
    pub note: &'a str,
    /// Greeting.
    pub greeting: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
}

/// Inserts a pending request; `false` when one from `from` to `to` is already pending
/// (the caller merges into it).
pub async fn create_request(
    db: &impl ConnectionTrait,
    r: NewRequest<'_>,
) -> Result<bool, StoreError> {
    let res = friend_requests::ActiveModel {
        id: Set(r.id.0),
        from_id: Set(r.from.0),
        to_id: Set(r.to.0),
        note: Set(r.note.to_owned()),
        greeting: Set(r.greeting.to_owned()),
        status: Set(status_str(FriendRequestStatus::Pending).into()),
        pending_key: Set(Some(pending_key(r.from, r.to))),
        created_at: Set(to_ms(r.now)),
        updated_at: Set(to_ms(r.now)),
    }
    .insert(db)
    .await;
    match res {
        Ok(_) => Ok(true),
        Err(e) if unique_violation(&e).is_some() => Ok(false),
        Err(e) => Err(e.into()),
    }
}

/// Accepts a pending request and makes its two users friends, in one transaction: the
/// request (and a pending one in the other direction, if any) becomes `accepted`, and both
/// friendship rows are inserted. `false` when the request was no longer pending.
pub async fn accept_request(
    db: &DatabaseConnection,
    id: FriendRequestId,
    from: UserId,
    to: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    let moved = friend_requests::Entity::update_many()
        .col_expr(
            friend_requests::Column::Status,
            Expr::value(status_str(FriendRequestStatus::Accepted)),
        )
        .col_expr(
            friend_requests::Column::PendingKey,
            Expr::value(Option::<String>::None),
        )
        .col_expr(friend_requests::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(
            Condition::any()
                .add(friend_requests::Column::Id.eq(id.0))
                .add(friend_requests::Column::PendingKey.eq(pending_key(to, from))),
        )
        .filter(friend_requests::Column::Status.eq(status_str(FriendRequestStatus::Pending)))
        .exec(&txn)
        .await?;
    let still_pending = friend_requests::Entity::find_by_id(id.0)
        .one(&txn)
        .await?
        .is_some_and(|r| r.status == status_str(FriendRequestStatus::Accepted));
    if moved.rows_affected == 0 || !still_pending {
        txn.rollback().await?;
        return Ok(false);
    }
    for (user, friend) in [(from, to), (to, from)] {
        friendships::Entity::insert(friendships::ActiveModel {
            user_id: Set(user.0),
            friend_id: Set(friend.0),
            remark: Set(String::new()),
            tags: Set("[]".into()),
            created_at: Set(to_ms(now)),
            updated_at: Set(to_ms(now)),
        })
        .on_conflict(
            OnConflict::columns([friendships::Column::UserId, friendships::Column::FriendId])
                // A no-op update: MySQL has no portable "do nothing" (sea-query renders
                // `ON DUPLICATE KEY IGNORE`, which MariaDB refuses).
                .update_column(friendships::Column::UserId)
                .to_owned(),
        )
        .exec_without_returning(&txn)
        .await?;
    }
    txn.commit().await?;
    Ok(true)
}

/// A request by id.
pub async fn find_request(
    db: &impl ConnectionTrait,
    id: FriendRequestId,
) -> Result<Option<Request>, StoreError> {
    Ok(friend_requests::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(request_of))
}

/// The pending request from `from` to `to`, if any.
pub async fn find_pending(
    db: &impl ConnectionTrait,
    from: UserId,
    to: UserId,
) -> Result<Option<Request>, StoreError> {
    Ok(friend_requests::Entity::find()
        .filter(friend_requests::Column::PendingKey.eq(pending_key(from, to)))
        .one(db)
        .await?
        .map(request_of))
}

/// How many requests `from` has pending.
pub async fn count_pending_from(
    db: &impl ConnectionTrait,
    from: UserId,
) -> Result<u64, StoreError> {
    Ok(friend_requests::Entity::find()
        .filter(friend_requests::Column::FromId.eq(from.0))
        .filter(friend_requests::Column::Status.eq(status_str(FriendRequestStatus::Pending)))
        .count(db)
        .await?)
}

/// A user's pending requests in one direction, newest first, with ids below `before`.
pub async fn list_pending(
    db: &impl ConnectionTrait,
    user: UserId,
    direction: Direction,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Request>, StoreError> {
    let col = match direction {
        Direction::Incoming => friend_requests::Column::ToId,
        Direction::Outgoing => friend_requests::Column::FromId,
    };
    let mut q = friend_requests::Entity::find()
        .filter(col.eq(user.0))
        .filter(friend_requests::Column::Status.eq(status_str(FriendRequestStatus::Pending)));
    if let Some(b) = before {
        q = q.filter(friend_requests::Column::Id.lt(b));
    }
    Ok(q.order_by_desc(friend_requests::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(request_of)
        .collect())
}

/// Merges a repeated request into the pending one: the newest note and greeting win.
/// `false` when it is no longer pending.
pub async fn merge_request(
    db: &impl ConnectionTrait,
    id: FriendRequestId,
    note: &str,
    greeting: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = friend_requests::Entity::update_many()
        .col_expr(friend_requests::Column::Note, Expr::value(note))
        .col_expr(friend_requests::Column::Greeting, Expr::value(greeting))
        .col_expr(friend_requests::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(friend_requests::Column::Id.eq(id.0))
        .filter(friend_requests::Column::Status.eq(status_str(FriendRequestStatus::Pending)))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Ends a pending request as `declined` or `cancelled`; `false` when it was not pending.
pub async fn close_request(
    db: &impl ConnectionTrait,
    id: FriendRequestId,
    to: FriendRequestStatus,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = friend_requests::Entity::update_many()
        .col_expr(friend_requests::Column::Status, Expr::value(status_str(to)))
        .col_expr(
            friend_requests::Column::PendingKey,
            Expr::value(Option::<String>::None),
        )
        .col_expr(friend_requests::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(friend_requests::Column::Id.eq(id.0))
        .filter(friend_requests::Column::Status.eq(status_str(FriendRequestStatus::Pending)))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}
