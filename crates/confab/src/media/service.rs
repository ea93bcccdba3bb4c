//! Rules for uploaded files: what may be uploaded (sniffed type, size, dimensions), how it is
//! stored (server-made keys, a thumbnail for images), and who may read it.

use std::io::Cursor;

use bytes::{Bytes, BytesMut};
use chrono::{DateTime, Datelike, Utc};
use confab_proto::ErrorCode;
use confab_proto::ids::{FileId, UserId};
use confab_proto::media::{FileOut, FileUrlOut};
use futures::{Stream, StreamExt};
use sha2::{Digest, Sha256};

use super::error::MediaError;
use super::model::{self, Declared, SNIFF_BYTES, UploadKind};
use super::store::{self, Upload};
use crate::error::ApiError;
use crate::infra::blob::{BlobKey, BlobWriter};
use crate::state::AppState;

pub use super::model::clean_file_name;

/// An upload whose bytes are in the blob store and whose row is not written yet: the
/// handler [`commit`]s it once the whole form has been read, or [`discard`]s it.
pub struct Staged {
    upload: Upload,
}

/// Receives one file part: decides its type from the first bytes, then — within the size
/// cap of its kind, counted as the bytes arrive — buffers an image (it is decoded) or
/// streams anything else into the blob store while hashing it. Nothing is recorded yet.
pub async fn receive<S>(
    state: &AppState,
    owner: UserId,
    declared: &Declared,
    file_name: String,
    mut body: S,
) -> Result<Staged, ApiError>
where
    S: Stream<Item = Result<Bytes, ApiError>> + Unpin,
{
    model::check_file_name(&file_name)?;
    let cfg = &state.config.media;
    let mut head = read_head(&mut body).await?;
    let window = &head[..head.len().min(SNIFF_BYTES)];
    let (content_type, kind) =
        model::classify(window, declared.kind).map_err(model::Refusal::into_error)?;
    declared.check_for(kind)?;
    let cap = kind.cap(cfg);
    let too_large = || ApiError::from(MediaError::OverCap { kind, cap });
    if head.len() > cap {
        return Err(too_large());
    }
    let id = FileId(state.ids.next_id());
    let keys = Keys::new(state, id)?;
    if kind == UploadKind::Image {
        while let Some(chunk) = body.next().await {
            let chunk = chunk?;
            if head.len() + chunk.len() > cap {
                return Err(too_large());
            }
            head.extend_from_slice(&chunk);
        }
        return stage_image(
            state,
            owner,
            id,
            keys,
            head.freeze(),
            content_type,
            file_name,
        )
        .await;
    }
    let (size, sha256) = stream_to_blob(state, &keys, head.freeze(), &mut body, cap)
        .await
        .map_err(|e| {
            if e.code() == ErrorCode::PayloadTooLarge {
                too_large()
            } else {
                e
            }
        })?;
    Ok(Staged {
        upload: Upload {
            id,
            owner,
            kind,
            storage_key: keys.original.as_str().to_owned(),
            thumb_key: None,
            content_type: content_type.to_owned(),
            size: i64::try_from(size).map_err(ApiError::internal)?,
            sha256,
            width: declared.width,
            height: declared.height,
            duration_ms: declared.duration_ms,
            file_name,
            created_at: state.clock.now(),
        },
    })
}

/// The first [`SNIFF_BYTES`] of `body` (or all of it when shorter; possibly a little more:
/// whole chunks are kept).
async fn read_head<S>(body: &mut S) -> Result<BytesMut, ApiError>
where
    S: Stream<Item = Result<Bytes, ApiError>> + Unpin,
{
    let mut head = BytesMut::new();
    while head.len() < SNIFF_BYTES {
        match body.next().await {
            Some(chunk) => head.extend_from_slice(&chunk?),
            None => break,
        }
    }
    Ok(head)
}

/// Streams `head` and the rest of `body` into a new blob at the upload's key (aborted on
/// any failure, so nothing half-written stays); returns the size and the SHA-256 (hex).
async fn stream_to_blob<S>(
    state: &AppState,
    keys: &Keys,
    head: Bytes,
    body: &mut S,
    cap: usize,
) -> Result<(usize, String), ApiError>
where
    S: Stream<Item = Result<Bytes, ApiError>> + Unpin,
{
    let mut writer = state.blobs.create(&keys.original).await?;
    match pump(&mut writer, head, body, cap).await {
        Ok(v) => {
            writer.finish().await?;
            Ok(v)
        }
        Err(e) => {
            writer.abort().await;
            Err(e)
        }
    }
}

/// Copies `head` then the rest of `body` into `writer`, refusing past `cap` bytes; returns
/// the size and the SHA-256 (hex).
async fn pump<S>(
    writer: &mut BlobWriter,
    head: Bytes,
    body: &mut S,
    cap: usize,
) -> Result<(usize, String), ApiError>
where
    S: Stream<Item = Result<Bytes, ApiError>> + Unpin,
{
    let mut sha = Sha256::new();
    let mut size = head.len();
    sha.update(&head);
    writer.write(head).await?;
    while let Some(chunk) = body.next().await {
        let chunk = chunk?;
        size += chunk.len();
        if size > cap {
            return Err(MediaError::StreamTooLarge.into());
        }
        sha.update(&chunk);
        writer.write(chunk).await?;
    }
    Ok((size, hex::encode(sha.finalize())))
}

/// Writes the upload's row: from now on it exists. (If that fails, its blobs are removed.)
pub async fn commit(state: &AppState, staged: Staged) -> Result<Upload, ApiError> {
    if let Err(e) = store::create_upload(state.store.writer(), &staged.upload).await {
        discard(state, staged).await;
        return Err(e.into());
    }
    Ok(staged.upload)
}

/// Removes a staged upload's blobs (best effort: a leftover blob without a row is unreachable).
pub async fn discard(state: &AppState, staged: Staged) {
    let u = staged.upload;
    for key in std::iter::once(u.storage_key).chain(u.thumb_key) {
        let segments: Vec<&str> = key.split('/').collect();
        if let Some(k) = BlobKey::new(&segments)
            && let Err(e) = state.blobs.delete(&k).await
        {
            tracing::warn!(error = %e, "could not remove the blob of a refused upload");
        }
    }
}

/// The blob keys of a new upload: `uploads/YYYY/MM/{id}` and `{id}-thumb`.
struct Keys {
    original: BlobKey,
    thumb: BlobKey,
}

impl Keys {
    fn new(state: &AppState, id: FileId) -> Result<Self, ApiError> {
        let now = state.clock.now();
        let (y, m) = (format!("{:04}", now.year()), format!("{:02}", now.month()));
        let bad = || ApiError::internal(anyhow::anyhow!("bad blob key"));
        Ok(Self {
            original: BlobKey::new(&["uploads", &y, &m, &id.to_string()]).ok_or_else(bad)?,
            thumb: BlobKey::new(&["uploads", &y, &m, &format!("{id}-thumb")]).ok_or_else(bad)?,
        })
    }
}

/// Stages an uploaded image: checks its dimensions from the header before decoding,
/// decodes it with allocation limits to make a thumbnail, and stores both.
async fn stage_image(
    state: &AppState,
    owner: UserId,
    id: FileId,
    keys: Keys,
    bytes: Bytes,
    content_type: &'static str,
    file_name: String,
) -> Result<Staged, ApiError> {
    let cfg = state.config.media.clone();
    let data = bytes.clone();
    let (width, height, thumb) = tokio::task::spawn_blocking(move || analyse_image(&data, &cfg))
        .await
        .map_err(ApiError::internal)??;
    let sha = hex::encode(Sha256::digest(&bytes));
    let size = bytes.len() as i64;
    state.blobs.put(&keys.original, bytes).await?;
    state.blobs.put(&keys.thumb, thumb).await?;
    Ok(Staged {
        upload: Upload {
            id,
            owner,
            kind: UploadKind::Image,
            storage_key: keys.original.as_str().to_owned(),
            thumb_key: Some(keys.thumb.as_str().to_owned()),
            content_type: content_type.to_owned(),
            size,
            sha256: sha,
            width: i32::try_from(width).ok(),
            height: i32::try_from(height).ok(),
            duration_ms: None,
            file_name,
            created_at: state.clock.now(),
        },
    })
}

fn analyse_image(
    data: &[u8],
    cfg: &crate::config::MediaConfig,
) -> Result<(u32, u32, Bytes), ApiError> {
    let unreadable = || ApiError::from(MediaError::ImageUnreadable);
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
        return Err(MediaError::ImageTooLarge {
            w,
            h,
            side: cfg.max_image_side,
            pixels: cfg.max_image_pixels,
        }
        .into());
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
        kind: u.kind.as_str().to_owned(),
        content_type: u.content_type.clone(),
        size: u64::try_from(u.size).unwrap_or(0),
        sha256: u.sha256.clone(),
        width: u.width.and_then(|v| u32::try_from(v).ok()),
        height: u.height.and_then(|v| u32::try_from(v).ok()),
        duration_ms: u.duration_ms.and_then(|v| u64::try_from(v).ok()),
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
    if crate::accounts::avatars::is_public_avatar(state, file.id).await? {
        return Ok(true);
    }
    super::access::granted(state, user, file.id).await
}

/// A download URL for `file` signed for `user`, valid for `media.signed_url_ttl_secs`.
pub fn signed_url(state: &AppState, user: UserId, file: &Upload) -> Result<FileUrlOut, ApiError> {
    let ttl = i64::try_from(state.config.media.signed_url_ttl_secs).unwrap_or(300);
    let expires = state.clock.now().timestamp() + ttl;
    let sig = model::url_signature(
        crate::accounts::auth::file_url_key(state),
        file.id,
        user,
        expires,
    )?;
    let url = format!("/api/v1/files/{}?u={user}&exp={expires}&sig={sig}", file.id);
    Ok(FileUrlOut {
        thumbnail_url: file
            .thumb_key
            .as_ref()
            .map(|_| format!("{url}&variant=thumbnail")),
        url,
        expires_at: DateTime::<Utc>::from_timestamp(expires, 0)
            .unwrap_or_else(|| state.clock.now()),
    })
}

/// Checks a signed URL's (user, expiry, signature) for `file`: the signature first (so a
/// forged one learns nothing), then the expiry — past, or further ahead than the TTL now
/// allows (the TTL was shortened since), both refuse. Returns the seconds it has left.
pub fn check_signed(
    state: &AppState,
    file: FileId,
    user: UserId,
    expires: i64,
    sig: &str,
) -> Result<i64, ApiError> {
    if !model::url_signature_ok(
        crate::accounts::auth::file_url_key(state),
        file,
        user,
        expires,
        sig,
    ) {
        return Err(MediaError::BadSignature.into());
    }
    let now = state.clock.now().timestamp();
    let ttl = i64::try_from(state.config.media.signed_url_ttl_secs).unwrap_or(300);
    if now > expires {
        return Err(MediaError::Expired.into());
    }
    if expires - now > ttl {
        return Err(MediaError::TooLongLived.into());
    }
    Ok(expires - now)
}

/// The file, if `user` uploaded it and it is an image (avatars, covers); refusals name
/// `field`.
pub async fn require_own_image(
    state: &AppState,
    user: UserId,
    file: FileId,
    field: &'static str,
) -> Result<Upload, ApiError> {
    match find_own(state, user, file).await? {
        Some(u) if u.kind == UploadKind::Image => Ok(u),
        Some(_) => Err(MediaError::NotAnImage { field }.into()),
        None => Err(MediaError::NotYours { field }.into()),
    }
}

/// `file`, if `user` may read it (else `no such file`, whether it exists or not).
pub async fn readable(state: &AppState, user: UserId, file: FileId) -> Result<Upload, ApiError> {
    let found = store::find_upload(state.store.reader(), file)
        .await?
        .ok_or(MediaError::NoFile)?;
    if !may_read(state, user, &found).await? {
        return Err(MediaError::NoFile.into());
    }
    Ok(found)
}

/// The API views of these files, by id (unknown ids left out), in one query: for
/// features that show files a reader was already allowed to see (moments' media).
pub async fn files_out(
    state: &AppState,
    ids: &[FileId],
) -> Result<std::collections::HashMap<FileId, FileOut>, ApiError> {
    Ok(store::find_uploads(state.store.reader(), ids)
        .await?
        .iter()
        .map(|u| (u.id, file_out(u)))
        .collect())
}

/// `file`, if `owner` uploaded it.
pub async fn find_own(
    state: &AppState,
    owner: UserId,
    file: FileId,
) -> Result<Option<Upload>, ApiError> {
    Ok(store::find_upload(state.store.reader(), file)
        .await?
        .filter(|u| u.owner == owner))
}

/// An attachment's facts as a message body stores them (kind, type, size, name, and the
/// dimensions or duration when known), for a file `sender` uploaded of the `kind` the
/// message needs (a `file` message may carry any upload).
pub async fn attachment(
    state: &AppState,
    sender: UserId,
    file: FileId,
    kind: UploadKind,
) -> Result<serde_json::Value, ApiError> {
    let u = find_own(state, sender, file)
        .await?
        .ok_or(MediaError::NoAttachment)?;
    if u.kind != kind && kind != UploadKind::File {
        return Err(MediaError::AttachmentKind(kind).into());
    }
    let mut meta = serde_json::json!({
        "kind": u.kind.as_str(),
        "content_type": u.content_type,
        "size": u.size,
        "file_name": u.file_name,
    });
    for (key, v) in [
        ("width", u.width.map(i64::from)),
        ("height", u.height.map(i64::from)),
        ("duration_ms", u.duration_ms),
    ] {
        if let Some(v) = v {
            meta[key] = v.into();
        }
    }
    Ok(meta)
}

/// Media's answer to accounts' "is this an image of the user's?" (avatars).
pub struct ImagesHook;

#[async_trait::async_trait]
impl crate::accounts::hooks::Images for ImagesHook {
    async fn require_own_image(
        &self,
        state: &AppState,
        user: UserId,
        file: FileId,
        field: &'static str,
    ) -> Result<(), ApiError> {
        require_own_image(state, user, file, field)
            .await
            .map(|_| ())
    }
}
