//! The WebSocket side of the SDK: `client.ws().await` opens `GET /api/v1/ws`, authenticates
//! and waits for `ready`; then read events with [`WsConnection::next_event`] /
//! [`WsConnection::expect_event`] and send commands with [`WsConnection::send_command`]
//! (or any frame, known to the server or not, with [`WsConnection::send_frame`]).
//! The protocol is described in the server's `docs/protocol.md`.

use std::time::Duration;

use confab_proto::ids::UserId;
use confab_proto::messaging::SyncQuery;
use confab_proto::ws::{
    AuthData, ClientCommand, PresenceIn, PresenceOut, PresenceSetting, ReadyData,
};
use futures::{SinkExt, StreamExt};
use reqwest::Method;
use serde::de::DeserializeOwned;
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use crate::Client;

/// The WebSocket library, for tests that send raw frames.
pub use tokio_tungstenite::tungstenite;
use tungstenite::Message;

/// How long `ws()` waits for `ready`.
const READY_TIMEOUT: Duration = Duration::from_secs(10);

/// What a WebSocket call can fail with.
#[derive(Debug, thiserror::Error)]
pub enum WsError {
    /// The URL could not be made.
    #[error("invalid URL: {0}")]
    Url(String),
    /// The server refused the upgrade (e.g. 401 for a bad token).
    #[error("upgrade refused: {status} {code}")]
    Refused {
        /// HTTP status.
        status: u16,
        /// The error code from the body, if any.
        code: String,
    },
    /// The server closed the socket.
    #[error("closed by the server: {code} {reason}")]
    Closed {
        /// The close code (1005 when the close frame had none, 1006 when there was none).
        code: u16,
        /// The reason text.
        reason: String,
    },
    /// Nothing arrived in time.
    #[error("timed out waiting for {0}")]
    Timeout(String),
    /// The server sent an `error` frame where something else was expected.
    #[error("server error {code}: {message}")]
    Server {
        /// The error code.
        code: String,
        /// The message.
        message: String,
    },
    /// The connection failed.
    #[error("transport: {0}")]
    Transport(#[from] tungstenite::Error),
    /// A frame the SDK could not read.
    #[error("unexpected frame: {0}")]
    Unexpected(String),
}

/// How a socket authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WsAuth {
    /// `Authorization: Bearer` on the upgrade request (the default).
    Header,
    /// An `auth` frame first (what browsers do).
    FirstFrame,
    /// Neither: the socket stays unauthenticated (tests of the auth timeout).
    None,
}

/// One frame from the server.
#[derive(Debug, Clone)]
pub struct Event {
    /// Its `type`.
    pub kind: String,
    /// The client id it answers, if any.
    pub id: Option<String>,
    /// Its `data` (`null` when absent).
    pub data: serde_json::Value,
}

impl Event {
    /// The data as `T`.
    pub fn decode<T: DeserializeOwned>(&self) -> Result<T, WsError> {
        serde_json::from_value(self.data.clone()).map_err(|e| WsError::Unexpected(e.to_string()))
    }

    /// For `error` frames: the code.
    pub fn error_code(&self) -> Option<&str> {
        (self.kind == "error")
            .then(|| self.data.get("code").and_then(|c| c.as_str()))
            .flatten()
    }
}

/// An open socket.
pub struct WsConnection {
    stream: WebSocketStream<MaybeTlsStream<TcpStream>>,
    ready: Option<ReadyData>,
}

impl Client {
    /// Opens the WebSocket with this client's token in the `Authorization` header and waits
    /// for `ready`.
    pub async fn ws(&self) -> Result<WsConnection, WsError> {
        self.ws_with(WsAuth::Header, "").await
    }

    /// Opens the WebSocket, authenticating as `auth` says; `query` (e.g. `?x=1`) is appended
    /// to the URL. Waits for `ready` unless `auth` is [`WsAuth::None`].
    pub async fn ws_with(&self, auth: WsAuth, query: &str) -> Result<WsConnection, WsError> {
        self.open_ws(auth, query, None).await
    }

    /// Opens the WebSocket and asks for the sync answer in `ready` (`ready().sync`): in the
    /// `auth` frame for [`WsAuth::FirstFrame`], as `?sync=&messages=` otherwise. A reconnect
    /// in one round trip; events after `ready` may repeat what it holds (deduplicate by seq).
    pub async fn ws_synced(&self, auth: WsAuth, q: &SyncQuery) -> Result<WsConnection, WsError> {
        let query = if auth == WsAuth::FirstFrame {
            String::new()
        } else {
            let mut u = url::form_urlencoded::Serializer::new(String::new());
            u.append_pair("sync", q.cursor.as_deref().unwrap_or(""));
            if let Some(n) = q.messages {
                u.append_pair("messages", &n.to_string());
            }
            format!("?{}", u.finish())
        };
        self.open_ws(auth, &query, Some(q.clone())).await
    }

    async fn open_ws(
        &self,
        auth: WsAuth,
        query: &str,
        sync: Option<SyncQuery>,
    ) -> Result<WsConnection, WsError> {
        let mut url = self
            .url(&format!("/api/v1/ws{query}"))
            .map_err(|e| WsError::Url(e.to_string()))?;
        let scheme = if url.scheme() == "https" { "wss" } else { "ws" };
        url.set_scheme(scheme)
            .map_err(|()| WsError::Url("cannot make a ws:// URL".into()))?;
        let mut req = url.as_str().into_client_request()?;
        if auth == WsAuth::Header
            && let Some(token) = self.token()
        {
            let v = HeaderValue::from_str(&format!("Bearer {token}"))
                .map_err(|e| WsError::Url(e.to_string()))?;
            req.headers_mut().insert("authorization", v);
        }
        let config = WebSocketConfig::default().read_buffer_size(16 * 1024);
        let (stream, _) =
            match tokio_tungstenite::connect_async_with_config(req, Some(config), false).await {
                Ok(ok) => ok,
                Err(tungstenite::Error::Http(resp)) => {
                    let status = resp.status().as_u16();
                    let code = resp
                        .body()
                        .as_ref()
                        .and_then(|b| serde_json::from_slice::<serde_json::Value>(b).ok())
                        .and_then(|v| v["error"]["code"].as_str().map(str::to_owned))
                        .unwrap_or_default();
                    return Err(WsError::Refused { status, code });
                }
                Err(e) => return Err(e.into()),
            };
        let mut conn = WsConnection {
            stream,
            ready: None,
        };
        match auth {
            WsAuth::None => return Ok(conn),
            WsAuth::Header => {}
            WsAuth::FirstFrame => {
                let token = self.token().unwrap_or_default().to_owned();
                conn.send_command(&ClientCommand::Auth(AuthData { token, sync }), None)
                    .await?;
            }
        }
        let ready = conn.next_event_within(READY_TIMEOUT).await?;
        if ready.kind != "ready" {
            return Err(match ready.error_code() {
                Some(code) => WsError::Server {
                    code: code.to_owned(),
                    message: ready.data["message"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned(),
                },
                None => WsError::Unexpected(format!("expected ready, got {}", ready.kind)),
            });
        }
        conn.ready = Some(ready.decode()?);
        Ok(conn)
    }

    /// `PUT /api/v1/me/presence`.
    pub async fn set_presence(&self, status: PresenceSetting) -> crate::Result<PresenceOut> {
        self.call(
            Method::PUT,
            "/api/v1/me/presence",
            Some(&PresenceIn { status }),
        )
        .await
    }

    /// `GET /api/v1/users/{id}/presence`.
    pub async fn presence(&self, user: UserId) -> crate::Result<PresenceOut> {
        self.call::<(), _>(Method::GET, &format!("/api/v1/users/{user}/presence"), None)
            .await
    }
}

impl WsConnection {
    /// The `ready` data, once authenticated.
    pub fn ready(&self) -> Option<&ReadyData> {
        self.ready.as_ref()
    }

    /// The next server frame (protocol pings and pongs are skipped; a close frame becomes
    /// [`WsError::Closed`]).
    pub async fn next_event(&mut self) -> Result<Event, WsError> {
        loop {
            let msg = match self.stream.next().await {
                Some(m) => m?,
                None => {
                    return Err(WsError::Closed {
                        code: 1006,
                        reason: String::new(),
                    });
                }
            };
            match msg {
                Message::Text(t) => {
                    let v: serde_json::Value =
                        serde_json::from_str(&t).map_err(|e| WsError::Unexpected(e.to_string()))?;
                    return Ok(Event {
                        kind: v["type"].as_str().unwrap_or_default().to_owned(),
                        id: v["id"].as_str().map(str::to_owned),
                        data: v.get("data").cloned().unwrap_or_default(),
                    });
                }
                Message::Close(frame) => {
                    let (code, reason) = frame
                        .map(|f| (u16::from(f.code), f.reason.to_string()))
                        .unwrap_or((1005, String::new()));
                    return Err(WsError::Closed { code, reason });
                }
                Message::Binary(_) => {
                    return Err(WsError::Unexpected("binary frame".into()));
                }
                Message::Ping(_) | Message::Pong(_) | Message::Frame(_) => {}
            }
        }
    }

    /// [`WsConnection::next_event`] within `timeout`.
    pub async fn next_event_within(&mut self, timeout: Duration) -> Result<Event, WsError> {
        tokio::time::timeout(timeout, self.next_event())
            .await
            .map_err(|_| WsError::Timeout("a frame".into()))?
    }

    /// Skips frames until one of type `kind` arrives (within `timeout`).
    pub async fn expect_event(&mut self, kind: &str, timeout: Duration) -> Result<Event, WsError> {
        tokio::time::timeout(timeout, async {
            loop {
                let ev = self.next_event().await?;
                if ev.kind == kind {
                    return Ok(ev);
                }
            }
        })
        .await
        .map_err(|_| WsError::Timeout(kind.to_owned()))?
    }

    /// Reads until the server closes the socket (within `timeout`), skipping other frames;
    /// returns the close code and reason.
    pub async fn closed(&mut self, timeout: Duration) -> Result<(u16, String), WsError> {
        tokio::time::timeout(timeout, async {
            loop {
                match self.next_event().await {
                    Ok(_) => {}
                    Err(WsError::Closed { code, reason }) => return Ok((code, reason)),
                    Err(WsError::Transport(
                        tungstenite::Error::ConnectionClosed | tungstenite::Error::AlreadyClosed,
                    )) => return Ok((1006, String::new())),
                    Err(e) => return Err(e),
                }
            }
        })
        .await
        .map_err(|_| WsError::Timeout("the close".into()))?
    }

    /// Sends a command: `{"type": …, "id": id, "data": …}`.
    pub async fn send_command(
        &mut self,
        command: &ClientCommand,
        id: Option<&str>,
    ) -> Result<(), WsError> {
        let mut frame =
            serde_json::to_value(command).map_err(|e| WsError::Unexpected(e.to_string()))?;
        if let Some(id) = id {
            frame["id"] = id.into();
        }
        self.send_raw(Message::text(frame.to_string())).await
    }

    /// Sends `{"type": kind, "id": id, "data": data}`, whatever `kind` and `data` are (tests
    /// of frames the server refuses; [`WsConnection::send_command`] for real commands).
    pub async fn send_frame(
        &mut self,
        kind: &str,
        id: Option<&str>,
        data: serde_json::Value,
    ) -> Result<(), WsError> {
        let mut frame = serde_json::json!({ "type": kind });
        if let Some(id) = id {
            frame["id"] = id.into();
        }
        if !data.is_null() {
            frame["data"] = data;
        }
        self.send_raw(Message::text(frame.to_string())).await
    }

    /// Sends any WebSocket message (tests of bad input).
    pub async fn send_raw(&mut self, msg: Message) -> Result<(), WsError> {
        self.stream.send(msg).await?;
        Ok(())
    }

    /// Closes the socket normally.
    pub async fn close(mut self) -> Result<(), WsError> {
        self.stream.close(None).await?;
        Ok(())
    }
}
