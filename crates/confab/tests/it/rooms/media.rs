//! Who may speak, end to end through the HTTP API: media tokens (`POST
//! /rooms/{id}/media-token`) grant the microphone only to the holder of an unmuted, unlocked
//! seat, and every way of losing that right reaches LiveKit's RoomService (a loopback
//! recorder, `crate::livekit`) as the matching call for that identity and `confab-room-<id>`.
//! With `CONFAB_TEST_LIVEKIT=1` LiveKit's own verifier reads the tokens too.

use confab_proto::ids::UserId;
use confab_proto::rooms::{MediaTokenOut, RoomKickIn, SeatAction, SeatActionIn, SeatMode};
use jsonwebtoken::{Algorithm, DecodingKey, Validation};
use serde_json::{Value, json};

use super::*;
use crate::livekit::{KEY, Received, Recorder, livekit_sdk_wanted, livekit_verify, secret};

/// The claims of a media token, after checking its signature (not its times: the tests move
/// the business clock).
fn claims(t: &MediaTokenOut) -> Value {
    let mut v = Validation::new(Algorithm::HS256);
    v.set_issuer(&[KEY]);
    v.validate_exp = false;
    v.validate_nbf = false;
    jsonwebtoken::decode::<Value>(&t.token, &DecodingKey::from_secret(secret().as_bytes()), &v)
        .expect("the media token verifies with the API secret")
        .claims
}

/// Checks a token's grant, and (when asked for) what LiveKit's verifier reads from it.
fn assert_grant(t: &MediaTokenOut, who: UserId, sfu_room: &str, can_publish: bool) {
    assert_eq!(t.sfu_room, sfu_room);
    assert_eq!(t.can_publish, can_publish);
    let c = claims(t);
    assert_eq!(c["sub"], who.to_string());
    let sources = if can_publish {
        json!(["microphone"])
    } else {
        json!([])
    };
    assert_eq!(
        c["video"],
        json!({"room": sfu_room, "roomJoin": true, "canSubscribe": true,
            "canPublish": can_publish, "canPublishData": true, "canPublishSources": sources}),
    );
    if livekit_sdk_wanted() {
        let lk = livekit_verify(KEY, &secret(), &t.token).expect("LiveKit accepts the token");
        assert_eq!(lk["identity"], who.to_string());
        assert_eq!(lk["video"]["room"], sfu_room);
        assert_eq!(lk["video"]["can_publish"], can_publish);
        assert_eq!(lk["video"]["can_publish_sources"], sources);
    }
}

/// A RoomService call as (method, body).
fn update(room: &str, who: UserId, can_publish: bool) -> (String, Value) {
    let sources = if can_publish {
        json!(["MICROPHONE"])
    } else {
        json!([])
    };
    (
        "UpdateParticipant".into(),
        json!({"room": room, "identity": who.to_string(), "permission": {
            "canSubscribe": true, "canPublish": can_publish, "canPublishData": true,
            "canPublishSources": sources}}),
    )
}

fn remove(room: &str, who: UserId) -> (String, Value) {
    (
        "RemoveParticipant".into(),
        json!({"room": room, "identity": who.to_string()}),
    )
}

/// Waits until the calls after the first `seen` number `want.len()`, and checks they are
/// exactly `want`, in order (the worker sends one call at a time, in the order made).
async fn expect_calls(lk: &Recorder, seen: &mut usize, want: &[(String, Value)], what: &str) {
    let n = *seen + want.len();
    let got: Vec<Received> = eventually(WAIT, what, || async {
        let got = lk.calls();
        (got.len() >= n).then_some(got)
    })
    .await;
    let new: Vec<(String, Value)> = got[*seen..]
        .iter()
        .map(|r| (r.method.clone(), r.body.clone()))
        .collect();
    assert_eq!(new, want, "{what}: the RoomService calls");
    *seen = n;
}

/// The room's people, seated or not, all with sockets (so the grace sweep leaves them be when
/// the clock moves).
async fn all_present(u: &TestUser, room: &RoomOut, n: usize) {
    eventually(WAIT, "everyone connected, nobody away", || async {
        let m = u.client.room_members(room.id, None, None).await.unwrap();
        (m.members.len() == n && m.members.iter().all(|x| !x.away)).then_some(())
    })
    .await;
}

async fn act(u: &TestUser, room: &RoomOut, position: u32, a: SeatAction) {
    u.client
        .seat_action(room.id, position, a, &SeatActionIn::default())
        .await
        .unwrap();
}

/// Every way of losing the right to speak, through the API, as RoomService calls.
async fn seats_drive_the_sfu(backend: Backend) {
    let lk = Recorder::start().await;
    let app = lk.node_on(backend).await;
    let owner = app.user("owner").await;
    let alice = app.user("alice").await;
    let bob = app.user("bob").await;
    let outsider = app.user("outsider").await;
    let r = room(&owner, "On air", 4, SeatMode::Free).await;
    let sfu_room = format!("confab-room-{}", r.id);
    let _ows = enter(&owner, &r).await;
    let _aws = enter(&alice, &r).await;
    let _bws = enter(&bob, &r).await;
    all_present(&owner, &r, 3).await;
    let mut seen = 0;

    // A listener may listen, not publish.
    let t = alice.client.media_token(r.id).await.unwrap();
    assert_eq!(t.url, lk.url);
    assert_grant(&t, alice.id(), &sfu_room, false);
    let e = outsider.client.media_token(r.id).await.unwrap_err();
    assert_eq!(code(&e), (403, "not_in_room"));

    // A seat gives the microphone: at the SFU at once, and in the next token.
    act(&alice, &r, 2, SeatAction::Take).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), true)],
        "take",
    )
    .await;
    let t = alice.client.media_token(r.id).await.unwrap();
    assert_grant(&t, alice.id(), &sfu_room, true);

    // Seat muted: revoked; the token says so. Unmuted: restored.
    act(&owner, &r, 2, SeatAction::Mute).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), false)],
        "mute",
    )
    .await;
    assert!(!alice.client.media_token(r.id).await.unwrap().can_publish);
    act(&owner, &r, 2, SeatAction::Unmute).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), true)],
        "unmute",
    )
    .await;
    assert!(alice.client.media_token(r.id).await.unwrap().can_publish);

    // Seat locked (she is off it).
    act(&owner, &r, 2, SeatAction::Lock).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), false)],
        "lock",
    )
    .await;
    assert!(!alice.client.media_token(r.id).await.unwrap().can_publish);
    act(&owner, &r, 2, SeatAction::Unlock).await;

    // Kicked from the seat.
    act(&alice, &r, 2, SeatAction::Take).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), true)],
        "retake",
    )
    .await;
    act(&owner, &r, 2, SeatAction::Kick).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), false)],
        "seat kick",
    )
    .await;

    // Leaving the seat.
    act(&alice, &r, 3, SeatAction::Take).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), true)],
        "take 3",
    )
    .await;
    alice.client.leave_seat(r.id).await.unwrap();
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), false)],
        "leave seat",
    )
    .await;

    // Kicked from the room: off the seat, then out of the SFU room; no token while banned.
    act(&alice, &r, 1, SeatAction::Take).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, alice.id(), true)],
        "take 1",
    )
    .await;
    let kick = RoomKickIn {
        user_id: alice.id(),
        reason: None,
        ban_secs: Some(120),
    };
    owner.client.kick_from_room(r.id, &kick).await.unwrap();
    expect_calls(
        &lk,
        &mut seen,
        &[
            update(&sfu_room, alice.id(), false),
            remove(&sfu_room, alice.id()),
        ],
        "room kick",
    )
    .await;
    let e = alice.client.media_token(r.id).await.unwrap_err();
    assert_eq!(code(&e), (403, "kicked_from_room"));
    app.clock.advance(chrono::Duration::seconds(119));
    let e = alice.client.media_token(r.id).await.unwrap_err();
    assert_eq!(code(&e), (403, "kicked_from_room"), "the ban still holds");
    app.clock.advance(chrono::Duration::seconds(2));
    // The ban is over, but she is not in the room until she enters again.
    let e = alice.client.media_token(r.id).await.unwrap_err();
    assert_eq!(code(&e), (403, "not_in_room"));
    alice.client.join_room(r.id, None).await.unwrap();
    let t = alice.client.media_token(r.id).await.unwrap();
    assert!(!t.can_publish);
    assert_eq!(t.sfu_room, sfu_room);

    // Closed: everyone in it is removed from the SFU room (the seated lose the seat first).
    act(&bob, &r, 4, SeatAction::Take).await;
    expect_calls(
        &lk,
        &mut seen,
        &[update(&sfu_room, bob.id(), true)],
        "bob takes 4",
    )
    .await;
    owner.client.close_room(r.id).await.unwrap();
    let got: Vec<Received> = eventually(WAIT, "the close's calls", || async {
        let got = lk.calls();
        let removed = got[seen..]
            .iter()
            .filter(|c| c.method == "RemoveParticipant")
            .count();
        (removed >= 3).then_some(got)
    })
    .await;
    let mut removed: Vec<String> = Vec::new();
    for c in &got[seen..] {
        assert_eq!(c.body["room"], sfu_room.as_str(), "{c:?}");
        match c.method.as_str() {
            "RemoveParticipant" => removed.push(c.body["identity"].as_str().unwrap().to_owned()),
            "UpdateParticipant" => {
                assert_eq!(
                    c.body,
                    update(&sfu_room, bob.id(), false).1,
                    "only bob was seated"
                );
            }
            other => panic!("unexpected RoomService call {other}"),
        }
    }
    removed.sort();
    let mut everyone: Vec<String> = [owner.id(), alice.id(), bob.id()]
        .iter()
        .map(ToString::to_string)
        .collect();
    everyone.sort();
    assert_eq!(
        removed, everyone,
        "RemoveParticipant for everyone in the room"
    );
    let e = alice.client.media_token(r.id).await.unwrap_err();
    assert_eq!(code(&e), (409, "room_closed"));
}

mod seats_drive_the_sfu {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        seats_drive_the_sfu(Backend::Sqlite).await;
    }

    #[cfg_attr(
        not(all(confab_mysql, confab_redis)),
        ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql_redis() {
        let Some(backend) = Backend::cluster() else {
            return;
        };
        seats_drive_the_sfu(backend).await;
    }
}

// A node without an API key issues no media tokens: `503 media_unavailable`; outside the
// room the answer is still about the caller.
backend_tests! {
    async fn without_a_key_media_is_unavailable(app) {
        let owner = app.user("owner").await;
        let r = room(&owner, "Silent", 2, SeatMode::Free).await;
        owner.client.join_room(r.id, None).await.unwrap();
        act(&owner, &r, 1, SeatAction::Take).await;
        let e = owner.client.media_token(r.id).await.unwrap_err();
        assert_eq!(code(&e), (503, "media_unavailable"));
        let other = app.user("other").await;
        let e = other.client.media_token(r.id).await.unwrap_err();
        assert_eq!(code(&e), (403, "not_in_room"));
    }
}
