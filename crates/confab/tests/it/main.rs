//! Confab's integration tests: one binary, a module per feature. Every test starts the real
//! server on 127.0.0.1:0 and talks to it through `confab-client` (or raw HTTP for bad
//! input). Tests written with `backend_tests!` run on SQLite always and again on MariaDB +
//! Redis when `CONFAB_TEST_MYSQL_URL` / `CONFAB_TEST_REDIS_URL` are set; with `CI=true` and
//! either unset, those variants fail instead of skipping.
#![allow(clippy::unwrap_used, clippy::expect_used)]

// Helpers are shared by every feature's tests; not every run uses each one.
#[macro_use]
#[allow(dead_code)]
mod harness;

mod abuse;
mod accounts;
mod admin;
mod architecture;
mod authz;
mod bad_input;
mod calls;
mod cli;
mod cluster;
mod codes;
mod crash;
mod faults;
mod filter;
mod fuzz;
mod gateway;
mod gifts;
mod groups;
mod http_errors;
mod livekit;
mod media;
mod message_ops;
mod messaging;
mod moments;
mod oauth;
mod offline;
mod openapi;
mod ops;
mod outside;
mod ports;
mod props;
mod realtime;
mod redis_outage;
mod registration;
mod rooms;
mod rooms_sfu;
mod schema;
mod screening;
mod seeded;
mod send_rules;
mod slow_clients;
mod social;
mod sync_inline;
mod telemetry;
mod walkthrough;
mod web;
