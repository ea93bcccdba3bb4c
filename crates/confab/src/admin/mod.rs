//! The system administrator's API (`/admin/…`, `role = admin` only, through the
//! [`crate::accounts::auth::AdminUser`] extractor) and user reports (docs/admin.md).
//!
//! # Layout
//! - [`api`]: the routes: users (disable, enable, mute), sensitive words, notices, stats,
//!   the audit log, reports (`POST /reports` for users, the review queue for admins).
//! - [`service`]: the audit log's page, user status and mutes, words, notices, stats, and
//!   the per-node socket-count reporter.
//! - [`invites`]: the sign-up invite routes (`/admin/invites`; the codes are accounts').
//! - [`reports`]: filing (visibility, snapshot, bounds) and review (uphold, dismiss).
//!
//! Admin owns no tables: the audit log and the review queue are moderation's, the counts
//! each feature's own.
//!
//! # Invariants
//! - Every administrator action is written to the audit log after it took effect.
//! - A report's excerpt is the content as it was when reported.
//! - A disabled user's sessions are revoked at once on every node, by the same code the CLI
//!   uses (`accounts::service::disable_user`).
//!
//! # Calls
//! Admin sits above the other features: it may call accounts, messaging, moderation,
//! channels and groups; none of them calls admin (the audit entry every administrative act
//! writes is `moderation::audit`).

pub mod api;
pub mod error;
pub mod invites;
pub mod reports;
pub mod service;
