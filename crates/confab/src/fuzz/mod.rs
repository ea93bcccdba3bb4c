//! Fuzz targets: plain `fn(&[u8])` over the parsers that take bytes from the network, each
//! asserting its invariants, so a panic means a bug. They need no nightly tool: the
//! integration tests (`tests/it/fuzz/`) drive every target over its seed corpus
//! (`crates/confab/fuzz/corpus/<target>/`) plus mutated and random inputs for a fixed count
//! (`CONFAB_FUZZ_ITERS` raises it); with cargo-fuzz elsewhere, a target drops in unchanged
//! as `fuzz_target!(|data: &[u8]| confab::fuzz::ws_frame(data))`. Decision record 0030.
//!
//! Not part of the server's API: it reaches functions the server keeps to itself, through
//! `pub(crate)` items, rather than copying them.
//!
//! # Layout
//! - [`ws`]: WebSocket text frames: the envelope, then the typed command.
//! - [`bodies`]: every request body type through the server's JSON extractor; message
//!   bodies through their per-kind validation.
//! - [`cursors`]: sync and page cursors, and the query strings that carry them.
//! - [`tokens`]: access tokens, refresh-token bodies, `Authorization` headers, signed
//!   download URLs.
//! - [`words`]: the sensitive-word normaliser and filter, reserved-name skeletons, the
//!   display-text rule.
//! - [`files`]: client file names, `Content-Disposition`, blob keys.

pub mod bodies;
pub mod cursors;
pub mod files;
pub mod tokens;
pub mod words;
pub mod ws;

pub use bodies::{message_body, request_body};
pub use cursors::sync_cursor;
pub use files::file_name;
pub use tokens::{access_token, refresh_token};
pub use words::word_normaliser;
pub use ws::ws_frame;

/// A fuzz target: its name (the corpus folder) and its entry point.
#[derive(Clone, Copy)]
pub struct Target {
    /// The name, also `crates/confab/fuzz/corpus/<name>/`.
    pub name: &'static str,
    /// Runs one input; panics on a broken invariant.
    pub run: fn(&[u8]),
}

/// Every target.
pub const TARGETS: &[Target] = &[
    Target {
        name: "ws_frame",
        run: ws_frame,
    },
    Target {
        name: "request_body",
        run: request_body,
    },
    Target {
        name: "message_body",
        run: message_body,
    },
    Target {
        name: "sync_cursor",
        run: sync_cursor,
    },
    Target {
        name: "access_token",
        run: access_token,
    },
    Target {
        name: "refresh_token",
        run: refresh_token,
    },
    Target {
        name: "word_normaliser",
        run: word_normaliser,
    },
    Target {
        name: "file_name",
        run: file_name,
    },
];

/// The value of `r`, or a panic naming the broken invariant.
fn must<T, E: std::fmt::Debug>(r: Result<T, E>, what: &str) -> T {
    match r {
        Ok(v) => v,
        Err(e) => panic!("{what}: {e:?}"),
    }
}

/// An error a client is answered with: a 4xx with a bounded message (never a 5xx, never
/// the whole input echoed back).
fn client_error(e: &crate::error::ApiError, what: &str) {
    assert!(
        e.status().is_client_error(),
        "{what}: answered {} ({:?}: {})",
        e.status(),
        e.code(),
        e.message()
    );
    assert!(
        e.message().len() <= 400,
        "{what}: a {}-byte error message",
        e.message().len()
    );
}

/// A little-endian integer from up to 8 bytes of `data` at `at` (zero-filled past its end).
fn u64_at(data: &[u8], at: usize) -> u64 {
    let mut b = [0u8; 8];
    for (i, slot) in b.iter_mut().enumerate() {
        *slot = data.get(at + i).copied().unwrap_or(0);
    }
    u64::from_le_bytes(b)
}
