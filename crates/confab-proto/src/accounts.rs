//! Accounts: sign-up, sign-in, tokens, sessions and profiles.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ids::{FileId, SessionId, UserId};

/// `POST /auth/register`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"username": "alice", "password": "correct horse battery", "nickname": "Alice"}))]
pub struct RegisterIn {
    /// 3–32 characters of `a-z 0-9 _ .` (upper-case letters are lowered), not starting or
    /// ending with `.`.
    pub username: String,
    /// 8–128 characters; not a common password; not the username.
    pub password: String,
    /// Display name, 1–64 characters. Default: the username.
    #[serde(default)]
    pub nickname: Option<String>,
    /// Optional email; becomes verified only with `email_code`.
    #[serde(default)]
    pub email: Option<String>,
    /// A code sent to `email` with purpose `register`.
    #[serde(default)]
    pub email_code: Option<String>,
    /// Optional phone number in E.164 form (`+8613800138000`).
    #[serde(default)]
    pub phone: Option<String>,
    /// A code sent to `phone` with purpose `register`.
    #[serde(default)]
    pub phone_code: Option<String>,
    /// A name for this device, shown in the session list.
    #[serde(default)]
    pub device: Option<String>,
    /// A sign-up invite code from an administrator; required when the server's
    /// `auth.registration` is `invite`, ignored otherwise.
    #[serde(default)]
    pub invite_code: Option<String>,
}

/// `POST /auth/login`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"login": "alice", "password": "correct horse battery", "device": "Pixel 9"}))]
pub struct LoginIn {
    /// Username, email address, or phone number (E.164).
    pub login: String,
    /// The password.
    pub password: String,
    /// A name for this device, shown in the session list.
    #[serde(default)]
    pub device: Option<String>,
    /// The id from `GET /auth/captcha`, once sign-in answered `captcha_required` (after
    /// `auth.captcha_after_failures` failed attempts for the account or from the address).
    #[serde(default)]
    pub captcha_id: Option<String>,
    /// The characters shown in that captcha's image.
    #[serde(default)]
    pub captcha_answer: Option<String>,
}

/// `POST /auth/refresh`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RefreshIn {
    /// The refresh token from the last sign-in or refresh. Each is good for one refresh.
    pub refresh_token: String,
}

/// Tokens for a new or refreshed session.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TokenOut {
    /// Bearer token for `Authorization: Bearer …` and the WebSocket.
    pub access_token: String,
    /// Always `Bearer`.
    pub token_type: String,
    /// Seconds until `access_token` expires.
    pub expires_in: u64,
    /// Opaque; exchange at `POST /auth/refresh` for new tokens (rotates on every use).
    pub refresh_token: String,
    /// This device's session.
    pub session_id: SessionId,
    /// The signed-in user.
    pub user: MeOut,
}

/// The signed-in user's own view of their account.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MeOut {
    /// User id.
    pub id: UserId,
    /// Unique username.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// Email address, if bound.
    pub email: Option<String>,
    /// Whether the email was verified with a code.
    pub email_verified: bool,
    /// Phone number (E.164), if bound.
    pub phone: Option<String>,
    /// Whether the phone was verified with a code.
    pub phone_verified: bool,
    /// Avatar image, an uploaded file (`GET /files/{id}`).
    pub avatar: Option<FileId>,
    /// Self-description.
    pub bio: String,
    /// `male`, `female`, `other` or `unspecified`.
    pub gender: String,
    /// Interest tags.
    pub tags: Vec<String>,
    /// `user` or `admin`.
    pub role: String,
    /// Level, from lifetime coins spent on gifts.
    #[serde(default)]
    pub level: u32,
    /// VIP until then (absent or past: not VIP).
    #[serde(default)]
    pub vip_until: Option<DateTime<Utc>>,
    /// Whether a password is set (accounts made through a provider may have none).
    pub has_password: bool,
    /// When the account was made.
    pub created_at: DateTime<Utc>,
}

/// Anyone's public profile.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct UserOut {
    /// User id.
    pub id: UserId,
    /// Unique username.
    pub username: String,
    /// Display name.
    pub nickname: String,
    /// Avatar image (`GET /files/{id}`).
    pub avatar: Option<FileId>,
    /// Self-description.
    pub bio: String,
    /// `male`, `female`, `other` or `unspecified`.
    pub gender: String,
    /// Interest tags.
    pub tags: Vec<String>,
    /// Level, from lifetime coins spent on gifts (`gifts.level_thresholds`).
    #[serde(default)]
    pub level: u32,
    /// VIP until then (absent or past: not VIP).
    #[serde(default)]
    pub vip_until: Option<DateTime<Utc>>,
    /// How many users follow this user (`GET /users/{id}` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub follower_count: Option<u64>,
    /// How many users this user follows (`GET /users/{id}` only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub following_count: Option<u64>,
    /// How the signed-in viewer relates to this user (`GET /users/{id}` and `GET /users?q=`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub relation: Option<crate::social::Relation>,
}

/// `PATCH /me`: only the fields present change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MePatch {
    /// 1–64 characters.
    #[serde(default)]
    pub nickname: Option<String>,
    /// An uploaded image of mine, or `null` to remove the avatar.
    #[serde(default, with = "double_option")]
    #[schema(value_type = Option<String>)]
    pub avatar: Option<Option<FileId>>,
    /// Up to 500 characters.
    #[serde(default)]
    pub bio: Option<String>,
    /// `male`, `female`, `other` or `unspecified`.
    #[serde(default)]
    pub gender: Option<String>,
    /// Up to 10 tags of 1–20 characters.
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// `PUT /me/password`: give the current password, or a code sent with purpose
/// `change_password` to the account's verified email or phone.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordChangeIn {
    /// The current password.
    #[serde(default)]
    pub old_password: Option<String>,
    /// Instead of the old password: `email` or `sms`.
    #[serde(default)]
    pub code_channel: Option<String>,
    /// The code.
    #[serde(default)]
    pub code: Option<String>,
    /// The new password (same rules as sign-up).
    pub new_password: String,
}

/// `DELETE /me`
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DeleteMeIn {
    /// The current password (required when the account has one).
    #[serde(default)]
    pub password: Option<String>,
}

/// One signed-in device.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SessionOut {
    /// Session id.
    pub id: SessionId,
    /// The device name given at sign-in.
    pub device: String,
    /// The IP address that signed in.
    pub ip: String,
    /// The client's User-Agent at sign-in.
    pub user_agent: String,
    /// When it signed in.
    pub created_at: DateTime<Utc>,
    /// Last refresh or sign-in.
    pub last_used_at: DateTime<Utc>,
    /// When it expires unless refreshed.
    pub expires_at: DateTime<Utc>,
    /// Whether this is the session making the request.
    pub current: bool,
}

/// `GET /users?q=`
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct UserSearchQuery {
    /// An id, an exact username, email or phone, or part of a nickname (1–64 characters).
    #[param(min_length = 1)]
    pub q: String,
    /// From `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–50 (default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// A page of results.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct Page<T> {
    /// The results.
    pub items: Vec<T>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// Distinguishes an absent field from an explicit `null` in PATCH bodies.
pub mod double_option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};

    /// Absent → `None`; `null` → `Some(None)`; a value → `Some(Some(v))`.
    pub fn deserialize<'de, T, D>(d: D) -> Result<Option<Option<T>>, D::Error>
    where
        T: Deserialize<'de>,
        D: Deserializer<'de>,
    {
        Option::<T>::deserialize(d).map(Some)
    }

    /// The inverse of [`deserialize`] (absent fields are skipped by the caller).
    pub fn serialize<T: Serialize, S: Serializer>(
        v: &Option<Option<T>>,
        s: S,
    ) -> Result<S::Ok, S::Error> {
        match v {
            Some(inner) => inner.serialize(s),
            None => s.serialize_none(),
        }
    }
}
