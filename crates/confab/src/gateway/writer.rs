//! One socket's writer task: drains its bounded queue in batches, pings every heartbeat, and
//! writes the close frame when the socket is closing.

use std::time::Duration;

use axum::extract::ws::{CloseFrame, Message, Utf8Bytes, WebSocket};
use futures::SinkExt;
use futures::stream::SplitSink;
use tokio::sync::mpsc;
use tokio::time::Instant;

use crate::push::registry::Kill;

/// How long the writer may take to send what is queued plus the close frame once a socket
/// is closing (a peer that does not read gets no longer than this).
const CLOSE_GRACE: Duration = Duration::from_secs(5);
/// Most frames written between two flushes, so pings and closes get a turn.
const MAX_BATCH: usize = 256;

/// Drains the queue: everything already queued is fed, then flushed once. Sends a protocol
/// ping every heartbeat. Once the socket is closing, writes the close frame (after the
/// queued frames when the reason says so), within [`CLOSE_GRACE`].
pub(super) async fn write_loop(
    mut sink: SplitSink<WebSocket, Message>,
    mut rx: mpsc::Receiver<Utf8Bytes>,
    kill: Kill,
    heartbeat: Duration,
) {
    let mut ping = tokio::time::interval_at(Instant::now() + heartbeat, heartbeat);
    loop {
        let step = async {
            tokio::select! {
                first = rx.recv() => {
                    let Some(first) = first else { return false };
                    if sink.feed(Message::Text(first)).await.is_err() {
                        return false;
                    }
                    for _ in 1..MAX_BATCH {
                        let Ok(more) = rx.try_recv() else { break };
                        if sink.feed(Message::Text(more)).await.is_err() {
                            return false;
                        }
                    }
                    sink.flush().await.is_ok()
                }
                _ = ping.tick() => sink.send(Message::Ping(bytes::Bytes::new())).await.is_ok(),
            }
        };
        let go_on = tokio::select! {
            biased;
            _ = kill.fired() => false,
            ok = step => ok,
        };
        if !go_on {
            break;
        }
    }
    let Some(reason) = kill.reason() else {
        return;
    };
    let finish = async {
        if reason.drain {
            while let Ok(frame) = rx.try_recv() {
                if sink.feed(Message::Text(frame)).await.is_err() {
                    return;
                }
            }
        }
        let close = Message::Close(Some(CloseFrame {
            code: reason.code,
            reason: Utf8Bytes::from_static(reason.reason),
        }));
        let _ = sink.send(close).await;
        let _ = sink.close().await;
    };
    let _ = tokio::time::timeout(CLOSE_GRACE, finish).await;
}
