//! Voice rooms (issue 13): flows, seats under concurrency, the authorization matrix,
//! grace periods and two nodes.

mod cluster;
mod flows;
mod grace;
pub(crate) mod matrix;
mod media;
mod races;
mod seats_prop;

use std::time::Duration;

use confab_client::{ClientError, WsConnection};
use confab_proto::rooms::{CreateRoomIn, RoomOut, RoomVisibility, SeatMode, SeatsOut};

use crate::harness::*;

/// How long an expected event may take.
pub const WAIT: Duration = Duration::from_secs(10);

/// (status, code) of a failed call.
pub fn code(e: &ClientError) -> (u16, &str) {
    (e.status().unwrap_or(0), e.code().unwrap_or("<none>"))
}

/// A room body with defaults: public, free seats, 8 seats.
pub fn room_in(name: &str) -> CreateRoomIn {
    CreateRoomIn {
        name: name.into(),
        cover: None,
        tag: None,
        announcement: None,
        visibility: None,
        password: None,
        seat_count: None,
        seat_mode: None,
    }
}

/// `owner`'s new room with `seats` seats in `mode`.
pub async fn room(owner: &TestUser, name: &str, seats: u32, mode: SeatMode) -> RoomOut {
    let mut input = room_in(name);
    input.seat_count = Some(seats);
    input.seat_mode = Some(mode);
    input.visibility = Some(RoomVisibility::Public);
    owner.client.create_room(&input).await.unwrap()
}

/// Opens a socket for `u` and enters `room` (the socket keeps them from the grace sweep).
pub async fn enter(u: &TestUser, room: &RoomOut) -> WsConnection {
    let ws = u.client.ws().await.unwrap();
    u.client.join_room(room.id, None).await.unwrap();
    ws
}

/// Waits for a `room.seats` event on `ws` and decodes its seats.
pub async fn next_seats(ws: &mut WsConnection) -> SeatsOut {
    let e = ws.expect_event("room.seats", WAIT).await.unwrap();
    serde_json::from_value(e.data).unwrap()
}

/// Checks the seat invariants on a snapshot.
pub fn assert_invariants(s: &SeatsOut) {
    let mut seen = std::collections::HashSet::new();
    for (i, seat) in s.seats.iter().enumerate() {
        assert_eq!(seat.position as usize, i + 1, "seats in order: {s:?}");
        assert!(
            !(seat.locked && seat.user_id.is_some()),
            "a locked seat is empty: {s:?}"
        );
        assert!(
            !seat.mic_on || (seat.user_id.is_some() && !seat.muted),
            "mic only when seated and unmuted: {s:?}"
        );
        if let Some(u) = seat.user_id {
            assert!(seen.insert(u), "a user holds one seat: {s:?}");
        }
    }
}
