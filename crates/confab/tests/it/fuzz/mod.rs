//! The fuzz targets of `confab::fuzz`, driven without a fuzzing engine: each test runs its
//! target over the seed corpus (`crates/confab/fuzz/corpus/<target>/`), then over inputs
//! made by mutating the corpus (bit flips, byte and token insertions, deletions,
//! duplications, splices, numbers at their edges) and some purely random ones, for a fixed
//! count of executions. A panic is a finding: the input is written to
//! `$CARGO_TARGET_DIR/fuzz-findings/<target>/` and the test fails naming it and the seed.
//!
//! - `CONFAB_FUZZ_ITERS=N`: N generated inputs per target instead of the defaults (about a
//!   minute of CPU for all targets together on a debug build).
//! - `CONFAB_FUZZ_SEED=S`: replay a run (the seed is printed).
//!
//! `meta.rs` checks that every target has a corpus and that every body type the server
//! reads is in the `request_body` target's list.

mod engine;
mod meta;

use engine::{Dict, run};

/// Tokens every JSON-reading target mixes in.
const JSON: Dict = &[
    b"{",
    b"}",
    b"[",
    b"]",
    b"\"",
    b":",
    b",",
    b"null",
    b"true",
    b"false",
    b"\\u0000",
    b"\\ud800",
    b"\\\"",
    b"1e999999",
    b"-0",
    b"18446744073709551616",
    b"9223372036854775807",
    b"-9223372036854775808",
    b"0.1",
    b"\"\"",
    b"{}",
    b"[]",
    b"\"a\":1,\"a\":2",
    b"\xef\xbb\xbf",
    b"\xc0\x80",
    b"\xed\xa0\x80",
    b"\xe2\x80\xae",
    b"\t",
    b"\n",
];

/// Words and ids the body types use.
const FIELDS: Dict = &[
    b"\"client_msg_id\"",
    b"\"kind\"",
    b"\"body\"",
    b"\"text\"",
    b"\"file_id\"",
    b"\"caption\"",
    b"\"lat\"",
    b"\"lng\"",
    b"\"name\"",
    b"\"sticker_id\"",
    b"\"mentions\"",
    b"\"reply_to\"",
    b"\"username\"",
    b"\"password\"",
    b"\"nickname\"",
    b"\"refresh_token\"",
    b"\"conversation_id\"",
    b"\"seq\"",
    b"\"type\"",
    b"\"id\"",
    b"\"data\"",
    b"\"token\"",
    b"\"status\"",
    b"\"user_id\"",
    b"\"members\"",
    b"\"amount\"",
    b"\"position\"",
    b"\"1\"",
    b"\"7260000000000000001\"",
    b"\"-1\"",
    b"\"0\"",
    b"\"custom\"",
    b"\"location\"",
    b"\"image\"",
    b"\"sticker\"",
    b"\"send\"",
    b"\"auth\"",
    b"\"ping\"",
    b"\"read\"",
    b"\"presence.set\"",
    b"\"call.signal\"",
    b"\"typing\"",
];

/// What text rules see: invisible characters, separators, look-alikes, other scripts.
const TEXT: Dict = &[
    "\u{200B}".as_bytes(),
    "\u{200D}".as_bytes(),
    "\u{202E}".as_bytes(),
    "\u{2066}".as_bytes(),
    "\u{00AD}".as_bytes(),
    "\u{FEFF}".as_bytes(),
    "\u{3164}".as_bytes(),
    "\u{3000}".as_bytes(),
    "\u{FF21}".as_bytes(),
    "\u{FF41}".as_bytes(),
    "İ".as_bytes(),
    "ß".as_bytes(),
    "ẞ".as_bytes(),
    "Σ".as_bytes(),
    "ı".as_bytes(),
    "\u{0301}".as_bytes(),
    "👩‍💻".as_bytes(),
    "\u{E0041}".as_bytes(),
    "\u{2028}".as_bytes(),
    "\u{061C}".as_bytes(),
    "\u{212A}".as_bytes(),
    "\u{1E9E}".as_bytes(),
    b"\n",
    b"\r\n",
    b"\t",
    b" ",
    b".",
    b"..",
    b"/",
    b"\\",
    b"\0",
    b"%2e%2e%2f",
    b"../",
    b".exe",
    b".exe.",
    b". .",
    b"admin",
    b"r00t",
    b"\"",
    b"*",
];

/// What cursors and query strings see.
const CURSORS: Dict = &[
    b"cursor=",
    b"&",
    b"=",
    b"%",
    b"%00",
    b"%2e",
    b"+",
    b"-",
    b".",
    b"0",
    b"1",
    b"9223372036854775807",
    b"9223372036854775808",
    b"-9223372036854775808",
    b"2147483648",
    b"4294967297",
    b"8210266876799999",
    b"-8334601228800000",
    b"limit=",
    b"q=",
    b"tag=",
    b"1767225600000",
    b"1.2.3",
    b"1.2",
    b"07",
];

/// What tokens and headers see.
const TOKENS: Dict = &[
    b".",
    b"Bearer ",
    b"bearer ",
    b"BEARER\t",
    b"eyJ",
    b"eyJhbGciOiJub25lIn0",
    b"=",
    b"-",
    b"_",
    b"+",
    b"/",
    b" ",
    b"\x7f",
    b"\xff",
    b"AAAA",
    b"\"refresh_token\"",
];

#[test]
fn ws_frame() {
    run("ws_frame", confab::fuzz::ws_frame, &[JSON, FIELDS], 250_000);
}

#[test]
fn request_body() {
    run(
        "request_body",
        confab::fuzz::request_body,
        &[JSON, FIELDS],
        40_000,
    );
}

#[test]
fn message_body() {
    run(
        "message_body",
        confab::fuzz::message_body,
        &[JSON, FIELDS, TEXT],
        60_000,
    );
}

#[test]
fn sync_cursor() {
    run("sync_cursor", confab::fuzz::sync_cursor, &[CURSORS], 60_000);
}

#[test]
fn access_token() {
    run(
        "access_token",
        confab::fuzz::access_token,
        &[TOKENS],
        15_000,
    );
}

#[test]
fn refresh_token() {
    run(
        "refresh_token",
        confab::fuzz::refresh_token,
        &[TOKENS, JSON],
        20_000,
    );
}

#[test]
fn word_normaliser() {
    run(
        "word_normaliser",
        confab::fuzz::word_normaliser,
        &[TEXT],
        15_000,
    );
}

#[test]
fn file_name() {
    run("file_name", confab::fuzz::file_name, &[TEXT], 80_000);
}
