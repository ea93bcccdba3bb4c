//! Routes: `GET /ws` (the WebSocket upgrade; mounted outside the request timeout),
//! `PUT /me/presence`, `GET /users/{id}/presence`.

use axum::Extension;
use axum::extract::State;
use axum::extract::ws::WebSocketUpgrade;
use axum::http::{HeaderMap, header};
use axum::response::{IntoResponse, Response};
use confab_proto::ErrorBody;
use confab_proto::ErrorCode;
use confab_proto::ids::UserId;
use confab_proto::messaging::SyncQuery;
use confab_proto::ws::{PresenceIn, PresenceOut};
use serde::Deserialize;
use tracing::Instrument as _;
use utoipa_axum::router::OpenApiRouter;
use utoipa_axum::routes;

use super::session;
use crate::accounts::auth::{AuthUser, authenticate};
use crate::error::{ApiError, ApiResult};
use crate::http::extract::{AppJson, AppPath, AppQuery};
use crate::http::middleware::RequestId;
use crate::social::presence;
use crate::state::AppState;

/// Bytes tungstenite reads from the socket at a time, allocated up front for every socket.
/// The default (128 KiB) would dominate an idle socket; client frames are small (a `send`
/// is a few hundred bytes, so one read still takes a dozen), and a larger frame simply
/// takes several reads. 4 KiB instead of 8 KiB: idle RSS per connection 19.9 → 18.7 KiB
/// (docs/performance.md; the target is ≤ 16 KiB).
const READ_BUFFER: usize = 4 * 1024;
/// Bytes buffered before writing to the socket; the writer flushes each batch anyway. (A
/// blocked write holds at most this plus one frame: the sink then waits for the peer.)
const WRITE_BUFFER: usize = 8 * 1024;

/// The WebSocket route (mounted under `/api/v1`, outside the HTTP request timeout: a socket
/// lives for hours).
pub fn ws_routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new().routes(routes!(connect_ws))
}

/// The presence routes (mounted under `/api/v1`, with the other JSON routes).
pub fn routes() -> OpenApiRouter<AppState> {
    OpenApiRouter::new()
        .routes(routes!(set_my_presence))
        .routes(routes!(get_user_presence))
}

/// The upgrade's query: the sync to answer in `ready`. Other parameters are ignored (a
/// token among them is never read).
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct WsQuery {
    /// Answer a sync in `ready`: the cursor of the previous sync (empty: a first sync).
    #[serde(default)]
    pub sync: Option<String>,
    /// With `sync`: most messages inline per conversation (0 to 50; default 20 with a
    /// cursor).
    #[serde(default)]
    pub messages: Option<u32>,
}

impl WsQuery {
    /// The sync asked for, if any.
    fn sync(self) -> Option<SyncQuery> {
        self.sync.map(|c| SyncQuery {
            cursor: (!c.is_empty()).then_some(c),
            messages: self.messages,
        })
    }
}

fn bearer(headers: &HeaderMap) -> Option<&str> {
    let v = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = v.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

/// Open the real-time WebSocket.
///
/// Upgrade with `Connection: Upgrade`, `Upgrade: websocket`. Authenticate with an
/// `Authorization: Bearer <access token>` header (checked before the upgrade: a bad token
/// is answered 401 here), or — for browsers — send `{"type":"auth","data":{"token":"…"}}` as
/// the first frame within `gateway.auth_timeout_secs`. A token in the URL is never read.
/// `?sync=<cursor>` (or `sync` in the `auth` frame) asks for the sync answer in `ready`.
/// The server answers `ready`, then pushes events; frames, close codes and limits are in
/// `docs/protocol.md`.
#[utoipa::path(get, path = "/ws", tag = "realtime",
    security((), ("bearer" = [])),
    params(WsQuery),
    responses(
        (status = 101, description = "Switching Protocols: the socket is open"),
        (status = 400, description = "`bad_request`: not a WebSocket upgrade request", body = ErrorBody),
        (status = 401, description = "`unauthorized`, `token_expired`, `session_revoked` (header auth only)", body = ErrorBody),
        (status = 403, description = "`account_disabled`", body = ErrorBody),
        (status = 422, description = "`validation_failed`: a bad `sync` cursor or `messages`", body = ErrorBody)))]
pub async fn connect_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    AppQuery(query): AppQuery<WsQuery>,
    ws: WebSocketUpgrade,
    request: Option<Extension<RequestId>>,
) -> Response {
    let sync = query.sync();
    if let Some(q) = &sync
        && let Err(e) = crate::messaging::service::check_sync(q)
    {
        return e.into_response();
    }
    let request_id = request
        .map(|Extension(r)| r.0)
        .unwrap_or_else(|| "-".into());
    let pre = match bearer(&headers) {
        Some(token) => match authenticate(&state, token).await {
            Ok(user) => Some(user),
            Err(e) => return e.into_response(),
        },
        None => None,
    };
    let cfg = &state.config.gateway;
    ws.read_buffer_size(READ_BUFFER)
        .write_buffer_size(WRITE_BUFFER)
        .max_message_size(cfg.max_frame_bytes)
        .max_frame_size(cfg.max_frame_bytes)
        .on_upgrade(move |socket| async move {
            // Every log line of the socket names its upgrade request and, once known, its
            // user (`session` records it). Not exported as a trace: a socket lives for hours;
            // each send starts a trace of its own.
            let span = tracing::info_span!(
                target: "confab::ws",
                "ws",
                request_id = %request_id,
                user_id = pre.as_ref().map(|u| u.user_id.0),
            );
            // Through the task tracker, so shutdown waits for the 1001 close frames.
            let st = state.clone();
            state.tasks.spawn(
                "ws-session",
                session::run(st, socket, pre, sync).instrument(span),
            );
        })
}

/// Set how my presence is shown: `online`, `away`, `busy` or `invisible` (shown offline).
#[utoipa::path(put, path = "/me/presence", tag = "me", security(("bearer" = [])),
    request_body = PresenceIn,
    responses(
        (status = 200, description = "What others now see", body = PresenceOut),
        (status = 401, body = ErrorBody),
        (status = 422, body = ErrorBody)))]
pub async fn set_my_presence(
    auth: AuthUser,
    State(state): State<AppState>,
    AppJson(input): AppJson<PresenceIn>,
) -> ApiResult<AppJson<PresenceOut>> {
    Ok(AppJson(
        presence::set(&state, auth.user_id, input.status).await,
    ))
}

/// A user's presence, as others see it.
///
/// Visible to the user and their friends (never across a block); an invisible user reads
/// as `offline`.
#[utoipa::path(get, path = "/users/{id}/presence", tag = "users", security(("bearer" = [])),
    params(("id" = String, Path, description = "User id")),
    responses(
        (status = 200, body = PresenceOut),
        (status = 403, description = "`forbidden`: not this user's friend (or a block stands)", body = ErrorBody)))]
pub async fn get_user_presence(
    auth: AuthUser,
    State(state): State<AppState>,
    AppPath(id): AppPath<UserId>,
) -> ApiResult<AppJson<PresenceOut>> {
    if !presence::may_see(&state, auth.user_id, id).await {
        return Err(ApiError::new(
            ErrorCode::Forbidden,
            "presence is visible to the user's friends only",
        ));
    }
    Ok(AppJson(presence::status_of(&state, id).await))
}
