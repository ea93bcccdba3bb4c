//! A user's push settings: `private_previews` (pushes carry no message text). Users who
//! never set anything have the defaults.

use confab_proto::ids::UserId;
use confab_proto::push::{PushSettingsOut, PushSettingsPatch};

use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// My push settings.
pub async fn get(state: &AppState, me: UserId) -> Result<PushSettingsOut, ApiError> {
    Ok(PushSettingsOut {
        private_previews: private_previews(state, me).await?,
    })
}

/// Changes my push settings; absent fields stay.
pub async fn patch(
    state: &AppState,
    me: UserId,
    input: PushSettingsPatch,
) -> Result<PushSettingsOut, ApiError> {
    if let Some(p) = input.private_previews {
        store::set_private_previews(state.store.writer(), me, p, state.clock.now()).await?;
    }
    get(state, me).await
}

/// Whether `user` hides message text in pushes (default: no).
pub async fn private_previews(state: &AppState, user: UserId) -> Result<bool, ApiError> {
    Ok(store::find_private_previews(state.store.reader(), user)
        .await?
        .unwrap_or(false))
}
