//! [`Config::validate`]: every rule that parsing alone cannot check, as one ordered table.
//!
//! Each rule is a row `(key, check)` of [`RULES`], spelled once. The rows run in order and
//! the first that fails is the error, naming its key. Plain integer ranges are data
//! ([`Check::Range`], written with `range!`, which also derives the key from the field);
//! the other rules (shapes of their own, cross-field rules) are small functions grouped by
//! section below the table. After the table, production mode refuses every dev-only
//! setting ([`DEV_ONLY`]).

use crate::infra::ids::MAX_NODE_ID;

use super::{
    BlobBackend, Config, ConfigError, MailProvider, Mode, OauthKind, Registration, SmsProvider,
    SmtpTls,
};

/// How one key is checked.
enum Check {
    /// An integer, read by `get`, must be in `min..=max`. The reason reads
    /// `must be {min}..={max}{note}`.
    Range {
        get: fn(&Config) -> u64,
        min: u64,
        max: u64,
        note: &'static str,
    },
    /// A string, read by `get`, is empty or a URL; else it "is not a valid URL".
    OptionalUrl(fn(&Config) -> &str),
    /// Any other rule: `Err(reason)` when the value is not acceptable.
    Rule(fn(&Config) -> Result<(), String>),
}

impl Check {
    /// Why `c` breaks this rule, if it does.
    fn check(&self, c: &Config) -> Result<(), String> {
        match self {
            Check::Range {
                get,
                min,
                max,
                note,
            } => ensure(
                (*min..=*max).contains(&get(c)),
                &format!("must be {min}..={max}{note}"),
            ),
            Check::OptionalUrl(get) => {
                let v = get(c);
                ensure(
                    v.is_empty() || url::Url::parse(v).is_ok(),
                    "is not a valid URL",
                )
            }
            Check::Rule(rule) => rule(c),
        }
    }
}

/// `Ok` if `ok`, else `reason`.
fn ensure(ok: bool, reason: &str) -> Result<(), String> {
    if ok { Ok(()) } else { Err(reason.to_owned()) }
}

/// The integer types that range rules read, widened to `u64` to compare.
trait Widen {
    fn widen(self) -> u64;
}

impl Widen for u32 {
    fn widen(self) -> u64 {
        self.into()
    }
}

impl Widen for u64 {
    fn widen(self) -> u64 {
        self
    }
}

impl Widen for i64 {
    fn widen(self) -> u64 {
        // A negative amount reads as 0: below every range's minimum that matters.
        u64::try_from(self).unwrap_or(0)
    }
}

impl Widen for usize {
    fn widen(self) -> u64 {
        u64::try_from(self).unwrap_or(u64::MAX)
    }
}

/// A row for `section.field` in `min..=max` (with an optional note after the range).
macro_rules! range {
    ($section:ident . $field:ident, $min:literal ..= $max:expr) => {
        range!($section.$field, $min..=$max, "")
    };
    ($section:ident . $field:ident, $min:literal ..= $max:expr, $note:literal) => {
        (
            concat!(stringify!($section), ".", stringify!($field)),
            Check::Range {
                get: |c| Widen::widen(c.$section.$field),
                min: $min,
                max: $max,
                note: $note,
            },
        )
    };
}

/// Every rule, in the order they are checked.
const RULES: &[(&str, Check)] = &[
    (
        "node_id",
        Check::Range {
            get: |c| c.node_id.map_or(0, u64::from),
            min: 0,
            max: MAX_NODE_ID as u64,
            note: "",
        },
    ),
    ("data_dir", Check::Rule(data_dir)),
    ("database.url", Check::Rule(database_url)),
    range!(database.max_connections, 1..=256),
    range!(database.acquire_timeout_secs, 1..=120),
    ("redis.url", Check::Rule(redis_url)),
    ("redis.prefix", Check::Rule(redis_prefix)),
    ("blob.s3.bucket", Check::Rule(s3_bucket)),
    ("blob.s3.endpoint", Check::OptionalUrl(s3_endpoint)),
    range!(http.body_limit_bytes, 1024..=64 * 1024 * 1024),
    range!(http.request_timeout_secs, 1..=600),
    range!(http.header_read_timeout_secs, 1..=300),
    range!(http.max_connections_per_ip, 0..=1_000_000),
    (
        "http.cors_allowed_origins",
        Check::Rule(cors_allowed_origins),
    ),
    range!(gateway.heartbeat_secs, 1..=300),
    ("gateway.idle_timeout_secs", Check::Rule(idle_timeout)),
    range!(gateway.auth_timeout_secs, 1..=120),
    range!(gateway.max_frame_bytes, 1024..=16 * 1024 * 1024),
    range!(gateway.outbound_queue, 4..=65_536),
    range!(gateway.frames_per_second, 1..=10_000),
    range!(gateway.frames_burst, 1..=100_000),
    ("moderation.words_file", Check::Rule(words_file)),
    range!(
        messaging.edit_window_secs,
        0..=365 * 86_400,
        " (0: no edits)"
    ),
    range!(
        messaging.recall_window_secs,
        0..=365 * 86_400,
        " (0: no recalls by the sender)"
    ),
    range!(messaging.sends_per_second, 1..=10_000),
    ("messaging.sends_burst", Check::Rule(sends_burst)),
    range!(social.max_pending_requests, 1..=10_000),
    range!(social.max_friends, 1..=100_000),
    range!(social.requests_per_minute, 1..=10_000),
    range!(groups.max_member_limit, 2..=1_000_000),
    (
        "groups.default_member_limit",
        Check::Rule(default_member_limit),
    ),
    range!(channels.world_posts_per_minute, 1..=600),
    range!(moderation.reports_per_day, 0..=10_000),
    ("auth.jwt_secret", Check::Rule(jwt_secret)),
    range!(auth.access_ttl_secs, 60..=86_400),
    range!(auth.refresh_ttl_days, 1..=365),
    range!(auth.max_failed_logins_per_hour, 1..=1000),
    range!(auth.attempts_per_ip_per_minute, 1..=100_000),
    range!(auth.argon2_memory_kib, 8..=1_048_576),
    range!(auth.argon2_iterations, 1..=100),
    ("auth.registration", Check::Rule(registration)),
    range!(auth.captcha_after_failures, 0..=1000, " (0: never)"),
    ("auth.reserved_usernames", Check::Rule(reserved_usernames)),
    range!(codes.ttl_secs, 60..=3600),
    range!(codes.resend_secs, 10..=3600),
    range!(codes.max_attempts, 1..=10),
    range!(codes.daily_per_target, 1..=1000),
    range!(codes.daily_per_ip, 1..=100_000),
    ("mail.smtp_host", Check::Rule(smtp_host)),
    ("sms.http_url", Check::Rule(sms_http_url)),
    ("sms.template", Check::Rule(sms_template)),
    (
        "oauth.public_url",
        Check::OptionalUrl(|c| c.oauth.public_url.as_str()),
    ),
    ("oauth.redirect_allowlist", Check::Rule(redirect_allowlist)),
    ("oauth.providers", Check::Rule(oauth_providers)),
    range!(media.max_image_bytes, 1024..=1024 * 1024 * 1024),
    range!(media.max_image_side, 16..=65_535),
    range!(media.max_image_pixels, 256..=1_000_000_000),
    range!(media.thumbnail_side, 16..=2048),
    range!(media.upload_timeout_secs, 1..=3600),
    range!(media.max_video_bytes, 1024..=4 * 1024 * 1024 * 1024),
    range!(media.max_audio_bytes, 1024..=4 * 1024 * 1024 * 1024),
    range!(media.max_file_bytes, 1024..=4 * 1024 * 1024 * 1024),
    range!(media.signed_url_ttl_secs, 1..=3600),
    (
        "media.livekit_url",
        Check::OptionalUrl(|c| c.media.livekit_url.as_str()),
    ),
    ("media.livekit_api_secret", Check::Rule(livekit_secret)),
    range!(media.media_token_ttl_secs, 30..=86_400),
    range!(rooms.grace_secs, 0..=3600),
    range!(rooms.application_ttl_secs, 5..=86_400),
    range!(rooms.invite_ttl_secs, 5..=86_400),
    range!(rooms.kick_ban_secs, 0..=365 * 86_400),
    range!(rooms.history_on_join, 0..=1000),
    range!(rooms.max_open_per_owner, 1..=1000),
    range!(gifts.receiver_share_percent, 0..=100),
    range!(gifts.combo_window_secs, 0..=60),
    ("gifts.level_thresholds", Check::Rule(level_thresholds)),
    range!(gifts.vip_price_coins, 1..=1_000_000_000),
    range!(gifts.vip_days, 1..=366),
    ("gifts.topup_secret", Check::Rule(topup_secret)),
    range!(gifts.topup_tolerance_secs, 10..=3600),
    range!(calls.ring_timeout_secs, 5..=600),
    range!(calls.grace_secs, 0..=600),
    range!(calls.signal_max_bytes, 256..=65_536),
    range!(calls.signals_per_second, 1..=1000),
    ("calls.turn", Check::Rule(turn)),
    ("push.webhook_url", Check::Rule(push_webhook)),
    range!(push.batch_window_ms, 0..=60_000, " (0: no batching)"),
    range!(push.max_batch_items, 1..=100),
    range!(push.preview_chars, 0..=1000),
    range!(push.max_attempts, 1..=20),
    range!(push.retry_base_ms, 10..=60_000),
    range!(push.timeout_ms, 100..=60_000),
    range!(push.queue, 16..=1_000_000),
    ("log.level", Check::Rule(log_level)),
    range!(log.max_file_bytes, 65_536..=1 << 40),
    range!(log.keep_files, 1..=10_000),
    ("log.file_name", Check::Rule(log_file_name)),
    (
        "telemetry.otlp_endpoint",
        Check::OptionalUrl(|c| &c.telemetry.otlp_endpoint),
    ),
    ("telemetry.sample_ratio", Check::Rule(sample_ratio)),
    ("telemetry.service_name", Check::Rule(service_name)),
    range!(telemetry.export_interval_ms, 100..=60_000),
    range!(telemetry.trail_secs, 0..=86_400),
];

/// Whether a config uses some setting.
type InUse = fn(&Config) -> bool;

/// Settings meant for development only: (key, why, whether `c` uses it), in report order.
const DEV_ONLY: &[(&str, &str, InUse)] = &[
    (
        "auth.argon2_memory_kib",
        "argon2id below OWASP's minimum (19456 KiB, 2 iterations)",
        |c| c.auth.argon2_memory_kib < 19_456 || c.auth.argon2_iterations < 2,
    ),
    (
        "mail.provider",
        "\"log\" writes mails (and their codes) to the log",
        |c| c.mail.provider == MailProvider::Log,
    ),
    (
        "sms.provider",
        "\"log\" writes SMS (and their codes) to the log",
        |c| c.sms.provider == SmsProvider::Log,
    ),
    (
        "mail.smtp_tls",
        "\"none\" sends mail and SMTP passwords in clear text",
        |c| c.mail.provider == MailProvider::Smtp && c.mail.smtp_tls == SmtpTls::None,
    ),
    (
        "push.webhook_url",
        "plain http:// to another host sends message previews unencrypted",
        |c| {
            url::Url::parse(&c.push.webhook_url).is_ok_and(|u| {
                u.scheme() == "http"
                    && !matches!(u.host_str(), Some("localhost" | "127.0.0.1" | "[::1]"))
            })
        },
    ),
    (
        "http.cors_allowed_origins",
        "\"*\" lets any web page call the API",
        |c| c.http.cors_allowed_origins.iter().any(|o| o == "*"),
    ),
];

impl Config {
    /// Checks every value that parsing alone cannot, and that production mode refuses every
    /// dev-only setting.
    pub fn validate(&self) -> Result<(), ConfigError> {
        for (key, check) in RULES {
            check
                .check(self)
                .map_err(|reason| super::invalid(key, reason))?;
        }
        if self.mode == Mode::Production
            && let Some((key, why)) = self.dev_only_settings().into_iter().next()
        {
            return Err(super::invalid(
                key,
                format!("{why}: not allowed with mode = \"production\""),
            ));
        }
        Ok(())
    }

    /// The dev-only settings in use, each with why it is dev-only. Empty in a production-ready
    /// config; printed as a warning at start in dev mode.
    pub fn dev_only_settings(&self) -> Vec<(&'static str, &'static str)> {
        DEV_ONLY
            .iter()
            .filter(|(_, _, in_use)| in_use(self))
            .map(|&(key, why, _)| (key, why))
            .collect()
    }
}

// Top level, `[database]`, `[redis]`, `[blob]`.

fn data_dir(c: &Config) -> Result<(), String> {
    ensure(!c.data_dir.as_os_str().is_empty(), "must not be empty")
}

fn database_url(c: &Config) -> Result<(), String> {
    let db = c.database.url.expose();
    if db.is_empty() {
        return Ok(());
    }
    let scheme = db.split(':').next().unwrap_or_default();
    ensure(
        matches!(scheme, "sqlite" | "mysql" | "mariadb"),
        "must start with sqlite:, mysql: or mariadb:",
    )?;
    ensure(
        scheme == "sqlite" || url::Url::parse(db).is_ok(),
        "is not a valid URL",
    )
}

fn redis_url(c: &Config) -> Result<(), String> {
    let redis = c.redis.url.expose();
    ensure(
        redis.is_empty()
            || url::Url::parse(redis).is_ok_and(|u| matches!(u.scheme(), "redis" | "rediss")),
        "must be a redis:// or rediss:// URL",
    )
}

fn redis_prefix(c: &Config) -> Result<(), String> {
    let prefix = &c.redis.prefix;
    ensure(
        !prefix.is_empty()
            && prefix.len() <= 64
            && prefix
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_-.".contains(&b)),
        "must be 1 to 64 characters of [A-Za-z0-9_.-]",
    )
}

fn s3_bucket(c: &Config) -> Result<(), String> {
    ensure(
        c.blob.backend != BlobBackend::S3 || !c.blob.s3.bucket.is_empty(),
        "is required when blob.backend = \"s3\"",
    )
}

/// The S3 endpoint when the S3 backend is in use (otherwise it is not checked).
fn s3_endpoint(c: &Config) -> &str {
    match c.blob.backend {
        BlobBackend::S3 => &c.blob.s3.endpoint,
        BlobBackend::Local => "",
    }
}

// `[http]`, `[gateway]`, `[moderation]`, `[messaging]`, `[groups]`.

fn cors_allowed_origins(c: &Config) -> Result<(), String> {
    for origin in &c.http.cors_allowed_origins {
        if origin != "*" && axum::http::HeaderValue::from_str(origin).is_err() {
            return Err(format!("{origin:?} is not a valid origin"));
        }
    }
    Ok(())
}

fn idle_timeout(c: &Config) -> Result<(), String> {
    let gw = &c.gateway;
    ensure(
        gw.idle_timeout_secs > gw.heartbeat_secs && gw.idle_timeout_secs <= 3600,
        "must be more than gateway.heartbeat_secs and at most 3600",
    )
}

fn words_file(c: &Config) -> Result<(), String> {
    let words = &c.moderation.words_file;
    if !words.is_empty()
        && let Err(e) = std::fs::read_to_string(words)
    {
        return Err(format!("cannot be read ({words}): {e}"));
    }
    Ok(())
}

fn sends_burst(c: &Config) -> Result<(), String> {
    let msg = &c.messaging;
    ensure(
        msg.sends_burst >= msg.sends_per_second && msg.sends_burst <= 100_000,
        "must be at least messaging.sends_per_second and at most 100000",
    )
}

fn default_member_limit(c: &Config) -> Result<(), String> {
    let groups = &c.groups;
    ensure(
        (2..=groups.max_member_limit).contains(&groups.default_member_limit),
        "must be 2..=groups.max_member_limit",
    )
}

// `[auth]`, `[mail]`, `[sms]`, `[oauth]`, `[log]`.

fn jwt_secret(c: &Config) -> Result<(), String> {
    let secret = &c.auth.jwt_secret;
    ensure(
        secret.is_empty() || secret.expose().len() >= 32,
        "must be at least 32 bytes",
    )?;
    ensure(
        !secret.is_empty() || c.redis.url.is_empty(),
        "is required with redis.url: every node of a cluster must share one key",
    )
}

fn registration(c: &Config) -> Result<(), String> {
    let a = &c.auth;
    let set = !a.registration_opens_at.is_empty() || !a.registration_closes_at.is_empty();
    if a.registration != Registration::Window {
        return ensure(
            !set,
            "registration_opens_at / registration_closes_at are used only with registration = \"window\"",
        );
    }
    let Some((opens, closes)) = a.registration_window() else {
        return Err(
            "= \"window\" needs registration_opens_at and registration_closes_at as RFC 3339 times (e.g. 2027-01-01T00:00:00Z)"
                .into(),
        );
    };
    ensure(
        opens < closes,
        "window: registration_opens_at must be before registration_closes_at",
    )
}

fn level_thresholds(c: &Config) -> Result<(), String> {
    let t = &c.gifts.level_thresholds;
    ensure(
        t.len() <= 100 && t.first().is_none_or(|&f| f > 0) && t.windows(2).all(|w| w[0] < w[1]),
        "must be at most 100 positive, strictly increasing amounts",
    )
}

fn turn(c: &Config) -> Result<(), String> {
    let t = &c.calls.turn;
    ensure(
        t.secret.is_empty() || t.secret.expose().len() >= 32,
        "secret: must be at least 32 bytes (or empty: no TURN credentials)",
    )?;
    ensure(
        t.stun_urls.len() <= 16
            && t.stun_urls
                .iter()
                .all(|u| u.len() <= 256 && (u.starts_with("stun:") || u.starts_with("stuns:"))),
        "stun_urls: at most 16 `stun:` / `stuns:` URLs",
    )?;
    ensure(
        t.urls.len() <= 16
            && t.urls
                .iter()
                .all(|u| u.len() <= 256 && (u.starts_with("turn:") || u.starts_with("turns:"))),
        "urls: at most 16 `turn:` / `turns:` URLs",
    )?;
    ensure(
        (60..=7 * 86_400).contains(&t.ttl_secs),
        "ttl_secs: must be 60 to 604800",
    )
}

fn topup_secret(c: &Config) -> Result<(), String> {
    let s = &c.gifts.topup_secret;
    ensure(
        s.is_empty() || s.expose().len() >= 32,
        "must be at least 32 bytes (or empty: top-ups off)",
    )
}

fn livekit_secret(c: &Config) -> Result<(), String> {
    let m = &c.media;
    ensure(
        m.livekit_api_key.is_empty() || m.livekit_api_secret.expose().len() >= 32,
        "must be at least 32 bytes when media.livekit_api_key is set",
    )?;
    ensure(
        m.livekit_url.is_empty() || !m.livekit_api_key.is_empty(),
        "is required, with media.livekit_api_key, when media.livekit_url is set",
    )
}

fn smtp_host(c: &Config) -> Result<(), String> {
    ensure(
        c.mail.provider != MailProvider::Smtp || !c.mail.smtp_host.is_empty(),
        "is required with mail.provider = \"smtp\"",
    )
}

fn sms_http_url(c: &Config) -> Result<(), String> {
    ensure(
        c.sms.provider != SmsProvider::Http || url::Url::parse(&c.sms.http_url).is_ok(),
        "must be a URL with sms.provider = \"http\"",
    )
}

fn sms_template(c: &Config) -> Result<(), String> {
    ensure(c.sms.template.contains("{code}"), "must contain {code}")
}

fn reserved_usernames(c: &Config) -> Result<(), String> {
    for name in &c.auth.reserved_usernames {
        let ok = (1..=32).contains(&name.len())
            && name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
        if !ok {
            return Err(format!(
                "{name:?} must be 1 to 32 characters of a-z, 0-9, `_` and `.`"
            ));
        }
    }
    Ok(())
}

fn redirect_allowlist(c: &Config) -> Result<(), String> {
    for entry in &c.oauth.redirect_allowlist {
        let ok = url::Url::parse(entry).is_ok_and(|u| {
            matches!(u.scheme(), "http" | "https")
                && u.host().is_some()
                && u.username().is_empty()
                && u.password().is_none()
                && u.fragment().is_none()
        });
        if !ok {
            return Err(format!("{entry:?} must be an http(s) origin or URL prefix"));
        }
    }
    Ok(())
}

fn oauth_providers(c: &Config) -> Result<(), String> {
    let mut names = std::collections::HashSet::new();
    for p in &c.oauth.providers {
        if p.name.is_empty()
            || p.name.len() > 32
            || !p
                .name
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            || !names.insert(p.name.as_str())
        {
            return Err(format!(
                "name {:?} must be unique, 1-32 of [a-z0-9-]",
                p.name
            ));
        }
        for (key, v) in [
            ("auth_url", &p.auth_url),
            ("token_url", &p.token_url),
            ("api_url", &p.api_url),
        ] {
            if !v.is_empty() && url::Url::parse(v).is_err() {
                return Err(format!("{}: {key} is not a valid URL", p.name));
            }
        }
        if p.kind == OauthKind::Oidc && url::Url::parse(&p.issuer_url).is_err() {
            return Err(format!(
                "{}: issuer_url is required for kind = \"oidc\"",
                p.name
            ));
        }
        if p.client_id.is_empty() {
            return Err(format!("{}: client_id is required", p.name));
        }
    }
    Ok(())
}

fn push_webhook(c: &Config) -> Result<(), String> {
    let p = &c.push;
    if p.webhook_url.is_empty() {
        return Ok(());
    }
    let ok = url::Url::parse(&p.webhook_url)
        .is_ok_and(|u| matches!(u.scheme(), "http" | "https") && u.host().is_some());
    ensure(ok, "is not an http(s) URL")?;
    ensure(
        p.secret.expose().len() >= 32,
        "needs push.secret, at least 32 bytes (the HMAC key signing each request)",
    )
}

fn log_level(c: &Config) -> Result<(), String> {
    ensure(
        tracing_subscriber::EnvFilter::try_new(&c.log.level).is_ok(),
        "is not a valid tracing filter",
    )
}

fn log_file_name(c: &Config) -> Result<(), String> {
    let n = &c.log.file_name;
    ensure(
        !n.is_empty() && n.len() <= 100 && !n.contains(['/', '\\']) && n != "." && n != "..",
        "must be a plain file name (no directories), 1..=100 bytes",
    )
}

fn sample_ratio(c: &Config) -> Result<(), String> {
    ensure(
        (0.0..=1.0).contains(&c.telemetry.sample_ratio),
        "must be 0.0..=1.0",
    )
}

fn service_name(c: &Config) -> Result<(), String> {
    let n = &c.telemetry.service_name;
    ensure(
        !n.is_empty() && n.len() <= 64 && !n.chars().any(char::is_control),
        "must be 1..=64 characters, no control characters",
    )
}

#[cfg(test)]
mod tests {
    use crate::config::{Config, Dsn, MailProvider, Mode, SmsProvider};

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

    #[test]
    fn registration_window_needs_two_ordered_rfc3339_times() {
        use crate::config::Registration;
        let err = |c: &Config| c.validate().unwrap_err().to_string();
        let mut c = Config::default();
        c.auth.registration = Registration::Window;
        assert!(err(&c).contains("`auth.registration`"), "{}", err(&c));
        c.auth.registration_opens_at = "2027-01-01T00:00:00Z".into();
        c.auth.registration_closes_at = "next tuesday".into();
        assert!(err(&c).contains("RFC 3339"), "{}", err(&c));
        c.auth.registration_closes_at = "2026-12-31T00:00:00+01:00".into();
        assert!(err(&c).contains("before"), "{}", err(&c));
        c.auth.registration_closes_at = "2027-02-01T00:00:00+01:00".into();
        c.validate().unwrap();
        // Window times without the window mode are a mistake, not silently ignored.
        c.auth.registration = Registration::Invite;
        assert!(err(&c).contains("only with"), "{}", err(&c));
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
