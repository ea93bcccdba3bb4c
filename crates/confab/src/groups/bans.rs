//! Removing people: kicks (optionally with a ban), bans of members and non-members, lifting
//! them, the list of bans in force; and the rank rule every moderation step checks
//! ([`moderated`]).

use confab_proto::groups::{BanIn, BanOut, KickQuery};
use confab_proto::ids::{GroupId, UserId};
use sea_orm::DatabaseTransaction;

use super::change::{alive, at, locked, manager, member, membership};
use super::error::GroupsError;
use super::members::remove;
use super::model::{self, Texts};
use super::store::{self, Ban, Group, Member};
use crate::error::ApiError;
use crate::state::AppState;

/// Checks that `actor` may moderate `target` and returns the target's row.
pub(crate) async fn moderated(
    txn: &DatabaseTransaction,
    g: &Group,
    actor: &Member,
    target: UserId,
) -> Result<Member, ApiError> {
    manager(actor)?;
    if target == actor.user_id {
        return Err(GroupsError::SelfTarget.into());
    }
    let t = store::find_member(txn, g.id, target)
        .await?
        .ok_or(GroupsError::NoMember)?;
    if !model::outranks(actor.role, t.role) {
        return Err(GroupsError::Outranked.into());
    }
    Ok(t)
}

/// Kicks a member (owner or admin over a lower role), optionally banning them.
pub async fn kick(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
    q: KickQuery,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let ban_until = match q.ban_until {
        Some(t) => Some(Some(model::future(now, t, "ban_until")?)),
        None if q.ban == Some(true) => Some(None),
        None => None,
    };
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        moderated(txn, &g, &m, target).await?;
        let ban = ban_until.map(|until| Ban {
            group_id: g.id,
            user_id: target,
            until,
            by: me,
            reason: None,
            created_at: crate::infra::store::from_ms(now.timestamp_millis()),
        });
        if let Some(b) = &ban {
            store::put_ban(txn, b).await?;
        }
        remove(state, txn, lock, &mut g, target, me, ban.as_ref(), fx).await
    })
    .await
}

fn ban_out(b: &Ban) -> BanOut {
    BanOut {
        group_id: b.group_id,
        user_id: b.user_id,
        until: b.until.map(at),
        by: b.by,
        reason: b.reason.clone(),
        created_at: b.created_at,
    }
}

/// The bans still in force (owner or admin).
pub async fn bans(state: &AppState, me: UserId, id: GroupId) -> Result<Vec<BanOut>, ApiError> {
    let (_, m) = membership(state, id, me).await?;
    manager(&m)?;
    let now = state.clock.now();
    Ok(store::list_bans(state.store.reader(), id)
        .await?
        .iter()
        .filter(|b| b.active_at(now))
        .map(ban_out)
        .collect())
}

/// Bans a user (owner or admin): a member is kicked with it (rank rules apply); anyone
/// else is kept from joining by any path until it ends. Setting it again replaces it.
pub async fn ban(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
    input: BanIn,
) -> Result<BanOut, ApiError> {
    let now = state.clock.now();
    let until = match input.until {
        Some(t) => Some(model::future(now, t, "until")?),
        None => None,
    };
    let mut texts = Texts::new(state);
    let reason = texts.note("reason", input.reason.as_deref())?;
    if target == me {
        return Err(GroupsError::SelfBan.into());
    }
    crate::accounts::service::get_user(state, target).await?;
    let out = locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        let b = Ban {
            group_id: g.id,
            user_id: target,
            until,
            by: me,
            reason,
            created_at: crate::infra::store::from_ms(now.timestamp_millis()),
        };
        let is_member = store::find_member(txn, g.id, target).await?.is_some();
        if is_member {
            moderated(txn, &g, &m, target).await?;
        }
        store::put_ban(txn, &b).await?;
        if is_member {
            remove(state, txn, lock, &mut g, target, me, Some(&b), fx).await?;
        }
        Ok(ban_out(&b))
    })
    .await?;
    texts.file_reviews(id, me).await;
    Ok(out)
}

/// Lifts a ban (owner or admin).
pub async fn unban(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
) -> Result<(), ApiError> {
    locked(state, id, async |txn, _lock, g, _fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        if !store::delete_ban(txn, g.id, target).await? {
            return Err(GroupsError::NoBan.into());
        }
        Ok(())
    })
    .await
}
