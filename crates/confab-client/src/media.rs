//! Uploads and downloads.

use confab_proto::ids::FileId;
use confab_proto::media::FileOut;

use crate::{Client, ClientError, Result, decode};

/// A downloaded file.
#[derive(Debug, Clone)]
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

impl Client {
    /// `POST /api/v1/uploads` with one `file` part.
    pub async fn upload(
        &self,
        bytes: Vec<u8>,
        file_name: &str,
        part_type: &str,
    ) -> Result<FileOut> {
        let part = reqwest::multipart::Part::bytes(bytes)
            .file_name(file_name.to_owned())
            .mime_str(part_type)?;
        let form = reqwest::multipart::Form::new().part("file", part);
        let mut req = self
            .http()
            .post(self.url("/api/v1/uploads")?)
            .multipart(form);
        if let Some(t) = self.token() {
            req = req.bearer_auth(t);
        }
        decode(req.send().await?).await
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
        let resp = req.send().await?;
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
