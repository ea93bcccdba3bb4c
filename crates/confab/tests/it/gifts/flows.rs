//! The newcomer's path: credit coins, send in a room and in a chat, and watch the balance,
//! the ledger, the records, the leaderboard, the room's counters, the events and the gift
//! message change. Also combos, the catalog's ETag, levels and VIP.

use confab::infra::clock::Clock;
use confab_client::CatalogAnswer;
use confab_proto::gifts::{BuyVipIn, Currency, GiftPatch, GiftSource, VipIn};

use super::*;

backend_fn_tests! {
    a_gift_in_a_chat_charges_pays_records_and_tells_both_sides,
    a_gift_in_a_room_moves_the_rooms_counters_and_the_leaderboards,
    quick_repeats_share_a_combo_and_a_pause_starts_a_new_one,
    records_and_the_ledger_page_past_the_first_page,
    the_catalog_is_cached_by_etag_and_hides_unlisted_gifts,
    spending_raises_the_level_and_vip_can_be_bought_or_granted,
}

async fn a_gift_in_a_chat_charges_pays_records_and_tells_both_sides(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("ga").await, app.user("gb").await);
    let conv = chat(&app, &a, &b).await;
    let rose = gift(&admin, "rose", 10).await;
    credit(&admin, a.id(), 1_000).await;
    let mut ws_b = b.client.ws().await.unwrap();
    let mut ws_a = a.client.ws().await.unwrap();

    let mut input = in_chat("k1", &rose, 3, b.id(), conv);
    input.message = Some("for you".into());
    let out = send(&a, &input).await;
    assert!(!out.replayed);
    assert_eq!((out.send.value, out.send.cost, out.send.count), (30, 30, 3));
    // 70 % of 30 coins, in diamonds.
    assert_eq!((out.send.diamonds, out.send.share_percent), (21, 70));
    assert_eq!((out.wallet.coins, out.wallet.spent), (970, 30));
    assert_eq!(b.client.wallet().await.unwrap().diamonds, 21);

    // The ledger: the sender's debit, with the balance after it.
    let ledger = a.client.wallet_ledger(None, None).await.unwrap();
    let last = &ledger.entries[0];
    assert_eq!(
        (last.currency, last.delta, last.balance),
        (Currency::Coins, -30, 970)
    );
    assert_eq!(last.reference, format!("send:{}", out.send.id));
    let theirs = b.client.wallet_ledger(None, None).await.unwrap();
    assert_eq!(
        (theirs.entries[0].currency, theirs.entries[0].delta),
        (Currency::Diamonds, 21)
    );

    // Both sides hear of it; the gift is a message with a seq, unread for the receiver.
    let e = ws_b.expect_event("gift.sent", WAIT).await.unwrap();
    assert_eq!(e.data["send"]["id"], out.send.id.to_string());
    let w = ws_a.expect_event("wallet.updated", WAIT).await.unwrap();
    assert_eq!(w.data["wallet"]["coins"], 970);
    let page = b
        .client
        .history(conv, None, Some(0), Some(50))
        .await
        .unwrap();
    let msg = page.messages.iter().find(|m| m.kind == "gift").unwrap();
    assert_eq!(msg.seq, out.send.seq);
    assert_eq!(msg.body["count"], 3);
    assert_eq!(msg.body["message"], "for you");
    let sync = b.client.sync(None).await.unwrap();
    let c = sync.conversations.iter().find(|c| c.id == conv).unwrap();
    assert!(c.unread >= 1, "the gift counts as unread: {c:?}");

    // Records on both sides.
    let sent = a.client.gifts_sent(None, None).await.unwrap();
    assert_eq!(sent.sends[0].id, out.send.id);
    let got = b.client.gifts_received(None, None).await.unwrap();
    assert_eq!(got.sends[0].id, out.send.id);
    assert!(
        a.client
            .gifts_received(None, None)
            .await
            .unwrap()
            .sends
            .is_empty()
    );
    assert_balanced(&admin).await;
}

async fn a_gift_in_a_room_moves_the_rooms_counters_and_the_leaderboards(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (host, fan1, fan2) = (
        app.user("host").await,
        app.user("f1").await,
        app.user("f2").await,
    );
    let room = room_with(&host, &[&fan1, &fan2]).await;
    let star = gift(&admin, "star", 100).await;
    credit(&admin, fan1.id(), 1_000).await;
    credit(&admin, fan2.id(), 1_000).await;
    let mut ws = host.client.ws().await.unwrap();

    send(&fan1, &in_room("a", &star, 2, host.id(), room.id)).await;
    let e = ws.expect_event("gift.sent", WAIT).await.unwrap();
    assert_eq!(e.data["room_totals"]["gifts"], 2);
    send(&fan1, &in_room("b", &star, 1, host.id(), room.id)).await;
    let last = send(&fan2, &in_room("c", &star, 5, host.id(), room.id)).await;
    assert_eq!(last.send.room_id, Some(room.id));

    let totals = host.client.room(room.id).await.unwrap().gift_totals;
    assert_eq!((totals.gifts, totals.coins, totals.senders), (8, 800, 2));

    // Senders by value: fan2 (500) before fan1 (300), in the room and globally.
    for room_id in [Some(room.id), None] {
        let board = fan1
            .client
            .gift_leaderboard("senders", "all", room_id)
            .await
            .unwrap();
        let ranks: Vec<_> = board.entries.iter().map(|r| (r.user.id, r.score)).collect();
        assert_eq!(
            ranks[..2],
            [(fan2.id(), 500), (fan1.id(), 300)],
            "{room_id:?}"
        );
    }
    let day = host
        .client
        .gift_leaderboard("receivers", "day", Some(room.id))
        .await
        .unwrap();
    assert_eq!(day.entries[0].user.id, host.id());
    assert_eq!(day.entries[0].score, 800);
    // Tomorrow the day board of the room is empty; the week's still counts.
    app.clock.advance(chrono::Duration::days(1));
    let host_c = relogin(&app, &host).await;
    let day = host_c
        .gift_leaderboard("receivers", "day", Some(room.id))
        .await
        .unwrap();
    assert!(day.entries.is_empty(), "{day:?}");
    let week = host_c
        .gift_leaderboard("receivers", "week", None)
        .await
        .unwrap();
    let weekday = week.since.map(|s| s.date_naive());
    if weekday.is_some_and(|s| s < app.clock.now().date_naive()) {
        assert_eq!(week.entries[0].score, 800, "{week:?}");
    }
    app.clock.advance(chrono::Duration::days(7));
    let host_c = relogin(&app, &host).await;
    let week = host_c
        .gift_leaderboard("receivers", "week", None)
        .await
        .unwrap();
    assert!(week.entries.is_empty(), "{week:?}");
    let all = host_c
        .gift_leaderboard("receivers", "all", Some(room.id))
        .await
        .unwrap();
    assert_eq!(all.entries[0].score, 800);
    // A bad board is a 422, an unknown room a 404.
    let e = host_c
        .gift_leaderboard("winners", "all", None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (400, "bad_request"));
    let e = host_c
        .gift_leaderboard("senders", "all", Some(confab_proto::ids::RoomId(1)))
        .await
        .unwrap_err();
    assert_eq!(code(&e).0, 404);
    let admin_c = relogin(&app, &admin).await;
    assert!(admin_c.admin_reconciliation().await.unwrap().balanced);
}

async fn quick_repeats_share_a_combo_and_a_pause_starts_a_new_one(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("ca").await, app.user("cb").await);
    let conv = chat(&app, &a, &b).await;
    let kiss = gift(&admin, "kiss", 1).await;
    credit(&admin, a.id(), 100).await;
    let first = send(&a, &in_chat("1", &kiss, 1, b.id(), conv)).await.send;
    assert_eq!((first.combo_id, first.combo_count), (first.id, 1));
    app.clock.advance(chrono::Duration::seconds(2));
    let second = send(&a, &in_chat("2", &kiss, 10, b.id(), conv)).await.send;
    assert_eq!((second.combo_id, second.combo_count), (first.id, 11));
    // Past the window (5 s by default): a new combo.
    app.clock.advance(chrono::Duration::seconds(6));
    let third = send(&a, &in_chat("3", &kiss, 1, b.id(), conv)).await.send;
    assert_eq!((third.combo_id, third.combo_count), (third.id, 1));
}

async fn records_and_the_ledger_page_past_the_first_page(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("pa").await, app.user("pb").await);
    let conv = chat(&app, &a, &b).await;
    let g = gift(&admin, "bean", 1).await;
    credit(&admin, a.id(), 100).await;
    let mut ids = Vec::new();
    for i in 0..7 {
        ids.push(
            send(&a, &in_chat(&format!("p{i}"), &g, 1, b.id(), conv))
                .await
                .send
                .id,
        );
    }
    ids.reverse();
    // Sent and received, three a page, newest first, nothing lost or repeated.
    for received in [false, true] {
        let mut seen = Vec::new();
        let mut cursor: Option<String> = None;
        for _ in 0..10 {
            let page = if received {
                b.client
                    .gifts_received(cursor.as_deref(), Some(3))
                    .await
                    .unwrap()
            } else {
                a.client
                    .gifts_sent(cursor.as_deref(), Some(3))
                    .await
                    .unwrap()
            };
            assert!(page.sends.len() <= 3);
            seen.extend(page.sends.iter().map(|s| s.id));
            cursor = page.next_cursor;
            if cursor.is_none() {
                break;
            }
        }
        assert_eq!(seen, ids, "received: {received}");
    }
    // The ledger: 7 debits and a credit, 3 a page, balances consistent newest first.
    let mut entries = Vec::new();
    let mut cursor: Option<String> = None;
    for _ in 0..10 {
        let page = a
            .client
            .wallet_ledger(cursor.as_deref(), Some(3))
            .await
            .unwrap();
        entries.extend(page.entries);
        cursor = page.next_cursor;
        if cursor.is_none() {
            break;
        }
    }
    assert_eq!(entries.len(), 8);
    assert_eq!(entries[0].balance, 93);
    assert_eq!(entries[7].delta, 100);
    for w in entries.windows(2) {
        assert_eq!(w[0].balance - w[0].delta, w[1].balance, "{w:?}");
    }
    let e = a
        .client
        .wallet_ledger(Some("garbage"), None)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (422, "validation_failed"));
}

async fn the_catalog_is_cached_by_etag_and_hides_unlisted_gifts(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let u = app.user("viewer").await;
    let g = gift(&admin, "heart", 5).await;
    let CatalogAnswer::Fresh { catalog, etag } = u.client.gift_catalog(None).await.unwrap() else {
        panic!("a first read is fresh");
    };
    assert!(catalog.gifts.iter().any(|x| x.id == g.id));
    let etag = etag.expect("an ETag");
    assert!(matches!(
        u.client.gift_catalog(Some(&etag)).await.unwrap(),
        CatalogAnswer::NotModified
    ));
    // Unlisting changes the catalog and its tag; the gift can no longer be bought.
    let patch = GiftPatch {
        listed: Some(false),
        ..GiftPatch::default()
    };
    admin.client.admin_update_gift(g.id, &patch).await.unwrap();
    let CatalogAnswer::Fresh { catalog, etag: e2 } =
        u.client.gift_catalog(Some(&etag)).await.unwrap()
    else {
        panic!("a changed catalog is fresh");
    };
    assert!(catalog.gifts.iter().all(|x| x.id != g.id));
    assert_ne!(e2.as_deref(), Some(etag.as_str()));
    let all = admin.client.admin_gifts().await.unwrap();
    assert!(all.gifts.iter().any(|x| x.id == g.id && !x.listed));
    let b = app.user("vb").await;
    let conv = chat(&app, &u, &b).await;
    credit(&admin, u.id(), 100).await;
    let e = u
        .client
        .send_gift(&in_chat("x", &g, 1, b.id(), conv))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "gift_unavailable"));
    assert_eq!(u.client.wallet().await.unwrap().coins, 100);
}

async fn spending_raises_the_level_and_vip_can_be_bought_or_granted(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("la").await, app.user("lb").await);
    let conv = chat(&app, &a, &b).await;
    let g = gift(&admin, "car", 100).await;
    credit(&admin, a.id(), 10_000).await;
    assert_eq!(a.client.wallet().await.unwrap().level, 0);
    // Thresholds 100, 1 000, 5 000, …: 1 000 coins spent is level 2.
    send(&a, &in_chat("l", &g, 10, b.id(), conv)).await;
    let w = a.client.wallet().await.unwrap();
    assert_eq!((w.spent, w.level), (1_000, 2));
    assert_eq!(b.client.user(a.id()).await.unwrap().level, 2);

    // VIP for one period: 3 000 coins, 30 days; idempotent by key.
    let buy = BuyVipIn {
        periods: 1,
        client_key: "vip-1".into(),
    };
    let first = a.client.buy_vip(&buy).await.unwrap();
    let again = a.client.buy_vip(&buy).await.unwrap();
    assert!(again.replayed && !first.replayed);
    assert_eq!(again.wallet.coins, 10_000 - 1_000 - 3_000);
    let until = first.wallet.vip_until.expect("VIP until");
    let days = (until - app.clock.now()).num_days();
    assert!((29..=30).contains(&days), "{days}");
    assert_eq!(b.client.user(a.id()).await.unwrap().vip_until, Some(until));
    // Too poor: refused, nothing charged.
    let poor = BuyVipIn {
        periods: 10,
        client_key: "vip-2".into(),
    };
    let e = a.client.buy_vip(&poor).await.unwrap_err();
    assert_eq!(code(&e), (409, "insufficient_balance"));
    assert_eq!(a.client.wallet().await.unwrap().coins, 6_000);

    // An admin grants and clears VIP.
    let later = app.clock.now() + chrono::Duration::days(90);
    let w = admin
        .client
        .admin_set_vip(b.id(), &VipIn { until: Some(later) })
        .await
        .unwrap();
    assert_eq!(w.vip_until.map(|t| t.timestamp()), Some(later.timestamp()));
    let w = admin
        .client
        .admin_set_vip(b.id(), &VipIn { until: None })
        .await
        .unwrap();
    assert_eq!(w.vip_until, None);
    let _ = GiftSource::Backpack;
    assert_balanced(&admin).await;
}
