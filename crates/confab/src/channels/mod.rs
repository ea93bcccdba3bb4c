//! Channels: the built-in, broadcast conversations every user reads — today the world
//! channel (kind `channel`; docs/channels.md).
//!
//! The world channel is one conversation, created at first start by whichever node gets
//! there first ([`service::ensure_world`]: the `channels.slug` primary key decides a race
//! between two nodes on one database). Its messages use the ordinary conversation
//! endpoints and the one send path; what is particular to it:
//! - membership is lazy: a user's member row is made on first read, send or open
//!   (`messaging::service::membership`), so sync and unread work without a row per user
//!   made up front (docs/decisions/0011-channel-membership.md);
//! - posting follows `channels.world_posting`, a per-user rate limit on the cache
//!   (`channels.world_posts_per_minute`) and administrators' channel mutes
//!   ([`policy::check_post`], asked by messaging's send path);
//! - its events go to `Topic::Everyone`: one publish per message, encoded once, copied to
//!   every socket on every node.
//!
//! Calls: messaging asks [`policy::ChannelRules`] on the send path (registered at start-up;
//! it calls only accounts and the cache); [`service`] and [`api`] use messaging (the
//! conversation, through `messaging::window`) and moderation (the audit log).

pub mod api;
pub mod error;
pub mod policy;
pub mod service;
mod store;

pub use store::ChannelMute;
