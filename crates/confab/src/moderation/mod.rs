//! Moderation: the sensitive-word filter and the one screening step, the one display-text
//! rule ([`text`]), reports, site-wide user mutes and the audit log. The admin API over them (review, audit) is the admin
//! feature's.
//!
//! The word list is the config's `moderation.words_file` (read once at start-up) plus the
//! rows of `sensitive_words` (managed at runtime). Both are compiled into one Aho-Corasick
//! automaton held in moderation's runtime state ([`service::Runtime`]) and swapped whole
//! when the list changes; every change publishes `Control::SensitiveWordsChanged`, so every
//! node reloads the table and rebuilds ([`service::WordsHandler`]).
//!
//! Invariants:
//! - Matching runs on normalised text ([`filter::normalise`]: case, full-/half-width,
//!   invisible characters, separators) and is linear in the input on any input.
//! - A mask replaces exactly the matched original characters, one `*` each, so the text
//!   keeps its length in characters.
//! - Words are stored normalised, so two spellings of one word are one row.
//!
//! Calls: moderation is the lowest feature: it uses the ports, the push layer and the rule
//! cache only. Other features call [`screen::screen`] on user-written text (and
//! [`screen::file_review`] once it is stored), [`mutes::check_can_send`] on the send path,
//! [`reports`] for the review queue and [`audit::audit`] after an administrative act.

pub mod audit;
pub mod error;
pub mod filter;
pub mod mutes;
pub mod reports;
pub mod screen;
pub mod service;
mod store;
pub mod text;

pub use store::{Report, UserMute};
