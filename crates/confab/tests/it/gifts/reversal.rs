//! An admin reverses a send: compensating ledger rows (nothing deleted), balances and the
//! room's counters back, backpack items returned, once only, in the audit log.

use confab_proto::gifts::{Currency, GiftSource, GrantIn};

use super::*;

backend_fn_tests! {
    a_reversal_compensates_and_leaves_the_ledger_whole,
}

async fn a_reversal_compensates_and_leaves_the_ledger_whole(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (host, fan) = (app.user("rhost").await, app.user("rfan").await);
    let room = room_with(&host, &[&fan]).await;
    let g = gift(&admin, "castle", 100).await;
    credit(&admin, fan.id(), 1_000).await;
    let first = send(&fan, &in_room("r1", &g, 2, host.id(), room.id))
        .await
        .send;
    let ledger_rows = fan
        .client
        .wallet_ledger(None, None)
        .await
        .unwrap()
        .entries
        .len();
    assert_eq!(fan.client.wallet().await.unwrap().level, 1);

    let out = admin
        .client
        .admin_reverse_send(first.id, "chargeback")
        .await
        .unwrap();
    assert!(out.reversed_at.is_some());
    let w = fan.client.wallet().await.unwrap();
    assert_eq!((w.coins, w.spent, w.level), (1_000, 0, 0));
    assert_eq!(host.client.wallet().await.unwrap().diamonds, 0);
    // Compensating rows: the original debit stays, a credit follows it.
    let ledger = fan.client.wallet_ledger(None, None).await.unwrap().entries;
    assert_eq!(ledger.len(), ledger_rows + 1);
    assert_eq!(
        (ledger[0].delta, ledger[0].reason.as_str()),
        (200, "reversal")
    );
    assert_eq!(ledger[1].delta, -200);
    let theirs = host.client.wallet_ledger(None, None).await.unwrap().entries;
    assert_eq!(
        (theirs[0].currency, theirs[0].delta),
        (Currency::Diamonds, -140)
    );
    // The room forgets the send and its only sender; boards leave it out.
    let t = host.client.room(room.id).await.unwrap().gift_totals;
    assert_eq!((t.gifts, t.coins, t.senders), (0, 0, 0));
    let board = host
        .client
        .gift_leaderboard("senders", "all", Some(room.id))
        .await
        .unwrap();
    assert!(board.entries.is_empty(), "{board:?}");
    // Once only.
    let e = admin
        .client
        .admin_reverse_send(first.id, "again")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "already_reversed"));
    let e = admin
        .client
        .admin_reverse_send(confab_proto::ids::GiftSendId(1), "none")
        .await
        .unwrap_err();
    assert_eq!(code(&e).0, 404);
    // The records show it reversed.
    let sent = fan.client.gifts_sent(None, None).await.unwrap();
    assert!(sent.sends[0].reversed_at.is_some());
    // Sending again makes the fan a sender again.
    send(&fan, &in_room("r2", &g, 1, host.id(), room.id)).await;
    let t = host.client.room(room.id).await.unwrap().gift_totals;
    assert_eq!((t.gifts, t.coins, t.senders), (1, 100, 1));

    // A backpack send reversed returns the items to the sender.
    let grant = GrantIn {
        gift_id: g.id,
        count: 2,
        expires_at: None,
    };
    admin.client.admin_grant(fan.id(), &grant).await.unwrap();
    let mut input = in_room("r3", &g, 2, host.id(), room.id);
    input.source = GiftSource::Backpack;
    let bp_send = send(&fan, &input).await.send;
    assert!(fan.client.backpack().await.unwrap().items.is_empty());
    admin
        .client
        .admin_reverse_send(bp_send.id, "mistake")
        .await
        .unwrap();
    let items = fan.client.backpack().await.unwrap().items;
    assert_eq!(items.iter().map(|i| i.count).sum::<u32>(), 2);

    // A receiver whose diamonds are gone meanwhile: the claw-back would go below zero, so
    // the reversal is refused and nothing moves.
    let last = send(&fan, &in_room("r4", &g, 1, host.id(), room.id))
        .await
        .send;
    let diamonds = host.client.wallet().await.unwrap().diamonds;
    let debit = confab_proto::gifts::AdjustmentIn {
        currency: Currency::Diamonds,
        delta: -diamonds,
        reason: "cashed out".into(),
        client_key: None,
    };
    admin.client.admin_adjust(host.id(), &debit).await.unwrap();
    let coins = fan.client.wallet().await.unwrap().coins;
    let e = admin
        .client
        .admin_reverse_send(last.id, "late")
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "insufficient_balance"));
    assert_eq!(fan.client.wallet().await.unwrap().coins, coins);
    assert!(
        fan.client.gifts_sent(None, None).await.unwrap().sends[0]
            .reversed_at
            .is_none()
    );
    assert_balanced(&admin).await;
}
