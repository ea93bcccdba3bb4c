//! Account rules that need no IO: what a valid username, email, phone, nickname and profile
//! field is, and the account's domain types.

use chrono::{DateTime, Utc};
use confab_proto::accounts::{MeOut, UserOut};
use confab_proto::ids::{FileId, UserId};

use super::error::AccountsError;
use crate::error::ApiError;

/// Account status.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Status {
    /// Can sign in.
    Active,
    /// Blocked by an administrator; can be re-enabled.
    Disabled,
    /// Deleted by its owner; personal data scrubbed.
    Deleted,
}

impl Status {
    /// Stored form.
    pub fn as_str(self) -> &'static str {
        match self {
            Status::Active => "active",
            Status::Disabled => "disabled",
            Status::Deleted => "deleted",
        }
    }
    /// From the stored form (unknown values read as disabled: fail closed).
    pub fn parse(s: &str) -> Self {
        match s {
            "active" => Status::Active,
            "deleted" => Status::Deleted,
            _ => Status::Disabled,
        }
    }
}

/// System role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Role {
    /// A normal user.
    User,
    /// A system administrator.
    Admin,
}

impl Role {
    /// Stored and token form.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
    /// From the stored form (unknown values read as `user`: fail closed).
    pub fn parse(s: &str) -> Self {
        if s == "admin" {
            Role::Admin
        } else {
            Role::User
        }
    }
}

/// A user account as the rest of the server sees it.
#[derive(Clone, Debug)]
pub struct User {
    /// Id.
    pub id: UserId,
    /// Unique, normalised username.
    pub username: String,
    /// Lower-cased email.
    pub email: Option<String>,
    /// Verified by a code.
    pub email_verified: bool,
    /// E.164 phone.
    pub phone: Option<String>,
    /// Verified by a code.
    pub phone_verified: bool,
    /// argon2id PHC string.
    pub password_hash: Option<String>,
    /// Display name.
    pub nickname: String,
    /// Avatar file.
    pub avatar: Option<FileId>,
    /// Self-description.
    pub bio: String,
    /// Gender.
    pub gender: String,
    /// Tags.
    pub tags: Vec<String>,
    /// Status.
    pub status: Status,
    /// Role.
    pub role: Role,
    /// Level, from lifetime gift spend (written by gifts through [`crate::accounts::standing`]).
    pub level: u32,
    /// VIP until then.
    pub vip_until: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
}

impl User {
    /// The owner's view.
    pub fn me(&self) -> MeOut {
        MeOut {
            id: self.id,
            username: self.username.clone(),
            nickname: self.nickname.clone(),
            email: self.email.clone(),
            email_verified: self.email_verified,
            phone: self.phone.clone(),
            phone_verified: self.phone_verified,
            avatar: self.avatar,
            bio: self.bio.clone(),
            gender: self.gender.clone(),
            tags: self.tags.clone(),
            role: self.role.as_str().to_owned(),
            level: self.level,
            vip_until: self.vip_until,
            has_password: self.password_hash.is_some(),
            created_at: self.created_at,
        }
    }

    /// Everyone's view.
    pub fn public(&self) -> UserOut {
        UserOut {
            id: self.id,
            username: self.username.clone(),
            nickname: self.nickname.clone(),
            avatar: self.avatar,
            bio: self.bio.clone(),
            gender: self.gender.clone(),
            tags: self.tags.clone(),
            level: self.level,
            vip_until: self.vip_until,
            follower_count: None,
            following_count: None,
            relation: None,
        }
    }
}

fn bad(field: &'static str, msg: &'static str) -> ApiError {
    ApiError::invalid(field, msg)
}

/// Lowers ASCII letters, then requires 3–32 of `[a-z0-9_.]`, no leading/trailing/double dot.
pub fn normalize_username(raw: &str) -> Result<String, ApiError> {
    let u = raw.to_ascii_lowercase();
    let ok_chars = u
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_' || b == b'.');
    if !(3..=32).contains(&u.len())
        || !ok_chars
        || u.starts_with('.')
        || u.ends_with('.')
        || u.contains("..")
    {
        return Err(bad(
            "username",
            "username: 3 to 32 characters of a-z, 0-9, `_` and `.`, not starting or ending with `.`",
        ));
    }
    Ok(u)
}

/// Lower-cases and checks an email address (a pragmatic subset of RFC 5322: what mail
/// providers actually hand out).
pub fn normalize_email(raw: &str) -> Result<String, ApiError> {
    let e = raw.trim().to_lowercase();
    let err = || bad("email", "email: not a valid email address");
    if e.len() > 254 || e.chars().any(|c| c.is_control() || c.is_whitespace()) {
        return Err(err());
    }
    let (local, domain) = e.split_once('@').ok_or_else(err)?;
    if local.is_empty()
        || local.len() > 64
        || domain.contains('@')
        || !domain.contains('.')
        || domain.starts_with('.')
        || domain.ends_with('.')
        || domain.contains("..")
        || !domain
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '.')
    {
        return Err(err());
    }
    Ok(e)
}

/// Checks an E.164 phone number: `+`, a non-zero digit, 7 to 15 digits in all.
pub fn normalize_phone(raw: &str) -> Result<String, ApiError> {
    let p: String = raw
        .trim()
        .chars()
        .filter(|c| *c != ' ' && *c != '-')
        .collect();
    let digits = p.strip_prefix('+').unwrap_or("");
    if !(7..=15).contains(&digits.len())
        || !digits.bytes().all(|b| b.is_ascii_digit())
        || digits.starts_with('0')
    {
        return Err(bad("phone", "phone: use E.164 form, e.g. +8613800138000"));
    }
    Ok(p)
}

/// Whether a character is invisible or reorders text: the display-text rule's
/// ([`crate::moderation::text::hidden`]).
pub(crate) fn is_invisible(c: char) -> bool {
    crate::moderation::text::hidden(c)
}

/// A single-line display text: trimmed, `min..=max` characters, under the one display-text
/// rule ([`crate::moderation::text`]).
pub fn display_text(
    field: &'static str,
    raw: &str,
    min: usize,
    max: usize,
) -> Result<String, ApiError> {
    crate::moderation::text::line(field, raw, min, max)
}

/// A multi-line text (bio): up to `max` characters under the display-text rule; newlines
/// and tabs allowed.
pub fn multiline_text(field: &'static str, raw: &str, max: usize) -> Result<String, ApiError> {
    crate::moderation::text::lines(field, raw, 0, max)
}

/// One of the known genders.
pub fn gender(raw: &str) -> Result<String, ApiError> {
    match raw {
        "male" | "female" | "other" | "unspecified" => Ok(raw.to_owned()),
        _ => Err(bad("gender", "gender: male, female, other or unspecified")),
    }
}

/// Up to 10 distinct tags of 1–20 characters.
pub fn tags(raw: &[String]) -> Result<Vec<String>, ApiError> {
    if raw.len() > 10 {
        return Err(bad("tags", "tags: at most 10"));
    }
    let mut out: Vec<String> = Vec::with_capacity(raw.len());
    for t in raw {
        let t = display_text("tags", t, 1, 20)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// An optional device name: trimmed, cut to 64 characters, controls removed.
pub fn device_name(raw: Option<&str>) -> String {
    raw.unwrap_or("")
        .chars()
        .filter(|c| !c.is_control() && !is_invisible(*c))
        .take(64)
        .collect::<String>()
        .trim()
        .to_owned()
}

/// A password within the length bounds (strength is checked separately).
pub fn password_shape(raw: &str) -> Result<(), ApiError> {
    let n = raw.chars().count();
    if !(8..=128).contains(&n) {
        return Err(AccountsError::PasswordLength.into());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usernames() {
        assert_eq!(normalize_username("Alice_01").unwrap(), "alice_01");
        assert_eq!(normalize_username("a.b").unwrap(), "a.b");
        for bad in [
            "ab",
            ".abc",
            "abc.",
            "a..b",
            "al ice",
            "alice\n",
            "аlice",
            "a\u{200b}bc",
            &"x".repeat(33),
            "ali%",
            "ali'",
        ] {
            assert!(normalize_username(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn emails_and_phones() {
        assert_eq!(
            normalize_email(" Bob@Example.COM ").unwrap(),
            "bob@example.com"
        );
        for bad in [
            "bob",
            "bob@",
            "@x.com",
            "bob@x",
            "bob@@x.com",
            "b ob@x.com",
            "bob@x..com",
            "bob@x.com\r\nBcc: eve@x.com",
        ] {
            assert!(normalize_email(bad).is_err(), "{bad:?}");
        }
        assert_eq!(
            normalize_phone("+86 138-0013-8000").unwrap(),
            "+8613800138000"
        );
        for bad in [
            "8613800138000",
            "+0123456789",
            "+12",
            "+1234567890123456",
            "+12345abc90",
        ] {
            assert!(normalize_phone(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn display_texts() {
        assert_eq!(display_text("nickname", "  Ann  ", 1, 64).unwrap(), "Ann");
        assert!(display_text("nickname", "", 1, 64).is_err());
        assert!(display_text("nickname", "a\u{202e}b", 1, 64).is_err());
        assert!(display_text("nickname", "a\u{0}b", 1, 64).is_err());
        assert_eq!(
            display_text("nickname", "😀 中文 عربى", 1, 64).unwrap(),
            "😀 中文 عربى"
        );
        assert!(tags(&vec!["a".into(); 11]).is_err());
        assert_eq!(tags(&["x".into(), "x".into()]).unwrap(), ["x"]);
    }
}
