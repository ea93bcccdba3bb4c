//! The world channel: created once (even with two nodes starting together), read and posted
//! in by every user through the conversation endpoints, pushed to every socket on every
//! node, with its posting setting, rate limit and administrators' mutes.

use confab::config::Config;
use confab_proto::admin::{ChannelMuteIn, Posting};
use confab_proto::messaging::MessageOut;
use serde_json::json;

use super::*;

backend_tests! {
    async fn two_users_on_two_nodes_see_each_others_posts(app) {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let carol = app.user("carol").await;
        let peer = peer_of(&app).await;
        let bob_client = match &peer { Some(p) => on(p, &bob), None => bob.client.clone() };
        let world = alice.client.world_channel().await.unwrap();
        assert_eq!(bob_client.world_channel().await.unwrap().conversation_id, world.conversation_id);
        assert!(world.can_post && !world.muted);
        assert_eq!(world.posting, Posting::Everyone);
        let c = world.conversation_id;

        let mut a_ws = alice.client.ws().await.unwrap();
        let mut b_ws = bob_client.ws().await.unwrap();
        // Carol never opened the channel: her socket still hears it (every socket does).
        let mut c_ws = carol.client.ws().await.unwrap();

        let ack = alice.client.send(c, &text("w1", "hello world")).await.unwrap();
        assert_eq!(ack.seq, 1);
        for ws in [&mut a_ws, &mut b_ws, &mut c_ws] {
            let m: MessageOut = expect(ws, "message.new").await.decode().unwrap();
            assert_eq!((m.conversation_id, m.seq, m.sender_id), (c, 1, alice.id()));
        }
        // Bob answers over the WebSocket on the other node.
        b_ws.send_frame("send", Some("b1"), json!({"conversation_id": c.to_string(), "client_msg_id": "w2", "kind": "text", "body": {"text": "hi alice"}})).await.unwrap();
        let m: MessageOut = expect(&mut a_ws, "message.new").await.decode().unwrap();
        assert_eq!((m.seq, m.sender_id, m.body["text"].as_str()), (2, bob.id(), Some("hi alice")));

        // History and unread work like any conversation; carol reads it without opening it
        // first (her member row is made on that first read).
        let h = carol.client.history(c, None, None, None).await.unwrap();
        assert_eq!(h.messages.len(), 2);
        let conv = carol.client.conversation(c).await.unwrap();
        assert_eq!((conv.kind.as_str(), conv.unread), ("channel", 0), "nothing from before her first visit is unread");
        alice.client.send(c, &text("w3", "third")).await.unwrap();
        let sync = carol.client.sync(None).await.unwrap();
        let mine = sync.conversations.iter().find(|x| x.id == c).expect("the channel is in carol's sync");
        assert_eq!((mine.last_seq, mine.unread), (3, 1));
        carol.client.mark_read(c, 3).await.unwrap();
        assert_eq!(carol.client.conversation(c).await.unwrap().unread, 0);
        // Only one member row per user, however often they touch it.
        let members = confab::messaging::service::list_members(&app.state, c, false).await.unwrap();
        assert_eq!(members.len(), 3);
    }

    async fn the_world_channel_is_created_once(app) {
        let id = confab::channels::service::world_id(&app.state).await.unwrap();
        let peer = peer_of(&app).await;
        let states: Vec<_> = std::iter::once(app.state.clone()).chain(peer.as_ref().map(|p| p.state.clone())).collect();
        // Both nodes race to create a channel that does not exist yet, several times over.
        let slug = unique("race");
        let mut tasks = Vec::new();
        for i in 0..8 {
            let st = states[i % states.len()].clone();
            let slug = slug.clone();
            tasks.push(tokio::spawn(async move {
                let fresh = confab_proto::ids::ConversationId(st.ids.next_id());
                confab::channels::service::create_or_find(&st, &slug, fresh).await.unwrap()
            }));
        }
        let mut got = Vec::new();
        for t in tasks {
            got.push(t.await.unwrap());
        }
        assert!(got.windows(2).all(|w| w[0] == w[1]), "{got:?}");
        // Losers rolled their conversation back: the only channel conversations are the world
        // and the winner of the race.
        use sea_orm::{ConnectionTrait, Statement};
        let db = app.state.store.reader();
        let row = db.query_one_raw(Statement::from_string(db.get_database_backend(), "SELECT COUNT(*) AS n FROM conversations WHERE kind = 'channel'")).await.unwrap().unwrap();
        let n: i64 = row.try_get("", "n").unwrap();
        assert_eq!(n, 2);
        // Starting again finds the world channel rather than making another.
        for st in &states {
            assert_eq!(confab::channels::service::ensure_world(st).await.unwrap(), id);
        }
    }

    async fn admins_mute_a_user_in_the_channel_until_a_time(app) {
        let admin = app.admin("root").await;
        let bob = app.user("bob").await;
        let alice = app.user("alice").await;
        let c = bob.client.world_channel().await.unwrap().conversation_id;
        let until = ms(app.clock.now() + chrono::Duration::minutes(5));
        let out = admin.client.mute_in_world(&ChannelMuteIn { user_id: bob.id(), until: Some(until) }).await.unwrap();
        assert_eq!((out.conversation_id, out.until), (c, Some(until)));
        let w = bob.client.world_channel().await.unwrap();
        assert_eq!((w.can_post, w.muted, w.muted_until), (false, true, Some(until)));
        assert_eq!(code(&bob.client.send(c, &text("b1", "let me talk")).await.unwrap_err()), (403, "channel_muted"));
        let mut ws = bob.client.ws().await.unwrap();
        ws.send_frame("send", Some("s"), json!({"conversation_id": c.to_string(), "client_msg_id": "b2", "kind": "text", "body": {"text": "ws"}})).await.unwrap();
        assert_eq!(expect(&mut ws, "error").await.error_code(), Some("channel_muted"));
        // Only in the channel: his direct chats are not affected; others post in the channel.
        app.befriend(&bob, &alice).await;
        let d = bob.client.open_direct(alice.id()).await.unwrap();
        bob.client.send(d.id, &text("d1", "psst")).await.unwrap();
        alice.client.send(c, &text("a1", "I can")).await.unwrap();
        // The mute ends by itself.
        app.clock.advance(chrono::Duration::minutes(6));
        let bob_client = app.client.signed_in(&app.client.login(&bob.username, PASSWORD).await.unwrap());
        bob_client.send(c, &text("b3", "back")).await.unwrap();
        // Permanent, then lifted.
        let admin = app.client.signed_in(&app.client.login(&admin.username, PASSWORD).await.unwrap());
        admin.mute_in_world(&ChannelMuteIn { user_id: bob.id(), until: None }).await.unwrap();
        assert_eq!(code(&bob_client.send(c, &text("b4", "x")).await.unwrap_err()), (403, "channel_muted"));
        admin.unmute_in_world(bob.id()).await.unwrap();
        bob_client.send(c, &text("b5", "free")).await.unwrap();
        assert_eq!(code(&admin.unmute_in_world(bob.id()).await.unwrap_err()), (404, "not_found"));
        let past = app.clock.now() - chrono::Duration::seconds(1);
        assert_eq!(code(&admin.mute_in_world(&ChannelMuteIn { user_id: bob.id(), until: Some(past) }).await.unwrap_err()), (422, "validation_failed"));
        let actions: Vec<String> = admin.admin_audit(None, None).await.unwrap().items.into_iter().map(|a| a.action).collect();
        assert_eq!(actions, ["channel.unmute", "channel.mute", "channel.mute"]);
    }
}

/// Runs `body` on both backends with `tweak` applied to the config.
macro_rules! configured_tests {
    ($(async fn $name:ident($app:ident) with $tweak:expr; $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = TestApp::spawn_with(Backend::Sqlite, $tweak).await;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = Backend::cluster() else { return };
                let $app = TestApp::spawn_with(backend, $tweak).await;
                $body
            }
        }
    )*};
}

configured_tests! {
    async fn the_channel_has_its_own_rate_limit(app) with |c: &mut Config| c.channels.world_posts_per_minute = 2; {
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let c = alice.client.world_channel().await.unwrap().conversation_id;
        alice.client.send(c, &text("r1", "one")).await.unwrap();
        alice.client.send(c, &text("r2", "two")).await.unwrap();
        let e = alice.client.send(c, &text("r3", "three")).await.unwrap_err();
        assert_eq!(code(&e), (429, "rate_limited"));
        // Per user: Bob still may; and Alice's direct chats are not limited by it.
        bob.client.send(c, &text("r4", "mine")).await.unwrap();
        app.befriend(&alice, &bob).await;
        let d = alice.client.open_direct(bob.id()).await.unwrap();
        alice.client.send(d.id, &text("r5", "direct")).await.unwrap();
        assert_eq!(alice.client.conversation(c).await.unwrap().last_seq, 3);
    }

    async fn posting_off_makes_the_channel_read_only(app) with |c: &mut Config| c.channels.world_posting = Posting::Off; {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let w = alice.client.world_channel().await.unwrap();
        assert_eq!((w.posting, w.can_post), (Posting::Off, false));
        for who in [&alice, &admin] {
            let e = who.client.send(w.conversation_id, &text("x", "hello")).await.unwrap_err();
            assert_eq!(code(&e), (403, "channel_posting_closed"));
        }
        // Still readable.
        assert!(alice.client.history(w.conversation_id, None, None, None).await.unwrap().messages.is_empty());
    }

    async fn posting_for_admins_only(app) with |c: &mut Config| c.channels.world_posting = Posting::Admins; {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let w = alice.client.world_channel().await.unwrap();
        assert!(!w.can_post);
        assert!(admin.client.world_channel().await.unwrap().can_post);
        let e = alice.client.send(w.conversation_id, &text("x", "hello")).await.unwrap_err();
        assert_eq!(code(&e), (403, "channel_posting_closed"));
        let mut ws = alice.client.ws().await.unwrap();
        admin.client.send(w.conversation_id, &text("y", "announcement")).await.unwrap();
        let m: MessageOut = expect(&mut ws, "message.new").await.decode().unwrap();
        assert_eq!(m.sender_id, admin.id());
    }
}
