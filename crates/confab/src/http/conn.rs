//! The accept loop: HTTP/1.1 connections with a deadline on the request head and a cap on
//! connections per client address, so slow or hoarding clients cannot take every file
//! descriptor (issue 19, defect 2; docs/operations.md "Connections").
//!
//! `axum::serve` takes no configuration (its docs send you to hyper for that) and never
//! times out a request head: 2,000 connections that each sent half a request line stayed
//! open indefinitely. Here each connection is served by hyper's HTTP/1 builder with a timer
//! and `header_read_timeout`: a connection that has not sent a whole request head within the
//! deadline after it opened — or after its previous response, while kept alive — is closed.
//! Accepting only HTTP/1.1 (no cleartext HTTP/2 by prior knowledge, which nothing of ours
//! speaks) means no phase of a connection waits on the client without that deadline.
//!
//! The per-address cap counts a connection from accept until its socket closes, WebSocket
//! upgrades included (the count rides inside the socket), and closes an extra one at once.

use std::collections::HashMap;
use std::net::{IpAddr, SocketAddr};
use std::pin::Pin;
use std::sync::{Arc, Mutex, PoisonError};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::Router;
use axum::extract::ConnectInfo;
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use hyper_util::service::TowerToHyperService;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio_util::sync::CancellationToken;
use tokio_util::task::TaskTracker;
use tower::ServiceExt;

/// How the accept loop treats connections.
#[derive(Clone, Debug)]
pub struct ConnLimits {
    /// A request head (line and headers) must arrive within this long.
    pub header_read_timeout: Duration,
    /// Most connections at once from one address; 0 = no cap.
    pub max_per_ip: u32,
}

/// Open connections per client address.
#[derive(Default)]
struct Counts(Mutex<HashMap<IpAddr, u32>>);

/// One counted connection; dropping it (when the socket closes) frees its place.
struct Permit {
    counts: Arc<Counts>,
    ip: IpAddr,
}

impl Counts {
    /// A place for one more connection from `ip`, unless it already has `max` (0: no cap).
    fn acquire(self: &Arc<Self>, ip: IpAddr, max: u32) -> Option<Permit> {
        let mut map = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let n = map.entry(ip).or_insert(0);
        if max != 0 && *n >= max {
            return None;
        }
        *n += 1;
        Some(Permit {
            counts: self.clone(),
            ip,
        })
    }
}

impl Drop for Permit {
    fn drop(&mut self) {
        let mut map = self.counts.0.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(n) = map.get_mut(&self.ip) {
            *n -= 1;
            if *n == 0 {
                map.remove(&self.ip);
            }
        }
    }
}

/// A socket that holds its connection's place in the per-address count for as long as it is
/// open, whoever owns it (hyper, or the WebSocket task after an upgrade).
struct Counted {
    stream: TcpStream,
    _permit: Option<Permit>,
}

impl AsyncRead for Counted {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_read(cx, buf)
    }
}

impl AsyncWrite for Counted {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write(cx, buf)
    }

    fn poll_write_vectored(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[std::io::IoSlice<'_>],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.stream).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.stream.is_write_vectored()
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.stream).poll_shutdown(cx)
    }
}

/// Serves `app` on `listener` until `shutdown` is cancelled, then stops accepting, asks every
/// connection to finish its request in flight, and waits for them up to `grace`.
pub async fn serve(
    listener: TcpListener,
    app: Router,
    limits: ConnLimits,
    shutdown: CancellationToken,
    grace: Duration,
) -> std::io::Result<()> {
    let mut builder = hyper::server::conn::http1::Builder::new();
    builder
        .timer(TokioTimer::new())
        .header_read_timeout(limits.header_read_timeout);
    let builder = Arc::new(builder);
    let counts = Arc::new(Counts::default());
    let connections = TaskTracker::new();
    loop {
        let (stream, peer) = tokio::select! {
            _ = shutdown.cancelled() => break,
            accepted = listener.accept() => match accepted {
                Ok(conn) => conn,
                Err(e) => {
                    // Out of file descriptors (or a connection reset before accept): wait a
                    // moment rather than spin; the listener itself stays good.
                    tracing::warn!(error = %e, "accept failed");
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            },
        };
        let permit = if limits.max_per_ip == 0 {
            None
        } else {
            match counts.acquire(peer.ip(), limits.max_per_ip) {
                Some(p) => Some(p),
                None => {
                    metrics::counter!("confab_http_connections_refused_total").increment(1);
                    tracing::debug!(ip = %peer.ip(), "connection cap reached; closed");
                    drop(stream);
                    continue;
                }
            }
        };
        let _ = stream.set_nodelay(true);
        let io = TokioIo::new(Counted {
            stream,
            _permit: permit,
        });
        let service = TowerToHyperService::new(app.clone().map_request(
            move |mut req: axum::http::Request<Incoming>| {
                req.extensions_mut().insert(ConnectInfo::<SocketAddr>(peer));
                req.map(axum::body::Body::new)
            },
        ));
        let builder = builder.clone();
        let shutdown = shutdown.clone();
        connections.spawn(async move {
            let conn = builder.serve_connection(io, service).with_upgrades();
            tokio::pin!(conn);
            tokio::select! {
                r = conn.as_mut() => log_end(r),
                _ = shutdown.cancelled() => {
                    conn.as_mut().graceful_shutdown();
                    log_end(conn.await);
                }
            }
        });
    }
    connections.close();
    if tokio::time::timeout(grace, connections.wait())
        .await
        .is_err()
    {
        tracing::warn!("connections still open after the shutdown grace period; closing them");
    }
    Ok(())
}

/// A connection's end: closed by the client, timed out, or broken — worth a debug line only.
fn log_end(r: Result<(), hyper::Error>) {
    if let Err(e) = r {
        if e.is_timeout() {
            metrics::counter!("confab_http_header_timeouts_total").increment(1);
        }
        tracing::debug!(error = %e, "connection ended");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_count_per_address_is_capped_and_freed() {
        let counts = Arc::new(Counts::default());
        let a: IpAddr = "10.0.0.1".parse().unwrap();
        let b: IpAddr = "10.0.0.2".parse().unwrap();
        let p1 = counts.acquire(a, 2).unwrap();
        let _p2 = counts.acquire(a, 2).unwrap();
        assert!(counts.acquire(a, 2).is_none(), "a third from one address");
        let _q = counts.acquire(b, 2).unwrap();
        drop(p1);
        let _p3 = counts.acquire(a, 2).unwrap();
        assert!(counts.acquire(a, 0).is_some(), "0 is no cap");
        drop(_q);
        assert!(
            !counts.0.lock().unwrap().contains_key(&b),
            "empty entries go"
        );
    }
}
