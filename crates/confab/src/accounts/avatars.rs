//! Avatars as others see them: a file that is some active user's avatar is visible to
//! everyone signed in (media asks before a download).

use confab_proto::ids::FileId;
use sea_orm::{ConnectionTrait, Statement};

use crate::error::ApiError;
use crate::state::AppState;

/// Whether `file` is some active user's avatar.
pub async fn is_public_avatar(state: &AppState, file: FileId) -> Result<bool, ApiError> {
    let db = state.store.reader();
    let stmt = Statement::from_sql_and_values(
        db.get_database_backend(),
        "SELECT 1 AS x FROM users WHERE avatar = ? AND status = 'active' LIMIT 1",
        [file.0.into()],
    );
    Ok(db
        .query_one_raw(stmt)
        .await
        .map_err(crate::infra::store::StoreError::from)?
        .is_some())
}
