//! Who is calling: the bearer-token extractors and the live-session check behind them.

use std::time::Duration;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use confab_proto::ids::{SessionId, UserId};

use super::error::AccountsError;
use super::model::{Role, Status};
use super::password::Passwords;
use super::store;
use super::tokens::{TokenError, TokenKeys};
use crate::error::ApiError;
use crate::http::middleware::UserSlot;
use crate::state::AppState;

/// How long a node trusts its cached answer to "is this session live?". Revocations are
/// pushed to every node over the bus at once; this bounds staleness only if the bus was down.
const SESSION_CHECK_TTL: Duration = Duration::from_secs(10);

/// Shared auth machinery.
pub struct AuthContext {
    /// JWT keys.
    pub tokens: TokenKeys,
    /// Password hashing.
    pub passwords: Passwords,
    /// Cached live-session checks.
    pub sessions: SessionCheck,
    /// What accounts asks of the features above it.
    pub(super) hooks: super::hooks::Hooks,
}

/// The node's auth machinery (installed in the state at start-up).
pub fn context(state: &AppState) -> &AuthContext {
    state.slot::<AuthContext>()
}

/// The key file URLs are signed with (media).
pub fn file_url_key(state: &AppState) -> &[u8] {
    context(state).tokens.file_url_key()
}

/// Forgets cached session checks (on revocation, here or on another node).
pub struct SessionsHandler;

#[async_trait::async_trait]
impl crate::push::ControlHandler for SessionsHandler {
    async fn apply(&self, state: &AppState, msg: &crate::push::Control) {
        if let crate::push::Control::SessionsRevoked { session_ids, .. } = msg {
            context(state).sessions.forget(session_ids).await;
        }
    }

    async fn gap(&self, state: &AppState) {
        // A revocation may have been missed.
        context(state).sessions.forget_all();
    }
}

#[derive(Clone, Copy, Debug)]
struct Live {
    user: UserId,
    role: Role,
    /// `None` when live; otherwise why not.
    refused: Option<AccountsError>,
}

/// Answers "is this session still live, and what is its user's current role?".
pub struct SessionCheck {
    cache: moka::future::Cache<i64, Live>,
}

impl Default for SessionCheck {
    fn default() -> Self {
        Self {
            cache: moka::future::Cache::builder()
                .max_capacity(200_000)
                .time_to_live(SESSION_CHECK_TTL)
                .build(),
        }
    }
}

impl SessionCheck {
    /// Forgets cached answers for these sessions (they were revoked).
    pub async fn forget(&self, ids: &[SessionId]) {
        for id in ids {
            self.cache.invalidate(&id.0).await;
        }
    }

    /// Forgets every cached answer.
    pub fn forget_all(&self) {
        self.cache.invalidate_all();
    }

    async fn check(
        &self,
        state: &AppState,
        user: UserId,
        session: SessionId,
    ) -> Result<Role, ApiError> {
        let live = match self.cache.get(&session.0).await {
            Some(l) => l,
            None => {
                let live = Self::load(state, user, session).await?;
                self.cache.insert(session.0, live).await;
                live
            }
        };
        if live.user != user {
            return Err(AccountsError::InvalidAccessToken.into());
        }
        match live.refused {
            None => Ok(live.role),
            Some(why) => Err(why.into()),
        }
    }

    /// The answer from the store: the session must be live and its account active.
    async fn load(state: &AppState, user: UserId, session: SessionId) -> Result<Live, ApiError> {
        let now = state.clock.now();
        let db = state.store.reader();
        let row = store::find_session(db, session).await?;
        let account = store::find_user(db, user).await?;
        Ok(match (row, account) {
            (Some(s), Some(u)) if s.user_id == user => Live {
                user,
                role: u.role,
                refused: if !s.live(now) {
                    Some(AccountsError::SessionRevoked)
                } else if u.status == Status::Disabled {
                    Some(AccountsError::Disabled)
                } else if u.status == Status::Deleted {
                    Some(AccountsError::SessionRevoked)
                } else {
                    None
                },
            },
            _ => Live {
                user,
                role: Role::User,
                refused: Some(AccountsError::SessionRevoked),
            },
        })
    }
}

impl AuthContext {
    /// Builds the auth machinery from config.
    pub fn new(config: &crate::config::Config) -> anyhow::Result<Self> {
        Ok(Self {
            tokens: TokenKeys::load(config)?,
            passwords: Passwords::new(&config.auth)?,
            sessions: SessionCheck::default(),
            hooks: super::hooks::Hooks::default(),
        })
    }
}

/// A signed-in caller with a live session.
#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    /// The user.
    pub user_id: UserId,
    /// This device's session.
    pub session_id: SessionId,
    /// The user's current role.
    pub role: Role,
}

/// Verifies a bearer token and that its session is live (shared by HTTP and WebSocket).
pub async fn authenticate(state: &AppState, token: &str) -> Result<AuthUser, ApiError> {
    let auth = context(state);
    let t = auth
        .tokens
        .verify(token, state.clock.now())
        .map_err(|e| match e {
            TokenError::Expired => AccountsError::AccessTokenExpired,
            TokenError::Invalid => AccountsError::InvalidAccessToken,
        })?;
    let role = auth.sessions.check(state, t.user_id, t.session_id).await?;
    Ok(AuthUser {
        user_id: t.user_id,
        session_id: t.session_id,
        role,
    })
}

/// The token from `Authorization: Bearer …`.
pub fn bearer(parts: &Parts) -> Option<&str> {
    let v = parts.headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequestParts<AppState> for AuthUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let token = bearer(parts).ok_or(AccountsError::SignInFirst)?;
        let user = authenticate(state, token).await?;
        if let Some(slot) = parts.extensions.get::<UserSlot>() {
            let _ = slot.0.set(user.user_id);
        }
        // The request's span (and so every log line after this) names the user.
        tracing::Span::current().record("user_id", user.user_id.0);
        Ok(user)
    }
}

/// A signed-in system administrator.
#[derive(Debug, Clone, Copy)]
pub struct AdminUser(pub AuthUser);

impl FromRequestParts<AppState> for AdminUser {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &AppState) -> Result<Self, ApiError> {
        let user = AuthUser::from_request_parts(parts, state).await?;
        if user.role != Role::Admin {
            return Err(AccountsError::AdminsOnly.into());
        }
        Ok(AdminUser(user))
    }
}
