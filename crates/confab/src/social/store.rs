//! The social feature's SQL: friend requests, friendships, blocks, follows, privacy.
//! Entities are private; the rest of the feature sees the types in [`super::model`].

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, Utc};
use confab_proto::ids::{FriendRequestId, UserId};
use confab_proto::social::{Direction, FriendRequestStatus, Relation};
use sea_orm::sea_query::{Expr, OnConflict};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, DatabaseConnection, EntityTrait,
    PaginatorTrait, QueryFilter, QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::model::{Friendship, Privacy, Request, parse_status, pending_key, status_str};
use crate::infra::store::{StoreError, from_ms, to_ms, unique_violation};

mod friend_requests {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "friend_requests")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub from_id: i64,
        pub to_id: i64,
        pub note: String,
        pub greeting: String,
        pub status: String,
        pub pending_key: Option<String>,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod friendships {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "friendships")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub friend_id: i64,
        pub remark: String,
        pub tags: String,
        pub created_at: i64,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod blocks {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "blocks")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub blocked_id: i64,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod follows {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "follows")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub follower_id: i64,
        #[sea_orm(primary_key, auto_increment = false)]
        pub followee_id: i64,
        pub id: i64,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

mod privacy_settings {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "privacy_settings")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub user_id: i64,
        pub findable_by_username: bool,
        pub findable_by_email: bool,
        pub findable_by_phone: bool,
        pub updated_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

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

fn friendship_of(m: friendships::Model) -> Friendship {
    Friendship {
        user: UserId(m.user_id),
        friend: UserId(m.friend_id),
        remark: m.remark,
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        since: from_ms(m.created_at),
    }
}

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

// ---------------------------------------------------------------- create

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

// ---------------------------------------------------------------- read

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

/// `user`'s side of the friendship with `friend`.
pub async fn find_friendship(
    db: &impl ConnectionTrait,
    user: UserId,
    friend: UserId,
) -> Result<Option<Friendship>, StoreError> {
    Ok(friendships::Entity::find_by_id((user.0, friend.0))
        .one(db)
        .await?
        .map(friendship_of))
}

/// How many friends `user` has.
pub async fn count_friends(db: &impl ConnectionTrait, user: UserId) -> Result<u64, StoreError> {
    Ok(friendships::Entity::find()
        .filter(friendships::Column::UserId.eq(user.0))
        .count(db)
        .await?)
}

/// A page of `user`'s friends by friend id, after `after`.
pub async fn list_friends(
    db: &impl ConnectionTrait,
    user: UserId,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Friendship>, StoreError> {
    let mut q = friendships::Entity::find().filter(friendships::Column::UserId.eq(user.0));
    if let Some(a) = after {
        q = q.filter(friendships::Column::FriendId.gt(a));
    }
    Ok(q.order_by_asc(friendships::Column::FriendId)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(friendship_of)
        .collect())
}

/// Every friend id of `user` (at most `social.max_friends`, so bounded).
pub async fn friend_ids(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Vec<UserId>, StoreError> {
    let ids: Vec<i64> = friendships::Entity::find()
        .select_only()
        .column(friendships::Column::FriendId)
        .filter(friendships::Column::UserId.eq(user.0))
        .into_tuple()
        .all(db)
        .await?;
    Ok(ids.into_iter().map(UserId).collect())
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

/// How `viewer` relates to each of `others` (a few queries for the whole list).
pub async fn relations(
    db: &impl ConnectionTrait,
    viewer: UserId,
    others: &[UserId],
) -> Result<HashMap<UserId, Relation>, StoreError> {
    let mut out: HashMap<UserId, Relation> = others.iter().map(|u| (*u, Relation::None)).collect();
    if others.is_empty() {
        return Ok(out);
    }
    let ids: Vec<i64> = others.iter().map(|u| u.0).collect();
    let pending = status_str(FriendRequestStatus::Pending);
    let incoming: Vec<i64> = friend_requests::Entity::find()
        .select_only()
        .column(friend_requests::Column::FromId)
        .filter(friend_requests::Column::ToId.eq(viewer.0))
        .filter(friend_requests::Column::Status.eq(pending))
        .filter(friend_requests::Column::FromId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let outgoing: Vec<i64> = friend_requests::Entity::find()
        .select_only()
        .column(friend_requests::Column::ToId)
        .filter(friend_requests::Column::FromId.eq(viewer.0))
        .filter(friend_requests::Column::Status.eq(pending))
        .filter(friend_requests::Column::ToId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let friends: Vec<i64> = friendships::Entity::find()
        .select_only()
        .column(friendships::Column::FriendId)
        .filter(friendships::Column::UserId.eq(viewer.0))
        .filter(friendships::Column::FriendId.is_in(ids.clone()))
        .into_tuple()
        .all(db)
        .await?;
    let blocked: Vec<i64> = blocks::Entity::find()
        .select_only()
        .column(blocks::Column::BlockedId)
        .filter(blocks::Column::UserId.eq(viewer.0))
        .filter(blocks::Column::BlockedId.is_in(ids))
        .into_tuple()
        .all(db)
        .await?;
    // Weakest first, so the strongest relation wins.
    for (list, rel) in [
        (incoming, Relation::RequestedIn),
        (outgoing, Relation::RequestedOut),
        (friends, Relation::Friend),
        (blocked, Relation::Blocked),
    ] {
        for id in list {
            out.insert(UserId(id), rel);
        }
    }
    if out.contains_key(&viewer) {
        out.insert(viewer, Relation::Myself);
    }
    Ok(out)
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

/// `user`'s discovery settings (the defaults when never set).
pub async fn find_privacy(db: &impl ConnectionTrait, user: UserId) -> Result<Privacy, StoreError> {
    Ok(privacy_settings::Entity::find_by_id(user.0)
        .one(db)
        .await?
        .map_or_else(Privacy::default, |p| Privacy {
            by_username: p.findable_by_username,
            by_email: p.findable_by_email,
            by_phone: p.findable_by_phone,
        }))
}

// ---------------------------------------------------------------- update

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

/// Sets `user`'s remark and/or tags for `friend`; `false` when they are not friends.
pub async fn update_friendship(
    db: &impl ConnectionTrait,
    user: UserId,
    friend: UserId,
    remark: Option<&str>,
    tags: Option<&[String]>,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut q = friendships::Entity::update_many()
        .col_expr(friendships::Column::UpdatedAt, Expr::value(to_ms(now)))
        .filter(friendships::Column::UserId.eq(user.0))
        .filter(friendships::Column::FriendId.eq(friend.0));
    if let Some(r) = remark {
        q = q.col_expr(friendships::Column::Remark, Expr::value(r));
    }
    if let Some(t) = tags {
        let json = serde_json::to_string(t).unwrap_or_else(|_| "[]".into());
        q = q.col_expr(friendships::Column::Tags, Expr::value(json));
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Stores `user`'s discovery settings.
pub async fn set_privacy(
    db: &impl ConnectionTrait,
    user: UserId,
    p: Privacy,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    privacy_settings::Entity::insert(privacy_settings::ActiveModel {
        user_id: Set(user.0),
        findable_by_username: Set(p.by_username),
        findable_by_email: Set(p.by_email),
        findable_by_phone: Set(p.by_phone),
        updated_at: Set(to_ms(now)),
    })
    .on_conflict(
        OnConflict::column(privacy_settings::Column::UserId)
            .update_columns([
                privacy_settings::Column::FindableByUsername,
                privacy_settings::Column::FindableByEmail,
                privacy_settings::Column::FindableByPhone,
                privacy_settings::Column::UpdatedAt,
            ])
            .to_owned(),
    )
    .exec_without_returning(db)
    .await?;
    Ok(())
}

// ---------------------------------------------------------------- delete

/// Ends the friendship of `a` and `b` (both rows). `false` when they were not friends.
pub async fn delete_friendship(
    db: &impl ConnectionTrait,
    a: UserId,
    b: UserId,
) -> Result<bool, StoreError> {
    let r = friendships::Entity::delete_many()
        .filter(
            Condition::any()
                .add(
                    Condition::all()
                        .add(friendships::Column::UserId.eq(a.0))
                        .add(friendships::Column::FriendId.eq(b.0)),
                )
                .add(
                    Condition::all()
                        .add(friendships::Column::UserId.eq(b.0))
                        .add(friendships::Column::FriendId.eq(a.0)),
                ),
        )
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
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
