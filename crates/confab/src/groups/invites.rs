//! Invite tokens (made by the owner or an admin; expiry, max uses, revocable) and join
//! requests (approved or declined by the owner or an admin).

use base64::Engine;
use chrono::Duration;
use confab_proto::groups::{GroupOut, InviteIn, InviteOut, JoinOut, JoinRequestOut, Role};
use confab_proto::ids::{GroupId, JoinRequestId, UserId};

use super::change::{alive, locked, manager, member, membership};
use super::error::GroupsError;
use super::members::{admit, not_banned};
use super::service::group_out;
use super::store::{self, Invite, JoinRequest};
use crate::error::ApiError;
use crate::state::AppState;

fn invite_out(i: &Invite) -> InviteOut {
    InviteOut {
        token: i.token.clone(),
        group_id: i.group_id,
        creator_id: i.creator_id,
        expires_at: i.expires_at,
        max_uses: i.max_uses,
        uses: i.uses,
        revoked_at: i.revoked_at,
        created_at: i.created_at,
    }
}

/// The wire form of a join request.
pub(crate) fn request_out(r: &JoinRequest) -> JoinRequestOut {
    JoinRequestOut {
        id: r.id,
        group_id: r.group_id,
        user_id: r.user_id,
        message: r.message.clone(),
        status: r.status.clone(),
        created_at: r.created_at,
    }
}

/// 256 random bits, URL-safe: unguessable, so holding the token is the permission.
fn new_token() -> String {
    let bytes: [u8; 32] = rand::random();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

/// Whether a string could be a token (bounded before any lookup).
fn plausible(token: &str) -> bool {
    (16..=64).contains(&token.len())
        && token
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
}

/// Makes an invite (owner or admin).
pub async fn create(
    state: &AppState,
    me: UserId,
    id: GroupId,
    input: InviteIn,
) -> Result<InviteOut, ApiError> {
    if let Some(s) = input.expires_in_secs
        && !(60..=365 * 86_400).contains(&s)
    {
        return Err(GroupsError::InviteExpiry.into());
    }
    if let Some(m) = input.max_uses
        && !(1..=100_000).contains(&m)
    {
        return Err(GroupsError::InviteUses.into());
    }
    let (g, m) = membership(state, id, me).await?;
    manager(&m)?;
    alive(&g)?;
    let now = crate::infra::store::from_ms(state.clock.now().timestamp_millis());
    let i = Invite {
        token: new_token(),
        group_id: id,
        creator_id: me,
        expires_at: input
            .expires_in_secs
            .and_then(|s| i64::try_from(s).ok())
            .map(|s| now + Duration::seconds(s)),
        max_uses: input.max_uses,
        uses: 0,
        revoked_at: None,
        created_at: now,
    };
    store::insert_invite(state.store.writer(), &i).await?;
    Ok(invite_out(&i))
}

/// A group's invites, with their makers and use counts (owner or admin).
pub async fn list(state: &AppState, me: UserId, id: GroupId) -> Result<Vec<InviteOut>, ApiError> {
    let (_, m) = membership(state, id, me).await?;
    manager(&m)?;
    let db = state.store.reader();
    Ok(store::list_invites(db, id)
        .await?
        .iter()
        .map(invite_out)
        .collect())
}

/// Revokes an invite (owner or admin). Revoking a revoked invite succeeds again.
pub async fn revoke(
    state: &AppState,
    me: UserId,
    id: GroupId,
    token: &str,
) -> Result<(), ApiError> {
    let (_, m) = membership(state, id, me).await?;
    manager(&m)?;
    let db = state.store.reader();
    let found = if plausible(token) {
        store::find_invite(db, token).await?
    } else {
        None
    };
    match found {
        Some(i) if i.group_id == id => {
            store::revoke_invite(state.store.writer(), token, state.clock.now()).await?;
            Ok(())
        }
        _ => Err(GroupsError::NoInvite.into()),
    }
}

/// Joins a group with an invite token (any group visibility or join policy: the invite is
/// the owner's or an admin's consent). Bans and the member limit still hold.
pub async fn accept(state: &AppState, me: UserId, token: &str) -> Result<GroupOut, ApiError> {
    if !plausible(token) {
        return Err(GroupsError::InviteInvalid.into());
    }
    let i = store::find_invite(state.store.reader(), token)
        .await?
        .ok_or(GroupsError::InviteInvalid)?;
    locked(state, i.group_id, async |txn, lock, mut g, fx| {
        // Re-read under the lock: the last use of a limited invite goes to one joiner only.
        let i = store::find_invite(txn, token)
            .await?
            .ok_or(GroupsError::InviteInvalid)?;
        if !i.usable_at(state.clock.now()) {
            return Err(GroupsError::InviteInvalid.into());
        }
        alive(&g)?;
        admit(state, txn, lock, &mut g, me, i.creator_id, fx).await?;
        store::use_invite(txn, token).await?;
        Ok(group_out(&g, Some(Role::Member)))
    })
    .await
}

/// Pending join requests, oldest first (owner or admin).
pub async fn requests(
    state: &AppState,
    me: UserId,
    id: GroupId,
) -> Result<Vec<JoinRequestOut>, ApiError> {
    let (_, m) = membership(state, id, me).await?;
    manager(&m)?;
    let db = state.store.reader();
    Ok(store::list_pending_requests(db, id)
        .await?
        .iter()
        .map(request_out)
        .collect())
}

/// Approves or declines a pending request (owner or admin); approving admits the user.
pub async fn decide(
    state: &AppState,
    me: UserId,
    id: GroupId,
    request: JoinRequestId,
    approve: bool,
) -> Result<JoinRequestOut, ApiError> {
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        manager(&m)?;
        alive(&g)?;
        let mut r = match store::find_request(txn, request).await? {
            Some(r) if r.group_id == g.id => r,
            _ => return Err(GroupsError::NoJoinRequest.into()),
        };
        if r.status != "pending" {
            return Err(GroupsError::RequestDecided {
                status: r.status.clone(),
            }
            .into());
        }
        let status = if approve { "approved" } else { "declined" };
        if approve {
            not_banned(state, txn, &g, r.user_id).await?;
            admit(state, txn, lock, &mut g, r.user_id, me, fx).await?;
        }
        store::decide_request(txn, r.id, status, me, state.clock.now()).await?;
        r.status = status.into();
        Ok(request_out(&r))
    })
    .await
}

/// Shapes the answer of a join: 200 with the group, or 202 with the request.
pub fn join_status(out: &JoinOut) -> axum::http::StatusCode {
    match out {
        JoinOut::Joined(_) => axum::http::StatusCode::OK,
        JoinOut::Requested(_) => axum::http::StatusCode::ACCEPTED,
    }
}
