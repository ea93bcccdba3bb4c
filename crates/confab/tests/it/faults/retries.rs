//! R2: the same `client_msg_id` five times at once on five sockets; again over HTTP and a
//! socket after a `kill -9` and restart; and once with a different body. One row, identical
//! acks before and after the crash; the different body gets the documented
//! `409 duplicate_client_msg_id` (WebSocket: the same code in an error frame) and the row is
//! byte for byte what it was.

use std::time::Duration;

use confab::infra::store::Store;
use confab_client::{Client, WsConnection};
use confab_proto::ids::ConversationId;
use confab_proto::messaging::{MessageIn, SendAck};
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;

use super::checker::{self, Acked};
use super::device::Device;
use crate::crash::CrashNode;
use crate::harness::*;

const T: Duration = Duration::from_secs(10);
const CMID: &str = "r2-same-everywhere";

fn frame(conv: ConversationId, text: &str) -> serde_json::Value {
    json!({"conversation_id": conv.to_string(), "client_msg_id": CMID, "kind": "text", "body": {"text": text}})
}

/// Sends on `ws` and returns the ack's result, or the error frame's code.
async fn ws_send(
    ws: &mut WsConnection,
    id: &str,
    data: serde_json::Value,
) -> Result<SendAck, String> {
    ws.send_frame("send", Some(id), data).await.unwrap();
    loop {
        let ev = ws.next_event_within(T).await.unwrap();
        if ev.id.as_deref() != Some(id) {
            continue;
        }
        return match ev.kind.as_str() {
            "ack" => Ok(serde_json::from_value(ev.data["result"].clone()).unwrap()),
            _ => Err(ev.error_code().unwrap_or("<none>").to_owned()),
        };
    }
}

/// The stored row of the message, as the database has it.
async fn row(store: &Store) -> Vec<(i64, i64, i64, String, String)> {
    let rows = store
        .reader()
        .query_all_raw(Statement::from_string(
            store.backend(),
            format!("SELECT conversation_id, seq, id, kind, body FROM messages WHERE client_msg_id = '{CMID}'"),
        ))
        .await
        .unwrap();
    rows.iter()
        .map(|r| {
            (
                r.try_get("", "conversation_id").unwrap(),
                r.try_get("", "seq").unwrap(),
                r.try_get("", "id").unwrap(),
                r.try_get("", "kind").unwrap(),
                r.try_get("", "body").unwrap(),
            )
        })
        .collect()
}

async fn five_sockets(
    client: &Client,
    conv: ConversationId,
    text: &str,
) -> Vec<Result<SendAck, String>> {
    let mut sockets = Vec::new();
    for _ in 0..5 {
        sockets.push(client.ws().await.unwrap());
    }
    let tasks: Vec<_> = sockets
        .into_iter()
        .enumerate()
        .map(|(i, mut ws)| {
            let data = frame(conv, text);
            tokio::spawn(async move { ws_send(&mut ws, &format!("f{i}"), data).await })
        })
        .collect();
    futures::future::join_all(tasks)
        .await
        .into_iter()
        .map(|r| r.unwrap())
        .collect()
}

backend_fn_tests!(r2_one_client_id_is_one_row_across_sockets_restarts_and_bodies);

async fn r2_one_client_id_is_one_row_across_sockets_restarts_and_bodies(backend: Backend) {
    let cluster = match backend {
        Backend::Sqlite => None,
        Backend::Cluster { mysql, redis } => Some((mysql, redis)),
    };
    let mut crash = CrashNode::start(cluster, &[]).await;
    let anon = crash.anon.clone();
    let a = anon
        .register_simple(&unique("r2a_"), PASSWORD)
        .await
        .unwrap();
    let b = anon
        .register_simple(&unique("r2b_"), PASSWORD)
        .await
        .unwrap();
    let (alice, bob) = (anon.signed_in(&a), anon.signed_in(&b));
    befriend_clients(&alice, &bob, b.user.id).await;
    let conv = alice.open_direct(b.user.id).await.unwrap().id;
    let devices = [
        Device::start(a.user.id, alice.clone()),
        Device::start(b.user.id, bob.clone()),
    ];

    // Five sockets at once: five identical acks.
    let acks: Vec<SendAck> = five_sockets(&alice, conv, "once")
        .await
        .into_iter()
        .map(|r| r.expect("every socket is acknowledged"))
        .collect();
    assert!(acks.iter().all(|x| *x == acks[0]), "acks differ: {acks:?}");
    let store = Store::connect(&crash.config).await.unwrap();
    let before = row(&store).await;
    assert_eq!(before.len(), 1, "one row");
    assert_eq!(
        (before[0].0, before[0].1, before[0].2),
        (conv.0, acks[0].seq, acks[0].id.0)
    );
    store.close().await;

    // kill -9 and restart: the same id over HTTP and over five sockets again answers the
    // original ack.
    crash.crash_and_restart().await;
    let same = MessageIn {
        client_msg_id: CMID.into(),
        kind: "text".into(),
        body: json!({"text": "once"}),
        reply_to: None,
        mentions: None,
    };
    assert_eq!(
        alice.send(conv, &same).await.unwrap(),
        acks[0],
        "HTTP retry after restart"
    );
    for r in five_sockets(&alice, conv, "once").await {
        assert_eq!(
            r.expect("acknowledged after restart"),
            acks[0],
            "socket retry after restart"
        );
    }

    // A different body with the same id: the documented error, and the row is unchanged.
    let other = MessageIn {
        body: json!({"text": "something else"}),
        ..same.clone()
    };
    let e = alice.send(conv, &other).await.unwrap_err();
    assert_eq!(
        (e.status(), e.code()),
        (Some(409), Some("duplicate_client_msg_id")),
        "{e}"
    );
    for r in five_sockets(&alice, conv, "something else").await {
        assert_eq!(r.unwrap_err(), "duplicate_client_msg_id");
    }
    let store = Store::connect(&crash.config).await.unwrap();
    assert_eq!(row(&store).await, before, "the row is unchanged");

    // And the checker: one row, gapless, both devices saw exactly it, unread right.
    let clients = [alice.clone(), bob.clone()];
    let members = checker::members(devices, &clients).await;
    let acked = vec![Acked {
        sender: a.user.id,
        ack: acks[0].clone(),
    }];
    let figures = checker::check(&store, &acked, &members).await;
    assert_eq!(figures.messages, 1);
    store.close().await;
}
