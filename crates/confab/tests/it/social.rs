//! The social graph through the SDK and real sockets: friend requests (note, greeting,
//! merge, mutual, cap), accept → friendship + greeting as the first message + events,
//! decline / cancel, friends (remark, tags, presence), remove, blocks (and blocking a
//! friend), the direct-message policy on every send path, follows, discovery privacy and
//! relations, presence to friends only, and friend events across two nodes.

use std::time::Duration;

use confab_client::ClientError;
use confab_proto::accounts::MePatch;
use confab_proto::messaging::{MessageOut, SendAck};
use confab_proto::social::{
    Direction, FriendAcceptedData, FriendPatch, FriendRemovedData, FriendRequestOut,
    FriendRequestStatus, PrivacyPatch, Relation,
};
use confab_proto::ws::{PresenceOut, PresenceSetting, PresenceStatus};
use sea_orm::{ConnectionTrait, Statement, Value};
use serde_json::json;

use crate::harness::*;

const T: Duration = Duration::from_secs(5);

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// Counts rows with a bound parameter (the store is the truth for "nothing stored").
async fn count(app: &TestApp, sql: &str, values: Vec<Value>) -> i64 {
    let db = app.state.store.writer();
    let row = db
        .query_one_raw(Statement::from_sql_and_values(
            db.get_database_backend(),
            sql,
            values,
        ))
        .await
        .unwrap()
        .unwrap();
    row.try_get_by_index::<i64>(0).unwrap()
}

async fn requests_from(app: &TestApp, user: &TestUser) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM friend_requests WHERE from_id = ?",
        vec![user.id().0.into()],
    )
    .await
}

async fn messages_in(app: &TestApp, conv: confab_proto::ids::ConversationId) -> i64 {
    count(
        app,
        "SELECT COUNT(*) FROM messages WHERE conversation_id = ?",
        vec![conv.0.into()],
    )
    .await
}

/// Reads presence events until one is about `user` with `status`.
async fn expect_presence(
    ws: &mut confab_client::WsConnection,
    user: confab_proto::ids::UserId,
    status: PresenceStatus,
) {
    loop {
        let p: PresenceOut = ws
            .expect_event("presence", T)
            .await
            .unwrap()
            .decode()
            .unwrap();
        if p.user_id == user && p.status == status {
            return;
        }
    }
}

/// The first event of each of `kinds`, in any order of arrival (returned in `kinds` order).
async fn events_of(
    ws: &mut confab_client::WsConnection,
    kinds: &[&str],
) -> Vec<confab_client::Event> {
    let mut got: Vec<Option<confab_client::Event>> = vec![None; kinds.len()];
    while got.iter().any(Option::is_none) {
        let ev = ws
            .next_event_within(T)
            .await
            .unwrap_or_else(|e| panic!("waiting for {kinds:?}: {e}"));
        if let Some(i) = kinds.iter().position(|k| *k == ev.kind)
            && got[i].is_none()
        {
            got[i] = Some(ev);
        }
    }
    got.into_iter().flatten().collect()
}

/// Nothing of `kind` arrives within a short while (the event was not sent).
async fn silent(ws: &mut confab_client::WsConnection, kind: &str) {
    let r = tokio::time::timeout(Duration::from_millis(400), ws.expect_event(kind, T)).await;
    assert!(
        r.is_err() || r.as_ref().is_ok_and(|e| e.is_err()),
        "unexpected {kind}: {r:?}"
    );
}

backend_tests! {
    async fn a_request_with_a_greeting_opens_the_chat_when_accepted(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let mut aws = alice.client.ws().await.unwrap();
        let mut bws = bob.client.ws().await.unwrap();

        let sent = alice.client.send_friend_request(bob.id(), Some("  from the meetup "), Some("Hi Bob!\nIt's Alice.")).await.unwrap();
        assert_eq!((sent.status, sent.note.as_str(), sent.from.id, sent.to.id), (FriendRequestStatus::Pending, "from the meetup", alice.id(), bob.id()));
        // The recipient is told, with the sender's profile.
        let ev: FriendRequestOut = bws.expect_event("friend.request", T).await.unwrap().decode().unwrap();
        assert_eq!((ev.id, ev.from.username.as_str()), (sent.id, alice.username.as_str()));
        let incoming = bob.client.friend_requests(Direction::Incoming, None, None).await.unwrap();
        assert_eq!(incoming.items.iter().map(|r| r.id).collect::<Vec<_>>(), [sent.id]);
        assert_eq!(incoming.items[0].from.id, alice.id());
        assert_eq!(incoming.items[0].greeting, "Hi Bob!\nIt's Alice.");
        let outgoing = alice.client.friend_requests(Direction::Outgoing, None, None).await.unwrap();
        assert_eq!(outgoing.items.iter().map(|r| r.id).collect::<Vec<_>>(), [sent.id]);
        assert!(alice.client.friend_requests(Direction::Incoming, None, None).await.unwrap().items.is_empty());
        assert!(!confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());

        let friend = bob.client.accept_friend_request(sent.id).await.unwrap();
        assert_eq!(friend.user.id, alice.id());
        assert!(confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());
        assert!(confab::social::service::are_friends(&app.state, bob.id(), alice.id()).await.unwrap());
        // The greeting is pushed as a message; both are told, each about the other. (The
        // writer's publisher and the accept run apart: either may arrive first.)
        let got = events_of(&mut bws, &["message.new", "friend.accepted"]).await;
        let pushed: MessageOut = got[0].decode().unwrap();
        assert_eq!((pushed.seq, pushed.sender_id), (1, alice.id()));
        let a_ev: FriendAcceptedData = aws.expect_event("friend.accepted", T).await.unwrap().decode().unwrap();
        let b_ev: FriendAcceptedData = got[1].decode().unwrap();
        assert_eq!((a_ev.friend.id, b_ev.friend.id), (bob.id(), alice.id()));
        assert_eq!(a_ev.conversation_id, b_ev.conversation_id);
        // The greeting is the first message of their chat, from Alice, unread for Bob.
        let c = bob.client.conversation(b_ev.conversation_id).await.unwrap();
        assert_eq!((c.kind.as_str(), c.last_seq, c.unread), ("direct", 1, 1));
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.len(), 1);
        assert_eq!((h.messages[0].seq, h.messages[0].sender_id), (1, alice.id()));
        assert_eq!(h.messages[0].body["text"], "Hi Bob!\nIt's Alice.");
        assert_eq!(alice.client.conversation(c.id).await.unwrap().unread, 0);
        // The same chat as opening it directly; sending goes on from seq 2.
        assert_eq!(alice.client.open_direct(bob.id()).await.unwrap().id, c.id);
        assert_eq!(alice.client.send_text(c.id, "next").await.unwrap().seq, 2);
        // Accepting again (a lost answer, retried) answers the same and stores nothing more.
        assert_eq!(bob.client.accept_friend_request(sent.id).await.unwrap().user.id, alice.id());
        assert_eq!(messages_in(&app, c.id).await, 2);
        // Pending lists are empty; each is in the other's friends list.
        assert!(bob.client.friend_requests(Direction::Incoming, None, None).await.unwrap().items.is_empty());
        assert!(alice.client.friend_requests(Direction::Outgoing, None, None).await.unwrap().items.is_empty());
        assert_eq!(alice.client.friends(None, None).await.unwrap().items.iter().map(|f| f.user.id).collect::<Vec<_>>(), [bob.id()]);
        assert_eq!(bob.client.friends(None, None).await.unwrap().items.iter().map(|f| f.user.id).collect::<Vec<_>>(), [alice.id()]);
        // Asking a friend again is refused.
        let e = alice.client.send_friend_request(bob.id(), None, None).await.unwrap_err();
        assert_eq!(code(&e), (409, "already_friends"));
    }

    async fn repeated_requests_merge_and_mutual_requests_befriend(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let mut bws = bob.client.ws().await.unwrap();
        let first = alice.client.send_friend_request(bob.id(), Some("one"), None).await.unwrap();
        bws.expect_event("friend.request", T).await.unwrap();
        let again = alice.client.send_friend_request(bob.id(), Some("two"), Some("hello")).await.unwrap();
        assert_eq!((again.id, again.note.as_str(), again.greeting.as_str()), (first.id, "two", "hello"));
        // Told again because the note changed; the same request, merged.
        let ev: FriendRequestOut = bws.expect_event("friend.request", T).await.unwrap().decode().unwrap();
        assert_eq!((ev.id, ev.note.as_str()), (first.id, "two"));
        assert_eq!(requests_from(&app, &alice).await, 1);
        let incoming = bob.client.friend_requests(Direction::Incoming, None, None).await.unwrap();
        assert_eq!(incoming.items.len(), 1);
        // Concurrent repeats still make one request.
        let tasks: Vec<_> = (0..4).map(|_| {
            let c = alice.client.clone();
            let to = bob.id();
            tokio::spawn(async move { c.send_friend_request(to, Some("two"), Some("hello")).await.unwrap().id })
        }).collect();
        for t in tasks {
            assert_eq!(t.await.unwrap(), first.id);
        }
        assert_eq!(requests_from(&app, &alice).await, 1);

        // Bob asks Alice back: Alice's request is accepted instead, and they are friends.
        let mutual = bob.client.send_friend_request(alice.id(), None, Some("hi back")).await.unwrap();
        assert_eq!((mutual.id, mutual.status), (first.id, FriendRequestStatus::Accepted));
        assert_eq!(requests_from(&app, &bob).await, 0, "no second request stored");
        assert!(confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());
        let ev: FriendAcceptedData = bws.expect_event("friend.accepted", T).await.unwrap().decode().unwrap();
        // Alice's greeting first, then Bob's.
        let h = bob.client.history(ev.conversation_id, None, None, None).await.unwrap();
        let texts: Vec<_> = h.messages.iter().map(|m| (m.sender_id, m.body["text"].as_str().unwrap().to_owned())).collect();
        assert_eq!(texts, [(alice.id(), "hello".to_owned()), (bob.id(), "hi back".to_owned())]);
    }

    async fn decline_cancel_and_who_may_answer(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let r = alice.client.send_friend_request(bob.id(), None, None).await.unwrap();
        // Only the recipient answers; only the sender cancels; others see nothing.
        assert_eq!(code(&carol.client.accept_friend_request(r.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&alice.client.accept_friend_request(r.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&carol.client.decline_friend_request(r.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&bob.client.cancel_friend_request(r.id).await.unwrap_err()), (404, "not_found"));
        bob.client.decline_friend_request(r.id).await.unwrap();
        bob.client.decline_friend_request(r.id).await.unwrap();
        assert_eq!(code(&bob.client.accept_friend_request(r.id).await.unwrap_err()), (409, "request_not_pending"));
        assert_eq!(code(&alice.client.cancel_friend_request(r.id).await.unwrap_err()), (409, "request_not_pending"));
        assert!(alice.client.friend_requests(Direction::Outgoing, None, None).await.unwrap().items.is_empty());
        assert!(!confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());
        // A new request after a decline is a new request; the sender may cancel it.
        let r2 = alice.client.send_friend_request(bob.id(), None, None).await.unwrap();
        assert_ne!(r2.id, r.id);
        alice.client.cancel_friend_request(r2.id).await.unwrap();
        assert!(bob.client.friend_requests(Direction::Incoming, None, None).await.unwrap().items.is_empty());
        assert_eq!(code(&bob.client.accept_friend_request(r2.id).await.unwrap_err()), (409, "request_not_pending"));
        // Bad input.
        assert_eq!(code(&alice.client.send_friend_request(alice.id(), None, None).await.unwrap_err()), (422, "validation_failed"));
        assert_eq!(code(&alice.client.send_friend_request(confab_proto::ids::UserId(42), None, None).await.unwrap_err()), (404, "not_found"));
        let long = "x".repeat(confab_proto::social::MAX_NOTE_CHARS + 1);
        let e = alice.client.send_friend_request(bob.id(), Some(&long), None).await.unwrap_err();
        assert_eq!((code(&e), e.to_string().contains("note")), ((422, "validation_failed"), true));
        let long = "x".repeat(confab_proto::social::MAX_GREETING_CHARS + 1);
        assert_eq!(code(&alice.client.send_friend_request(bob.id(), None, Some(&long)).await.unwrap_err()), (422, "validation_failed"));
        assert_eq!(requests_from(&app, &alice).await, 2, "refused requests store nothing");
        let raw = alice.client.http().post(app.url("/api/v1/friend-requests")).bearer_auth(alice.client.token().unwrap())
            .json(&json!({"user_id": bob.id().to_string(), "surprise": 1})).send().await.unwrap();
        assert_eq!(raw.status().as_u16(), 422);
        let raw = alice.client.http().post(app.url("/api/v1/friend-requests/abc/accept")).bearer_auth(alice.client.token().unwrap()).send().await.unwrap();
        assert_eq!(raw.status().as_u16(), 400);
        for q in ["direction=sideways", "limit=0", "limit=101", "cursor=-3"] {
            let raw = alice.client.http().get(app.url(&format!("/api/v1/friend-requests?{q}"))).bearer_auth(alice.client.token().unwrap()).send().await.unwrap();
            assert!(matches!(raw.status().as_u16(), 400 | 422), "{q}: {}", raw.status());
        }
        assert_eq!(code(&app.client.friends(None, None).await.unwrap_err()), (401, "unauthorized"));
    }

    async fn the_direct_policy_holds_on_every_send_path(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        // Strangers cannot open a direct chat.
        assert_eq!(code(&alice.client.open_direct(bob.id()).await.unwrap_err()), (403, "not_friends"));
        assert_eq!(count(&app, "SELECT COUNT(*) FROM conversations WHERE kind = 'direct'", vec![]).await, 0);
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send_text(c.id, "while friends").await.unwrap();
        // Once they are no longer friends the chat stays readable, but nobody may send.
        bob.client.remove_friend(alice.id(), false).await.unwrap();
        assert_eq!(code(&alice.client.send_text(c.id, "hello?").await.unwrap_err()), (403, "not_friends"));
        assert_eq!(code(&bob.client.send_text(c.id, "bye").await.unwrap_err()), (403, "not_friends"));
        assert_eq!(code(&alice.client.open_direct(bob.id()).await.unwrap_err()), (403, "not_friends"));
        let mut ws = alice.client.ws().await.unwrap();
        ws.send_frame("send", Some("s1"), json!({"conversation_id": c.id.to_string(), "client_msg_id": "ws-1", "kind": "text", "body": {"text": "over ws"}})).await.unwrap();
        let err = ws.expect_event("error", T).await.unwrap();
        assert_eq!((err.id.as_deref(), err.error_code()), (Some("s1"), Some("not_friends")));
        assert_eq!(messages_in(&app, c.id).await, 1, "refused sends store nothing");
        assert_eq!(alice.client.history(c.id, None, None, None).await.unwrap().messages.len(), 1);
        // A chat with oneself needs no friend.
        let me = alice.client.open_direct(alice.id()).await.unwrap();
        alice.client.send_text(me.id, "note to self").await.unwrap();
    }

    async fn blocks_refuse_requests_follows_and_messages_and_store_nothing(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let mut bws = bob.client.ws().await.unwrap();
        // A pending request of Alice's ends when Bob blocks her.
        let r = alice.client.send_friend_request(bob.id(), None, None).await.unwrap();
        bws.expect_event("friend.request", T).await.unwrap();
        alice.client.follow(bob.id()).await.unwrap();
        bob.client.block(alice.id()).await.unwrap();
        bob.client.block(alice.id()).await.unwrap();
        assert!(bob.client.friend_requests(Direction::Incoming, None, None).await.unwrap().items.is_empty());
        assert_eq!(code(&bob.client.accept_friend_request(r.id).await.unwrap_err()), (409, "request_not_pending"));
        assert_eq!(bob.client.user(bob.id()).await.unwrap().follower_count, Some(0), "a block ends follows");
        let blocks = bob.client.blocks(None, None).await.unwrap();
        assert_eq!(blocks.items.iter().map(|b| b.user.id).collect::<Vec<_>>(), [alice.id()]);
        assert!(confab::social::service::is_blocked_either_way(&app.state, alice.id(), bob.id()).await.unwrap());
        assert!(confab::social::service::is_blocked_either_way(&app.state, bob.id(), alice.id()).await.unwrap());

        // Refused both ways, with a clear code, and nothing is stored.
        let before = requests_from(&app, &alice).await;
        assert_eq!(code(&alice.client.send_friend_request(bob.id(), Some("pls"), None).await.unwrap_err()), (403, "blocked"));
        assert_eq!(code(&bob.client.send_friend_request(alice.id(), None, None).await.unwrap_err()), (403, "blocked"));
        assert_eq!(requests_from(&app, &alice).await, before);
        assert_eq!(requests_from(&app, &bob).await, 0);
        silent(&mut bws, "friend.request").await;
        assert_eq!(code(&alice.client.follow(bob.id()).await.unwrap_err()), (403, "blocked"));
        assert_eq!(code(&alice.client.open_direct(bob.id()).await.unwrap_err()), (403, "blocked"));
        assert_eq!(code(&alice.client.followers(bob.id(), None, None).await.unwrap_err()), (404, "not_found"));
        // The blocker is not found by the blocked user's search.
        let found = alice.client.search_users(&bob.username, None, None).await.unwrap();
        assert!(found.items.iter().all(|u| u.id != bob.id()));
        let found = bob.client.search_users(&alice.username, None, None).await.unwrap();
        assert_eq!(found.items.iter().find(|u| u.id == alice.id()).unwrap().relation, Some(Relation::Blocked));

        // Unblocking lets them start again.
        bob.client.unblock(alice.id()).await.unwrap();
        bob.client.unblock(alice.id()).await.unwrap();
        assert!(bob.client.blocks(None, None).await.unwrap().items.is_empty());
        alice.client.send_friend_request(bob.id(), None, None).await.unwrap();
        bws.expect_event("friend.request", T).await.unwrap();
        // Bad input.
        assert_eq!(code(&bob.client.block(bob.id()).await.unwrap_err()), (422, "validation_failed"));
        assert_eq!(code(&bob.client.block(confab_proto::ids::UserId(42)).await.unwrap_err()), (404, "not_found"));
        let raw = bob.client.http().put(app.url("/api/v1/blocks/not-an-id")).bearer_auth(bob.client.token().unwrap()).send().await.unwrap();
        assert_eq!(raw.status().as_u16(), 400);
    }

    async fn blocking_a_friend_suspends_the_friendship(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send_text(c.id, "hi").await.unwrap();
        let mut aws = alice.client.ws().await.unwrap();
        let mut bws = bob.client.ws().await.unwrap();
        expect_presence(&mut aws, bob.id(), PresenceStatus::Online).await;
        assert_eq!(alice.client.presence(bob.id()).await.unwrap().status, PresenceStatus::Online);

        bob.client.block(alice.id()).await.unwrap();
        // Alice is told Bob now reads as offline; she may no longer read his presence.
        expect_presence(&mut aws, bob.id(), PresenceStatus::Offline).await;
        assert_eq!(code(&alice.client.presence(bob.id()).await.unwrap_err()), (403, "forbidden"));
        // The friendship is kept (not deleted silently) but suspended: no messages either way.
        let bobs = bob.client.friends(None, None).await.unwrap();
        assert_eq!(bobs.items.len(), 1);
        assert!(bobs.items[0].blocked);
        let alices = alice.client.friends(None, None).await.unwrap();
        assert_eq!((alices.items.len(), alices.items[0].blocked, alices.items[0].presence), (1, false, PresenceStatus::Offline));
        assert!(!confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());
        assert_eq!(code(&alice.client.send_text(c.id, "why?").await.unwrap_err()), (403, "blocked"));
        assert_eq!(code(&bob.client.send_text(c.id, "bye").await.unwrap_err()), (403, "blocked"));
        aws.send_frame("send", Some("w"), json!({"conversation_id": c.id.to_string(), "client_msg_id": "w1", "kind": "text", "body": {"text": "ws"}})).await.unwrap();
        let err = aws.expect_event("error", T).await.unwrap();
        assert_eq!(err.error_code(), Some("blocked"));
        assert_eq!(messages_in(&app, c.id).await, 1);
        // Edits, reactions and typing reach the peer too: refused the same way.
        assert_eq!(code(&alice.client.edit_message(c.id, 1, "edited").await.unwrap_err()), (403, "blocked"));
        assert_eq!(code(&bob.client.react(c.id, 1, "👍").await.unwrap_err()), (403, "blocked"));
        aws.send_frame("typing", Some("t"), json!({"conversation_id": c.id.to_string()})).await.unwrap();
        assert_eq!(aws.expect_event("error", T).await.unwrap().error_code(), Some("blocked"));
        assert_eq!(bob.client.history(c.id, None, None, None).await.unwrap().messages[0].body["text"], "hi");
        silent(&mut bws, "message.new").await;
        silent(&mut bws, "typing").await;
        // Bob going invisible and back is not shown to Alice while the block stands.
        bob.client.set_presence(PresenceSetting::Busy).await.unwrap();
        silent(&mut aws, "presence").await;

        // Unblocking restores it: messages flow, presence is shown again.
        bob.client.unblock(alice.id()).await.unwrap();
        expect_presence(&mut aws, bob.id(), PresenceStatus::Busy).await;
        assert!(confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());
        let ack: SendAck = alice.client.send_text(c.id, "friends again").await.unwrap();
        assert_eq!(ack.seq, 2);
        assert!(!bob.client.friends(None, None).await.unwrap().items[0].blocked);
    }

    async fn remarks_tags_and_removal(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        app.befriend(&alice, &bob).await;
        let f = alice.client.update_friend(bob.id(), &FriendPatch { remark: Some(Some("Bobby".into())), tags: Some(vec!["work".into(), "climbing".into()]) }).await.unwrap();
        assert_eq!((f.remark.as_str(), f.tags.clone()), ("Bobby", vec!["work".to_owned(), "climbing".to_owned()]));
        // Only the remark changes; the tags stay. The other side's view is its own.
        let f = alice.client.update_friend(bob.id(), &FriendPatch { remark: Some(Some("Bob B.".into())), tags: None }).await.unwrap();
        assert_eq!((f.remark.as_str(), f.tags.len()), ("Bob B.", 2));
        assert_eq!(bob.client.friends(None, None).await.unwrap().items[0].remark, "");
        let listed = alice.client.friends(None, None).await.unwrap();
        assert_eq!((listed.items[0].remark.as_str(), listed.items[0].user.id), ("Bob B.", bob.id()));
        let f = alice.client.update_friend(bob.id(), &FriendPatch { remark: Some(None), tags: Some(vec![]) }).await.unwrap();
        assert_eq!((f.remark.as_str(), f.tags.len()), ("", 0));
        // Bounds, and only for friends.
        let e = alice.client.update_friend(bob.id(), &FriendPatch { remark: Some(Some("r".repeat(33))), tags: None }).await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        let e = alice.client.update_friend(bob.id(), &FriendPatch { remark: None, tags: Some((0..11).map(|i| format!("t{i}")).collect()) }).await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        let e = alice.client.update_friend(carol.id(), &FriendPatch { remark: Some(Some("x".into())), tags: None }).await.unwrap_err();
        assert_eq!(code(&e), (404, "not_found"));
        let raw = alice.client.http().patch(app.url(&format!("/api/v1/friends/{}", bob.id()))).bearer_auth(alice.client.token().unwrap())
            .json(&json!({"remark": 5})).send().await.unwrap();
        assert_eq!(raw.status().as_u16(), 422);

        // Removal: the other side is told; clear_chat clears only my history.
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        bob.client.send_text(c.id, "one").await.unwrap();
        bob.client.send_text(c.id, "two").await.unwrap();
        let mut bws = bob.client.ws().await.unwrap();
        let mut aws = alice.client.ws().await.unwrap();
        alice.client.remove_friend(bob.id(), true).await.unwrap();
        let ev: FriendRemovedData = bws.expect_event("friend.removed", T).await.unwrap().decode().unwrap();
        assert_eq!(ev.user_id, alice.id());
        let ev: FriendRemovedData = aws.expect_event("friend.removed", T).await.unwrap().decode().unwrap();
        assert_eq!(ev.user_id, bob.id());
        assert!(alice.client.friends(None, None).await.unwrap().items.is_empty());
        assert!(bob.client.friends(None, None).await.unwrap().items.is_empty());
        assert!(alice.client.history(c.id, None, None, None).await.unwrap().messages.is_empty());
        assert_eq!(bob.client.history(c.id, None, None, None).await.unwrap().messages.len(), 2);
        assert_eq!(code(&alice.client.remove_friend(bob.id(), false).await.unwrap_err()), (404, "not_found"));
        assert!(!confab::social::service::are_friends(&app.state, alice.id(), bob.id()).await.unwrap());
        let raw = alice.client.http().delete(app.url(&format!("/api/v1/friends/{}?clear_chat=maybe", bob.id()))).bearer_auth(alice.client.token().unwrap()).send().await.unwrap();
        assert!(matches!(raw.status().as_u16(), 400 | 422), "{}", raw.status());
    }

    async fn friends_lists_are_private_and_paged(app) {
        let alice = app.user("alice").await;
        let stranger = app.user("stranger").await;
        let mut friends = Vec::new();
        for i in 0..3 {
            let f = app.user(&format!("f{i}")).await;
            app.befriend(&f, &alice).await;
            friends.push(f.id());
        }
        friends.sort();
        let p1 = alice.client.friends(None, Some(2)).await.unwrap();
        let p2 = alice.client.friends(p1.next_cursor.as_deref(), Some(2)).await.unwrap();
        assert!(p2.next_cursor.is_none());
        let all: Vec<_> = p1.items.iter().chain(&p2.items).map(|f| f.user.id).collect();
        assert_eq!(all, friends);
        // GET /friends is only ever mine; there is no route to anyone else's.
        assert!(stranger.client.friends(None, None).await.unwrap().items.is_empty());
        let raw = stranger.client.http().get(app.url(&format!("/api/v1/users/{}/friends", alice.id()))).bearer_auth(stranger.client.token().unwrap()).send().await.unwrap();
        assert_eq!(raw.status().as_u16(), 404);
    }

    async fn follows_counts_and_lists(app) {
        let star = app.user("star").await;
        let mut fans = Vec::new();
        for i in 0..3 {
            let f = app.user(&format!("fan{i}")).await;
            f.client.follow(star.id()).await.unwrap();
            f.client.follow(star.id()).await.unwrap();
            app.clock.advance(chrono::Duration::seconds(1));
            fans.push(f);
        }
        let profile = fans[0].client.user(star.id()).await.unwrap();
        assert_eq!((profile.follower_count, profile.following_count, profile.relation), (Some(3), Some(0), Some(Relation::None)));
        assert_eq!(fans[0].client.user(fans[0].id()).await.unwrap().following_count, Some(1));
        // Newest first, paged by cursor; visible to anyone signed in.
        let p1 = fans[0].client.followers(star.id(), None, Some(2)).await.unwrap();
        let p2 = fans[0].client.followers(star.id(), p1.next_cursor.as_deref(), Some(2)).await.unwrap();
        let ids: Vec<_> = p1.items.iter().chain(&p2.items).map(|f| f.user.id).collect();
        assert_eq!(ids, [fans[2].id(), fans[1].id(), fans[0].id()]);
        assert!(p2.next_cursor.is_none());
        let following = star.client.following(fans[1].id(), None, None).await.unwrap();
        assert_eq!(following.items.iter().map(|f| f.user.id).collect::<Vec<_>>(), [star.id()]);
        fans[1].client.unfollow(star.id()).await.unwrap();
        fans[1].client.unfollow(star.id()).await.unwrap();
        assert_eq!(star.client.user(star.id()).await.unwrap().follower_count, Some(2));
        assert_eq!(code(&star.client.follow(star.id()).await.unwrap_err()), (422, "validation_failed"));
        assert_eq!(code(&star.client.follow(confab_proto::ids::UserId(42)).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&star.client.followers(confab_proto::ids::UserId(42), None, None).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&star.client.followers(star.id(), Some("x"), None).await.unwrap_err()), (422, "validation_failed"));
    }

    async fn discovery_respects_privacy_and_shows_relations(app) {
        let me = app.user("me").await;
        let friend = app.user("friend").await;
        let asked = app.user("asked").await;
        let asker = app.user("asker").await;
        let blocked = app.user("blocked").await;
        let other = app.user("other").await;
        app.befriend(&me, &friend).await;
        me.client.send_friend_request(asked.id(), None, None).await.unwrap();
        asker.client.send_friend_request(me.id(), None, None).await.unwrap();
        me.client.block(blocked.id()).await.unwrap();
        for (u, rel) in [(&me, Relation::Myself), (&friend, Relation::Friend), (&asked, Relation::RequestedOut),
                         (&asker, Relation::RequestedIn), (&blocked, Relation::Blocked), (&other, Relation::None)] {
            let page = me.client.search_users(&u.username, None, None).await.unwrap();
            let hit = page.items.iter().find(|h| h.id == u.id()).unwrap_or_else(|| panic!("{} not found", u.username));
            assert_eq!(hit.relation, Some(rel), "{}", u.username);
            let by_id = me.client.search_users(&u.id().to_string(), None, None).await.unwrap();
            assert_eq!(by_id.items[0].relation, Some(rel));
            assert_eq!(me.client.user(u.id()).await.unwrap().relation, Some(rel));
        }

        // Email and phone are opt-in; the username can be turned off. The id always works.
        let email = format!("{}@example.com", unique("e"));
        let phone = format!("+1555{}", &unique("")[..7].chars().map(|c| char::from(b'0' + (c as u8) % 10)).collect::<String>());
        let db = app.state.store.writer();
        db.execute_raw(Statement::from_sql_and_values(db.get_database_backend(),
            "UPDATE users SET email = ?, phone = ? WHERE id = ?", vec![email.clone().into(), phone.clone().into(), other.id().0.into()])).await.unwrap();
        let p = other.client.privacy().await.unwrap();
        assert!(p.findable_by_username && !p.findable_by_email && !p.findable_by_phone);
        let hits = |page: confab_proto::accounts::Page<confab_proto::accounts::UserOut>| page.items.iter().any(|u| u.id == other.id());
        assert!(!hits(me.client.search_users(&email, None, None).await.unwrap()));
        assert!(!hits(me.client.search_users(&phone, None, None).await.unwrap()));
        let p = other.client.update_privacy(&PrivacyPatch { findable_by_email: Some(true), findable_by_phone: Some(true), findable_by_username: Some(false) }).await.unwrap();
        assert!(!p.findable_by_username && p.findable_by_email && p.findable_by_phone);
        assert_eq!(other.client.privacy().await.unwrap(), p);
        assert!(hits(me.client.search_users(&email.to_uppercase(), None, None).await.unwrap()));
        assert!(hits(me.client.search_users(&phone, None, None).await.unwrap()));
        // Not by username any more — unless the nickname (public) matches.
        other.client.update_me(&MePatch { nickname: Some("Someone Else".into()), ..MePatch::default() }).await.unwrap();
        assert!(!hits(me.client.search_users(&other.username, None, None).await.unwrap()));
        assert!(hits(me.client.search_users(&other.id().to_string(), None, None).await.unwrap()));
        let raw = other.client.http().patch(app.url("/api/v1/me/privacy")).bearer_auth(other.client.token().unwrap())
            .json(&json!({"findable_by_email": "yes"})).send().await.unwrap();
        assert_eq!(raw.status().as_u16(), 422);
    }

    async fn presence_reaches_friends_only(app) {
        let alice = app.user("alice").await;
        let friend = app.user("friend").await;
        let stranger = app.user("stranger").await;
        let blocked_friend = app.user("bf").await;
        app.befriend(&alice, &friend).await;
        app.befriend(&alice, &blocked_friend).await;
        alice.client.block(blocked_friend.id()).await.unwrap();
        let mut fws = friend.client.ws().await.unwrap();
        let mut sws = stranger.client.ws().await.unwrap();
        let mut bws = blocked_friend.client.ws().await.unwrap();

        let aws = alice.client.ws().await.unwrap();
        expect_presence(&mut fws, alice.id(), PresenceStatus::Online).await;
        assert_eq!(friend.client.presence(alice.id()).await.unwrap().status, PresenceStatus::Online);
        assert_eq!(code(&stranger.client.presence(alice.id()).await.unwrap_err()), (403, "forbidden"));
        assert_eq!(code(&blocked_friend.client.presence(alice.id()).await.unwrap_err()), (403, "forbidden"));
        let listed = friend.client.friends(None, None).await.unwrap();
        assert_eq!(listed.items[0].presence, PresenceStatus::Online);
        // Invisible looks offline to everyone else.
        alice.client.set_presence(PresenceSetting::Invisible).await.unwrap();
        expect_presence(&mut fws, alice.id(), PresenceStatus::Offline).await;
        assert_eq!(friend.client.presence(alice.id()).await.unwrap().status, PresenceStatus::Offline);
        assert_eq!(friend.client.friends(None, None).await.unwrap().items[0].presence, PresenceStatus::Offline);
        alice.client.set_presence(PresenceSetting::Away).await.unwrap();
        expect_presence(&mut fws, alice.id(), PresenceStatus::Away).await;
        aws.close().await.unwrap();
        expect_presence(&mut fws, alice.id(), PresenceStatus::Offline).await;
        // Neither the stranger nor the blocked friend heard any of it.
        for ws in [&mut sws, &mut bws] {
            while let Ok(Ok(ev)) = tokio::time::timeout(Duration::from_millis(300), ws.next_event()).await {
                if ev.kind == "presence" {
                    let p: PresenceOut = ev.decode().unwrap();
                    assert_ne!(p.user_id, alice.id(), "{p:?}");
                }
            }
        }
    }
}

/// With a cap of 3 pending requests, the fourth is refused until one is answered or
/// cancelled; pending lists are paged by cursor, newest first; sends are rate-limited.
async fn the_pending_request_cap_holds(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.social.max_pending_requests = 3;
        c.social.requests_per_minute = 6;
    })
    .await;
    let alice = app.user("alice").await;
    let mut sent = Vec::new();
    for i in 0..3 {
        let u = app.user(&format!("t{i}")).await;
        sent.push(
            alice
                .client
                .send_friend_request(u.id(), None, None)
                .await
                .unwrap()
                .id,
        );
    }
    let one_more = app.user("extra").await;
    let e = alice
        .client
        .send_friend_request(one_more.id(), None, None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "friend_request_limit"));
    assert_eq!(requests_from(&app, &alice).await, 3);
    let p1 = alice
        .client
        .friend_requests(Direction::Outgoing, None, Some(2))
        .await
        .unwrap();
    let p2 = alice
        .client
        .friend_requests(Direction::Outgoing, p1.next_cursor.as_deref(), Some(2))
        .await
        .unwrap();
    let listed: Vec<_> = p1.items.iter().chain(&p2.items).map(|r| r.id).collect();
    assert_eq!(
        listed,
        sent.iter().rev().copied().collect::<Vec<_>>(),
        "newest first"
    );
    alice.client.cancel_friend_request(sent[0]).await.unwrap();
    alice
        .client
        .send_friend_request(one_more.id(), None, None)
        .await
        .unwrap();
    // Six sends within the minute (refused ones count too); the seventh is refused.
    alice
        .client
        .send_friend_request(one_more.id(), Some("again"), None)
        .await
        .unwrap();
    let e = alice
        .client
        .send_friend_request(one_more.id(), Some("and again"), None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (429, "rate_limited"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_cap_sqlite() {
    the_pending_request_cap_holds(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pending_cap_mysql_redis() {
    if let Some(backend) = Backend::cluster() {
        the_pending_request_cap_holds(backend).await;
    }
}

/// Under `direct_policy = "anyone"` strangers may chat, but a block still refuses both ways.
async fn the_anyone_policy_still_refuses_blocked_users(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.social.direct_policy = confab::config::DirectPolicy::Anyone;
    })
    .await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let c = alice.client.open_direct(bob.id()).await.unwrap();
    alice
        .client
        .send_text(c.id, "hello stranger")
        .await
        .unwrap();
    bob.client.send_text(c.id, "hello to you").await.unwrap();
    bob.client.block(alice.id()).await.unwrap();
    assert_eq!(
        code(&alice.client.send_text(c.id, "?").await.unwrap_err()),
        (403, "blocked")
    );
    assert_eq!(
        code(&bob.client.send_text(c.id, "!").await.unwrap_err()),
        (403, "blocked")
    );
    assert_eq!(
        code(&alice.client.open_direct(bob.id()).await.unwrap_err()),
        (403, "blocked")
    );
    assert_eq!(messages_in(&app, c.id).await, 2);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_policy_sqlite() {
    the_anyone_policy_still_refuses_blocked_users(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn anyone_policy_mysql_redis() {
    if let Some(backend) = Backend::cluster() {
        the_anyone_policy_still_refuses_blocked_users(backend).await;
    }
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn friend_events_cross_nodes() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let alice = a.user("alice").await;
    let bob = a.user("bob").await;
    // Bob's socket is on node B; Alice talks to node A.
    let bob_on_b = b.client.with_token(bob.tokens.access_token.clone());
    let mut bws = bob_on_b.ws().await.unwrap();
    let mut aws = alice.client.ws().await.unwrap();
    let r = alice
        .client
        .send_friend_request(bob.id(), Some("hi"), Some("first words"))
        .await
        .unwrap();
    let ev: FriendRequestOut = bws
        .expect_event("friend.request", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(ev.id, r.id);
    // Bob accepts on node B; Alice (node A) hears of it, and of Bob's presence.
    bob_on_b.accept_friend_request(r.id).await.unwrap();
    let acc: FriendAcceptedData = aws
        .expect_event("friend.accepted", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(acc.friend.id, bob.id());
    let greeting: MessageOut = bws
        .expect_event("message.new", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(
        (greeting.seq, greeting.body["text"].as_str()),
        (1, Some("first words"))
    );
    expect_presence(&mut aws, bob.id(), PresenceStatus::Online).await;
    alice.client.remove_friend(bob.id(), false).await.unwrap();
    let rm: FriendRemovedData = bws
        .expect_event("friend.removed", T)
        .await
        .unwrap()
        .decode()
        .unwrap();
    assert_eq!(rm.user_id, alice.id());
}

backend_tests! {
    async fn every_social_endpoint_refuses_bad_paths_and_queries(app) {
        let u = app.user("sweeper").await;
        let token = u.client.token().unwrap().to_owned();
        let http = app.client.http();
        let id_routes = [
            ("PATCH", "/api/v1/friends/{}"),
            ("DELETE", "/api/v1/friends/{}"),
            ("POST", "/api/v1/friend-requests/{}/accept"),
            ("POST", "/api/v1/friend-requests/{}/decline"),
            ("DELETE", "/api/v1/friend-requests/{}"),
            ("PUT", "/api/v1/blocks/{}"),
            ("DELETE", "/api/v1/blocks/{}"),
            ("PUT", "/api/v1/follows/{}"),
            ("DELETE", "/api/v1/follows/{}"),
            ("GET", "/api/v1/users/{}/followers"),
            ("GET", "/api/v1/users/{}/following"),
        ];
        for (method, path) in id_routes {
            for bad in ["abc", "0", "-1", "99999999999999999999", "1%27%20OR%201=1"] {
                let url = app.url(&path.replace("{}", bad));
                let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
                let r = http.request(m, &url).bearer_auth(&token).header("content-type", "application/json").body("{}").send().await.unwrap();
                let status = r.status().as_u16();
                let v: serde_json::Value = r.json().await.unwrap();
                assert_eq!((status, v["error"]["code"].as_str()), (400, Some("bad_request")), "{method} {url}");
            }
            // Without a token: 401 before anything else.
            let m = reqwest::Method::from_bytes(method.as_bytes()).unwrap();
            let r = http.request(m, app.url(&path.replace("{}", "1"))).send().await.unwrap();
            assert_eq!(r.status().as_u16(), 401, "{method} {path}");
        }
        let list_routes = ["/api/v1/friends", "/api/v1/friend-requests", "/api/v1/blocks",
            &format!("/api/v1/users/{}/followers", u.id()), &format!("/api/v1/users/{}/following", u.id())];
        for path in list_routes {
            for (q, want) in [("limit=0", 422), ("limit=101", 422), ("limit=x", 400), ("cursor=abc", 422), ("cursor=0", 422), ("surprise=1", 400)] {
                let r = http.get(app.url(&format!("{path}?{q}"))).bearer_auth(&token).send().await.unwrap();
                let status = r.status().as_u16();
                let v: serde_json::Value = r.json().await.unwrap();
                assert_eq!(status, want, "{path}?{q}: {v}");
                assert!(v["error"]["code"].is_string(), "{path}?{q}: {v}");
            }
            let ok = http.get(app.url(&format!("{path}?limit=100"))).bearer_auth(&token).send().await.unwrap();
            assert_eq!(ok.status().as_u16(), 200, "{path}");
        }
        assert_eq!(app.client.healthz().await.unwrap().status, "ok");
    }
}
