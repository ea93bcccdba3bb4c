//! The groups feature's SQL, private to the feature. Every change to members, roles, mutes or
//! settings runs inside a transaction that first locked the group's conversation
//! (`messaging::window::lock`); the functions here take that transaction (or any
//! connection, for reads).
//!
//! - `groups`: group rows.
//! - `members`: member rows and bans.
//! - `joining`: invite tokens and join requests.
//! - `entities`: the sea-orm entities.

mod entities;
mod groups;
mod joining;
mod members;

pub use groups::*;
pub use joining::*;
pub use members::*;
