//! Moments, the friends' feed (docs/moments.md): posts with text, up to 9 images or one
//! video, a visibility (`public | friends | private | only | except`), a place and
//! mentions; the feed and users' pages; likes, comments and replies; the notification
//! inbox and the sync dots; settings (stranger range, cover, hide lists); reports.
//!
//! # Invariants
//! - Visibility is decided at read time on every path ([`access`]): feed, page, one
//!   moment, likes, comments, media downloads, notifications. Unfriending, blocking or
//!   hiding takes effect on the next read; nothing is copied into per-user timelines
//!   (fan-out on read, decision 0019).
//! - A like is a row keyed by (moment, user); the counter moves only with a row inserted
//!   or deleted in the same transaction. A moment's deletion removes its media references,
//!   list, mentions, likes, comments and notifications in one transaction.
//! - Events follow the commit; the inbox and the feed are the truth.
//!
//! # Calls
//! accounts (profiles, text rules), media (own uploads, file views; registers a
//! `FileAccess`), messaging (registers its sync dots as a `SyncBadges`), moderation
//! (screening, site mutes, review reports, audit), social (friends, tags, blocks).
//!
//! # Layout
//! - [`api`]: the routes. [`post`]: posting, one moment, deleting. [`feed`]: the feed, a
//!   user's page, the sync dots. [`interact`]: likes and comments. [`inbox`]: the
//!   notification inbox and its events. [`settings`]: range, cover, hide lists.
//! - [`access`]: the visibility rule. [`media`]: who may download. [`reports`]: reports.
//! - [`model`], [`views`], [`error`]; `store`: the SQL, private to the feature.

pub mod access;
pub mod api;
pub mod error;
pub mod feed;
pub mod inbox;
pub mod interact;
pub mod media;
pub mod model;
pub mod post;
pub mod reports;
pub mod settings;
mod store;
pub mod views;
