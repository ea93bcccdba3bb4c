//! Rules for using uploaded files.

use confab_proto::ErrorCode;
use confab_proto::ids::{FileId, UserId};

use super::store::{self, Upload};
use crate::error::ApiError;
use crate::state::AppState;

/// The file, if `user` uploaded it and it is an image (avatars, covers).
pub async fn require_own_image(
    state: &AppState,
    user: UserId,
    file: FileId,
) -> Result<Upload, ApiError> {
    match store::find_upload(state.store.reader(), file).await? {
        Some(u) if u.owner == user && u.kind == "image" => Ok(u),
        Some(u) if u.owner == user => Err(ApiError::new(
            ErrorCode::UnsupportedFileType,
            "that file is not an image",
        )
        .with_field("avatar")),
        _ => Err(ApiError::new(ErrorCode::NotFound, "no such file of yours").with_field("avatar")),
    }
}
