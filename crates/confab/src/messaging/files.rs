//! Files carried by messages: a member may download an attachment of a message they can see
//! (inside their window, not recalled). Media asks through [`AttachmentAccess`], registered
//! at start-up.

use async_trait::async_trait;
use confab_proto::ids::{FileId, UserId};
use sea_orm::{ConnectionTrait, Statement};

use crate::error::ApiError;
use crate::infra::store::StoreError;
use crate::media::access::FileAccess;
use crate::state::AppState;

/// Messaging's answer to media's "may this user read this file?".
pub struct AttachmentAccess;

#[async_trait]
impl FileAccess for AttachmentAccess {
    async fn may_read(
        &self,
        state: &AppState,
        user: UserId,
        file: FileId,
    ) -> Result<bool, ApiError> {
        let db = state.store.reader();
        let stmt = Statement::from_sql_and_values(
            db.get_database_backend(),
            "SELECT 1 AS x FROM message_files f \
             JOIN conversation_members m ON m.conversation_id = f.conversation_id AND m.user_id = ? \
             JOIN messages g ON g.conversation_id = f.conversation_id AND g.seq = f.seq \
             WHERE f.file_id = ? AND g.recalled_at IS NULL \
               AND f.seq > m.joined_seq AND f.seq > m.cleared_seq \
               AND (m.left_seq IS NULL OR f.seq <= m.left_seq) \
             LIMIT 1",
            [user.0.into(), file.0.into()],
        );
        Ok(db
            .query_one_raw(stmt)
            .await
            .map_err(StoreError::from)?
            .is_some())
    }
}
