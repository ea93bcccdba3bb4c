//! The world channel, reports, and the system administrator's API (`/admin/…`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::ids::{ConversationId, GroupId, MessageId, ReportId, SignupInviteId, UserId};

// ------------------------------------------------------------------ world channel

/// Who may post in the world channel (config `channels.world_posting`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Posting {
    /// Every active user (subject to the channel's rate limit and mutes).
    #[default]
    Everyone,
    /// System administrators only.
    Admins,
    /// Nobody: the channel is read-only.
    Off,
}

/// `GET /channels/world`: the world channel, as I see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct WorldChannelOut {
    /// Its conversation: use the conversation endpoints (history, send, read, sync).
    pub conversation_id: ConversationId,
    /// Who may post.
    pub posting: Posting,
    /// Whether I may post right now (posting policy and my mutes; not the rate limit).
    pub can_post: bool,
    /// Posts per user per minute.
    pub posts_per_minute: u32,
    /// When my channel mute ends, if I am muted here (`null` with `muted` = permanently).
    pub muted_until: Option<DateTime<Utc>>,
    /// Whether I am muted in the channel.
    pub muted: bool,
}

/// `POST /admin/channels/world/mutes`: silence a user in the world channel.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ChannelMuteIn {
    /// Who.
    pub user_id: UserId,
    /// Until when (in the future); absent or `null`: permanently.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// A channel mute.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ChannelMuteOut {
    /// The channel's conversation.
    pub conversation_id: ConversationId,
    /// Who is muted.
    pub user_id: UserId,
    /// Until when; `null`: permanently.
    pub until: Option<DateTime<Utc>>,
}

// ------------------------------------------------------------------ reports

/// What is reported.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ReportTarget {
    /// A message I can see: its conversation and seq.
    Message {
        /// The conversation.
        conversation_id: ConversationId,
        /// The message's seq.
        seq: i64,
    },
    /// A user (not myself).
    User {
        /// The user.
        user_id: UserId,
    },
    /// A group I can see (public, or one I am in).
    Group {
        /// The group.
        group_id: GroupId,
    },
    /// A moment I can see (not my own).
    Moment {
        /// The moment.
        moment_id: crate::ids::MomentId,
    },
    /// A comment on a moment that I can see (not my own).
    MomentComment {
        /// The comment.
        comment_id: crate::ids::MomentCommentId,
    },
}

/// `POST /reports`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"target": {"kind": "message", "conversation_id": "7260000000000000001", "seq": 12}, "reason": "spam"}))]
pub struct ReportIn {
    /// What I report.
    pub target: ReportTarget,
    /// Why: 1–500 characters.
    pub reason: String,
}

/// A report as its reporter sees it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct ReportOut {
    /// Id.
    pub id: ReportId,
    /// What it is about.
    pub target: ReportTarget,
    /// Why.
    pub reason: String,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

/// A report as a reviewer sees it: with the content as it was when it was reported.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AdminReportOut {
    /// Id.
    pub id: ReportId,
    /// What it is about.
    pub target: ReportTarget,
    /// The user responsible for the target (a message's sender, the user, a group's
    /// owner when known).
    pub target_user_id: Option<UserId>,
    /// Who filed it; `null`: the sensitive-word filter.
    pub reporter_id: Option<UserId>,
    /// Why.
    pub reason: String,
    /// The reported content at report time (at most 500 characters), kept even after the
    /// content is edited, recalled or deleted.
    pub excerpt: Option<String>,
    /// `open`, `upheld` or `dismissed`.
    pub status: String,
    /// What an uphold did (`recall`, `mute`, `disable`, `dissolve`), once decided.
    pub resolution: Option<String>,
    /// Who decided.
    pub reviewed_by: Option<UserId>,
    /// When.
    pub reviewed_at: Option<DateTime<Utc>>,
    /// When it was filed.
    pub created_at: DateTime<Utc>,
}

/// `GET /admin/reports` and `GET /admin/audit` paging.
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

/// A page of open reports, oldest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReportPage {
    /// The reports.
    pub items: Vec<AdminReportOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

/// What upholding a report does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum UpholdAction {
    /// Recall the reported message, or hide the reported moment or comment.
    Recall,
    /// Mute the responsible user everywhere until `until` (absent: permanently).
    Mute,
    /// Disable the responsible user (sessions and sockets closed at once).
    Disable,
    /// Dissolve the reported group (group reports only).
    Dissolve,
    /// Uphold without a further action (the target is already gone, or handled elsewhere).
    None,
}

/// `POST /admin/reports/{id}/uphold`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"action": "mute", "until": "2030-01-01T00:00:00Z", "note": "repeated spam"}))]
pub struct UpholdIn {
    /// What to do.
    pub action: UpholdAction,
    /// For `mute`: until when (in the future); absent: permanently.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
    /// The reviewer's note for the audit log (up to 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

/// `POST /admin/reports/{id}/dismiss`.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct DismissIn {
    /// The reviewer's note for the audit log (up to 500 characters).
    #[serde(default)]
    pub note: Option<String>,
}

// ------------------------------------------------------------------ administration

/// `POST /admin/sensitive-words`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SensitiveWordIn {
    /// The word, in any spelling: stored normalised (case, width and separators set aside),
    /// 1–64 characters once normalised.
    pub word: String,
}

/// One admin-managed sensitive word.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SensitiveWordOut {
    /// The word, normalised.
    pub word: String,
    /// Whether this call added it (`false`: it was already there).
    pub added: bool,
}

/// `GET /admin/sensitive-words`: the admin-managed words (the words file's are not listed).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct SensitiveWordsOut {
    /// Normalised, in order.
    pub words: Vec<String>,
}

/// `POST /admin/users/{id}/mute`: mute a user everywhere.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserMuteIn {
    /// Until when (in the future); absent or `null`: permanently.
    #[serde(default)]
    pub until: Option<DateTime<Utc>>,
}

/// A user's administrative state after a change.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct UserAdminOut {
    /// The user.
    pub user_id: UserId,
    /// `active`, `disabled` or `deleted`.
    pub status: String,
    /// Whether a site-wide mute is in force.
    pub muted: bool,
    /// When it ends; `null` with `muted`: permanently.
    pub muted_until: Option<DateTime<Utc>>,
}

/// `POST /admin/notices`: a system notice to every connected socket.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"title": "Maintenance", "text": "The server restarts at 02:00 UTC."}))]
pub struct NoticeIn {
    /// Optional headline, up to 100 characters.
    #[serde(default)]
    pub title: Option<String>,
    /// The notice, 1–2000 characters.
    pub text: String,
}

/// A system notice: the `notice` event's data and the answer to `POST /admin/notices`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct NoticeOut {
    /// The notice's id (its audit entry).
    pub id: String,
    /// Headline.
    pub title: Option<String>,
    /// Text.
    pub text: String,
    /// When it was sent.
    pub at: DateTime<Utc>,
}

/// `GET /admin/stats`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct StatsOut {
    /// Accounts that are not deleted.
    pub users: u64,
    /// Of those, disabled.
    pub users_disabled: u64,
    /// Groups that are not dissolved (0 until the groups feature is installed).
    pub groups: u64,
    /// Sockets open across the cluster (each node reports its count every few seconds).
    pub sockets_online: u64,
    /// Nodes that reported a socket count recently.
    pub nodes: u64,
    /// Messages stored since 00:00 UTC today.
    pub messages_today: u64,
}

/// `GET /admin/messages/{id}/trail`: what happened to one message after it was sent.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct MessageTrailOut {
    /// The message.
    pub message_id: MessageId,
    /// Its conversation and seq.
    pub conversation_id: ConversationId,
    /// Its seq.
    pub seq: i64,
    /// Its sender.
    pub sender_id: UserId,
    /// When its transaction committed (the stored time).
    pub committed_at: DateTime<Utc>,
    /// Each node's push, in time order: a node that had no socket to push to is absent.
    pub pushes: Vec<TrailPushOut>,
    /// Sockets pushed to, all nodes together.
    pub sockets_total: u64,
    /// Seconds pushes are kept (`telemetry.trail_secs`); 0: trails are off. An older
    /// message shows no pushes.
    pub kept_secs: u64,
}

/// One node's push of a message.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq, Eq)]
pub struct TrailPushOut {
    /// The node's id (as in snowflake ids).
    pub node: u16,
    /// When it handed the message to its sockets.
    pub pushed_at: DateTime<Utc>,
    /// To how many sockets.
    pub sockets: u32,
}

/// One audit-log entry.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct AuditOut {
    /// Id.
    pub id: String,
    /// The administrator.
    pub actor_id: UserId,
    /// What was done: `user.disable`, `user.enable`, `user.mute`, `user.unmute`,
    /// `report.uphold`, `report.dismiss`, `word.add`, `word.remove`, `notice.send`,
    /// `channel.mute`, `channel.unmute`.
    pub action: String,
    /// `user`, `report`, `word`, `notice` or `channel`.
    pub target_kind: String,
    /// The target's id (a word is its own id).
    pub target_id: String,
    /// Action-specific details (until, note, resolution…).
    #[schema(value_type = Object)]
    pub details: serde_json::Value,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// A page of audit entries, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AuditPage {
    /// The entries.
    pub items: Vec<AuditOut>,
    /// Pass as `cursor` for the next page; absent on the last page.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next_cursor: Option<String>,
}

// ------------------------------------------------------------------ sign-up invites

/// `POST /admin/invites`: a sign-up invite code (`auth.registration = "invite"`).
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(example = json!({"max_uses": 5, "expires_at": "2027-01-31T00:00:00Z", "note": "beta testers, batch 2"}))]
pub struct SignupInviteIn {
    /// How many accounts the code may make, 1–10000 (default 1: single use).
    #[serde(default)]
    pub max_uses: Option<u32>,
    /// When it stops working (in the future, within 366 days). Absent: never expires.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
    /// A note for administrators (who it is for), up to 200 characters.
    #[serde(default)]
    pub note: Option<String>,
}

/// A sign-up invite code as administrators see it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SignupInviteOut {
    /// Its id (the handle to list or revoke it; not the code).
    pub id: SignupInviteId,
    /// The code itself: only in the answer that created it. The server keeps a hash only,
    /// so it cannot be shown again.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code: Option<String>,
    /// Accounts it may make.
    pub max_uses: u32,
    /// Accounts it made.
    pub uses: u32,
    /// When it stops working, if ever.
    pub expires_at: Option<DateTime<Utc>>,
    /// The administrator's note.
    pub note: String,
    /// The administrator who made it.
    pub created_by: UserId,
    /// When.
    pub created_at: DateTime<Utc>,
    /// When it was revoked, if it was.
    pub revoked_at: Option<DateTime<Utc>>,
    /// Whether it would admit a sign-up now (not revoked, expired or used up).
    pub usable: bool,
}

/// A page of invites, newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SignupInvitePage {
    /// The invites.
    pub invites: Vec<SignupInviteOut>,
    /// Pass as `cursor` for the next page; absent on the last.
    pub next_cursor: Option<String>,
}

/// One account made with an invite.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema, PartialEq)]
pub struct SignupInviteUseOut {
    /// The account.
    pub user_id: UserId,
    /// When it signed up.
    pub used_at: DateTime<Utc>,
}

/// `GET /admin/invites/{id}`: an invite and who signed up with it.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SignupInviteDetailOut {
    /// The invite.
    pub invite: SignupInviteOut,
    /// The accounts made with it, oldest first.
    pub used_by: Vec<SignupInviteUseOut>,
}
