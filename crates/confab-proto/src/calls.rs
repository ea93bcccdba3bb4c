//! Voice and video calls: 1:1 calls in a direct chat (ring, accept on one device, decline,
//! cancel, timeout, busy, hang up), group calls in a group or a voice room's chat, the
//! `call.*` events, the `call.signal` relay and TURN credentials (see `docs/calls.md`).
//! Confab carries no media: it rings, relays signalling and records the call.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ids::{CallId, ConversationId, SessionId, UserId};

/// What the call carries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallMedia {
    /// Voice only.
    Audio,
    /// Voice and camera.
    Video,
}

/// Between whom.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallKind {
    /// Two users in their direct chat; media peer to peer (TURN when needed).
    Direct,
    /// Members of a group (or a voice room's audience); media through the SFU.
    Group,
}

/// Where a call is in its life.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallState {
    /// A 1:1 call waiting for the callee to answer.
    Ringing,
    /// Answered (1:1) or started (group): media may flow.
    Active,
    /// Over; `outcome` says how.
    Ended,
}

/// How a call ended; each call has exactly one, and one record message.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CallOutcome {
    /// Answered, then hung up (or dropped); `duration_secs` counts from the answer.
    Answered,
    /// Not answered within the ring timeout (or a group call nobody joined).
    Missed,
    /// The callee declined.
    Declined,
    /// The caller gave up before an answer (or dropped while ringing).
    Cancelled,
    /// The callee was in another call.
    Busy,
}

/// A call.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallOut {
    /// The call.
    pub id: CallId,
    /// 1:1 or group.
    pub kind: CallKind,
    /// Audio or video.
    pub media: CallMedia,
    /// Where the call is recorded (the direct chat, the group's or room's chat).
    pub conversation_id: ConversationId,
    /// Who rang (1:1) or started it (group).
    pub caller_id: UserId,
    /// Who is rung (1:1 only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub callee_id: Option<UserId>,
    /// Ringing, active or ended.
    pub state: CallState,
    /// Set once ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub outcome: Option<CallOutcome>,
    /// When it was placed.
    pub created_at: DateTime<Utc>,
    /// When it was answered (1:1) or started (group).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub answered_at: Option<DateTime<Utc>>,
    /// When it ended.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ended_at: Option<DateTime<Utc>>,
    /// Whole seconds from the answer to the end (ended, answered calls only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub duration_secs: Option<i64>,
    /// Group calls: who is in the call now.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub participants: Vec<UserId>,
}

/// `POST /calls`: ring a user in our direct chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
#[schema(as = CallInviteIn)]
pub struct InviteIn {
    /// Whom to ring.
    pub callee_id: UserId,
    /// Audio or video.
    pub media: CallMedia,
}

/// `POST /calls/group`: start a group call in a group's (or voice room's) chat.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct StartGroupCallIn {
    /// The group's or room's conversation.
    pub conversation_id: ConversationId,
    /// Audio or video.
    pub media: CallMedia,
}

/// `call.ringing`, `call.accepted`, `call.ended`, `call.participant_joined`,
/// `call.participant_left` data: the call as it is now.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct CallEventData {
    /// The call.
    pub call: CallOut,
    /// `call.accepted` and `call.answered_elsewhere`: the callee's device that answered;
    /// participant events: the user who joined or left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub session_id: Option<SessionId>,
    /// Participant events: who joined or left.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// The `call.signal` command (client → server) and event (server → the peer's device): an
/// SDP offer/answer or ICE candidate, relayed as is between the two devices of an active
/// 1:1 call and nowhere else.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CallSignalData {
    /// The call.
    pub call_id: CallId,
    /// Opaque to the server (e.g. `{"type": "offer", "sdp": "…"}` or
    /// `{"candidate": "…", "sdpMid": "0"}`); at most `calls.signal_max_bytes` serialized.
    pub payload: serde_json::Value,
    /// Set by the server on relay: who sent it (ignored from clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from_user_id: Option<UserId>,
}

/// One ICE server as WebRTC's `RTCIceServer` takes it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IceServerOut {
    /// `stun:`, `turn:` or `turns:` URLs.
    pub urls: Vec<String>,
    /// TURN REST username: `<expiry unix seconds>:<user id>`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub username: Option<String>,
    /// TURN REST password: base64(HMAC-SHA1(shared secret, username)).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub credential: Option<String>,
}

/// `GET /calls/ice-servers`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
pub struct IceServersOut {
    /// STUN servers, then TURN servers with credentials (empty when none are configured).
    pub ice_servers: Vec<IceServerOut>,
    /// When the TURN credentials stop working (absent without TURN).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expires_at: Option<DateTime<Utc>>,
}
