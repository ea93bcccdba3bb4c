//! Slow and hoarding clients (issue 19, defect 2; abuse inputs I7 and I10): connections
//! that never finish a request head are closed at `http.header_read_timeout_secs`, and a
//! client address past `http.max_connections_per_ip` has its extra connections closed at
//! once, while a legitimate client keeps being served. Raw sockets: a client library would
//! never send half a request.

use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::harness::*;

/// A bound on waits, so a regression fails instead of hanging (not a timing assertion: the
/// deadline under test is 1 s).
const BOUND: Duration = Duration::from_secs(20);

/// Reads until the server closes; what it sent before closing. Panics if it stays open
/// past [`BOUND`].
async fn until_closed(s: &mut TcpStream) -> Vec<u8> {
    let mut got = Vec::new();
    match tokio::time::timeout(BOUND, s.read_to_end(&mut got)).await {
        Ok(_) => got, // EOF, or a reset: closed either way
        Err(_) => panic!("connection still open after {BOUND:?}"),
    }
}

/// Sends one whole request on `s`, reads the whole answer, and returns its status.
async fn request(s: &mut TcpStream) -> u16 {
    s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        .await
        .unwrap();
    let read = async {
        let mut head = Vec::new();
        while !head.ends_with(b"\r\n\r\n") {
            let mut b = [0u8; 1];
            s.read_exact(&mut b).await.expect("an answer");
            head.push(b[0]);
        }
        let text = String::from_utf8_lossy(&head).to_ascii_lowercase();
        let len: usize = text
            .lines()
            .find_map(|l| l.strip_prefix("content-length:"))
            .map_or(0, |v| v.trim().parse().unwrap());
        let mut body = vec![0u8; len];
        s.read_exact(&mut body).await.expect("the body");
        text[9..12].parse().unwrap()
    };
    tokio::time::timeout(BOUND, read)
        .await
        .expect("an answer in time")
}

/// Runs each test on SQLite and, when configured, on MariaDB + Redis.
macro_rules! slow_tests {
    ($(async fn $name:ident($backend:ident) $body:block)*) => {$(
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn sqlite() {
                let $backend = Backend::Sqlite;
                $body
            }

            #[cfg_attr(not(all(confab_mysql, confab_redis)), ignore = "set CONFAB_TEST_MYSQL_URL and CONFAB_TEST_REDIS_URL")]
            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn mysql_redis() {
                let Some($backend) = Backend::cluster() else { return };
                $body
            }
        }
    )*};
}

slow_tests! {
    async fn unfinished_request_heads_are_closed_while_a_real_client_is_served(backend) {
        let app = TestApp::spawn_with(backend, |c| c.http.header_read_timeout_secs = 1).await;
        // 200 connections: half send half a request line, half send nothing at all.
        let mut stalled = Vec::new();
        for i in 0..200 {
            let mut s = TcpStream::connect(app.addr).await.unwrap();
            if i % 2 == 0 {
                s.write_all(b"GET /api/v1/me HT").await.unwrap();
            }
            stalled.push(s);
        }
        // One that trickles a byte every 200 ms: its head would take 8 s to arrive.
        let addr = app.addr;
        let trickler = tokio::spawn(async move {
            let mut s = TcpStream::connect(addr).await.unwrap();
            let head = b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: 1\r\n\r\n";
            let (mut rd, mut wr) = s.split();
            let write = async {
                for b in head {
                    if wr.write_all(&[*b]).await.is_err() {
                        break;
                    }
                    tokio::time::sleep(Duration::from_millis(200)).await;
                }
                std::future::pending::<()>().await;
            };
            let mut got = Vec::new();
            tokio::select! {
                _ = write => unreachable!(),
                _ = rd.read_to_end(&mut got) => got,
            }
        });
        // Meanwhile a real client signs up, signs in and reads, unhindered.
        let alice = app.user("alice").await;
        for _ in 0..10 {
            alice.client.me().await.unwrap();
            app.client.healthz().await.unwrap();
        }
        // Every stalled connection is closed by the server, with at most a 408 first.
        for s in &mut stalled {
            let got = until_closed(s).await;
            assert!(
                got.is_empty() || got.starts_with(b"HTTP/1.1 408"),
                "{}",
                String::from_utf8_lossy(&got)
            );
        }
        let got = tokio::time::timeout(BOUND, trickler).await.expect("trickler cut off").unwrap();
        assert!(!got.starts_with(b"HTTP/1.1 200"), "a head trickled past the deadline was served");
        // And the node still serves new connections.
        let mut fresh = TcpStream::connect(app.addr).await.unwrap();
        assert_eq!(request(&mut fresh).await, 200);
        alice.client.me().await.unwrap();
    }

    async fn connections_past_the_per_address_cap_are_closed_at_once(backend) {
        let app = TestApp::spawn_with(backend, |c| {
            c.http.max_connections_per_ip = 20;
            c.http.header_read_timeout_secs = 300;
        })
        .await;
        let mut held = Vec::new();
        for _ in 0..20 {
            held.push(TcpStream::connect(app.addr).await.unwrap());
        }
        // Each held connection is served (and so counted) before the next is opened.
        for s in &mut held {
            assert_eq!(request(s).await, 200);
        }
        // The 21st from this address is closed without an answer, long before any timeout.
        let mut extra = TcpStream::connect(app.addr).await.unwrap();
        let _ = extra
            .write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
            .await;
        assert!(until_closed(&mut extra).await.is_empty(), "served past the cap");
        // The held ones are still served.
        assert_eq!(request(&mut held[0]).await, 200);
        // Closing some frees their places.
        held.truncate(15);
        eventually(BOUND, "a place freed by closed connections", || async {
            let mut s = TcpStream::connect(app.addr).await.ok()?;
            let _ = s.write_all(b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n").await;
            let mut buf = [0u8; 12];
            match tokio::time::timeout(Duration::from_secs(2), s.read_exact(&mut buf)).await {
                Ok(Ok(_)) => (&buf[9..12] == b"200").then_some(()),
                _ => None,
            }
        })
        .await;
    }
}
