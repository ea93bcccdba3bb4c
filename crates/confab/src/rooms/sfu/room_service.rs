//! The RoomService worker: the calls that take a right away at the SFU ([`revoke_publish`],
//! [`restore_publish`], [`remove`]) queued to one task per node ([`Runtime`]) that sends them
//! in order, retrying transport errors and 5xx with exponential backoff and jitter (see the
//! parent module's doc for why they are best effort).

use std::time::Duration;

use anyhow::Context;
use chrono::Utc;
use confab_proto::ids::UserId;
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::token::admin_token;
use crate::config::MediaConfig;
use crate::state::AppState;

/// Calls waiting for the worker. A moderation burst (a room closing, a mass kick) queues one
/// call per member; past this the node is far behind and newer calls are dropped.
const QUEUE: usize = 1024;
/// Attempts per call, the first included.
const ATTEMPTS: u32 = 5;
/// The wait before the first retry; it doubles with each retry…
const BACKOFF_START: Duration = Duration::from_millis(200);
/// …up to this.
const BACKOFF_CAP: Duration = Duration::from_secs(5);
/// How long one RoomService request may take (connecting included).
const HTTP_TIMEOUT: Duration = Duration::from_secs(5);
/// The most of an error answer's body that is read (for its Twirp code).
const ERROR_BODY_LIMIT: usize = 4096;

/// Takes `identity`'s right to publish in `room` away at once (their seat was lost or
/// muted): RoomService `UpdateParticipant` with `canPublish: false`. Returns at once; see
/// the module doc for delivery. Does nothing when `media.livekit_url` is empty.
pub fn revoke_publish(state: &AppState, room: String, identity: UserId) {
    state.slot::<Runtime>().enqueue(Call {
        room,
        identity,
        method: Method::Update { can_publish: false },
    });
}

/// Gives `identity` back the right to publish their microphone in `room` (their seat was
/// unmuted): RoomService `UpdateParticipant` with `canPublish: true`. Returns at once, like
/// [`revoke_publish`].
pub fn restore_publish(state: &AppState, room: String, identity: UserId) {
    state.slot::<Runtime>().enqueue(Call {
        room,
        identity,
        method: Method::Update { can_publish: true },
    });
}

/// Disconnects `identity` from `room` (they left, were kicked, or the room closed):
/// RoomService `RemoveParticipant`. Returns at once, like [`revoke_publish`]; a participant
/// who is not connected is not an error.
pub fn remove(state: &AppState, room: String, identity: UserId) {
    state.slot::<Runtime>().enqueue(Call {
        room,
        identity,
        method: Method::Remove,
    });
}

/// The node's RoomService worker, installed at start-up: the queue its calls wait in.
pub struct Runtime {
    /// `None` when `media.livekit_url` is empty: calls are ignored.
    tx: Option<mpsc::Sender<Call>>,
}

impl Runtime {
    /// Starts the worker (a task named `sfu-calls`) when `media.livekit_url` is set. It stops
    /// when the node's tasks are cancelled, after the HTTP server has drained, so requests
    /// still finishing at shutdown can queue their calls; whatever is still queued then is
    /// dropped (and logged).
    ///
    /// Reads only the state's config and tasks, so `Application::build` can call it while it
    /// is still installing slots.
    pub fn start(state: &AppState) -> anyhow::Result<Self> {
        let cfg = &state.config.media;
        if cfg.livekit_url.is_empty() {
            return Ok(Self { tx: None });
        }
        let client = RoomService::new(cfg)?;
        let (tx, rx) = mpsc::channel(QUEUE);
        let tasks = &state.tasks;
        tasks.spawn("sfu-calls", run(rx, client, tasks.token()));
        Ok(Self { tx: Some(tx) })
    }

    fn enqueue(&self, call: Call) {
        let Some(tx) = &self.tx else { return };
        match tx.try_send(call) {
            Ok(()) => {}
            Err(mpsc::error::TrySendError::Full(call)) => {
                count(call.method, Outcome::Dropped);
                tracing::error!(
                    method = call.method.name(),
                    room = %call.room,
                    identity = %call.identity,
                    "SFU call dropped: the RoomService queue is full (the media token's expiry still bounds the right)"
                );
            }
            // The worker stopped: the node is shutting down.
            Err(mpsc::error::TrySendError::Closed(call)) => count(call.method, Outcome::Dropped),
        }
    }
}

/// One queued RoomService call.
#[derive(Debug, Clone)]
struct Call {
    room: String,
    identity: UserId,
    method: Method,
}

#[derive(Debug, Clone, Copy)]
enum Method {
    /// `UpdateParticipant`: replaces the participant's permissions.
    Update { can_publish: bool },
    /// `RemoveParticipant`.
    Remove,
}

impl Method {
    /// The metrics and log label.
    fn name(self) -> &'static str {
        match self {
            Self::Update { .. } => "update_participant",
            Self::Remove => "remove_participant",
        }
    }

    /// The Twirp method.
    fn rpc(self) -> &'static str {
        match self {
            Self::Update { .. } => "UpdateParticipant",
            Self::Remove => "RemoveParticipant",
        }
    }
}

/// `UpdateParticipantRequest` / `RoomParticipantIdentity` in protobuf JSON.
#[derive(Debug, Serialize)]
struct RequestBody<'a> {
    room: &'a str,
    identity: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    permission: Option<Permission>,
}

/// `ParticipantPermission` in protobuf JSON. LiveKit replaces the whole permission, so every
/// field a room participant needs is sent each time.
#[derive(Debug, Serialize)]
#[serde(rename_all = "camelCase")]
struct Permission {
    can_subscribe: bool,
    can_publish: bool,
    can_publish_data: bool,
    can_publish_sources: Vec<&'static str>,
}

impl Call {
    fn body(&self) -> RequestBody<'_> {
        let permission = match self.method {
            Method::Update { can_publish } => Some(Permission {
                can_subscribe: true,
                can_publish,
                can_publish_data: true,
                can_publish_sources: if can_publish {
                    vec!["MICROPHONE"]
                } else {
                    Vec::new()
                },
            }),
            Method::Remove => None,
        };
        RequestBody {
            room: &self.room,
            identity: self.identity.to_string(),
            permission,
        }
    }
}

/// A Twirp error answer: `{"code": "not_found", "msg": "…"}`.
#[derive(Debug, Default, Deserialize)]
struct TwirpError {
    #[serde(default)]
    code: String,
    #[serde(default)]
    msg: String,
}

/// How a call ended: the `outcome` label of `confab_sfu_calls_total`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    /// LiveKit answered 2xx.
    Ok,
    /// 404 (Twirp `not_found`): the participant is not connected, so there was nothing to do.
    NotFound,
    /// Another 4xx (or a 3xx: redirects are not followed); not retried.
    Rejected,
    /// Transport errors or 5xx on every attempt.
    Failed,
    /// Never sent: the queue was full, or the worker had stopped.
    Dropped,
    /// Interrupted by shutdown.
    Cancelled,
}

impl Outcome {
    fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::NotFound => "not_found",
            Self::Rejected => "rejected",
            Self::Failed => "failed",
            Self::Dropped => "dropped",
            Self::Cancelled => "cancelled",
        }
    }
}

/// How one attempt ended.
#[derive(Debug)]
enum Attempt {
    /// Final.
    Done(Outcome),
    /// Worth another try, for this reason.
    Retry(String),
}

/// What an answer's status means for a call; `None`: retry.
fn classify(status: reqwest::StatusCode) -> Option<Outcome> {
    if status.is_success() {
        Some(Outcome::Ok)
    } else if status == reqwest::StatusCode::NOT_FOUND {
        Some(Outcome::NotFound)
    } else if status.is_server_error()
        // Twirp's `deadline_exceeded` and `resource_exhausted`: transient by definition.
        || status == reqwest::StatusCode::REQUEST_TIMEOUT
        || status == reqwest::StatusCode::TOO_MANY_REQUESTS
    {
        None
    } else {
        Some(Outcome::Rejected)
    }
}

/// The wait before retry number `retry` (1-based): `BACKOFF_START · 2^(retry-1)`, capped,
/// with "equal jitter" (half fixed, half random) so nodes retrying together spread out.
fn backoff(retry: u32) -> Duration {
    let base = BACKOFF_START
        .saturating_mul(2u32.saturating_pow(retry.saturating_sub(1)))
        .min(BACKOFF_CAP);
    let half = base / 2;
    let jitter = rand::random_range(0..=u64::try_from(half.as_millis()).unwrap_or(0));
    half + Duration::from_millis(jitter)
}

/// The HTTP side of the worker.
struct RoomService {
    http: reqwest::Client,
    /// `…/twirp/livekit.RoomService/`, ready for a method name.
    base: String,
    cfg: MediaConfig,
}

impl RoomService {
    fn new(cfg: &MediaConfig) -> anyhow::Result<Self> {
        let mut url =
            reqwest::Url::parse(&cfg.livekit_url).context("media.livekit_url: not a URL")?;
        // Clients are often given the `wss://` form; the RoomService is the same host over HTTP.
        let scheme = match url.scheme() {
            "wss" => Some("https"),
            "ws" => Some("http"),
            _ => None,
        };
        if let Some(s) = scheme {
            url.set_scheme(s)
                .map_err(|()| anyhow::anyhow!("media.livekit_url: cannot use it over HTTP"))?;
        }
        let base = format!(
            "{}/twirp/livekit.RoomService/",
            url.as_str().trim_end_matches('/')
        );
        let http = reqwest::Client::builder()
            .timeout(HTTP_TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .context("cannot build the LiveKit HTTP client")?;
        Ok(Self {
            http,
            base,
            cfg: cfg.clone(),
        })
    }

    /// Sends `call`, retrying what is worth retrying.
    async fn deliver(&self, call: &Call) -> Outcome {
        let mut attempt = 1;
        loop {
            match self.attempt(call).await {
                Attempt::Done(outcome) => return outcome,
                Attempt::Retry(why) if attempt < ATTEMPTS => {
                    tracing::debug!(
                        method = call.method.name(),
                        room = %call.room,
                        attempt,
                        why = %why,
                        "SFU call failed; retrying"
                    );
                    tokio::time::sleep(backoff(attempt)).await;
                    attempt += 1;
                }
                Attempt::Retry(why) => {
                    tracing::error!(
                        method = call.method.name(),
                        room = %call.room,
                        identity = %call.identity,
                        attempts = attempt,
                        why = %why,
                        "SFU call failed; giving up (the media token's expiry still bounds the right)"
                    );
                    return Outcome::Failed;
                }
            }
        }
    }

    async fn attempt(&self, call: &Call) -> Attempt {
        // Minted per attempt on the wall clock: LiveKit checks `nbf`/`exp` against its own
        // clock, not against the business clock that tests move.
        let token = match admin_token(&self.cfg, Utc::now(), &call.room) {
            Ok(t) => t,
            Err(e) => {
                tracing::error!(error = %e, "cannot sign a RoomService token");
                return Attempt::Done(Outcome::Failed);
            }
        };
        let url = format!("{}{}", self.base, call.method.rpc());
        let sent = self
            .http
            .post(url)
            .bearer_auth(token)
            .json(&call.body())
            .send()
            .await;
        let mut resp = match sent {
            Ok(r) => r,
            Err(e) => return Attempt::Retry(e.without_url().to_string()),
        };
        let status = resp.status();
        let verdict = classify(status);
        if verdict == Some(Outcome::Ok) {
            return Attempt::Done(Outcome::Ok);
        }
        let err = read_error(&mut resp).await;
        match verdict {
            Some(Outcome::NotFound) => {
                tracing::debug!(
                    method = call.method.name(),
                    room = %call.room,
                    identity = %call.identity,
                    code = %err.code,
                    "SFU: participant not connected; nothing to do"
                );
                Attempt::Done(Outcome::NotFound)
            }
            Some(outcome) => {
                tracing::warn!(
                    method = call.method.name(),
                    room = %call.room,
                    identity = %call.identity,
                    status = status.as_u16(),
                    code = %err.code,
                    msg = %err.msg,
                    "SFU call refused"
                );
                Attempt::Done(outcome)
            }
            None => Attempt::Retry(format!("HTTP {} {}", status.as_u16(), err.code)),
        }
    }
}

/// The Twirp error in an answer's body, read up to [`ERROR_BODY_LIMIT`] bytes.
async fn read_error(resp: &mut reqwest::Response) -> TwirpError {
    let mut body = Vec::new();
    while body.len() < ERROR_BODY_LIMIT {
        match resp.chunk().await {
            Ok(Some(chunk)) => body.extend_from_slice(&chunk),
            _ => break,
        }
    }
    body.truncate(ERROR_BODY_LIMIT);
    serde_json::from_slice(&body).unwrap_or_default()
}

/// The worker: one call at a time, so calls reach LiveKit in the order this node made them
/// (a revoke then a restore must not arrive swapped).
async fn run(mut rx: mpsc::Receiver<Call>, client: RoomService, cancel: CancellationToken) {
    loop {
        let call = tokio::select! {
            biased;
            _ = cancel.cancelled() => break,
            call = rx.recv() => match call {
                Some(c) => c,
                None => return,
            },
        };
        let outcome = tokio::select! {
            biased;
            _ = cancel.cancelled() => Outcome::Cancelled,
            outcome = client.deliver(&call) => outcome,
        };
        count(call.method, outcome);
        if cancel.is_cancelled() {
            break;
        }
    }
    let left = rx.len();
    if left > 0 {
        tracing::warn!(left, "SFU calls not sent: the node is stopping");
    }
}

fn count(method: Method, outcome: Outcome) {
    metrics::counter!(
        "confab_sfu_calls_total",
        "method" => method.name(),
        "outcome" => outcome.label(),
    )
    .increment(1);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::rooms::sfu::testing::cfg;

    #[test]
    fn request_bodies_are_protobuf_json() {
        let call = |method| Call {
            room: "confab-room-9".into(),
            identity: UserId(77),
            method,
        };
        let json = |c: &Call| serde_json::to_value(c.body()).unwrap();
        assert_eq!(
            json(&call(Method::Update { can_publish: false })),
            serde_json::json!({"room": "confab-room-9", "identity": "77", "permission": {
                "canSubscribe": true, "canPublish": false, "canPublishData": true,
                "canPublishSources": []}})
        );
        assert_eq!(
            json(&call(Method::Update { can_publish: true }))["permission"]["canPublishSources"],
            serde_json::json!(["MICROPHONE"])
        );
        assert_eq!(
            json(&call(Method::Remove)),
            serde_json::json!({"room": "confab-room-9", "identity": "77"})
        );
    }

    #[test]
    fn statuses_are_classified() {
        use reqwest::StatusCode as S;
        assert_eq!(classify(S::OK), Some(Outcome::Ok));
        assert_eq!(classify(S::NOT_FOUND), Some(Outcome::NotFound));
        assert_eq!(classify(S::UNAUTHORIZED), Some(Outcome::Rejected));
        assert_eq!(classify(S::BAD_REQUEST), Some(Outcome::Rejected));
        assert_eq!(classify(S::FOUND), Some(Outcome::Rejected));
        assert_eq!(classify(S::SERVICE_UNAVAILABLE), None);
        assert_eq!(classify(S::INTERNAL_SERVER_ERROR), None);
        assert_eq!(classify(S::TOO_MANY_REQUESTS), None);
    }

    #[test]
    fn backoff_doubles_with_jitter_and_is_capped() {
        for _ in 0..100 {
            let first = backoff(1);
            assert!((Duration::from_millis(100)..=Duration::from_millis(200)).contains(&first));
            let third = backoff(3);
            assert!((Duration::from_millis(400)..=Duration::from_millis(800)).contains(&third));
            let late = backoff(30);
            assert!((BACKOFF_CAP / 2..=BACKOFF_CAP).contains(&late));
        }
    }

    #[test]
    fn wss_urls_reach_the_room_service_over_https() {
        let rs = RoomService::new(&cfg()).unwrap();
        assert_eq!(
            rs.base,
            "https://sfu.example.test/twirp/livekit.RoomService/"
        );
        let mut c = cfg();
        c.livekit_url = "http://127.0.0.1:7880/".into();
        assert_eq!(
            RoomService::new(&c).unwrap().base,
            "http://127.0.0.1:7880/twirp/livekit.RoomService/"
        );
    }

    #[test]
    fn a_full_queue_drops_the_call_without_waiting() {
        let (tx, mut rx) = mpsc::channel(1);
        let rt = Runtime { tx: Some(tx) };
        let call = |id| Call {
            room: "r".into(),
            identity: UserId(id),
            method: Method::Remove,
        };
        rt.enqueue(call(1));
        rt.enqueue(call(2));
        assert_eq!(rx.try_recv().unwrap().identity, UserId(1));
        assert!(rx.try_recv().is_err());
        // No URL: nothing is queued anywhere.
        Runtime { tx: None }.enqueue(call(3));
    }
}
