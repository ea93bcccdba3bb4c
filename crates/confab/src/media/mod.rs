//! Media: uploaded files (`POST /uploads`), their authorised download (`GET /files/{id}`),
//! and signed, expiring download URLs (`POST /files/{id}/url`).
//!
//! Invariants: bytes live in the blob store under a server-made key; the client's file name
//! is metadata only. A file's type is decided from its bytes against an allow-list per kind
//! (`model`), never from its name or the client's Content-Type. Size caps are enforced while
//! the body streams; only images (which are decoded) are held in memory whole.
//!
//! Calls: media uses infra only (and the accounts token keys for URL signing); accounts and
//! messaging ask it whether a file may be used.

pub mod api;
pub mod model;
pub mod service;
pub mod store;
