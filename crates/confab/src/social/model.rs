//! The social graph's domain types and input rules (no IO).

use chrono::{DateTime, Utc};
use confab_proto::ids::{FriendRequestId, UserId};
use confab_proto::social::{
    FriendRequestStatus, MAX_GREETING_CHARS, MAX_NOTE_CHARS, MAX_REMARK_CHARS, PrivacyOut,
};

use crate::error::ApiError;

/// A friend request as stored.
#[derive(Debug, Clone, PartialEq)]
pub struct Request {
    /// Id.
    pub id: FriendRequestId,
    /// Sender.
    pub from: UserId,
    /// Recipient.
    pub to: UserId,
    /// The sender's note.
    pub note: String,
    /// The greeting (first message of the chat once accepted).
    pub greeting: String,
    /// State.
    pub status: FriendRequestStatus,
    /// First sent.
    pub created_at: DateTime<Utc>,
    /// Last merged or answered.
    pub updated_at: DateTime<Utc>,
}

/// One side of a friendship (each pair has two rows: one per owner).
#[derive(Debug, Clone, PartialEq)]
pub struct Friendship {
    /// The owner of this side (the remark and tags are theirs).
    pub user: UserId,
    /// The friend.
    pub friend: UserId,
    /// The owner's alias for the friend.
    pub remark: String,
    /// The owner's tags for the friend.
    pub tags: Vec<String>,
    /// Friends since.
    pub since: DateTime<Utc>,
}

/// Who may find a user by an exact field.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Privacy {
    /// By username.
    pub by_username: bool,
    /// By email.
    pub by_email: bool,
    /// By phone.
    pub by_phone: bool,
}

impl Default for Privacy {
    /// Usernames are public handles; email addresses and phone numbers are personal data,
    /// so finding someone by them is opt-in (docs/decisions/0008-discovery-privacy.md).
    fn default() -> Self {
        Self {
            by_username: true,
            by_email: false,
            by_phone: false,
        }
    }
}

impl Privacy {
    /// The wire form.
    pub fn out(self) -> PrivacyOut {
        PrivacyOut {
            findable_by_username: self.by_username,
            findable_by_email: self.by_email,
            findable_by_phone: self.by_phone,
        }
    }
}

/// The stored form of a request status.
pub fn status_str(s: FriendRequestStatus) -> &'static str {
    match s {
        FriendRequestStatus::Pending => "pending",
        FriendRequestStatus::Accepted => "accepted",
        FriendRequestStatus::Declined => "declined",
        FriendRequestStatus::Cancelled => "cancelled",
    }
}

/// A stored request status back (unknown values read as cancelled: fail closed).
pub fn parse_status(s: &str) -> FriendRequestStatus {
    match s {
        "pending" => FriendRequestStatus::Pending,
        "accepted" => FriendRequestStatus::Accepted,
        "declined" => FriendRequestStatus::Declined,
        _ => FriendRequestStatus::Cancelled,
    }
}

/// The key that makes a pending request unique per direction.
pub fn pending_key(from: UserId, to: UserId) -> String {
    format!("{from}:{to}")
}

/// A request note: trimmed, at most [`MAX_NOTE_CHARS`], one line of display text.
pub fn note(raw: Option<&str>) -> Result<String, ApiError> {
    crate::moderation::text::line("note", raw.unwrap_or(""), 0, MAX_NOTE_CHARS)
}

/// A greeting: trimmed, at most [`MAX_GREETING_CHARS`] of display text, newlines allowed.
pub fn greeting(raw: Option<&str>) -> Result<String, ApiError> {
    crate::moderation::text::lines("greeting", raw.unwrap_or(""), 0, MAX_GREETING_CHARS)
}

/// A remark: `None` or empty clears it; otherwise 1–[`MAX_REMARK_CHARS`] characters.
pub fn remark(raw: Option<&str>) -> Result<String, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(String::new()),
        Some(r) => crate::accounts::model::display_text("remark", r, 1, MAX_REMARK_CHARS),
    }
}

/// Parses a cursor this feature handed out (a positive id).
pub fn cursor(raw: Option<&str>) -> Result<Option<i64>, ApiError> {
    raw.map(|c| {
        confab_proto::ids::parse_id(c)
            .map_err(|_| ApiError::invalid("cursor", "cursor: not a cursor from this endpoint"))
    })
    .transpose()
}

/// A page size: 1–100, default 50.
pub fn limit(raw: Option<u32>) -> Result<u64, ApiError> {
    let l = raw.unwrap_or(50);
    if !(1..=100).contains(&l) {
        return Err(ApiError::invalid("limit", "limit: 1 to 100"));
    }
    Ok(u64::from(l))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn notes_greetings_and_remarks_are_bounded() {
        assert_eq!(note(None).unwrap(), "");
        assert_eq!(note(Some("  hi  ")).unwrap(), "hi");
        assert!(note(Some(&"x".repeat(MAX_NOTE_CHARS + 1))).is_err());
        assert!(note(Some("two\nlines")).is_err());
        assert!(note(Some("zero\u{200B}width")).is_err());
        assert!(greeting(Some("two\nlines")).is_ok());
        assert!(greeting(Some(&"é".repeat(MAX_GREETING_CHARS))).is_ok());
        assert!(greeting(Some(&"é".repeat(MAX_GREETING_CHARS + 1))).is_err());
        assert!(greeting(Some("bell\u{7}")).is_err());
        assert_eq!(remark(Some("  ")).unwrap(), "");
        assert_eq!(remark(Some("Bobby")).unwrap(), "Bobby");
        assert!(remark(Some(&"r".repeat(MAX_REMARK_CHARS + 1))).is_err());
    }

    #[test]
    fn cursors_and_limits() {
        assert_eq!(cursor(None).unwrap(), None);
        assert_eq!(cursor(Some("42")).unwrap(), Some(42));
        for bad in ["", "-1", "0", "abc", "99999999999999999999"] {
            assert!(cursor(Some(bad)).is_err(), "{bad}");
        }
        assert_eq!(limit(None).unwrap(), 50);
        assert!(limit(Some(0)).is_err() && limit(Some(101)).is_err());
    }

    #[test]
    fn statuses_round_trip() {
        for s in [
            FriendRequestStatus::Pending,
            FriendRequestStatus::Accepted,
            FriendRequestStatus::Declined,
            FriendRequestStatus::Cancelled,
        ] {
            assert_eq!(parse_status(status_str(s)), s);
        }
    }
}
