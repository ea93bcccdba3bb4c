//! Voice and video calls (docs/calls.md): 1:1 calls in a direct chat and group calls in a
//! group's or a voice room's chat. Confab carries no media: it rings, relays the WebRTC
//! signalling between the two devices of a 1:1 call, records every call as a `call` message
//! in its conversation, hands out TURN REST credentials for the peer-to-peer path and
//! LiveKit tokens (the voice rooms' SFU machinery) for group calls.
//!
//! # Layout
//! - [`api`]: the routes. [`direct`]: 1:1 calls. [`group`]: group calls.
//! - [`lifecycle`]: the one way a call ends, and its events. [`signal`]: the `call.signal`
//!   relay. [`presence`]: dropped devices, the ring timeout, the sweeper. [`turn`]: ICE
//!   servers and TURN credentials. [`model`]: wire forms and the record's body.
//! - [`hooks`]: who hears of ended calls (a trait other features implement: offline push).
//!
//! # Invariants
//! - The call row is the truth; every state change is a conditional UPDATE from the state
//!   it leaves, so of racing transitions (accept, decline, cancel, timeout, drop — on any
//!   node) exactly one wins, and a call ends once: one outcome, one record message.
//! - A user is in at most one call, and a conversation has at most one group call: each is
//!   a row in `call_lines` keyed by the holder, taken with the call and freed when it ends.
//! - Signalling reaches the one device (session) bound to the other side of an answered
//!   1:1 call, and no other socket.
//!
//! # Calls
//! accounts (the signed-in device), messaging (the send rules of the conversation, the
//! conversation lock and the `call` record, the manager rule), rooms (SFU tokens).

pub mod api;
pub mod direct;
pub mod error;
pub mod group;
pub mod hooks;
pub mod lifecycle;
pub mod model;
pub mod presence;
pub mod signal;
mod store;
pub mod turn;
