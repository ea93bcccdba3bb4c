//! Confab's wire types: everything a client and the server exchange, and nothing that does IO.
//!
//! # Layout
//! - [`ids`]: typed 64-bit snowflake ids, carried as decimal strings in JSON.
//! - [`error`]: the error-code catalogue (one table: code, meaning) and the error body.
//! - [`health`]: the `/healthz` and `/readyz` bodies.
//! - [`accounts`]: sign-up, sign-in, tokens, sessions, profiles.
//! - [`codes`]: verification codes, captchas, code sign-in, password reset, binding.
//! - [`ws`]: WebSocket frames, presence, close codes.
//! - [`oauth`]: third-party sign-in and linked identities.
//! - [`social`]: friends, friend requests, blocks, follows, discovery privacy.
//! - [`groups`]: groups, members and roles, invites, join requests, bans, `group.*` events.
//! - [`rooms`]: voice rooms, mic seats, room moderation, media tokens, `room.*` events.
//! - [`gifts`]: the gift catalog, wallets and the ledger, backpacks, sends, leaderboards.
//! - [`calls`]: voice and video calls, signalling, TURN credentials, `call.*` events.
//! - [`moments`]: the friends' feed: posts, likes, comments, notifications, `moment.*` events.
//! - [`push`]: offline push: push settings and the webhook's body.
//! - [`admin`]: the world channel, reports, and the system administrator's API.
//!
//! The server maps each [`error::ErrorCode`] to an HTTP status in exactly one place
//! (`confab::error`); clients match on the code, never on the message text.

pub mod accounts;
pub mod admin;
pub mod calls;
pub mod codes;
pub mod error;
pub mod gifts;
pub mod groups;
pub mod health;
pub mod ids;
pub mod media;
pub mod messaging;
pub mod moments;
pub mod oauth;
pub mod push;
pub mod rooms;
pub mod social;
pub mod ws;

pub use error::{ErrorBody, ErrorCode, ErrorInfo};
