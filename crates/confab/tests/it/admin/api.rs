//! The `/admin` routes: who may call them, user disable/enable (at once, on every node),
//! sensitive words over the API (rebuilt on every node without a restart), notices, stats
//! and the audit log; and the filter on nicknames.

use std::collections::BTreeSet;

use confab_proto::admin::{NoticeIn, NoticeOut, ReportIn, ReportTarget, UserMuteIn};
use reqwest::Method;
use serde_json::{Value, json};

use super::*;

/// What a denied call must leave untouched.
async fn fingerprint(app: &TestApp, victim: &TestUser) -> Value {
    let audit = confab::moderation::audit::list(&app.state, None, 1000)
        .await
        .unwrap()
        .len();
    let words = confab::moderation::service::list_words(&app.state)
        .await
        .unwrap();
    let user = confab::accounts::service::find_user(&app.state, victim.id(), false)
        .await
        .unwrap()
        .unwrap();
    let muted = confab::moderation::mutes::find_mute(&app.state, victim.id())
        .await
        .unwrap()
        .is_some();
    let world = confab::channels::service::world_id(&app.state)
        .await
        .unwrap();
    let chan_muted = confab::channels::service::find_mute(&app.state, world, victim.id())
        .await
        .unwrap()
        .is_some();
    let open = confab::moderation::reports::list_open(&app.state, None, 100)
        .await
        .unwrap()
        .len();
    let wallet = confab::gifts::wallet::wallet_out(&app.state, victim.id())
        .await
        .unwrap();
    let items = confab::gifts::backpack::list(&app.state, victim.id())
        .await
        .unwrap()
        .items
        .len();
    let got = confab::gifts::records::page(
        &app.state,
        victim.id(),
        confab::gifts::records::Side::Received,
        Default::default(),
    )
    .await
    .unwrap();
    let reversed = got.sends.iter().filter(|s| s.reversed_at.is_some()).count();
    let invites = confab::accounts::invites::list(&app.state, Default::default())
        .await
        .unwrap();
    let invites: Vec<_> = invites
        .invites
        .iter()
        .map(|i| (i.id, i.uses, i.revoked_at))
        .collect();
    json!({"invites": format!("{invites:?}"), "audit": audit, "words": words, "status": user.status.as_str(), "muted": muted,
           "chan_muted": chan_muted, "open_reports": open,
           "wallet": [wallet.coins, wallet.diamonds], "vip": wallet.vip_until, "items": items,
           "reversed": reversed})
}

/// The matrix's routes as the OpenAPI document names them (for `authz::coverage`); the
/// test checks its calls are exactly these.
pub(crate) const ROUTES: &[(&str, &str)] = &[
    ("GET", "/api/v1/admin/audit"),
    ("POST", "/api/v1/admin/channels/world/mutes"),
    ("DELETE", "/api/v1/admin/channels/world/mutes/{user_id}"),
    ("POST", "/api/v1/admin/gift-sends/{id}/reverse"),
    ("GET", "/api/v1/admin/gifts"),
    ("POST", "/api/v1/admin/gifts"),
    ("PATCH", "/api/v1/admin/gifts/{id}"),
    ("GET", "/api/v1/admin/invites"),
    ("POST", "/api/v1/admin/invites"),
    ("GET", "/api/v1/admin/invites/{id}"),
    ("DELETE", "/api/v1/admin/invites/{id}"),
    ("GET", "/api/v1/admin/messages/{id}/trail"),
    ("POST", "/api/v1/admin/notices"),
    ("GET", "/api/v1/admin/reports"),
    ("POST", "/api/v1/admin/reports/{id}/dismiss"),
    ("POST", "/api/v1/admin/reports/{id}/uphold"),
    ("PUT", "/api/v1/admin/room-tags/{name}"),
    ("DELETE", "/api/v1/admin/room-tags/{name}"),
    ("GET", "/api/v1/admin/sensitive-words"),
    ("POST", "/api/v1/admin/sensitive-words"),
    ("DELETE", "/api/v1/admin/sensitive-words/{word}"),
    ("GET", "/api/v1/admin/stats"),
    ("POST", "/api/v1/admin/users/{id}/backpack"),
    ("POST", "/api/v1/admin/users/{id}/disable"),
    ("POST", "/api/v1/admin/users/{id}/enable"),
    ("POST", "/api/v1/admin/users/{id}/mute"),
    ("DELETE", "/api/v1/admin/users/{id}/mute"),
    ("PUT", "/api/v1/admin/users/{id}/vip"),
    ("GET", "/api/v1/admin/wallets/reconciliation"),
    ("GET", "/api/v1/admin/wallets/{user_id}"),
    ("POST", "/api/v1/admin/wallets/{user_id}/adjustments"),
    ("GET", "/api/v1/admin/wallets/{user_id}/ledger"),
];

backend_tests! {
    async fn every_admin_route_is_401_anonymous_403_for_users_and_2xx_for_admins(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let victim = app.user("victim").await;
        app.befriend(&alice, &victim).await;
        let c = alice.client.open_direct(victim.id()).await.unwrap();
        let mid = victim.client.send_text(c.id, "buy my stuff").await.unwrap().id;
        let mut reports = Vec::new();
        for target in [ReportTarget::Message { conversation_id: c.id, seq: 1 }, ReportTarget::User { user_id: victim.id() }] {
            reports.push(alice.client.report(&ReportIn { target, reason: "spam".into() }).await.unwrap().id);
        }
        let v = victim.id();
        // A gift and a send of it, for the gifts and wallets routes.
        let gift: Value = admin.client.call(Method::POST, "/api/v1/admin/gifts", Some(&json!({"name": "matrix rose", "price": 2}))).await.unwrap();
        let g = gift["id"].as_str().unwrap().to_owned();
        let _: Value = admin.client.call(Method::POST, &format!("/api/v1/admin/wallets/{}/adjustments", alice.id()),
            Some(&json!({"currency": "coins", "delta": 10, "reason": "matrix"}))).await.unwrap();
        let sent: Value = alice.client.call(Method::POST, "/api/v1/gifts/sends", Some(&json!({
            "client_key": "matrix", "gift_id": g, "count": 1, "receiver_id": v.to_string(),
            "conversation_id": c.id.to_string()}))).await.unwrap();
        let send_id = sent["send"]["id"].as_str().unwrap().to_owned();
        let invite: Value = admin.client.call(Method::POST, "/api/v1/admin/invites", Some(&json!({"note": "matrix"}))).await.unwrap();
        let inv = invite["id"].as_str().unwrap().to_owned();
        let routes: Vec<(Method, String, Option<Value>)> = vec![
            (Method::GET, "/api/v1/admin/reports".into(), None),
            (Method::POST, format!("/api/v1/admin/reports/{}/uphold", reports[0]), Some(json!({"action": "none"}))),
            (Method::POST, format!("/api/v1/admin/reports/{}/dismiss", reports[1]), Some(json!({}))),
            (Method::GET, "/api/v1/admin/sensitive-words".into(), None),
            (Method::POST, "/api/v1/admin/sensitive-words".into(), Some(json!({"word": "matrixword"}))),
            (Method::DELETE, "/api/v1/admin/sensitive-words/matrixword".into(), None),
            (Method::POST, format!("/api/v1/admin/users/{v}/mute"), Some(json!({}))),
            (Method::DELETE, format!("/api/v1/admin/users/{v}/mute"), None),
            (Method::POST, format!("/api/v1/admin/users/{v}/disable"), None),
            (Method::POST, format!("/api/v1/admin/users/{v}/enable"), None),
            (Method::POST, "/api/v1/admin/channels/world/mutes".into(), Some(json!({"user_id": v.to_string()}))),
            (Method::DELETE, format!("/api/v1/admin/channels/world/mutes/{v}"), None),
            (Method::POST, "/api/v1/admin/notices".into(), Some(json!({"text": "hello everyone"}))),
            (Method::GET, "/api/v1/admin/stats".into(), None),
            (Method::GET, "/api/v1/admin/audit".into(), None),
            (Method::GET, format!("/api/v1/admin/messages/{mid}/trail"), None),
            (Method::PUT, "/api/v1/admin/room-tags/music".into(), Some(json!({"weight": 5}))),
            (Method::DELETE, "/api/v1/admin/room-tags/music".into(), None),
            (Method::GET, "/api/v1/admin/gifts".into(), None),
            (Method::POST, "/api/v1/admin/gifts".into(), Some(json!({"name": "matrix tulip", "price": 3}))),
            (Method::PATCH, format!("/api/v1/admin/gifts/{g}"), Some(json!({"hot": true}))),
            (Method::GET, format!("/api/v1/admin/wallets/{v}"), None),
            (Method::GET, format!("/api/v1/admin/wallets/{v}/ledger"), None),
            (Method::POST, format!("/api/v1/admin/wallets/{v}/adjustments"), Some(json!({"currency": "coins", "delta": 5, "reason": "matrix"}))),
            (Method::GET, "/api/v1/admin/wallets/reconciliation".into(), None),
            (Method::POST, format!("/api/v1/admin/users/{v}/backpack"), Some(json!({"gift_id": g, "count": 1}))),
            (Method::PUT, format!("/api/v1/admin/users/{v}/vip"), Some(json!({"until": null}))),
            (Method::POST, format!("/api/v1/admin/gift-sends/{send_id}/reverse"), Some(json!({"reason": "matrix"}))),
            (Method::GET, "/api/v1/admin/invites".into(), None),
            (Method::POST, "/api/v1/admin/invites".into(), Some(json!({"max_uses": 3}))),
            (Method::GET, format!("/api/v1/admin/invites/{inv}"), None),
            (Method::DELETE, format!("/api/v1/admin/invites/{inv}"), None),
        ];
        // The calls are exactly the rows `authz::coverage` checks against the document.
        let documented: BTreeSet<(String, String)> =
            ROUTES.iter().map(|(m, p)| ((*m).to_owned(), (*p).to_owned())).collect();
        let covered: BTreeSet<(String, String)> = routes.iter().map(|(m, p, _)| {
            let templ = p.replace(&format!("messages/{mid}/"), "messages/{id}/").replace(&format!("wallets/{v}"), "wallets/{user_id}").replace(&g, "{id}").replace(&send_id, "{id}").replace(&inv, "{id}")
                .replace(&reports[0].to_string(), "{id}").replace(&reports[1].to_string(), "{id}")
                .replace(&format!("mutes/{v}"), "mutes/{user_id}").replace(&v.to_string(), "{id}")
                .replace("sensitive-words/matrixword", "sensitive-words/{word}")
                .replace("room-tags/music", "room-tags/{name}");
            (m.as_str().to_owned(), templ)
        }).collect();
        assert_eq!(covered, documented);

        let before = fingerprint(&app, &victim).await;
        for (method, path, body) in &routes {
            let anon = app.client.call::<Value, Value>(method.clone(), path, body.as_ref()).await.unwrap_err();
            assert_eq!(code(&anon), (401, "unauthorized"), "{method} {path}");
            let user = alice.client.call::<Value, Value>(method.clone(), path, body.as_ref()).await.unwrap_err();
            assert_eq!(code(&user), (403, "forbidden"), "{method} {path}");
        }
        assert_eq!(fingerprint(&app, &victim).await, before, "a denied call changed the store");
        // The words route is added before it is removed, the mute before it is lifted: in
        // order, every call succeeds for an administrator.
        for (method, path, body) in &routes {
            let r = admin.client.call::<Value, Value>(method.clone(), path, body.as_ref()).await;
            assert!(r.is_ok(), "{method} {path}: {r:?}");
        }
        let after = fingerprint(&app, &victim).await;
        assert_ne!(after["audit"], before["audit"]);
        assert_eq!(after["open_reports"], 0);
    }

    async fn disabling_a_user_closes_their_sockets_on_every_node_and_enable_restores(app) {
        let admin = app.admin("root").await;
        let bob = app.user("bob").await;
        let peer = peer_of(&app).await;
        let mut here = bob.client.ws().await.unwrap();
        let mut there = match &peer { Some(p) => Some(on(p, &bob).ws().await.unwrap()), None => None };

        let out = admin.client.disable_user(bob.id()).await.unwrap();
        assert_eq!((out.status.as_str(), out.muted), ("disabled", false));
        for ws in std::iter::once(&mut here).chain(there.as_mut()) {
            expect(ws, "session.revoked").await;
            let (code, _) = ws.closed(T).await.unwrap();
            assert_eq!(code, 4001);
        }
        // The old token's session is gone; signing in again is refused.
        assert_eq!(code(&bob.client.me().await.unwrap_err()), (401, "session_revoked"));
        assert_eq!(code(&app.client.login(&bob.username, PASSWORD).await.unwrap_err()), (403, "account_disabled"));
        // Not yourself; not someone who does not exist.
        assert_eq!(code(&admin.client.disable_user(admin.id()).await.unwrap_err()), (422, "cannot_target_self"));
        let ghost = confab_proto::ids::UserId(42);
        assert_eq!(code(&admin.client.disable_user(ghost).await.unwrap_err()), (404, "not_found"));

        let out = admin.client.enable_user(bob.id()).await.unwrap();
        assert_eq!(out.status, "active");
        app.client.login(&bob.username, PASSWORD).await.unwrap();
        let actions = audit_actions(&admin).await;
        assert_eq!(&actions[..2], ["user.enable", "user.disable"]);
        let last = &admin.client.admin_audit(None, Some(1)).await.unwrap().items[0];
        assert_eq!((last.actor_id, last.target_kind.as_str(), last.target_id.clone()), (admin.id(), "user", bob.id().to_string()));
    }

    async fn a_site_wide_mute_refuses_every_send_path_until_it_ends(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let until = ms(app.clock.now() + chrono::Duration::minutes(5));
        let out = admin.client.mute_user(bob.id(), &UserMuteIn { until: Some(until) }).await.unwrap();
        assert_eq!((out.muted, out.muted_until), (true, Some(until)));
        assert_eq!(code(&bob.client.send(c.id, &text("m1", "hi")).await.unwrap_err()), (403, "user_muted"));
        let mut ws = bob.client.ws().await.unwrap();
        ws.send_frame("send", Some("s1"), json!({"conversation_id": c.id.to_string(), "client_msg_id": "m2", "kind": "text", "body": {"text": "hi"}})).await.unwrap();
        let err = expect(&mut ws, "error").await;
        assert_eq!((err.id.as_deref(), err.error_code()), (Some("s1"), Some("user_muted")));
        // Reading still works; the other side may still send.
        bob.client.history(c.id, None, None, None).await.unwrap();
        alice.client.send_text(c.id, "you there?").await.unwrap();
        assert_eq!(bob.client.conversation(c.id).await.unwrap().last_seq, 1, "nothing of bob's was stored");
        // A past `until` is refused.
        let past = app.clock.now() - chrono::Duration::minutes(1);
        assert_eq!(code(&admin.client.mute_user(bob.id(), &UserMuteIn { until: Some(past) }).await.unwrap_err()), (422, "validation_failed"));
        // When it ends, sending works again.
        app.clock.advance(chrono::Duration::minutes(6));
        bob.client.send(c.id, &text("m3", "back")).await.unwrap();
        // Permanent, then lifted.
        admin.client.mute_user(bob.id(), &UserMuteIn { until: None }).await.unwrap();
        assert_eq!(code(&bob.client.send(c.id, &text("m4", "x")).await.unwrap_err()), (403, "user_muted"));
        let out = admin.client.unmute_user(bob.id()).await.unwrap();
        assert!(!out.muted);
        bob.client.send(c.id, &text("m5", "free")).await.unwrap();
        assert_eq!(code(&admin.client.unmute_user(bob.id()).await.unwrap_err()), (404, "not_found"));
        assert_eq!(&audit_actions(&admin).await[..3], ["user.unmute", "user.mute", "user.mute"]);
    }

    async fn words_added_over_the_api_mask_on_every_node_without_restart(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        let peer = peer_of(&app).await;

        let out = admin.client.add_sensitive_word("S.P.A.M").await.unwrap();
        assert_eq!((out.word.as_str(), out.added), ("spam", true));
        let again = admin.client.add_sensitive_word("spam").await.unwrap();
        assert!(!again.added);
        assert_eq!(admin.client.sensitive_words().await.unwrap().words, ["spam"]);
        assert_eq!(code(&admin.client.add_sensitive_word(" ... ").await.unwrap_err()), (422, "validation_failed"));
        assert_eq!(code(&alice.client.add_sensitive_word("x").await.unwrap_err()), (403, "forbidden"));

        alice.client.send(c.id, &text("w1", "no spam here")).await.unwrap();
        let sender = match &peer { Some(p) => on(p, &alice), None => alice.client.clone() };
        if let Some(p) = &peer {
            // Node B rebuilt its automaton from the bus message, without a restart.
            eventually(T, "node B's filter to know the word", || async {
                confab::moderation::filter::current(&p.state).mask("spam").map(|_| ())
            }).await;
        }
        sender.send(c.id, &text("w2", "SPAM on node B")).await.unwrap();
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        let texts: Vec<&str> = h.messages.iter().map(|m| m.body["text"].as_str().unwrap()).collect();
        assert_eq!(texts, ["no **** here", "**** on node B"]);

        admin.client.remove_sensitive_word("Spam").await.unwrap();
        assert_eq!(code(&admin.client.remove_sensitive_word("spam").await.unwrap_err()), (404, "not_found"));
        if let Some(p) = &peer {
            eventually(T, "node B to forget the word", || async { confab::moderation::filter::current(&p.state).is_empty().then_some(()) }).await;
        }
        sender.send(c.id, &text("w3", "spam again")).await.unwrap();
        let h = bob.client.history(c.id, None, None, None).await.unwrap();
        assert_eq!(h.messages.last().unwrap().body["text"], "spam again");
        let actions = audit_actions(&admin).await;
        assert_eq!(actions, ["word.remove", "word.add"], "a word already there is not audited twice");
    }

    async fn nicknames_go_through_the_filter(app) {
        let admin = app.admin("root").await;
        admin.client.add_sensitive_word("badword").await.unwrap();
        let alice = app.user("alice").await;
        let me = alice.client.update_me(&confab_proto::accounts::MePatch { nickname: Some("Mr B.A.D.W.O.R.D".into()), ..Default::default() }).await.unwrap();
        assert_eq!(me.nickname, "Mr *************");
        let me = alice.client.update_me(&confab_proto::accounts::MePatch { nickname: Some("Fine Name".into()), ..Default::default() }).await.unwrap();
        assert_eq!(me.nickname, "Fine Name");
    }

    async fn a_notice_reaches_every_socket_on_every_node(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        let peer = peer_of(&app).await;
        let mut a = alice.client.ws().await.unwrap();
        let mut b = match &peer { Some(p) => on(p, &bob).ws().await.unwrap(), None => bob.client.ws().await.unwrap() };
        let sent = admin.client.send_notice(&NoticeIn { title: Some("Maintenance".into()), text: "  Restart at 02:00 UTC. ".into() }).await.unwrap();
        assert_eq!(sent.text, "Restart at 02:00 UTC.");
        for ws in [&mut a, &mut b] {
            let got: NoticeOut = expect(ws, "notice").await.decode().unwrap();
            assert_eq!(got, sent);
        }
        let bad = admin.client.send_notice(&NoticeIn { title: None, text: " ".into() }).await.unwrap_err();
        assert_eq!(code(&bad), (422, "validation_failed"));
        let long = admin.client.send_notice(&NoticeIn { title: None, text: "x".repeat(2001) }).await.unwrap_err();
        assert_eq!(code(&long), (422, "validation_failed"));
        let entry = &admin.client.admin_audit(None, Some(1)).await.unwrap().items[0];
        assert_eq!((entry.action.as_str(), entry.id.clone()), ("notice.send", sent.id.clone()));
        assert_eq!(entry.details["text"], "Restart at 02:00 UTC.");
    }

    async fn stats_count_users_groups_sockets_and_todays_messages(app) {
        let admin = app.admin("root").await;
        let alice = app.user("alice").await;
        let bob = app.user("bob").await;
        app.befriend(&alice, &bob).await;
        let c = alice.client.open_direct(bob.id()).await.unwrap();
        for i in 0..3 {
            alice.client.send(c.id, &text(&format!("s{i}"), "hi")).await.unwrap();
        }
        admin.client.disable_user(bob.id()).await.unwrap();
        let peer = peer_of(&app).await;
        let _a1 = alice.client.ws().await.unwrap();
        let _a2 = match &peer { Some(p) => on(p, &alice).ws().await.unwrap(), None => alice.client.ws().await.unwrap() };
        let nodes = if peer.is_some() { 2 } else { 1 };
        let s = eventually(T, "both sockets to be counted", || async {
            let s = admin.client.admin_stats().await.unwrap();
            (s.sockets_online == 2 && s.nodes == nodes).then_some(s)
        }).await;
        assert_eq!((s.users, s.users_disabled, s.groups, s.messages_today), (3, 1, 0, 3));
        // Tomorrow, today's messages are yesterday's.
        app.clock.advance(chrono::Duration::days(1));
        let admin = app.client.signed_in(&app.client.login(&admin.username, PASSWORD).await.unwrap());
        assert_eq!(admin.admin_stats().await.unwrap().messages_today, 0);
    }

    async fn the_audit_log_pages_newest_first(app) {
        let admin = app.admin("root").await;
        for w in ["one", "two", "three"] {
            admin.client.add_sensitive_word(w).await.unwrap();
        }
        let p1 = admin.client.admin_audit(None, Some(2)).await.unwrap();
        let targets: Vec<&str> = p1.items.iter().map(|a| a.target_id.as_str()).collect();
        assert_eq!(targets, ["three", "two"]);
        let p2 = admin.client.admin_audit(p1.next_cursor.as_deref(), Some(2)).await.unwrap();
        assert_eq!(p2.items.iter().map(|a| a.target_id.as_str()).collect::<Vec<_>>(), ["one"]);
        assert!(p2.next_cursor.is_none());
        assert_eq!(code(&admin.client.admin_audit(Some("nope"), None).await.unwrap_err()), (422, "validation_failed"));
        assert_eq!(code(&admin.client.admin_audit(None, Some(0)).await.unwrap_err()), (422, "validation_failed"));
    }
}
