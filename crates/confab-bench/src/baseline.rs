//! The baseline server (issue 20 item 1, decision 0032): the smallest WebSocket relay that
//! speaks the frames the bench reads, so every `fanout`, `direct` and `idle` run can measure
//! a ceiling on the same machine, in the same minutes, with the same load generator.
//!
//! What it does, and nothing more: a socket's `Authorization: Bearer` value is the list of
//! conversations it is in (`1,2`; no authentication); it answers `ready`; a `send` frame gets
//! the conversation's next seq, a `message.new` carrying the text to every socket of the
//! conversation (the sender's too, as Confab does), and an `ack` with the frame's `id`. Its
//! sockets have Confab's buffers (4 KiB read, 8 KiB write, a 1,024-frame queue, one writer
//! task that feeds what is queued and flushes once) and the same slow-consumer rule (a full
//! queue closes the socket with 1013). No store, no auth, no JSON parsing: the fields are
//! found by byte search, like the bench's receivers do.
//!
//! It runs as a child process (`confab-bench baseline-server`), so its CPU and RSS are
//! sampled from `/proc` exactly like a Confab node's.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use anyhow::Result;
use futures::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::handshake::server::{Request, Response};
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::tungstenite::protocol::frame::CloseFrame;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Message, Utf8Bytes};
use tokio_util::sync::CancellationToken;

/// Confab's defaults (gateway `READ_BUFFER`, `WRITE_BUFFER`, `outbound_queue`,
/// `max_frame_bytes`).
const READ_BUFFER: usize = 4 * 1024;
const WRITE_BUFFER: usize = 8 * 1024;
const QUEUE: usize = 1024;
const MAX_FRAME: usize = 64 * 1024;
/// Most conversations one socket may name.
const MAX_CONVS: usize = 64;

/// One socket as the relay sees it.
struct Peer {
    id: u64,
    tx: mpsc::Sender<Utf8Bytes>,
    kill: CancellationToken,
}

#[derive(Default)]
struct Conv {
    seq: AtomicU64,
    peers: Vec<Peer>,
}

#[derive(Default)]
struct Hub {
    convs: RwLock<HashMap<String, Conv>>,
    next: AtomicU64,
}

/// Serves until killed; prints the bound address on stdout first (the parent reads it).
pub async fn serve(listen: &str) -> Result<()> {
    let listener = TcpListener::bind(listen).await?;
    let mut out = tokio::io::stdout();
    out.write_all(format!("{}\n", listener.local_addr()?).as_bytes())
        .await?;
    out.flush().await?;
    let hub = Arc::new(Hub::default());
    loop {
        let (tcp, _) = listener.accept().await?;
        let _ = tcp.set_nodelay(true);
        tokio::spawn(socket(hub.clone(), tcp));
    }
}

fn close(kill: &CancellationToken) {
    kill.cancel();
}

// The handshake callback's `Err` type is tungstenite's (an HTTP response); it is never built.
#[allow(clippy::result_large_err)]
async fn socket(hub: Arc<Hub>, tcp: TcpStream) {
    let mut convs: Vec<String> = Vec::new();
    let cb = |req: &Request, resp: Response| {
        if let Some(v) = req
            .headers()
            .get("authorization")
            .and_then(|v| v.to_str().ok())
        {
            let list = v.strip_prefix("Bearer ").unwrap_or(v);
            convs = list
                .split(',')
                .filter(|c| !c.is_empty() && c.len() <= 20)
                .take(MAX_CONVS)
                .map(str::to_owned)
                .collect();
        }
        Ok(resp)
    };
    let config = WebSocketConfig::default()
        .read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(Some(MAX_FRAME))
        .max_frame_size(Some(MAX_FRAME));
    let Ok(ws) = tokio_tungstenite::accept_hdr_async_with_config(tcp, cb, Some(config)).await
    else {
        return;
    };
    let (mut sink, mut stream) = ws.split();
    let (tx, mut rx) = mpsc::channel::<Utf8Bytes>(QUEUE);
    let kill = CancellationToken::new();
    let id = hub.next.fetch_add(1, Ordering::Relaxed);
    let _ = tx.try_send(Utf8Bytes::from_static("{\"type\":\"ready\",\"data\":{}}"));
    {
        let mut g = hub.convs.write().unwrap_or_else(|p| p.into_inner());
        for c in &convs {
            g.entry(c.clone()).or_default().peers.push(Peer {
                id,
                tx: tx.clone(),
                kill: kill.clone(),
            });
        }
    }
    // The writer: everything queued, then one flush; a kill sends 1013 and stops.
    let wkill = kill.clone();
    let writer = tokio::spawn(async move {
        loop {
            let first = tokio::select! {
                biased;
                _ = wkill.cancelled() => {
                    let frame = CloseFrame { code: CloseCode::Again, reason: "resync".into() };
                    let _ = sink.send(Message::Close(Some(frame))).await;
                    return;
                }
                f = rx.recv() => f,
            };
            let Some(first) = first else { return };
            if sink.feed(Message::Text(first)).await.is_err() {
                return;
            }
            let mut n = 1;
            while n < 256 {
                let Ok(f) = rx.try_recv() else { break };
                if sink.feed(Message::Text(f)).await.is_err() {
                    return;
                }
                n += 1;
            }
            if sink.flush().await.is_err() {
                return;
            }
        }
    });
    loop {
        let msg = tokio::select! {
            _ = kill.cancelled() => break,
            m = stream.next() => m,
        };
        match msg {
            Some(Ok(Message::Text(t))) => on_send(&hub, &tx, &kill, t.as_bytes()),
            Some(Ok(Message::Close(_))) | Some(Err(_)) | None => break,
            Some(Ok(_)) => {}
        }
    }
    {
        let mut g = hub.convs.write().unwrap_or_else(|p| p.into_inner());
        for c in &convs {
            if let Some(conv) = g.get_mut(c) {
                conv.peers.retain(|p| p.id != id);
            }
        }
    }
    drop(tx);
    kill.cancel();
    let _ = writer.await;
}

/// The string value after `key` (`"key":"…"`), by byte search.
fn field<'a>(b: &'a [u8], key: &[u8]) -> Option<&'a [u8]> {
    let at = memchr::memmem::find(b, key)? + key.len();
    let rest = &b[at..];
    let end = memchr::memchr(b'"', rest)?;
    Some(&rest[..end])
}

fn on_send(hub: &Hub, tx: &mpsc::Sender<Utf8Bytes>, kill: &CancellationToken, b: &[u8]) {
    if !b.starts_with(b"{\"type\":\"send\"") {
        return;
    }
    let (Some(id), Some(conv), Some(text)) = (
        field(b, b"\"id\":\""),
        field(b, b"\"conversation_id\":\""),
        field(b, b"\"text\":\""),
    ) else {
        return;
    };
    let (Ok(id), Ok(conv), Ok(text)) = (
        std::str::from_utf8(id),
        std::str::from_utf8(conv),
        std::str::from_utf8(text),
    ) else {
        return;
    };
    let g = hub.convs.read().unwrap_or_else(|p| p.into_inner());
    let Some(c) = g.get(conv) else {
        drop(g);
        let err =
            format!("{{\"type\":\"error\",\"id\":\"{id}\",\"data\":{{\"code\":\"not_member\"}}}}");
        if tx.try_send(Utf8Bytes::from(err)).is_err() {
            close(kill);
        }
        return;
    };
    let seq = c.seq.fetch_add(1, Ordering::Relaxed) + 1;
    let frame = Utf8Bytes::from(format!(
        "{{\"type\":\"message.new\",\"data\":{{\"conversation_id\":\"{conv}\",\"seq\":{seq},\
         \"kind\":\"text\",\"body\":{{\"text\":\"{text}\"}}}}}}"
    ));
    for p in &c.peers {
        if p.kill.is_cancelled() {
            continue;
        }
        if let Err(mpsc::error::TrySendError::Full(_)) = p.tx.try_send(frame.clone()) {
            close(&p.kill);
        }
    }
    drop(g);
    let ack = format!(
        "{{\"type\":\"ack\",\"data\":{{\"result\":{{\"conversation_id\":\"{conv}\",\"seq\":{seq}}}}},\"id\":\"{id}\"}}"
    );
    if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(Utf8Bytes::from(ack)) {
        close(kill);
    }
}
