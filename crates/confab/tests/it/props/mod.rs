//! Property tests of the message store's guarantees, through the real server (HTTP, the
//! WebSocket and the send service itself): a seeded generator picks the operations, and the
//! properties are checked on everything the store then answers.
//!
//! - `seqs`: seq allocation under concurrency and dropped futures (requests aborted, send
//!   futures dropped mid-way, sends queued and never awaited) gives exactly 1..k.
//! - `retries`: any multiset of retries of a set of sends, over any mix of channels, in any
//!   order and concurrently, stores each message once.
//! - `unread`: unread never goes negative, always equals last − read, and never goes up on
//!   an edit, a recall or a reaction.
//!
//! The seed is printed; `CONFAB_PROP_SEED` replays a run.

mod retries;
mod seqs;
mod unread;

use confab_client::Client;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::MessageOut;

pub use crate::seeded::Rng;

/// The variable that replays a property run (its seed is printed).
pub const SEED_VAR: &str = "CONFAB_PROP_SEED";

pub use crate::harness::text_message as text;

/// Every message of a conversation as `reader` sees it, oldest first, page by page.
pub async fn all_messages(reader: &Client, c: ConversationId) -> Vec<MessageOut> {
    let mut out: Vec<MessageOut> = Vec::new();
    let mut after = 0;
    for _ in 0..1_000 {
        let page = reader
            .history(c, None, Some(after), Some(100))
            .await
            .unwrap();
        out.extend(page.messages.iter().cloned());
        after = out.last().map_or(after, |m| m.seq);
        if !page.has_more {
            return out;
        }
    }
    panic!("history did not end within 1,000 pages");
}

/// The seqs are exactly 1..=k and the client ids are each stored once.
pub fn assert_gapless_and_unique(msgs: &[MessageOut]) {
    let seqs: Vec<i64> = msgs.iter().map(|m| m.seq).collect();
    let want: Vec<i64> = (1..=msgs.len() as i64).collect();
    assert_eq!(seqs, want, "seqs are not 1..={}", msgs.len());
    let mut ids: Vec<(confab_proto::ids::UserId, &str)> = msgs
        .iter()
        .map(|m| (m.sender_id, m.client_msg_id.as_str()))
        .collect();
    ids.sort_unstable();
    let n = ids.len();
    ids.dedup();
    assert_eq!(ids.len(), n, "a (sender, client_msg_id) stored twice");
}
