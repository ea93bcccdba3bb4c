//! The authorization matrix: every group endpoint (and the group's send and history) ×
//! {stranger, member, muted member, admin, owner, banned, left member, system admin}.
//! Each cell is the expected status; a denied cell (4xx) must leave the store exactly as it
//! was (a snapshot of every group and conversation table before and after). A meta-check
//! fails when a `/groups…` or `/invites…` route of the OpenAPI document has no row.
//!
//! Fixtures: a group of the row's kind (private, public open, public by approval) with an
//! owner, an admin, a member, a permanently muted member, a banned (kicked) user, a user who
//! left, a plain member `target` to act on, an invite token and (approval groups) a pending
//! join request. Denied cells share one fixture per kind (they change nothing, which the
//! snapshot proves); each allowed cell of a changing row gets a fresh one.

use std::collections::HashMap;

use confab_proto::groups::{
    GroupIn, InviteIn, JoinOut, JoinPolicy, KickQuery, MemberPatch, MuteFor, Role, Visibility,
};

use super::*;

/// Who acts, in column order.
const ACTORS: [&str; 8] = [
    "stranger", "member", "muted", "admin", "owner", "banned", "left", "sysadmin",
];

#[derive(Clone, Copy, PartialEq, Eq, Hash, Debug)]
enum Kind {
    /// Private, open.
    P,
    /// Public, open.
    O,
    /// Public, by approval.
    A,
}

/// One endpoint (as the OpenAPI document names it), on a fixture kind, with a body; the
/// expected status per actor; whether an allowed call changes the fixture.
struct Row {
    method: &'static str,
    path: &'static str,
    kind: Kind,
    body: &'static str,
    expect: [u16; 8],
    changes: bool,
}

const fn row(
    method: &'static str,
    path: &'static str,
    kind: Kind,
    body: &'static str,
    expect: [u16; 8],
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

use Kind::{A, O, P};

/// The expected table. Columns: stranger, member, muted, admin, owner, banned, left, sysadmin.
/// `{user_id}` is the row's subject (see `subject`); `{token}` the fixture's invite;
/// `{request_id}` its pending join request; `{conv}` its conversation.
const TABLE: &[Row] = &[
    row(
        "POST",
        "/groups",
        P,
        r#"{"name":"new","visibility":"private","join_policy":"open"}"#,
        [201, 201, 201, 201, 201, 201, 201, 201],
        false,
    ),
    row(
        "GET",
        "/groups",
        P,
        "",
        [200, 200, 200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/groups/{id}",
        P,
        "",
        [404, 200, 200, 200, 200, 404, 404, 404],
        false,
    ),
    row(
        "GET",
        "/groups/{id}",
        O,
        "",
        [200, 200, 200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "GET",
        "/groups/by-conversation/{conv}",
        P,
        "",
        [404, 200, 200, 200, 200, 404, 404, 404],
        false,
    ),
    row(
        "GET",
        "/groups/by-conversation/{conv}",
        O,
        "",
        [200, 200, 200, 200, 200, 200, 200, 200],
        false,
    ),
    row(
        "PATCH",
        "/groups/{id}",
        P,
        r#"{"announcement":"hello"}"#,
        [404, 403, 403, 200, 200, 404, 404, 404],
        true,
    ),
    row(
        "PATCH",
        "/groups/{id}",
        O,
        r#"{"announcement":"hello"}"#,
        [403, 403, 403, 200, 200, 403, 403, 403],
        true,
    ),
    row(
        "DELETE",
        "/groups/{id}",
        P,
        "",
        [404, 403, 403, 403, 204, 404, 404, 404],
        true,
    ),
    row(
        "GET",
        "/groups/{id}/members",
        P,
        "",
        [404, 200, 200, 200, 200, 404, 404, 404],
        false,
    ),
    row(
        "GET",
        "/groups/{id}/members",
        O,
        "",
        [403, 200, 200, 200, 200, 403, 403, 403],
        false,
    ),
    row(
        "POST",
        "/groups/{id}/members",
        P,
        r#"{"user_ids":["{stranger}"]}"#,
        [404, 403, 403, 403, 403, 404, 404, 404],
        true,
    ),
    row(
        "PATCH",
        "/groups/{id}/members/{user_id}",
        P,
        r#"{"mute":"1h"}"#,
        [404, 403, 403, 200, 200, 404, 404, 404],
        true,
    ),
    row(
        "PATCH",
        "/groups/{id}/members/{user_id}",
        P,
        r#"{"role":"admin"}"#,
        [404, 403, 403, 403, 200, 404, 404, 404],
        true,
    ),
    row(
        "PATCH",
        "/groups/{id}/members/{me}",
        P,
        r#"{"nickname":"nick"}"#,
        [404, 200, 200, 200, 200, 404, 404, 404],
        true,
    ),
    row(
        "DELETE",
        "/groups/{id}/members/{user_id}",
        P,
        "",
        [404, 403, 403, 204, 204, 404, 404, 404],
        true,
    ),
    row(
        "DELETE",
        "/groups/{id}/members/{owner}",
        P,
        "",
        [404, 403, 403, 403, 422, 404, 404, 404],
        true,
    ),
    row(
        "POST",
        "/groups/{id}/join",
        P,
        "",
        [404, 409, 409, 409, 409, 404, 404, 404],
        true,
    ),
    row(
        "POST",
        "/groups/{id}/join",
        O,
        "",
        [200, 409, 409, 409, 409, 403, 200, 200],
        true,
    ),
    row(
        "POST",
        "/groups/{id}/join",
        A,
        "",
        [202, 409, 409, 409, 409, 403, 202, 202],
        true,
    ),
    row(
        "POST",
        "/groups/{id}/leave",
        P,
        "",
        [404, 204, 204, 204, 409, 404, 404, 404],
        true,
    ),
    row(
        "POST",
        "/groups/{id}/transfer",
        P,
        r#"{"user_id":"{target}"}"#,
        [404, 403, 403, 403, 200, 404, 404, 404],
        true,
    ),
    row(
        "PUT",
        "/groups/{id}/mute-all",
        P,
        r#"{"muted":true}"#,
        [404, 403, 403, 200, 200, 404, 404, 404],
        true,
    ),
    row(
        "GET",
        "/groups/{id}/invites",
        P,
        "",
        [404, 403, 403, 200, 200, 404, 404, 404],
        false,
    ),
    row(
        "POST",
        "/groups/{id}/invites",
        P,
        "",
        [404, 403, 403, 201, 201, 404, 404, 404],
        true,
    ),
    row(
        "DELETE",
        "/groups/{id}/invites/{token}",
        P,
        "",
        [404, 403, 403, 204, 204, 404, 404, 404],
        true,
    ),
    row(
        "POST",
        "/invites/{token}/accept",
        P,
        "",
        [200, 409, 409, 409, 409, 403, 200, 200],
        true,
    ),
    row(
        "GET",
        "/groups/{id}/join-requests",
        A,
        "",
        [403, 403, 403, 200, 200, 403, 403, 403],
        false,
    ),
    row(
        "POST",
        "/groups/{id}/join-requests/{request_id}/approve",
        A,
        "",
        [403, 403, 403, 200, 200, 403, 403, 403],
        true,
    ),
    row(
        "POST",
        "/groups/{id}/join-requests/{request_id}/decline",
        A,
        "",
        [403, 403, 403, 200, 200, 403, 403, 403],
        true,
    ),
    row(
        "GET",
        "/groups/{id}/bans",
        P,
        "",
        [404, 403, 403, 200, 200, 404, 404, 404],
        false,
    ),
    row(
        "PUT",
        "/groups/{id}/bans/{user_id}",
        P,
        r#"{"reason":"spam"}"#,
        [404, 403, 403, 200, 200, 404, 404, 404],
        true,
    ),
    row(
        "DELETE",
        "/groups/{id}/bans/{banned}",
        P,
        "",
        [404, 403, 403, 204, 204, 404, 404, 404],
        true,
    ),
    // The group's conversation: muted members and mute rules refuse sends, never reads.
    row(
        "POST",
        "/conversations/{conv}/messages",
        P,
        r#"{"client_msg_id":"{cmid}","kind":"text","body":{"text":"hi"}}"#,
        [404, 201, 403, 201, 201, 403, 403, 404],
        true,
    ),
    row(
        "GET",
        "/conversations/{conv}/messages",
        P,
        "",
        [404, 200, 200, 200, 200, 200, 200, 404],
        false,
    ),
];

/// A fixture group with every role.
struct Fixture {
    group: GroupOut,
    token: String,
    request: Option<String>,
}

struct Cast {
    users: HashMap<&'static str, TestUser>,
    /// The member acted on.
    target: TestUser,
    /// Asks to join approval groups.
    requester: TestUser,
}

async fn fixture(app: &TestApp, cast: &Cast, kind: Kind) -> Fixture {
    let owner = &cast.users["owner"];
    let (visibility, join_policy) = match kind {
        P => (Visibility::Private, JoinPolicy::Open),
        O => (Visibility::Public, JoinPolicy::Open),
        A => (Visibility::Public, JoinPolicy::Approval),
    };
    let g = owner
        .client
        .create_group(&GroupIn {
            name: unique("fx"),
            ..group_in("", visibility, join_policy)
        })
        .await
        .unwrap();
    let inv = owner
        .client
        .create_invite(g.id, &InviteIn::default())
        .await
        .unwrap();
    for who in ["admin", "member", "muted", "banned", "left"] {
        cast.users[who]
            .client
            .accept_invite(&inv.token)
            .await
            .unwrap();
    }
    cast.target.client.accept_invite(&inv.token).await.unwrap();
    let c = &owner.client;
    c.update_group_member(
        g.id,
        cast.users["admin"].id(),
        &MemberPatch {
            role: Some(Role::Admin),
            ..MemberPatch::default()
        },
    )
    .await
    .unwrap();
    c.update_group_member(
        g.id,
        cast.users["muted"].id(),
        &MemberPatch {
            mute: Some(MuteFor::Permanent),
            ..MemberPatch::default()
        },
    )
    .await
    .unwrap();
    c.kick_group_member(
        g.id,
        cast.users["banned"].id(),
        &KickQuery {
            ban: Some(true),
            ban_until: None,
        },
    )
    .await
    .unwrap();
    cast.users["left"].client.leave_group(g.id).await.unwrap();
    let request = if kind == A {
        match cast.requester.client.join_group(g.id, None).await.unwrap() {
            JoinOut::Requested(r) => Some(r.id.to_string()),
            other => panic!("{other:?}"),
        }
    } else {
        None
    };
    let _ = app;
    Fixture {
        group: g,
        token: inv.token,
        request,
    }
}

/// Every table a group change may touch.
const TABLES: [&str; 9] = [
    "chat_groups",
    "group_members",
    "group_bans",
    "group_invites",
    "group_join_requests",
    "conversations",
    "conversation_members",
    "messages",
    "reactions",
];

fn fill(s: &str, fx: &Fixture, cast: &Cast, actor: &TestUser, subject: &str) -> String {
    s.replace("{id}", &fx.group.id.to_string())
        .replace("{conv}", &fx.group.conversation_id.to_string())
        .replace("{token}", &fx.token)
        .replace("{request_id}", fx.request.as_deref().unwrap_or("1"))
        .replace("{user_id}", subject)
        .replace("{me}", &actor.id().to_string())
        .replace("{owner}", &cast.users["owner"].id().to_string())
        .replace("{banned}", &cast.users["banned"].id().to_string())
        .replace("{target}", &cast.target.id().to_string())
        .replace("{stranger}", &cast.users["stranger"].id().to_string())
        .replace("{cmid}", &unique("mx"))
}

async fn call(app: &TestApp, actor: &TestUser, method: &str, path: &str, body: &str) -> u16 {
    let mut url = format!("/api/v1{path}");
    if method == "GET" && path == "/groups" {
        url.push_str("?q=fx");
    }
    let token = Some(actor.tokens.access_token.as_str());
    crate::authz::call(app, token, method, &url, body).await.0
}

backend_tests! {
    async fn every_group_endpoint_by_every_role(app) {
        let mut users = HashMap::new();
        for who in ACTORS {
            if who == "sysadmin" {
                users.insert(who, system_admin(&app).await);
            } else {
                users.insert(who, app.user(who).await);
            }
        }
        let cast = Cast { users, target: app.user("target").await, requester: app.user("requester").await };
        let mut shared: HashMap<Kind, Fixture> = HashMap::new();
        let mut failures = Vec::new();
        for r in TABLE {
            for (col, who) in ACTORS.iter().enumerate() {
                let expect = r.expect[col];
                let allowed = expect < 400;
                let fresh;
                let fx = if allowed && r.changes {
                    fresh = fixture(&app, &cast, r.kind).await;
                    &fresh
                } else {
                    if let std::collections::hash_map::Entry::Vacant(e) = shared.entry(r.kind) {
                        e.insert(fixture(&app, &cast, r.kind).await);
                    }
                    &shared[&r.kind]
                };
                let actor = &cast.users[who];
                // `{user_id}`: the target member, or (bans) a user outside the group.
                let subject = if r.path.contains("/bans/") { cast.requester.id() } else { cast.target.id() }.to_string();
                let path = fill(r.path, fx, &cast, actor, &subject);
                let body = fill(r.body, fx, &cast, actor, &subject);
                let before = if allowed { Vec::new() } else { crate::authz::snapshot(&app, &TABLES).await };
                let got = call(&app, actor, r.method, &path, &body).await;
                if got != expect {
                    failures.push(format!("{} {} ({:?}) as {who}: expected {expect}, got {got}", r.method, r.path, r.kind));
                }
                if !allowed {
                    let after = crate::authz::snapshot(&app, &TABLES).await;
                    if before != after {
                        failures.push(format!(
                            "{} {} ({:?}) as {who} was denied but changed the store: {}",
                            r.method, r.path, r.kind, crate::authz::diff(&before, &after)
                        ));
                    }
                }
            }
        }
        assert!(failures.is_empty(), "{} cells wrong:\n{}", failures.len(), failures.join("\n"));
    }
}

/// Every row's route as the OpenAPI document names it (for `authz::coverage`, the meta-test
/// over every matrix).
pub(crate) fn routes() -> Vec<(String, String)> {
    TABLE
        .iter()
        .map(|r| (r.method.to_owned(), format!("/api/v1{}", r.path)))
        .collect()
}
