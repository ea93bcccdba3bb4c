//! The uploads table.

use chrono::{DateTime, Utc};
use confab_proto::ids::{FileId, UserId};
use sea_orm::{ActiveModelTrait, ConnectionTrait, EntityTrait, Set};

use super::model::UploadKind;
use crate::infra::store::{StoreError, from_ms, to_ms};

mod uploads {
    use sea_orm::entity::prelude::*;

    #[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
    #[sea_orm(table_name = "uploads")]
    pub struct Model {
        #[sea_orm(primary_key, auto_increment = false)]
        pub id: i64,
        pub owner_id: i64,
        pub kind: String,
        pub storage_key: String,
        pub thumb_key: Option<String>,
        pub content_type: String,
        pub size: i64,
        pub sha256: String,
        pub width: Option<i32>,
        pub height: Option<i32>,
        pub duration_ms: Option<i64>,
        pub file_name: String,
        pub created_at: i64,
    }

    #[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
    pub enum Relation {}

    impl ActiveModelBehavior for ActiveModel {}
}

/// An uploaded file's metadata.
#[derive(Debug, Clone)]
pub struct Upload {
    /// Id.
    pub id: FileId,
    /// Who uploaded it.
    pub owner: UserId,
    /// `image`, `video`, `audio` or `file`.
    pub kind: UploadKind,
    /// Blob key of the bytes.
    pub storage_key: String,
    /// Blob key of the thumbnail (images).
    pub thumb_key: Option<String>,
    /// Sniffed MIME type.
    pub content_type: String,
    /// Bytes.
    pub size: i64,
    /// SHA-256 hex of the bytes.
    pub sha256: String,
    /// Pixels (images, videos).
    pub width: Option<i32>,
    /// Pixels (images, videos).
    pub height: Option<i32>,
    /// Length (audio, video).
    pub duration_ms: Option<i64>,
    /// The client's name for it (metadata only).
    pub file_name: String,
    /// Uploaded.
    pub created_at: DateTime<Utc>,
}

fn upload_of(m: uploads::Model) -> Upload {
    Upload {
        id: FileId(m.id),
        owner: UserId(m.owner_id),
        // Only the four kinds are ever stored; anything else is served as a plain file.
        kind: UploadKind::parse(&m.kind).unwrap_or(UploadKind::File),
        storage_key: m.storage_key,
        thumb_key: m.thumb_key,
        content_type: m.content_type,
        size: m.size,
        sha256: m.sha256,
        width: m.width,
        height: m.height,
        duration_ms: m.duration_ms,
        file_name: m.file_name,
        created_at: from_ms(m.created_at),
    }
}

/// Records an uploaded file.
pub async fn create_upload(db: &impl ConnectionTrait, u: &Upload) -> Result<(), StoreError> {
    uploads::ActiveModel {
        id: Set(u.id.0),
        owner_id: Set(u.owner.0),
        kind: Set(u.kind.as_str().to_owned()),
        storage_key: Set(u.storage_key.clone()),
        thumb_key: Set(u.thumb_key.clone()),
        content_type: Set(u.content_type.clone()),
        size: Set(u.size),
        sha256: Set(u.sha256.clone()),
        width: Set(u.width),
        height: Set(u.height),
        duration_ms: Set(u.duration_ms),
        file_name: Set(u.file_name.clone()),
        created_at: Set(to_ms(u.created_at)),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// A file by id.
pub async fn find_upload(
    db: &impl ConnectionTrait,
    id: FileId,
) -> Result<Option<Upload>, StoreError> {
    Ok(uploads::Entity::find_by_id(id.0)
        .one(db)
        .await?
        .map(upload_of))
}

/// Files by id (unknown ids left out), in one query.
pub async fn find_uploads(
    db: &impl ConnectionTrait,
    ids: &[FileId],
) -> Result<Vec<Upload>, StoreError> {
    use sea_orm::{ColumnTrait, QueryFilter};
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    Ok(uploads::Entity::find()
        .filter(uploads::Column::Id.is_in(ids.iter().map(|i| i.0)))
        .all(db)
        .await?
        .into_iter()
        .map(upload_of)
        .collect())
}
