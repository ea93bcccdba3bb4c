//! Who may do what in a conversation, asked of the feature that owns the conversation's
//! kind. Messaging defines [`ConversationRules`]; social (direct chats), groups and channels
//! implement it and [`register`] it at start-up, so messaging never imports them and the
//! features stay an acyclic graph (docs/architecture.md). A kind with no rules registered
//! allows every member.
//!
//! Also here: messaging's runtime state ([`Runtime`]: the writer and the send path's cached
//! rows), installed once in the application state.

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use confab_proto::ids::{ConversationId, UserId};

use super::model::ConversationKind;
use super::store::{Conversation, Member};
use super::writer::Writer;
use crate::error::ApiError;
use crate::rulecache::RuleCache;
use crate::state::AppState;

/// Where an act happens and who acts.
#[derive(Clone, Copy, Debug)]
pub struct Place {
    /// The conversation.
    pub conv: ConversationId,
    /// Its kind.
    pub kind: ConversationKind,
    /// The acting user (an active member: messaging checked that first).
    pub me: UserId,
    /// In a direct chat, the other member (`None` in a chat with oneself and elsewhere).
    pub peer: Option<UserId>,
}

/// One kind's rules. Every method has the answer of a kind without rules of its own.
#[async_trait]
pub trait ConversationRules: Send + Sync {
    /// May `me` post a new message here now (mutes, blocks, policy; `@all` when
    /// `mentions_all`)? Called on every send, after membership, before the writer (which
    /// re-checks membership under its lock).
    async fn check_send(
        &self,
        state: &AppState,
        at: &Place,
        mentions_all: bool,
    ) -> Result<(), ApiError>;

    /// May `me` say they are typing here?
    async fn check_typing(&self, _state: &AppState, _at: &Place) -> Result<(), ApiError> {
        Ok(())
    }

    /// May `me` act on existing messages here (edit mine, react)?
    async fn check_act(&self, _state: &AppState, _at: &Place) -> Result<(), ApiError> {
        Ok(())
    }

    /// Whether `@all` may be mentioned here.
    fn allows_mention_all(&self) -> bool {
        false
    }

    /// Whether `me` may recall `sender`'s message as a manager of the conversation.
    async fn may_recall_others(
        &self,
        _state: &AppState,
        _at: &Place,
        _sender: UserId,
    ) -> Result<bool, ApiError> {
        Ok(false)
    }

    /// Whether `me` may list who read `sender`'s message (`me != sender`).
    async fn may_list_readers(
        &self,
        _state: &AppState,
        _at: &Place,
        _sender: UserId,
    ) -> Result<bool, ApiError> {
        Ok(true)
    }

    /// May `me` open a conversation of this kind with `peer` (direct chats)?
    async fn check_open(
        &self,
        _state: &AppState,
        _me: UserId,
        _peer: UserId,
    ) -> Result<(), ApiError> {
        Ok(())
    }
}

/// A kind without rules of its own.
struct Open;

#[async_trait]
impl ConversationRules for Open {
    async fn check_send(&self, _: &AppState, _: &Place, _: bool) -> Result<(), ApiError> {
        Ok(())
    }
}

/// A direct chat's other member, as cached (`None` is not cached by a rule cache, so the
/// "no peer" answer of a chat with oneself is wrapped).
#[derive(Clone, Copy, Debug)]
pub(super) struct Peer(pub(super) Option<UserId>);

/// Messaging's runtime state on this node.
pub struct Runtime {
    /// The message writer (the only code that allocates seqs).
    pub(super) writer: Writer,
    /// (conversation, sender) → the conversation and the sender's member row.
    pub(super) membership: RuleCache<(ConversationId, UserId), (Conversation, Member)>,
    /// (direct conversation, member) → the other member.
    pub(super) peers: RuleCache<(ConversationId, UserId), Peer>,
    /// Rules by kind, registered at start-up.
    rules: [OnceLock<Arc<dyn ConversationRules>>; ConversationKind::ALL.len()],
}

impl Runtime {
    /// The runtime around a started writer.
    pub fn new(writer: Writer) -> Self {
        Self {
            writer,
            membership: RuleCache::default(),
            peers: RuleCache::default(),
            rules: Default::default(),
        }
    }
}

/// Messaging's runtime state.
pub(super) fn runtime(state: &AppState) -> &Runtime {
    state.slot::<Runtime>()
}

/// Registers the rules of `kind` (start-up; a second registration is ignored and logged).
pub fn register(state: &AppState, kind: ConversationKind, rules: Arc<dyn ConversationRules>) {
    if runtime(state).rules[kind.index()].set(rules).is_err() {
        tracing::error!(%kind, "conversation rules registered twice; the first stays");
    }
}

/// The rules of `kind`.
pub(super) fn of(state: &AppState, kind: ConversationKind) -> &dyn ConversationRules {
    match runtime(state).rules[kind.index()].get() {
        Some(r) => r.as_ref(),
        None => &Open,
    }
}
