//! Groups: a group owns one conversation of kind `group`; members, roles (one owner,
//! admins, members), nicknames, mutes, mute-all, bans, invite tokens and join requests.
//! Chat itself is messaging's (the conversation endpoints and frames).
//!
//! Invariants:
//! - Exactly one owner at all times: ownership only moves by transfer, which swaps two
//!   roles in one transaction; the owner cannot leave or be kicked.
//! - Every change to members or settings runs in one transaction that FIRST locks the
//!   group's conversation row, as the message writer does ([`change::locked`]). So
//!   changes to one group are serialised (the member limit holds under races), and a send
//!   and a removal are ordered: no message of a removed member gets a seq after the
//!   system message that records the removal.
//! - Every change is recorded by a `system` message in the conversation (with its seq)
//!   and announced by a `group.*` event, published after the commit and after the fan-out
//!   index learned of the membership change.
//! - A member's window is `conversation_members.joined_seq … left_seq`: set on join (0 for
//!   history `all`) and closed at the seq of the leave or kick message.
//! - A private group does not exist for non-members (404); a dissolved group keeps its
//!   history readable to its members and refuses every change and send.
//!
//! - Every refusal is a [`error::GroupsError`] variant, its message spelled once.
//! - Every system message body is a [`system::SystemEvent`]; user-written texts go
//!   through the one screening step ([`model::Texts`]), and their reviews are filed once
//!   the change is stored.
//!
//! Calls: groups uses messaging (the conversation lock, system messages and member windows
//! through `messaging::window`, fan-out), accounts (users), media (avatars), moderation
//! (screening) and social (friends); events go out through the push layer. Messaging asks
//! groups its questions — may this member send, may they recall that message as
//! owner/admin, may they list its readers — through [`rules::GroupRules`], registered at
//! start-up.
//!
//! # Layout
//! - [`api`]: the routes.
//! - [`service`]: create, read, search, edit and dissolve a group; the wire form.
//! - [`change`]: the locked-change machinery (lock, effects, system messages, checks).
//! - [`members`]: joining, leaving, adding, the member list; admitting and removing.
//! - [`roles`]: a member's role, mute and nickname; ownership transfer; mute-all.
//! - [`bans`]: kicks, bans and the rank rule.
//! - [`invites`]: invite tokens and join requests.
//! - [`rules`]: the group conversation's rules, for messaging.
//! - [`system`]: the bodies of system messages.
//! - [`error`]: the refusals.
//! - [`model`]: field bounds, text screening, mute ends, ranks.
//! - `store`: the SQL.

pub mod api;
pub mod avatars;
pub mod bans;
pub mod change;
pub mod error;
pub mod invites;
pub mod members;
pub mod model;
pub mod roles;
pub mod rules;
pub mod service;
mod store;
pub mod system;
