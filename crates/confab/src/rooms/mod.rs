//! Voice rooms: rooms with mic seats whose every change is one serialized transaction per
//! room, room moderation, discovery, and the SFU's access tokens (docs/rooms.md).

pub mod sfu;
