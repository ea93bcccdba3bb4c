//! Configuration: one typed struct, built from defaults → `confab.toml` → `CONFAB_*`
//! environment variables (nested keys with `__`, e.g. `CONFAB_DATABASE__URL`), then validated.
//! A bad value stops start-up with one line naming the key and what is wrong.
//!
//! Secrets are typed ([`Secret`], [`Dsn`]) so that `Debug`, logs and `confab config` never
//! print them.

use std::fmt;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Why a configuration could not be used. Its `Display` is one line naming the key.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file or environment did not parse into the typed config.
    #[error("config error: {0}")]
    Parse(String),
    /// A value parsed but is not acceptable.
    #[error("config error: `{key}` {reason}")]
    Invalid {
        /// The dotted key, e.g. `database.url`.
        key: &'static str,
        /// What is wrong with it.
        reason: String,
    },
}

fn invalid(key: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        key,
        reason: reason.into(),
    }
}

/// `dev` is the zero-set-up default; `production` refuses every dev-only setting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    /// Local development: dev-only conveniences allowed, announced by a warning at start.
    #[default]
    Dev,
    /// Production: start-up refuses dev-only settings.
    Production,
}

/// The whole configuration. Every key is optional; see `confab.example.toml`.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Config {
    /// `dev` or `production`.
    pub mode: Mode,
    /// Address the HTTP and WebSocket listener binds.
    pub listen: SocketAddr,
    /// Where the embedded store, uploaded files and generated secrets live.
    pub data_dir: PathBuf,
    /// This node's id in snowflake ids (0..=1023). Unset: 0 on the embedded store, or claimed
    /// in Redis at start so that two nodes never share one.
    pub node_id: Option<u16>,
    /// Relational store.
    pub database: DatabaseConfig,
    /// Redis: cross-node bus and shared cache. Unset: both in-process.
    pub redis: RedisConfig,
    /// Uploaded files.
    pub blob: BlobConfig,
    /// HTTP server limits.
    pub http: HttpConfig,
    /// Logging.
    pub log: LogConfig,
}

impl Default for Config {
    fn default() -> Self {
        Self {
            mode: Mode::Dev,
            listen: SocketAddr::from(([127, 0, 0, 1], 8080)),
            data_dir: PathBuf::from("./data"),
            node_id: None,
            database: DatabaseConfig::default(),
            redis: RedisConfig::default(),
            blob: BlobConfig::default(),
            http: HttpConfig::default(),
            log: LogConfig::default(),
        }
    }
}

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
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            cors_allowed_origins: Vec::new(),
        }
    }
}

/// `[log]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` (for people) or `json` (for log collectors).
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `info,confab=debug`. `RUST_LOG` overrides it.
    pub level: String,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into(),
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

impl Config {
    /// Loads defaults → the TOML file (if it exists) → `CONFAB_*` env, then validates.
    /// `file` is `confab.toml` unless `CONFAB_CONFIG` or `--config` names another; a file
    /// named explicitly must exist.
    pub fn load(file: Option<&Path>) -> Result<Self, ConfigError> {
        let mut figment = Figment::from(Serialized::defaults(Config::default()));
        match file {
            Some(path) => {
                if !path.is_file() {
                    return Err(ConfigError::Parse(format!(
                        "config file {} does not exist",
                        path.display()
                    )));
                }
                figment = figment.merge(Toml::file_exact(path));
            }
            None if Path::new("confab.toml").is_file() => {
                figment = figment.merge(Toml::file_exact("confab.toml"));
            }
            None => {}
        }
        figment = figment.merge(
            Env::prefixed("CONFAB_")
                // CONFAB_CONFIG names the file; CONFAB_TEST_* belong to the test suite.
                .filter(|k| {
                    let k = k.as_str().to_ascii_lowercase();
                    k != "config" && !k.starts_with("test_")
                })
                .split("__"),
        );
        let config: Config = figment.extract().map_err(|e| {
            let line = e.into_iter().map(describe).collect::<Vec<_>>().join("; ");
            ConfigError::Parse(line.replace('\n', " "))
        })?;
        config.validate()?;
        Ok(config)
    }

    /// Checks every value that parsing alone cannot, and that production mode refuses every
    /// dev-only setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(id) = self.node_id
            && id > crate::infra::ids::MAX_NODE_ID
        {
            return Err(invalid(
                "node_id",
                format!("must be 0..={}", crate::infra::ids::MAX_NODE_ID),
            ));
        }
        if self.data_dir.as_os_str().is_empty() {
            return Err(invalid("data_dir", "must not be empty"));
        }
        let db = self.database.url.expose();
        if !db.is_empty() {
            let scheme = db.split(':').next().unwrap_or_default();
            if !matches!(scheme, "sqlite" | "mysql" | "mariadb") {
                return Err(invalid(
                    "database.url",
                    "must start with sqlite:, mysql: or mariadb:",
                ));
            }
            if scheme != "sqlite" && url::Url::parse(db).is_err() {
                return Err(invalid("database.url", "is not a valid URL"));
            }
        }
        if !(1..=256).contains(&self.database.max_connections) {
            return Err(invalid("database.max_connections", "must be 1..=256"));
        }
        if !(1..=120).contains(&self.database.acquire_timeout_secs) {
            return Err(invalid("database.acquire_timeout_secs", "must be 1..=120"));
        }
        let redis = self.redis.url.expose();
        if !redis.is_empty() {
            match url::Url::parse(redis) {
                Ok(u) if matches!(u.scheme(), "redis" | "rediss") => {}
                _ => {
                    return Err(invalid("redis.url", "must be a redis:// or rediss:// URL"));
                }
            }
        }
        let prefix = &self.redis.prefix;
        if prefix.is_empty()
            || prefix.len() > 64
            || !prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b))
        {
            return Err(invalid(
                "redis.prefix",
                "must be 1 to 64 characters of [A-Za-z0-9_.-]",
            ));
        }
        if self.blob.backend == BlobBackend::S3 {
            if self.blob.s3.bucket.is_empty() {
                return Err(invalid(
                    "blob.s3.bucket",
                    "is required when blob.backend = \"s3\"",
                ));
            }
            if !self.blob.s3.endpoint.is_empty() && url::Url::parse(&self.blob.s3.endpoint).is_err()
            {
                return Err(invalid("blob.s3.endpoint", "is not a valid URL"));
            }
        }
        if !(1024..=64 * 1024 * 1024).contains(&self.http.body_limit_bytes) {
            return Err(invalid("http.body_limit_bytes", "must be 1024..=67108864"));
        }
        if !(1..=600).contains(&self.http.request_timeout_secs) {
            return Err(invalid("http.request_timeout_secs", "must be 1..=600"));
        }
        for origin in &self.http.cors_allowed_origins {
            if origin != "*" && axum::http::HeaderValue::from_str(origin).is_err() {
                return Err(invalid(
                    "http.cors_allowed_origins",
                    format!("{origin:?} is not a valid origin"),
                ));
            }
        }
        if tracing_subscriber::EnvFilter::try_new(&self.log.level).is_err() {
            return Err(invalid("log.level", "is not a valid tracing filter"));
        }
        if self.mode == Mode::Production
            && let Some((key, why)) = self.dev_only_settings().into_iter().next()
        {
            return Err(invalid(
                key,
                format!("{why}: not allowed with mode = \"production\""),
            ));
        }
        Ok(())
    }

    /// The dev-only settings in use, each with why it is dev-only. Empty in a production-ready
    /// config; printed as a warning at start in dev mode.
    pub fn dev_only_settings(&self) -> Vec<(&'static str, &'static str)> {
        let mut out = Vec::new();
        if self.http.cors_allowed_origins.iter().any(|o| o == "*") {
            out.push((
                "http.cors_allowed_origins",
                "\"*\" lets any web page call the API",
            ));
        }
        out
    }

    /// The effective configuration as TOML, secrets hidden (`confab config`).
    pub fn to_toml(&self) -> Result<String, ConfigError> {
        toml::to_string_pretty(self).map_err(|e| ConfigError::Parse(e.to_string()))
    }

    /// The SQLite file used when `database.url` is empty.
    pub fn default_sqlite_path(&self) -> PathBuf {
        self.data_dir.join("confab.db")
    }

    /// The directory used by the local blob store.
    pub fn blob_dir(&self) -> PathBuf {
        if self.blob.dir.as_os_str().is_empty() {
            self.data_dir.join("files")
        } else {
            self.blob.dir.clone()
        }
    }
}

/// One parse error as `` `dotted.key`: what is wrong (from where) ``.
fn describe(e: figment::Error) -> String {
    let key = e.path.join(".").to_ascii_lowercase();
    let from = e
        .metadata
        .as_ref()
        .map(|m| format!(" (from {})", m.name))
        .unwrap_or_default();
    if key.is_empty() {
        format!("{}{from}", e.kind)
    } else {
        format!("`{key}`: {}{from}", e.kind)
    }
}

const HIDDEN: &str = "********";

/// A secret string: never printed by `Debug`, logs or `confab config`.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether no secret was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(if self.0.is_empty() { "\"\"" } else { HIDDEN })
    }
}

impl Serialize for Secret {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(if self.0.is_empty() { "" } else { HIDDEN })
    }
}

impl<'de> Deserialize<'de> for Secret {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Secret)
    }
}

/// A connection URL whose password is hidden when printed.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Dsn(String);

impl Dsn {
    /// Wraps a connection URL.
    pub fn new(s: impl Into<String>) -> Self {
        Self(s.into())
    }
    /// The URL with its password, for connecting.
    pub fn expose(&self) -> &str {
        &self.0
    }
    /// Whether no URL was configured.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
    /// The URL with any password replaced by `********`.
    pub fn redacted(&self) -> String {
        match url::Url::parse(&self.0) {
            Ok(mut u) if u.password().is_some() => {
                // Infallible for URLs that already carry a password.
                let _ = u.set_password(Some(HIDDEN));
                u.to_string()
            }
            Ok(_) => self.0.clone(),
            Err(_) if self.0.contains('@') => HIDDEN.to_string(),
            Err(_) => self.0.clone(),
        }
    }
}

impl fmt::Debug for Dsn {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:?}", self.redacted())
    }
}

impl Serialize for Dsn {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.redacted())
    }
}

impl<'de> Deserialize<'de> for Dsn {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d).map(Dsn)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let mut c = Config::default();
        c.database.url = Dsn::new("mysql://root:hunter2@db:3306/confab");
        c.redis.url = Dsn::new("redis://:s3cret@cache:6379/0");
        c.blob.s3.secret_access_key = Secret::new("AKIA-very-secret");
        let printed = format!("{c:?}\n{}", c.to_toml().unwrap());
        for secret in ["hunter2", "s3cret", "AKIA-very-secret"] {
            assert!(!printed.contains(secret), "{secret} leaked");
        }
        assert!(printed.contains("mysql://root:********@db:3306/confab"));
    }

    #[test]
    fn validation_names_the_key() {
        let mut c = Config::default();
        c.database.url = Dsn::new("postgres://x");
        assert!(
            c.validate()
                .unwrap_err()
                .to_string()
                .contains("`database.url`")
        );
        let c = Config {
            node_id: Some(5000),
            ..Config::default()
        };
        assert!(c.validate().unwrap_err().to_string().contains("`node_id`"));
        let mut c = Config {
            mode: Mode::Production,
            ..Config::default()
        };
        c.http.cors_allowed_origins = vec!["*".into()];
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("http.cors_allowed_origins") && e.contains("production"),
            "{e}"
        );
    }

    /// `confab.example.toml` documents every key, with the real defaults.
    #[test]
    fn example_file_lists_every_key_with_its_default() {
        let text = include_str!("../../../confab.example.toml");
        let example: Config = Figment::from(Toml::string(text)).extract().unwrap();
        let example = toml::Value::try_from(&example).unwrap();
        let defaults = toml::Value::try_from(Config::default()).unwrap();
        assert_eq!(example, defaults);
        // Every key of the default config appears in the file (commented-out optional ones too).
        fn keys(v: &toml::Value, prefix: &str, out: &mut Vec<String>) {
            if let toml::Value::Table(t) = v {
                for (k, v) in t {
                    out.push(k.clone());
                    keys(v, &format!("{prefix}{k}."), out);
                }
            }
        }
        let mut all = Vec::new();
        keys(&defaults, "", &mut all);
        all.push("node_id".into());
        for k in all {
            assert!(
                text.contains(&k),
                "confab.example.toml does not mention `{k}`"
            );
        }
    }

    #[test]
    fn defaults_validate() {
        Config::default().validate().unwrap();
    }
}
