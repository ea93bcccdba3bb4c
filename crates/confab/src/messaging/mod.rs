//! Messaging: conversations, the send pipeline, history, sync, unread and receipts; edits,
//! recalls, reactions and readers ([`actions`]).
//!
//! Invariants (design.md §5, reliability.md):
//! - Each conversation has a gapless `seq`, allocated in the same transaction that stores
//!   the message ([`writer`]); nothing else ever moves `last_seq`.
//! - A send is acknowledged only after its transaction committed, and is idempotent by
//!   (sender, `client_msg_id`): a retry returns the original and stores nothing.
//! - A member sees seqs in its window `(max(joined_seq, cleared_seq), left_seq or last]`,
//!   on every read path.
//! - Membership changes must lock the conversation row (as the writer does), so a send and
//!   a removal are ordered: no message of a removed member gets a seq after the removal.
//!
//! Calls: messaging uses accounts (profiles), media (attachments) and social (blocks and
//! the direct-message policy, on every direct send and open); it publishes events
//! on the bus and never calls the gateway directly.

pub mod actions;
pub mod api;
pub mod model;
pub mod service;
pub mod store;
pub mod writer;
