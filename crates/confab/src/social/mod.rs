//! The social graph (docs/social.md): friend requests, friends with remarks and tags,
//! blocks, follows, who may find whom, and who may message whom.
//!
//! Invariants:
//! - A friendship is two rows (one per owner, holding that owner's remark and tags), made
//!   in the transaction that accepts the request and removed together.
//! - At most one pending request per direction (a unique key), so a repeated request merges;
//!   a request in the other direction is accepted instead of stored.
//! - A block forbids friend requests, follows, direct messages and presence between the two
//!   users, in both directions; it suspends a friendship without deleting it
//!   (docs/decisions/0007-blocking-a-friend.md). [`service::are_friends`] is false while a
//!   block stands.
//! - Persist, then publish: `friend.request`, `friend.accepted`, `friend.removed` and the
//!   presence changes they imply go out through the bus after the commit.
//!
//! Calls: social uses accounts (profiles), messaging (the direct chat and the greeting,
//! through the normal send path) and the gateway (publish, presence). Messaging asks
//! [`service::check_direct`] on every direct send and open; the gateway asks
//! [`service::presence_audience`]; accounts asks for discovery privacy and relations.
//!
//! # Layout
//! - [`api`]: the routes.
//! - [`service`]: the rules, and the checks other features call.
//! - [`store`]: the SQL.
//! - [`model`]: domain types and input bounds.

pub mod api;
pub mod model;
pub mod service;
pub mod store;
