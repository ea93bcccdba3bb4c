//! The messaging feature's SQL: conversations, members, messages and reactions. The
//! seq-allocating write lives in [`super::writer`].
//!
//! # Layout
//! - [`entities`]: the tables, as sea-orm entities (private to messaging).
//! - here: the rows the rest of the feature sees, made from those entities.
//! - `conversations`: creating and finding conversations (direct chats by their pair).
//! - `members`: member rows — windows, marks, flags, a user's memberships.
//! - `messages`: messages and their reactions.

mod conversations;
pub(super) mod entities;
mod members;
mod messages;

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, MessageId, UserId};

use super::model::ConversationKind;
use crate::infra::store::from_ms;

pub use conversations::{
    create_conversation, create_or_find_direct, direct_key, find_conversation, find_direct,
};
pub use members::{
    active_conversation_ids, advance_mark, clear_history, find_member, find_membership,
    join_member, join_open_conversation, leave_member, list_members, list_memberships, members_of,
    set_flags, touch_members,
};
pub use messages::{
    count_messages_since, delete_reaction, edit_message, find_message, find_message_by_id,
    list_messages, list_reactions, messages_at, messages_in_ranges, put_reaction, recall_message,
};

/// A conversation row.
#[derive(Debug, Clone)]
pub struct Conversation {
    /// Id.
    pub id: ConversationId,
    /// Kind.
    pub kind: ConversationKind,
    /// Newest seq.
    pub last_seq: i64,
    /// When the newest message was stored.
    pub last_message_at: Option<DateTime<Utc>>,
}

fn conversation_of(m: entities::conversations::Model) -> Conversation {
    Conversation {
        id: ConversationId(m.id),
        kind: m.kind,
        last_seq: m.last_seq,
        last_message_at: m.last_message_at.map(from_ms),
    }
}

/// A member's row.
#[derive(Debug, Clone)]
pub struct Member {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// User.
    pub user_id: UserId,
    /// Read up to.
    pub read_seq: i64,
    /// Received up to.
    pub recv_seq: i64,
    /// Cleared ("delete history for me") up to.
    pub cleared_seq: i64,
    /// Joined after this seq.
    pub joined_seq: i64,
    /// Left at this seq, if left.
    pub left_seq: Option<i64>,
    /// Pinned.
    pub pinned: bool,
    /// Notifications muted.
    pub muted: bool,
    /// Hidden.
    pub hidden: bool,
}

impl Member {
    /// The lowest seq the member may NOT see below: it sees seqs greater than this.
    pub fn floor(&self) -> i64 {
        self.joined_seq.max(self.cleared_seq)
    }
    /// The highest seq the member may see, given the conversation's newest.
    pub fn ceiling(&self, last_seq: i64) -> i64 {
        self.left_seq.map_or(last_seq, |l| l.min(last_seq))
    }
    /// Whether the member is still in the conversation.
    pub fn active(&self) -> bool {
        self.left_seq.is_none()
    }
}

fn member_of(m: entities::members::Model) -> Member {
    Member {
        conversation_id: ConversationId(m.conversation_id),
        user_id: UserId(m.user_id),
        read_seq: m.read_seq,
        recv_seq: m.recv_seq,
        cleared_seq: m.cleared_seq,
        joined_seq: m.joined_seq,
        left_seq: m.left_seq,
        pinned: m.pinned,
        muted: m.muted,
        hidden: m.hidden,
    }
}

/// A stored message.
#[derive(Debug, Clone, PartialEq)]
pub struct Message {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Seq.
    pub seq: i64,
    /// Global id.
    pub id: MessageId,
    /// Sender.
    pub sender_id: UserId,
    /// Client id.
    pub client_msg_id: String,
    /// Kind.
    pub kind: String,
    /// Body JSON text.
    pub body: String,
    /// Replied-to seq.
    pub reply_to: Option<i64>,
    /// Mentions JSON text.
    pub mentions: Option<String>,
    /// Edited.
    pub edited_at: Option<DateTime<Utc>>,
    /// Recalled.
    pub recalled_at: Option<DateTime<Utc>>,
    /// Stored.
    pub created_at: DateTime<Utc>,
}

pub(super) fn message_of(m: entities::messages::Model) -> Message {
    Message {
        conversation_id: ConversationId(m.conversation_id),
        seq: m.seq,
        id: MessageId(m.id),
        sender_id: UserId(m.sender_id),
        client_msg_id: m.client_msg_id,
        kind: m.kind,
        body: m.body,
        reply_to: m.reply_to,
        mentions: m.mentions,
        edited_at: m.edited_at.map(from_ms),
        recalled_at: m.recalled_at.map(from_ms),
        created_at: from_ms(m.created_at),
    }
}

/// Which mark.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mark {
    /// Read up to.
    Read,
    /// Received up to.
    Recv,
}
