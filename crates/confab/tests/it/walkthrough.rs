//! Issue 4's "done when", end to end: two newcomers on a fresh node become friends (the default
//! direct-message policy, social) and chat in real time over
//! WebSocket; one goes offline and comes back to the right unread count and every missed
//! message (sync, then history); edit, recall and react reach the other side without
//! changing anyone's unread; and an image travels from upload to the peer's download.

use std::time::Duration;

use confab_client::{UploadMeta, WsConnection};
use confab_proto::messaging::{MessageIn, MessageOut, ReactionOut, RecallOut, SendAck};
use serde_json::json;

const T: Duration = Duration::from_secs(10);

/// Sends a text over the socket and returns its ack (events read meanwhile are dropped:
/// the sender's own copy of `message.new` may come before the ack).
async fn ws_send(
    ws: &mut WsConnection,
    conv: impl std::fmt::Display,
    cmid: &str,
    text: &str,
) -> SendAck {
    ws.send_frame(
        "send",
        Some(cmid),
        json!({"conversation_id": conv.to_string(),
        "client_msg_id": cmid, "kind": "text", "body": {"text": text}}),
    )
    .await
    .unwrap();
    loop {
        let ev = ws.next_event_within(T).await.unwrap();
        if ev.id.as_deref() == Some(cmid) {
            assert_eq!(ev.kind, "ack", "{ev:?}");
            return serde_json::from_value(ev.data["result"].clone()).unwrap();
        }
    }
}

/// The next receipt about `user` (receipts about the socket's own user — its other
/// devices' marks — are skipped).
async fn receipt_from(
    ws: &mut WsConnection,
    user: confab_proto::ids::UserId,
) -> confab_client::Event {
    loop {
        let ev = ws.expect_event("receipt", T).await.unwrap();
        if ev.data["user_id"] == user.to_string() {
            return ev;
        }
    }
}

backend_tests! {
    async fn two_newcomers_chat_go_offline_and_catch_up(app) {
        // Two newcomers on a fresh node.
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let mut aws = alice.client.ws().await.unwrap();
        let mut bws = bob.client.ws().await.unwrap();
        let c = alice.client.open_direct(bob.id()).await.unwrap();

        // Real time, both ways, over the socket; delivered and read receipts flow back.
        let hi = ws_send(&mut aws, c.id, "hi-1", "hi Bob").await;
        let m: MessageOut = bws.expect_event("message.new", T).await.unwrap().decode().unwrap();
        assert_eq!((m.seq, m.sender_id, m.body["text"].as_str()), (1, alice.id(), Some("hi Bob")));
        bws.send_frame("recv", Some("r1"), json!({"conversation_id": c.id.to_string(), "seq": 1})).await.unwrap();
        let r = receipt_from(&mut aws, bob.id()).await;
        assert_eq!(r.data["recv_seq"].as_i64(), Some(1));
        let reply = ws_send(&mut bws, c.id, "re-1", "hello Alice").await;
        assert_eq!(reply.seq, 2);
        let m: MessageOut = aws.expect_event("message.new", T).await.unwrap().decode().unwrap();
        assert_eq!((m.seq, m.body["text"].as_str()), (2, Some("hello Alice")));
        alice.client.mark_read(c.id, 2).await.unwrap();
        let r = receipt_from(&mut bws, alice.id()).await;
        assert_eq!(r.data["read_seq"].as_i64(), Some(2));
        assert_eq!(bob.client.sync(None).await.unwrap().total_unread, 0);
        let cursor = bob.client.sync(None).await.unwrap().cursor;

        // Bob goes offline. Alice writes three lines and sends a photo.
        bws.close().await.unwrap();
        let mut acks = Vec::new();
        for (i, t) in ["are you there?", "I have news", "look at this"].iter().enumerate() {
            acks.push(ws_send(&mut aws, c.id, &format!("off-{i}"), t).await);
        }
        let photo_bytes = crate::media::png(800, 600);
        let photo = alice.client.upload_with(photo_bytes.clone(), "beach.png", "image/png",
            &UploadMeta { kind: Some("image".into()), ..UploadMeta::default() }).await.unwrap();
        let pic = alice.client.send(c.id, &MessageIn {
            client_msg_id: "photo-1".into(),
            kind: "image".into(),
            body: json!({"file_id": photo.id, "caption": "the beach"}),
            reply_to: Some(acks[2].seq),
            mentions: None,
        }).await.unwrap();
        assert_eq!(acks.iter().map(|a| a.seq).collect::<Vec<_>>(), [3, 4, 5]);
        assert_eq!(pic.seq, 6);
        // She fixes a typo in one of them while he is away: an edit is not a new message.
        alice.client.edit_message(c.id, 4, "I have big news").await.unwrap();

        // Bob comes back: sync from his cursor shows the chat with 4 unread and the photo as
        // the last message; history after his read mark is every missed message, in order.
        let s = bob.client.sync(Some(&cursor)).await.unwrap();
        let conv = s.conversations.iter().find(|x| x.id == c.id).expect("the chat changed");
        assert_eq!((conv.last_seq, conv.read_seq, conv.unread, s.total_unread), (6, 2, 4, 4));
        assert_eq!(conv.last_message.as_ref().unwrap().kind, "image");
        let missed = bob.client.history(c.id, None, Some(conv.read_seq), None).await.unwrap();
        assert!(!missed.has_more);
        let texts: Vec<_> = missed.messages.iter().map(|m| (m.seq, m.body["text"].as_str().map(str::to_owned))).collect();
        assert_eq!(texts, [(3, Some("are you there?".into())), (4, Some("I have big news".into())),
            (5, Some("look at this".into())), (6, None)]);
        assert!(missed.messages[1].edited_at.is_some());
        let img = &missed.messages[3];
        assert_eq!((img.body["file_id"].as_str(), img.reply_to), (Some(photo.id.to_string().as_str()), Some(5)));
        assert_eq!((img.body["file"]["width"].as_i64(), img.body["file"]["height"].as_i64()), (Some(800), Some(600)));
        // He can fetch the photo and its thumbnail, as a member who can see the message.
        assert_eq!(bob.client.download(photo.id, false).await.unwrap().bytes, photo_bytes);
        let thumb = bob.client.download(photo.id, true).await.unwrap();
        assert_eq!((thumb.content_type.as_str(), thumb.disposition.as_str()), ("image/jpeg", "inline"));

        // Back online: a recall and a reaction reach the other side in real time, and
        // change nobody's unread count.
        let mut bws = bob.client.ws().await.unwrap();
        alice.client.recall_message(c.id, 5).await.unwrap();
        let rec: RecallOut = bws.expect_event("message.recalled", T).await.unwrap().decode().unwrap();
        assert_eq!((rec.seq, rec.by), (5, alice.id()));
        bob.client.react(c.id, 6, "👍").await.unwrap();
        let re: ReactionOut = aws.expect_event("reaction", T).await.unwrap().decode().unwrap();
        assert_eq!((re.seq, re.user_id, re.emoji.as_deref()), (6, bob.id(), Some("👍")));
        alice.client.edit_message(c.id, 3, "are you there??").await.unwrap();
        let ed: MessageOut = bws.expect_event("message.edited", T).await.unwrap().decode().unwrap();
        assert_eq!((ed.seq, ed.body["text"].as_str()), (3, Some("are you there??")));
        assert_eq!(bob.client.conversation(c.id).await.unwrap().unread, 4);
        assert_eq!(alice.client.conversation(c.id).await.unwrap().unread, 0);
        let h = bob.client.history(c.id, None, Some(4), None).await.unwrap();
        assert_eq!((h.messages[0].seq, h.messages[0].recalled_at.is_some(), h.messages[0].body.clone()), (5, true, json!({})));

        // He reads everything: unread 0, and Alice sees the read receipt.
        bws.send_frame("read", Some("rd"), json!({"conversation_id": c.id.to_string(), "seq": 6})).await.unwrap();
        let r = receipt_from(&mut aws, bob.id()).await;
        assert_eq!(r.data["read_seq"].as_i64(), Some(6));
        assert_eq!(bob.client.sync(None).await.unwrap().total_unread, 0);
        let _ = hi;
    }
}
