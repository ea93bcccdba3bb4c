//! Uploads and downloads.

use confab_proto::ids::FileId;
use confab_proto::media::{FileOut, FileUrlOut};

use crate::{Client, ClientError, Result, decode};

/// A downloaded file.
#[derive(Clone)]
pub struct Download {
    /// HTTP status (200).
    pub status: u16,
    /// `Content-Type`.
    pub content_type: String,
    /// `Content-Disposition`.
    pub disposition: String,
    /// `X-Content-Type-Options`.
    pub nosniff: bool,
    /// The bytes.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Download {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The bytes can be megabytes: show their length only.
        f.debug_struct("Download")
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("disposition", &self.disposition)
            .field("nosniff", &self.nosniff)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

/// What a client may declare about an upload (all optional).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct UploadMeta {
    /// `image`, `video`, `audio` or `file` (default: decided by the server from the bytes).
    pub kind: Option<String>,
    /// Audio and video: length in milliseconds.
    pub duration_ms: Option<u64>,
    /// Video: width and height in pixels.
    pub size: Option<(u32, u32)>,
}

impl Client {
    /// `POST /api/v1/uploads` with one `file` part.
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        part_type: &str,
    ) -> Result<FileOut> {
        self.upload_with(bytes, file_name, part_type, &UploadMeta::default())
            .await
    }

    /// `POST /api/v1/uploads` with the declared metadata parts, then the `file` part.
    pub async fn upload_with(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        part_type: &str,
        meta: &UploadMeta,
    ) -> Result<FileOut> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(part_type)?;
        self.upload_part(part, meta).await
    }

    /// `POST /api/v1/uploads` with a part the caller built (e.g. a streamed body).
    pub async fn upload_part(
        &self,
        part: reqwest::multipart::Part,
        meta: &UploadMeta,
    ) -> Result<FileOut> {
        let mut form = reqwest::multipart::Form::new();
        if let Some(k) = &meta.kind {
            form = form.text("kind", k.clone());
        }
        if let Some(d) = meta.duration_ms {
            form = form.text("duration_ms", d.to_string());
        }
        if let Some((w, h)) = meta.size {
            form = form
                .text("width", w.to_string())
                .text("height", h.to_string());
        }
        let form = form.part("file", part);
        let mut req = self
            .http()
            .post(self.url("/api/v1/uploads")?)
            .multipart(form);
        if let Some(t) = self.token() {
            req = req.bearer_auth(t);
        }
        decode(req.send().await?).await
    }

    /// `POST /api/v1/files/{id}/url`: a signed, short-lived download URL.
    pub async fn file_url(&self, id: FileId) -> Result<FileUrlOut> {
        self.call(
            reqwest::Method::POST,
            &format!("/api/v1/files/{id}/url"),
            None::<&()>,
        )
        .await
    }

    /// `GET /api/v1/files/{id}` (`thumbnail` for the preview).
    pub async fn download(&self, id: FileId, thumbnail: bool) -> Result<Download> {
        let mut url = self.url(&format!("/api/v1/files/{id}"))?;
        if thumbnail {
            url.query_pairs_mut().append_pair("variant", "thumbnail");
        }
        let mut req = self.http().get(url);
        if let Some(t) = self.token() {
            req = req.bearer_auth(t);
        }
        Self::downloaded(req.send().await?).await
    }

    /// `GET` a signed URL (as `POST /files/{id}/url` returned it, relative to the server),
    /// without any `Authorization` header.
    pub async fn download_signed(&self, signed_url: &str) -> Result<Download> {
        let resp = self.http().get(self.url(signed_url)?).send().await?;
        Self::downloaded(resp).await
    }

    async fn downloaded(resp: reqwest::Response) -> Result<Download> {
        let status = resp.status().as_u16();
        if status != 200 {
            return Err(decode::<()>(resp)
                .await
                .err()
                .unwrap_or(ClientError::Unexpected {
                    status,
                    detail: "error without a body".into(),
                }));
        }
        let header = |name: &str| {
            resp.headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("")
                .to_owned()
        };
        let content_type = header("content-type");
        let disposition = header("content-disposition");
        let nosniff = header("x-content-type-options") == "nosniff";
        let bytes = resp.bytes().await?.to_vec();
        Ok(Download {
            status,
            content_type,
            disposition,
            nosniff,
            bytes,
        })
    }
}
