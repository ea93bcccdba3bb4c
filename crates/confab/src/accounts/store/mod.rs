//! The accounts feature's SQL: users, sessions, refresh tokens, identities. Private to the
//! feature (`mod store`); the rest of it sees [`User`](super::model::User) and the row
//! structs here. Entities are private to the store ([`entities`]).
//!
//! Layout: [`users`] (accounts, profiles, search, status), [`sessions`] (sessions and their
//! refresh tokens), [`identities`] (linked provider accounts); here, what a write may
//! collide with.

use sea_orm::DbErr;

use crate::infra::store::{StoreError, unique_violation};

mod entities;
mod identities;
mod invites;
mod sessions;
mod users;

pub use identities::{create_identity, delete_identity, find_identity, list_identities};
pub use invites::{
    Invite, NewInvite, create_invite, find_invite, find_invite_by_hash, list_invite_uses,
    list_invites, record_invite_use, redeem_invite, revoke_invite,
};
pub use sessions::{
    NewSession, create_session, find_refresh, find_session, list_sessions, revoke_session,
    revoke_user_sessions, rotate_refresh,
};
pub use users::{
    NewUser, ProfileChange, count_users, create_user, find_user, find_user_by, find_users,
    scrub_user, search_users, set_email, set_level, set_password, set_phone, set_role, set_status,
    set_vip_until, update_profile,
};

/// Which unique field a write collided with.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Taken {
    /// `username`
    Username,
    /// `email`
    Email,
    /// `phone`
    Phone,
    /// a provider identity
    Identity,
}

/// A write that may collide with a unique field.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// Another row holds the value.
    #[error("already taken: {0:?}")]
    Taken(Taken),
    /// The database failed.
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<DbErr> for WriteError {
    fn from(e: DbErr) -> Self {
        match unique_violation(&e) {
            Some(msg) if msg.contains("username") => WriteError::Taken(Taken::Username),
            Some(msg) if msg.contains("email") => WriteError::Taken(Taken::Email),
            Some(msg) if msg.contains("phone") => WriteError::Taken(Taken::Phone),
            Some(_) => WriteError::Taken(Taken::Identity),
            None => WriteError::Store(StoreError::from(e)),
        }
    }
}
