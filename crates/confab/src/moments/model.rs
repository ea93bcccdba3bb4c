//! Moments' domain types, their stored spellings and the input bounds (no IO).

use chrono::{DateTime, Duration, Utc};
use confab_proto::ids::{FileId, MomentCommentId, MomentId, MomentNotificationId, UserId};
use confab_proto::moments::{Location, NotificationKind, StrangerRange, Visibility};

use super::error::MomentsError;

/// The longest moment text, in characters.
pub const MAX_TEXT: usize = 2_000;
/// The longest comment, in characters.
pub const MAX_COMMENT: usize = 500;
/// Images per moment.
pub const MAX_IMAGES: usize = 9;
/// Mentions per moment.
pub const MAX_MENTIONS: usize = 20;
/// Users in an `only`/`except` list.
pub const MAX_AUDIENCE_USERS: usize = 200;
/// Tags in an `only`/`except` list.
pub const MAX_AUDIENCE_TAGS: usize = 20;
/// Entries of each hide list.
pub const MAX_HIDES: u64 = 1_000;

/// A stored moment with its media, list and mentions.
#[derive(Debug, Clone)]
pub struct Post {
    /// Id.
    pub id: MomentId,
    /// Author.
    pub author: UserId,
    /// Text as stored (screened).
    pub text: String,
    /// Visibility.
    pub visibility: Visibility,
    /// Place.
    pub location: Option<Location>,
    /// Likes.
    pub like_count: i64,
    /// Comments.
    pub comment_count: i64,
    /// Hidden by a moderator.
    pub hidden: bool,
    /// When posted.
    pub created_at: DateTime<Utc>,
    /// Media, in order.
    pub media: Vec<FileId>,
    /// The list's users.
    pub audience_users: Vec<UserId>,
    /// The list's tags.
    pub audience_tags: Vec<String>,
    /// Mentioned friends.
    pub mentions: Vec<UserId>,
}

/// A stored comment.
#[derive(Debug, Clone)]
pub struct Comment {
    /// Id.
    pub id: MomentCommentId,
    /// The moment.
    pub moment: MomentId,
    /// Who wrote it.
    pub author: UserId,
    /// The comment answered.
    pub reply_to: Option<MomentCommentId>,
    /// Its author.
    pub reply_to_user: Option<UserId>,
    /// Text (screened).
    pub text: String,
    /// Hidden by a moderator.
    pub hidden: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A stored inbox entry.
#[derive(Debug, Clone)]
pub struct Notification {
    /// Id.
    pub id: MomentNotificationId,
    /// To whom.
    pub user: UserId,
    /// Who did it.
    pub actor: UserId,
    /// What.
    pub kind: NotificationKind,
    /// The moment.
    pub moment: MomentId,
    /// The comment, for comments and replies.
    pub comment: Option<MomentCommentId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A user's settings.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    /// How far back strangers see public moments.
    pub stranger_range: StrangerRange,
    /// Cover image.
    pub cover: Option<FileId>,
    /// Notifications up to this id are read.
    pub notifications_read: i64,
    /// The feed was read up to this moment id.
    pub feed_seen: i64,
}

/// Which hide list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HideKind {
    /// My moments are hidden from them.
    From,
    /// Their moments are left out of my feed.
    Mute,
}

/// The stored spelling of a visibility.
pub fn visibility_str(v: Visibility) -> &'static str {
    match v {
        Visibility::Public => "public",
        Visibility::Friends => "friends",
        Visibility::Private => "private",
        Visibility::Only => "only",
        Visibility::Except => "except",
    }
}

/// A stored visibility (an unknown one reads as `private`: fail closed).
pub fn visibility_from_str(s: &str) -> Visibility {
    match s {
        "public" => Visibility::Public,
        "friends" => Visibility::Friends,
        "only" => Visibility::Only,
        "except" => Visibility::Except,
        _ => Visibility::Private,
    }
}

/// The stored spelling of a range.
pub fn range_str(r: StrangerRange) -> &'static str {
    match r {
        StrangerRange::All => "all",
        StrangerRange::SixMonths => "six_months",
        StrangerRange::OneMonth => "one_month",
        StrangerRange::ThreeDays => "three_days",
    }
}

/// A stored range (unknown: the narrowest, fail closed).
pub fn range_from_str(s: &str) -> StrangerRange {
    match s {
        "all" => StrangerRange::All,
        "six_months" => StrangerRange::SixMonths,
        "one_month" => StrangerRange::OneMonth,
        _ => StrangerRange::ThreeDays,
    }
}

/// The oldest moment a stranger may see under `range`, at `now`.
pub fn range_start(range: StrangerRange, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let days = match range {
        StrangerRange::All => return None,
        StrangerRange::SixMonths => 182,
        StrangerRange::OneMonth => 30,
        StrangerRange::ThreeDays => 3,
    };
    Some(now - Duration::days(days))
}

/// A page size: 1–50, default 20.
pub fn limit(raw: Option<u32>) -> Result<u64, MomentsError> {
    match raw {
        None => Ok(20),
        Some(n @ 1..=50) => Ok(u64::from(n)),
        Some(_) => Err(MomentsError::Invalid("limit", "1 to 50")),
    }
}

/// An id cursor (a positive decimal id).
pub fn id_cursor(raw: Option<&str>) -> Result<Option<i64>, MomentsError> {
    raw.map(|c| {
        confab_proto::ids::parse_id(c)
            .map_err(|_| MomentsError::Invalid("cursor", "a cursor from a previous page"))
    })
    .transpose()
}

/// A like cursor: `created_at ms` `.` `user id`.
pub fn like_cursor(raw: Option<&str>) -> Result<Option<(i64, i64)>, MomentsError> {
    let bad = || MomentsError::Invalid("cursor", "a cursor from a previous page");
    raw.map(|c| {
        let (a, b) = c.split_once('.').ok_or_else(bad)?;
        let at = confab_proto::ids::parse_id(a).map_err(|_| bad())?;
        let user = confab_proto::ids::parse_id(b).map_err(|_| bad())?;
        Ok((at, user))
    })
    .transpose()
}

/// A checked place.
pub fn location(l: &Location) -> Result<Location, MomentsError> {
    let name = crate::moderation::text::line("location.name", &l.name, 1, 100).map_err(|_| {
        MomentsError::Invalid(
            "location.name",
            "1 to 100 characters of display text (no control or invisible characters)",
        )
    })?;
    if l.latitude.is_some_and(|v| !(-90.0..=90.0).contains(&v)) {
        return Err(MomentsError::Invalid("location.latitude", "-90 to 90"));
    }
    if l.longitude.is_some_and(|v| !(-180.0..=180.0).contains(&v)) {
        return Err(MomentsError::Invalid("location.longitude", "-180 to 180"));
    }
    Ok(Location {
        name,
        latitude: l.latitude,
        longitude: l.longitude,
    })
}

/// The first `n` characters of a text, for notification excerpts.
pub fn excerpt(text: &str, n: usize) -> String {
    text.chars().take(n).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ranges_round_trip_and_unknown_fails_closed() {
        for r in [
            StrangerRange::All,
            StrangerRange::SixMonths,
            StrangerRange::OneMonth,
            StrangerRange::ThreeDays,
        ] {
            assert_eq!(range_from_str(range_str(r)), r);
        }
        assert_eq!(range_from_str("?"), StrangerRange::ThreeDays);
        assert_eq!(visibility_from_str("?"), Visibility::Private);
    }

    #[test]
    fn cursors_and_limits_are_bounded() {
        assert!(limit(Some(0)).is_err());
        assert!(limit(Some(51)).is_err());
        assert_eq!(limit(None).unwrap(), 20);
        assert!(id_cursor(Some("-1")).is_err());
        assert_eq!(like_cursor(Some("5.7")).unwrap(), Some((5, 7)));
        assert!(like_cursor(Some("5")).is_err());
    }
}
