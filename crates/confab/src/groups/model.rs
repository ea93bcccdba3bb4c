//! Group rules that need no IO: field bounds, text screening (and the reviews it leaves
//! to file), mute and ban ends, ranks.

use chrono::{DateTime, Duration, Utc};
use confab_proto::groups::{MuteFor, Role};
use confab_proto::ids::{GroupId, UserId};

use crate::error::ApiError;
use crate::moderation::screen::{Screened, Target, screen};
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

/// The user-written texts of one change, screened by the one screening step: each call
/// checks a text's bounds and returns what to store (masked per the configured action, or
/// `content_blocked`); under `review`, [`Texts::file_reviews`] files the reports once the
/// change is stored.
pub struct Texts<'a> {
    state: &'a AppState,
    screened: Vec<Screened>,
}

impl<'a> Texts<'a> {
    /// No text screened yet.
    pub fn new(state: &'a AppState) -> Self {
        Self {
            state,
            screened: Vec::new(),
        }
    }

    /// A text of `min`..=`max` characters under the one display-text rule
    /// ([`crate::moderation::text`]; newlines and tabs only in multi-line ones), screened.
    pub fn text(
        &mut self,
        field: &'static str,
        value: &str,
        min: usize,
        max: usize,
        multiline: bool,
    ) -> Result<String, ApiError> {
        let v = if multiline {
            crate::moderation::text::lines(field, value, min, max)?
        } else {
            crate::moderation::text::line(field, value, min, max)?
        };
        let s = screen(self.state, field, &v)?;
        let text = s.text.clone();
        self.screened.push(s);
        Ok(text)
    }

    /// An optional text: `None` stays `None`, anything else is [`Texts::text`].
    pub fn optional(
        &mut self,
        field: &'static str,
        value: Option<&str>,
        min: usize,
        max: usize,
        multiline: bool,
    ) -> Result<Option<String>, ApiError> {
        value
            .map(|v| self.text(field, v, min, max, multiline))
            .transpose()
    }

    /// A note (join request, ban reason): blank is none; else bounded, screened.
    pub fn note(
        &mut self,
        field: &'static str,
        v: Option<&str>,
    ) -> Result<Option<String>, ApiError> {
        match v {
            None => Ok(None),
            Some(s) if s.trim().is_empty() => Ok(None),
            Some(s) => self.text(field, s, 1, MAX_NOTE, false).map(Some),
        }
    }

    /// Files the reviews the screened texts ask for, against `group`, written by `actor`.
    /// Call it once the change is stored.
    pub async fn file_reviews(self, group: GroupId, actor: UserId) {
        for s in &self.screened {
            s.file_review(
                self.state,
                Target::Group(group),
                Some(actor),
                "sensitive word in a group text",
            )
            .await;
        }
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
