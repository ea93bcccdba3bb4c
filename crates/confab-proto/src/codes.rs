//! Verification codes and captchas: asking for a code, signing in or resetting a password
//! with one, and binding an email or phone.

use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// `POST /auth/codes`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "email", "target": "alice@example.com", "purpose": "login"}))]
pub struct CodeRequestIn {
    /// `email` or `sms`.
    pub channel: String,
    /// The email address, or the phone number in E.164 form (`+8613800138000`).
    pub target: String,
    /// `register`, `login`, `reset_password`, `change_password` (signed in, to the account's
    /// own verified address) or `bind` (signed in, to a new address).
    pub purpose: String,
    /// The id from `GET /auth/captcha`, when the server requires a captcha.
    #[serde(default)]
    pub captcha_id: Option<String>,
    /// The characters shown in that captcha's image.
    #[serde(default)]
    pub captcha_answer: Option<String>,
}

/// The answer to `POST /auth/codes`. It is the same whether or not a code was actually
/// sent (for sign-in and reset, an unknown address gets no code but the same answer).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CodeSentOut {
    /// Seconds the code stays valid.
    pub expires_in: u64,
    /// Seconds before another code may be asked for this target.
    pub resend_after: u64,
}

/// `GET /auth/captcha`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CaptchaOut {
    /// Give this back as `captcha_id`.
    pub captcha_id: String,
    /// The picture, as a `data:image/png;base64,…` URL.
    pub image: String,
    /// Seconds the captcha stays valid; each works for one answer.
    pub expires_in: u64,
}

/// `POST /auth/login/code`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"channel": "sms", "target": "+8613800138000", "code": "123456"}))]
pub struct CodeLoginIn {
    /// `email` or `sms`.
    pub channel: String,
    /// The verified email address or phone number of the account.
    pub target: String,
    /// The code sent with purpose `login`.
    pub code: String,
    /// A name for this device, shown in the session list.
    #[serde(default)]
    pub device: Option<String>,
}

/// `POST /auth/password/reset`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordResetIn {
    /// `email` or `sms`.
    pub channel: String,
    /// The verified email address or phone number of the account.
    pub target: String,
    /// The code sent with purpose `reset_password`.
    pub code: String,
    /// The new password (same rules as sign-up).
    pub new_password: String,
}

/// `PUT /me/email`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct EmailBindIn {
    /// The address to bind.
    pub email: String,
    /// The code sent to it with purpose `bind`.
    pub code: String,
}

/// `PUT /me/phone`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PhoneBindIn {
    /// The number to bind, in E.164 form.
    pub phone: String,
    /// The code sent to it with purpose `bind`.
    pub code: String,
}
