//! Moderation: the sensitive-word filter, reports and site-wide user mutes (design.md §8).
//! The admin API over them (review, audit) is [`crate::admin`].
//!
//! The word list is the config's `moderation.words_file` (read once at start-up) plus the
//! rows of `sensitive_words` (managed at runtime). Both are compiled into one Aho-Corasick
//! automaton held in [`crate::state::AppState::filter`] and swapped whole when the list
//! changes; every change publishes [`crate::events::Control::SensitiveWordsChanged`], so
//! every node reloads the table and rebuilds.
//!
//! Invariants:
//! - Matching runs on normalised text ([`filter::normalise`]: case, full-/half-width,
//!   invisible characters, separators) and is linear in the input on any input.
//! - A mask replaces exactly the matched original characters, one `*` each, so the text
//!   keeps its length in characters.
//! - Words are stored normalised, so two spellings of one word are one row.
//!
//! Calls: other features call [`filter::check`] on user-written text (messages, nicknames;
//! group names, moments and comments as they arrive), [`store::file_report`] when it asks
//! for a review, and [`mutes::check_can_send`] on the send path. Moderation never calls
//! those features.

pub mod filter;
pub mod mutes;
pub mod service;
pub mod store;
