//! Configuration: one typed struct, built from defaults → `confab.toml` → `CONFAB_*`
//! environment variables (nested keys with `__`, e.g. `CONFAB_DATABASE__URL`), then validated.
//! A bad value stops start-up with one line naming the key and what is wrong.
//!
//! Secrets are typed ([`Secret`], [`Dsn`]) so that `Debug`, logs and `confab config` never
//! print them.
//!
//! # Layout
//! - this module: [`Config`] itself, [`Config::load`], [`ConfigError`] and [`Mode`];
//! - `server`, `auth`, `chat`: the sections (`[database]` … `[moderation]`) and their
//!   defaults, re-exported here;
//! - `validate`: [`Config::validate`], one ordered table of rules, and the dev-only settings;
//! - `secret`: [`Secret`] and [`Dsn`].

use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use figment::Figment;
use figment::providers::{Env, Format, Serialized, Toml};
use serde::{Deserialize, Serialize};

mod auth;
mod calls;
mod chat;
mod gifts;
mod push;
mod rooms;
mod secret;
mod server;
mod telemetry;
mod validate;

pub use auth::{
    AuthConfig, CodesConfig, MailConfig, MailProvider, OauthConfig, OauthKind, OauthProviderConfig,
    Registration, RequireVerified, SmsConfig, SmsProvider, SmtpTls,
};
pub use calls::{CallsConfig, TurnConfig};
pub use chat::{
    ChannelsConfig, DirectPolicy, FilterAction, GatewayConfig, GroupsConfig, MediaConfig,
    MessagingConfig, ModerationConfig, SocialConfig,
};
pub use gifts::GiftsConfig;
pub use push::PushConfig;
pub use rooms::RoomsConfig;
pub use secret::{Dsn, Secret};
pub use server::{
    BlobBackend, BlobConfig, DatabaseConfig, HttpConfig, RedisConfig, S3Config, SqliteSynchronous,
};
pub use telemetry::{LogConfig, LogFormat, LogOutput, LogRotation, TelemetryConfig};

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
    /// Traces (OpenTelemetry) and message trails.
    pub telemetry: TelemetryConfig,
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
    /// Voice rooms.
    pub rooms: RoomsConfig,
    /// Gifts, wallets and the ledger.
    pub gifts: GiftsConfig,
    /// Voice and video calls.
    pub calls: CallsConfig,
    /// Offline push through a webhook.
    pub push: PushConfig,
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
            telemetry: TelemetryConfig::default(),
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
            rooms: RoomsConfig::default(),
            gifts: GiftsConfig::default(),
            calls: CallsConfig::default(),
            push: PushConfig::default(),
        }
    }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let mut c = Config::default();
        c.database.url = Dsn::new("mysql://root:hunter2@db:3306/confab");
        c.redis.url = Dsn::new("redis://:s3cret@cache:6379/0");
        c.blob.s3.secret_access_key = Secret::new("AKIA-very-secret");
        c.push.secret = Secret::new("push-hmac-key-0123456789abcdef-0123");
        let printed = format!("{c:?}\n{}", c.to_toml().unwrap());
        for secret in [
            "hunter2",
            "s3cret",
            "AKIA-very-secret",
            "push-hmac-key-0123456789abcdef-0123",
        ] {
            assert!(!printed.contains(secret), "{secret} leaked");
        }
        assert!(printed.contains("mysql://root:********@db:3306/confab"));
    }

    /// `confab.example.toml` documents every key, with the real defaults.
    #[test]
    fn example_file_lists_every_key_with_its_default() {
        let text = include_str!("../../../../confab.example.toml");
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
}
