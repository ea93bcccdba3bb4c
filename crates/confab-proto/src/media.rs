//! Uploaded files.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::FileId;

/// An uploaded file.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"id": "7260000000000000001", "kind": "image", "content_type": "image/png",
    "size": 48213, "sha256": "9f86d0…", "width": 640, "height": 480, "file_name": "cat.png",
    "url": "/api/v1/files/7260000000000000001", "thumbnail_url": "/api/v1/files/7260000000000000001?variant=thumbnail",
    "created_at": "2026-11-22T08:00:00Z"}))]
pub struct FileOut {
    /// File id (use it as an avatar, or in a message).
    pub id: FileId,
    /// `image` (more kinds come with messaging).
    pub kind: String,
    /// The type sniffed from the bytes.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Pixels, for images.
    pub width: Option<u32>,
    /// Pixels, for images.
    pub height: Option<u32>,
    /// The name the client gave (metadata only; sanitised).
    pub file_name: String,
    /// Where to download it (authorised).
    pub url: String,
    /// A small preview, for images.
    pub thumbnail_url: Option<String>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}
