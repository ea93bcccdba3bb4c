//! Routes: `POST /uploads` (multipart), `GET /files/{id}` and `POST /files/{id}/url`.

use axum::body::Body;
use axum::extract::multipart::Field;
use axum::extract::{Multipart, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_proto::ErrorBody;
use confab_proto::ids::{FileId, UserId};
use confab_proto::media::{FileOut, FileUrlOut};
use futures::StreamExt;
use serde::Deserialize;
use utoipa::{IntoParams, ToSchema};
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::error::MediaError;
use super::model::Declared;
use super::service;
use crate::accounts::auth::AuthUser;
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::state::AppState;

/// The upload route (mounted under `/api/v1`, with the upload size limit and timeout).
pub fn upload_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(upload_file))
}

/// The download routes (mounted under `/api/v1`).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(get_file))
        .routes(routes!(sign_file_url))
}

/// The multipart form `POST /uploads` takes. Text parts come before `file`, which is last.
// The schema of the form only: the handler reads the parts as they stream.
#[derive(ToSchema)]
pub struct UploadForm {
    /// What the upload is for: `image`, `video`, `audio` or `file`. Default: decided from
    /// the bytes (see docs/files.md for which types may be which kind).
    pub kind: Option<String>,
    /// Audio and video: length in milliseconds, 1 to 86,400,000 (as the client measured it).
    pub duration_ms: Option<u64>,
    /// Video: width in pixels, 1 to 16,384 (with `height`).
    pub width: Option<u32>,
    /// Video: height in pixels, 1 to 16,384 (with `width`).
    pub height: Option<u32>,
    /// The file. Its type is decided from its bytes against an allow-list; its name is kept
    /// as metadata only.
    #[schema(format = Binary, content_media_type = "application/octet-stream")]
    pub file: String,
}

fn multipart_error(e: axum::extract::multipart::MultipartError) -> ApiError {
    if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
        MediaError::BodyTooLarge.into()
    } else {
        MediaError::Multipart(e.body_text()).into()
    }
}

/// A metadata part's value: short UTF-8 text.
async fn small_text(mut field: Field<'_>, name: &str) -> Result<String, ApiError> {
    let mut buf = Vec::new();
    while let Some(chunk) = field.chunk().await.map_err(multipart_error)? {
        if buf.len() + chunk.len() > 64 {
            return Err(ApiError::invalid(
                name.to_owned(),
                format!("{name}: at most 64 bytes"),
            ));
        }
        buf.extend_from_slice(&chunk);
    }
    String::from_utf8(buf)
        .map_err(|_| ApiError::invalid(name.to_owned(), format!("{name}: not UTF-8 text")))
}

/// Upload a file: an image, video, audio or other document.
///
/// The body is `multipart/form-data`: optional text parts `kind`, `duration_ms`, `width`,
/// `height`, then one part named `file`, last. The type comes from the bytes, not the name
/// or the part's Content-Type, against an allow-list per kind; executables, HTML, SVG, XML
/// and scripts are refused. The size cap of the kind (`media.max_*_bytes`) is enforced
/// while the body streams into storage. Images are measured from their header before
/// decoding and get a thumbnail. The client's file name is kept as metadata only.
#[utoipa::path(post, path = "/uploads", tag = "files", security(("bearer" = [])),
    request_body(content = UploadForm, content_type = "multipart/form-data"),
    responses(
        (status = 201, body = FileOut),
        (status = 400, description = "`bad_request` (malformed multipart)", body = ErrorBody),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 413, description = "`payload_too_large` (over the kind's cap)", body = ErrorBody),
        (status = 415, description = "`unsupported_file_type`", body = ErrorBody),
        (status = 422, description = "`validation_failed` (a metadata part), `image_too_large`", body = ErrorBody)))]
pub async fn upload_file(
    auth: AuthUser,
    State(state): State<AppState>,
    mut form: Multipart,
) -> ApiResult<(StatusCode, AppJson<FileOut>)> {
    let mut declared = Declared::default();
    let staged = loop {
        let Some(field) = form.next_field().await.map_err(multipart_error)? else {
            return Err(ApiError::invalid(
                "file",
                "send the file in a multipart part named `file`",
            ));
        };
        let name = field.name().unwrap_or("").to_owned();
        match name.as_str() {
            "file" => {
                let file_name = service::clean_file_name(field.file_name());
                let body = field.map(|c| c.map_err(multipart_error));
                break service::receive(&state, auth.user_id, &declared, file_name, body).await?;
            }
            "kind" | "duration_ms" | "width" | "height" => {
                let value = small_text(field, &name).await?;
                declared.set(&name, &value)?;
            }
            _ => {
                return Err(ApiError::invalid(
                    "file",
                    "unknown part: the form takes kind, duration_ms, width, height and file",
                ));
            }
        }
    };
    // `file` is the last part: anything after it would be ignored silently otherwise.
    let rest = form.next_field().await.map(|f| f.is_some());
    if !matches!(rest, Ok(false)) {
        service::discard(&state, staged).await;
        return Err(match rest {
            Err(e) => multipart_error(e),
            Ok(_) => ApiError::invalid("file", "the `file` part must be the last part"),
        });
    }
    let upload = service::commit(&state, staged).await?;
    Ok((StatusCode::CREATED, AppJson(service::file_out(&upload))))
}

/// Which rendition to download, and the signature of a signed URL.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FileQuery {
    /// `original` (default) or `thumbnail` (images).
    #[serde(default)]
    pub variant: Option<String>,
    /// Signed URL: the user it was signed for.
    #[serde(default)]
    #[param(value_type = Option<String>)]
    pub u: Option<UserId>,
    /// Signed URL: expiry, Unix seconds.
    #[serde(default)]
    pub exp: Option<i64>,
    /// Signed URL: the signature.
    #[serde(default)]
    pub sig: Option<String>,
}

/// Download a file I may see (or through a signed URL, without signing in).
///
/// Allowed: my own files, any active user's avatar, and files carried by a message I can
/// see in one of my conversations (inside my window, not recalled). With `u`, `exp` and
/// `sig` from `POST /files/{id}/url`, no `Authorization` header is needed until the URL
/// expires, and access is checked again for the user it was signed for. Served with
/// `X-Content-Type-Options: nosniff` and a restrictive CSP; inline only for decoded images
/// of the allow-listed types, otherwise as an attachment.
#[utoipa::path(get, path = "/files/{id}", tag = "files", security(("bearer" = []), ()),
    params(("id" = String, Path, description = "File id"), FileQuery),
    responses(
        (status = 200, description = "The bytes, with the file's own content type (the set is in the document: see `declare_download_types`)"),
        (status = 401, description = "`unauthorized` (no token and no signature)", body = ErrorBody),
        (status = 403, description = "`signature_invalid`, `signature_expired`", body = ErrorBody),
        (status = 404, description = "`not_found` (also when you may not see it)", body = ErrorBody),
        (status = 422, description = "`validation_failed` (variant; an incomplete signature)", body = ErrorBody)))]
pub async fn get_file(
    State(state): State<AppState>,
    parts: Parts,
    AppPath(id): AppPath<FileId>,
    AppQuery(q): AppQuery<FileQuery>,
) -> ApiResult<Response> {
    let (user, max_age) = match (q.u, q.exp, q.sig.as_deref()) {
        (None, None, None) => {
            let token = crate::accounts::auth::bearer(&parts).ok_or(MediaError::SignInOrSign)?;
            let who = crate::accounts::auth::authenticate(&state, token).await?;
            (who.user_id, 86_400)
        }
        (Some(u), Some(exp), Some(sig)) if sig.len() <= 128 => {
            (u, service::check_signed(&state, id, u, exp, sig)?)
        }
        _ => {
            return Err(ApiError::invalid(
                "sig",
                "a signed URL carries u, exp and sig together, as POST /files/{id}/url made it",
            ));
        }
    };
    let file = service::readable(&state, user, id).await?;
    let (key, content_type) = match q.variant.as_deref() {
        None | Some("original") => (file.storage_key.clone(), file.content_type.clone()),
        Some("thumbnail") => (
            file.thumb_key.clone().ok_or(MediaError::NoFile)?,
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
    let read = state.blobs.open(&key).await?.ok_or(MediaError::NoFile)?;
    let disposition = super::model::disposition(file.kind, &content_type, &file.file_name);
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
    if let Ok(v) = HeaderValue::from_str(&format!("private, max-age={max_age}")) {
        h.insert(header::CACHE_CONTROL, v);
    }
    h.insert(
        header::CONTENT_DISPOSITION,
        HeaderValue::from_str(&disposition).unwrap_or(HeaderValue::from_static("attachment")),
    );
    Ok(resp)
}

/// Get a signed, short-lived download URL for a file I may see.
///
/// The URL works without an `Authorization` header (for `<img src>`, players, downloads)
/// until `expires_at` (`media.signed_url_ttl_secs`, default 300 s). It is signed for me:
/// when used, access is checked again as for me (a recalled message stops it working).
#[utoipa::path(post, path = "/files/{id}/url", tag = "files", security(("bearer" = [])),
    params(("id" = String, Path, description = "File id")),
    responses(
        (status = 200, body = FileUrlOut),
        (status = 401, description = "`unauthorized`", body = ErrorBody),
        (status = 404, description = "`not_found` (also when you may not see it)", body = ErrorBody)))]
pub async fn sign_file_url(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<FileId>,
) -> ApiResult<AppJson<FileUrlOut>> {
    let file = service::readable(&state, auth.user_id, id).await?;
    Ok(AppJson(service::signed_url(&state, auth.user_id, &file)?))
}

/// Declares the content types `GET /files/{id}` answers with: one entry per type the server
/// accepts (and so may serve), the same binary schema for each. Annotations take a fixed list;
/// this one comes from the upload allow-list, so the two cannot drift apart.
pub fn declare_download_types(doc: &mut utoipa::openapi::OpenApi) {
    use utoipa::openapi::content::ContentBuilder;
    use utoipa::openapi::schema::{ObjectBuilder, Type};
    use utoipa::openapi::{RefOr, Schema};
    let Some(op) = doc
        .paths
        .paths
        .get_mut("/api/v1/files/{id}")
        .and_then(|p| p.get.as_mut())
    else {
        return;
    };
    let Some(RefOr::T(ok)) = op.responses.responses.get_mut("200") else {
        return;
    };
    for t in super::model::served_types() {
        let bytes = ObjectBuilder::new()
            .schema_type(Type::String)
            .content_media_type(t)
            .build();
        ok.content.insert(
            t.to_owned(),
            RefOr::T(
                ContentBuilder::new()
                    .schema(Some(RefOr::T(Schema::Object(bytes))))
                    .build(),
            ),
        );
    }
}
