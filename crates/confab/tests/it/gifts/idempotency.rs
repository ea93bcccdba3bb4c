//! A client key charges once: a retry answers the original send, on either node, even when
//! the retries race; the same key with other content is a 409.

use super::*;

backend_fn_tests! {
    a_retry_answers_the_first_send_and_charges_nothing,
    the_same_key_with_other_content_is_refused,
}

async fn a_retry_answers_the_first_send_and_charges_nothing(backend: Backend) {
    let app = node(backend.clone()).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("ia").await, app.user("ib").await);
    let conv = chat(&app, &a, &b).await;
    let g = gift(&admin, "drum", 7).await;
    credit(&admin, a.id(), 100).await;
    let input = in_chat("same", &g, 2, b.id(), conv);
    let first = send(&a, &input).await;
    let again = send(&a, &input).await;
    assert!(again.replayed);
    assert_eq!(again.send.id, first.send.id);
    assert_eq!(again.send.seq, first.send.seq);
    assert_eq!(again.wallet.coins, 86);
    // Twenty racing retries of a fresh key: one charge, one message, one answer id.
    let input = in_chat("race", &g, 1, b.id(), conv);
    let tasks: Vec<_> = (0..20)
        .map(|_| {
            let c = a.client.clone();
            let input = input.clone();
            tokio::spawn(async move { c.send_gift(&input).await })
        })
        .collect();
    let mut ids = std::collections::HashSet::new();
    let mut fresh = 0;
    for t in tasks {
        let out = t.await.unwrap().unwrap();
        ids.insert(out.send.id);
        fresh += usize::from(!out.replayed);
    }
    assert_eq!((ids.len(), fresh), (1, 1));
    assert_eq!(a.client.wallet().await.unwrap().coins, 79);
    let page = b
        .client
        .history(conv, None, Some(0), Some(50))
        .await
        .unwrap();
    assert_eq!(page.messages.iter().filter(|m| m.kind == "gift").count(), 2);
    assert_eq!(b.client.wallet().await.unwrap().diamonds, 9 + 4);
    assert_balanced(&admin).await;

    // On two nodes: a retry through the other node charges nothing either.
    let Some(peer) = (match backend {
        Backend::Sqlite => None,
        _ => Some(app.spawn_peer().await),
    }) else {
        return;
    };
    let a2 = peer.client.signed_in(&a.tokens);
    let input = in_chat("two-nodes", &g, 1, b.id(), conv);
    let here = a.client.send_gift(&input);
    let there = a2.send_gift(&input);
    let (here, there) = tokio::join!(here, there);
    let (here, there) = (here.unwrap(), there.unwrap());
    assert_eq!(here.send.id, there.send.id);
    assert!(here.replayed != there.replayed, "exactly one first answer");
    assert_eq!(a2.wallet().await.unwrap().coins, 72);
}

async fn the_same_key_with_other_content_is_refused(backend: Backend) {
    let app = node(backend).await;
    let admin = app.admin("gadmin").await;
    let (a, b) = (app.user("ka").await, app.user("kb").await);
    let conv = chat(&app, &a, &b).await;
    let g = gift(&admin, "lamp", 3).await;
    let h = gift(&admin, "kite", 3).await;
    credit(&admin, a.id(), 100).await;
    send(&a, &in_chat("k", &g, 1, b.id(), conv)).await;
    for other in [
        in_chat("k", &g, 2, b.id(), conv),
        in_chat("k", &h, 1, b.id(), conv),
    ] {
        let e = a.client.send_gift(&other).await.unwrap_err();
        assert_eq!(code(&e), (409, "key_reused"), "{other:?}");
    }
    let mut with_message = in_chat("k", &g, 1, b.id(), conv);
    with_message.message = Some("different".into());
    let e = a.client.send_gift(&with_message).await.unwrap_err();
    assert_eq!(code(&e), (409, "key_reused"));
    // Another user may use the same key: keys are per sender.
    credit(&admin, b.id(), 10).await;
    let back = send(&b, &in_chat("k", &g, 1, a.id(), conv)).await;
    assert!(!back.replayed);
    assert_eq!(a.client.wallet().await.unwrap().coins, 97);
    assert_balanced(&admin).await;
}
