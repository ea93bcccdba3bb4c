//! Who may do what, and refusals that charge nothing: only admins manage the catalog and
//! wallets; a blocked, muted, absent or poor sender is refused with nothing taken; backpack
//! items are spent soonest-expiring first and never after they expire.

use confab_proto::admin::UserMuteIn;
use confab_proto::gifts::{AdjustmentIn, Currency, GiftPatch, GiftSource, GrantIn, VipIn};
use confab_proto::ids::GiftSendId;
use confab_proto::rooms::{RoomMuteIn, RoomMuteLength};

use confab::infra::clock::Clock;

use super::*;

backend_fn_tests! {
    every_gifts_and_wallet_route_needs_a_session,
    only_admins_manage_the_catalog_and_wallets,
    a_refused_send_charges_nothing,
    backpack_items_go_soonest_expiring_first_and_never_after_expiry,
}

async fn every_gifts_and_wallet_route_needs_a_session(backend: Backend) {
    use std::collections::BTreeSet;

    use reqwest::Method;
    use serde_json::{Value, json};

    let app = node(backend).await;
    let body = json!({"client_key": "k", "periods": 1});
    let routes: Vec<(Method, &str, Option<Value>)> = vec![
        (Method::GET, "/api/v1/gifts", None),
        (Method::POST, "/api/v1/gifts/sends", Some(body.clone())),
        (Method::GET, "/api/v1/gifts/sent", None),
        (Method::GET, "/api/v1/gifts/received", None),
        (
            Method::GET,
            "/api/v1/gifts/leaderboard?board=senders&period=all",
            None,
        ),
        (Method::GET, "/api/v1/wallet", None),
        (Method::GET, "/api/v1/wallet/ledger", None),
        (Method::GET, "/api/v1/wallet/backpack", None),
        (Method::POST, "/api/v1/wallet/vip", Some(body)),
    ];
    // Every documented route is here, but the top-up webhook: it is signed, not signed in
    // (its refusals are in `topups`).
    let doc: Value = serde_json::from_str(&confab::http::openapi_json()).unwrap();
    let mut documented = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        if (path.starts_with("/api/v1/gifts") || path.starts_with("/api/v1/wallet"))
            && path != "/api/v1/wallet/topups"
        {
            for m in ops.as_object().unwrap().keys() {
                documented.insert((m.to_uppercase(), path.clone()));
            }
        }
    }
    let covered: BTreeSet<(String, String)> = routes
        .iter()
        .map(|(m, p, _)| (m.to_string(), p.split('?').next().unwrap().to_owned()))
        .collect();
    assert_eq!(covered, documented);
    for (method, path, body) in &routes {
        let e = app
            .client
            .call::<Value, Value>(method.clone(), path, body.as_ref())
            .await
            .unwrap_err();
        assert_eq!(code(&e), (401, "unauthorized"), "{method} {path}");
    }
}

async fn only_admins_manage_the_catalog_and_wallets(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let u = app.user("plain").await;
    let g = gift(&admin, "cup", 1).await;
    let new = gift_in("mine", 1);
    let adjust = AdjustmentIn {
        currency: Currency::Coins,
        delta: 1_000,
        reason: "self-service".into(),
        client_key: None,
    };
    let grant = GrantIn {
        gift_id: g.id,
        count: 5,
        expires_at: None,
    };
    let c = &u.client;
    let refusals = [
        c.admin_gifts().await.map(|_| ()),
        c.admin_create_gift(&new).await.map(|_| ()),
        c.admin_update_gift(g.id, &GiftPatch::default())
            .await
            .map(|_| ()),
        c.admin_adjust(u.id(), &adjust).await.map(|_| ()),
        c.admin_wallet(u.id()).await.map(|_| ()),
        c.admin_wallet_ledger(u.id(), None, None).await.map(|_| ()),
        c.admin_reconciliation().await.map(|_| ()),
        c.admin_grant(u.id(), &grant).await.map(|_| ()),
        c.admin_set_vip(u.id(), &VipIn { until: None })
            .await
            .map(|_| ()),
        c.admin_reverse_send(GiftSendId(1), "mine")
            .await
            .map(|_| ()),
    ];
    for (i, r) in refusals.into_iter().enumerate() {
        assert_eq!(code(&r.unwrap_err()), (403, "forbidden"), "call {i}");
    }
    // Nothing changed, and signed-out callers get 401.
    let w = u.client.wallet().await.unwrap();
    assert_eq!((w.coins, w.diamonds), (0, 0));
    assert!(u.client.backpack().await.unwrap().items.is_empty());
    let e = app.client.wallet().await.unwrap_err();
    assert_eq!(code(&e), (401, "unauthorized"));
    let e = app.client.admin_reconciliation().await.unwrap_err();
    assert_eq!(code(&e), (401, "unauthorized"));
}

/// Asserts that `u`'s coins are still `coins` and that no gift message reached `conv`.
async fn untouched(u: &TestUser, coins: i64, conv: ConversationId, reader: &TestUser) {
    assert_eq!(u.client.wallet().await.unwrap().coins, coins);
    let page = reader
        .client
        .history(conv, None, Some(0), Some(50))
        .await
        .unwrap();
    assert!(page.messages.iter().all(|m| m.kind != "gift"), "{page:?}");
}

async fn a_refused_send_charges_nothing(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b, stranger) = (
        app.user("ra").await,
        app.user("rb").await,
        app.user("rs").await,
    );
    let conv = chat(&app, &a, &b).await;
    let g = gift(&admin, "gem", 50).await;
    credit(&admin, a.id(), 100).await;
    credit(&admin, stranger.id(), 100).await;

    // Too poor, to oneself, neither or both places, a stranger to the chat.
    let e = a
        .client
        .send_gift(&in_chat("1", &g, 3, b.id(), conv))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "insufficient_balance"));
    let e = a
        .client
        .send_gift(&in_chat("2", &g, 1, a.id(), conv))
        .await
        .unwrap_err();
    assert_eq!(code(&e).1, "cannot_target_self");
    let mut both = in_chat("3", &g, 1, b.id(), conv);
    both.room_id = Some(confab_proto::ids::RoomId(1));
    let e = a.client.send_gift(&both).await.unwrap_err();
    assert_eq!(code(&e), (422, "validation_failed"));
    let e = stranger
        .client
        .send_gift(&in_chat("4", &g, 1, b.id(), conv))
        .await
        .unwrap_err();
    // Like a chat message: a conversation one is not in is not known to exist.
    assert_eq!(code(&e), (404, "not_found"));
    assert_eq!(stranger.client.wallet().await.unwrap().coins, 100);
    untouched(&a, 100, conv, &b).await;

    // Blocked by the receiver.
    b.client.block(a.id()).await.unwrap();
    let e = a
        .client
        .send_gift(&in_chat("5", &g, 1, b.id(), conv))
        .await
        .unwrap_err();
    assert_eq!(code(&e).1, "blocked");
    untouched(&a, 100, conv, &b).await;
    b.client.unblock(a.id()).await.unwrap();

    // Muted site-wide.
    admin
        .client
        .mute_user(a.id(), &UserMuteIn { until: None })
        .await
        .unwrap();
    let e = a
        .client
        .send_gift(&in_chat("6", &g, 1, b.id(), conv))
        .await
        .unwrap_err();
    assert_eq!(code(&e).1, "user_muted");
    untouched(&a, 100, conv, &b).await;
    admin.client.unmute_user(a.id()).await.unwrap();

    // In a room: muted in its chat, or the receiver not in the room.
    let host = app.user("rhost").await;
    let room = room_with(&host, &[&a]).await;
    let mute = RoomMuteIn {
        user_id: a.id(),
        length: RoomMuteLength::OneHour,
    };
    host.client.mute_in_room(room.id, &mute).await.unwrap();
    let e = a
        .client
        .send_gift(&in_room("7", &g, 1, host.id(), room.id))
        .await
        .unwrap_err();
    assert_eq!(code(&e).1, "room_muted");
    host.client.unmute_in_room(room.id, a.id()).await.unwrap();
    let e = a
        .client
        .send_gift(&in_room("8", &g, 1, b.id(), room.id))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (403, "not_member"));
    assert_eq!(e.field(), Some("receiver_id"));
    let e = a
        .client
        .send_gift(&in_room(
            "9",
            &g,
            1,
            host.id(),
            confab_proto::ids::RoomId(7),
        ))
        .await
        .unwrap_err();
    assert_eq!(code(&e).0, 404);
    untouched(&a, 100, conv, &b).await;
    assert_eq!(
        host.client.room(room.id).await.unwrap().gift_totals.gifts,
        0
    );

    // And after all that, a good send still works: nothing was left half-done.
    let ok = send(&a, &in_room("10", &g, 2, host.id(), room.id)).await;
    assert_eq!(ok.wallet.coins, 0);
    let _ = GiftSource::Purchase;
    assert_balanced(&admin).await;
}

async fn backpack_items_go_soonest_expiring_first_and_never_after_expiry(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("ba").await, app.user("bb").await);
    let conv = chat(&app, &a, &b).await;
    let g = gift(&admin, "balloon", 10).await;
    let now = app.clock.now();
    let grants = [
        (4, Some(now + chrono::Duration::days(3))),
        (2, Some(now + chrono::Duration::hours(1))),
        (5, None),
    ];
    for (count, expires_at) in grants {
        let input = GrantIn {
            gift_id: g.id,
            count,
            expires_at,
        };
        admin.client.admin_grant(a.id(), &input).await.unwrap();
    }
    let bp = a.client.backpack().await.unwrap();
    let counts: Vec<_> = bp.items.iter().map(|i| i.count).collect();
    assert_eq!(counts, [2, 4, 5], "soonest-expiring first, no expiry last");

    // Three from the backpack: the two hour-long items and one of the three-day ones.
    let mut input = in_chat("bp1", &g, 3, b.id(), conv);
    input.source = GiftSource::Backpack;
    let out = send(&a, &input).await;
    assert_eq!(
        (out.send.cost, out.send.value, out.send.diamonds),
        (0, 30, 21)
    );
    assert_eq!(out.wallet.coins, 0);
    let counts: Vec<_> = a
        .client
        .backpack()
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.count)
        .collect();
    assert_eq!(counts, [3, 5]);

    // Four days on, the three-day items are gone and cannot be spent.
    app.clock.advance(chrono::Duration::days(4));
    let (a, b, admin) = (
        relogin(&app, &a).await,
        relogin(&app, &b).await,
        relogin(&app, &admin).await,
    );
    let counts: Vec<_> = a
        .backpack()
        .await
        .unwrap()
        .items
        .iter()
        .map(|i| i.count)
        .collect();
    assert_eq!(counts, [5]);
    let mut input = in_chat("bp2", &g, 6, b.me().await.unwrap().id, conv);
    input.source = GiftSource::Backpack;
    let e = a.send_gift(&input).await.unwrap_err();
    assert_eq!(code(&e), (409, "insufficient_items"));
    assert_eq!(a.backpack().await.unwrap().items[0].count, 5);
    input.count = 5;
    input.client_key = "bp3".into();
    a.send_gift(&input).await.unwrap();
    assert!(a.backpack().await.unwrap().items.is_empty());
    assert_eq!(b.wallet().await.unwrap().diamonds, 21 + 35);
    assert!(admin.admin_reconciliation().await.unwrap().balanced);
}
