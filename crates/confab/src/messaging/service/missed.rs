//! The messages a sync returns inline (`missed`), so a reconnecting client needs no history
//! request for a small gap (issue 20, decision 0033).
//!
//! Bounds: at most `per_conversation` (≤ [`MAX_INLINE_PER_CONVERSATION`]) per conversation,
//! [`MAX_INLINE_TOTAL`] messages and [`MAX_INLINE_BODY_BYTES`] of bodies per answer, in one
//! query per 100 conversations. What is inline is always a contiguous run ending at the
//! member's newest visible seq, inside its window (join/clear floor, leave ceiling), so
//! `after_seq` is the whole contract: everything after it is here, the client fetches what
//! lies between its own newest seq and `after_seq`.

use std::collections::HashMap;

use chrono::{DateTime, Utc};
use confab_proto::ids::ConversationId;
use confab_proto::messaging::{ConversationOut, MissedOut};

use super::views::message_out;
use crate::error::ApiError;
use crate::messaging::store::{self, Conversation, Member, Message};
use crate::state::AppState;

/// The largest `messages` a sync may ask for per conversation.
pub const MAX_INLINE_PER_CONVERSATION: u32 = 50;
/// Inline messages per conversation when a sync with a cursor does not say.
pub const DEFAULT_INLINE_PER_CONVERSATION: u32 = 20;
/// Inline messages per sync answer, all conversations together.
pub const MAX_INLINE_TOTAL: i64 = 200;
/// Inline message bodies per sync answer (the stored body JSON, summed).
pub const MAX_INLINE_BODY_BYTES: usize = 256 * 1024;

/// Fills `missed` of the changed conversations (`out`, in the answer's order; `list` holds
/// their rows) with the messages stored since `since`.
pub(super) async fn fill(
    state: &AppState,
    list: &[(Conversation, Member)],
    out: &mut [ConversationOut],
    since: DateTime<Utc>,
    per_conversation: u32,
) -> Result<(), ApiError> {
    let rows: HashMap<ConversationId, (i64, i64)> = list
        .iter()
        .map(|(c, m)| (c.id, (m.floor(), m.ceiling(c.last_seq))))
        .collect();
    // The ranges to read, in the answer's order, until the total bound is spent.
    let mut budget = MAX_INLINE_TOTAL;
    let mut ranges = Vec::new();
    for conv in out.iter() {
        let Some(&(floor, ceiling)) = rows.get(&conv.id) else {
            continue;
        };
        let want = (ceiling - floor)
            .min(i64::from(per_conversation))
            .min(budget)
            .max(0);
        if want > 0 {
            ranges.push((conv.id, ceiling - want, ceiling));
            budget -= want;
        }
    }
    let mut found: HashMap<ConversationId, Vec<Message>> = HashMap::new();
    for m in store::messages_in_ranges(state.store.reader(), &ranges, since).await? {
        found.entry(m.conversation_id).or_default().push(m);
    }
    let mut bytes = 0usize;
    for conv in out.iter_mut() {
        let ceiling = rows.get(&conv.id).map_or(conv.last_seq, |r| r.1);
        let mut msgs = found.remove(&conv.id).unwrap_or_default();
        msgs.sort_by_key(|m| m.seq);
        let run = contiguous_tail(&msgs, ceiling);
        // Newest first within the byte bound, so what is inline stays a run ending at the
        // ceiling.
        let mut take = 0;
        for m in run.iter().rev() {
            if bytes + m.body.len() > MAX_INLINE_BODY_BYTES {
                break;
            }
            bytes += m.body.len();
            take += 1;
        }
        let run = &run[run.len() - take..];
        conv.missed = Some(MissedOut {
            after_seq: run.first().map_or(ceiling, |m| m.seq - 1),
            messages: run.iter().map(message_out).collect(),
        });
    }
    Ok(())
}

/// The longest run of consecutive seqs in `msgs` (ascending) that ends at `ceiling`; empty
/// when the newest is not there (older than the cursor). A message stored before the cursor
/// inside a run of newer ones (clock skew between nodes) ends the run there.
fn contiguous_tail(msgs: &[Message], ceiling: i64) -> &[Message] {
    let mut start = msgs.len();
    let mut want = ceiling;
    while start > 0 && msgs[start - 1].seq == want {
        start -= 1;
        want -= 1;
    }
    &msgs[start..]
}

#[cfg(test)]
mod tests {
    use super::*;
    use confab_proto::ids::{MessageId, UserId};

    fn msg(seq: i64) -> Message {
        Message {
            conversation_id: ConversationId(1),
            seq,
            id: MessageId(seq),
            sender_id: UserId(1),
            client_msg_id: String::new(),
            kind: "text".into(),
            body: "{}".into(),
            reply_to: None,
            mentions: None,
            edited_at: None,
            recalled_at: None,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_tail_is_the_run_that_ends_at_the_ceiling() {
        let seqs = |v: &[Message]| v.iter().map(|m| m.seq).collect::<Vec<_>>();
        let all: Vec<Message> = [3, 4, 6, 7, 8].into_iter().map(msg).collect();
        assert_eq!(seqs(contiguous_tail(&all, 8)), vec![6, 7, 8]);
        assert!(contiguous_tail(&all, 9).is_empty(), "the newest is missing");
        assert!(contiguous_tail(&[], 5).is_empty());
        assert_eq!(seqs(contiguous_tail(&all[..2], 4)), vec![3, 4]);
    }
}
