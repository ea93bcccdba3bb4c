//! Sessions: opening one for a proved user, exchanging refresh tokens (one use each; a
//! reused token revokes the session), listing and revoking them. Every revocation is told
//! to every node, so cached session checks drop and sockets close.

use confab_proto::accounts::{SessionOut, TokenOut};
use confab_proto::ids::{SessionId, UserId};

use super::Origin;
use super::signin::usable;
use crate::accounts::auth::{self, AuthUser};
use crate::accounts::error::AccountsError;
use crate::accounts::model::{self, User};
use crate::accounts::store::{self, NewSession};
use crate::accounts::tokens::{hash_secret, new_refresh_token};
use crate::error::ApiError;
use crate::push::control::{self as events, Control};
use crate::state::AppState;

/// Opens a session for a user who proved who they are (password, code or provider).
pub async fn start_session(
    state: &AppState,
    user: &User,
    origin: Origin,
) -> Result<TokenOut, ApiError> {
    let now = state.clock.now();
    let refresh = new_refresh_token();
    let session = SessionId(state.ids.next_id());
    let device = model::device_name(origin.device.as_deref());
    store::create_session(
        state.store.writer(),
        NewSession {
            id: session,
            user_id: user.id,
            device: &device,
            ip: &origin.ip.to_string(),
            user_agent: &origin.user_agent,
            token_hash: &hash_secret(&refresh),
            now,
            expires_at: now + refresh_ttl(state),
        },
    )
    .await?;
    token_out(state, user, session, refresh)
}

fn refresh_ttl(state: &AppState) -> chrono::Duration {
    chrono::Duration::days(i64::try_from(state.config.auth.refresh_ttl_days).unwrap_or(30))
}

fn token_out(
    state: &AppState,
    user: &User,
    session: SessionId,
    refresh: String,
) -> Result<TokenOut, ApiError> {
    let access = auth::context(state)
        .tokens
        .issue(user.id, session, user.role, state.clock.now())
        .map_err(ApiError::internal)?;
    Ok(TokenOut {
        access_token: access,
        token_type: "Bearer".into(),
        expires_in: auth::context(state).tokens.ttl_secs(),
        refresh_token: refresh,
        session_id: session,
        user: user.me(),
    })
}

/// Exchanges a refresh token for new tokens. Each refresh token works once: presenting an
/// exchanged one again (a stolen copy, or a concurrent refresh that lost the race) revokes
/// the whole session, so no two live token chains can come from one token.
pub async fn refresh(state: &AppState, token: &str) -> Result<TokenOut, ApiError> {
    if token.is_empty() || token.len() > 128 {
        return Err(AccountsError::RefreshInvalid.into());
    }
    let hash = hash_secret(token);
    let now = state.clock.now();
    let Some((session_id, rotated)) = store::find_refresh(state.store.writer(), &hash).await?
    else {
        return Err(AccountsError::RefreshInvalid.into());
    };
    let session = store::find_session(state.store.writer(), session_id)
        .await?
        .ok_or(AccountsError::RefreshInvalid)?;
    if rotated {
        tracing::warn!(session_id = %session_id, "refresh token reused: revoking the session");
        revoke(state, session.user_id, vec![session_id], "refresh_reuse").await?;
        return Err(AccountsError::RefreshInvalid.into());
    }
    if !session.live(now) {
        return Err(AccountsError::RefreshInvalid.into());
    }
    let user = usable(store::find_user(state.store.writer(), session.user_id).await?).map_err(
        |e| match e {
            AccountsError::Disabled => e,
            _ => AccountsError::RefreshInvalid,
        },
    )?;
    let next = new_refresh_token();
    let rotated_now = store::rotate_refresh(
        state.store.writer(),
        &hash,
        &hash_secret(&next),
        session_id,
        now,
        now + refresh_ttl(state),
    )
    .await?;
    if !rotated_now {
        tracing::warn!(session_id = %session_id, "concurrent refresh with one token: revoking the session");
        revoke(state, session.user_id, vec![session_id], "refresh_reuse").await?;
        return Err(AccountsError::RefreshInvalid.into());
    }
    token_out(state, &user, session_id, next)
}

/// Tells every node that these sessions of `user` are revoked (nothing when there are none).
async fn announce(state: &AppState, user: UserId, ids: Vec<SessionId>) {
    if ids.is_empty() {
        return;
    }
    events::publish(
        state,
        Control::SessionsRevoked {
            user_id: user,
            session_ids: ids,
        },
    )
    .await;
}

/// Revokes the listed sessions of `user` (already marked in the store, or marks them) and
/// tells every node: cached checks are dropped and sockets closed.
async fn revoke(
    state: &AppState,
    user: UserId,
    ids: Vec<SessionId>,
    reason: &str,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    for id in &ids {
        store::revoke_session(state.store.writer(), Some(user), *id, reason, now).await?;
    }
    announce(state, user, ids).await;
    Ok(())
}

/// Revokes every session of `user` except `keep`; returns how many.
pub async fn revoke_all(
    state: &AppState,
    user: UserId,
    keep: Option<SessionId>,
    reason: &str,
) -> Result<usize, ApiError> {
    let ids =
        store::revoke_user_sessions(state.store.writer(), user, keep, reason, state.clock.now())
            .await?;
    let n = ids.len();
    announce(state, user, ids).await;
    Ok(n)
}

/// Signs out the calling session.
pub async fn logout(state: &AppState, auth: AuthUser) -> Result<(), ApiError> {
    revoke(state, auth.user_id, vec![auth.session_id], "logout").await
}

/// Signs out every session of the caller, this one included.
pub async fn logout_all(state: &AppState, auth: AuthUser) -> Result<usize, ApiError> {
    revoke_all(state, auth.user_id, None, "logout_all").await
}

/// The caller's live sessions.
pub async fn list_sessions(state: &AppState, auth: AuthUser) -> Result<Vec<SessionOut>, ApiError> {
    let rows = store::list_sessions(state.store.reader(), auth.user_id, state.clock.now()).await?;
    Ok(rows
        .into_iter()
        .map(|s| SessionOut {
            current: s.id == auth.session_id,
            id: s.id,
            device: s.device,
            ip: s.ip,
            user_agent: s.user_agent,
            created_at: s.created_at,
            last_used_at: s.last_used_at,
            expires_at: s.expires_at,
        })
        .collect())
}

/// Revokes one of the caller's sessions (404 if it is not theirs or already gone).
pub async fn revoke_session(
    state: &AppState,
    auth: AuthUser,
    id: SessionId,
) -> Result<(), ApiError> {
    let revoked = store::revoke_session(
        state.store.writer(),
        Some(auth.user_id),
        id,
        "revoked_by_user",
        state.clock.now(),
    )
    .await?;
    if !revoked {
        return Err(AccountsError::NoSuchSession.into());
    }
    announce(state, auth.user_id, vec![id]).await;
    Ok(())
}
