//! The authorization matrix: every room endpoint (and the room chat's send and history) ×
//! {owner, admin, member, outsider, kicked, system admin}. Each cell is the expected status
//! (docs/rooms.md: owner > admin > member, nobody acts on the owner, system administrators
//! act with the owner's authority, a private room's seats and members are seen only by those
//! in it and its managers, the status check is open to anyone signed in). A denied cell
//! (4xx) must leave the store exactly as it was: a snapshot of every rooms table and every
//! conversation table before and after. Every row is also called without a token (401, and
//! nothing changes). A meta-check fails when a `/rooms…`, `/me/room`, `/room-tags` or
//! `/admin/room-tags…` route of the OpenAPI document has no row.
//!
//! Fixtures: a room of the row's kind with the owner, an appointed admin and a member in it,
//! a user kicked with a ban in force, a plain member `target` to act on, and an outsider and
//! a system administrator who are not in it. Free rooms (public F, private P): the owner on
//! seat 1 (muted), the admin on seat 2, the target on seat 3 (and muted in the chat), seat 7
//! muted, seat 8 locked. Apply rooms: nobody seated, seat 7 muted, seat 8 locked; in A the
//! member has a pending application (seat 5) and a pending invitation (seat 6), in B nothing
//! is pending. Nobody has a socket and the clock never moves, so the grace sweep leaves the
//! store alone. A user is in one room at a time, so the cast moves to each new fixture (the
//! previous one is closed first); denied cells share the current fixture (they change
//! nothing, which the snapshot proves); each allowed cell of a changing row gets a fresh one.

use std::collections::HashMap;

use confab::config::Secret;
use confab_proto::rooms::{RoomKickIn, RoomMuteIn, RoomMuteLength, SeatAction, SeatActionIn};

use super::*;

/// Who acts, in column order.
const ACTORS: [&str; 6] = ["owner", "admin", "member", "outsider", "kicked", "sysadmin"];

/// A private room's password.
const PASSWORD_P: &str = "open sesame";

/// The room tag the fixtures keep on the list.
const TAG: &str = "mxtag";

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    /// Public, free seats.
    F,
    /// Private (password), free seats.
    P,
    /// Public, apply mode, with the member's application and invitation pending.
    A,
    /// Public, apply mode, nothing pending.
    B,
}

use Kind::{A, B, F, P};

/// One endpoint (as the OpenAPI document names it, with the row's subjects filled in), on a
/// fixture kind, with a body; the expected status per actor; whether an allowed call changes
/// the fixture.
struct Row {
    method: &'static str,
    path: &'static str,
    kind: Kind,
    body: &'static str,
    expect: [u16; 6],
    changes: bool,
}

const fn row(
    method: &'static str,
    path: &'static str,
    kind: Kind,
    body: &'static str,
    expect: [u16; 6],
    changes: bool,
) -> Row {
    Row {
        method,
        path,
        kind,
        body,
        expect,
        changes,
    }
}

/// The expected table. Columns: owner, admin, member, outsider, kicked, sysadmin.
/// Subjects: `{owner}`, `{admin}`, `{member}`, `{kicked}`, `{target}` (users), `{conv}` (the
/// room chat), `{cmid}` (a fresh client message id), `{tag}`.
const TABLE: &[Row] = &[
    // ---------------------------------------------------------------- rooms
    row(
        "POST",
        "/rooms",
        F,
        r#"{"name":"made here"}"#,
        [201, 201, 201, 201, 201, 201],
        false,
    ),
    row(
        "GET",
        "/rooms",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/rooms/recommended",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/rooms/{id}",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    // A private room is listed, so anyone may read it (not its people).
    row(
        "GET",
        "/rooms/{id}",
        P,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    // The owner changes anything; an admin the announcement and mute-all only.
    row(
        "PATCH",
        "/rooms/{id}",
        F,
        r#"{"announcement":"hello"}"#,
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "PATCH",
        "/rooms/{id}",
        F,
        r#"{"mute_all":true}"#,
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "PATCH",
        "/rooms/{id}",
        F,
        r#"{"name":"renamed"}"#,
        [200, 403, 403, 403, 403, 200],
        true,
    ),
    row(
        "PATCH",
        "/rooms/{id}",
        P,
        r#"{"seat_mode":"apply"}"#,
        [200, 403, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/close",
        F,
        "",
        [204, 403, 403, 403, 403, 204],
        true,
    ),
    // Entering the room one is in answers as an entry; the kicked stay out.
    row(
        "POST",
        "/rooms/{id}/join",
        F,
        "",
        [200, 200, 200, 200, 403, 200],
        true,
    ),
    // A private room wants its password, except from its owner, admins and system admins.
    row(
        "POST",
        "/rooms/{id}/join",
        P,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/join",
        P,
        r#"{"password":"open sesame"}"#,
        [200, 200, 200, 200, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/leave",
        F,
        "",
        [204, 204, 204, 403, 403, 403],
        true,
    ),
    row(
        "GET",
        "/me/room",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/rooms/{id}/members",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/rooms/{id}/members",
        P,
        "",
        [200, 200, 200, 403, 403, 200],
        false,
    ),
    // The status check is open to anyone signed in, private rooms included.
    row(
        "GET",
        "/rooms/{id}/members/{target}/status",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/rooms/{id}/members/{kicked}/status",
        P,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    // ---------------------------------------------------------------- moderation
    row(
        "PUT",
        "/rooms/{id}/admins/{target}",
        F,
        "",
        [204, 403, 403, 403, 403, 204],
        true,
    ),
    row(
        "PUT",
        "/rooms/{id}/admins/{owner}",
        F,
        "",
        [422, 403, 403, 403, 403, 422],
        true,
    ),
    row(
        "DELETE",
        "/rooms/{id}/admins/{admin}",
        F,
        "",
        [204, 403, 403, 403, 403, 204],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/kicks",
        F,
        r#"{"user_id":"{target}"}"#,
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/kicks",
        F,
        r#"{"user_id":"{admin}"}"#,
        [200, 422, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/kicks",
        F,
        r#"{"user_id":"{owner}"}"#,
        [422, 403, 403, 403, 403, 403],
        true,
    ),
    // Lifting a ban: managers, over whom they outrank; the kicked cannot lift their own.
    row(
        "DELETE",
        "/rooms/{id}/kicks/{kicked}",
        F,
        "",
        [204, 204, 403, 403, 403, 204],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/mutes",
        F,
        r#"{"user_id":"{target}","length":"24h"}"#,
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/mutes",
        F,
        r#"{"user_id":"{admin}","length":"1h"}"#,
        [200, 422, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/mutes",
        F,
        r#"{"user_id":"{owner}","length":"1h"}"#,
        [422, 403, 403, 403, 403, 403],
        true,
    ),
    row(
        "DELETE",
        "/rooms/{id}/mutes/{target}",
        F,
        "",
        [204, 204, 403, 403, 403, 204],
        true,
    ),
    // Media tokens: those in the room (system admins are not in it).
    row(
        "POST",
        "/rooms/{id}/media-token",
        F,
        "",
        [200, 200, 200, 403, 403, 403],
        false,
    ),
    // ---------------------------------------------------------------- tags
    row(
        "GET",
        "/room-tags",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "PUT",
        "/admin/room-tags/{tag}",
        F,
        r#"{"weight":5}"#,
        [403, 403, 403, 403, 403, 200],
        false,
    ),
    row(
        "DELETE",
        "/admin/room-tags/{tag}",
        F,
        "",
        [403, 403, 403, 403, 403, 204],
        true,
    ),
    // ---------------------------------------------------------------- seats
    row(
        "GET",
        "/rooms/{id}/seats",
        F,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/rooms/{id}/seats",
        P,
        "",
        [200, 200, 200, 403, 403, 200],
        false,
    ),
    // Free mode: anyone in the room (the owner and admin hold seats already).
    row(
        "POST",
        "/rooms/{id}/seats/4/take",
        F,
        "",
        [409, 409, 200, 403, 403, 403],
        true,
    ),
    // Apply mode: the owner and admins only.
    row(
        "POST",
        "/rooms/{id}/seats/4/take",
        B,
        "",
        [200, 200, 409, 403, 403, 403],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/3/kick",
        F,
        r#"{"reason":"noise"}"#,
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/2/kick",
        F,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    // Nobody acts on the owner's seat but the owner.
    row(
        "POST",
        "/rooms/{id}/seats/1/kick",
        F,
        "",
        [200, 403, 403, 403, 403, 403],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/3/lock",
        F,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/1/lock",
        F,
        "",
        [200, 403, 403, 403, 403, 403],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/8/unlock",
        F,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/3/mute",
        F,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/1/mute",
        F,
        "",
        [200, 403, 403, 403, 403, 403],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/7/unmute",
        F,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/1/unmute",
        F,
        "",
        [200, 403, 403, 403, 403, 403],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/leave",
        F,
        "",
        [200, 200, 409, 409, 409, 409],
        true,
    ),
    row(
        "PUT",
        "/rooms/{id}/seats/mic",
        F,
        r#"{"on":false}"#,
        [200, 200, 409, 409, 409, 409],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/move",
        F,
        r#"{"user_id":"{target}","to":5}"#,
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/seats/move",
        F,
        r#"{"user_id":"{owner}","to":5}"#,
        [200, 403, 403, 403, 403, 403],
        true,
    ),
    // A swap onto the owner's seat acts on the owner too.
    row(
        "POST",
        "/rooms/{id}/seats/move",
        F,
        r#"{"user_id":"{target}","to":1,"swap":true}"#,
        [200, 403, 403, 403, 403, 403],
        true,
    ),
    // ---------------------------------------------------------------- requests
    row(
        "POST",
        "/rooms/{id}/applications",
        B,
        r#"{"position":5}"#,
        [201, 201, 201, 403, 403, 403],
        true,
    ),
    // Managers see every application, others their own: every caller is answered.
    row(
        "GET",
        "/rooms/{id}/applications",
        A,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "DELETE",
        "/rooms/{id}/applications/mine",
        A,
        "",
        [404, 404, 204, 404, 404, 404],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/applications/{member}/approve",
        A,
        "",
        [200, 200, 403, 403, 403, 200],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/applications/{member}/reject",
        A,
        "",
        [204, 204, 403, 403, 403, 204],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/invitations",
        A,
        r#"{"user_id":"{target}","position":4}"#,
        [201, 201, 403, 403, 403, 201],
        true,
    ),
    row(
        "GET",
        "/rooms/{id}/invitations",
        A,
        "",
        [200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "POST",
        "/rooms/{id}/invitations/mine/accept",
        A,
        "",
        [404, 404, 200, 404, 404, 404],
        true,
    ),
    row(
        "POST",
        "/rooms/{id}/invitations/mine/decline",
        A,
        "",
        [404, 404, 204, 404, 404, 404],
        true,
    ),
    // ---------------------------------------------------------------- the room chat
    // Those in the room send; the kicked left it (their window is closed); the others were
    // never in it.
    row(
        "POST",
        "/conversations/{conv}/messages",
        F,
        r#"{"client_msg_id":"{cmid}","kind":"text","body":{"text":"hi"}}"#,
        [201, 201, 201, 404, 403, 404],
        true,
    ),
    // History: up to where one's window closed.
    row(
        "GET",
        "/conversations/{conv}/messages",
        F,
        "",
        [200, 200, 200, 404, 200, 404],
        false,
    ),
];

/// The people of the matrix.
struct Cast {
    users: HashMap<&'static str, TestUser>,
    /// The member acted on.
    target: TestUser,
}

impl Cast {
    fn id(&self, who: &str) -> String {
        match who {
            "target" => self.target.id().to_string(),
            w => self.users[w].id().to_string(),
        }
    }
}

/// Builds a fixture room of `kind` (see the module doc).
async fn fixture(cast: &Cast, kind: Kind) -> RoomOut {
    let u = |w: &str| &cast.users[w];
    let owner = &u("owner").client;
    cast.users["sysadmin"]
        .client
        .put_room_tag(TAG, Some(1))
        .await
        .unwrap();
    let mut input = room_in(&unique("mx"));
    input.seat_count = Some(8);
    input.seat_mode = Some(if matches!(kind, A | B) {
        SeatMode::Apply
    } else {
        SeatMode::Free
    });
    input.visibility = Some(if kind == P {
        RoomVisibility::Private
    } else {
        RoomVisibility::Public
    });
    if kind == P {
        input.password = Some(PASSWORD_P.into());
    }
    let r = owner.create_room(&input).await.unwrap();
    let pw = (kind == P).then_some(PASSWORD_P);
    for who in ["owner", "admin", "member", "kicked"] {
        u(who).client.join_room(r.id, pw).await.unwrap();
    }
    cast.target.client.join_room(r.id, pw).await.unwrap();
    owner
        .set_room_admin(r.id, u("admin").id(), true)
        .await
        .unwrap();
    let kick = RoomKickIn {
        user_id: u("kicked").id(),
        reason: Some("matrix".into()),
        ban_secs: None,
    };
    owner.kick_from_room(r.id, &kick).await.unwrap();
    let none = SeatActionIn::default();
    if matches!(kind, F | P) {
        owner
            .seat_action(r.id, 1, SeatAction::Take, &none)
            .await
            .unwrap();
        owner
            .seat_action(r.id, 1, SeatAction::Mute, &none)
            .await
            .unwrap();
        u("admin")
            .client
            .seat_action(r.id, 2, SeatAction::Take, &none)
            .await
            .unwrap();
        cast.target
            .client
            .seat_action(r.id, 3, SeatAction::Take, &none)
            .await
            .unwrap();
        let mute = RoomMuteIn {
            user_id: cast.target.id(),
            length: RoomMuteLength::OneHour,
        };
        owner.mute_in_room(r.id, &mute).await.unwrap();
    }
    owner
        .seat_action(r.id, 7, SeatAction::Mute, &none)
        .await
        .unwrap();
    owner
        .seat_action(r.id, 8, SeatAction::Lock, &none)
        .await
        .unwrap();
    if kind == A {
        u("member")
            .client
            .apply_for_seat(r.id, Some(5))
            .await
            .unwrap();
        owner
            .invite_to_seat(r.id, u("member").id(), Some(6))
            .await
            .unwrap();
    }
    r
}

/// Every table a room change may touch.
const TABLES: [&str; 12] = [
    "rooms",
    "room_seats",
    "room_presence",
    "room_admins",
    "room_kicks",
    "room_mutes",
    "room_requests",
    "room_tags",
    "conversations",
    "conversation_members",
    "messages",
    "reactions",
];

fn fill(s: &str, room: &RoomOut, cast: &Cast) -> String {
    let mut s = s
        .replace("{id}", &room.id.to_string())
        .replace("{conv}", &room.conversation_id.to_string())
        .replace("{tag}", TAG)
        .replace("{cmid}", &unique("mx"))
        .replace("{target}", &cast.id("target"));
    for who in ["owner", "admin", "member", "kicked"] {
        s = s.replace(&format!("{{{who}}}"), &cast.id(who));
    }
    s
}

/// Calls `path` as `token`'s user (anonymously without one): the status and the body.
async fn call(
    app: &TestApp,
    token: Option<&str>,
    method: &str,
    path: &str,
    body: &str,
) -> (u16, String) {
    let mut url = format!("/api/v1{path}");
    if method == "GET" && path == "/rooms" {
        url.push_str("?q=mx");
    }
    crate::authz::call(app, token, method, &url, body).await
}

/// The fixture in use: its room and whether an allowed call changed it.
struct Current {
    kind: Kind,
    room: RoomOut,
    dirty: bool,
}

/// A fixture of `kind` that no allowed call has changed: the current one, or a new one (the
/// current room closed first, which takes everyone out of it and keeps the owner under the
/// open-rooms limit).
async fn pristine<'a>(cur: &'a mut Option<Current>, cast: &Cast, kind: Kind) -> &'a RoomOut {
    let reuse = cur.as_ref().is_some_and(|c| c.kind == kind && !c.dirty);
    if !reuse {
        if let Some(c) = cur.take() {
            match cast.users["owner"].client.close_room(c.room.id).await {
                Ok(()) => {}
                Err(e) if code(&e) == (409, "room_closed") => {}
                Err(e) => panic!("cannot close a fixture: {e}"),
            }
        }
        let room = fixture(cast, kind).await;
        *cur = Some(Current {
            kind,
            room,
            dirty: false,
        });
    }
    &cur.as_ref().unwrap().room
}

async fn every_room_endpoint(app: TestApp) {
    let mut users = HashMap::new();
    for who in ACTORS {
        let u = if who == "sysadmin" {
            app.admin(who).await
        } else {
            app.user(who).await
        };
        users.insert(who, u);
    }
    let cast = Cast {
        users,
        target: app.user("target").await,
    };
    let mut cur: Option<Current> = None;
    let mut failures = Vec::new();
    for r in TABLE {
        for (col, who) in ACTORS.iter().enumerate() {
            let expect = r.expect[col];
            let allowed = expect < 400;
            let room = pristine(&mut cur, &cast, r.kind).await.clone();
            let actor = &cast.users[who];
            let path = fill(r.path, &room, &cast);
            let body = fill(r.body, &room, &cast);
            let before = if allowed {
                Vec::new()
            } else {
                crate::authz::snapshot(&app, &TABLES).await
            };
            let token = Some(actor.tokens.access_token.as_str());
            let (got, answer) = call(&app, token, r.method, &path, &body).await;
            if got != expect {
                failures.push(format!(
                    "{} {} ({:?}) {} as {who}: expected {expect}, got {got} {answer}",
                    r.method, r.path, r.kind, r.body
                ));
            }
            if got < 400 && r.changes {
                cur.as_mut().unwrap().dirty = true;
            }
            if got == 201 && r.path == "/rooms" {
                // Keep the actor under the open-rooms limit.
                let made: RoomOut = serde_json::from_str(&answer).unwrap();
                actor.client.close_room(made.id).await.unwrap();
            }
            if !allowed {
                let after = crate::authz::snapshot(&app, &TABLES).await;
                if before != after {
                    failures.push(format!(
                        "{} {} ({:?}) as {who} was denied but changed the store: {}",
                        r.method,
                        r.path,
                        r.kind,
                        crate::authz::diff(&before, &after)
                    ));
                }
            }
        }
    }
    // Without a token: 401 everywhere, and nothing changes.
    for r in TABLE {
        let room = pristine(&mut cur, &cast, r.kind).await.clone();
        let path = fill(r.path, &room, &cast);
        let body = fill(r.body, &room, &cast);
        let before = crate::authz::snapshot(&app, &TABLES).await;
        let (got, answer) = call(&app, None, r.method, &path, &body).await;
        if got != 401 {
            failures.push(format!(
                "{} {} ({:?}) without a token: expected 401, got {got} {answer}",
                r.method, r.path, r.kind
            ));
        }
        let after = crate::authz::snapshot(&app, &TABLES).await;
        if before != after {
            failures.push(format!(
                "{} {} ({:?}) without a token changed the store: {}",
                r.method,
                r.path,
                r.kind,
                crate::authz::diff(&before, &after)
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} cells wrong:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

/// The matrix's node: the default config plus a LiveKit key, so a media token is a 200 for
/// those who may have one (the 503 without a key is `rooms::media`'s).
fn with_media_key(c: &mut confab::config::Config) {
    c.media.livekit_api_key = "APImatrix".into();
    c.media.livekit_api_secret = Secret::new("m".repeat(40));
}

// `backend_tests!`, with the node's config tweaked: SQLite always, MariaDB + Redis when asked.
mod every_room_endpoint_by_every_actor {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn sqlite() {
        every_room_endpoint(TestApp::spawn_with(Backend::Sqlite, with_media_key).await).await;
    }

    #[cfg_attr(
        not(all(confab_mysql, confab_redis)),
        ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
    )]
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn mysql_redis() {
        let Some(backend) = Backend::cluster() else {
            return;
        };
        every_room_endpoint(TestApp::spawn_with(backend, with_media_key).await).await;
    }
}

/// The path a row stands for in the OpenAPI document.
fn documented(r: &Row) -> (String, String) {
    let mut p = r.path.to_owned();
    for who in ["target", "owner", "admin", "member", "kicked"] {
        p = p.replace(&format!("{{{who}}}"), "{user_id}");
    }
    p = p.replace("{tag}", "{name}").replace("{conv}", "{id}");
    // `/rooms/{id}/seats/4/take` → `/rooms/{id}/seats/{position}/{action}`.
    let parts: Vec<&str> = p.split('/').collect();
    if let [.., "seats", pos, _action] = parts.as_slice()
        && pos.parse::<u32>().is_ok()
    {
        let keep = parts.len() - 2;
        p = format!("{}/{{position}}/{{action}}", parts[..keep].join("/"));
    }
    (r.method.to_lowercase(), format!("/api/v1{p}"))
}

/// Every row's route as the OpenAPI document names it (for `authz::coverage`, the meta-test
/// over every matrix).
pub(crate) fn routes() -> Vec<(String, String)> {
    TABLE
        .iter()
        .map(|r| {
            let (m, p) = documented(r);
            (m.to_uppercase(), p)
        })
        .collect()
}

backend_tests! {
    // The owner's kick holds for an admin too: kicked, an admin may neither re-enter while
    // the ban lasts nor lift their own ban (and another admin may not lift it: an admin acts
    // only on members). Lifted by the owner, they come back.
    async fn a_kicked_admin_stays_out(app) {
        let owner = app.user("owner").await;
        let a1 = app.user("admin1").await;
        let a2 = app.user("admin2").await;
        let r = room(&owner, "Kicked admin", 4, SeatMode::Free).await;
        for u in [&owner, &a1, &a2] {
            u.client.join_room(r.id, None).await.unwrap();
        }
        owner.client.set_room_admin(r.id, a1.id(), true).await.unwrap();
        owner.client.set_room_admin(r.id, a2.id(), true).await.unwrap();
        let kick = RoomKickIn { user_id: a1.id(), reason: None, ban_secs: Some(600) };
        owner.client.kick_from_room(r.id, &kick).await.unwrap();
        let e = a1.client.join_room(r.id, None).await.unwrap_err();
        assert_eq!(code(&e), (403, "kicked_from_room"));
        let e = a1.client.lift_room_kick(r.id, a1.id()).await.unwrap_err();
        assert_eq!(code(&e), (422, "cannot_target_self"));
        let e = a2.client.lift_room_kick(r.id, a1.id()).await.unwrap_err();
        assert_eq!(code(&e), (403, "room_role_required"));
        let st = a2.client.room_member_status(r.id, a1.id()).await.unwrap();
        assert!(st.kicked && !st.present);
        let e = a1.client.join_room(r.id, None).await.unwrap_err();
        assert_eq!(code(&e), (403, "kicked_from_room"), "still banned");
        owner.client.lift_room_kick(r.id, a1.id()).await.unwrap();
        a1.client.join_room(r.id, None).await.unwrap();
        let st = owner.client.room_member_status(r.id, a1.id()).await.unwrap();
        assert!(st.present && !st.kicked);
    }

    // An admin may not unmute the owner's seat (nobody acts on the owner), nor may a system
    // administrator; the owner may, and an admin unmutes a member's seat.
    async fn only_the_owner_unmutes_the_owners_seat(app) {
        let owner = app.user("owner").await;
        let admin = app.user("admin").await;
        let m = app.user("member").await;
        let sys = app.admin("sys").await;
        let r = room(&owner, "Muted owner", 4, SeatMode::Free).await;
        for u in [&owner, &admin, &m] {
            u.client.join_room(r.id, None).await.unwrap();
        }
        owner.client.set_room_admin(r.id, admin.id(), true).await.unwrap();
        let none = SeatActionIn::default();
        owner.client.seat_action(r.id, 1, SeatAction::Take, &none).await.unwrap();
        owner.client.seat_action(r.id, 1, SeatAction::Mute, &none).await.unwrap();
        m.client.seat_action(r.id, 2, SeatAction::Take, &none).await.unwrap();
        owner.client.seat_action(r.id, 2, SeatAction::Mute, &none).await.unwrap();
        let v = owner.client.seats(r.id).await.unwrap().version;
        for u in [&admin, &sys] {
            let e = u.client.seat_action(r.id, 1, SeatAction::Unmute, &none).await.unwrap_err();
            assert_eq!(code(&e), (403, "room_role_required"));
        }
        let s = owner.client.seats(r.id).await.unwrap();
        assert!(s.seats[0].muted && s.version == v, "refusals change nothing: {s:?}");
        let s = admin.client.seat_action(r.id, 2, SeatAction::Unmute, &none).await.unwrap();
        assert!(!s.seats[1].muted);
        let s = owner.client.seat_action(r.id, 1, SeatAction::Unmute, &none).await.unwrap();
        assert!(!s.seats[0].muted);
    }
}
