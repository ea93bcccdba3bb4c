//! What happens to a message after it is sent: edits and recalls (by the sender, within
//! their windows), reactions (one per member), readers, and the per-user send rate.
//! None of these moves anyone's unread count; each reaches the other member's socket.

use std::time::Duration;

use confab_client::ClientError;
use confab_proto::messaging::{MessageIn, MessageOut, ReactionOut, RecallOut};
use serde_json::json;

use crate::harness::*;

const T: Duration = Duration::from_secs(5);

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

fn location(cmid: &str) -> MessageIn {
    MessageIn {
        client_msg_id: cmid.into(),
        kind: "location".into(),
        body: json!({"lat": 48.85, "lng": 2.35}),
        reply_to: None,
        mentions: None,
    }
}

backend_tests! {
    async fn the_sender_edits_text_within_the_window(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let mut bob_ws = bob.client.ws().await.unwrap();
        alice.client.send_text(c.id, "helo").await.unwrap();
        alice.client.send(c.id, &location("loc-1")).await.unwrap();
        let unread = bob.client.conversation(c.id).await.unwrap().unread;
        assert_eq!(unread, 2);

        let m = alice.client.edit_message(c.id, 1, "hello").await.unwrap();
        assert_eq!((m.seq, m.body["text"].as_str()), (1, Some("hello")));
        assert!(m.edited_at.is_some());
        let pushed: MessageOut = bob_ws.expect_event("message.edited", T).await.unwrap().decode().unwrap();
        assert_eq!(pushed, m);
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages[0], m);
        assert_eq!(bob.client.conversation(c.id).await.unwrap().unread, unread, "edits never change unread");

        // Only the sender, only text, only valid text.
        assert_eq!(code(&bob.client.edit_message(c.id, 1, "mine now").await.unwrap_err()), (403, "not_sender"));
        assert_eq!(code(&alice.client.edit_message(c.id, 2, "a place").await.unwrap_err()), (409, "not_editable"));
        assert_eq!(code(&alice.client.edit_message(c.id, 1, "  ").await.unwrap_err()), (422, "invalid_message"));
        // Strangers and seqs outside the window learn nothing.
        assert_eq!(code(&eve.client.edit_message(c.id, 1, "hi").await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&alice.client.edit_message(c.id, 3, "hi").await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&alice.client.edit_message(c.id, 0, "hi").await.unwrap_err()), (404, "not_found"));

        // The window is 48 h from sending, on the server's clock. (Moving it that far expires
        // the access token: sign in again.)
        app.clock.advance(chrono::Duration::hours(48) - chrono::Duration::seconds(2));
        let alice2 = app.client.signed_in(&app.client.login(&alice.username, PASSWORD).await.unwrap());
        assert!(alice2.edit_message(c.id, 1, "hello!").await.unwrap().edited_at > m.edited_at);
        app.clock.advance(chrono::Duration::seconds(2));
        assert_eq!(code(&alice2.edit_message(c.id, 1, "late").await.unwrap_err()), (403, "edit_window_passed"));
        assert_eq!(alice2.history(c.id, None, None, None).await.unwrap().messages[0].body["text"], "hello!");
    }

    async fn the_sender_recalls_within_the_window(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let mut bob_ws = bob.client.ws().await.unwrap();
        alice.client.send_text(c.id, "oops").await.unwrap();
        alice.client.send_text(c.id, "fine").await.unwrap();
        bob.client.react(c.id, 1, "😮").await.unwrap();

        assert_eq!(code(&bob.client.recall_message(c.id, 1).await.unwrap_err()), (403, "not_sender"));
        assert_eq!(code(&eve.client.recall_message(c.id, 1).await.unwrap_err()), (404, "not_found"));
        app.clock.advance(chrono::Duration::seconds(119));
        alice.client.recall_message(c.id, 1).await.unwrap();
        let ev: RecallOut = bob_ws.expect_event("message.recalled", T).await.unwrap().decode().unwrap();
        assert_eq!((ev.conversation_id, ev.seq, ev.by), (c.id, 1, alice.id()));
        // Every reader sees the body cleared, with recalled_at; reactions go with it.
        for who in [&alice, &bob] {
            let h = who.client.history(c.id, None, None, None).await.unwrap();
            assert_eq!(h.messages[0].body, json!({}));
            assert_eq!(h.messages[0].recalled_at, Some(ev.recalled_at));
            assert_eq!(h.messages[1].body["text"], "fine");
        }
        assert!(bob.client.reactions(c.id, 1).await.unwrap().reactions.is_empty());
        // A retry succeeds and changes nothing; a recalled message takes no edits or reactions.
        alice.client.recall_message(c.id, 1).await.unwrap();
        assert_eq!(code(&alice.client.edit_message(c.id, 1, "back").await.unwrap_err()), (409, "message_recalled"));
        assert_eq!(code(&bob.client.react(c.id, 1, "👍").await.unwrap_err()), (409, "message_recalled"));
        assert_eq!(bob.client.conversation(c.id).await.unwrap().unread, 2, "recalls never change unread");

        // Two minutes from sending.
        app.clock.advance(chrono::Duration::seconds(1));
        assert_eq!(code(&alice.client.recall_message(c.id, 2).await.unwrap_err()), (403, "recall_window_passed"));
    }

    async fn one_reaction_per_member_replaced_and_removed(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let mut alice_ws = alice.client.ws().await.unwrap();
        alice.client.send_text(c.id, "lunch?").await.unwrap();

        let r = bob.client.react(c.id, 1, "👍").await.unwrap();
        assert_eq!(r.reactions.len(), 1);
        assert_eq!((r.reactions[0].emoji.as_str(), r.reactions[0].count, r.reactions[0].mine), ("👍", 1, true));
        let ev: ReactionOut = alice_ws.expect_event("reaction", T).await.unwrap().decode().unwrap();
        assert_eq!((ev.seq, ev.user_id, ev.emoji.as_deref()), (1, bob.id(), Some("👍")));

        let r = alice.client.react(c.id, 1, "👍").await.unwrap();
        assert_eq!((r.reactions[0].count, r.reactions[0].mine), (2, true));
        // Bob's new reaction replaces his old one.
        let r = bob.client.react(c.id, 1, "❤️").await.unwrap();
        let counts: Vec<_> = r.reactions.iter().map(|s| (s.emoji.as_str(), s.count, s.mine)).collect();
        assert_eq!(counts, [("👍", 1, false), ("❤️", 1, true)]);
        // Removing an emoji that is no longer his changes nothing; removing his does.
        assert_eq!(bob.client.unreact(c.id, 1, "👍").await.unwrap(), r);
        let r = bob.client.unreact(c.id, 1, "❤️").await.unwrap();
        assert_eq!(r.reactions.len(), 1);
        assert_eq!(r.reactions[0].user_ids, [alice.id()]);
        // Alice's socket heard every change, in order, ending with the removal.
        let mut heard = Vec::new();
        while heard.last() != Some(&(bob.id(), None)) {
            let ev: ReactionOut = alice_ws.expect_event("reaction", T).await.unwrap().decode().unwrap();
            heard.push((ev.user_id, ev.emoji));
        }
        assert_eq!(heard, [
            (alice.id(), Some("👍".to_owned())),
            (bob.id(), Some("❤️".to_owned())),
            (bob.id(), None),
        ]);
        assert!(alice.client.reactions(c.id, 1).await.unwrap().reactions[0].mine);

        for bad in ["a", "👍👍", "ok"] {
            assert_eq!(code(&bob.client.react(c.id, 1, bad).await.unwrap_err()), (422, "validation_failed"), "{bad}");
        }
        assert_eq!(code(&eve.client.react(c.id, 1, "👍").await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&eve.client.reactions(c.id, 1).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&bob.client.react(c.id, 2, "👍").await.unwrap_err()), (404, "not_found"));
        assert_eq!(bob.client.conversation(c.id).await.unwrap().unread, 1, "reactions never change unread");
    }

    async fn readers_of_a_message(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send_text(c.id, "one").await.unwrap();
        alice.client.send_text(c.id, "two").await.unwrap();
        let r = alice.client.readers(c.id, 1).await.unwrap();
        assert_eq!((r.count, r.total, r.readers.len()), (0, 1, 0));
        bob.client.mark_read(c.id, 1).await.unwrap();
        let r = alice.client.readers(c.id, 1).await.unwrap();
        assert_eq!((r.count, r.total, r.readers), (1, 1, vec![bob.id()]));
        // Any member may ask; the sender is never counted.
        assert_eq!(bob.client.readers(c.id, 2).await.unwrap().count, 0);
        assert_eq!(code(&eve.client.readers(c.id, 1).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&alice.client.readers(c.id, 3).await.unwrap_err()), (404, "not_found"));
    }
}

/// With 1 send/s and a burst of 2, the third quick send is refused with 429 and a
/// `Retry-After`, over HTTP and over the WebSocket alike.
async fn sends_are_rate_limited_per_user(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.messaging.sends_per_second = 1;
        c.messaging.sends_burst = 2;
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    app.befriend(&alice, &bob).await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    // Everything below runs well within the one-second burst window.
    let mut ws = alice.client.ws().await.unwrap();
    alice.client.send_text(c.id, "one").await.unwrap();
    alice.client.send_text(c.id, "two").await.unwrap();
    let resp = alice
        .client
        .http()
        .post(app.url(&format!("/api/v1/conversations/{}/messages", c.id)))
        .bearer_auth(alice.client.token().unwrap())
        .json(&json!({"client_msg_id": "three", "kind": "text", "body": {"text": "three"}}))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status().as_u16(), 429);
    let retry: u64 = resp.headers()["retry-after"]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((1..=10).contains(&retry), "{retry}");
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    ws.send_frame(
        "send",
        Some("s"),
        json!({"conversation_id": c.id.to_string(), "client_msg_id": "four", "kind": "text", "body": {"text": "four"}}),
    )
    .await
    .unwrap();
    let err = ws.expect_event("error", T).await.unwrap();
    assert_eq!(err.error_code(), Some("rate_limited"));
    // Per user: Bob is not held back by Alice.
    bob.client.send_text(c.id, "bob").await.unwrap();
    assert_eq!(
        bob.client
            .history(c.id, None, None, None)
            .await
            .unwrap()
            .messages
            .len(),
        3
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_rate_limit_sqlite() {
    sends_are_rate_limited_per_user(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn send_rate_limit_mysql_redis() {
    if let Some(backend) = Backend::cluster() {
        sends_are_rate_limited_per_user(backend).await;
    }
}
