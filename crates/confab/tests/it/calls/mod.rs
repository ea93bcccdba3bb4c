//! Voice and video calls (issue 18): 1:1 flows, busy and timeouts, drops, group calls,
//! TURN credentials, the authorization matrix, a property test of random event orders, and
//! two nodes.

mod cluster;
mod flows;
mod group;
pub(crate) mod matrix;
mod prop;
mod turn;

use std::time::Duration;

use confab_client::{Client, ClientError, Event, WsConnection};
use confab_proto::calls::{CallEventData, CallOutcome};
use confab_proto::ids::{CallId, ConversationId, SessionId};
use confab_proto::messaging::MessageOut;

use crate::harness::*;

/// How long an expected event may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// (status, code) of a failed call.
pub fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// Another device of `u` on `app`: a fresh sign-in, so its own session.
pub async fn device(app: &TestApp, u: &TestUser) -> Client {
    let t = app.client.login(&u.username, PASSWORD).await.unwrap();
    app.client.signed_in(&t)
}

/// The session of a socket.
pub fn session_of(ws: &WsConnection) -> SessionId {
    ws.ready().unwrap().session_id
}

/// Two friends.
pub async fn friends(app: &TestApp) -> (TestUser, TestUser) {
    let a = app.user("alice").await;
    let b = app.user("bob").await;
    app.befriend(&a, &b).await;
    (a, b)
}

/// The next `kind` event about call `id` on `ws`, skipping everything else (at most 100
/// frames).
pub async fn call_event(ws: &mut WsConnection, kind: &str, id: CallId) -> CallEventData {
    for _ in 0..100 {
        let ev = ws.next_event_within(WAIT).await.unwrap();
        if ev.kind == kind && ev.data["call"]["id"] == id.to_string() {
            return ev.decode().unwrap();
        }
    }
    panic!("no {kind} for call {id} in 100 frames");
}

/// The frames on `ws` up to and including the `call.ended` of call `id` (at most 100).
pub async fn until_ended(ws: &mut WsConnection, id: CallId) -> Vec<Event> {
    let mut seen = Vec::new();
    for _ in 0..100 {
        let ev = ws.next_event_within(WAIT).await.unwrap();
        let done = ev.kind == "call.ended" && ev.data["call"]["id"] == id.to_string();
        seen.push(ev);
        if done {
            return seen;
        }
    }
    panic!("no call.ended for {id} in 100 frames: {seen:?}");
}

/// The `call` records in a conversation, oldest first.
pub async fn records(c: &Client, conv: ConversationId) -> Vec<MessageOut> {
    let h = c.history(conv, None, None, Some(100)).await.unwrap();
    let mut out: Vec<MessageOut> = h
        .messages
        .into_iter()
        .filter(|m| m.kind == "call")
        .collect();
    out.sort_by_key(|m| m.seq);
    out
}

/// The records of call `id` in a conversation.
pub async fn records_of(c: &Client, conv: ConversationId, id: CallId) -> Vec<MessageOut> {
    records(c, conv)
        .await
        .into_iter()
        .filter(|m| m.body["call_id"] == id.to_string())
        .collect()
}

/// The wire spelling of an outcome.
pub fn outcome_name(o: CallOutcome) -> &'static str {
    match o {
        CallOutcome::Answered => "answered",
        CallOutcome::Missed => "missed",
        CallOutcome::Declined => "declined",
        CallOutcome::Cancelled => "cancelled",
        CallOutcome::Busy => "busy",
    }
}
