//! Backpacks: items of gifts granted by administrators (or with a top-up), with counts and
//! an optional expiry. Sends take the soonest-expiring items first (`store::backpack::take`);
//! expired items are never listed nor spendable.

use confab_proto::gifts::{BackpackOut, GrantIn};
use confab_proto::ids::UserId;
use sea_orm::DatabaseTransaction;

use super::error::GiftsError;
use super::model::MAX_GRANT;
use super::store::{backpack, catalog};
use crate::error::ApiError;
use crate::state::AppState;

/// My spendable items, soonest-expiring first.
pub async fn list(state: &AppState, me: UserId) -> Result<BackpackOut, ApiError> {
    let items = backpack::list(state.store.reader(), me, state.clock.now()).await?;
    Ok(BackpackOut { items })
}

/// Checks a grant: an existing gift, 1–100,000 items, an expiry in the future.
pub(crate) async fn check_grant(state: &AppState, g: &GrantIn) -> Result<(), ApiError> {
    if !(1..=MAX_GRANT).contains(&g.count) {
        return Err(GiftsError::Invalid("count", "1 to 100,000").into());
    }
    if g.expires_at.is_some_and(|e| e <= state.clock.now()) {
        return Err(GiftsError::Invalid("expires_at", "must be in the future").into());
    }
    catalog::find(state.store.reader(), g.gift_id)
        .await?
        .ok_or(GiftsError::NoGift)?;
    Ok(())
}

/// Adds a checked grant inside the caller's transaction.
pub(crate) async fn grant_in(
    state: &AppState,
    txn: &DatabaseTransaction,
    user: UserId,
    g: &GrantIn,
    reason: &str,
) -> Result<(), ApiError> {
    let id = state.ids.next_id();
    let now = state.clock.now();
    backpack::grant(txn, id, user, g.gift_id, g.count, g.expires_at, reason, now).await?;
    Ok(())
}

/// An administrator grants items to a user.
pub async fn grant(
    state: &AppState,
    admin: UserId,
    user: UserId,
    g: GrantIn,
) -> Result<BackpackOut, ApiError> {
    check_grant(state, &g).await?;
    crate::accounts::service::find_user(state, user, false)
        .await?
        .ok_or(GiftsError::NoUser)?;
    let id = state.ids.next_id();
    let now = state.clock.now();
    backpack::grant(
        state.store.writer(),
        id,
        user,
        g.gift_id,
        g.count,
        g.expires_at,
        "admin",
        now,
    )
    .await?;
    let details = serde_json::json!({
        "gift_id": g.gift_id, "count": g.count, "expires_at": g.expires_at,
    });
    crate::moderation::audit::audit(
        state,
        admin,
        "backpack.grant",
        "user",
        user.to_string(),
        details,
    )
    .await?;
    let items = backpack::list(state.store.reader(), user, now).await?;
    Ok(BackpackOut { items })
}
