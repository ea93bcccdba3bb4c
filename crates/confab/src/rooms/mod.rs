//! Voice rooms (docs/rooms.md): rooms with mic seats whose every change is one serialized
//! transaction per room, room moderation, discovery, and who may speak at the SFU.
//!
//! # Invariants
//! - Every change to a room runs in [`change::locked`]: one transaction that first takes
//!   the room chat's conversation lock (so changes to one room, on any node, run one after
//!   the other and are ordered with chat sends), then re-reads the room.
//! - Seats change only through `change::Tx::seats`, which applies a pure [`board`] change,
//!   checks the invariants (a seat holds at most one user, a user at most one seat, a
//!   locked seat is empty) and bumps the room's seat version once. The store backs them
//!   with unique keys: one presence row per user (one room at a time), one seat per user.
//! - Events and SFU calls go out after the commit, and a node publishes one room's changes
//!   in commit order (`change::Order`: a per-room turn held until the effects are out), so
//!   a socket gets `room.seats` in version order from any one node; a client that sees a
//!   gap in the seat version refetches `GET /rooms/{id}/seats`, and ignores an older one.
//!
//! # Calls
//! accounts (users, passwords, display text), media (cover images), messaging (the room
//! chat's window and rules seam), moderation (screening, audit), push (events). Messaging
//! asks [`rules::RoomRules`] on the chat's send path; the gateway tells [`presence`] about
//! sockets.

pub mod api;
mod api_seats;
pub mod board;
mod change;
pub mod covers;
pub mod discovery;
pub mod error;
pub mod gifting;
pub mod media;
pub mod model;
pub mod moderation;
pub mod presence;
pub mod requests;
pub mod roles;
pub mod rules;
pub mod seating;
pub mod service;
pub mod sfu;
mod store;

pub(crate) use change::Order;
