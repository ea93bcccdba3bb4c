//! Gifts and wallets (docs/gifts.md): the catalog, integer balances with a double-entry
//! ledger, backpacks, sends in rooms and conversations, records, leaderboards, top-ups,
//! level and VIP.
//!
//! # Invariants
//! - Every balance change is a conditional update of one wallet plus a ledger row with the
//!   balance after it, in the same transaction, with the platform's opposite row (account
//!   0): each wallet equals the sum of its rows, each currency's ledger sums to zero, no
//!   balance goes below zero ([`ledger::Books`]); `wallet::reconcile` checks it all.
//! - A send is one transaction (the conversation's lock, backpack items or coins, diamonds,
//!   ledger rows, room counters, the `gift` message, the send row), keyed by (sender, client
//!   key): a retry on any node answers the stored send and charges nothing. Top-ups are
//!   keyed by the provider's order id, admin adjustments and VIP purchases by their key.
//! - Nothing is deleted from the ledger: a reversal adds compensating rows.
//! - Lock order: a conversation, then the sender's backpack stacks, then wallets by
//!   ascending user id.
//!
//! # Calls
//! accounts (users; level and VIP on profiles through `accounts::standing`), media (icon
//! and animation files), messaging (the send rules, the conversation lock, the `gift`
//! message), moderation (screening, audit), rooms (a room's chat and counters), social
//! (blocks).

pub mod api;
mod api_admin;
pub mod backpack;
pub mod catalog;
pub mod error;
mod ledger;
pub mod model;
pub mod records;
pub mod send;
mod store;
pub mod topups;
pub mod wallet;
