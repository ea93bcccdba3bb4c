//! Room covers are public to everyone signed in: a room is listed to all, so its cover is
//! too. Media asks through [`CoverAccess`] (registered at start-up) before refusing a file
//! to anyone but its uploader.

use async_trait::async_trait;
use confab_proto::ids::{FileId, UserId};

use super::store::covers_in_use;
use crate::error::ApiError;
use crate::media::access::FileAccess;
use crate::state::AppState;

/// Rooms' answer to media's "may this user read this file?".
pub struct CoverAccess;

#[async_trait]
impl FileAccess for CoverAccess {
    async fn may_read(
        &self,
        state: &AppState,
        _user: UserId,
        file: FileId,
    ) -> Result<bool, ApiError> {
        Ok(covers_in_use(state.store.reader(), file).await? > 0)
    }
}
