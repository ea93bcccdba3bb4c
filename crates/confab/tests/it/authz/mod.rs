//! The authorization matrix for every route (issue 19, docs/decisions/0027): what the
//! per-feature matrices share, the matrix of every route no feature matrix owns, the
//! anonymous and disabled-account sweep over every secured route, and the meta-test that
//! every operation of the OpenAPI document has a row somewhere (and every row names one).
//!
//! Where the rows live: `groups::matrix` (groups, invites, a group's conversation),
//! `rooms::matrix` (rooms, room tags, `/me/room`), `calls::matrix` (a call's routes by
//! relation), `admin::api` (every `/admin` route), and here: `rest` (every other secured
//! route × {owner, friend, stranger, blocked, system admin}), `public` (the routes that take
//! no token), `sweep` (anonymous and disabled account × every secured route).

mod coverage;
mod public;
mod rest;
mod rest_table;
mod sweep;

use std::collections::BTreeSet;

use reqwest::Method;
use sea_orm::{FromQueryResult, JsonValue, Statement};

use crate::harness::*;

/// Calls `path` (from `/`, query included) as `token`'s user, or without a token: the status
/// and the body. A body of `@png` is sent as a multipart upload of a small PNG; any other
/// non-empty body as JSON.
pub async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    let method = Method::from_bytes(method.as_bytes()).expect("a method");
    let mut req = reqwest::Client::new().request(method, app.url(path));
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if body == "@png" {
        let part = reqwest::multipart::Part::bytes(crate::media::png(8, 8))
            .file_name("m.png")
            .mime_str("image/png")
            .unwrap();
        req = req.multipart(reqwest::multipart::Form::new().part("file", part));
    } else if !body.is_empty() {
        req = req
            .header("content-type", "application/json")
            .body(body.to_owned());
    }
    let resp = req.send().await.expect("the node answers");
    let status = resp.status().as_u16();
    (status, resp.text().await.unwrap_or_default())
}

/// Every table of the store, but the ones that change without anybody's say (the migration
/// ledger, sessions' `last_used_at`, rate-limit and presence bookkeeping): what a denied
/// call must leave as it was.
pub async fn tables(app: &TestApp) -> Vec<String> {
    let db = app.state.store.writer();
    let sql = match db.get_database_backend() {
        sea_orm::DatabaseBackend::Sqlite => {
            "SELECT name AS t FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
        }
        _ => {
            "SELECT table_name AS t FROM information_schema.tables WHERE table_schema = DATABASE()"
        }
    };
    let rows = JsonValue::find_by_statement(Statement::from_string(
        db.get_database_backend(),
        sql.to_owned(),
    ))
    .all(db)
    .await
    .unwrap();
    let mut out: Vec<String> = rows
        .into_iter()
        .filter_map(|r| {
            r.get("t")
                .or_else(|| r.get("T"))
                .or_else(|| r.get("TABLE_NAME"))
                .and_then(|v| v.as_str())
                .map(str::to_owned)
        })
        .filter(|t| !VOLATILE.contains(&t.as_str()))
        .collect();
    out.sort();
    assert!(out.len() > 20, "the store lists its tables: {out:?}");
    out
}

/// Tables a request may touch whatever it is answered (see [`tables`]).
const VOLATILE: &[&str] = &["seaql_migrations", "sessions"];

/// Every row of `tables`, as text, in a stable order.
pub async fn snapshot<S: AsRef<str>>(app: &TestApp, tables: &[S]) -> Vec<String> {
    let db = app.state.store.writer();
    let mut out = Vec::new();
    for t in tables {
        let t = t.as_ref();
        let rows = JsonValue::find_by_statement(Statement::from_string(
            db.get_database_backend(),
            format!("SELECT * FROM {t}"),
        ))
        .all(db)
        .await
        .unwrap();
        let mut rows: Vec<String> = rows.into_iter().map(|r| format!("{t}: {r}")).collect();
        rows.sort();
        out.extend(rows);
    }
    out
}

/// What changed between two snapshots, for a failure message.
pub fn diff(before: &[String], after: &[String]) -> String {
    let b: BTreeSet<_> = before.iter().collect();
    let a: BTreeSet<_> = after.iter().collect();
    format!(
        "-{:?} +{:?}",
        b.difference(&a).collect::<Vec<_>>(),
        a.difference(&b).collect::<Vec<_>>()
    )
}

/// Every operation of the OpenAPI document: (lower-case method, path).
pub fn openapi_ops() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&confab::http::openapi_json()).unwrap();
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for method in ops.as_object().unwrap().keys() {
            if method != "parameters" {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

/// The operations of the OpenAPI document that need a bearer token (`security` set, without
/// the empty requirement that makes it optional).
pub fn secured_ops() -> BTreeSet<(String, String)> {
    let doc: serde_json::Value = serde_json::from_str(&confab::http::openapi_json()).unwrap();
    let global = doc.get("security").is_some_and(|s| !s.is_null());
    let mut out = BTreeSet::new();
    for (path, ops) in doc["paths"].as_object().unwrap() {
        for (method, op) in ops.as_object().unwrap() {
            let secured = match op.get("security") {
                Some(s) => s.as_array().is_some_and(|a| {
                    !a.is_empty()
                        && a.iter()
                            .all(|r| r.as_object().is_some_and(|o| !o.is_empty()))
                }),
                None => global,
            };
            if secured {
                out.insert((method.clone(), path.clone()));
            }
        }
    }
    out
}

/// The status of opening the WebSocket with `token` (or none): 101 when it becomes ready;
/// a refused upgrade's status; 401 when the server closes a socket that never authenticated
/// (it may authenticate in its first frame, so the upgrade itself is accepted).
pub async fn ws_status(app: &TestApp, token: Option<&str>) -> u16 {
    let c = match token {
        Some(t) => app.client.with_token(t.to_owned()),
        None => app.client.clone(),
    };
    match c.ws().await {
        Ok(_) => 101,
        Err(confab_client::WsError::Refused { status, .. }) => status,
        Err(
            confab_client::WsError::Server { .. }
            | confab_client::WsError::Closed { .. }
            | confab_client::WsError::Timeout(_),
        ) if token.is_none() => 401,
        Err(e) => panic!("the WebSocket handshake failed: {e}"),
    }
}

/// A user's token after signing in again (the matrix's rows that end sessions).
pub async fn sign_in_again(app: &TestApp, u: &mut TestUser) {
    u.tokens = app.client.login(&u.username, PASSWORD).await.unwrap();
    u.client = app.client.signed_in(&u.tokens);
}
