//! Sessions and their refresh tokens: one session per device sign-in, one refresh-token
//! chain per session (each token exchanged once), revocation.

use chrono::{DateTime, Utc};
use confab_proto::ids::{SessionId, UserId};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, ConnectionTrait, DatabaseConnection, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set, TransactionTrait,
};

use super::entities::{refresh_tokens, sessions};
use crate::infra::store::{StoreError, from_ms, to_ms};

/// A session row.
#[derive(Debug, Clone)]
pub struct SessionRow {
    /// Id.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Device name.
    pub device: String,
    /// IP at sign-in.
    pub ip: String,
    /// User-Agent at sign-in.
    pub user_agent: String,
    /// Signed in.
    pub created_at: DateTime<Utc>,
    /// Last sign-in or refresh.
    pub last_used_at: DateTime<Utc>,
    /// Expiry unless refreshed.
    pub expires_at: DateTime<Utc>,
    /// When revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl SessionRow {
    /// Whether it can still be used at `now`.
    pub fn live(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none() && self.expires_at > now
    }
}

fn session_of(m: sessions::Model) -> SessionRow {
    SessionRow {
        id: SessionId(m.id),
        user_id: UserId(m.user_id),
        device: m.device,
        ip: m.ip,
        user_agent: m.user_agent,
        created_at: from_ms(m.created_at),
        last_used_at: from_ms(m.last_used_at),
        expires_at: from_ms(m.expires_at),
        revoked_at: m.revoked_at.map(from_ms),
    }
}

/// A new session with its first refresh token.
pub struct NewSession<'a> {
    /// Id.
    pub id: SessionId,
    /// Owner.
    pub user_id: UserId,
    /// Device name.
    pub device: &'a str,
    /// Client IP.
    pub ip: &'a str,
    /// Client User-Agent.
    pub user_agent: &'a str,
    /// SHA-256 of the refresh token.
    pub token_hash: &'a str,
    /// Now.
    pub now: DateTime<Utc>,
    /// Expiry.
    pub expires_at: DateTime<Utc>,
}

/// Inserts a session and its first refresh token, in one transaction.
pub async fn create_session(db: &DatabaseConnection, s: NewSession<'_>) -> Result<(), StoreError> {
    let txn = db.begin().await?;
    sessions::ActiveModel {
        id: Set(s.id.0),
        user_id: Set(s.user_id.0),
        device: Set(s.device.to_owned()),
        ip: Set(s.ip.to_owned()),
        user_agent: Set(s.user_agent.to_owned()),
        created_at: Set(to_ms(s.now)),
        last_used_at: Set(to_ms(s.now)),
        expires_at: Set(to_ms(s.expires_at)),
        revoked_at: Set(None),
        revoke_reason: Set(None),
    }
    .insert(&txn)
    .await?;
    refresh_tokens::ActiveModel {
        token_hash: Set(s.token_hash.to_owned()),
        session_id: Set(s.id.0),
        created_at: Set(to_ms(s.now)),
        rotated_at: Set(None),
    }
    .insert(&txn)
    .await?;
    txn.commit().await?;
    Ok(())
}

/// A session by id.
pub async fn find_session(
    db: &impl ConnectionTrait,
    id: SessionId,
) -> Result<Option<SessionRow>, StoreError> {
    Ok(sessions::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(session_of))
}

/// A refresh token's row: its session, and whether it was already exchanged.
pub async fn find_refresh(
    db: &impl ConnectionTrait,
    token_hash: &str,
) -> Result<Option<(SessionId, bool)>, StoreError> {
    Ok(refresh_tokens::Entity::find_by_id(token_hash.to_owned())
        .one(db)
        .await?
        .map(|m| (SessionId(m.session_id), m.rotated_at.is_some())))
}

/// A user's sessions that are still live at `now`, newest first.
pub async fn list_sessions(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<SessionRow>, StoreError> {
    Ok(sessions::Entity::find()
        .filter(sessions::Column::UserId.eq(user.0))
        .filter(sessions::Column::RevokedAt.is_null())
        .filter(sessions::Column::ExpiresAt.gt(to_ms(now)))
        .order_by_desc(sessions::Column::Id)
        .limit(200)
        .all(db)
        .await?
        .into_iter()
        .map(session_of)
        .collect())
}

/// Exchanges a refresh token: marks `old` rotated — only if it was not already — and adds
/// `new` to the same session, sliding the session's expiry. `false` when `old` had already
/// been exchanged (a replay, or a concurrent refresh that lost the race).
pub async fn rotate_refresh(
    db: &DatabaseConnection,
    old: &str,
    new: &str,
    session: SessionId,
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let txn = db.begin().await?;
    let res = refresh_tokens::Entity::update_many()
        .col_expr(refresh_tokens::Column::RotatedAt, Expr::value(to_ms(now)))
        .filter(refresh_tokens::Column::TokenHash.eq(old))
        .filter(refresh_tokens::Column::RotatedAt.is_null())
        .exec(&txn)
        .await?;
    if res.rows_affected != 1 {
        txn.rollback().await?;
        return Ok(false);
    }
    refresh_tokens::ActiveModel {
        token_hash: Set(new.to_owned()),
        session_id: Set(session.0),
        created_at: Set(to_ms(now)),
        rotated_at: Set(None),
    }
    .insert(&txn)
    .await?;
    sessions::Entity::update_many()
        .col_expr(sessions::Column::LastUsedAt, Expr::value(to_ms(now)))
        .col_expr(sessions::Column::ExpiresAt, Expr::value(to_ms(expires_at)))
        .filter(sessions::Column::Id.eq(session.0))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(true)
}

/// Revokes one session; `false` if it was already revoked or is not the user's.
pub async fn revoke_session(
    db: &impl ConnectionTrait,
    user: Option<UserId>,
    id: SessionId,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let mut q = sessions::Entity::update_many()
        .col_expr(sessions::Column::RevokedAt, Expr::value(to_ms(now)))
        .col_expr(sessions::Column::RevokeReason, Expr::value(reason))
        .filter(sessions::Column::Id.eq(id.0))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(user) = user {
        q = q.filter(sessions::Column::UserId.eq(user.0));
    }
    Ok(q.exec(db).await?.rows_affected == 1)
}

/// Revokes every live session of a user but `except`; returns the ones revoked.
pub async fn revoke_user_sessions(
    db: &DatabaseConnection,
    user: UserId,
    except: Option<SessionId>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<Vec<SessionId>, StoreError> {
    let txn = db.begin().await?;
    let mut find = sessions::Entity::find()
        .select_only()
        .column(sessions::Column::Id)
        .filter(sessions::Column::UserId.eq(user.0))
        .filter(sessions::Column::RevokedAt.is_null());
    if let Some(keep) = except {
        find = find.filter(sessions::Column::Id.ne(keep.0));
    }
    let ids: Vec<i64> = find.into_tuple().all(&txn).await?;
    if !ids.is_empty() {
        sessions::Entity::update_many()
            .col_expr(sessions::Column::RevokedAt, Expr::value(to_ms(now)))
            .col_expr(sessions::Column::RevokeReason, Expr::value(reason))
            .filter(sessions::Column::Id.is_in(ids.clone()))
            .filter(sessions::Column::RevokedAt.is_null())
            .exec(&txn)
            .await?;
    }
    txn.commit().await?;
    Ok(ids.into_iter().map(SessionId).collect())
}
