//! Friendships: two rows per pair, each holding its owner's remark and tags.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect,
};

use super::super::model::Friendship;
use super::entities::friendships;
use crate::infra::store::{StoreError, from_ms, to_ms};

fn friendship_of(m: friendships::Model) -> Friendship {
    Friendship {
        user: UserId(m.user_id),
        friend: UserId(m.friend_id),
        remark: m.remark,
        tags: serde_json::from_str(&m.tags).unwrap_or_default(),
        since: from_ms(m.created_at),
    }
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
