//! Account rules: sign-up, password sign-in, sessions and refresh rotation, profiles,
//! search, and administrative status changes. One file per topic; the functions are
//! re-exported here, so callers name them `service::…`.
//!
//! - [`users`]: loading users and their public profiles.
//! - [`signup`]: sign-up with a password, and operator-made administrators.
//! - [`signin`]: password sign-in, the per-identifier failure cap, which accounts may sign in.
//! - [`sessions`]: opening, refreshing, listing and revoking sessions.
//! - [`profile`]: the caller's own account and its profile fields.
//! - [`credentials`]: changing the password, deleting the account.
//! - [`search`]: finding users.
//! - [`admin`]: disabling and enabling accounts.

use std::net::IpAddr;
use std::time::Duration;

use crate::error::ApiError;
use crate::ratelimit;
use crate::state::AppState;

mod admin;
mod credentials;
mod profile;
mod search;
mod sessions;
mod signin;
mod signup;
mod users;

pub use admin::{disable_user, enable_user};
pub use credentials::{change_password, delete_me, set_new_password};
pub use profile::{me, update_me};
pub use search::search;
pub use sessions::{
    list_sessions, logout, logout_all, refresh, revoke_all, revoke_session, start_session,
};
pub use signin::{identify, login, usable};
pub use signup::{create_admin, register};
pub use users::{count_users, find_user, get_user, public_user, public_users};

/// Where a sign-in comes from (for the session list and rate limits).
#[derive(Debug, Clone)]
pub struct Origin {
    /// Client IP.
    pub ip: IpAddr,
    /// Client User-Agent.
    pub user_agent: String,
    /// Device name given by the client.
    pub device: Option<String>,
}

const MINUTE: Duration = Duration::from_secs(60);

/// Per-IP limit on sign-in / sign-up style endpoints.
pub async fn limit_ip(state: &AppState, what: &str, ip: IpAddr) -> Result<(), ApiError> {
    ratelimit::hit(
        state,
        &format!("{what}:ip:{ip}"),
        state.config.auth.attempts_per_ip_per_minute,
        MINUTE,
    )
    .await
}
