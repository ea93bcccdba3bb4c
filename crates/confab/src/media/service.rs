//! Rules for uploaded files: what may be uploaded (sniffed type, size, dimensions), how it is
//! stored (server-made keys, a thumbnail for images), and who may read it.

use std::io::Cursor;

use bytes::Bytes;
use chrono::Datelike;
use confab_proto::ErrorCode;
use confab_proto::ids::{FileId, UserId};
use confab_proto::media::FileOut;
use sha2::{Digest, Sha256};

use super::store::{self, Upload};
use crate::error::ApiError;
use crate::infra::blob::BlobKey;
use crate::state::AppState;

/// Image types accepted, by sniffed MIME type. Browsers render these safely inline.
const IMAGE_TYPES: &[&str] = &["image/png", "image/jpeg", "image/gif", "image/webp"];

/// Whether a type may be shown inline (everything else downloads as an attachment).
pub fn inline_safe(content_type: &str) -> bool {
    IMAGE_TYPES.contains(&content_type)
}

/// The client's file name as metadata: no path, no control characters, at most 255 chars.
pub fn clean_file_name(raw: Option<&str>) -> String {
    let raw = raw.unwrap_or("");
    let base = raw.rsplit(['/', '\\']).next().unwrap_or("");
    let cleaned: String = base
        .chars()
        .filter(|c| {
            !c.is_control() && !matches!(c, '"' | '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
        })
        .take(255)
        .collect();
    let cleaned = cleaned.trim().trim_matches('.').to_owned();
    if cleaned.is_empty() {
        "file".to_owned()
    } else {
        cleaned
    }
}

/// The type of `head` (the first bytes of a file) from its magic bytes, if allowed as an image.
pub fn sniff_image(head: &[u8]) -> Option<&'static str> {
    let kind = infer::get(head)?;
    IMAGE_TYPES.iter().copied().find(|t| *t == kind.mime_type())
}

/// Stores an uploaded image: checks its dimensions from the header before decoding,
/// decodes it with allocation limits to make a thumbnail, and records it.
pub async fn store_image(
    state: &AppState,
    owner: UserId,
    bytes: Bytes,
    content_type: &'static str,
    file_name: String,
) -> Result<Upload, ApiError> {
    let cfg = state.config.media.clone();
    let data = bytes.clone();
    let (width, height, thumb) = tokio::task::spawn_blocking(move || analyse_image(&data, &cfg))
        .await
        .map_err(ApiError::internal)??;
    let id = FileId(state.ids.next_id());
    let now = state.clock.now();
    let dir = [
        "uploads".to_owned(),
        format!("{:04}", now.year()),
        format!("{:02}", now.month()),
    ];
    let key = BlobKey::new(&[&dir[0], &dir[1], &dir[2], &id.to_string()])
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad blob key")))?;
    let thumb_key = BlobKey::new(&[&dir[0], &dir[1], &dir[2], &format!("{id}-thumb")])
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("bad blob key")))?;
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    state.blobs.put(&key, bytes).await?;
    state.blobs.put(&thumb_key, thumb).await?;
    let upload = Upload {
        id,
        owner,
        kind: "image".into(),
        storage_key: key.as_str().to_owned(),
        thumb_key: Some(thumb_key.as_str().to_owned()),
        content_type: content_type.to_owned(),
        size,
        sha256: sha,
        width: i32::try_from(width).ok(),
        height: i32::try_from(height).ok(),
        duration_ms: None,
        file_name,
        created_at: now,
    };
    store::create_upload(state.store.writer(), &upload).await?;
    Ok(upload)
}

fn analyse_image(
    data: &[u8],
    cfg: &crate::config::MediaConfig,
) -> Result<(u32, u32, Bytes), ApiError> {
    let unreadable = || ApiError::new(ErrorCode::UnsupportedFileType, "the image cannot be read");
    let reader = image::ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|_| unreadable())?;
    let (w, h) = reader.into_dimensions().map_err(|_| unreadable())?;
    if w == 0 || h == 0 {
        return Err(unreadable());
    }
    if w > cfg.max_image_side
        || h > cfg.max_image_side
        || u64::from(w) * u64::from(h) > cfg.max_image_pixels
    {
        return Err(ApiError::new(
            ErrorCode::ImageTooLarge,
            format!(
                "the image is {w}×{h}; at most {} pixels a side and {} in all",
                cfg.max_image_side, cfg.max_image_pixels
            ),
        ));
    }
    let mut reader = image::ImageReader::new(Cursor::new(data))
        .with_guessed_format()
        .map_err(|_| unreadable())?;
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(cfg.max_image_side);
    limits.max_image_height = Some(cfg.max_image_side);
    limits.max_alloc = Some(cfg.max_image_pixels.saturating_mul(8));
    reader.limits(limits);
    let img = reader.decode().map_err(|_| unreadable())?;
    let thumb = img
        .thumbnail(cfg.thumbnail_side, cfg.thumbnail_side)
        .to_rgb8();
    let mut out = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 80)
        .encode_image(&thumb)
        .map_err(ApiError::internal)?;
    Ok((w, h, Bytes::from(out)))
}

/// The API view of an upload.
pub fn file_out(u: &Upload) -> FileOut {
    FileOut {
        id: u.id,
        kind: u.kind.clone(),
        content_type: u.content_type.clone(),
        size: u64::try_from(u.size).unwrap_or(0),
        sha256: u.sha256.clone(),
        width: u.width.and_then(|v| u32::try_from(v).ok()),
        height: u.height.and_then(|v| u32::try_from(v).ok()),
        file_name: u.file_name.clone(),
        url: format!("/api/v1/files/{}", u.id),
        thumbnail_url: u
            .thumb_key
            .as_ref()
            .map(|_| format!("/api/v1/files/{}?variant=thumbnail", u.id)),
        created_at: u.created_at,
    }
}

/// Whether `user` may download `file`: its owner; anyone signed in when it is some active
/// user's avatar; or a member of a conversation with a message carrying it that the member
/// can see (inside its window, not recalled).
pub async fn may_read(state: &AppState, user: UserId, file: &Upload) -> Result<bool, ApiError> {
    if file.owner == user {
        return Ok(true);
    }
    let db = state.store.reader();
    if store::is_avatar(db, file.id).await? {
        return Ok(true);
    }
    Ok(store::shared_with(db, file.id, user).await?)
}

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn file_names_are_metadata_only() {
        assert_eq!(clean_file_name(Some("../../etc/passwd")), "passwd");
        assert_eq!(clean_file_name(Some("..\\..\\boot.ini")), "boot.ini");
        assert_eq!(clean_file_name(Some("a\0b\r\n.png")), "ab.png");
        assert_eq!(clean_file_name(Some("evil\u{202e}gnp.exe")), "evilgnp.exe");
        assert_eq!(clean_file_name(Some("..")), "file");
        assert_eq!(clean_file_name(None), "file");
        assert_eq!(clean_file_name(Some(&"x".repeat(999))).len(), 255);
    }

    #[test]
    fn only_real_images_pass_the_sniffer() {
        assert_eq!(
            sniff_image(b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR"),
            Some("image/png")
        );
        assert_eq!(
            sniff_image(b"\xff\xd8\xff\xe0\0\x10JFIF"),
            Some("image/jpeg")
        );
        assert_eq!(sniff_image(b"GIF89a...."), Some("image/gif"));
        assert_eq!(
            sniff_image(b"<svg xmlns='http://www.w3.org/2000/svg'/>"),
            None
        );
        assert_eq!(sniff_image(b"<html><script>alert(1)</script>"), None);
        assert_eq!(sniff_image(b"%PDF-1.7"), None);
        assert_eq!(sniff_image(b"MZ\x90\0"), None);
    }
}
