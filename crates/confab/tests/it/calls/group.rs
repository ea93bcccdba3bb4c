//! Group calls in a group's chat: start, join, leave, end (by the starter or a manager, not
//! by anyone else), SFU tokens for participants only (checked with LiveKit's own verifier
//! when `CONFAB_TEST_LIVEKIT` is set), and one record when the call ends.

use confab_proto::calls::{CallMedia, CallOutcome, CallState};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};

use super::*;
use crate::groups::{join, open_group};
use crate::livekit::{KEY, livekit_sdk_wanted, livekit_verify, secret};

fn claims(token: &str) -> serde_json::Value {
    let mut v = Validation::new(Algorithm::HS256);
    v.validate_exp = false;
    v.validate_nbf = false;
    v.set_required_spec_claims(&["exp", "nbf", "iss"]);
    jsonwebtoken::decode::<serde_json::Value>(
        token,
        &DecodingKey::from_secret(secret().as_bytes()),
        &v,
    )
    .unwrap()
    .claims
}

async fn group_calls(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.media.livekit_api_key = KEY.into();
        c.media.livekit_api_secret = confab::config::Secret::new(secret());
    })
    .await;
    let owner = app.user("owner").await;
    let bob = app.user("bob").await;
    let carol = app.user("carol").await;
    let dave = app.user("dave").await;
    let stranger = app.user("stranger").await;
    let g = open_group(&owner, "Call group").await;
    for u in [&bob, &carol, &dave] {
        join(u, &g).await;
    }
    let conv = g.conversation_id;
    let mut ows = owner.client.ws().await.unwrap();
    let mut cws = carol.client.ws().await.unwrap();

    let call = bob
        .client
        .start_group_call(conv, CallMedia::Video)
        .await
        .unwrap();
    assert_eq!(
        (call.state, call.participants.clone()),
        (CallState::Active, vec![bob.id()])
    );
    call_event(&mut ows, "call.started", call.id).await;
    call_event(&mut cws, "call.started", call.id).await;
    // One group call per conversation.
    let e = dave
        .client
        .start_group_call(conv, CallMedia::Audio)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (409, "call_in_progress"));

    let joined = carol.client.join_call(call.id).await.unwrap();
    assert_eq!(joined.participants, vec![bob.id(), carol.id()]);
    let ev = call_event(&mut ows, "call.participant_joined", call.id).await;
    assert_eq!(ev.user_id, Some(carol.id()));

    // Tokens for participants only, with the camera in a video call.
    let t = carol.client.call_token(call.id).await.unwrap();
    let c = claims(&t.token);
    assert_eq!(c["sub"], carol.id().to_string());
    assert_eq!(c["video"]["room"], format!("confab-call-{}", call.id));
    assert_eq!(c["video"]["canPublish"], true);
    assert_eq!(
        c["video"]["canPublishSources"],
        serde_json::json!(["microphone", "camera"])
    );
    if livekit_sdk_wanted() {
        let verified = livekit_verify(KEY, &secret(), &t.token).unwrap();
        assert_eq!(verified["identity"], carol.id().to_string(), "{verified}");
    }
    let e = dave.client.call_token(call.id).await.unwrap_err();
    assert_eq!(code(&e), (403, "not_in_call"));
    // Strangers see nothing; a plain member may not end someone else's call.
    let e = stranger.client.get_call(call.id).await.unwrap_err();
    assert_eq!(code(&e).0, 404);
    let e = stranger.client.join_call(call.id).await.unwrap_err();
    assert_eq!(code(&e).0, 404);
    let e = dave.client.end_call(call.id).await.unwrap_err();
    assert_eq!(code(&e), (403, "not_in_call"));

    carol.client.leave_call(call.id).await.unwrap();
    let ev = call_event(&mut ows, "call.participant_left", call.id).await;
    assert_eq!(ev.user_id, Some(carol.id()));
    // The group's owner ends it for everyone: one record, answered (two took part).
    let ended = owner.client.end_call(call.id).await.unwrap();
    assert_eq!(ended.outcome, Some(CallOutcome::Answered));
    let ev = call_event(&mut cws, "call.ended", call.id).await;
    assert_eq!(ev.call.outcome, Some(CallOutcome::Answered));
    let recs = records_of(&owner.client, conv, call.id).await;
    assert_eq!(recs.len(), 1);
    assert_eq!(recs[0].body["participants"], 2);
    assert_eq!(recs[0].sender_id, bob.id());
    let e = carol.client.join_call(call.id).await.unwrap_err();
    assert_eq!(code(&e), (409, "call_over"));

    // A call nobody joins ends `missed` when its starter leaves.
    let lonely = dave
        .client
        .start_group_call(conv, CallMedia::Audio)
        .await
        .unwrap();
    dave.client.leave_call(lonely.id).await.unwrap();
    let got = dave.client.get_call(lonely.id).await.unwrap();
    assert_eq!(
        (got.state, got.outcome),
        (CallState::Ended, Some(CallOutcome::Missed))
    );
    assert_eq!(records_of(&owner.client, conv, lonely.id).await.len(), 1);

    // Direct chats take 1:1 calls, not group calls.
    app.befriend(&bob, &carol).await;
    let direct = bob.client.open_direct(carol.id()).await.unwrap();
    let e = bob
        .client
        .start_group_call(direct.id, CallMedia::Audio)
        .await
        .unwrap_err();
    assert_eq!(code(&e), (422, "validation_failed"));
}

backend_tests! {
    async fn a_voice_rooms_audience_can_hold_a_group_call(app) {
        let owner = app.user("host").await;
        let guest = app.user("guest").await;
        let outsider = app.user("outsider").await;
        let r = crate::rooms::room(&owner, "Call room", 4, confab_proto::rooms::SeatMode::Free).await;
        owner.client.join_room(r.id, None).await.unwrap();
        guest.client.join_room(r.id, None).await.unwrap();
        let call = owner.client.start_group_call(r.conversation_id, CallMedia::Audio).await.unwrap();
        let joined = guest.client.join_call(call.id).await.unwrap();
        assert_eq!(joined.participants, vec![owner.id(), guest.id()]);
        // Not in the room, not in its call.
        let e = outsider.client.join_call(call.id).await.unwrap_err();
        assert_eq!(code(&e).0, 404);
        owner.client.end_call(call.id).await.unwrap();
        let recs = records_of(&guest.client, r.conversation_id, call.id).await;
        assert_eq!(recs.len(), 1);
        assert_eq!(recs[0].body["outcome"], "answered");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_calls_sqlite() {
    group_calls(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_calls_mysql_redis() {
    if let Some(b) = Backend::cluster() {
        group_calls(b).await;
    }
}
