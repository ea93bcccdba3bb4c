//! Two nodes on one MariaDB and one Redis: the caller on node A, the callee with one device
//! on each node. Ringing reaches both devices, the answer on node B reaches the caller on A
//! and stops the device on A ringing, signalling crosses nodes to the answering device only,
//! and the hang-up on B ends the call everywhere with one record. Cluster only.

use confab_proto::calls::{CallMedia, CallOutcome, CallState};
use serde_json::json;

use super::*;

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_call_crosses_two_nodes() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let (alice, bob) = friends(&a).await;
    // Alice on A; Bob's first device on B, his second on A.
    let bob_on_b = b.client.with_token(bob.tokens.access_token.clone());
    let bob_on_a = device(&a, &bob).await;
    let mut alice_ws = alice.client.ws().await.unwrap();
    let mut bob_b = bob_on_b.ws().await.unwrap();
    let mut bob_a = bob_on_a.ws().await.unwrap();

    let call = alice
        .client
        .invite_call(bob.id(), CallMedia::Video)
        .await
        .unwrap();
    call_event(&mut bob_b, "call.ringing", call.id).await;
    call_event(&mut bob_a, "call.ringing", call.id).await;

    let answered = bob_on_b.accept_call(call.id).await.unwrap();
    assert_eq!(answered.state, CallState::Active);
    let acc = call_event(&mut alice_ws, "call.accepted", call.id).await;
    assert_eq!(acc.session_id, Some(session_of(&bob_b)));
    call_event(&mut bob_a, "call.answered_elsewhere", call.id).await;
    // The other node's device cannot answer too.
    let e = bob_on_a.accept_call(call.id).await.unwrap_err();
    assert_eq!(code(&e), (409, "call_over"));

    // Signalling from A reaches the answering device on B, and back.
    let offer = json!({"type": "offer", "sdp": "v=0 cross-node"});
    alice_ws
        .call_signal(call.id, offer.clone(), Some("o"))
        .await
        .unwrap();
    let got = bob_b.expect_event("call.signal", WAIT).await.unwrap();
    assert_eq!(got.data["payload"], offer);
    let answer = json!({"type": "answer", "sdp": "v=0 from B"});
    bob_b
        .call_signal(call.id, answer.clone(), Some("a"))
        .await
        .unwrap();
    let got = alice_ws.expect_event("call.signal", WAIT).await.unwrap();
    assert_eq!(got.data["payload"], answer);

    a.clock.advance(chrono::Duration::seconds(30));
    b.clock.advance(chrono::Duration::seconds(30));
    let ended = bob_on_b.hang_up_call(call.id).await.unwrap();
    assert_eq!(ended.outcome, Some(CallOutcome::Answered));
    call_event(&mut alice_ws, "call.ended", call.id).await;
    // Bob's device on A never saw the signalling.
    let seen = until_ended(&mut bob_a, call.id).await;
    assert!(seen.iter().all(|e| e.kind != "call.signal"), "{seen:?}");
    let recs = records_of(&alice.client, call.conversation_id, call.id).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].body["outcome"], "answered");
    assert_eq!(recs[0].body["duration_secs"], 30);
}
