//! Identity sections: `[auth]`, `[codes]`, `[mail]`, `[sms]` and `[oauth]`.

use serde::{Deserialize, Serialize};

use super::Secret;

/// The list in force when the config names none: the service's own names, staff roles,
/// and the mailbox names RFC 2142 reserves.
pub const DEFAULT_RESERVED_USERNAMES: &[&str] = &[
    "admin",
    "administrator",
    "root",
    "system",
    "sysadmin",
    "support",
    "help",
    "helpdesk",
    "confab",
    "official",
    "staff",
    "team",
    "moderator",
    "mod",
    "security",
    "service",
    "server",
    "notice",
    "notifications",
    "everyone",
    "all",
    "owner",
    "null",
    "undefined",
    "postmaster",
    "hostmaster",
    "webmaster",
    "abuse",
    "noreply",
    "info",
];

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
    /// Usernames nobody may sign up with, compared case- and look-alike-insensitively
    /// (`Adm1n` is `admin`; see `accounts::reserved`). Replaces the default list when set.
    pub reserved_usernames: Vec<String>,
    /// Who may create an account (every path: password sign-up, OAuth first sign-in):
    /// `open`, `closed`, `invite` (an administrator's invite code) or `window` (open from
    /// `registration_opens_at` until `registration_closes_at`). Existing accounts always
    /// sign in.
    pub registration: Registration,
    /// RFC 3339 time (e.g. `2027-01-01T00:00:00Z`) the window opens; `window` only.
    pub registration_opens_at: String,
    /// RFC 3339 time the window closes (exclusive); `window` only.
    pub registration_closes_at: String,
    /// Failed password sign-ins (per account, or from one IP address, within an hour)
    /// after which password sign-in needs a solved captcha (`GET /auth/captcha`). 0: never.
    pub captcha_after_failures: u32,
}

/// Who may create an account (`auth.registration`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Registration {
    /// Anyone.
    #[default]
    Open,
    /// Nobody (operators still make administrators with `confab admin create-admin`).
    Closed,
    /// Holders of an unexpired, unrevoked, not used-up invite code.
    Invite,
    /// Anyone, between `registration_opens_at` and `registration_closes_at`.
    Window,
}

impl AuthConfig {
    /// The registration window (`opens_at`, `closes_at`), when both times parse.
    pub fn registration_window(
        &self,
    ) -> Option<(chrono::DateTime<chrono::Utc>, chrono::DateTime<chrono::Utc>)> {
        let parse = |s: &str| {
            chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|t| t.with_timezone(&chrono::Utc))
        };
        Some((
            parse(&self.registration_opens_at)?,
            parse(&self.registration_closes_at)?,
        ))
    }
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
            registration: Registration::Open,
            registration_opens_at: String::new(),
            registration_closes_at: String::new(),
            captcha_after_failures: 0,
            reserved_usernames: DEFAULT_RESERVED_USERNAMES
                .iter()
                .map(|s| (*s).to_owned())
                .collect(),
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
