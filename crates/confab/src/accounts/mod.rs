//! Accounts: sign-up, sign-in (password; codes and OAuth in their own modules), tokens,
//! sessions, profiles and user search.
//!
//! Layout:
//! - [`api`], [`codes_api`], [`oauth_api`]: the routes.
//! - [`service`]: the account rules, one file per topic (sign-up, sign-in, sessions,
//!   profile, credentials, search, admin), re-exported as `service::…`.
//! - [`codes`] (one-time codes), [`codes_service`] (what a code may prove), [`captcha`].
//! - [`oauth`]: the provider flow, providers, identities.
//! - [`auth`] (bearer extractors, live-session check), [`tokens`] (JWTs, refresh tokens),
//!   [`password`] (argon2id, the strength rule).
//! - [`model`]: domain types and one-off field validators; [`reserved`]: reserved usernames; [`error`]: every refusal as an
//!   [`error::AccountsError`], and the one mapping to API errors.
//! - [`registration`]: the registration policy (`auth.registration`) every sign-up path
//!   asks; [`invites`]: the administrators' sign-up invite codes.
//! - [`hooks`]: what accounts asks of features above it; [`operator`]: CLI-only actions.
//! - `store` (private): the SQL, by table group.
//!
//! Invariants:
//! - Passwords are argon2id hashes, computed on a bounded blocking pool ([`password`]).
//! - A session is one device's sign-in: one refresh-token family. Each refresh rotates the
//!   token; presenting a rotated token again revokes the whole session ([`service::refresh`]).
//! - Access tokens are short-lived JWTs naming the session; every request checks that the
//!   session is still live through a small cache invalidated across nodes by the bus
//!   ([`auth::SessionCheck`]), so a revoked session fails on its next request.
//! - Unknown user and wrong password are answered identically
//!   ([`error::AccountsError::InvalidCredentials`]), with a dummy hash verified for unknown
//!   users so the timing matches.
//! - Each refusal's message is spelled once, in [`error`]; messages never carry a password,
//!   token or code.
//!
//! Calls: accounts is the lowest user-facing feature: it uses moderation (screening
//! nicknames) and the ports. What it needs from features above it — discovery privacy and
//! relations (social), whether a file is the user's image (media) — it asks through the
//! traits in [`hooks`], registered at start-up. Other features use [`auth::AuthUser`] and
//! [`service::public_user`].

pub mod api;
pub mod auth;
pub mod avatars;
pub mod captcha;
pub mod codes;
pub mod codes_api;
pub mod codes_service;
pub mod error;
pub mod hooks;
pub mod invites;
pub mod model;
pub mod oauth;
pub mod oauth_api;
pub mod operator;
pub mod password;
pub mod registration;
pub mod reserved;
pub mod service;
pub mod standing;
mod store;
pub mod tokens;
