//! The social feature's SQL, private to the feature: friend requests, friendships, blocks,
//! follows, privacy. Entities are private; the rest of the feature sees the types in
//! [`super::model`].
//!
//! - `requests`: friend requests, and accepting one (the friendship rows with it).
//! - `friends`: friendships, remarks and tags.
//! - `blocks`: blocks, and what creating one ends.
//! - `follows`: follow edges and counts.
//! - `relations`: a viewer's relation to users; discovery privacy.
//! - `entities`: the sea-orm entities.

mod blocks;
mod entities;
mod follows;
mod friends;
mod relations;
mod requests;

pub use blocks::*;
pub use follows::*;
pub use friends::*;
pub use relations::*;
pub use requests::*;
