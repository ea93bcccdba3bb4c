//! Group avatars: readable by everyone who may see the group (anyone for a public group, its
//! members for a private one). Media asks through [`AvatarAccess`], registered at start-up.

use async_trait::async_trait;
use confab_proto::ids::{FileId, UserId};

use super::store;
use crate::error::ApiError;
use crate::media::access::FileAccess;
use crate::state::AppState;

/// Groups' answer to media's "may this user read this file?".
pub struct AvatarAccess;

#[async_trait]
impl FileAccess for AvatarAccess {
    async fn may_read(
        &self,
        state: &AppState,
        user: UserId,
        file: FileId,
    ) -> Result<bool, ApiError> {
        Ok(store::avatar_visible(state.store.reader(), file, user).await?)
    }
}
