//! Media: uploaded files (`POST /uploads`), their authorised download (`GET /files/{id}`),
//! and signed, expiring download URLs (`POST /files/{id}/url`).
//!
//! Invariants: bytes live in the blob store under a server-made key; the client's file name
//! is metadata only. A file's type is decided from its bytes against an allow-list per kind
//! (`model`), never from its name or the client's Content-Type. Size caps are enforced while
//! the body streams; only images (which are decoded) are held in memory whole.
//!
//! Calls: media uses accounts (authentication, the token key for URL signing, whether a file
//! is a user's avatar). Accounts asks it whether a file is the user's image through the hook
//! it registers ([`service::ImagesHook`]); messaging and groups call [`service`] directly.
//! Who else may download a file is asked of the features that shared it ([`access`]).

pub mod access;
pub mod api;
mod declared;
pub mod error;
pub mod model;
pub mod service;
mod store;

pub use store::Upload;
