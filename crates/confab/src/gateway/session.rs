//! One socket: authentication, the reader loop (commands, limits, timeouts) and the writer
//! task (drains the bounded queue, feeds many frames, flushes once, pings).
//!
//! Every way a socket ends goes through its [`Kill`]: the reader, the fan-out (slow
//! consumer), revocation and shutdown all set a close code; the writer sends that close
//! frame (after what is queued, unless the queue itself is the problem).

use std::sync::Arc;
use std::time::Duration;

use axum::extract::ws::{Message, Utf8Bytes, WebSocket};
use confab_proto::ErrorCode;
use confab_proto::ErrorInfo;
use confab_proto::ids::SessionId;
use confab_proto::messaging::SyncQuery;
use confab_proto::ws::{
    AckData, ClientCommand, ClientFrame, CommandError, MAX_FRAME_ID_LEN, PongData, SendData,
    ServerEvent, SessionRevokedData, client_kind, close_code,
};
use futures::StreamExt;
use futures::stream::SplitStream;
use serde::Serialize;
use tokio::sync::{Semaphore, mpsc};
use tokio::time::Instant;

use crate::accounts::auth::{AuthUser, authenticate};
use crate::config::GatewayConfig;
use crate::error::ApiError;
use crate::messaging::service::{self, Mark};
use crate::push::registry::{Kill, Registration};
use crate::social::presence;
use crate::state::AppState;
use crate::telemetry::TRACE_TARGET;
use tracing::Instrument as _;

/// Most sends one socket may have waiting for their commit; never more than half its
/// outbound queue, which their acks will need.
const MAX_SENDS_IN_FLIGHT: usize = 128;
/// How long a closing socket waits for the client's close reply (and, after a read error,
/// keeps the connection) once the close frame is sent.
const CLOSE_HANDSHAKE: Duration = Duration::from_secs(1);

/// Encodes a frame for this socket only (answers: ready, ack, error, pong).
pub(super) fn local(event: ServerEvent, id: Option<String>) -> Option<Utf8Bytes> {
    super::encode(&event, id).and_then(|b| Utf8Bytes::try_from(b).ok())
}

/// Closes every local socket of these sessions: `session.revoked`, then 4001.
pub fn close_revoked(state: &AppState, sessions: &[SessionId]) {
    let n = state.push.registry.close_sessions(
        sessions,
        |session_id| {
            local(
                ServerEvent::SessionRevoked(SessionRevokedData { session_id }),
                None,
            )
        },
        close_code::SESSION_REVOKED,
        "session revoked",
    );
    if n > 0 {
        tracing::info!(sockets = n, "closed the sockets of revoked sessions");
    }
}

/// Reader-side state of one socket.
struct Conn {
    state: AppState,
    tx: mpsc::Sender<Utf8Bytes>,
    kill: Kill,
    auth: Option<AuthUser>,
    registration: Option<Registration>,
    /// Sends checked and queued for the writer whose commit (and ack) is still due.
    in_flight: Arc<Semaphore>,
    /// The sync the upgrade URL asked for, answered in `ready` when the `auth` frame asks
    /// for none.
    url_sync: Option<SyncQuery>,
}

/// What the reader does after a frame.
enum Next {
    Continue,
    Stop,
}

/// The answer to a command that ran: `ack` with its result (none for `()`), or its error.
fn outcome(result: Result<impl Serialize, ApiError>) -> ServerEvent {
    match result {
        Ok(out) => ServerEvent::Ack(AckData {
            result: serde_json::to_value(out).unwrap_or_default(),
        }),
        Err(e) => ServerEvent::Error(ErrorInfo {
            code: e.code(),
            message: e.message().to_owned(),
            field: None,
        }),
    }
}

/// Queues an answer for a socket. Never waits on the queue: full means the client is not
/// reading, which is the slow-consumer case.
fn answer(tx: &mpsc::Sender<Utf8Bytes>, kill: &Kill, event: ServerEvent, id: Option<String>) {
    let Some(frame) = local(event, id) else {
        return;
    };
    if let Err(mpsc::error::TrySendError::Full(_)) = tx.try_send(frame) {
        kill.close(close_code::TRY_AGAIN_LATER, "resync", false);
    }
}

impl Conn {
    /// Queues an answer (the reader never waits on its own queue either).
    fn send(&self, event: ServerEvent, id: Option<String>) {
        answer(&self.tx, &self.kill, event, id);
    }

    fn error(&self, code: ErrorCode, message: impl Into<String>, id: Option<String>) {
        self.send(
            ServerEvent::Error(ErrorInfo {
                code,
                message: message.into(),
                field: None,
            }),
            id,
        );
    }

    fn api_error(&self, e: &ApiError, id: Option<String>) {
        self.error(e.code(), e.message().to_owned(), id);
    }

    /// Answers a command that ran: `ack` with its result, or its error.
    fn reply(&self, result: Result<impl Serialize, ApiError>, id: Option<String>) {
        self.send(outcome(result), id);
    }

    /// Loads the user's conversations, registers the socket with `ready` as its first frame
    /// (carrying the answer to `sync` when one was asked for) and the conversations indexed,
    /// then marks the user online.
    async fn authenticated(&mut self, user: AuthUser, sync: Option<SyncQuery>) {
        tracing::Span::current().record("user_id", user.user_id.0);
        // Loaded before registering; a conversation made after this load reaches the registry
        // through `Control::MembersChanged` once the socket is registered. One made in between
        // is found by the client's sync (which follows `ready`) and by seq-gap detection.
        let conversations = match crate::messaging::service::active_conversation_ids(
            &self.state,
            user.user_id,
        )
        .await
        {
            Ok(ids) => ids,
            Err(e) => {
                tracing::warn!(error = %e, "cannot load conversations for fan-out; client must sync");
                Vec::new()
            }
        };
        let registration = super::ready::register(
            &self.state,
            user,
            &self.tx,
            &self.kill,
            &conversations,
            sync.as_ref(),
        )
        .await;
        self.registration = Some(registration);
        self.auth = Some(user);
        presence::connected(&self.state, user.user_id).await;
        crate::rooms::presence::connected(&self.state, user.user_id).await;
        crate::calls::presence::connected(&self.state, user.user_id, user.session_id).await;
    }

    /// Spends a token of the socket's frame budget on a text frame, then handles it. A
    /// refused frame is answered `rate_limited`; persistent excess closes the socket (1008).
    async fn on_frame(
        &mut self,
        text: &str,
        bucket: &mut super::bucket::Bucket,
        cfg: &GatewayConfig,
    ) -> Next {
        if !bucket.take() {
            if bucket.strikes >= cfg.frames_burst {
                self.kill.close(close_code::POLICY, "rate limit", true);
                return Next::Stop;
            }
            self.error(
                ErrorCode::RateLimited,
                format!(
                    "more than {} frames per second; slow down",
                    cfg.frames_per_second
                ),
                recover_id(text),
            );
            return Next::Continue;
        }
        // Boxed: the handlers' futures are large, and inline they would sit in every idle
        // socket's reader state for the socket's whole life.
        Box::pin(self.on_text(text)).await
    }

    async fn on_text(&mut self, text: &str) -> Next {
        let Some(ClientFrame { kind, id, data }) = self.read_frame(text) else {
            return Next::Continue;
        };
        let command = ClientCommand::from_parts(&kind, data);
        let Some(user) = self.auth else {
            return self.on_unauthenticated(&kind, command, id).await;
        };
        match command {
            Ok(command) => self.on_command(user, command, id).await,
            // Whatever its data, `auth` only gets this once the socket is authenticated.
            Err(CommandError::BadData(_)) if kind == client_kind::AUTH => {
                self.error(ErrorCode::BadFrame, "already authenticated", id);
            }
            Err(CommandError::BadData(why)) => {
                self.error(ErrorCode::BadFrame, format!("data: {why}"), id);
            }
            Err(CommandError::UnknownKind) => {
                let shown: String = kind.chars().take(40).collect();
                self.error(
                    ErrorCode::UnknownFrameType,
                    format!("unknown frame type {shown:?}"),
                    id,
                );
            }
        }
        Next::Continue
    }

    /// Reads a frame's envelope (`type`, `id`, raw `data`); a frame that is not one, or
    /// whose `id` is too long, is answered with an error here.
    fn read_frame(&self, text: &str) -> Option<ClientFrame> {
        match decode_frame(text) {
            Ok(frame) => Some(frame),
            Err(r) => {
                self.error(r.code, r.message, r.id);
                None
            }
        }
    }

    /// Runs a command of an authenticated socket and answers it.
    async fn on_command(&self, user: AuthUser, command: ClientCommand, id: Option<String>) {
        let (state, me) = (&self.state, user.user_id);
        match command {
            ClientCommand::Ping => self.send(
                ServerEvent::Pong(PongData {
                    server_time: state.clock.now(),
                }),
                id,
            ),
            ClientCommand::Auth(_) => self.error(ErrorCode::BadFrame, "already authenticated", id),
            // Kept in the protocol, but no-ops: every socket gets all its user's events.
            ClientCommand::Subscribe | ClientCommand::Unsubscribe => self.reply(Ok(()), id),
            ClientCommand::PresenceSet(p) => {
                self.reply(Ok(presence::set(state, me, p.status).await), id);
            }
            ClientCommand::Send(d) => self.submit_send(user, d, id).await,
            ClientCommand::Read(d) => {
                let marked = service::mark(state, me, d.conversation_id, Mark::Read, d.seq).await;
                self.reply(marked, id);
            }
            ClientCommand::Recv(d) => {
                let marked = service::mark(state, me, d.conversation_id, Mark::Recv, d.seq).await;
                self.reply(marked, id);
            }
            ClientCommand::Typing(d) => {
                self.reply(service::typing(state, me, d.conversation_id).await, id);
            }
            ClientCommand::CallSignal(d) => {
                self.reply(crate::calls::signal::relay(state, user, *d).await, id);
            }
        }
    }

    /// Checks a send and queues it for the writer here, in the reader, so one socket's sends
    /// are stored in the order it sent them; the commit is awaited (and the ack queued) off
    /// the reader, so the socket's next frames are read meanwhile. At most
    /// [`MAX_SENDS_IN_FLIGHT`] wait for their commit; then the reader waits for room.
    async fn submit_send(&self, user: AuthUser, d: SendData, id: Option<String>) {
        let Ok(permit) = self.in_flight.clone().acquire_owned().await else {
            return;
        };
        // Each send over a socket starts a trace of its own (the socket's span is not one).
        let root = tracing::trace_span!(
            target: TRACE_TARGET,
            parent: None,
            "ws send",
            user_id = user.user_id.0,
        );
        let submitted = service::submit_as(
            &self.state,
            user.user_id,
            d.conversation_id,
            d.message,
            true,
        )
        .instrument(root)
        .await;
        let pending = match submitted {
            Ok(p) => p,
            Err(e) => return self.api_error(&e, id),
        };
        let (state, tx, kill) = (self.state.clone(), self.tx.clone(), self.kill.clone());
        tokio::spawn(async move {
            answer(&tx, &kill, outcome(pending.ack(&state).await), id);
            drop(permit);
        });
    }

    /// Before authentication only `auth` is taken; every other frame, known or not and
    /// whatever its data, is answered `unauthorized`. A bad token closes the socket (4401).
    async fn on_unauthenticated(
        &mut self,
        kind: &str,
        command: Result<ClientCommand, CommandError>,
        id: Option<String>,
    ) -> Next {
        let (token, sync) = match command {
            Ok(ClientCommand::Auth(a)) => (a.token, a.sync.or_else(|| self.url_sync.clone())),
            Err(CommandError::BadData(why)) if kind == client_kind::AUTH => {
                self.error(ErrorCode::BadFrame, format!("data: {why}"), id);
                return Next::Continue;
            }
            _ => {
                self.error(
                    ErrorCode::Unauthorized,
                    "authenticate first: {\"type\":\"auth\",\"data\":{\"token\":\"…\"}}",
                    id,
                );
                return Next::Continue;
            }
        };
        // A sync that cannot be answered is refused before the token is looked at; the
        // socket stays open for a corrected `auth`.
        if let Some(q) = &sync
            && let Err(e) = service::check_sync(q)
        {
            self.api_error(&e, id);
            return Next::Continue;
        }
        match authenticate(&self.state, &token).await {
            Ok(user) => {
                self.authenticated(user, sync).await;
                Next::Continue
            }
            Err(e) => {
                self.api_error(&e, id);
                self.kill
                    .close(close_code::UNAUTHORIZED, "unauthorized", true);
                Next::Stop
            }
        }
    }
}

/// Why a text frame is not a [`ClientFrame`]: the error the socket answers with.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FrameRefusal {
    /// `invalid_json` or `bad_frame`.
    pub code: ErrorCode,
    /// What the client is told.
    pub message: String,
    /// The frame's `id`, when it can still be read (so the client can match the error).
    pub id: Option<String>,
}

/// Reads a text frame's envelope (`type`, `id`, raw `data`), as the reader loop does: a key
/// named twice at any depth or malformed JSON is `invalid_json`; JSON that is not an
/// envelope, or whose `id` is longer than [`MAX_FRAME_ID_LEN`], is `bad_frame`. Pure (the
/// fuzz targets drive it); [`ClientCommand::from_parts`] then reads `type` and `data`.
pub fn decode_frame(text: &str) -> Result<ClientFrame, FrameRefusal> {
    let refuse = |code, message: &str, id| FrameRefusal {
        code,
        message: message.to_owned(),
        id,
    };
    // A key named twice, at any depth, makes the frame ambiguous: refused like a body.
    if let Err(e) = crate::http::extract::unique_keys(text.as_bytes()) {
        let message = if e.is_data() {
            "the frame names a key twice in one object"
        } else {
            "the frame is not valid JSON"
        };
        return Err(refuse(ErrorCode::InvalidJson, message, recover_id(text)));
    }
    let shape = "a frame is {\"type\": string, \"id\"?: string, \"data\"?: object}";
    if !crate::http::extract::is_json_object(text.as_bytes()) {
        return Err(refuse(ErrorCode::BadFrame, shape, None));
    }
    let frame: ClientFrame = match serde_json::from_str(text) {
        Ok(f) => f,
        Err(e) => {
            let id = recover_id(text);
            return Err(if e.is_data() {
                refuse(ErrorCode::BadFrame, shape, id)
            } else {
                // Syntax, encoding, or nesting deeper than serde_json's limit (128).
                refuse(ErrorCode::InvalidJson, "the frame is not valid JSON", id)
            });
        }
    };
    if frame
        .id
        .as_ref()
        .is_some_and(|i| i.len() > MAX_FRAME_ID_LEN)
    {
        return Err(FrameRefusal {
            code: ErrorCode::BadFrame,
            message: format!("id: at most {MAX_FRAME_ID_LEN} bytes"),
            id: None,
        });
    }
    Ok(frame)
}

/// The request id of a frame that did not parse, when one can still be read (so the client
/// can match the error to its request).
fn recover_id(text: &str) -> Option<String> {
    #[derive(serde::Deserialize)]
    struct IdOnly {
        id: Option<String>,
    }
    serde_json::from_str::<IdOnly>(text)
        .ok()
        .and_then(|f| f.id)
        .filter(|i| i.len() <= MAX_FRAME_ID_LEN)
}

/// The close code for a read error, when the peer is still there to be told.
fn close_for(e: axum::Error) -> Option<(u16, &'static str)> {
    use tokio_tungstenite::tungstenite::Error as WsError;
    let inner = e.into_inner();
    match inner.downcast_ref::<WsError>()? {
        WsError::Capacity(_) => Some((close_code::TOO_BIG, "message too big")),
        WsError::Utf8(_) => Some((close_code::INVALID_PAYLOAD, "invalid UTF-8")),
        WsError::Protocol(_) => Some((1002, "protocol error")),
        _ => None,
    }
}

/// Runs one socket until it closes. `pre` is the user when the upgrade carried a valid
/// `Authorization` header; `sync` the sync its URL asked for (checked).
pub async fn run(
    state: AppState,
    socket: WebSocket,
    pre: Option<AuthUser>,
    sync: Option<SyncQuery>,
) {
    let cfg = state.config.gateway.clone();
    let (sink, mut stream) = socket.split();
    let (tx, rx) = mpsc::channel(cfg.outbound_queue);
    let kill = Kill::new();
    let writer = tokio::spawn(super::writer::write_loop(
        sink,
        rx,
        kill.clone(),
        Duration::from_secs(cfg.heartbeat_secs),
    ));
    let mut conn = Conn {
        state: state.clone(),
        tx,
        kill: kill.clone(),
        auth: None,
        registration: None,
        in_flight: Arc::new(Semaphore::new(
            MAX_SENDS_IN_FLIGHT.min(cfg.outbound_queue / 2).max(1),
        )),
        url_sync: None,
    };
    match pre {
        Some(user) => Box::pin(conn.authenticated(user, sync)).await,
        None => conn.url_sync = sync,
    }
    let linger = read_loop(&mut conn, &mut stream, &cfg).await;

    kill.close(close_code::NORMAL, "", true);
    if let Some(registration) = conn.registration.take()
        && let Some(user) = conn.auth
    {
        if registration.unregister() {
            Box::pin(presence::disconnected(&state, user.user_id)).await;
            Box::pin(crate::rooms::presence::disconnected(&state, user.user_id)).await;
        }
        // Per device: a call is bound to this session, whatever the user's other sockets.
        Box::pin(crate::calls::presence::disconnected(
            &state,
            user.user_id,
            user.session_id,
        ))
        .await;
    }
    drop(conn);
    // The stream is kept until the writer is done, so the close frame goes out before the
    // connection is dropped.
    let _ = writer.await;
    // The closing handshake: wait (briefly) for the client's close reply before dropping
    // the connection. Dropping it with unread client bytes (a pong, the rest of a too-big
    // message) makes the kernel send a reset, which can discard our close frame before the
    // client reads it.
    let handshake = async {
        while let Some(Ok(m)) = stream.next().await {
            if let Message::Close(_) = m {
                break;
            }
        }
    };
    let _ = tokio::time::timeout(CLOSE_HANDSHAKE, handshake).await;
    if linger {
        // After a read error the stream cannot be read any further; just wait.
        tokio::time::sleep(CLOSE_HANDSHAKE).await;
    }
    drop(stream);
}

/// Reads until the socket should close; true when it ended on a read error whose close
/// frame should be given time to arrive.
async fn read_loop(
    conn: &mut Conn,
    stream: &mut SplitStream<WebSocket>,
    cfg: &GatewayConfig,
) -> bool {
    let idle = Duration::from_secs(cfg.idle_timeout_secs);
    let auth_deadline = Instant::now() + Duration::from_secs(cfg.auth_timeout_secs);
    let mut last_heard = Instant::now();
    let mut bucket = super::bucket::Bucket::new(cfg.frames_per_second, cfg.frames_burst);
    let shutdown = conn.state.shutdown.clone();
    let kill = conn.kill.clone();
    loop {
        let deadline = if conn.auth.is_some() {
            last_heard + idle
        } else {
            auth_deadline.min(last_heard + idle)
        };
        let msg = tokio::select! {
            biased;
            _ = kill.fired() => return false,
            _ = shutdown.cancelled() => {
                kill.close(close_code::GOING_AWAY, "going away", true);
                return false;
            }
            _ = tokio::time::sleep_until(deadline) => {
                if conn.auth.is_none() && Instant::now() >= auth_deadline {
                    conn.error(ErrorCode::AuthTimeout, "not authenticated in time", None);
                    kill.close(close_code::UNAUTHORIZED, "auth timeout", true);
                } else {
                    kill.close(close_code::IDLE_TIMEOUT, "idle timeout", true);
                }
                return false;
            }
            msg = stream.next() => msg,
        };
        let msg = match msg {
            None => return false,
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                return match close_for(e) {
                    Some((code, reason)) => {
                        kill.close(code, reason, false);
                        true
                    }
                    None => false,
                };
            }
        };
        last_heard = Instant::now();
        match msg {
            Message::Text(text) => {
                if let Next::Stop = conn.on_frame(&text, &mut bucket, cfg).await {
                    return false;
                }
            }
            Message::Binary(_) => {
                kill.close(
                    close_code::UNSUPPORTED_DATA,
                    "binary frames are not supported",
                    true,
                );
                return false;
            }
            // Pings are answered by tungstenite; pongs only prove the client is alive.
            Message::Ping(_) | Message::Pong(_) => {}
            Message::Close(_) => return false,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_unparsable_frame_keeps_its_id_when_readable() {
        assert_eq!(recover_id(r#"{"id":"r1","type":5}"#).as_deref(), Some("r1"));
        assert_eq!(recover_id("[[[").as_deref(), None);
    }

    #[test]
    fn a_frame_that_is_not_an_object_is_a_bad_frame() {
        // Found by the `ws_frame` fuzz target: serde read `["-1"]` as a frame of type "-1".
        for text in [r#"["ping"]"#, r#" ["-1"]"#, "5", r#""ping""#] {
            let r = decode_frame(text).map(|_| ()).unwrap_err();
            assert_eq!(r.code, ErrorCode::BadFrame, "{text}");
        }
        assert!(decode_frame(r#" {"type":"ping"}"#).is_ok());
    }
}
