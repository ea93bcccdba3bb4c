//! The payment provider's webhook: a signed, fresh notice credits once; a replay credits
//! nothing; unsigned, wrongly signed, stale or replayed-with-other-content notices are
//! refused; a node without a secret answers 503.

use confab::infra::clock::Clock;
use confab_proto::gifts::{GrantIn, TopupIn};
use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::*;

backend_fn_tests! {
    a_signed_notice_credits_once,
    unsigned_wrong_or_stale_notices_are_refused,
    a_node_without_a_secret_refuses_top_ups,
}

/// `sha256=<hex>` of `"{ts}.{body}"` under `secret`.
fn sign(secret: &str, ts: i64, body: &[u8]) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap();
    mac.update(format!("{ts}.").as_bytes());
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

fn notice(order: &str, user: UserId, coins: i64) -> TopupIn {
    TopupIn {
        order_id: order.into(),
        user_id: user,
        coins,
        amount: Some(coins * 10),
        currency: Some("CNY".into()),
        bonus: Vec::new(),
    }
}

async fn post(
    app: &TestApp,
    body: &[u8],
    ts: i64,
    sig: &str,
) -> confab_client::Result<confab_proto::gifts::TopupOut> {
    app.client
        .topup_raw(body, Some(&ts.to_string()), Some(sig))
        .await
}

async fn a_signed_notice_credits_once(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let u = app.user("payer").await;
    let g = gift(&admin, "ring", 20).await;
    let mut input = notice("order-1", u.id(), 500);
    input.bonus.push(GrantIn {
        gift_id: g.id,
        count: 3,
        expires_at: None,
    });
    let body = serde_json::to_vec(&input).unwrap();
    let ts = app.clock.now().timestamp();
    let out = post(&app, &body, ts, &sign(TOPUP_SECRET, ts, &body))
        .await
        .unwrap();
    assert!(out.credited);
    assert_eq!((out.coins, out.user_id), (500, u.id()));
    let w = u.client.wallet().await.unwrap();
    assert_eq!(w.coins, 500);
    assert_eq!(u.client.backpack().await.unwrap().items[0].count, 3);
    let ledger = u.client.wallet_ledger(None, None).await.unwrap();
    assert_eq!(ledger.entries[0].reference, "topup:order-1");

    // The provider retries (a new signature, later): nothing more is credited.
    app.clock.advance(chrono::Duration::seconds(30));
    let ts2 = app.clock.now().timestamp();
    let again = post(&app, &body, ts2, &sign(TOPUP_SECRET, ts2, &body))
        .await
        .unwrap();
    assert!(!again.credited);
    assert_eq!(u.client.wallet().await.unwrap().coins, 500);
    assert_eq!(u.client.backpack().await.unwrap().items[0].count, 3);
    // The same order id with other content is a conflict.
    let other = serde_json::to_vec(&notice("order-1", u.id(), 5_000)).unwrap();
    let e = post(&app, &other, ts2, &sign(TOPUP_SECRET, ts2, &other))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "key_reused"));
    // Concurrent deliveries of a new order credit once.
    let body3 = serde_json::to_vec(&notice("order-3", u.id(), 7)).unwrap();
    let sig3 = sign(TOPUP_SECRET, ts2, &body3);
    let tasks: Vec<_> = (0..8)
        .map(|_| {
            let c = app.client.clone();
            let (b, s) = (body3.clone(), sig3.clone());
            tokio::spawn(async move { c.topup_raw(&b, Some(&ts2.to_string()), Some(&s)).await })
        })
        .collect();
    let mut credited = 0;
    for t in tasks {
        credited += usize::from(t.await.unwrap().unwrap().credited);
    }
    assert_eq!(credited, 1);
    assert_eq!(u.client.wallet().await.unwrap().coins, 507);
    assert_balanced(&admin).await;
}

async fn unsigned_wrong_or_stale_notices_are_refused(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let u = app.user("payer").await;
    let body = serde_json::to_vec(&notice("order-x", u.id(), 100)).unwrap();
    let ts = app.clock.now().timestamp();
    let good = sign(TOPUP_SECRET, ts, &body);
    let tampered = serde_json::to_vec(&notice("order-x", u.id(), 100_000)).unwrap();
    // (what, timestamp header, signature header, body)
    type Case<'a> = (&'a str, Option<String>, Option<String>, &'a [u8]);
    let cases: Vec<Case> = vec![
        ("no headers", None, None, &body),
        ("no signature", Some(ts.to_string()), None, &body),
        ("no timestamp", None, Some(good.clone()), &body),
        (
            "wrong key",
            Some(ts.to_string()),
            Some(sign("another-secret-another-secret-xxxx", ts, &body)),
            &body,
        ),
        (
            "tampered body",
            Some(ts.to_string()),
            Some(good.clone()),
            &tampered,
        ),
        (
            "other timestamp",
            Some((ts + 1).to_string()),
            Some(good.clone()),
            &body,
        ),
        (
            "not hex",
            Some(ts.to_string()),
            Some("sha256=zz".into()),
            &body,
        ),
        (
            "no scheme",
            Some(ts.to_string()),
            Some(good.trim_start_matches("sha256=").into()),
            &body,
        ),
        (
            "stale",
            Some((ts - 301).to_string()),
            Some(sign(TOPUP_SECRET, ts - 301, &body)),
            &body,
        ),
        (
            "future",
            Some((ts + 301).to_string()),
            Some(sign(TOPUP_SECRET, ts + 301, &body)),
            &body,
        ),
    ];
    for (what, t, s, b) in cases {
        let e = app
            .client
            .topup_raw(b, t.as_deref(), s.as_deref())
            .await
            .unwrap_err();
        assert_eq!(code(&e), (401, "topup_signature_invalid"), "{what}");
        assert!(
            !e.to_string().contains(TOPUP_SECRET),
            "{what}: the secret leaks"
        );
    }
    // A signed but invalid body is a 422; a signed notice for nobody a 404.
    let bad = br#"{"order_id":"","user_id":"1","coins":-5}"#;
    let e = post(&app, bad, ts, &sign(TOPUP_SECRET, ts, bad))
        .await
        .unwrap_err();
    assert_eq!(code(&e).0, 422);
    let nobody = serde_json::to_vec(&notice("order-y", UserId(42), 1)).unwrap();
    let e = post(&app, &nobody, ts, &sign(TOPUP_SECRET, ts, &nobody))
        .await
        .unwrap_err();
    assert_eq!(code(&e).0, 404);
    assert_eq!(u.client.wallet().await.unwrap().coins, 0);
    // Within the tolerance it is accepted.
    let t = ts - 299;
    let out = post(&app, &body, t, &sign(TOPUP_SECRET, t, &body))
        .await
        .unwrap();
    assert!(out.credited);
    assert_balanced(&admin).await;
}

async fn a_node_without_a_secret_refuses_top_ups(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.gifts.topup_secret = confab::config::Secret::default();
    })
    .await;
    let u = app.user("payer").await;
    let body = serde_json::to_vec(&notice("order-z", u.id(), 100)).unwrap();
    let ts = app.clock.now().timestamp();
    let e = post(&app, &body, ts, &sign(TOPUP_SECRET, ts, &body))
        .await
        .unwrap_err();
    assert_eq!(code(&e), (503, "topups_unavailable"));
    assert_eq!(u.client.wallet().await.unwrap().coins, 0);
}
