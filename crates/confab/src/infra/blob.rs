//! The blob port: uploaded files, kept under keys the server makes ([`BlobKey`]), never
//! under a name a client chose. Two adapters behind one type: a local directory (embedded
//! default) and any S3-compatible store (AWS, MinIO, R2…), both through `object_store`.

use std::fmt;
use std::path::Path as FsPath;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use bytes::Bytes;
use futures::StreamExt;
use futures::stream::BoxStream;
use object_store::path::Path;
use object_store::{ObjectStore, ObjectStoreExt, PutPayload, WriteMultipart};

use crate::config::S3Config;

/// Why a blob operation failed.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// The store did not answer or refused the request.
    #[error("blob store unavailable")]
    Unavailable(#[source] object_store::Error),
}

/// A server-made storage key: 1 to 8 `/`-separated segments of `[a-z0-9_-]`, so it can
/// never name anything outside the store's root.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct BlobKey(String);

impl BlobKey {
    /// Builds a key from segments; `None` if any segment is empty or has another character.
    pub fn new<S: AsRef<str>>(segments: &[S]) -> Option<Self> {
        if segments.is_empty() || segments.len() > 8 {
            return None;
        }
        let ok = segments.iter().all(|s| {
            let s = s.as_ref();
            !s.is_empty()
                && s.len() <= 64
                && s.bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'-')
        });
        ok.then(|| {
            BlobKey(
                segments
                    .iter()
                    .map(AsRef::as_ref)
                    .collect::<Vec<_>>()
                    .join("/"),
            )
        })
    }

    /// The key as stored.
    pub fn as_str(&self) -> &str {
        &self.0
    }

    fn path(&self) -> Path {
        Path::from(self.0.as_str())
    }
}

impl fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BlobKey({})", self.0)
    }
}

/// A blob read back: its size and its bytes as a stream.
pub struct BlobRead {
    /// Size in bytes.
    pub size: u64,
    /// The content.
    pub stream: BoxStream<'static, Result<Bytes, BlobError>>,
}

/// A blob being written part by part ([`Blobs::create`]): bytes go to the store as they
/// arrive, so a large upload is never held in memory whole. Nothing is visible under the key
/// until [`BlobWriter::finish`]; dropping the writer (or [`BlobWriter::abort`]) leaves
/// nothing behind on the local store (S3 abandons the multipart upload; a bucket lifecycle
/// rule reaps those, see docs/files.md).
pub struct BlobWriter {
    inner: WriteMultipart,
}

/// Parts in flight per writer: bounds a writer's memory to about `(1 + this) × part size`.
const PARTS_IN_FLIGHT: usize = 2;

impl BlobWriter {
    /// Appends bytes, waiting while too many parts are still being sent.
    pub async fn write(&mut self, data: Bytes) -> Result<(), BlobError> {
        self.inner
            .wait_for_capacity(PARTS_IN_FLIGHT)
            .await
            .map_err(BlobError::Unavailable)?;
        self.inner.put(data);
        Ok(())
    }

    /// Completes the blob: it becomes readable under its key.
    pub async fn finish(self) -> Result<(), BlobError> {
        self.inner
            .finish()
            .await
            .map(|_| ())
            .map_err(BlobError::Unavailable)
    }

    /// Gives up: whatever was written is discarded (best effort).
    pub async fn abort(self) {
        if let Err(e) = self.inner.abort().await {
            tracing::warn!(error = %e, "aborting a blob upload failed");
        }
    }
}

/// The blob store in use.
#[derive(Clone)]
pub struct Blobs {
    store: Arc<dyn ObjectStore>,
    kind: &'static str,
}

impl Blobs {
    /// Files under a local directory (created if missing).
    pub fn local(dir: &FsPath) -> anyhow::Result<Self> {
        std::fs::create_dir_all(dir)
            .with_context(|| format!("cannot create blob dir {}", dir.display()))?;
        let store = object_store::local::LocalFileSystem::new_with_prefix(dir)
            .context("cannot open blob dir")?
            .with_automatic_cleanup(true);
        Ok(Self {
            store: Arc::new(store),
            kind: "local",
        })
    }

    /// Objects in an S3-compatible bucket.
    pub fn s3(cfg: &S3Config) -> anyhow::Result<Self> {
        let mut b = object_store::aws::AmazonS3Builder::new()
            // Client options first: they replace every client option set before them,
            // `allow_http` included.
            .with_client_options(
                object_store::ClientOptions::new()
                    .with_connect_timeout(Duration::from_secs(3))
                    .with_timeout(Duration::from_secs(60)),
            )
            .with_bucket_name(&cfg.bucket)
            .with_allow_http(cfg.allow_http)
            .with_virtual_hosted_style_request(cfg.virtual_hosted_style)
            .with_retry(object_store::RetryConfig {
                max_retries: 2,
                retry_timeout: Duration::from_secs(10),
                ..Default::default()
            });
        if !cfg.region.is_empty() {
            b = b.with_region(&cfg.region);
        }
        if !cfg.endpoint.is_empty() {
            b = b.with_endpoint(&cfg.endpoint);
        }
        if !cfg.access_key_id.is_empty() {
            b = b
                .with_access_key_id(&cfg.access_key_id)
                .with_secret_access_key(cfg.secret_access_key.expose());
        }
        let store = b.build().context("invalid [blob.s3] settings")?;
        Ok(Self {
            store: Arc::new(store),
            kind: "s3",
        })
    }

    /// `local` or `s3`.
    pub fn kind(&self) -> &'static str {
        self.kind
    }

    /// Stores `data` under `key`, replacing what was there.
    pub async fn put(&self, key: &BlobKey, data: Bytes) -> Result<(), BlobError> {
        self.store
            .put(&key.path(), PutPayload::from_bytes(data))
            .await
            .map(|_| ())
            .map_err(BlobError::Unavailable)
    }

    /// Starts writing a blob under `key` in parts (for uploads too large to buffer).
    pub async fn create(&self, key: &BlobKey) -> Result<BlobWriter, BlobError> {
        let upload = self
            .store
            .put_multipart(&key.path())
            .await
            .map_err(BlobError::Unavailable)?;
        // S3 needs parts of at least 5 MiB (but the last); a local file takes any size.
        let part = if self.kind == "s3" {
            5 * 1024 * 1024
        } else {
            1024 * 1024
        };
        Ok(BlobWriter {
            inner: WriteMultipart::new_with_chunk_size(upload, part),
        })
    }

    /// Reads a whole blob; `None` if there is none under `key`.
    pub async fn get(&self, key: &BlobKey) -> Result<Option<Bytes>, BlobError> {
        match self.store.get(&key.path()).await {
            Ok(r) => r.bytes().await.map(Some).map_err(BlobError::Unavailable),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(BlobError::Unavailable(e)),
        }
    }

    /// Streams a blob; `None` if there is none under `key`.
    pub async fn open(&self, key: &BlobKey) -> Result<Option<BlobRead>, BlobError> {
        match self.store.get(&key.path()).await {
            Ok(r) => Ok(Some(BlobRead {
                size: r.meta.size,
                stream: r
                    .into_stream()
                    .map(|c| c.map_err(BlobError::Unavailable))
                    .boxed(),
            })),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(BlobError::Unavailable(e)),
        }
    }

    /// The size of a blob; `None` if there is none under `key`.
    pub async fn size(&self, key: &BlobKey) -> Result<Option<u64>, BlobError> {
        match self.store.head(&key.path()).await {
            Ok(meta) => Ok(Some(meta.size)),
            Err(object_store::Error::NotFound { .. }) => Ok(None),
            Err(e) => Err(BlobError::Unavailable(e)),
        }
    }

    /// Removes a blob; removing a missing one is not an error.
    pub async fn delete(&self, key: &BlobKey) -> Result<(), BlobError> {
        match self.store.delete(&key.path()).await {
            Ok(()) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::Unavailable(e)),
        }
    }

    /// Whether the store answers (a HEAD of a key that need not exist).
    pub async fn ping(&self) -> Result<(), BlobError> {
        match self.store.head(&Path::from("confab-readiness-probe")).await {
            Ok(_) | Err(object_store::Error::NotFound { .. }) => Ok(()),
            Err(e) => Err(BlobError::Unavailable(e)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_cannot_escape_the_root() {
        assert!(BlobKey::new(&["uploads", "2026", "abc_1-2"]).is_some());
        for bad in [
            vec![".."],
            vec!["a", ""],
            vec!["a/b"],
            vec!["%2e%2e"],
            vec!["A"],
            vec!["a\0b"],
            vec!["a\r\nb"],
        ] {
            assert!(BlobKey::new(&bad).is_none(), "{bad:?}");
        }
        let none: [&str; 0] = [];
        assert!(BlobKey::new(&none).is_none());
    }
}
