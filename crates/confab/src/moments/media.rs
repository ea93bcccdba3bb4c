//! Who may download a moment's files: anyone who may see a moment carrying the file (the
//! author's own uploads; the owner is let in by media itself), and anyone signed in for a
//! user's cover image unless a block stands between them. Registered with media at
//! start-up as a [`FileAccess`].

use async_trait::async_trait;
use confab_proto::ids::{FileId, UserId};

use super::access::Lens;
use super::store::{posts, settings};
use crate::error::ApiError;
use crate::media::access::FileAccess;
use crate::state::AppState;

/// Moments' answer to media's "may this user read this file?".
pub struct MomentFileAccess;

#[async_trait]
impl FileAccess for MomentFileAccess {
    async fn may_read(
        &self,
        state: &AppState,
        user: UserId,
        file: FileId,
    ) -> Result<bool, ApiError> {
        let db = state.store.reader();
        let mut lens = Lens::new(state, user);
        for p in posts::with_file(db, file).await? {
            if lens.may_see(&p).await? {
                return Ok(true);
            }
        }
        Ok(settings::is_cover(db, file).await?)
    }
}
