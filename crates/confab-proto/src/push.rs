//! Offline push (docs/push.md): the user's push settings, and the body Confab POSTs to the
//! configured webhook (`push.webhook_url`) when messages or a missed call reach a user with
//! no connected device. The webhook is the integration point for an APNs / FCM gateway.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CallId, ConversationId, MessageId, UserId};

/// `GET /me/push-settings`: how my offline pushes look.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct PushSettingsOut {
    /// `true`: pushes carry no message text (`preview` is absent), only who wrote where.
    pub private_previews: bool,
}

/// `PATCH /me/push-settings`: fields to change.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PushSettingsPatch {
    /// Hide message text in pushes.
    #[serde(default)]
    pub private_previews: Option<bool>,
}

/// What a push item is about.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PushItemKind {
    /// A new message.
    Message,
    /// A 1:1 call nobody answered.
    MissedCall,
}

/// One thing to tell the user about.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct PushItem {
    /// `message` or `missed_call`.
    pub kind: PushItemKind,
    /// The conversation (for a missed call: the direct chat it was placed in).
    pub conversation_id: ConversationId,
    /// `direct` or `group`.
    pub conversation_kind: String,
    /// The message's id (`message` items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_id: Option<MessageId>,
    /// The message's seq in its conversation (`message` items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub seq: Option<i64>,
    /// The message's kind: `text`, `image`, … (`message` items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub message_kind: Option<String>,
    /// The call (`missed_call` items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub call_id: Option<CallId>,
    /// `audio` or `video` (`missed_call` items).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub media: Option<String>,
    /// Who sent the message or placed the call.
    pub sender_id: UserId,
    /// Their display name (nickname) when the push was made.
    pub sender_name: String,
    /// The start of the text (`[image]`-style for other kinds); absent when the recipient
    /// chose private previews, and for missed calls.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preview: Option<String>,
    /// When the message was stored, or the call ended.
    pub at: DateTime<Utc>,
}

/// The body of one webhook request: everything for one user within one batch window.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct OfflinePushOut {
    /// This delivery's id: the same on every retry of it, so a gateway can drop repeats.
    pub delivery_id: String,
    /// The user to notify.
    pub recipient_id: UserId,
    /// Their unread total, as `GET /sync` reports it (`total_unread`): the app badge.
    pub badge: i64,
    /// What happened, oldest first (at most `push.max_batch_items`).
    pub items: Vec<PushItem>,
}
