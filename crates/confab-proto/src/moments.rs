//! Moments, the friends' feed (see `docs/moments.md`): posts with text, images or a video,
//! visibility, likes, comments, the notification inbox, feed settings and `moment.*` events.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::UserOut;
use crate::ids::{FileId, MomentCommentId, MomentId, MomentNotificationId, UserId};
use crate::media::FileOut;

/// Who may see a moment (decided again on every read).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
#[schema(as = MomentVisibility)]
pub enum Visibility {
    /// Friends; strangers too, on my page, within my `stranger_range`.
    Public,
    /// My friends.
    #[default]
    Friends,
    /// Only me.
    Private,
    /// Only the friends in `audience` (by id or by my tag for them).
    Only,
    /// My friends except those in `audience`.
    Except,
}

/// The list of an `only` or `except` moment: friends by id, and friends by the tags I gave
/// them (`PATCH /friends/{id}`). Read at read time: retagging a friend changes what they see.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Audience {
    /// Friends by id (at most 200).
    #[serde(default)]
    pub user_ids: Vec<UserId>,
    /// My friend tags (at most 20, 1–20 characters each).
    #[serde(default)]
    pub tags: Vec<String>,
}

/// Where a moment was posted from.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Location {
    /// The place's name: 1–100 characters.
    pub name: String,
    /// Degrees, −90 to 90.
    #[serde(default)]
    pub latitude: Option<f64>,
    /// Degrees, −180 to 180.
    #[serde(default)]
    pub longitude: Option<f64>,
}

/// `POST /moments`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"text": "sunset at the pier", "media": ["7260000000000000001"], "visibility": "only", "audience": {"tags": ["family"]}}))]
pub struct PostMomentIn {
    /// Up to 2,000 characters (screened by the sensitive-word filter). A moment has text,
    /// media or both.
    #[serde(default)]
    pub text: String,
    /// My own uploads: up to 9 images, or exactly one video.
    #[serde(default)]
    pub media: Vec<FileId>,
    /// Default `friends`.
    #[serde(default)]
    pub visibility: Visibility,
    /// Required (non-empty) for `only` and `except`; refused otherwise.
    #[serde(default)]
    pub audience: Option<Audience>,
    /// Optional place.
    #[serde(default)]
    pub location: Option<Location>,
    /// Friends to remind ("who should see this"): up to 20, notified when they may see it.
    #[serde(default)]
    pub mentions: Vec<UserId>,
}

/// A moment as the viewer sees it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct MomentOut {
    /// Id (time-ordered).
    pub id: MomentId,
    /// The author's profile.
    pub author: UserOut,
    /// Text (masked if the filter matched).
    pub text: String,
    /// Images (up to 9) or one video, in order.
    pub media: Vec<FileOut>,
    /// Its visibility.
    pub visibility: Visibility,
    /// The `only`/`except` list: shown to the author only.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub audience: Option<Audience>,
    /// Place.
    pub location: Option<Location>,
    /// Reminded friends the viewer may know of (the author sees all).
    pub mentions: Vec<UserId>,
    /// Whether I like it.
    pub liked_by_me: bool,
    /// All likes (the author only; others list the likes they may see).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub like_count: Option<u64>,
    /// All comments (the author only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub comment_count: Option<u64>,
    /// Hidden by a moderator (only its author still sees it).
    pub hidden: bool,
    /// When posted.
    pub created_at: DateTime<Utc>,
}

/// A page of moments, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct MomentPage {
    /// The moments.
    pub items: Vec<MomentOut>,
    /// Pass as `cursor` for the next (older) page; absent at the end.
    pub next_cursor: Option<String>,
}

/// A user's page: their cover and the moments I may see of theirs.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct UserMomentsOut {
    /// The user.
    pub user: UserOut,
    /// Their cover image.
    pub cover: Option<FileId>,
    /// Newest first.
    pub items: Vec<MomentOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// `?cursor=&limit=` of every moments list.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MomentsQuery {
    /// From a previous page's `next_cursor`.
    #[serde(default)]
    pub cursor: Option<String>,
    /// 1–50 (default 20).
    #[serde(default)]
    #[param(minimum = 1, maximum = 50)]
    pub limit: Option<u32>,
}

/// The state of my like after `PUT` or `DELETE /moments/{id}/like` (both idempotent).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct LikeStateOut {
    /// The moment.
    pub moment_id: MomentId,
    /// Whether I like it now.
    pub liked: bool,
    /// Whether this call changed it.
    pub changed: bool,
}

/// A like the viewer may see.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct LikeOut {
    /// Who.
    pub user: UserOut,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// The likes I may see (mine and my friends'; all of them on my own moment), newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LikePage {
    /// Likes.
    pub items: Vec<LikeOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// `POST /moments/{id}/comments`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CommentIn {
    /// 1–500 characters (screened).
    pub text: String,
    /// A comment on the same moment that I may see, to answer.
    #[serde(default)]
    pub reply_to: Option<MomentCommentId>,
}

/// A comment the viewer may see.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct CommentOut {
    /// Id.
    pub id: MomentCommentId,
    /// The moment.
    pub moment_id: MomentId,
    /// Who wrote it.
    pub author: UserOut,
    /// Text.
    pub text: String,
    /// The comment answered.
    pub reply_to: Option<MomentCommentId>,
    /// Its author.
    pub reply_to_user: Option<UserId>,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// Comments I may see (mine and my friends'; all on my own moment), oldest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CommentPage {
    /// Comments.
    pub items: Vec<CommentOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// What a notification is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum NotificationKind {
    /// Someone liked my moment.
    Like,
    /// Someone commented on my moment.
    Comment,
    /// Someone answered my comment.
    Reply,
    /// Someone reminded me of their moment.
    Mention,
}

/// An entry of my inbox.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct NotificationOut {
    /// Id (time-ordered).
    pub id: MomentNotificationId,
    /// What happened.
    pub kind: NotificationKind,
    /// Who did it.
    pub actor: UserOut,
    /// The moment.
    pub moment_id: MomentId,
    /// Its first image (or the video), for a thumbnail.
    pub thumbnail: Option<FileId>,
    /// The start of its text (up to 60 characters).
    pub excerpt: String,
    /// The comment (comments and replies).
    pub comment_id: Option<MomentCommentId>,
    /// Its text.
    pub comment_text: Option<String>,
    /// Not read yet (newer than my last `POST /moments/notifications/read`).
    pub unread: bool,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// My notification inbox, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct NotificationPage {
    /// Entries.
    pub items: Vec<NotificationOut>,
    /// Pass as `cursor` for the next page.
    pub next_cursor: Option<String>,
}

/// How far back a stranger may look at my public moments.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum StrangerRange {
    /// Everything.
    #[default]
    All,
    /// The last 6 months (182 days).
    SixMonths,
    /// The last month (30 days).
    OneMonth,
    /// The last 3 days.
    ThreeDays,
}

/// My moments settings.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct MomentSettingsOut {
    /// How far back strangers see my public moments.
    pub stranger_range: StrangerRange,
    /// My page's cover image.
    pub cover: Option<FileId>,
    /// Friends my moments are hidden from.
    pub hidden_from: Vec<UserId>,
    /// Friends whose moments are left out of my feed.
    pub muted: Vec<UserId>,
}

/// `PATCH /moments/settings`: fields present change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MomentSettingsPatch {
    /// How far back strangers see my public moments.
    #[serde(default)]
    pub stranger_range: Option<StrangerRange>,
    /// An image I uploaded, or `null` to remove the cover.
    #[serde(default, with = "crate::accounts::double_option")]
    #[schema(value_type = Option<FileId>)]
    pub cover: Option<Option<FileId>>,
}

/// The moments part of `GET /sync`: the red dots.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct MomentsBadgeOut {
    /// Notifications newer than my last read (those I may still see).
    pub unread_notifications: u64,
    /// A friend posted something I may see since I last read my feed's first page.
    pub new_posts: bool,
    /// The newest such poster.
    pub newest_poster: Option<UserId>,
    /// Their avatar, for the dot.
    pub newest_poster_avatar: Option<FileId>,
}

/// `moment.posted`: a friend posted a moment I may see (the "new posts" dot).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct MomentPostedData {
    /// The moment.
    pub moment_id: MomentId,
    /// Its author.
    pub author_id: UserId,
    /// Their avatar.
    pub author_avatar: Option<FileId>,
}

/// `moment.deleted`: a moment I was told about is gone (deleted or hidden).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct MomentDeletedData {
    /// The moment.
    pub moment_id: MomentId,
}
