//! Two nodes on one MariaDB and one Redis: seat changes and room chat cross nodes, the room
//! lock serializes takes made through different nodes, and a close on one node removes the
//! users whose sockets are on the other. Cluster only.

use confab_client::Client;
use confab_proto::ids::UserId;
use confab_proto::messaging::MessageOut;
use confab_proto::rooms::{RoomClosedData, SeatAction, SeatActionIn, SeatMode};

use super::*;

/// `u` talking to `node`.
fn on(node: &TestApp, u: &TestUser) -> Client {
    node.client.with_token(u.tokens.access_token.clone())
}

async fn take(
    c: &Client,
    room: confab_proto::ids::RoomId,
    p: u32,
) -> Result<SeatsOut, confab_client::ClientError> {
    c.seat_action(room, p, SeatAction::Take, &SeatActionIn::default())
        .await
}

fn holder(s: &SeatsOut, p: u32) -> Option<UserId> {
    s.seats[p as usize - 1].user_id
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rooms_work_across_two_nodes() {
    let Some(backend) = Backend::cluster() else {
        return;
    };
    let a = TestApp::spawn(backend).await;
    let b = a.spawn_peer().await;
    let owner = a.user("owner").await;
    let x = a.user("x").await;
    let y = a.user("y").await;
    let r = room(&owner, "Two nodes", 6, SeatMode::Free).await;
    // The owner and x are connected to node A, y to node B; each talks to its own node.
    let (oa, xa, yb) = (on(&a, &owner), on(&a, &x), on(&b, &y));
    let mut ows = oa.ws().await.unwrap();
    let mut xws = xa.ws().await.unwrap();
    let mut yws = yb.ws().await.unwrap();
    for c in [&oa, &xa, &yb] {
        c.join_room(r.id, None).await.unwrap();
    }

    // A seat change through node A reaches the socket on node B with its version …
    let s = take(&oa, r.id, 1).await.unwrap();
    let seen = seats_event_of(&mut yws, s.version).await;
    assert_eq!(holder(&seen, 1), Some(owner.id()));
    assert_eq!(seen.seats, s.seats);
    // … and one through node B reaches the sockets on node A.
    let s = take(&yb, r.id, 2).await.unwrap();
    let seen = seats_event_of(&mut ows, s.version).await;
    assert_eq!(holder(&seen, 2), Some(y.id()));
    assert_eq!(seen.seats, s.seats);
    let seen = seats_event_of(&mut xws, s.version).await;
    assert_eq!(seen.seats, s.seats);
    // Both nodes read the same board.
    assert_eq!(oa.seats(r.id).await.unwrap(), yb.seats(r.id).await.unwrap());

    // Room chat crosses nodes both ways.
    let sent = yb
        .send_text(r.conversation_id, "from node B")
        .await
        .unwrap();
    let m = message_from(&mut ows, y.id()).await;
    assert_eq!(
        (m.seq, m.body["text"].as_str()),
        (sent.seq, Some("from node B"))
    );
    let sent = oa
        .send_text(r.conversation_id, "from node A")
        .await
        .unwrap();
    let m = message_from(&mut yws, owner.id()).await;
    assert_eq!(
        (m.seq, m.body["text"].as_str()),
        (sent.seq, Some("from node A"))
    );

    // Concurrent takes of one seat through the two nodes: exactly one wins.
    yb.leave_seat(r.id).await.unwrap();
    let mut x_won = 0;
    for round in 0..10 {
        let (cx, cy, rid) = (xa.clone(), yb.clone(), r.id);
        let (tx, ty) = tokio::join!(
            tokio::spawn(async move { take(&cx, rid, 5).await }),
            tokio::spawn(async move { take(&cy, rid, 5).await }),
        );
        let (tx, ty) = (tx.unwrap(), ty.unwrap());
        let (winner, loser_err) = match (&tx, &ty) {
            (Ok(_), Err(e)) => {
                x_won += 1;
                (x.id(), e)
            }
            (Err(e), Ok(_)) => (y.id(), e),
            _ => panic!("round {round}: exactly one take wins: {tx:?} / {ty:?}"),
        };
        assert_eq!(code(loser_err), (409, "seat_taken"), "round {round}");
        let s = oa.seats(r.id).await.unwrap();
        assert_invariants(&s);
        assert_eq!(holder(&s, 5), Some(winner), "round {round}");
        let winner_client = if winner == x.id() { &xa } else { &yb };
        winner_client.leave_seat(r.id).await.unwrap();
    }
    eprintln!("cross-node takes: x (node A) won {x_won} of 10");

    // Closing on node B removes the users whose sockets are on node A.
    let ob = on(&b, &owner);
    ob.close_room(r.id).await.unwrap();
    for ws in [&mut ows, &mut xws, &mut yws] {
        let closed: RoomClosedData = ws
            .expect_event("room.closed", WAIT)
            .await
            .unwrap()
            .decode()
            .unwrap();
        assert_eq!(closed.room_id, r.id);
    }
    for c in [&oa, &xa, &yb] {
        assert!(c.my_room().await.unwrap().is_none());
    }
    let members = oa.room_members(r.id, None, None).await.unwrap();
    assert!(
        members.members.is_empty() && members.audience == 0,
        "{members:?}"
    );
    let e = take(&xa, r.id, 1).await.unwrap_err();
    assert_eq!(code(&e), (409, "room_closed"));
    let s = oa.seats(r.id).await.unwrap();
    assert!(s.seats.iter().all(|x| x.user_id.is_none()), "{s:?}");
}

/// Reads `room.seats` events on `ws` until one of `version` arrives (at most 50).
async fn seats_event_of(ws: &mut confab_client::WsConnection, version: i64) -> SeatsOut {
    for _ in 0..50 {
        let s = next_seats(ws).await;
        assert_invariants(&s);
        if s.version == version {
            return s;
        }
        assert!(s.version < version, "saw {} before {version}", s.version);
    }
    panic!("no room.seats of version {version} in 50 events");
}

/// The next `message.new` on `ws` sent by `sender` (skipping others, at most 20).
async fn message_from(ws: &mut confab_client::WsConnection, sender: UserId) -> MessageOut {
    for _ in 0..20 {
        let m: MessageOut = ws
            .expect_event("message.new", WAIT)
            .await
            .unwrap()
            .decode()
            .unwrap();
        if m.sender_id == sender {
            return m;
        }
    }
    panic!("no message from {sender} in 20 messages");
}
