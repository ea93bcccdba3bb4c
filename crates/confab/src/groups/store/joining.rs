//! Invite tokens and join requests.

use chrono::{DateTime, Utc};
use confab_proto::ids::{GroupId, JoinRequestId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

use crate::infra::store::{StoreError, from_ms, to_ms};

use super::entities::{invites, requests};

/// An invite token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// The token.
    pub token: String,
    /// Group.
    pub group_id: GroupId,
    /// Made by.
    pub creator_id: UserId,
    /// Expires.
    pub expires_at: Option<DateTime<Utc>>,
    /// Most uses.
    pub max_uses: Option<u32>,
    /// Uses so far.
    pub uses: u32,
    /// Revoked.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Made.
    pub created_at: DateTime<Utc>,
}

impl Invite {
    /// Whether it still admits someone at `now`.
    pub fn usable_at(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none()
            && self.expires_at.is_none_or(|e| e > now)
            && self.max_uses.is_none_or(|m| self.uses < m)
    }
}

fn invite_of(m: invites::Model) -> Invite {
    Invite {
        token: m.token,
        group_id: GroupId(m.group_id),
        creator_id: UserId(m.creator_id),
        expires_at: m.expires_at.map(from_ms),
        max_uses: m.max_uses.and_then(|v| u32::try_from(v).ok()),
        uses: u32::try_from(m.uses).unwrap_or(0),
        revoked_at: m.revoked_at.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

/// A join request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinRequest {
    /// Id.
    pub id: JoinRequestId,
    /// Group.
    pub group_id: GroupId,
    /// Who asks.
    pub user_id: UserId,
    /// Note.
    pub message: Option<String>,
    /// `pending`, `approved`, `declined`.
    pub status: String,
    /// Asked.
    pub created_at: DateTime<Utc>,
}

fn request_of(m: requests::Model) -> JoinRequest {
    JoinRequest {
        id: JoinRequestId(m.id),
        group_id: GroupId(m.group_id),
        user_id: UserId(m.user_id),
        message: m.message,
        status: m.status,
        created_at: from_ms(m.created_at),
    }
}

/// Stores a new invite.
pub async fn insert_invite(db: &impl ConnectionTrait, i: &Invite) -> Result<(), StoreError> {
    invites::ActiveModel {
        token: Set(i.token.clone()),
        group_id: Set(i.group_id.0),
        creator_id: Set(i.creator_id.0),
        expires_at: Set(i.expires_at.map(to_ms)),
        max_uses: Set(i.max_uses.and_then(|v| i32::try_from(v).ok())),
        uses: Set(0),
        revoked_at: Set(None),
        created_at: Set(to_ms(i.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Stores a new join request.
pub async fn insert_request(db: &impl ConnectionTrait, r: &JoinRequest) -> Result<(), StoreError> {
    requests::ActiveModel {
        id: Set(r.id.0),
        group_id: Set(r.group_id.0),
        user_id: Set(r.user_id.0),
        message: Set(r.message.clone()),
        status: Set(r.status.clone()),
        decided_by: Set(None),
        decided_at: Set(None),
        created_at: Set(to_ms(r.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// An invite by token.
pub async fn find_invite(
    db: &impl ConnectionTrait,
    token: &str,
) -> Result<Option<Invite>, StoreError> {
    Ok(invites::Entity::find_by_id(token.to_owned())
        .one(db)
        .await?
        .map(invite_of))
}

/// A group's invites, newest first, at most 500.
pub async fn list_invites(
    db: &impl ConnectionTrait,
    g: GroupId,
) -> Result<Vec<Invite>, StoreError> {
    Ok(invites::Entity::find()
        .filter(invites::Column::GroupId.eq(g.0))
        .order_by_desc(invites::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(invite_of)
        .collect())
}

/// A join request by id.
pub async fn find_request(
    db: &impl ConnectionTrait,
    id: JoinRequestId,
) -> Result<Option<JoinRequest>, StoreError> {
    Ok(requests::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(request_of))
}

/// A user's pending request to a group.
pub async fn find_pending_request(
    db: &impl ConnectionTrait,
    g: GroupId,
    u: UserId,
) -> Result<Option<JoinRequest>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::GroupId.eq(g.0))
        .filter(requests::Column::UserId.eq(u.0))
        .filter(requests::Column::Status.eq("pending"))
        .one(db)
        .await?
        .map(request_of))
}

/// A group's pending requests, oldest first, at most 500.
pub async fn list_pending_requests(
    db: &impl ConnectionTrait,
    g: GroupId,
) -> Result<Vec<JoinRequest>, StoreError> {
    Ok(requests::Entity::find()
        .filter(requests::Column::GroupId.eq(g.0))
        .filter(requests::Column::Status.eq("pending"))
        .order_by_asc(requests::Column::CreatedAt)
        .limit(500)
        .all(db)
        .await?
        .into_iter()
        .map(request_of)
        .collect())
}

/// Counts one use of an invite.
pub async fn use_invite(db: &impl ConnectionTrait, token: &str) -> Result<(), StoreError> {
    invites::Entity::update_many()
        .col_expr(invites::Column::Uses, Expr::cust("uses + 1"))
        .filter(invites::Column::Token.eq(token))
        .exec(db)
        .await?;
    Ok(())
}

/// Revokes an invite (once). Returns whether this call revoked it.
pub async fn revoke_invite(
    db: &impl ConnectionTrait,
    token: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = invites::Entity::update_many()
        .col_expr(invites::Column::RevokedAt, Expr::value(to_ms(now)))
        .filter(invites::Column::Token.eq(token))
        .filter(invites::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}

/// Decides a pending request. Returns whether it was still pending.
pub async fn decide_request(
    db: &impl ConnectionTrait,
    id: JoinRequestId,
    status: &str,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let r = requests::Entity::update_many()
        .col_expr(requests::Column::Status, Expr::value(status))
        .col_expr(requests::Column::DecidedBy, Expr::value(by.0))
        .col_expr(requests::Column::DecidedAt, Expr::value(to_ms(now)))
        .filter(requests::Column::Id.eq(id.0))
        .filter(requests::Column::Status.eq("pending"))
        .exec(db)
        .await?;
    Ok(r.rows_affected == 1)
}
