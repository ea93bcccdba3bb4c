//! R6: one socket that never reads, among healthy devices of a group with high fan-out
//! (12 KB messages). The slow socket — a 4 KiB receive buffer, never read — is closed with
//! the resync close code (1013 "resync") once its bounded queue is full; the healthy devices
//! are never dropped, never need to fill a gap, and receive every message in order, each
//! batch before the next is sent; the node's memory stays bounded.
//!
//! Default: 20 healthy devices. `CONFAB_TEST_HEAVY=1`: the catalogue's 100.

use std::time::Duration;

use confab_client::tungstenite::client::IntoClientRequest;
use confab_client::tungstenite::http::HeaderValue;
use confab_client::tungstenite::protocol::Message;
use futures::StreamExt;
use tokio::net::TcpSocket;

use super::checker;
use crate::harness::*;

const BATCH: usize = 8;
const QUEUE: usize = 128;

fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}

backend_fn_tests!(r6_a_socket_that_never_reads_is_closed_and_the_others_keep_up);

async fn r6_a_socket_that_never_reads_is_closed_and_the_others_keep_up(backend: Backend) {
    let healthy = super::scale(20, 100);
    let app = TestApp::spawn_with(backend, |c| {
        c.gateway.outbound_queue = QUEUE;
        super::many_users(c);
    })
    .await;
    let slow_user = app.user("slow").await;
    let (users, g) = super::users_in_group(&app, "r6h", healthy, "R6").await;
    slow_user.client.join_group(g.id, None).await.unwrap();
    let conv = g.conversation_id;
    let (base, devices) = super::devices_caught_up(&users, conv).await;

    // The slow socket: a tiny receive buffer, authenticated by header, never read.
    let sock = TcpSocket::new_v4().unwrap();
    sock.set_recv_buffer_size(4096).unwrap();
    let stream = sock.connect(app.addr).await.unwrap();
    let mut req = format!("ws://{}/api/v1/ws", app.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        HeaderValue::from_str(&format!("Bearer {}", slow_user.tokens.access_token)).unwrap(),
    );
    let (mut slow, _) = tokio_tungstenite::client_async(req, stream).await.unwrap();
    eventually(
        Duration::from_secs(10),
        "the slow socket registered",
        || async { (app.state.push.registry.connections_of(slow_user.id()) == 1).then_some(()) },
    )
    .await;

    let rss_before = rss_kib();
    let body = "中".repeat(4000);
    let sender = &users[0].client;
    let mut sent = 0usize;
    let mut acked = Vec::new();
    // Bounded: at most 3,000 messages (36 MB to each socket).
    while app.state.push.registry.connections_of(slow_user.id()) > 0 {
        assert!(
            sent < 3_000,
            "the slow socket was never closed ({sent} messages)"
        );
        for _ in 0..BATCH {
            let msg = confab_proto::messaging::MessageIn {
                client_msg_id: format!("r6-{sent}"),
                kind: "text".into(),
                body: serde_json::json!({ "text": body }),
                reply_to: None,
                mentions: None,
            };
            let ack = sender.send(conv, &msg).await.unwrap();
            acked.push(checker::Acked {
                sender: users[0].id(),
                ack,
            });
            sent += 1;
        }
        // Every healthy device has the batch before the next one is sent.
        let last = acked.last().unwrap().ack.seq;
        for d in &devices {
            d.wait_for(conv, last, Duration::from_secs(60)).await;
        }
    }
    let rss_after = rss_kib();

    // Once it reads, the slow socket finds what was written, then the resync close.
    let close = tokio::time::timeout(Duration::from_secs(60), async {
        while let Some(m) = slow.next().await {
            match m {
                Ok(Message::Close(f)) => {
                    return f.map(|f| (u16::from(f.code), f.reason.to_string()));
                }
                Ok(_) => {}
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the slow socket ends");
    assert_eq!(
        close,
        Some((1013, "resync".to_owned())),
        "the slow socket's close"
    );

    // The healthy devices: never dropped, nothing to fill, every message in order.
    let want: Vec<i64> = (base + 1..=base + sent as i64).collect();
    for (i, d) in devices.iter().enumerate() {
        assert_eq!(d.connects(), 1, "healthy device {i} was dropped");
        let live: Vec<i64> = d
            .live_seqs(conv)
            .await
            .into_iter()
            .filter(|s| *s > base)
            .collect();
        assert!(
            live == want,
            "healthy device {i} missed pushes ({} of {})",
            live.len(),
            want.len()
        );
    }
    let members = checker::members(devices, users.iter().map(|u| &u.client)).await;
    let figures = checker::check(&app.state.store, &acked, &members).await;
    let grew = rss_after.saturating_sub(rss_before) / 1024;
    eprintln!(
        "R6: slow socket closed (1013) after {sent} messages of 12 KB; {healthy} healthy devices kept up; test process RSS grew {grew} MiB; checked {figures:?}"
    );
    // The slow socket holds at most QUEUE frames (1.5 MB here): the process must not grow
    // with what it was sent (36 MB at the bound). Generous: the allocator keeps freed pages.
    assert!(
        grew < 256,
        "memory grew {grew} MiB while a socket did not read"
    );
}
