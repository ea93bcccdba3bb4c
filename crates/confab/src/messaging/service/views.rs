//! What a member sees: the wire forms of messages and of conversations (the list, sync,
//! one conversation), with unread counts, last messages and direct chats' peers.

use std::collections::HashMap;

use confab_proto::accounts::UserOut;
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::{ConversationOut, MessageOut};
use sea_orm::DatabaseConnection;

use crate::error::ApiError;
use crate::messaging::error::MessagingError;
use crate::messaging::model::ConversationKind;
use crate::messaging::store::{self, Conversation, Member, Message};
use crate::state::AppState;

/// The wire form of a stored message.
pub fn message_out(m: &Message) -> MessageOut {
    MessageOut {
        id: m.id,
        conversation_id: m.conversation_id,
        seq: m.seq,
        sender_id: m.sender_id,
        client_msg_id: m.client_msg_id.clone(),
        kind: m.kind.clone(),
        body: serde_json::from_str(&m.body).unwrap_or(serde_json::Value::Null),
        reply_to: m.reply_to,
        mentions: m
            .mentions
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default(),
        edited_at: m.edited_at,
        recalled_at: m.recalled_at,
        created_at: m.created_at,
    }
}

/// One member's view of a conversation.
pub async fn conversation_out(
    state: &AppState,
    c: &Conversation,
    m: &Member,
) -> Result<ConversationOut, ApiError> {
    let mut one = conversations_out(state, std::slice::from_ref(&(c.clone(), m.clone()))).await?;
    Ok(one.pop().ok_or(MessagingError::NoSuchConversation)?)
}

/// Members' views of their conversations, in a fixed number of queries whatever their
/// number (the last visible message of each, the direct chats' peers and their profiles):
/// a reconnecting client's sync must not cost one round trip per conversation.
pub async fn conversations_out(
    state: &AppState,
    list: &[(Conversation, Member)],
) -> Result<Vec<ConversationOut>, ApiError> {
    let db = state.store.reader();
    let mut last = last_visible(db, list).await?;
    let peers = Peers::load(state, list).await?;
    let mut out = Vec::with_capacity(list.len());
    for (c, m) in list {
        let floor = m.floor();
        let ceiling = m.ceiling(c.last_seq);
        let last = match last.remove(&(c.id, ceiling)) {
            Some(msg) => Some(msg),
            // Not where gapless seqs put it (never expected): look it up the long way.
            None if ceiling > floor => store::list_messages(db, c.id, floor, ceiling, false, 1)
                .await?
                .pop(),
            None => None,
        };
        out.push(ConversationOut {
            id: c.id,
            kind: c.kind.as_str().to_owned(),
            last_seq: ceiling,
            read_seq: m.read_seq.min(ceiling),
            recv_seq: m.recv_seq.min(ceiling),
            unread: unread(m, c.last_seq),
            last_message: last.as_ref().map(message_out),
            last_message_at: last.as_ref().map(|l| l.created_at),
            pinned: m.pinned,
            muted: m.muted,
            hidden: m.hidden,
            peer: peers.profile(c, m),
            missed: None,
        });
    }
    Ok(out)
}

/// The newest message each member may see, by (conversation, seq), in one query per 200:
/// with gapless seqs, it is the one at the member's ceiling.
async fn last_visible(
    db: &DatabaseConnection,
    list: &[(Conversation, Member)],
) -> Result<HashMap<(ConversationId, i64), Message>, ApiError> {
    let wanted: Vec<(ConversationId, i64)> = list
        .iter()
        .filter(|(c, m)| m.ceiling(c.last_seq) > m.floor())
        .map(|(c, m)| (c.id, m.ceiling(c.last_seq)))
        .collect();
    Ok(store::messages_at(db, &wanted)
        .await?
        .into_iter()
        .map(|msg| ((msg.conversation_id, msg.seq), msg))
        .collect())
}

/// The direct chats' members and their peers' public profiles.
struct Peers {
    /// Every member (left ones too) of each direct chat in the list.
    members: HashMap<ConversationId, Vec<UserId>>,
    /// The peers' profiles.
    profiles: HashMap<UserId, UserOut>,
}

impl Peers {
    /// Two queries for the whole list: the direct chats' members, then the peers' profiles.
    async fn load(state: &AppState, list: &[(Conversation, Member)]) -> Result<Self, ApiError> {
        let direct: Vec<ConversationId> = list
            .iter()
            .filter(|(c, _)| c.kind == ConversationKind::Direct)
            .map(|(c, _)| c.id)
            .collect();
        let mut members: HashMap<ConversationId, Vec<UserId>> = HashMap::new();
        for row in store::members_of(state.store.reader(), &direct).await? {
            members
                .entry(row.conversation_id)
                .or_default()
                .push(row.user_id);
        }
        let mut peers = Self {
            members,
            profiles: HashMap::new(),
        };
        let peer_ids: Vec<UserId> = list
            .iter()
            .filter(|(c, _)| c.kind == ConversationKind::Direct)
            .map(|(c, m)| peers.peer_of(c, m))
            .collect();
        peers.profiles = crate::accounts::service::public_users(state, &peer_ids).await?;
        Ok(peers)
    }

    /// The peer of a direct chat is its other member; in a chat with oneself, oneself.
    fn peer_of(&self, c: &Conversation, m: &Member) -> UserId {
        let all = self
            .members
            .get(&c.id)
            .map(Vec::as_slice)
            .unwrap_or_default();
        all.iter()
            .copied()
            .find(|u| *u != m.user_id)
            .unwrap_or(m.user_id)
    }

    /// The profile of a direct chat's peer (`None` for other kinds).
    fn profile(&self, c: &Conversation, m: &Member) -> Option<UserOut> {
        if c.kind == ConversationKind::Direct {
            self.profiles.get(&self.peer_of(c, m)).cloned()
        } else {
            None
        }
    }
}

/// Unread for a member: the visible seqs above its read mark (never negative).
pub fn unread(m: &Member, last_seq: i64) -> i64 {
    (m.ceiling(last_seq) - m.read_seq.max(m.floor())).max(0)
}

/// Pinned first, then by last activity, newest first.
pub(super) fn sort_for_list(list: &mut [ConversationOut]) {
    list.sort_by(|a, b| {
        b.pinned
            .cmp(&a.pinned)
            .then(b.last_message_at.cmp(&a.last_message_at))
            .then(b.id.cmp(&a.id))
    });
}
