//! Routes: `POST /uploads` (multipart) and `GET /files/{id}`.

use axum::body::Body;
use axum::extract::{Multipart, State};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use bytes::BytesMut;
use confab_proto::ErrorBody;
use confab_proto::ErrorCode;
use confab_proto::ids::FileId;
use confab_proto::media::FileOut;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::service;
use super::store;
use crate::accounts::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The upload route (mounted under `/api/v1`, with the upload size limit and timeout).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_file))
}

/// The download route (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(get_file))
}

/// The multipart form `POST /uploads` takes.
#[derive(ToSchema)]
#[allow(dead_code)]
pub struct UploadForm {
    /// The file. Its type is decided from its bytes: PNG, JPEG, GIF or WebP for now.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    file: String,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        ApiError::new(ErrorCode::PayloadTooLarge, "the file is too large")
    } else {
        ApiError::new(
            ErrorCode::BadRequest,
            format!("malformed multipart body: {}", e.body_text()),
        )
    }
}

/// Upload a file (an image for now: PNG, JPEG, GIF or WebP).
///
/// The body is `multipart/form-data` with one part named `file`. The type comes from the
/// bytes, not the name or the part's Content-Type; the size cap is enforced while reading;
/// image dimensions are checked from the header before anything is decoded; a thumbnail is
/// made. The client's file name is kept as metadata only.
#[utoipa::path(post, path = "/uploads", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = FileOut),
        (status = 413, description = "`payload_too_large`", body = ErrorBody),
        (status = 415, description = "`unsupported_file_type`", body = ErrorBody),
        (status = 422, description = "`image_too_large`", body = ErrorBody)))]
pub async fn upload_file(
    auth: AuthUser,
    State(state): State<AppState>,
    mut form: Multipart,
) -> ApiResult<(StatusCode, AppJson<FileOut>)> {
    let cap = state.config.media.max_image_bytes;
    while let Some(mut field) = form.next_field().await.map_err(multipart_error)? {
        if field.name() != Some("file") {
            continue;
        }
        let file_name = service::clean_file_name(field.file_name());
        let mut buf = BytesMut::new();
        let mut content_type = None;
        while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
            if buf.len() + chunk.len() > cap {
                return Err(ApiError::new(
                    ErrorCode::PayloadTooLarge,
                    format!("images are limited to {cap} bytes"),
                ));
            }
            buf.extend_from_slice(&chunk);
            // Decide the type as soon as the magic bytes are in, before reading the rest.
            if content_type.is_none() && buf.len() >= 16 {
                content_type = Some(service::sniff_image(&buf).ok_or_else(unsupported)?);
            }
        }
        let content_type = match content_type {
            Some(t) => t,
            None => service::sniff_image(&buf).ok_or_else(unsupported)?,
        };
        let upload =
            service::store_image(&state, auth.user_id, buf.freeze(), content_type, file_name)
                .await?;
        return Ok((StatusCode::CREATED, AppJson(service::file_out(&upload))));
    }
    Err(ApiError::invalid(
        "file",
        "send the file in a multipart part named `file`",
    ))
}

fn unsupported() -> ApiError {
    ApiError::new(
        ErrorCode::UnsupportedFileType,
        "only PNG, JPEG, GIF and WebP images can be uploaded here (decided from the file's bytes)",
    )
    .with_field("file")
}

/// Which rendition to download.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// `original` (default) or `thumbnail` (images).
    #[serde(default)]
    pub variant: Option<String>,
}

/// Download a file I may see: my own, or any user's avatar.
///
/// Served with `X-Content-Type-Options: nosniff` and a restrictive CSP; inline only for
/// allow-listed image types, otherwise as an attachment.
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "File id"), FileQuery),
    responses(
        (status = 200, description = "The bytes", content_type = "application/octet-stream", body = Vec<u8>),
        (status = 404, description = "`not_found` (also when you may not see it)", body = ErrorBody)))]
pub async fn get_file(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<FileId>,
    AppQuery(q): AppQuery<FileQuery>,
) -> ApiResult<Response> {
    let not_found = || ApiError::new(ErrorCode::NotFound, "no such file");
    let file = store::find_upload(state.store.reader(), id)
        .await?
        .ok_or_else(not_found)?;
    if !service::may_read(&state, auth.user_id, &file).await? {
        return Err(not_found());
    }
    let (key, content_type) = match q.variant.as_deref() {
        None | Some("original") => (file.storage_key.clone(), file.content_type.clone()),
        Some("thumbnail") => (
            file.thumb_key.clone().ok_or_else(not_found)?,
            "image/jpeg".to_owned(),
        ),
        Some(_) => {
            return Err(ApiError::invalid(
                "variant",
                "variant: original or thumbnail",
            ));
        }
    };
    let segments: Vec<&str> = key.split('/').collect();
    let key = crate::infra::blob::BlobKey::new(&segments)
        .ok_or_else(|| ApiError::internal(anyhow::anyhow!("stored key is not a blob key")))?;
    let read = state.blobs.open(&key).await?.ok_or_else(not_found)?;
    let disposition = if service::inline_safe(&content_type) {
        "inline".to_owned()
    } else {
        format!(
            "attachment; filename=\"{}\"",
            file.file_name.replace(['"', '\\'], "_")
        )
    };
    let mut resp = Body::from_stream(read.stream).into_response();
    let h = resp.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_str(&content_type)
            .unwrap_or(HeaderValue::from_static("application/octet-stream")),
    );
    h.insert(header::CONTENT_LENGTH, HeaderValue::from(read.size));
    h.insert(
        header::X_CONTENT_TYPE_OPTIONS,
        HeaderValue::from_static("nosniff"),
    );
    h.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static("default-src 'none'; sandbox"),
    );
    h.insert(
        header::CACHE_CONTROL,
        HeaderValue::from_static("private, max-age=86400"),
    );
    if let Ok(v) = HeaderValue::from_str(&disposition) {
        h.insert(header::CONTENT_DISPOSITION, v);
    }
    Ok(resp)
}
