//! Media: uploaded files (`POST /uploads`) and their authorised download (`GET /files/{id}`).
//!
//! Invariants: bytes live in the blob store under a server-made key; the client's file name
//! is metadata only. A file's type is decided from its bytes against an allow-list, never
//! from its name or the client's Content-Type.
//!
//! Calls: media uses infra only; accounts and messaging ask it whether a file may be used.

pub mod api;
pub mod service;
pub mod store;
