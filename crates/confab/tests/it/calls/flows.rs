//! 1:1 calls end to end through the SDK: ring every device, answer on one (the others stop
//! ringing), relay SDP and ICE between the two devices only, hang up, and find the record in
//! the chat; decline, cancel, the ring timeout, busy, `in_call`, who may not ring, and a
//! dropped device ending the call after the grace (or not, when it comes back).

use confab_proto::calls::{CallMedia, CallOutcome, CallState};
use serde_json::json;

use super::*;

backend_tests! {
    async fn two_clients_ring_answer_signal_and_hang_up(app) {
        let (alice, bob) = friends(&app).await;
        let carol = app.user("carol").await;
        let mut a1 = alice.client.ws().await.unwrap();
        let mut b1 = bob.client.ws().await.unwrap();
        let bob2 = device(&app, &bob).await;
        let mut b2 = bob2.ws().await.unwrap();
        let mut c1 = carol.client.ws().await.unwrap();

        let call = alice.client.invite_call(bob.id(), CallMedia::Video).await.unwrap();
        assert_eq!((call.state, call.media), (CallState::Ringing, CallMedia::Video));
        // Every device of the callee rings.
        for ws in [&mut b1, &mut b2] {
            let r = call_event(ws, "call.ringing", call.id).await;
            assert_eq!((r.call.caller_id, r.call.callee_id), (alice.id(), Some(bob.id())));
        }

        // Bob answers on his first device: Alice hears of it, his other device stops ringing,
        // and a second answer is refused.
        let answered = bob.client.accept_call(call.id).await.unwrap();
        assert_eq!(answered.state, CallState::Active);
        let acc = call_event(&mut a1, "call.accepted", call.id).await;
        assert_eq!(acc.session_id, Some(session_of(&b1)));
        let elsewhere = call_event(&mut b2, "call.answered_elsewhere", call.id).await;
        assert_eq!(elsewhere.session_id, Some(session_of(&b1)));
        assert_eq!(code(&bob2.accept_call(call.id).await.unwrap_err()), (409, "call_over"));

        // SDP and ICE go between the two devices in the call, both ways.
        let offer = json!({"type": "offer", "sdp": "v=0 o=alice"});
        a1.call_signal(call.id, offer.clone(), Some("s1")).await.unwrap();
        let ack = a1.expect_event("ack", WAIT).await.unwrap();
        assert_eq!(ack.id.as_deref(), Some("s1"));
        let got = b1.expect_event("call.signal", WAIT).await.unwrap();
        assert_eq!(got.data["payload"], offer);
        assert_eq!(got.data["from_user_id"], alice.id().to_string());
        let ice = json!({"candidate": "candidate:1 1 udp 2122260223 10.0.0.2 53421 typ host", "sdpMid": "0"});
        b1.call_signal(call.id, ice.clone(), Some("s2")).await.unwrap();
        let got = a1.expect_event("call.signal", WAIT).await.unwrap();
        assert_eq!(got.data["payload"], ice);
        // Bob's other device and a stranger may not signal in this call.
        b2.call_signal(call.id, json!({"x": 1}), Some("s3")).await.unwrap();
        let err = b2.expect_event("error", WAIT).await.unwrap();
        assert_eq!((err.id.as_deref(), err.error_code()), (Some("s3"), Some("not_in_call")));
        c1.call_signal(call.id, json!({"x": 1}), Some("s4")).await.unwrap();
        let err = c1.expect_event("error", WAIT).await.unwrap();
        assert_eq!(err.error_code(), Some("not_found"));
        // Too large a payload is refused.
        let big = json!({"sdp": "a".repeat(17 * 1024)});
        a1.call_signal(call.id, big, Some("s5")).await.unwrap();
        let err = a1.expect_event("error", WAIT).await.unwrap();
        assert_eq!(err.error_code(), Some("validation_failed"));

        // 65 s later Alice hangs up: both sides get `call.ended`, and the chat has the record.
        app.clock.advance(chrono::Duration::seconds(65));
        let ended = alice.client.hang_up_call(call.id).await.unwrap();
        assert_eq!((ended.outcome, ended.duration_secs), (Some(CallOutcome::Answered), Some(65)));
        let seen_b2 = until_ended(&mut b2, call.id).await;
        assert!(
            seen_b2.iter().all(|e| e.kind != "call.signal"),
            "signalling reached a device outside the call: {seen_b2:?}"
        );
        until_ended(&mut b1, call.id).await;
        // The stranger saw nothing of the call (her own pong comes after all of it).
        c1.send_command(&confab_proto::ws::ClientCommand::Ping, Some("p")).await.unwrap();
        for _ in 0..20 {
            let ev = c1.next_event_within(WAIT).await.unwrap();
            assert!(!ev.kind.starts_with("call."), "a stranger got {ev:?}");
            if ev.kind == "pong" {
                break;
            }
        }
        let conv = call.conversation_id;
        let recs = records_of(&bob.client, conv, call.id).await;
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].sender_id, alice.id());
        assert_eq!(recs[0].body["outcome"], "answered");
        assert_eq!(recs[0].body["media"], "video");
        assert_eq!(recs[0].body["duration_secs"], 65);
        // Counted as unread like any message: for Bob, not for Alice (the sender).
        assert_eq!(bob.client.conversation(conv).await.unwrap().unread, 1);
        assert_eq!(alice.client.conversation(conv).await.unwrap().unread, 0);
        // Over is over.
        assert_eq!(code(&bob.client.hang_up_call(call.id).await.unwrap_err()), (409, "call_over"));
    }

    async fn decline_cancel_and_no_answer_each_leave_one_record(app) {
        let (alice, bob) = friends(&app).await;
        let mut a1 = alice.client.ws().await.unwrap();
        let mut b1 = bob.client.ws().await.unwrap();

        let c = alice.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap();
        call_event(&mut b1, "call.ringing", c.id).await;
        let d = bob.client.decline_call(c.id).await.unwrap();
        assert_eq!(d.outcome, Some(CallOutcome::Declined));
        let ev = call_event(&mut a1, "call.ended", c.id).await;
        assert_eq!(ev.call.outcome, Some(CallOutcome::Declined));
        assert_eq!(code(&bob.client.accept_call(c.id).await.unwrap_err()), (409, "call_over"));

        let c2 = alice.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap();
        // Only the callee declines, only the caller cancels.
        assert_eq!(code(&alice.client.decline_call(c2.id).await.unwrap_err()), (403, "not_in_call"));
        assert_eq!(code(&bob.client.cancel_call(c2.id).await.unwrap_err()), (403, "not_in_call"));
        alice.client.cancel_call(c2.id).await.unwrap();
        let ev = call_event(&mut b1, "call.ended", c2.id).await;
        assert_eq!(ev.call.outcome, Some(CallOutcome::Cancelled));

        // Nobody answers: after the ring timeout (45 s) the call is missed, on read and for
        // every device.
        let c3 = alice.client.invite_call(bob.id(), CallMedia::Video).await.unwrap();
        app.clock.advance(chrono::Duration::seconds(44));
        assert_eq!(bob.client.get_call(c3.id).await.unwrap().state, CallState::Ringing);
        app.clock.advance(chrono::Duration::seconds(2));
        let got = bob.client.get_call(c3.id).await.unwrap();
        assert_eq!((got.state, got.outcome), (CallState::Ended, Some(CallOutcome::Missed)));
        let ev = call_event(&mut b1, "call.ended", c3.id).await;
        assert_eq!(ev.call.outcome, Some(CallOutcome::Missed));
        assert_eq!(code(&bob.client.accept_call(c3.id).await.unwrap_err()), (409, "call_over"));

        let outcomes: Vec<_> = records(&alice.client, c.conversation_id)
            .await
            .iter()
            .map(|m| m.body["outcome"].as_str().unwrap_or_default().to_owned())
            .collect();
        assert_eq!(outcomes, ["declined", "cancelled", "missed"]);
        assert_eq!(bob.client.conversation(c.conversation_id).await.unwrap().unread, 3);
    }

    async fn a_user_in_a_call_is_busy_and_cannot_place_another(app) {
        let (alice, bob) = friends(&app).await;
        let carol = app.user("carol").await;
        app.befriend(&carol, &bob).await;
        app.befriend(&carol, &alice).await;
        let mut c1 = carol.client.ws().await.unwrap();
        let mut b1 = bob.client.ws().await.unwrap();

        let first = alice.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap();
        call_event(&mut b1, "call.ringing", first.id).await;
        // Bob is in a call (ringing): Carol's call to him is busy at once, with a record.
        let busy = carol.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap();
        assert_eq!((busy.state, busy.outcome), (CallState::Ended, Some(CallOutcome::Busy)));
        let ev = call_event(&mut c1, "call.ended", busy.id).await;
        assert_eq!(ev.call.outcome, Some(CallOutcome::Busy));
        let recs = records_of(&bob.client, busy.conversation_id, busy.id).await;
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].body["outcome"], "busy");
        // Neither party of a live call may place another.
        for (who, to) in [(&alice, &carol), (&bob, &carol)] {
            let e = who.client.invite_call(to.id(), CallMedia::Audio).await.unwrap_err();
            assert_eq!(code(&e), (409, "in_call"));
        }
        // Once it ends, the lines are free.
        bob.client.accept_call(first.id).await.unwrap();
        bob.client.hang_up_call(first.id).await.unwrap();
        let again = carol.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap();
        assert_eq!(again.state, CallState::Ringing);
    }

    async fn only_those_who_may_message_may_ring(app) {
        let (alice, bob) = friends(&app).await;
        let stranger = app.user("stranger").await;
        // The friends policy: a stranger may not ring.
        let e = stranger.client.invite_call(alice.id(), CallMedia::Audio).await.unwrap_err();
        assert_eq!(code(&e), (403, "not_friends"));
        // Blocks, either way.
        bob.client.block(alice.id()).await.unwrap();
        let e = alice.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap_err();
        assert_eq!(code(&e).0, 403, "{e}");
        let e = bob.client.invite_call(alice.id(), CallMedia::Audio).await.unwrap_err();
        assert_eq!(code(&e).0, 403, "{e}");
        // Nor oneself.
        let e = alice.client.invite_call(alice.id(), CallMedia::Audio).await.unwrap_err();
        assert_eq!(code(&e), (422, "cannot_target_self"));
        // None of it left a line taken.
        let carol = app.user("carol").await;
        app.befriend(&alice, &carol).await;
        assert_eq!(
            alice.client.invite_call(carol.id(), CallMedia::Audio).await.unwrap().state,
            CallState::Ringing
        );
    }

    async fn a_dropped_device_ends_the_call_after_the_grace_unless_it_returns(app) {
        let (alice, bob) = friends(&app).await;
        let mut a1 = alice.client.ws().await.unwrap();
        let b1 = bob.client.ws().await.unwrap();
        let bob_session = session_of(&b1);
        let call = alice.client.invite_call(bob.id(), CallMedia::Audio).await.unwrap();
        bob.client.accept_call(call.id).await.unwrap();

        // Bob's device drops and comes back within the grace: the call goes on.
        b1.close().await.unwrap();
        gone(&app, bob_session).await;
        let b1 = bob.client.ws().await.unwrap();
        app.clock.advance(chrono::Duration::seconds(60));
        confab::calls::presence::sweep(&app.state).await;
        assert_eq!(alice.client.get_call(call.id).await.unwrap().state, CallState::Active);

        // It drops for good: past the grace (20 s) the call ends, answered, by Bob.
        b1.close().await.unwrap();
        gone(&app, bob_session).await;
        let mut ended = None;
        for _ in 0..50 {
            app.clock.advance(chrono::Duration::seconds(21));
            confab::calls::presence::sweep(&app.state).await;
            let c = alice.client.get_call(call.id).await.unwrap();
            if c.state == CallState::Ended {
                ended = Some(c);
                break;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let ended = ended.expect("the call ends once the grace is over");
        assert_eq!(ended.outcome, Some(CallOutcome::Answered));
        let ev = call_event(&mut a1, "call.ended", call.id).await;
        assert_eq!(ev.call.outcome, Some(CallOutcome::Answered));
        assert_eq!(records_of(&alice.client, call.conversation_id, call.id).await.len(), 1);
    }
}

/// Waits until no socket of `session` is open on `app`'s node.
async fn gone(app: &TestApp, session: SessionId) {
    eventually(WAIT, "the socket to close", || async {
        (app.state.push.registry.connections_of_session(session) == 0).then_some(())
    })
    .await;
}
