//! What a call looks like on the wire, its record message, and the names of the lines a live
//! call holds.

use chrono::{DateTime, Utc};
use confab_proto::calls::{CallKind, CallOut, CallState};
use confab_proto::ids::{ConversationId, UserId};

use super::store::{Call, kind_str, media_str, outcome_str};

/// The line a user in a call holds (one call per user at a time).
pub fn user_line(u: UserId) -> String {
    format!("u:{u}")
}

/// The line a conversation's group call holds (one group call per conversation).
pub fn conversation_line(c: ConversationId) -> String {
    format!("c:{c}")
}

/// Whole seconds from the answer to the end.
pub fn duration_secs(c: &Call) -> Option<i64> {
    match (c.answered_at, c.ended_at) {
        (Some(a), Some(e)) => Some((e - a).num_seconds().max(0)),
        _ => None,
    }
}

/// The wire form; `participants` for a live group call.
pub fn call_out(c: &Call, participants: Vec<UserId>) -> CallOut {
    CallOut {
        id: c.id,
        kind: c.kind,
        media: c.media,
        conversation_id: c.conversation_id,
        caller_id: c.caller_id,
        callee_id: c.callee_id,
        state: c.state,
        outcome: c.outcome,
        created_at: c.created_at,
        answered_at: c.answered_at,
        ended_at: c.ended_at,
        duration_secs: if c.state == CallState::Ended {
            duration_secs(c)
        } else {
            None
        },
        participants,
    }
}

/// The body of a call's record message (kind `call`).
pub fn record_body(c: &Call, participants: i64) -> serde_json::Value {
    let mut body = serde_json::json!({
        "call_id": c.id,
        "kind": kind_str(c.kind),
        "media": media_str(c.media),
        "outcome": c.outcome.map(outcome_str),
        "duration_secs": duration_secs(c).unwrap_or(0),
        "caller_id": c.caller_id,
    });
    if let Some(callee) = c.callee_id {
        body["callee_id"] = serde_json::json!(callee);
    }
    if c.kind == CallKind::Group {
        body["participants"] = serde_json::json!(participants);
    }
    body
}

/// Whether a ringing call placed at `created` has rung out by `now`.
pub fn rung_out(created: DateTime<Utc>, now: DateTime<Utc>, timeout_secs: u64) -> bool {
    let t = chrono::Duration::seconds(i64::try_from(timeout_secs).unwrap_or(i64::MAX / 1000));
    created + t <= now
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ringing_runs_out_at_the_timeout() {
        let t0 = DateTime::from_timestamp(1_000, 0).unwrap_or_default();
        assert!(!rung_out(t0, t0 + chrono::Duration::seconds(44), 45));
        assert!(rung_out(t0, t0 + chrono::Duration::seconds(45), 45));
    }

    #[test]
    fn lines_name_their_holder() {
        assert_eq!(user_line(UserId(7)), "u:7");
        assert_eq!(conversation_line(ConversationId(9)), "c:9");
    }
}
