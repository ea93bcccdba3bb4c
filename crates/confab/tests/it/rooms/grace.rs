//! Presence over time: a dropped connection keeps its place and seat for `rooms.grace_secs`
//! (here 2 s, on the test clock), a reconnect within it keeps both, and after it the user
//! leaves (`disconnected`); a user who enters with no socket at all is away from the start.
//! And one room at a time: entering another room leaves the first.

use confab_client::{Event, WsConnection};
use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{RoomMemberOut, RoomOut, SeatAction, SeatActionIn, SeatMode, SeatsOut};

use super::*;

const GRACE_SECS: u64 = 2;

async fn app_with_grace(backend: Backend) -> TestApp {
    TestApp::spawn_with(backend, |c| c.rooms.grace_secs = GRACE_SECS).await
}

/// Moves the test clock past the grace.
fn past_the_grace(app: &TestApp) {
    app.clock
        .advance(chrono::Duration::seconds(GRACE_SECS as i64 + 1));
}

/// `u` as the room's member list shows them (`None`: not in it).
async fn member(viewer: &TestUser, room: RoomId, u: UserId) -> Option<RoomMemberOut> {
    viewer
        .client
        .room_members(room, None, Some(100))
        .await
        .unwrap()
        .members
        .into_iter()
        .find(|m| m.user_id == u)
}

/// Frames on `ws` up to and including the `room.member_left` for `u` (at most 50 frames).
async fn until_left(ws: &mut WsConnection, u: UserId) -> Vec<Event> {
    let mut seen = Vec::new();
    for _ in 0..50 {
        let ev = ws.next_event_within(WAIT).await.unwrap();
        let done = ev.kind == "room.member_left" && ev.data["user_id"] == u.to_string();
        seen.push(ev);
        if done {
            return seen;
        }
    }
    panic!("no room.member_left for {u} in 50 frames: {seen:?}");
}

/// Checks the frames `until_left` collected: the last is `u` leaving for `reason`, and a
/// `room.seats` of `change` before it shows `u` on no seat.
fn assert_left(seen: &[Event], u: UserId, reason: &str, change: &str) {
    let left = seen.last().unwrap();
    assert_eq!(left.data["reason"], reason, "{left:?}");
    let seats = seen
        .iter()
        .rev()
        .find(|e| e.kind == "room.seats")
        .unwrap_or_else(|| panic!("a room.seats before the departure: {seen:?}"));
    assert_eq!(seats.data["change"], change, "{seats:?}");
    let s: SeatsOut = seats.decode().unwrap();
    assert_invariants(&s);
    assert!(s.seats.iter().all(|x| x.user_id != Some(u)), "{s:?}");
}

async fn seated_room(owner: &TestUser, name: &str) -> RoomOut {
    room(owner, name, 4, SeatMode::Free).await
}

async fn take(u: &TestUser, r: &RoomOut, p: u32) {
    let s = u
        .client
        .seat_action(r.id, p, SeatAction::Take, &SeatActionIn::default())
        .await
        .unwrap();
    assert_eq!(s.seats[p as usize - 1].user_id, Some(u.id()));
}

/// Waits until the member list shows `u` away, checking on the way that they keep their
/// place and seat.
async fn wait_away(owner: &TestUser, r: &RoomOut, u: &TestUser, seat: Option<u32>) {
    eventually(WAIT, "the member to be marked away", || async {
        let m = member(owner, r.id, u.id())
            .await
            .expect("still in the room while the grace runs");
        assert_eq!(m.seat, seat, "keeps the seat while the grace runs");
        m.away.then_some(())
    })
    .await;
}

/// `backend_tests!` for nodes started with the short grace.
macro_rules! grace_tests {
    ($(async fn $name:ident($app:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $app = app_with_grace(Backend::Sqlite).await;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some(backend) = Backend::cluster() else { return };
                let $app = app_with_grace(backend).await;
                $body
            }
        }
    )*};
}

grace_tests! {
    async fn a_dropped_connection_leaves_after_the_grace(app) {
        let owner = app.user("owner").await;
        let u = app.user("dropper").await;
        let r = seated_room(&owner, "Grace").await;
        let mut ows = enter(&owner, &r).await;
        let uws = enter(&u, &r).await;
        take(&u, &r, 2).await;

        uws.close().await.unwrap();
        wait_away(&owner, &r, &u, Some(2)).await;
        // Right after the drop they are still in the room and on the seat.
        let mine = u.client.my_room().await.unwrap().expect("still in the room");
        assert_eq!(mine.room.id, r.id);
        assert_eq!(mine.seats.seats[1].user_id, Some(u.id()));

        past_the_grace(&app);
        eventually(WAIT, "the sweep to take them out", || async {
            member(&owner, r.id, u.id()).await.is_none().then_some(())
        })
        .await;
        assert!(u.client.my_room().await.unwrap().is_none());
        let s = owner.client.seats(r.id).await.unwrap();
        assert_invariants(&s);
        assert_eq!(s.seats[1].user_id, None, "the seat is free: {s:?}");
        let seen = until_left(&mut ows, u.id()).await;
        assert_left(&seen, u.id(), "disconnected", "disconnect");
        let members = owner.client.room_members(r.id, None, None).await.unwrap();
        assert_eq!(members.audience as usize, members.members.len());
    }

    async fn a_reconnect_within_the_grace_keeps_room_and_seat(app) {
        let owner = app.user("owner").await;
        let u = app.user("flaky").await;
        let r = seated_room(&owner, "Grace kept").await;
        let _ows = enter(&owner, &r).await;
        let uws = enter(&u, &r).await;
        take(&u, &r, 3).await;

        uws.close().await.unwrap();
        wait_away(&owner, &r, &u, Some(3)).await;
        let _back = u.client.ws().await.unwrap();
        eventually(WAIT, "the reconnect to clear the away mark", || async {
            let m = member(&owner, r.id, u.id()).await.expect("in the room");
            (!m.away).then_some(())
        })
        .await;

        past_the_grace(&app);
        // One sweep certainly after the clock moved (the node's own sweeper runs too).
        confab::rooms::presence::sweep(&app.state).await;
        let m = member(&owner, r.id, u.id()).await.expect("kept their place");
        assert_eq!((m.seat, m.away), (Some(3), false));
        let s = owner.client.seats(r.id).await.unwrap();
        assert_eq!(s.seats[2].user_id, Some(u.id()));
        assert_eq!(u.client.my_room().await.unwrap().map(|j| j.room.id), Some(r.id));
    }

    async fn entering_without_a_socket_is_away_from_the_start(app) {
        let owner = app.user("owner").await;
        let u = app.user("httponly").await;
        let r = seated_room(&owner, "No socket").await;
        let mut ows = enter(&owner, &r).await;

        u.client.join_room(r.id, None).await.unwrap();
        let m = member(&owner, r.id, u.id()).await.expect("in the room");
        assert!(m.away, "no socket: away at once");
        // Entering again (still without a socket) does not clear the mark.
        u.client.join_room(r.id, None).await.unwrap();
        let m = member(&owner, r.id, u.id()).await.expect("in the room");
        assert!(m.away, "entering again without a socket keeps them away");
        take(&u, &r, 1).await;

        past_the_grace(&app);
        eventually(WAIT, "the sweep to take them out", || async {
            member(&owner, r.id, u.id()).await.is_none().then_some(())
        })
        .await;
        let s = owner.client.seats(r.id).await.unwrap();
        assert_eq!(s.seats[0].user_id, None);
        let seen = until_left(&mut ows, u.id()).await;
        assert_left(&seen, u.id(), "disconnected", "disconnect");
    }
}

backend_tests! {
    async fn entering_another_room_leaves_the_first(app) {
        let oa = app.user("owner_a").await;
        let ob = app.user("owner_b").await;
        let u = app.user("hopper").await;
        let a = seated_room(&oa, "Room A").await;
        let b = seated_room(&ob, "Room B").await;
        let mut oaws = enter(&oa, &a).await;
        let _obws = enter(&ob, &b).await;
        let mut uws = enter(&u, &a).await;
        take(&u, &a, 1).await;

        let joined = u.client.join_room(b.id, None).await.unwrap();
        assert_eq!(joined.room.id, b.id);
        let seen = until_left(&mut oaws, u.id()).await;
        assert_left(&seen, u.id(), "left", "depart");
        // The leaver hears of it too.
        let seen = until_left(&mut uws, u.id()).await;
        assert_eq!(seen.last().unwrap().data["room_id"], a.id.to_string());

        let s = oa.client.seats(a.id).await.unwrap();
        assert_eq!(s.seats[0].user_id, None, "the seat in A is free: {s:?}");
        assert!(member(&oa, a.id, u.id()).await.is_none());
        assert!(member(&ob, b.id, u.id()).await.is_some());
        assert_eq!(u.client.my_room().await.unwrap().map(|j| j.room.id), Some(b.id));
        assert_eq!(oa.client.room(a.id).await.unwrap().audience, 1);
        assert_eq!(ob.client.room(b.id).await.unwrap().audience, 2);
    }
}
