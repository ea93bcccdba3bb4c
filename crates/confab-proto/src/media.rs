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
    /// `image`, `video`, `audio` or `file`: a message of that kind (or `file`) may carry it.
    pub kind: String,
    /// The type sniffed from the bytes.
    pub content_type: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256 of the bytes, hex.
    pub sha256: String,
    /// Pixels: measured for images, as declared for videos.
    pub width: Option<u32>,
    /// Pixels: measured for images, as declared for videos.
    pub height: Option<u32>,
    /// Length in milliseconds, as declared for audio and video.
    #[serde(default)]
    pub duration_ms: Option<u64>,
    /// The name the client gave (metadata only; sanitised).
    pub file_name: String,
    /// Where to download it (authorised).
    pub url: String,
    /// A small preview, for images.
    pub thumbnail_url: Option<String>,
    /// When it was uploaded.
    pub created_at: DateTime<Utc>,
}

/// A signed download URL: works without an `Authorization` header until it expires.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
#[schema(example = json!({"url": "/api/v1/files/7260000000000000001?u=7250000000000000001&exp=1795000000&sig=Zm9v…",
    "thumbnail_url": "/api/v1/files/7260000000000000001?u=7250000000000000001&exp=1795000000&sig=Zm9v…&variant=thumbnail",
    "expires_at": "2026-11-22T08:05:00Z"}))]
pub struct FileUrlOut {
    /// The file, signed for the caller (relative to the server).
    pub url: String,
    /// Its thumbnail, for images.
    pub thumbnail_url: Option<String>,
    /// When the URL stops working.
    pub expires_at: DateTime<Utc>,
}
