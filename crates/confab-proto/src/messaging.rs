//! Conversations and messages.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::UserOut;
use crate::ids::{ConversationId, MessageId, UserId};

/// `POST /conversations/direct`: open (or find) my one-to-one chat with a user.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DirectIn {
    /// The other user.
    pub user_id: UserId,
}

/// A conversation as one member sees it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ConversationOut {
    /// Id.
    pub id: ConversationId,
    /// `direct`, `group`, `channel` or `room`.
    pub kind: String,
    /// The newest message's seq (0 when empty).
    pub last_seq: i64,
    /// The last seq I have read.
    pub read_seq: i64,
    /// The last seq one of my devices has received.
    pub recv_seq: i64,
    /// `last_seq - read_seq`, counting only what I may see.
    pub unread: i64,
    /// The newest message I may see.
    pub last_message: Option<MessageOut>,
    /// When the newest message was sent.
    pub last_message_at: Option<DateTime<Utc>>,
    /// Pinned to the top of my list.
    pub pinned: bool,
    /// Notifications muted.
    pub muted: bool,
    /// Hidden from my list until a new message arrives.
    pub hidden: bool,
    /// For direct chats: the other user.
    pub peer: Option<UserOut>,
    /// Sync only: the messages I missed, inline (see [`MissedOut`]); absent elsewhere and
    /// when the sync asked for none.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub missed: Option<MissedOut>,
}

/// The messages a sync returns inline for one conversation: **every** message I may see with
/// `after_seq < seq <= last_seq`, ascending. When my newest seq is below `after_seq` (a gap
/// bigger than the inline bound, or the sync's total bound was spent), fetch
/// `GET /conversations/{id}/messages?after_seq=<mine>` up to `after_seq` for the rest.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MissedOut {
    /// The messages start after this seq (`last_seq` when none are inline).
    pub after_seq: i64,
    /// The messages, ascending by seq.
    pub messages: Vec<MessageOut>,
}

/// `PATCH /conversations/{id}`: my flags; absent fields do not change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ConversationPatch {
    /// Pin to the top of my list.
    #[serde(default)]
    pub pinned: Option<bool>,
    /// Mute notifications.
    #[serde(default)]
    pub muted: Option<bool>,
    /// Hide from my list (a new message shows it again).
    #[serde(default)]
    pub hidden: Option<bool>,
}

/// `POST /conversations/{id}/messages` (and the WebSocket `send` frame).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"client_msg_id": "3f1c9e2a-0d5b-4c53-9a57-1d2f8b0f6e11", "kind": "text", "body": {"text": "hello"}}))]
pub struct MessageIn {
    /// Chosen by the client, unique per sender (1–64 characters of `[A-Za-z0-9_-]`): a retry
    /// with the same id returns the original message and stores nothing.
    pub client_msg_id: String,
    /// `text`, `image`, `video`, `audio`, `file`, `location`, `sticker` or `custom`.
    pub kind: String,
    /// Shape per kind: text `{text}`; image/video/audio/file `{file_id}`; location
    /// `{lat, lng, name?}`; sticker `{sticker_id}`; custom: any JSON object ≤ 8 KiB.
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// The seq of the message this replies to (same conversation).
    #[serde(default)]
    pub reply_to: Option<i64>,
    /// Who is mentioned: user ids, or `"all"` (in groups, the owner and admins only; at most
    /// 50 entries).
    #[serde(default)]
    #[schema(value_type = Option<Vec<String>>, example = json!(["all", "7260000000000000002"]))]
    pub mentions: Option<Vec<Mention>>,
}

/// What a send answers, after the message is committed.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SendAck {
    /// The message's global id.
    pub id: MessageId,
    /// Its conversation.
    pub conversation_id: ConversationId,
    /// Its place in the conversation.
    pub seq: i64,
    /// The client's id for it.
    pub client_msg_id: String,
    /// When the server stored it.
    pub created_at: DateTime<Utc>,
}

/// A message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct MessageOut {
    /// Global id.
    pub id: MessageId,
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Place in the conversation (1, 2, 3… with no gaps).
    pub seq: i64,
    /// Sender.
    pub sender_id: UserId,
    /// The sender's id for it.
    pub client_msg_id: String,
    /// Kind.
    pub kind: String,
    /// Body (empty object once recalled).
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
    /// Replied-to seq.
    pub reply_to: Option<i64>,
    /// Mentioned users, or `"all"`.
    #[schema(value_type = Vec<String>)]
    pub mentions: Vec<Mention>,
    /// When last edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// When recalled.
    pub recalled_at: Option<DateTime<Utc>>,
    /// When stored.
    pub created_at: DateTime<Utc>,
}

/// `GET /conversations/{id}/messages`: a page by seq. With `after_seq`, ascending from it;
/// otherwise descending from `before_seq` (default: the newest).
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct HistoryQuery {
    /// Messages with a seq lower than this (newest first).
    #[serde(default)]
    pub before_seq: Option<i64>,
    /// Messages with a seq higher than this (oldest first): use it to fill a gap.
    #[serde(default)]
    pub after_seq: Option<i64>,
    /// 1–100, default 50.
    #[serde(default)]
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// A page of messages, always in ascending seq order.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct HistoryOut {
    /// The messages.
    pub messages: Vec<MessageOut>,
    /// Whether more exist in the direction asked.
    pub has_more: bool,
}

/// `GET /sync`
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams, ToSchema, PartialEq, Eq)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct SyncQuery {
    /// The `cursor` of the previous sync; absent: every conversation.
    #[serde(default)]
    pub cursor: Option<String>,
    /// Most messages returned inline per changed conversation (`missed`), 0 to 50; default
    /// 20 with a cursor, 0 without one. At most 200 messages (and 256 KiB of bodies) in all.
    #[serde(default)]
    pub messages: Option<u32>,
}

/// What changed since the cursor.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SyncOut {
    /// Conversations whose messages or my cursors/flags changed (possibly a few more: the
    /// cursor overlaps by a safety margin, so treat entries idempotently).
    pub conversations: Vec<ConversationOut>,
    /// Unread across all my conversations (not only the changed ones).
    pub total_unread: i64,
    /// Pass to the next sync.
    pub cursor: String,
    /// The moments dots: unread notifications, new posts from friends (absent on a node
    /// without the moments feature).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub moments: Option<crate::moments::MomentsBadgeOut>,
}

/// `POST /conversations/{id}/read` and `/recv`: move my mark forward to `seq`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MarkIn {
    /// The seq read (or received). Marks never move back; a seq beyond the newest is capped.
    pub seq: i64,
}

/// A member's marks after a read/recv.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MarksOut {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Member.
    pub user_id: UserId,
    /// Read up to.
    pub read_seq: i64,
    /// Received up to.
    pub recv_seq: i64,
}

/// `PATCH /conversations/{id}/messages/{seq}`: the new body of my `text` message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"body": {"text": "hello, corrected"}}))]
pub struct MessagePatch {
    /// The new body, validated like a send's (`{text}`).
    #[schema(value_type = Object)]
    pub body: serde_json::Value,
}

/// A message was recalled: the `message.recalled` event's data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct RecallOut {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// The recalled message.
    pub seq: i64,
    /// When it was recalled.
    pub recalled_at: DateTime<Utc>,
    /// Who recalled it (the sender; later also a group owner/admin).
    pub by: UserId,
}

/// A member's reaction changed: the `reaction` event's data.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReactionOut {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// The message reacted to.
    pub seq: i64,
    /// Who reacted.
    pub user_id: UserId,
    /// The user's reaction now; `null` when removed.
    pub emoji: Option<String>,
}

/// One emoji's reactions to a message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReactionSummary {
    /// The emoji.
    pub emoji: String,
    /// How many members reacted with it.
    pub count: i64,
    /// Whether I am one of them.
    pub mine: bool,
    /// Who, oldest reaction first.
    pub user_ids: Vec<UserId>,
}

/// `GET /conversations/{id}/messages/{seq}/reactions`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReactionsOut {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// The message.
    pub seq: i64,
    /// Per emoji, most used first.
    pub reactions: Vec<ReactionSummary>,
}

/// `GET /conversations/{id}/messages/{seq}/readers`: who has read a message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct ReadersOut {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// The message.
    pub seq: i64,
    /// Members (other than the sender) whose read mark reached `seq`.
    pub readers: Vec<UserId>,
    /// `readers.len()`.
    pub count: i64,
    /// Members (other than the sender) who could read it: current members who joined
    /// before it. "Read by `count` of `total`".
    pub total: i64,
}

/// One mention in a message: a user id (as a string), or `"all"` (everyone in the group).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mention {
    /// `"all"`.
    All,
    /// A user.
    User(UserId),
}

impl Serialize for Mention {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Mention::All => s.serialize_str("all"),
            Mention::User(u) => u.serialize(s),
        }
    }
}

impl<'de> Deserialize<'de> for Mention {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        if s == "all" {
            return Ok(Mention::All);
        }
        s.parse()
            .map(Mention::User)
            .map_err(serde::de::Error::custom)
    }
}

impl From<UserId> for Mention {
    fn from(u: UserId) -> Self {
        Mention::User(u)
    }
}
