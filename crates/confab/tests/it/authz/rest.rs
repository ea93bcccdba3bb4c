//! The authorization matrix of every secured route no feature matrix owns: accounts and
//! sessions, the social graph, conversations and messages, files and uploads, gifts and the
//! wallet, moments, reports, sync, the world channel and the calls that are not about one
//! call. Each cell is the status the column's user gets; a denied cell (4xx) must leave every
//! table of the store as it was.
//!
//! The columns are relations to one user, the *owner* `o`, whose things the rows act on:
//! `owner` (o), `friend` (o's friend, in o's direct chat and o's group), `stranger` (no
//! relation), `blocked` (o's friend, with a direct chat, whom o then blocked: the friendship
//! is suspended, the chat stays readable) and `sysadmin` (a system administrator with no
//! relation: it gets no more than a stranger outside `/admin`, but for deleting a moment,
//! which docs/moments.md gives it as moderation). Anonymous callers and
//! disabled accounts are the columns of `authz::sweep` (401 on every secured route).
//! Group roles (member, muted, admin, owner, left, banned) are `groups::matrix`'s columns,
//! room roles `rooms::matrix`'s; they do not apply to a direct chat, a profile or a wallet.
//!
//! Rows about the caller's own things (`/me…`, `/wallet`, lists, the feed) have no subject:
//! every column is "the caller", and the row shows each kind of account may use them.
//! Rows that would end the account (`DELETE /me`, a password change) are called with a
//! wrong password, so every cell is a denial that changes nothing; the allowed cases are in
//! `accounts`.
//!
//! Subjects: `{o}` (o's id), `{o_name}`, `{conv}` (o ↔ friend), `{bconv}` (o ↔ blocked),
//! `{gconv}` (o's private group, friend a member), `{seq}` (o's text in `{conv}`), `{file}`
//! (o's image, sent in `{conv}`), `{moment}` (o's friends-only moment), `{pmoment}` (o's
//! public moment), `{comment}` (friend's comment on `{moment}`), `{req_in}` (a pending
//! request to o from someone else), `{req_out}` (o's pending request to someone else),
//! `{osess}` (o's other session), `{gift}`, `{cmid}` (a fresh client id). Denied cells share
//! one set of subjects; an allowed cell of a `Fresh` row gets fresh ones of those it
//! consumes (`{seq}`, `{moment}`, `{comment}`, `{req_in}`, `{req_out}`, `{osess}`) and the
//! relations are put back afterwards (friends, the block, no follows, no calls ringing).

use std::collections::HashMap;

use confab_proto::moments::Visibility;
use serde_json::{Value, json};

use super::*;
use crate::moments::{image, moment_in};

pub use super::rest_table::{ACTORS, Fx, TABLE};
use Fx::{Fresh, Keep, Relog};

/// The owner's world: the people and the things the rows act on.
struct World {
    users: HashMap<&'static str, TestUser>,
    shared: HashMap<&'static str, String>,
}

impl World {
    fn u(&self, who: &str) -> &TestUser {
        &self.users[who]
    }
    fn token(&self, who: &str) -> Option<&str> {
        Some(self.users[who].tokens.access_token.as_str())
    }
}

/// `who` calls and expects a 2xx; the body as JSON.
async fn ok(app: &TestApp, w: &World, who: &str, method: &str, path: &str, body: &str) -> Value {
    let (status, text) = call(app, w.token(who), method, path, body).await;
    assert!(
        (200..300).contains(&status),
        "setting up: {who} {method} {path}: {status} {text}"
    );
    serde_json::from_str(&text).unwrap_or(Value::Null)
}

fn id_of(v: &Value, field: &str) -> String {
    match &v[field] {
        Value::String(s) => s.clone(),
        Value::Number(n) => n.to_string(),
        other => panic!("no `{field}` in {v}: {other}"),
    }
}

/// o sends a text in `{conv}`: its seq.
async fn new_seq(app: &TestApp, w: &World) -> String {
    let conv = &w.shared["conv"];
    let body = json!({"client_msg_id": unique("mx"), "kind": "text", "body": {"text": "mine"}});
    let v = ok(
        app,
        w,
        "owner",
        "POST",
        &format!("/api/v1/conversations/{conv}/messages"),
        &body.to_string(),
    )
    .await;
    id_of(&v, "seq")
}

async fn new_moment(app: &TestApp, w: &World, vis: &str) -> String {
    let body = json!({"text": "for the matrix", "visibility": vis});
    id_of(
        &ok(
            app,
            w,
            "owner",
            "POST",
            "/api/v1/moments",
            &body.to_string(),
        )
        .await,
        "id",
    )
}

async fn new_comment(app: &TestApp, w: &World) -> String {
    let m = &w.shared["moment"];
    let v = ok(
        app,
        w,
        "friend",
        "POST",
        &format!("/api/v1/moments/{m}/comments"),
        r#"{"text":"a comment"}"#,
    )
    .await;
    id_of(&v, "id")
}

/// A pending request: to o from a new user (`incoming`), or from o to a new user.
async fn new_request(app: &TestApp, w: &World, incoming: bool) -> String {
    let n = app.user("asker").await;
    let o = w.u("owner");
    let v: Value = if incoming {
        let b = json!({"user_id": o.id()}).to_string();
        let (s, t) = call(
            app,
            Some(&n.tokens.access_token),
            "POST",
            "/api/v1/friend-requests",
            &b,
        )
        .await;
        assert_eq!(s, 201, "{t}");
        serde_json::from_str(&t).unwrap()
    } else {
        let b = json!({"user_id": n.id()}).to_string();
        ok(app, w, "owner", "POST", "/api/v1/friend-requests", &b).await
    };
    id_of(&v, "id")
}

async fn new_session(app: &TestApp, w: &World) -> String {
    let o = w.u("owner");
    let t = app.client.login(&o.username, PASSWORD).await.unwrap();
    t.session_id.to_string()
}

/// Builds o's world.
async fn world(app: &TestApp) -> World {
    let mut users = HashMap::new();
    for who in ACTORS {
        let u = if who == "sysadmin" {
            app.admin(who).await
        } else {
            app.user(who).await
        };
        users.insert(who, u);
    }
    let mut w = World {
        users,
        shared: HashMap::new(),
    };
    let (o, f, b) = (w.u("owner"), w.u("friend"), w.u("blocked"));
    app.befriend(o, f).await;
    app.befriend(o, b).await;
    let conv = o.client.open_direct(f.id()).await.unwrap().id;
    let bconv = o.client.open_direct(b.id()).await.unwrap().id;
    b.client.send_text(bconv, "before the block").await.unwrap();
    o.client.block(b.id()).await.unwrap();
    let g = o
        .client
        .create_group(&crate::groups::group_in(
            "matrix",
            confab_proto::groups::Visibility::Private,
            confab_proto::groups::JoinPolicy::Open,
        ))
        .await
        .unwrap();
    let inv = o
        .client
        .create_invite(g.id, &confab_proto::groups::InviteIn::default())
        .await
        .unwrap();
    f.client.accept_invite(&inv.token).await.unwrap();
    let file = image(o).await;
    let img = confab_proto::messaging::MessageIn {
        client_msg_id: unique("img"),
        kind: "image".into(),
        body: json!({"file_id": file}),
        reply_to: None,
        mentions: None,
    };
    o.client.send(conv, &img).await.unwrap();
    let pm = o
        .client
        .post_moment(&moment_in(
            "public",
            Visibility::Public,
            &[],
            &[],
            vec![],
            vec![],
        ))
        .await
        .unwrap();
    let o_id = o.id().to_string();
    let o_name = o.username.clone();
    for (k, v) in [
        ("o", o_id.clone()),
        ("o_name", o_name),
        ("conv", conv.to_string()),
        ("bconv", bconv.to_string()),
        ("gconv", g.conversation_id.to_string()),
        ("file", file.to_string()),
        ("pmoment", pm.id.to_string()),
        ("provider", "google".to_owned()),
        ("emoji", "%F0%9F%91%8D".to_owned()),
    ] {
        w.shared.insert(k, v);
    }
    // A gift, and coins for everyone.
    let gift = ok(
        app,
        &w,
        "sysadmin",
        "POST",
        "/api/v1/admin/gifts",
        r#"{"name":"matrix rose","price":2}"#,
    )
    .await;
    w.shared.insert("gift", id_of(&gift, "id"));
    for who in ACTORS {
        let id = w.u(who).id();
        ok(
            app,
            &w,
            "sysadmin",
            "POST",
            &format!("/api/v1/admin/wallets/{id}/adjustments"),
            r#"{"currency":"coins","delta":100000,"reason":"matrix"}"#,
        )
        .await;
    }
    let seq = new_seq(app, &w).await;
    w.shared.insert("seq", seq);
    let moment = new_moment(app, &w, "friends").await;
    w.shared.insert("moment", moment);
    let comment = new_comment(app, &w).await;
    w.shared.insert("comment", comment);
    let req_in = new_request(app, &w, true).await;
    w.shared.insert("req_in", req_in);
    let req_out = new_request(app, &w, false).await;
    w.shared.insert("req_out", req_out);
    let osess = new_session(app, &w).await;
    w.shared.insert("osess", osess);
    w
}

/// The subjects a cell's path and body name: fresh ones of those an allowed `Fresh` cell
/// consumes, the shared ones otherwise.
async fn fill(app: &TestApp, w: &World, text: &str, fresh: bool) -> String {
    let mut s = text.replace("{cmid}", &unique("mx"));
    for key in [
        "seq", "moment", "comment", "req_in", "req_out", "osess", "o_name", "o", "conv", "bconv",
        "gconv", "file", "pmoment", "provider", "emoji", "gift",
    ] {
        let pat = format!("{{{key}}}");
        if !s.contains(&pat) {
            continue;
        }
        let value = match (fresh, key) {
            (true, "seq") => new_seq(app, w).await,
            (true, "moment") => new_moment(app, w, "friends").await,
            (true, "comment") => new_comment(app, w).await,
            (true, "req_in") => new_request(app, w, true).await,
            (true, "req_out") => new_request(app, w, false).await,
            (true, "osess") => new_session(app, w).await,
            _ => w.shared[key].clone(),
        };
        s = s.replace(&pat, &value);
    }
    s
}

/// Puts the relations back after an allowed `Fresh` cell: o and friend are friends, o
/// blocks blocked, nobody follows, hides from or mutes o, no call is ringing.
async fn repair(app: &TestApp, w: &World, who: &str, answer: &str) {
    let o = w.shared["o"].clone();
    if who != "owner" {
        for (m, p) in [
            ("DELETE", format!("/api/v1/blocks/{o}")),
            ("DELETE", format!("/api/v1/follows/{o}")),
            ("DELETE", format!("/api/v1/moments/hidden-from/{o}")),
            ("DELETE", format!("/api/v1/moments/muted/{o}")),
        ] {
            call(app, w.token(who), m, &p, "").await;
        }
    }
    let b = w.u("blocked").id();
    ok(app, w, "owner", "PUT", &format!("/api/v1/blocks/{b}"), "").await;
    app.befriend(w.u("owner"), w.u("friend")).await;
    // A call the cell started ends.
    if let Ok(v) = serde_json::from_str::<Value>(answer)
        && v.get("kind").is_some()
        && v.get("media").is_some()
        && let Some(id) = v.get("id").and_then(Value::as_str)
    {
        for end in ["hangup", "end"] {
            call(
                app,
                w.token(who),
                "POST",
                &format!("/api/v1/calls/{id}/{end}"),
                "",
            )
            .await;
        }
    }
}

/// Walks every cell: the status, and for a denial an unchanged store.
async fn every_other_route(app: TestApp) {
    let mut w = world(&app).await;
    let tables = tables(&app).await;
    let mut failures = Vec::new();
    let mut cells = 0;
    for r in TABLE {
        for (col, who) in ACTORS.iter().enumerate() {
            let expect = r.expect[col];
            let allowed = expect < 400;
            let fresh = allowed && r.fx == Fresh;
            let path = fill(&app, &w, r.path, fresh).await;
            let body = fill(&app, &w, r.body, fresh).await;
            let before = if allowed {
                Vec::new()
            } else {
                snapshot(&app, &tables).await
            };
            let (got, answer) = if r.path == "/api/v1/ws" {
                (ws_status(&app, w.token(who)).await, String::new())
            } else {
                call(&app, w.token(who), r.method, &path, &body).await
            };
            cells += 1;
            if got != expect {
                failures.push(format!(
                    "{} {} as {who}: expected {expect}, got {got} {}",
                    r.method,
                    r.path,
                    answer.chars().take(200).collect::<String>()
                ));
            }
            if !allowed {
                let after = snapshot(&app, &tables).await;
                if before != after {
                    failures.push(format!(
                        "{} {} as {who} was denied but changed the store: {}",
                        r.method,
                        r.path,
                        diff(&before, &after)
                    ));
                }
            }
            if got < 400 {
                match r.fx {
                    Keep => {}
                    Fresh => repair(&app, &w, who, &answer).await,
                    Relog => sign_in_again(&app, w.users.get_mut(who).unwrap()).await,
                }
            }
        }
    }
    assert!(cells >= TABLE.len() * ACTORS.len());
    assert!(
        failures.is_empty(),
        "{} of {cells} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

backend_fn_tests!(every_other_route_by_every_relation);

async fn every_other_route_by_every_relation(backend: Backend) {
    // The matrix sends a few dozen friend requests in a minute.
    let app = TestApp::spawn_with(backend, |c| c.social.requests_per_minute = 10_000).await;
    every_other_route(app).await;
}
