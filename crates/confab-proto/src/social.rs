//! The social graph: friend requests, friends (remarks, tags), blocks, follows, and the
//! discovery privacy settings. See the server's `docs/social.md`.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::UserOut;
use crate::ids::{ConversationId, FriendRequestId, UserId};
use crate::ws::PresenceStatus;

/// The longest friend-request note, in characters.
pub const MAX_NOTE_CHARS: usize = 100;
/// The longest greeting, in characters.
pub const MAX_GREETING_CHARS: usize = 500;
/// The longest remark (alias), in characters.
pub const MAX_REMARK_CHARS: usize = 32;

/// How the viewer relates to another user (search results and profiles).
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    /// The viewer themself.
    #[serde(rename = "self")]
    Myself,
    /// Friends.
    Friend,
    /// The viewer sent a friend request that is still pending.
    RequestedOut,
    /// This user sent the viewer a friend request that is still pending.
    RequestedIn,
    /// The viewer blocked this user.
    Blocked,
    /// None of the above.
    None,
}

/// `POST /friend-requests`
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"user_id": "7260000000000000002", "note": "We met at RustConf", "greeting": "Hi Bob, it's Alice!"}))]
pub struct FriendRequestIn {
    /// Whom to ask.
    pub user_id: UserId,
    /// Shown with the request: up to 100 characters, one line.
    #[serde(default)]
    pub note: Option<String>,
    /// Becomes the first message of our direct chat when accepted: up to 500 characters.
    #[serde(default)]
    pub greeting: Option<String>,
}

/// A friend request's state.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FriendRequestStatus {
    /// Waiting for the recipient.
    Pending,
    /// Accepted: the two are friends.
    Accepted,
    /// Declined by the recipient.
    Declined,
    /// Withdrawn by the sender (or ended by a block).
    Cancelled,
}

/// A friend request, with both sides' profiles.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct FriendRequestOut {
    /// Id.
    pub id: FriendRequestId,
    /// The sender.
    pub from: UserOut,
    /// The recipient.
    pub to: UserOut,
    /// The sender's note (may be empty).
    pub note: String,
    /// The greeting that opens the chat when accepted (may be empty).
    pub greeting: String,
    /// Its state.
    pub status: FriendRequestStatus,
    /// When it was first sent.
    pub created_at: DateTime<Utc>,
    /// When it was last sent again (merged) or answered.
    pub updated_at: DateTime<Utc>,
}

/// Which pending requests `GET /friend-requests` lists.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Direction {
    /// Sent to me.
    #[default]
    Incoming,
    /// Sent by me.
    Outgoing,
}

/// `GET /friend-requests`
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FriendRequestQuery {
    /// `incoming` (default) or `outgoing`.
    #[serde(default)]
    #[param(inline)]
    pub direction: Option<Direction>,
    /// From `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A cursor-paged list query (`GET /friends`, `/blocks`, followers, following).
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct PageQuery {
    /// From `next_cursor` of the previous page.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Page size, 1–100 (default 50).
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// One of my friends.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct FriendOut {
    /// The friend's public profile.
    pub user: UserOut,
    /// My alias for them (empty: none).
    pub remark: String,
    /// My tags for them (groups in my contact list).
    pub tags: Vec<String>,
    /// Friends since.
    pub since: DateTime<Utc>,
    /// Their presence as I see it (`offline` while either of us blocks the other).
    pub presence: PresenceStatus,
    /// Whether I block them (the friendship stays; see `docs/social.md`).
    pub blocked: bool,
}

/// `PATCH /friends/{user_id}`: absent fields do not change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct FriendPatch {
    /// My alias for them, up to 32 characters; `""` or `null` removes it.
    #[serde(default, with = "crate::accounts::double_option")]
    #[schema(value_type = Option<String>)]
    pub remark: Option<Option<String>>,
    /// Up to 10 distinct tags of 1–20 characters (replaces the list).
    #[serde(default)]
    pub tags: Option<Vec<String>>,
}

/// `DELETE /friends/{user_id}`
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct RemoveFriendQuery {
    /// Also clear our direct chat's history (for me only).
    #[serde(default)]
    pub clear_chat: Option<bool>,
}

/// A user I block.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct BlockOut {
    /// Their public profile.
    pub user: UserOut,
    /// Blocked since.
    pub since: DateTime<Utc>,
}

/// One entry of a followers or following list.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct FollowOut {
    /// The follower (or the one followed).
    pub user: UserOut,
    /// Following since.
    pub since: DateTime<Utc>,
}

/// Who may find me by an exact field in `GET /users?q=` (by id, and by nickname, anyone
/// may; a user who blocks you is never found).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct PrivacyOut {
    /// Findable by my exact username (default true).
    pub findable_by_username: bool,
    /// Findable by my exact email address (default false).
    pub findable_by_email: bool,
    /// Findable by my exact phone number (default false).
    pub findable_by_phone: bool,
}

/// `PATCH /me/privacy`: absent fields do not change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PrivacyPatch {
    /// Findable by my exact username.
    #[serde(default)]
    pub findable_by_username: Option<bool>,
    /// Findable by my exact email address.
    #[serde(default)]
    pub findable_by_email: Option<bool>,
    /// Findable by my exact phone number.
    #[serde(default)]
    pub findable_by_phone: Option<bool>,
}

/// `friend.accepted` data: a request between me and `friend` was accepted (by either side).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, ToSchema)]
pub struct FriendAcceptedData {
    /// The accepted request.
    pub request_id: FriendRequestId,
    /// My new friend.
    pub friend: UserOut,
    /// Our direct conversation (the greeting, if any, is its first message).
    pub conversation_id: ConversationId,
}

/// `friend.removed` data: the friendship with `user_id` ended (either side removed it).
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct FriendRemovedData {
    /// The former friend.
    pub user_id: UserId,
}
