//! Member rows (role, nickname, mute) and bans.

use chrono::{DateTime, Utc};
use confab_proto::groups::Role;
use confab_proto::ids::{ConversationId, GroupId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::infra::store::{StoreError, from_ms, to_ms};

use super::entities::{bans, groups, members};
use super::groups::{Group, group_of};

/// A member's group row (roles, nickname, mute). Their conversation row holds the window.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Member {
    /// Group.
    pub group_id: GroupId,
    /// User.
    pub user_id: UserId,
    /// Role.
    pub role: Role,
    /// Group nickname.
    pub nickname: Option<String>,
    /// Muted until (ms; `model::FOREVER_MS` for permanent).
    pub muted_until: Option<i64>,
    /// Joined.
    pub joined_at: DateTime<Utc>,
}

impl Member {
    /// Whether the member is muted at `now`.
    pub fn muted_at(&self, now: DateTime<Utc>) -> bool {
        self.muted_until.is_some_and(|u| u > to_ms(now))
    }
}

fn member_of(m: members::Model) -> Member {
    Member {
        group_id: GroupId(m.group_id),
        user_id: UserId(m.user_id),
        role: Role::parse(&m.role).unwrap_or(Role::Member),
        nickname: m.nickname,
        muted_until: m.muted_until,
        joined_at: from_ms(m.joined_at),
    }
}

/// A ban.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ban {
    /// Group.
    pub group_id: GroupId,
    /// Banned user.
    pub user_id: UserId,
    /// Ends (ms); `None`: permanent.
    pub until: Option<i64>,
    /// By.
    pub by: UserId,
    /// Why.
    pub reason: Option<String>,
    /// Since.
    pub created_at: DateTime<Utc>,
}

impl Ban {
    /// Whether the ban holds at `now`.
    pub fn active_at(&self, now: DateTime<Utc>) -> bool {
        self.until.is_none_or(|u| u > to_ms(now))
    }
}

fn ban_of(m: bans::Model) -> Ban {
    Ban {
        group_id: GroupId(m.group_id),
        user_id: UserId(m.user_id),
        until: m.until,
        by: UserId(m.by_id),
        reason: m.reason,
        created_at: from_ms(m.created_at),
    }
}

/// Stores a member's group row (replacing a stale one).
pub async fn insert_member(db: &impl ConnectionTrait, m: &Member) -> Result<(), StoreError> {
    delete_member(db, m.group_id, m.user_id).await?;
    members::ActiveModel {
        group_id: Set(m.group_id.0),
        user_id: Set(m.user_id.0),
        role: Set(m.role.as_str().into()),
        nickname: Set(m.nickname.clone()),
        muted_until: Set(m.muted_until),
        joined_at: Set(to_ms(m.joined_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores (or replaces) a ban.
pub async fn put_ban(db: &impl ConnectionTrait, b: &Ban) -> Result<(), StoreError> {
    delete_ban(db, b.group_id, b.user_id).await?;
    bans::ActiveModel {
        group_id: Set(b.group_id.0),
        user_id: Set(b.user_id.0),
        until: Set(b.until),
        by_id: Set(b.by.0),
        reason: Set(b.reason.clone()),
        created_at: Set(to_ms(b.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The group of conversation `conv` with `u`'s member row in it, in one query; `None` when
/// either is missing.
pub async fn find_membership_by_conversation(
    db: &impl ConnectionTrait,
    conv: ConversationId,
    u: UserId,
) -> Result<Option<(Group, Member)>, StoreError> {
    Ok(members::Entity::find()
        .filter(members::Column::UserId.eq(u.0))
        .find_also_related(groups::Entity)
        .filter(groups::Column::ConversationId.eq(conv.0))
        .one(db)
        .await?
        .and_then(|(m, g)| Some((group_of(g?), member_of(m)))))
}

/// A member's group row.
pub async fn find_member(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<Option<Member>, StoreError> {
    Ok(members::Entity::find_by_id((g.0, u.0))
        .one(db)
        .await?
        .map(member_of))
}

/// Members by user id, above `after`.
pub async fn list_members(
    db: &impl ConnectionTrait,
    g: GroupId,
    after: Option<i64>,
    limit: u64,
) -> Result<Vec<Member>, StoreError> {
    let mut q = members::Entity::find().filter(members::Column::GroupId.eq(g.0));
    if let Some(a) = after {
        q = q.filter(members::Column::UserId.gt(a));
    }
    Ok(q.order_by_asc(members::Column::UserId)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(member_of)
        .collect())
}

/// A ban, whether or not it has ended.
pub async fn find_ban(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<Option<Ban>, StoreError> {
    Ok(bans::Entity::find_by_id((g.0, u.0))
        .one(db)
        .await?
        .map(ban_of))
}

/// A group's bans (ended ones included), newest first, at most 500.
pub async fn list_bans(db: &impl ConnectionTrait, g: GroupId) -> Result<Vec<Ban>, StoreError> {
    Ok(bans::Entity::find()
        .filter(bans::Column::GroupId.eq(g.0))
        .order_by_desc(bans::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(ban_of)
        .collect())
}

/// Writes a member's role, nickname and mute back.
pub async fn update_member(db: &impl ConnectionTrait, m: &Member) -> Result<(), StoreError> {
    members::Entity::update_many()
        .col_expr(members::Column::Role, Expr::value(m.role.as_str()))
        .col_expr(members::Column::Nickname, Expr::value(m.nickname.clone()))
        .col_expr(members::Column::MutedUntil, Expr::value(m.muted_until))
        .filter(members::Column::GroupId.eq(m.group_id.0))
        .filter(members::Column::UserId.eq(m.user_id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Removes a member's group row. Returns whether there was one.
pub async fn delete_member(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<bool, StoreError> {
    let r = members::Entity::delete_many()
        .filter(members::Column::GroupId.eq(g.0))
        .filter(members::Column::UserId.eq(u.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}

/// Lifts a ban. Returns whether there was one.
pub async fn delete_ban(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<bool, StoreError> {
    let r = bans::Entity::delete_many()
        .filter(bans::Column::GroupId.eq(g.0))
        .filter(bans::Column::UserId.eq(u.0))
        .exec(db)
        .await?;
    Ok(r.rows_affected > 0)
}
