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
    /// Sign-in, tokens and passwords.
    pub auth: AuthConfig,
    /// Verification codes (email / SMS).
    pub codes: CodesConfig,
    /// Outgoing email.
    pub mail: MailConfig,
    /// Outgoing SMS.
    pub sms: SmsConfig,
    /// Third-party sign-in.
    pub oauth: OauthConfig,
    /// Uploaded files.
    pub media: MediaConfig,
    /// The WebSocket gateway.
    pub gateway: GatewayConfig,
    /// The sensitive-word filter.
    pub moderation: ModerationConfig,
    /// Message edits, recalls and send limits.
    pub messaging: MessagingConfig,
    /// Friends, requests and who may message whom.
    pub social: SocialConfig,
    /// Group sizes.
    pub groups: GroupsConfig,
    /// The built-in world channel.
    pub channels: ChannelsConfig,
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
            auth: AuthConfig::default(),
            codes: CodesConfig::default(),
            mail: MailConfig::default(),
            sms: SmsConfig::default(),
            oauth: OauthConfig::default(),
            media: MediaConfig::default(),
            gateway: GatewayConfig::default(),
            moderation: ModerationConfig::default(),
            messaging: MessagingConfig::default(),
            social: SocialConfig::default(),
            groups: GroupsConfig::default(),
            channels: ChannelsConfig::default(),
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
    /// Take the client IP from `X-Forwarded-For` (only behind a proxy that sets it).
    pub trust_forwarded_for: bool,
}

impl Default for HttpConfig {
    fn default() -> Self {
        Self {
            body_limit_bytes: 1024 * 1024,
            request_timeout_secs: 30,
            cors_allowed_origins: Vec::new(),
            trust_forwarded_for: false,
        }
    }
}

/// `[gateway]`: WebSocket limits and timers.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GatewayConfig {
    /// The server sends a protocol ping this often.
    pub heartbeat_secs: u64,
    /// A socket silent (no frame, no pong) for this long is closed.
    pub idle_timeout_secs: u64,
    /// A socket must authenticate (header or first `auth` frame) within this long.
    pub auth_timeout_secs: u64,
    /// Largest client message (and frame) accepted; larger closes the socket with 1009.
    pub max_frame_bytes: usize,
    /// Frames queued for one socket before it counts as too slow and is closed (1013).
    pub outbound_queue: usize,
    /// Sustained client frames per second per socket; excess frames get `rate_limited`.
    pub frames_per_second: u32,
    /// Client frames allowed in a burst above the sustained rate.
    pub frames_burst: u32,
}

impl Default for GatewayConfig {
    fn default() -> Self {
        Self {
            heartbeat_secs: 30,
            idle_timeout_secs: 75,
            auth_timeout_secs: 10,
            max_frame_bytes: 64 * 1024,
            outbound_queue: 1024,
            frames_per_second: 20,
            frames_burst: 40,
        }
    }
}

/// `[messaging]`: edit and recall windows, and the per-user send rate.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessagingConfig {
    /// The sender may edit a text message for this long after sending it.
    pub edit_window_secs: u64,
    /// The sender may recall a message for this long after sending it.
    pub recall_window_secs: u64,
    /// Sustained sends per second per user, across devices, HTTP and WebSocket, and nodes.
    pub sends_per_second: u32,
    /// Sends allowed within one second (the burst above the sustained rate).
    pub sends_burst: u32,
}

impl Default for MessagingConfig {
    fn default() -> Self {
        Self {
            edit_window_secs: 48 * 3600,
            recall_window_secs: 120,
            sends_per_second: 20,
            sends_burst: 40,
        }
    }
}

/// `[social]`: the social graph's limits and the direct-message policy (docs/social.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SocialConfig {
    /// Who may open or send to a direct chat: `friends` (default) or `anyone` (anyone not
    /// blocked either way).
    pub direct_policy: DirectPolicy,
    /// Pending outgoing friend requests one user may have at a time.
    pub max_pending_requests: u32,
    /// Friends one user may have (bounds presence fan-out and the friends list).
    pub max_friends: u32,
    /// Friend requests (new or repeated) one user may send per minute, across nodes.
    pub requests_per_minute: u32,
}

impl Default for SocialConfig {
    fn default() -> Self {
        Self {
            direct_policy: DirectPolicy::Friends,
            max_pending_requests: 100,
            max_friends: 5000,
            requests_per_minute: 30,
        }
    }
}

/// `[channels]`: the world channel every user reads (docs/channels.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ChannelsConfig {
    /// Who may post in the world channel: `everyone`, `admins` or `off`.
    pub world_posting: confab_proto::admin::Posting,
    /// Posts per user per minute in the world channel (on top of `messaging`'s send rate).
    pub world_posts_per_minute: u32,
}

impl Default for ChannelsConfig {
    fn default() -> Self {
        Self {
            world_posting: confab_proto::admin::Posting::Everyone,
            world_posts_per_minute: 6,
        }
    }
}

/// `[groups]`: member limits.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GroupsConfig {
    /// A new group's member limit when its creator names none.
    pub default_member_limit: u32,
    /// The highest member limit a group may have.
    pub max_member_limit: u32,
}

impl Default for GroupsConfig {
    fn default() -> Self {
        Self {
            default_member_limit: 500,
            max_member_limit: 10_000,
        }
    }
}

/// Who may open or send to a direct chat.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum DirectPolicy {
    /// Only friends (blocks aside).
    #[default]
    Friends,
    /// Anyone who is not blocked either way.
    Anyone,
}

/// `[auth]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct AuthConfig {
    /// HMAC key for access tokens (at least 32 bytes). Empty: generated on first start and
    /// kept in `data_dir/jwt.secret` — allowed only on the embedded store (every node of a
    /// cluster must share one key).
    pub jwt_secret: Secret,
    /// Access-token lifetime in seconds.
    pub access_ttl_secs: u64,
    /// Refresh-token (session) lifetime in days; each refresh renews it.
    pub refresh_ttl_days: u64,
    /// What sign-up requires: `none`, `email`, `phone` or `email_or_phone` (a verified one,
    /// through a code).
    pub require_verified: RequireVerified,
    /// Failed password attempts per account per hour before sign-in is refused until the hour
    /// ends (a soft lock; never permanent).
    pub max_failed_logins_per_hour: u32,
    /// Sign-in and sign-up attempts per client IP per minute.
    pub attempts_per_ip_per_minute: u32,
    /// argon2id memory in KiB (OWASP minimum 19456).
    pub argon2_memory_kib: u32,
    /// argon2id iterations (OWASP minimum 2 at 19 MiB).
    pub argon2_iterations: u32,
    /// How many password hashes may run at once (the rest queue); 0 = number of CPUs.
    pub hash_concurrency: usize,
}

impl Default for AuthConfig {
    fn default() -> Self {
        Self {
            jwt_secret: Secret::default(),
            access_ttl_secs: 900,
            refresh_ttl_days: 30,
            require_verified: RequireVerified::None,
            max_failed_logins_per_hour: 10,
            attempts_per_ip_per_minute: 30,
            argon2_memory_kib: 19_456,
            argon2_iterations: 2,
            hash_concurrency: 0,
        }
    }
}

/// What a new account must have verified.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RequireVerified {
    /// Nothing: username + password is enough.
    #[default]
    None,
    /// A verified email.
    Email,
    /// A verified phone number.
    Phone,
    /// A verified email or phone number.
    EmailOrPhone,
}

/// `[codes]`: one-time verification codes sent by email or SMS.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct CodesConfig {
    /// How long a code stays valid, in seconds.
    pub ttl_secs: u64,
    /// Minimum seconds between two codes to the same target.
    pub resend_secs: u64,
    /// Wrong guesses before a code is void.
    pub max_attempts: u32,
    /// Codes per target (address or number) per day.
    pub daily_per_target: u32,
    /// Codes per client IP per day.
    pub daily_per_ip: u32,
    /// Require a solved image captcha (`GET /auth/captcha`) before sending a code.
    pub captcha_required: bool,
}

impl Default for CodesConfig {
    fn default() -> Self {
        Self {
            ttl_secs: 300,
            resend_secs: 60,
            max_attempts: 5,
            daily_per_target: 10,
            daily_per_ip: 50,
            captcha_required: false,
        }
    }
}

/// `[mail]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MailConfig {
    /// `log` (dev only: the mail is written to the log), `smtp`, or `disabled`.
    pub provider: MailProvider,
    /// SMTP server host.
    pub smtp_host: String,
    /// SMTP port (587 for STARTTLS, 465 for TLS, 25 or a sink's port for none).
    pub smtp_port: u16,
    /// `starttls`, `tls`, or `none` (a local relay or test sink only).
    pub smtp_tls: SmtpTls,
    /// SMTP user name (empty: no authentication).
    pub smtp_username: String,
    /// SMTP password.
    pub smtp_password: Secret,
    /// The From address, e.g. `Confab <no-reply@example.com>`.
    pub from: String,
}

impl Default for MailConfig {
    fn default() -> Self {
        Self {
            provider: MailProvider::Log,
            smtp_host: String::new(),
            smtp_port: 587,
            smtp_tls: SmtpTls::Starttls,
            smtp_username: String::new(),
            smtp_password: Secret::default(),
            from: "Confab <no-reply@localhost>".into(),
        }
    }
}

/// How mail leaves.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MailProvider {
    /// Written to the log (dev only).
    #[default]
    Log,
    /// Sent over SMTP.
    Smtp,
    /// Not sent: email codes are unavailable.
    Disabled,
}

/// SMTP transport security.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmtpTls {
    /// Upgrade with STARTTLS (port 587).
    #[default]
    Starttls,
    /// TLS from the first byte (port 465).
    Tls,
    /// Plain text (a local relay or a test sink).
    None,
}

/// `[sms]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SmsConfig {
    /// `log` (dev only), `http` (a JSON POST to `http_url`), or `disabled`.
    pub provider: SmsProvider,
    /// The provider's endpoint; receives `{"to": "+86…", "text": "…"}`.
    pub http_url: String,
    /// Sent as the `Authorization` header value, if set.
    pub http_authorization: Secret,
    /// The message; `{code}` is replaced by the code.
    pub template: String,
}

impl Default for SmsConfig {
    fn default() -> Self {
        Self {
            provider: SmsProvider::Log,
            http_url: String::new(),
            http_authorization: Secret::default(),
            template: "Your Confab code is {code}. It expires in 5 minutes.".into(),
        }
    }
}

/// How SMS leave.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SmsProvider {
    /// Written to the log (dev only).
    #[default]
    Log,
    /// A generic HTTP provider.
    Http,
    /// Not sent: SMS codes are unavailable.
    Disabled,
}

/// `[oauth]`
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct OauthConfig {
    /// This server's public base URL, e.g. `https://chat.example.com`; callback URLs are
    /// `{public_url}/api/v1/auth/oauth/{name}/callback`. Empty: `http://{listen}`.
    pub public_url: String,
    /// Where the client may ask to be sent after sign-in (exact origins or URL prefixes).
    pub redirect_allowlist: Vec<String>,
    /// The providers.
    pub providers: Vec<OauthProviderConfig>,
}

/// `[[oauth.providers]]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OauthProviderConfig {
    /// URL-safe name used in paths, e.g. `github`, `google`, `corp`.
    pub name: String,
    /// `oidc` (OpenID Connect with discovery) or `github`.
    pub kind: OauthKind,
    /// For `oidc`: the issuer URL (its `/.well-known/openid-configuration` is read).
    #[serde(default)]
    pub issuer_url: String,
    /// Client id.
    pub client_id: String,
    /// Client secret.
    #[serde(default)]
    pub client_secret: Secret,
    /// Extra scopes beyond the provider's defaults.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// For `github`: the authorize endpoint. Empty: `https://github.com/login/oauth/authorize`
    /// (set it for GitHub Enterprise, or a test double).
    #[serde(default)]
    pub auth_url: String,
    /// For `github`: the token endpoint. Empty: `https://github.com/login/oauth/access_token`.
    #[serde(default)]
    pub token_url: String,
    /// For `github`: the REST API base. Empty: `https://api.github.com`.
    #[serde(default)]
    pub api_url: String,
}

/// Provider protocol.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OauthKind {
    /// Generic OpenID Connect.
    Oidc,
    /// GitHub's OAuth2 apps.
    Github,
}

/// `[media]`: uploads.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MediaConfig {
    /// Largest image upload, in bytes.
    pub max_image_bytes: usize,
    /// Largest image width or height, in pixels (checked from the header, before decoding).
    pub max_image_side: u32,
    /// Largest image area, in pixels (decompression bombs).
    pub max_image_pixels: u64,
    /// Longest side of generated thumbnails, in pixels.
    pub thumbnail_side: u32,
    /// An upload that takes longer is answered 408.
    pub upload_timeout_secs: u64,
    /// Largest video upload, in bytes (counted while streaming; never buffered whole).
    pub max_video_bytes: usize,
    /// Largest audio upload, in bytes.
    pub max_audio_bytes: usize,
    /// Largest upload of any other allowed file (documents, archives…), in bytes.
    pub max_file_bytes: usize,
    /// How long a signed download URL (`POST /files/{id}/url`) stays valid, in seconds.
    pub signed_url_ttl_secs: u64,
}

impl Default for MediaConfig {
    fn default() -> Self {
        Self {
            max_image_bytes: 10 * 1024 * 1024,
            max_image_side: 12_000,
            max_image_pixels: 50_000_000,
            thumbnail_side: 320,
            upload_timeout_secs: 300,
            max_video_bytes: 100 * 1024 * 1024,
            max_audio_bytes: 20 * 1024 * 1024,
            max_file_bytes: 100 * 1024 * 1024,
            signed_url_ttl_secs: 300,
        }
    }
}

impl MediaConfig {
    /// The largest body any upload route accepts (the biggest per-kind cap plus multipart
    /// framing).
    pub fn max_upload_body(&self) -> usize {
        self.max_image_bytes
            .max(self.max_video_bytes)
            .max(self.max_audio_bytes)
            .max(self.max_file_bytes)
            + 64 * 1024
    }
}

/// `[moderation]`: the sensitive-word filter and reports (docs/moderation.md).
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ModerationConfig {
    /// A UTF-8 file of sensitive words, one per line (`#` starts a comment). Empty: none
    /// from a file (rows of the `sensitive_words` table still apply). Read once at start-up.
    pub words_file: String,
    /// What a match does: `mask`, `reject` or `review`.
    pub action: FilterAction,
    /// Reports one user may file per day (`POST /reports`); 0 turns user reports off.
    pub reports_per_day: u32,
}

impl Default for ModerationConfig {
    fn default() -> Self {
        Self {
            words_file: String::new(),
            action: FilterAction::Mask,
            reports_per_day: 20,
        }
    }
}

/// What the sensitive-word filter does with a match.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FilterAction {
    /// Replace each matched character with `*` and go on.
    #[default]
    Mask,
    /// Refuse the content with `content_blocked`; nothing is stored.
    Reject,
    /// Deliver it masked and open a system report for an administrator.
    Review,
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
                // CONFAB_CONFIG names the file, CONFAB_ADMIN_PASSWORD feeds `confab admin
                // create-admin`, CONFAB_TEST_* belong to the test suite.
                .filter(|k| {
                    let k = k.as_str().to_ascii_lowercase();
                    k != "config" && k != "admin_password" && !k.starts_with("test_")
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
        let gw = &self.gateway;
        if !(1..=300).contains(&gw.heartbeat_secs) {
            return Err(invalid("gateway.heartbeat_secs", "must be 1..=300"));
        }
        if gw.idle_timeout_secs <= gw.heartbeat_secs || gw.idle_timeout_secs > 3600 {
            return Err(invalid(
                "gateway.idle_timeout_secs",
                "must be more than gateway.heartbeat_secs and at most 3600",
            ));
        }
        if !(1..=120).contains(&gw.auth_timeout_secs) {
            return Err(invalid("gateway.auth_timeout_secs", "must be 1..=120"));
        }
        if !(1024..=16 * 1024 * 1024).contains(&gw.max_frame_bytes) {
            return Err(invalid(
                "gateway.max_frame_bytes",
                "must be 1024..=16777216",
            ));
        }
        if !(4..=65_536).contains(&gw.outbound_queue) {
            return Err(invalid("gateway.outbound_queue", "must be 4..=65536"));
        }
        if !(1..=10_000).contains(&gw.frames_per_second) {
            return Err(invalid("gateway.frames_per_second", "must be 1..=10000"));
        }
        if !(1..=100_000).contains(&gw.frames_burst) {
            return Err(invalid("gateway.frames_burst", "must be 1..=100000"));
        }
        let words = &self.moderation.words_file;
        if !words.is_empty()
            && let Err(e) = std::fs::read_to_string(words)
        {
            return Err(invalid(
                "moderation.words_file",
                format!("cannot be read ({words}): {e}"),
            ));
        }
        let msg = &self.messaging;
        if msg.edit_window_secs > 365 * 86_400 {
            return Err(invalid(
                "messaging.edit_window_secs",
                "must be 0..=31536000 (0: no edits)",
            ));
        }
        if msg.recall_window_secs > 365 * 86_400 {
            return Err(invalid(
                "messaging.recall_window_secs",
                "must be 0..=31536000 (0: no recalls by the sender)",
            ));
        }
        if !(1..=10_000).contains(&msg.sends_per_second) {
            return Err(invalid("messaging.sends_per_second", "must be 1..=10000"));
        }
        if msg.sends_burst < msg.sends_per_second || msg.sends_burst > 100_000 {
            return Err(invalid(
                "messaging.sends_burst",
                "must be at least messaging.sends_per_second and at most 100000",
            ));
        }
        if !(1..=10_000).contains(&self.social.max_pending_requests) {
            return Err(invalid("social.max_pending_requests", "must be 1..=10000"));
        }
        if !(1..=100_000).contains(&self.social.max_friends) {
            return Err(invalid("social.max_friends", "must be 1..=100000"));
        }
        if !(1..=10_000).contains(&self.social.requests_per_minute) {
            return Err(invalid("social.requests_per_minute", "must be 1..=10000"));
        }
        let groups = &self.groups;
        if !(2..=1_000_000).contains(&groups.max_member_limit) {
            return Err(invalid("groups.max_member_limit", "must be 2..=1000000"));
        }
        if !(2..=groups.max_member_limit).contains(&groups.default_member_limit) {
            return Err(invalid(
                "groups.default_member_limit",
                "must be 2..=groups.max_member_limit",
            ));
        }
        if !(1..=600).contains(&self.channels.world_posts_per_minute) {
            return Err(invalid(
                "channels.world_posts_per_minute",
                "must be 1..=600",
            ));
        }
        if self.moderation.reports_per_day > 10_000 {
            return Err(invalid("moderation.reports_per_day", "must be 0..=10000"));
        }
        let auth = &self.auth;
        if !auth.jwt_secret.is_empty() && auth.jwt_secret.expose().len() < 32 {
            return Err(invalid("auth.jwt_secret", "must be at least 32 bytes"));
        }
        if auth.jwt_secret.is_empty() && !self.redis.url.is_empty() {
            return Err(invalid(
                "auth.jwt_secret",
                "is required with redis.url: every node of a cluster must share one key",
            ));
        }
        if !(60..=86_400).contains(&auth.access_ttl_secs) {
            return Err(invalid("auth.access_ttl_secs", "must be 60..=86400"));
        }
        if !(1..=365).contains(&auth.refresh_ttl_days) {
            return Err(invalid("auth.refresh_ttl_days", "must be 1..=365"));
        }
        if !(1..=1000).contains(&auth.max_failed_logins_per_hour) {
            return Err(invalid(
                "auth.max_failed_logins_per_hour",
                "must be 1..=1000",
            ));
        }
        if !(1..=100_000).contains(&auth.attempts_per_ip_per_minute) {
            return Err(invalid(
                "auth.attempts_per_ip_per_minute",
                "must be 1..=100000",
            ));
        }
        if !(8..=1_048_576).contains(&auth.argon2_memory_kib) {
            return Err(invalid("auth.argon2_memory_kib", "must be 8..=1048576"));
        }
        if !(1..=100).contains(&auth.argon2_iterations) {
            return Err(invalid("auth.argon2_iterations", "must be 1..=100"));
        }
        let codes = &self.codes;
        if !(60..=3600).contains(&codes.ttl_secs) {
            return Err(invalid("codes.ttl_secs", "must be 60..=3600"));
        }
        if !(10..=3600).contains(&codes.resend_secs) {
            return Err(invalid("codes.resend_secs", "must be 10..=3600"));
        }
        if !(1..=10).contains(&codes.max_attempts) {
            return Err(invalid("codes.max_attempts", "must be 1..=10"));
        }
        if !(1..=1000).contains(&codes.daily_per_target) {
            return Err(invalid("codes.daily_per_target", "must be 1..=1000"));
        }
        if !(1..=100_000).contains(&codes.daily_per_ip) {
            return Err(invalid("codes.daily_per_ip", "must be 1..=100000"));
        }
        if self.mail.provider == MailProvider::Smtp && self.mail.smtp_host.is_empty() {
            return Err(invalid(
                "mail.smtp_host",
                "is required with mail.provider = \"smtp\"",
            ));
        }
        if self.sms.provider == SmsProvider::Http && url::Url::parse(&self.sms.http_url).is_err() {
            return Err(invalid(
                "sms.http_url",
                "must be a URL with sms.provider = \"http\"",
            ));
        }
        if !self.sms.template.contains("{code}") {
            return Err(invalid("sms.template", "must contain {code}"));
        }
        if !self.oauth.public_url.is_empty() && url::Url::parse(&self.oauth.public_url).is_err() {
            return Err(invalid("oauth.public_url", "is not a valid URL"));
        }
        for entry in &self.oauth.redirect_allowlist {
            let ok = url::Url::parse(entry).is_ok_and(|u| {
                matches!(u.scheme(), "http" | "https")
                    && u.host().is_some()
                    && u.username().is_empty()
                    && u.password().is_none()
                    && u.fragment().is_none()
            });
            if !ok {
                return Err(invalid(
                    "oauth.redirect_allowlist",
                    format!("{entry:?} must be an http(s) origin or URL prefix"),
                ));
            }
        }
        let mut names = std::collections::HashSet::new();
        for p in &self.oauth.providers {
            if p.name.is_empty()
                || p.name.len() > 32
                || !p
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
                || !names.insert(p.name.as_str())
            {
                return Err(invalid(
                    "oauth.providers",
                    format!("name {:?} must be unique, 1-32 of [a-z0-9-]", p.name),
                ));
            }
            for (key, v) in [
                ("auth_url", &p.auth_url),
                ("token_url", &p.token_url),
                ("api_url", &p.api_url),
            ] {
                if !v.is_empty() && url::Url::parse(v).is_err() {
                    return Err(invalid(
                        "oauth.providers",
                        format!("{}: {key} is not a valid URL", p.name),
                    ));
                }
            }
            if p.kind == OauthKind::Oidc && url::Url::parse(&p.issuer_url).is_err() {
                return Err(invalid(
                    "oauth.providers",
                    format!("{}: issuer_url is required for kind = \"oidc\"", p.name),
                ));
            }
            if p.client_id.is_empty() {
                return Err(invalid(
                    "oauth.providers",
                    format!("{}: client_id is required", p.name),
                ));
            }
        }
        let m = &self.media;
        if !(1024..=1024 * 1024 * 1024).contains(&m.max_image_bytes) {
            return Err(invalid(
                "media.max_image_bytes",
                "must be 1024..=1073741824",
            ));
        }
        if !(16..=65_535).contains(&m.max_image_side) {
            return Err(invalid("media.max_image_side", "must be 16..=65535"));
        }
        if !(256..=1_000_000_000).contains(&m.max_image_pixels) {
            return Err(invalid(
                "media.max_image_pixels",
                "must be 256..=1000000000",
            ));
        }
        if !(16..=2048).contains(&m.thumbnail_side) {
            return Err(invalid("media.thumbnail_side", "must be 16..=2048"));
        }
        if !(1..=3600).contains(&m.upload_timeout_secs) {
            return Err(invalid("media.upload_timeout_secs", "must be 1..=3600"));
        }
        for (key, v) in [
            ("media.max_video_bytes", m.max_video_bytes),
            ("media.max_audio_bytes", m.max_audio_bytes),
            ("media.max_file_bytes", m.max_file_bytes),
        ] {
            if !(1024..=4 * 1024 * 1024 * 1024).contains(&v) {
                return Err(invalid(key, "must be 1024..=4294967296"));
            }
        }
        if !(1..=3600).contains(&m.signed_url_ttl_secs) {
            return Err(invalid("media.signed_url_ttl_secs", "must be 1..=3600"));
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
        if self.auth.argon2_memory_kib < 19_456 || self.auth.argon2_iterations < 2 {
            out.push((
                "auth.argon2_memory_kib",
                "argon2id below OWASP's minimum (19456 KiB, 2 iterations)",
            ));
        }
        if self.mail.provider == MailProvider::Log {
            out.push((
                "mail.provider",
                "\"log\" writes mails (and their codes) to the log",
            ));
        }
        if self.sms.provider == SmsProvider::Log {
            out.push((
                "sms.provider",
                "\"log\" writes SMS (and their codes) to the log",
            ));
        }
        if self.mail.provider == MailProvider::Smtp && self.mail.smtp_tls == SmtpTls::None {
            out.push((
                "mail.smtp_tls",
                "\"none\" sends mail and SMTP passwords in clear text",
            ));
        }
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
        c.mail.provider = MailProvider::Disabled;
        c.sms.provider = SmsProvider::Disabled;
        c.validate().unwrap();
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
    fn unreadable_words_file_names_the_key() {
        let mut c = Config::default();
        c.moderation.words_file = "/nonexistent/confab-words.txt".into();
        let e = c.validate().unwrap_err().to_string();
        assert!(e.contains("moderation.words_file"), "{e}");
    }

    #[test]
    fn defaults_validate() {
        Config::default().validate().unwrap();
    }
}
