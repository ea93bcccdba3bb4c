//! The authorization matrix of the calls routes: every route × every relation to a ringing
//! 1:1 call (anonymous, stranger, system admin, caller, callee) and to a group call
//! (anonymous, stranger, system admin, member, starter, the group's owner), each on a fresh
//! call, with the status it must get. A system administrator has no say over other people's
//! calls: it gets what a stranger gets. The routes that start calls are `authz::rest`'s.

use confab_client::Client;
use confab_proto::calls::CallMedia;
use confab_proto::ids::CallId;

use super::*;
use crate::groups::{join, open_group};
use crate::livekit::{KEY, secret};

#[derive(Clone, Copy, Debug)]
enum Act {
    Get,
    Accept,
    Decline,
    Cancel,
    Hangup,
    Join,
    Leave,
    End,
    Token,
}

const ALL: [Act; 9] = [
    Act::Get,
    Act::Accept,
    Act::Decline,
    Act::Cancel,
    Act::Hangup,
    Act::Join,
    Act::Leave,
    Act::End,
    Act::Token,
];

/// Every route of the table, as the OpenAPI document names it (for `authz::coverage`).
pub(crate) fn routes() -> Vec<(String, String)> {
    ALL.iter()
        .map(|act| {
            let (m, tail) = match act {
                Act::Get => ("GET", ""),
                Act::Accept => ("POST", "/accept"),
                Act::Decline => ("POST", "/decline"),
                Act::Cancel => ("POST", "/cancel"),
                Act::Hangup => ("POST", "/hangup"),
                Act::Join => ("POST", "/join"),
                Act::Leave => ("POST", "/leave"),
                Act::End => ("POST", "/end"),
                Act::Token => ("GET", "/token"),
            };
            (m.to_owned(), format!("/api/v1/calls/{{id}}{tail}"))
        })
        .collect()
}

/// The status `c` gets for `act` on call `id`.
async fn status(c: &Client, act: Act, id: CallId) -> u16 {
    let r = match act {
        Act::Get => c.get_call(id).await.map(|_| ()),
        Act::Accept => c.accept_call(id).await.map(|_| ()),
        Act::Decline => c.decline_call(id).await.map(|_| ()),
        Act::Cancel => c.cancel_call(id).await.map(|_| ()),
        Act::Hangup => c.hang_up_call(id).await.map(|_| ()),
        Act::Join => c.join_call(id).await.map(|_| ()),
        Act::Leave => c.leave_call(id).await.map(|_| ()),
        Act::End => c.end_call(id).await.map(|_| ()),
        Act::Token => c.call_token(id).await.map(|_| ()),
    };
    match r {
        Ok(()) => 200,
        Err(e) => e.status().unwrap_or(0),
    }
}

async fn matrix(backend: Backend) {
    let app = TestApp::spawn_with(backend, |c| {
        c.media.livekit_api_key = KEY.into();
        c.media.livekit_api_secret = confab::config::Secret::new(secret());
    })
    .await;
    let (alice, bob) = friends(&app).await;
    let stranger = app.user("stranger").await;
    let sys = app.admin("sys").await;
    let anon = app.client.clone();

    // A ringing 1:1 call from Alice to Bob.
    let who: [(&str, &Client, [u16; 9]); 5] = [
        ("anonymous", &anon, [401; 9]),
        ("stranger", &stranger.client, [404; 9]),
        ("sysadmin", &sys.client, [404; 9]),
        (
            "caller",
            &alice.client,
            [200, 403, 403, 200, 200, 404, 404, 404, 404],
        ),
        (
            "callee",
            &bob.client,
            [200, 200, 200, 403, 200, 404, 404, 404, 404],
        ),
    ];
    for (name, c, want) in who {
        for (act, want) in ALL.into_iter().zip(want) {
            let call = alice
                .client
                .invite_call(bob.id(), CallMedia::Audio)
                .await
                .unwrap();
            let got = status(c, act, call.id).await;
            assert_eq!(got, want, "1:1 call: {name} {act:?}");
            let _ = alice.client.hang_up_call(call.id).await;
        }
    }

    // A group call Bob starts in Carol's group.
    let owner = app.user("owner").await;
    let carol = app.user("carol").await;
    let g = open_group(&owner, "Matrix").await;
    join(&bob, &g).await;
    join(&carol, &g).await;
    let who: [(&str, &Client, [u16; 9]); 6] = [
        ("anonymous", &anon, [401; 9]),
        ("stranger", &stranger.client, [404; 9]),
        ("sysadmin", &sys.client, [404; 9]),
        (
            "member",
            &carol.client,
            [200, 404, 404, 404, 404, 200, 403, 403, 403],
        ),
        (
            "starter",
            &bob.client,
            [200, 422, 422, 422, 422, 200, 200, 200, 200],
        ),
        (
            "owner",
            &owner.client,
            [200, 404, 404, 404, 404, 200, 403, 200, 403],
        ),
    ];
    for (name, c, want) in who {
        for (act, want) in ALL.into_iter().zip(want) {
            let call = bob
                .client
                .start_group_call(g.conversation_id, CallMedia::Audio)
                .await
                .unwrap();
            let got = status(c, act, call.id).await;
            assert_eq!(got, want, "group call: {name} {act:?}");
            let _ = bob.client.end_call(call.id).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_relation_sqlite() {
    matrix(Backend::Sqlite).await;
}

#[cfg_attr(
    not(all(confab_mysql, confab_redis)),
    ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL"
)]
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_route_and_relation_mysql_redis() {
    if let Some(b) = Backend::cluster() {
        matrix(b).await;
    }
}
