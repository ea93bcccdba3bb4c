//! Infrastructure sections: `[database]`, `[redis]`, `[blob]`, `[http]` and `[log]`.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

use super::Dsn;
use super::Secret;

/// `[database]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// `sqlite://PATH` or `mysql://USER:PASS@HOST:PORT/DB`. Empty: `confab.db` in the data dir.
    pub url: Dsn,
    /// Pool size (MySQL), or the number of read connections (SQLite; writes use one).
    pub max_connections: u32,
    /// Seconds to wait for a pooled connection before answering 503.
    pub acquire_timeout_secs: u64,
    /// SQLite durability: `normal` (survives a process crash) or `full` (survives power loss).
    pub sqlite_synchronous: SqliteSynchronous,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: Dsn::default(),
            max_connections: 8,
            acquire_timeout_secs: 5,
            sqlite_synchronous: SqliteSynchronous::Normal,
        }
    }
}

/// SQLite's `synchronous` pragma in WAL mode.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SqliteSynchronous {
    /// Durable across process crashes; the last commits may be lost on power loss.
    #[default]
    Normal,
    /// Durable across power loss; slower commits.
    Full,
}

/// `[redis]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct RedisConfig {
    /// `redis://[:PASSWORD@]HOST:PORT[/DB]`. Empty: in-process bus and cache (one node only).
    pub url: Dsn,
    /// Prefix of every key and pub/sub channel, so several deployments can share one Redis.
    pub prefix: String,
}

impl Default for RedisConfig {
    fn default() -> Self {
        Self {
            url: Dsn::default(),
            prefix: "confab".into(),
        }
    }
}

/// `[blob]`: where uploaded files are kept.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct BlobConfig {
    /// `local` (a directory) or `s3` (any S3-compatible store).
    pub backend: BlobBackend,
    /// For `local`: the directory. Empty: `files/` in the data dir.
    pub dir: PathBuf,
    /// For `s3`.
    pub s3: S3Config,
}

impl Default for BlobConfig {
    fn default() -> Self {
        Self {
            backend: BlobBackend::Local,
            dir: PathBuf::new(),
            s3: S3Config::default(),
        }
    }
}

/// Which blob adapter.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BlobBackend {
    /// A local directory.
    #[default]
    Local,
    /// An S3-compatible object store.
    S3,
}

/// `[blob.s3]`
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct S3Config {
    /// Bucket name (must exist).
    pub bucket: String,
    /// Region, e.g. `us-east-1`.
    pub region: String,
    /// Endpoint for non-AWS stores, e.g. `http://127.0.0.1:9000`. Empty: AWS.
    pub endpoint: String,
    /// Access key id.
    pub access_key_id: String,
    /// Secret access key.
    pub secret_access_key: Secret,
    /// Allow a plain-HTTP endpoint (MinIO on a private network).
    pub allow_http: bool,
    /// Use virtual-hosted-style URLs (`bucket.host`) instead of path style.
    pub virtual_hosted_style: bool,
}

/// `[http]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct HttpConfig {
    /// Largest request body accepted by JSON endpoints, in bytes.
    pub body_limit_bytes: usize,
    /// A request that takes longer is answered 408.
    pub request_timeout_secs: u64,
    /// Origins allowed by CORS. Empty: no cross-origin access. `["*"]`: any (dev only).
    pub cors_allowed_origins: Vec<String>,
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
    /// A connection that has not sent a whole request head (request line and headers) this
    /// long after it opened, or after its previous request, is closed (slow-loris clients).
    pub header_read_timeout_secs: u64,
    /// Most connections open at once from one client address (0: no cap). Not applied when
    /// `trust_forwarded_for` is on: the peer is then the proxy, which must cap clients itself.
    pub max_connections_per_ip: u32,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            cors_allowed_origins: Vec::new(),
            trust_forwarded_for: false,
            header_read_timeout_secs: 10,
            max_connections_per_ip: 256,
        }
    }
}
