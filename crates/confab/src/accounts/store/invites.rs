//! Sign-up invite codes: made by administrators, kept as hashes, redeemed by one
//! conditional UPDATE inside the sign-up's transaction (so racing sign-ups never use a code
//! more often than it allows, on any backend), with a row per account made with one.

use chrono::{DateTime, Utc};
use confab_proto::ids::{SignupInviteId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect, Set,
};

use super::entities::{signup_invite_uses as uses, signup_invites as invites};
use crate::infra::store::{StoreError, from_ms, to_ms};

/// An invite code as stored (its hash only).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    /// Its id.
    pub id: SignupInviteId,
    /// Accounts it may make.
    pub max_uses: u32,
    /// Accounts it made.
    pub uses: u32,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// The administrator's note.
    pub note: String,
    /// Who made it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
}

impl Invite {
    /// Whether it would admit a sign-up at `now`.
    pub fn usable(&self, now: DateTime<Utc>) -> bool {
        self.revoked_at.is_none()
            && self.uses < self.max_uses
            && self.expires_at.is_none_or(|t| t > now)
    }
}

/// A new invite's fields.
pub struct NewInvite<'a> {
    /// Id.
    pub id: SignupInviteId,
    /// SHA-256 of the normalised code.
    pub code_hash: &'a str,
    /// Accounts it may make.
    pub max_uses: u32,
    /// Expiry.
    pub expires_at: Option<DateTime<Utc>>,
    /// Note.
    pub note: &'a str,
    /// The administrator.
    pub created_by: UserId,
    /// Now.
    pub now: DateTime<Utc>,
}

fn invite_of(m: invites::Model) -> Invite {
    Invite {
        id: SignupInviteId(m.id),
        max_uses: u32::try_from(m.max_uses).unwrap_or(0),
        uses: u32::try_from(m.uses).unwrap_or(0),
        expires_at: m.expires_at.map(from_ms),
        note: m.note,
        created_by: UserId(m.created_by),
        created_at: from_ms(m.created_at),
        revoked_at: m.revoked_at.map(from_ms),
    }
}

/// Stores a new invite.
pub async fn create_invite(
    db: &impl ConnectionTrait,
    new: NewInvite<'_>,
) -> Result<(), StoreError> {
    invites::ActiveModel {
        id: Set(new.id.0),
        code_hash: Set(new.code_hash.to_owned()),
        max_uses: Set(i32::try_from(new.max_uses).unwrap_or(i32::MAX)),
        uses: Set(0),
        expires_at: Set(new.expires_at.map(to_ms)),
        note: Set(new.note.to_owned()),
        created_by: Set(new.created_by.0),
        created_at: Set(to_ms(new.now)),
        revoked_at: Set(None),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The invite with this id.
pub async fn find_invite(
    db: &impl ConnectionTrait,
    id: SignupInviteId,
) -> Result<Option<Invite>, StoreError> {
    Ok(invites::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(invite_of))
}

/// The invite whose code hashes to `code_hash`.
pub async fn find_invite_by_hash(
    db: &impl ConnectionTrait,
    code_hash: &str,
) -> Result<Option<Invite>, StoreError> {
    Ok(invites::Entity::find()
        .filter(invites::Column::CodeHash.eq(code_hash))
        .one(db)
        .await?
        .map(invite_of))
}

/// Invites, newest first, with ids below `before` (a cursor), at most `limit`.
pub async fn list_invites(
    db: &impl ConnectionTrait,
    before: Option<SignupInviteId>,
    limit: u64,
) -> Result<Vec<Invite>, StoreError> {
    let mut q = invites::Entity::find();
    if let Some(b) = before {
        q = q.filter(invites::Column::Id.lt(b.0));
    }
    Ok(q.order_by_desc(invites::Column::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(invite_of)
        .collect())
}

/// Who signed up with an invite, oldest first.
pub async fn list_invite_uses(
    db: &impl ConnectionTrait,
    id: SignupInviteId,
) -> Result<Vec<(UserId, DateTime<Utc>)>, StoreError> {
    Ok(uses::Entity::find()
        .filter(uses::Column::InviteId.eq(id.0))
        .order_by_asc(uses::Column::UsedAt)
        .order_by_asc(uses::Column::UserId)
        .all(db)
        .await?
        .into_iter()
        .map(|u| (UserId(u.user_id), from_ms(u.used_at)))
        .collect())
}

/// Takes one use of the invite whose code hashes to `code_hash`, if it is usable at `now`:
/// one conditional UPDATE, so of racing sign-ups at most `max_uses` succeed. Run it in the
/// sign-up's transaction (a sign-up that fails later gives the use back by rolling back).
pub async fn redeem_invite(
    db: &impl ConnectionTrait,
    code_hash: &str,
    now: DateTime<Utc>,
) -> Result<Option<SignupInviteId>, StoreError> {
    let now = to_ms(now);
    let done = invites::Entity::update_many()
        .col_expr(
            invites::Column::Uses,
            Expr::col(invites::Column::Uses).add(1),
        )
        .filter(invites::Column::CodeHash.eq(code_hash))
        .filter(invites::Column::RevokedAt.is_null())
        .filter(Expr::col(invites::Column::Uses).lt(Expr::col(invites::Column::MaxUses)))
        .filter(
            Condition::any()
                .add(invites::Column::ExpiresAt.is_null())
                .add(invites::Column::ExpiresAt.gt(now)),
        )
        .exec(db)
        .await?;
    if done.rows_affected != 1 {
        return Ok(None);
    }
    Ok(find_invite_by_hash(db, code_hash).await?.map(|i| i.id))
}

/// Records that `user` signed up with invite `id`.
pub async fn record_invite_use(
    db: &impl ConnectionTrait,
    id: SignupInviteId,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    uses::ActiveModel {
        invite_id: Set(id.0),
        user_id: Set(user.0),
        used_at: Set(to_ms(now)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// Revokes an invite (no further use); true if it existed and was not revoked yet.
pub async fn revoke_invite(
    db: &impl ConnectionTrait,
    id: SignupInviteId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = invites::Entity::update_many()
        .col_expr(invites::Column::RevokedAt, Expr::value(to_ms(now)))
        .filter(invites::Column::Id.eq(id.0))
        .filter(invites::Column::RevokedAt.is_null())
        .exec(db)
        .await?;
    Ok(done.rows_affected == 1)
}
