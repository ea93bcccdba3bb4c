//! A room as the feature sees it, and the checks of single input fields (no IO).

use chrono::{DateTime, Utc};
use confab_proto::gifts::RoomGiftTotals;
use confab_proto::ids::{ConversationId, FileId, RoomId, UserId};
use confab_proto::rooms::{RoomOut, RoomRole, RoomVisibility, SeatMode};

use crate::error::ApiError;
use crate::state::AppState;

/// Longest room name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Longest announcement, in characters.
pub const MAX_ANNOUNCEMENT_CHARS: usize = 500;
/// Longest reason of a kick, in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 32;
/// Most seats a room has.
pub const MAX_SEATS: u32 = 20;
/// Seats of a room made without a count.
pub const DEFAULT_SEATS: u32 = 8;
/// Longest kick ban, in seconds (one year).
pub const MAX_BAN_SECS: u64 = 365 * 86_400;

/// A room row.
#[derive(Debug, Clone, PartialEq)]
pub struct Room {
    /// Id.
    pub id: RoomId,
    /// Owner.
    pub owner_id: UserId,
    /// The room chat.
    pub conversation_id: ConversationId,
    /// Name.
    pub name: String,
    /// Cover image.
    pub cover: Option<FileId>,
    /// Tag.
    pub tag: Option<String>,
    /// Announcement ("" for none).
    pub announcement: String,
    /// Entered with a password.
    pub private: bool,
    /// The password's argon2 PHC string.
    pub password_hash: Option<String>,
    /// Seats.
    pub seat_count: u32,
    /// How seats are taken.
    pub seat_mode: SeatMode,
    /// Only the owner and admins chat.
    pub mute_all: bool,
    /// Seat version.
    pub seat_version: i64,
    /// Users in the room now.
    pub audience: u32,
    /// Last entry, seat change or close.
    pub last_active_at: DateTime<Utc>,
    /// Closed.
    pub closed_at: Option<DateTime<Utc>>,
    /// Created.
    pub created_at: DateTime<Utc>,
    /// Gifts sent in it (kept by gifts through [`super::gifting`]).
    pub gift_totals: RoomGiftTotals,
}

impl Room {
    /// The wire form, with `my_role` when it is for one user.
    pub fn out(&self, my_role: Option<RoomRole>) -> RoomOut {
        RoomOut {
            id: self.id,
            conversation_id: self.conversation_id,
            owner_id: self.owner_id,
            name: self.name.clone(),
            cover: self.cover,
            tag: self.tag.clone(),
            announcement: self.announcement.clone(),
            visibility: if self.private {
                RoomVisibility::Private
            } else {
                RoomVisibility::Public
            },
            seat_count: self.seat_count,
            seat_mode: self.seat_mode,
            mute_all: self.mute_all,
            audience: self.audience,
            closed: self.closed_at.is_some(),
            gift_totals: self.gift_totals,
            my_role,
            created_at: self.created_at,
        }
    }
}

/// The stored form of a seat mode.
pub fn seat_mode_str(m: SeatMode) -> &'static str {
    match m {
        SeatMode::Free => "free",
        SeatMode::Apply => "apply",
    }
}

/// A seat mode from its stored form (`apply` for anything but `free`: the stricter one).
pub fn seat_mode_of(s: &str) -> SeatMode {
    if s == "free" {
        SeatMode::Free
    } else {
        SeatMode::Apply
    }
}

/// A seat count of 1–20.
pub fn seat_count(n: u32) -> Result<u32, ApiError> {
    if !(1..=MAX_SEATS).contains(&n) {
        return Err(ApiError::invalid(
            "seat_count",
            format!("seat_count: 1 to {MAX_SEATS}"),
        ));
    }
    Ok(n)
}

/// A room password: 4–64 characters, no control characters (kept as typed).
pub fn password(raw: &str) -> Result<&str, ApiError> {
    let n = raw.chars().count();
    if !(4..=64).contains(&n) || raw.chars().any(char::is_control) {
        return Err(ApiError::invalid(
            "password",
            "password: 4 to 64 characters, no control characters",
        ));
    }
    Ok(raw)
}

/// A tag name: 1–32 characters of display text.
pub fn tag(raw: &str) -> Result<String, ApiError> {
    crate::accounts::model::display_text("tag", raw, 1, MAX_TAG_CHARS)
}

/// A kick's reason: up to 200 characters of display text, screened like any text others
/// read (the kicked user sees it); empty is none.
pub fn reason(state: &AppState, raw: Option<&str>) -> Result<Option<String>, ApiError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(r) => {
            let r = crate::accounts::model::display_text("reason", r, 1, MAX_REASON_CHARS)?;
            Ok(Some(
                crate::moderation::screen::screen(state, "reason", &r)?.text,
            ))
        }
    }
}
