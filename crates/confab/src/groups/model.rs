//! Group rules that need no IO: field bounds, text screening, mute and ban ends.

use chrono::{DateTime, Duration, Utc};
use confab_proto::ErrorCode;
use confab_proto::groups::{MuteFor, Role};

use crate::error::ApiError;
use crate::state::AppState;

/// Longest group name, in characters.
pub const MAX_NAME: usize = 64;
/// Longest description.
pub const MAX_DESCRIPTION: usize = 1000;
/// Longest announcement.
pub const MAX_ANNOUNCEMENT: usize = 2000;
/// Longest group nickname.
pub const MAX_NICKNAME: usize = 32;
/// Longest join-request note or ban reason.
pub const MAX_NOTE: usize = 200;
/// Most users added (or named at creation) in one request.
pub const MAX_ADD: usize = 100;
/// A permanent mute is stored as this end (9999-12-31T23:59:59.999Z).
pub const FOREVER_MS: i64 = 253_402_300_799_999;

fn no_controls(s: &str, newlines: bool) -> bool {
    !s.chars()
        .any(|c| c.is_control() && !(newlines && (c == '\n' || c == '\t')))
}

/// Checks a user-written text's bounds and runs it through the sensitive-word filter:
/// returns what to store (masked per the filter's action, or `content_blocked`).
pub fn text(
    state: &AppState,
    field: &'static str,
    value: &str,
    min: usize,
    max: usize,
    multiline: bool,
) -> Result<String, ApiError> {
    let v = if multiline { value } else { value.trim() };
    let n = v.chars().count();
    if n < min || n > max || !no_controls(v, multiline) || (min > 0 && v.trim().is_empty()) {
        return Err(ApiError::invalid(
            field,
            format!("{field}: {min} to {max} characters, no control characters"),
        ));
    }
    // `review` delivers the masked text; group texts have no report target of their own yet.
    Ok(crate::moderation::filter::check(state, field, v)?.text)
}

/// A note (join request, ban reason): bounded, screened.
pub fn note(
    state: &AppState,
    field: &'static str,
    v: Option<&str>,
) -> Result<Option<String>, ApiError> {
    match v {
        None => Ok(None),
        Some(s) if s.trim().is_empty() => Ok(None),
        Some(s) => text(state, field, s, 1, MAX_NOTE, false).map(Some),
    }
}

/// When a mute ends, from a patch's `mute` / `mute_until`; `None` = unmute.
pub fn mute_end(
    now: DateTime<Utc>,
    mute: Option<MuteFor>,
    until: Option<DateTime<Utc>>,
) -> Result<Option<i64>, ApiError> {
    match (mute, until) {
        (Some(_), Some(_)) => Err(ApiError::invalid(
            "mute_until",
            "give either mute or mute_until, not both",
        )),
        (Some(MuteFor::OneHour), None) => Ok(Some((now + Duration::hours(1)).timestamp_millis())),
        (Some(MuteFor::OneDay), None) => Ok(Some((now + Duration::hours(24)).timestamp_millis())),
        (Some(MuteFor::Permanent), None) => Ok(Some(FOREVER_MS)),
        (Some(MuteFor::Off), None) => Ok(None),
        (None, Some(t)) => future(now, t, "mute_until").map(Some),
        (None, None) => Err(ApiError::invalid("mute", "nothing to change")),
    }
}

/// A time that must lie in the future (and before year 10000), as stored milliseconds.
pub fn future(now: DateTime<Utc>, t: DateTime<Utc>, field: &'static str) -> Result<i64, ApiError> {
    let ms = t.timestamp_millis();
    if t <= now || ms > FOREVER_MS {
        return Err(ApiError::invalid(
            field,
            format!("{field}: a time in the future"),
        ));
    }
    Ok(ms)
}

/// Whether `actor` may moderate `target` (kick, mute, recall their messages): the owner
/// may act on anyone else; an admin only on plain members.
pub fn outranks(actor: Role, target: Role) -> bool {
    match actor {
        Role::Owner => target != Role::Owner,
        Role::Admin => target == Role::Member,
        Role::Member => false,
    }
}

/// `group_role_required`.
pub fn role_required(what: &'static str) -> ApiError {
    ApiError::new(ErrorCode::GroupRoleRequired, what)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranks() {
        assert!(outranks(Role::Owner, Role::Admin));
        assert!(outranks(Role::Owner, Role::Member));
        assert!(!outranks(Role::Owner, Role::Owner));
        assert!(outranks(Role::Admin, Role::Member));
        assert!(!outranks(Role::Admin, Role::Admin));
        assert!(!outranks(Role::Admin, Role::Owner));
        assert!(!outranks(Role::Member, Role::Member));
    }

    #[test]
    fn mute_ends() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        let h = mute_end(now, Some(MuteFor::OneHour), None)
            .unwrap()
            .unwrap();
        assert_eq!(h - now.timestamp_millis(), 3_600_000);
        assert_eq!(
            mute_end(now, Some(MuteFor::Permanent), None).unwrap(),
            Some(FOREVER_MS)
        );
        assert_eq!(mute_end(now, Some(MuteFor::Off), None).unwrap(), None);
        assert!(mute_end(now, None, Some(now)).is_err(), "not in the future");
        assert!(mute_end(now, None, None).is_err());
        assert!(mute_end(now, Some(MuteFor::Off), Some(now + Duration::hours(1))).is_err());
    }
}
