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
//! - Every refusal is a [`error::SocialError`] variant, its message spelled once.
//!
//! Calls: social uses accounts (profiles), messaging (the direct chat and the greeting,
//! through the normal send path) and moderation (screening); it pushes events through the
//! push layer. It answers messaging's direct-chat rules and accounts' discovery through the
//! implementations in [`rules`], registered at start-up. Presence ([`presence`]) lives here
//! because who sees whom is a social rule; the gateway calls it.
//!
//! # Layout
//! - [`api`]: the routes.
//! - [`service`]: the checks other features call, profile decoration, discovery settings.
//! - [`requests`]: friend requests: send, merge, accept (with the greeting), decline, cancel.
//! - [`friends`]: the friend list, remarks and tags, ending a friendship.
//! - [`blocks`]: blocking and unblocking.
//! - [`follows`]: following and the follower lists.
//! - [`error`]: the refusals.
//! - [`rules`]: the direct-chat rules and discovery, for messaging and accounts.
//! - [`presence`]: online/offline across the cluster, told to friends.
//! - `store`: the SQL.
//! - [`model`]: domain types and input bounds.

pub mod api;
pub mod blocks;
pub mod error;
pub mod follows;
pub mod friends;
pub mod model;
pub mod presence;
pub mod requests;
pub mod rules;
pub mod service;
mod store;
