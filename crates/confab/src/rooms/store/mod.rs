//! The rooms tables. Private to the feature: other features reach rooms through its
//! service functions. Writes that belong to a seat or presence change take the caller's
//! transaction, opened by `change::locked` under the room's lock.

mod entities;
pub(super) mod moderation;
pub(super) mod presence;
pub(super) mod requests;
pub(super) mod rooms;
pub(super) mod seats;
pub(super) mod tags;
