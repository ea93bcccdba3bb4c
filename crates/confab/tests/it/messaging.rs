//! Messaging over HTTP: direct chats, gapless seqs, idempotent sends, history windows,
//! unread and marks, sync cursors, flags, validation, authorization.

use std::collections::HashSet;

use confab_client::ClientError;
use confab_proto::messaging::{ConversationPatch, MessageIn};

use crate::harness::*;

fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

use crate::harness::text_message as text;

backend_tests! {
    async fn direct_chat_unread_and_marks(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        assert_eq!(c.kind, "direct");
        assert_eq!(c.peer.as_ref().unwrap().id, bob.id());
        // One conversation per pair, whoever opens it.
        assert_eq!(bob.client.open_direct(alice.id()).await.unwrap().id, c.id);

        for i in 1..=3 {
            let ack = alice.client.send(c.id, &text(&format!("a{i}"), &format!("hello {i}"))).await.unwrap();
            assert_eq!(ack.seq, i);
        }
        let b = bob.client.conversation(c.id).await.unwrap();
        assert_eq!((b.last_seq, b.read_seq, b.unread), (3, 0, 3));
        assert_eq!(b.last_message.as_ref().unwrap().body["text"], "hello 3");
        let a = alice.client.conversation(c.id).await.unwrap();
        assert_eq!(a.unread, 0, "my own sends are read");
        let s = bob.client.sync(None).await.unwrap();
        assert_eq!(s.total_unread, 3);

        let m = bob.client.mark_read(c.id, 2).await.unwrap();
        assert_eq!((m.read_seq, m.recv_seq), (2, 2));
        // Marks never move back, and never beyond the newest.
        assert_eq!(bob.client.mark_read(c.id, 1).await.unwrap().read_seq, 2);
        assert_eq!(bob.client.mark_recv(c.id, 99).await.unwrap().recv_seq, 3);
        assert_eq!(bob.client.conversation(c.id).await.unwrap().unread, 1);
        assert_eq!(bob.client.mark_read(c.id, 1000).await.unwrap().read_seq, 3);
        assert_eq!(bob.client.sync(None).await.unwrap().total_unread, 0);

        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2, 3]);
        assert!(h.messages.iter().all(|m| m.sender_id == alice.id()));
    }

    async fn retries_store_once_and_conflicts_are_refused(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let msg = text("same-id-1", "once");
        let sends: Vec<_> = (0..5).map(|_| {
            let client = alice.client.clone();
            let msg = msg.clone();
            tokio::spawn(async move { client.send(c.id, &msg).await.unwrap() })
        }).collect();
        let acks: Vec<_> = futures::future::join_all(sends).await.into_iter().map(|r| r.unwrap()).collect();
        assert!(acks.iter().all(|a| *a == acks[0]), "acks differ: {acks:?}");
        assert_eq!(acks[0].seq, 1);
        // After the fact too.
        assert_eq!(alice.client.send(c.id, &msg).await.unwrap(), acks[0]);
        let e = alice.client.send(c.id, &text("same-id-1", "different")).await.unwrap_err();
        assert_eq!(code(&e), (409, "duplicate_client_msg_id"));
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.len(), 1);
        assert_eq!(h.messages[0].body["text"], "once");
        // The id is per sender: Bob may use it too.
        assert_eq!(bob.client.send(c.id, &text("same-id-1", "bob's")).await.unwrap().seq, 2);
    }

    async fn concurrent_senders_get_gapless_ordered_seqs(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        const PER: usize = 100;
        let mut tasks = Vec::new();
        for (who, client) in [("a", alice.client.clone()), ("b", bob.client.clone())] {
            for lane in 0..4 {
                let client = client.clone();
                tasks.push(tokio::spawn(async move {
                    let mut seqs = Vec::new();
                    for i in 0..PER / 4 {
                        let ack = client.send(c.id, &text(&format!("{who}{lane}-{i}"), &format!("{who}{lane}:{i}"))).await.unwrap();
                        seqs.push(ack.seq);
                    }
                    seqs
                }));
            }
        }
        let mut all = Vec::new();
        for t in tasks {
            let seqs = t.await.unwrap();
            assert!(seqs.windows(2).all(|w| w[0] < w[1]), "a sender's own messages out of order");
            all.extend(seqs);
        }
        all.sort_unstable();
        assert_eq!(all, (1..=(2 * PER) as i64).collect::<Vec<_>>());
        // Everyone reads the same order, page by page.
        let mut seen = Vec::new();
        let mut after = 0;
        loop {
            let page = bob.client.history(c.id, None, Some(after), Some(37)).await.unwrap();
            seen.extend(page.messages.iter().map(|m| (m.seq, m.client_msg_id.clone())));
            after = page.messages.last().map_or(after, |m| m.seq);
            if !page.has_more { break; }
        }
        assert_eq!(seen.len(), 2 * PER);
        assert!(seen.windows(2).all(|w| w[1].0 == w[0].0 + 1));
        let ids: HashSet<_> = seen.iter().map(|s| s.1.clone()).collect();
        assert_eq!(ids.len(), 2 * PER);
        let alice_view: Vec<_> = alice.client.history(c.id, None, None, Some(100)).await.unwrap().messages.iter().map(|m| m.seq).collect();
        assert_eq!(alice_view, ((PER as i64 + 1)..=(2 * PER) as i64).collect::<Vec<_>>());
    }

    async fn sends_and_other_writes_interleave_without_loss(app) {
        // On SQLite the message writer has a connection of its own while every other write
        // goes through the store's writer: the two must take turns (never "database is
        // locked", never a lost write). Bob marks and flags the chat while Alice sends.
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        const SENDS: usize = 60;
        let sender = {
            let client = alice.client.clone();
            tokio::spawn(async move {
                let sends = (0..SENDS).map(|i| {
                    let client = client.clone();
                    async move { client.send(c.id, &text(&format!("il-{i}"), &format!("{i}"))).await.unwrap().seq }
                });
                futures::future::join_all(sends).await
            })
        };
        let mut marked = 0;
        for i in 0..SENDS {
            let seen = bob.client.conversation(c.id).await.unwrap().last_seq;
            if seen > marked {
                let marks = bob.client.mark_read(c.id, seen).await.unwrap();
                assert_eq!(marks.read_seq, seen);
                marked = seen;
            }
            let patch = ConversationPatch { pinned: Some(i.is_multiple_of(2)), muted: Some(i.is_multiple_of(3)), hidden: None };
            bob.client.update_conversation(c.id, &patch).await.unwrap();
        }
        let mut seqs = sender.await.unwrap();
        seqs.sort_unstable();
        assert_eq!(seqs, (1..=SENDS as i64).collect::<Vec<_>>());
        let mine = bob.client.conversation(c.id).await.unwrap();
        assert_eq!(mine.last_seq, SENDS as i64);
        assert_eq!(mine.unread, SENDS as i64 - marked);
        assert_eq!((mine.pinned, mine.muted), ((SENDS - 1).is_multiple_of(2), (SENDS - 1).is_multiple_of(3)));
        let page = bob.client.history(c.id, None, Some(0), Some(100)).await.unwrap();
        assert_eq!(page.messages.len(), SENDS);
    }

    async fn history_pages_both_ways_and_clear_hides_for_me_only(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        for i in 1..=10 {
            alice.client.send(c.id, &text(&format!("h{i}"), &format!("m{i}"))).await.unwrap();
        }
        let newest = bob.client.history(c.id, None, None, Some(4)).await.unwrap();
        assert_eq!(newest.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [7, 8, 9, 10]);
        assert!(newest.has_more);
        let older = bob.client.history(c.id, Some(7), None, Some(4)).await.unwrap();
        assert_eq!(older.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [3, 4, 5, 6]);
        let oldest = bob.client.history(c.id, Some(3), None, Some(4)).await.unwrap();
        assert_eq!(oldest.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [1, 2]);
        assert!(!oldest.has_more);
        let gap = bob.client.history(c.id, None, Some(4), Some(3)).await.unwrap();
        assert_eq!(gap.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [5, 6, 7]);
        for bad in [Some(0), Some(101)] {
            assert_eq!(code(&bob.client.history(c.id, None, None, bad).await.unwrap_err()).0, 422);
        }

        let cleared = bob.client.clear_conversation(c.id).await.unwrap();
        assert_eq!((cleared.unread, cleared.last_message.is_none()), (0, true));
        assert!(bob.client.history(c.id, None, None, None).await.unwrap().messages.is_empty());
        assert_eq!(alice.client.history(c.id, None, None, None).await.unwrap().messages.len(), 10);
        alice.client.send(c.id, &text("h11", "after clear")).await.unwrap();
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.iter().map(|m| m.seq).collect::<Vec<_>>(), [11]);
        assert_eq!(bob.client.conversation(c.id).await.unwrap().unread, 1);
    }

    async fn strangers_see_nothing_and_bad_messages_are_refused(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let eve = app.user("eve").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send(c.id, &text("s1", "secret")).await.unwrap();
        assert_eq!(code(&eve.client.history(c.id, None, None, None).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&eve.client.send(c.id, &text("e1", "hi")).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&eve.client.conversation(c.id).await.unwrap_err()), (404, "not_found"));
        assert_eq!(code(&eve.client.mark_read(c.id, 1).await.unwrap_err()), (404, "not_found"));
        assert!(eve.client.sync(None).await.unwrap().conversations.is_empty());
        assert_eq!(code(&app.client.history(c.id, None, None, None).await.unwrap_err()), (401, "unauthorized"));

        for (kind, body) in [
            ("text", serde_json::json!({"text": ""})),
            ("text", serde_json::json!({"text": "x".repeat(4001)})),
            ("text", serde_json::json!({"txt": "typo"})),
            ("gif", serde_json::json!({})),
            ("location", serde_json::json!({"lat": 100.0, "lng": 0.0})),
            ("image", serde_json::json!({"file_id": "123"})),
            ("custom", serde_json::json!({"x": "y".repeat(9000)})),
        ] {
            let m = MessageIn { client_msg_id: unique("v"), kind: kind.into(), body, reply_to: None, mentions: None };
            let e = alice.client.send(c.id, &m).await.unwrap_err();
            assert_eq!(code(&e), (422, "invalid_message"), "{kind}");
        }
        let mut m = text("r1", "reply");
        m.reply_to = Some(42);
        assert_eq!(code(&alice.client.send(c.id, &m).await.unwrap_err()), (422, "invalid_message"));
        m.reply_to = Some(1);
        m.client_msg_id = "r2".into();
        assert_eq!(alice.client.send(c.id, &m).await.unwrap().seq, 2);
        let e = alice.client.send(c.id, &text("bad id!", "x")).await.unwrap_err();
        assert_eq!(code(&e), (422, "validation_failed"));
        // Nothing refused was stored.
        assert_eq!(bob.client.history(c.id, None, None, None).await.unwrap().messages.len(), 2);
    }

    async fn images_in_messages_must_be_my_uploads(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let f = alice.client.upload(crate::media::png(20, 20), "a.png", "image/png").await.unwrap();
        let m = MessageIn { client_msg_id: "img1".into(), kind: "image".into(), body: serde_json::json!({"file_id": f.id}), reply_to: None, mentions: None };
        alice.client.send(c.id, &m).await.unwrap();
        let got = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(got.messages[0].body["file_id"], f.id.to_string());
        let m = MessageIn { client_msg_id: "img2".into(), kind: "image".into(), body: serde_json::json!({"file_id": f.id}), reply_to: None, mentions: None };
        assert_eq!(code(&bob.client.send(c.id, &m).await.unwrap_err()), (422, "invalid_message"));
    }

    async fn batches_over_many_chats_keep_each_chats_seqs_marks_and_sync(app) {
        // Many chats written at once land in shared writer batches: every chat must still get
        // its own gapless seqs, every sender's read mark its own newest message, and one sync
        // must show each chat's own last message and peer.
        let hub = app.user("hub").await;
        const CHATS: usize = 12;
        const PER: usize = 8;
        let mut peers = Vec::new();
        for i in 0..CHATS {
            let p = app.user(&format!("p{i}")).await;
            app.befriend(&hub, &p).await;
            let c = p.client.open_direct(hub.id()).await.unwrap();
            peers.push((p, c.id));
        }
        let mut tasks = Vec::new();
        for (i, (p, conv)) in peers.iter().enumerate() {
            let (client, conv) = (p.client.clone(), *conv);
            tasks.push(tokio::spawn(async move {
                let sends = (0..PER).map(|k| {
                    let client = client.clone();
                    async move { client.send(conv, &text(&format!("c{i}-{k}"), &format!("{i}:{k}"))).await.unwrap().seq }
                });
                futures::future::join_all(sends).await
            }));
        }
        for t in tasks {
            let mut seqs = t.await.unwrap();
            seqs.sort_unstable();
            assert_eq!(seqs, (1..=PER as i64).collect::<Vec<_>>());
        }
        let sync = hub.client.sync(None).await.unwrap();
        assert_eq!(sync.total_unread, (CHATS * PER) as i64);
        for (i, (p, conv)) in peers.iter().enumerate() {
            let c = sync.conversations.iter().find(|c| c.id == *conv).unwrap();
            assert_eq!((c.last_seq, c.unread, c.read_seq), (PER as i64, PER as i64, 0));
            let last = c.last_message.as_ref().unwrap();
            assert_eq!((last.seq, last.sender_id), (PER as i64, p.id()));
            assert!(last.body["text"].as_str().unwrap().starts_with(&format!("{i}:")));
            assert_eq!(c.peer.as_ref().map(|u| u.id), Some(p.id()));
            // The sender has read everything it sent.
            let mine = p.client.conversation(*conv).await.unwrap();
            assert_eq!((mine.read_seq, mine.recv_seq, mine.unread), (PER as i64, PER as i64, 0));
        }
    }

    async fn list_order_flags_and_sync_cursor(app) {
        let me = app.user("me").await;
        let a = app.user("a").await;
        let b = app.user("b").await;
        app.befriend(&me, &a).await;
        let ca = me.client.open_direct(a.id()).await.unwrap();
        app.befriend(&me, &b).await;
        let cb = me.client.open_direct(b.id()).await.unwrap();
        a.client.send(ca.id, &text("x1", "from a")).await.unwrap();
        app.clock.advance(chrono::Duration::seconds(1));
        b.client.send(cb.id, &text("y1", "from b")).await.unwrap();
        let list = me.client.conversations().await.unwrap();
        assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), [cb.id, ca.id]);
        me.client.update_conversation(ca.id, &ConversationPatch { pinned: Some(true), ..Default::default() }).await.unwrap();
        let list = me.client.conversations().await.unwrap();
        assert_eq!(list.iter().map(|c| c.id).collect::<Vec<_>>(), [ca.id, cb.id]);
        let hidden = me.client.update_conversation(cb.id, &ConversationPatch { hidden: Some(true), muted: Some(true), ..Default::default() }).await.unwrap();
        assert!(hidden.hidden && hidden.muted && !hidden.pinned);
        assert_eq!(me.client.conversations().await.unwrap().len(), 1);
        b.client.send(cb.id, &text("y2", "again")).await.unwrap();
        assert_eq!(me.client.conversations().await.unwrap().len(), 2, "a new message unhides");

        let first = me.client.sync(None).await.unwrap();
        assert_eq!(first.conversations.len(), 2);
        assert_eq!(first.total_unread, 3);
        app.clock.advance(chrono::Duration::minutes(1));
        let quiet = me.client.sync(Some(&first.cursor)).await.unwrap();
        let later = me.client.sync(Some(&quiet.cursor)).await.unwrap();
        assert!(later.conversations.is_empty(), "nothing changed: {:?}", later.conversations);
        assert_eq!(later.total_unread, 3);
        a.client.send(ca.id, &text("x2", "news")).await.unwrap();
        let news = me.client.sync(Some(&quiet.cursor)).await.unwrap();
        assert_eq!(news.conversations.iter().map(|c| c.id).collect::<Vec<_>>(), [ca.id]);
        assert_eq!(news.conversations[0].unread, 2);
        assert_eq!(code(&me.client.sync(Some("not-a-cursor")).await.unwrap_err()).0, 422);
    }
}
