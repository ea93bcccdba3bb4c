//! A user's standing on their profile: the level and VIP expiry that gifts decides (lifetime
//! spend, VIP purchases and grants) and accounts shows on `UserOut` and `MeOut`. Gifts writes
//! them here, inside its own transaction, so a spend and the level it earns commit together.

use chrono::{DateTime, Utc};
use confab_proto::ids::UserId;
use sea_orm::{ConnectionTrait, DbErr};

use super::store;
use crate::error::ApiError;

/// Sets the user's level.
pub async fn set_level(db: &impl ConnectionTrait, user: UserId, level: u32) -> Result<(), DbErr> {
    store::set_level(db, user, level).await
}

/// Sets (or clears, with `None`) the user's VIP expiry.
pub async fn set_vip_until(
    db: &impl ConnectionTrait,
    user: UserId,
    until: Option<DateTime<Utc>>,
) -> Result<(), DbErr> {
    store::set_vip_until(db, user, until).await
}

/// The user's VIP expiry as `db` sees it (inside the caller's transaction).
pub async fn vip_until(
    db: &impl ConnectionTrait,
    user: UserId,
) -> Result<Option<DateTime<Utc>>, ApiError> {
    Ok(store::find_user(db, user).await?.and_then(|u| u.vip_until))
}
