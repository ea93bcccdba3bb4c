//! Messaging: conversations, the send pipeline, history, sync, unread and receipts; edits,
//! recalls, reactions and readers ([`actions`]).
//!
//! Invariants (docs/messaging.md):
//! - Each conversation has a gapless `seq`, allocated in the same transaction that stores
//!   the message ([`writer`]); nothing else ever moves `last_seq`.
//! - A send is acknowledged only after its transaction committed, and is idempotent by
//!   (sender, `client_msg_id`): a retry returns the original and stores nothing.
//! - A member sees seqs in its window `(max(joined_seq, cleared_seq), left_seq or last]`,
//!   on every read path.
//! - Membership changes must lock the conversation row (as the writer does), so a send and
//!   a removal are ordered: no message of a removed member gets a seq after the removal.
//!
//! Calls: messaging uses accounts (profiles), media (attachments) and moderation
//! (screening, site mutes). The rules of a conversation's kind (direct chats: social;
//! groups; channels) are asked through [`rules::ConversationRules`], which those features
//! implement and register at start-up: messaging imports none of them. Events go out
//! through the push layer; the gateway calls messaging for socket commands, never the
//! other way round. Groups and channels change messaging's rows only through [`window`].
//!
//! # Layout
//! - [`api`]: the HTTP routes.
//! - [`service`]: conversations and membership, direct chats, history, sync, marks, flags
//!   and typing; within it, `send` is the send path's checks and `views` the wire forms.
//! - [`actions`]: edits, recalls, reactions and readers.
//! - [`writer`]: the group-commit writer, the only code that allocates seqs; within it,
//!   `batch` is one batch's transaction, step by step.
//! - [`window`]: membership windows and system messages, for groups and channels.
//! - [`badges`]: what other features add to the sync answer (a trait they implement).
//! - [`observers`]: who hears of newly stored messages after the commit (a trait other
//!   features implement: offline push).
//! - [`rules`]: the kinds' rules (a trait other features implement) and the runtime state.
//! - [`model`]: conversation kinds and message bodies (no IO).
//! - [`error`]: [`MessagingError`], every condition messaging refuses a request for.
//! - `store`: the SQL, private to the feature.

pub mod actions;
pub mod api;
pub mod badges;
pub mod error;
pub mod files;
pub mod model;
pub mod observers;
pub mod rules;
pub mod service;
mod store;
pub mod window;
pub mod writer;

pub use error::MessagingError;
pub use store::{Conversation, Member, Message};
