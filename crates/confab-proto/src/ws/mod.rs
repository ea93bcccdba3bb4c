//! The WebSocket protocol's wire types (`GET /api/v1/ws`; see `docs/protocol.md`).
//!
//! Every frame is one JSON text message: `{"type": "...", "id": "...", "data": {...}}`.
//! Client frames are commands (imperative: `auth`, `ping`, `presence.set`); server frames
//! are answers (`ready`, `ack`, `error`, `pong`) and events (past tense or nouns:
//! `presence`, `session.revoked`, `resync`). `id` is chosen by the client and echoed on the
//! answer to that frame; events pushed by the server carry none.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::ErrorInfo;
use crate::groups::{GroupDissolvedData, GroupMemberData, GroupUpdatedData};
use crate::ids::{SessionId, UserId};
use crate::messaging::{MarksOut, MessageOut, ReactionOut, RecallOut};
use crate::rooms;

mod client;

pub use client::*;

/// `presence.set` data, and the body of `PUT /api/v1/me/presence`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PresenceIn {
    /// What this user wants others to see while connected.
    pub status: PresenceSetting,
}

/// What a user chooses to show while at least one device is connected.
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceSetting {
    /// Shown as online.
    #[default]
    Online,
    /// Shown as away.
    Away,
    /// Shown as busy (do not disturb).
    Busy,
    /// Shown as offline to everyone else.
    Invisible,
}

/// What others see.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PresenceStatus {
    /// At least one device connected.
    Online,
    /// No device connected, or invisible.
    Offline,
    /// Connected, marked away.
    Away,
    /// Connected, marked busy.
    Busy,
}

/// A user's presence as others see it: the `presence` event's data and the body of the
/// presence endpoints.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct PresenceOut {
    /// Whose presence.
    pub user_id: UserId,
    /// What others see.
    pub status: PresenceStatus,
    /// When this was observed (server time).
    pub at: DateTime<Utc>,
}

/// `ready` data: sent once, right after authentication succeeds.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ReadyData {
    /// The signed-in user.
    pub user_id: UserId,
    /// This device's session (what a revocation names).
    pub session_id: SessionId,
    /// The server's clock, for the client to estimate skew.
    pub server_time: DateTime<Utc>,
    /// The server pings this often; answer pongs (browsers do it by themselves).
    pub heartbeat_secs: u64,
    /// A socket the server hears nothing from for this long is closed.
    pub idle_timeout_secs: u64,
    /// Largest client message accepted; larger ones close the socket with 1009.
    pub max_frame_bytes: usize,
    /// The answer to the sync the connect asked for (`auth` frame `sync`, or `?sync=` on the
    /// upgrade), taken after the socket was subscribed: events that follow may repeat what
    /// it holds (deduplicate by seq), none is missing between the two. Absent when none
    /// was asked for, or when it could not be taken (then call `GET /sync`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<Box<crate::messaging::SyncOut>>,
}

/// `ack` data: the request named by the frame's `id` succeeded.
#[derive(Clone, Debug, Default, Serialize, Deserialize, PartialEq)]
pub struct AckData {
    /// The command's result, when it has one.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub result: serde_json::Value,
}

/// `pong` data.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct PongData {
    /// The server's clock.
    pub server_time: DateTime<Utc>,
}

/// `session.revoked` data: this socket's session was signed out; the socket closes next.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct SessionRevokedData {
    /// The revoked session (this socket's).
    pub session_id: SessionId,
}

/// `resync` data: events for this socket may have been lost (the node's bus subscription
/// was re-established, or it fell behind); fetch state from the REST API again.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct ResyncData {
    /// Why: `gap`.
    pub reason: String,
}

/// A server frame's type and data.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ServerEvent {
    /// Authenticated; the socket is live.
    #[serde(rename = "ready")]
    Ready(ReadyData),
    /// The frame with this `id` succeeded.
    #[serde(rename = "ack")]
    Ack(AckData),
    /// The frame with this `id` (or the socket) failed; the socket stays open unless a
    /// close follows.
    #[serde(rename = "error")]
    Error(ErrorInfo),
    /// Answer to `ping`.
    #[serde(rename = "pong")]
    Pong(PongData),
    /// A user's presence changed.
    #[serde(rename = "presence")]
    Presence(PresenceOut),
    /// This socket's session was signed out; a close (4001) follows.
    #[serde(rename = "session.revoked")]
    SessionRevoked(SessionRevokedData),
    /// Events may have been missed; re-fetch state.
    #[serde(rename = "resync")]
    Resync(ResyncData),
    /// A message was stored in one of my conversations (mine from another device too).
    #[serde(rename = "message.new")]
    MessageNew(MessageOut),
    /// A member's read/recv marks moved (my other devices; the peer of a direct chat).
    #[serde(rename = "receipt")]
    Receipt(MarksOut),
    /// Someone is typing in one of my conversations.
    #[serde(rename = "typing")]
    Typing(TypingData),
    /// A message in one of my conversations was edited (the whole updated message).
    #[serde(rename = "message.edited")]
    MessageEdited(MessageOut),
    /// A message in one of my conversations was recalled (its body is now `{}`).
    #[serde(rename = "message.recalled")]
    MessageRecalled(RecallOut),
    /// A member set, replaced or removed their reaction to a message.
    #[serde(rename = "reaction")]
    Reaction(ReactionOut),
    /// Someone sent me a friend request (or sent it again with a new note). Boxed: it
    /// carries two profiles, much larger than the other events.
    #[serde(rename = "friend.request")]
    FriendRequest(Box<crate::social::FriendRequestOut>),
    /// A friend request between me and another user was accepted: we are friends.
    #[serde(rename = "friend.accepted")]
    FriendAccepted(Box<crate::social::FriendAcceptedData>),
    /// A friendship of mine ended (removed by either side).
    #[serde(rename = "friend.removed")]
    FriendRemoved(crate::social::FriendRemovedData),
    /// A group's settings changed (name, avatar, description, announcement, policies,
    /// mute-all, owner).
    #[serde(rename = "group.updated")]
    GroupUpdated(GroupUpdatedData),
    /// Someone joined one of my groups (by search, request, invite or being added).
    #[serde(rename = "group.member_joined")]
    GroupMemberJoined(GroupMemberData),
    /// A member left one of my groups.
    #[serde(rename = "group.member_left")]
    GroupMemberLeft(GroupMemberData),
    /// A member was removed (optionally banned); the removed member gets it too.
    #[serde(rename = "group.member_kicked")]
    GroupMemberKicked(GroupMemberData),
    /// A member was muted or unmuted (`until: null`).
    #[serde(rename = "group.member_muted")]
    GroupMemberMuted(GroupMemberData),
    /// A member's role or group nickname changed.
    #[serde(rename = "group.member_updated")]
    GroupMemberUpdated(GroupMemberData),
    /// One of my groups was dissolved: its history stays readable, nothing more can be sent.
    #[serde(rename = "group.dissolved")]
    GroupDissolved(GroupDissolvedData),
    /// A system notice from an administrator, to every connected socket.
    #[serde(rename = "notice")]
    Notice(crate::admin::NoticeOut),
    /// A room's settings changed (name, cover, tag, announcement, visibility, seat mode or
    /// count, mute-all). Boxed: a whole room.
    #[serde(rename = "room.updated")]
    RoomUpdated(Box<rooms::RoomOut>),
    /// Someone entered the room I am in.
    #[serde(rename = "room.member_joined")]
    RoomMemberJoined(rooms::RoomPresenceData),
    /// Someone left the room I am in (`reason`: left, disconnected, kicked, closed).
    #[serde(rename = "room.member_left")]
    RoomMemberLeft(rooms::RoomPresenceData),
    /// The seats changed: every seat and the new seat version.
    #[serde(rename = "room.seats")]
    RoomSeats(Box<rooms::RoomSeatsData>),
    /// A seat application changed state (to the owner, admins and the applicant).
    #[serde(rename = "room.application")]
    RoomApplication(Box<rooms::SeatRequestData>),
    /// A seat invitation changed state (to the owner, admins and the invited user).
    #[serde(rename = "room.invitation")]
    RoomInvitation(Box<rooms::SeatRequestData>),
    /// A user was kicked from the room (the kicked user gets it too).
    #[serde(rename = "room.kicked")]
    RoomKicked(Box<rooms::RoomKickedData>),
    /// A user was muted or unmuted in the room chat.
    #[serde(rename = "room.muted")]
    RoomMuted(rooms::RoomMutedData),
    /// A user became an admin of the room or stopped being one.
    #[serde(rename = "room.role")]
    RoomRole(rooms::RoomRoleData),
    /// The room closed; everyone in it was removed.
    #[serde(rename = "room.closed")]
    RoomClosed(rooms::RoomClosedData),
    /// A gift was sent in the room I am in or in one of my conversations (its gift message
    /// comes as `message.new`).
    #[serde(rename = "gift.sent")]
    GiftSent(Box<crate::gifts::GiftSentData>),
    /// My wallet changed (a send, a gift received, a top-up, an adjustment, VIP).
    #[serde(rename = "wallet.updated")]
    WalletUpdated(Box<crate::gifts::WalletUpdatedData>),
    /// Someone is ringing me (every device of the callee).
    #[serde(rename = "call.ringing")]
    CallRinging(Box<crate::calls::CallEventData>),
    /// The callee answered my call (every device of the caller); `session_id` is the device
    /// that answered.
    #[serde(rename = "call.accepted")]
    CallAccepted(Box<crate::calls::CallEventData>),
    /// I answered this call on the device `session_id`: the others stop ringing.
    #[serde(rename = "call.answered_elsewhere")]
    CallAnsweredElsewhere(Box<crate::calls::CallEventData>),
    /// A call of mine ended (declined, cancelled, missed, busy or hung up); see `outcome`.
    #[serde(rename = "call.ended")]
    CallEnded(Box<crate::calls::CallEventData>),
    /// SDP or ICE from the other device of my active call (this device only).
    #[serde(rename = "call.signal")]
    CallSignal(Box<crate::calls::CallSignalData>),
    /// A group call started in one of my conversations.
    #[serde(rename = "call.started")]
    CallStarted(Box<crate::calls::CallEventData>),
    /// Someone joined a group call in one of my conversations.
    #[serde(rename = "call.participant_joined")]
    CallParticipantJoined(Box<crate::calls::CallEventData>),
    /// Someone left a group call in one of my conversations.
    #[serde(rename = "call.participant_left")]
    CallParticipantLeft(Box<crate::calls::CallEventData>),
    /// A friend posted a moment I may see (the "new posts" dot).
    #[serde(rename = "moment.posted")]
    MomentPosted(crate::moments::MomentPostedData),
    /// A moment I was told about was deleted or hidden.
    #[serde(rename = "moment.deleted")]
    MomentDeleted(crate::moments::MomentDeletedData),
    /// Someone liked my moment (the new inbox entry).
    #[serde(rename = "moment.liked")]
    MomentLiked(Box<crate::moments::NotificationOut>),
    /// Someone commented on my moment or answered my comment (the new inbox entry).
    #[serde(rename = "moment.commented")]
    MomentCommented(Box<crate::moments::NotificationOut>),
    /// Someone reminded me of their moment (the new inbox entry).
    #[serde(rename = "moment.mentioned")]
    MomentMentioned(Box<crate::moments::NotificationOut>),
}

impl ServerEvent {
    /// The frame's `type`.
    pub fn kind(&self) -> &'static str {
        match self {
            ServerEvent::Ready(_) => "ready",
            ServerEvent::Ack(_) => "ack",
            ServerEvent::Error(_) => "error",
            ServerEvent::Pong(_) => "pong",
            ServerEvent::Presence(_) => "presence",
            ServerEvent::SessionRevoked(_) => "session.revoked",
            ServerEvent::Resync(_) => "resync",
            ServerEvent::MessageNew(_) => "message.new",
            ServerEvent::Receipt(_) => "receipt",
            ServerEvent::Typing(_) => "typing",
            ServerEvent::MessageEdited(_) => "message.edited",
            ServerEvent::MessageRecalled(_) => "message.recalled",
            ServerEvent::Reaction(_) => "reaction",
            ServerEvent::FriendRequest(_) => "friend.request",
            ServerEvent::FriendAccepted(_) => "friend.accepted",
            ServerEvent::FriendRemoved(_) => "friend.removed",
            ServerEvent::GroupUpdated(_) => "group.updated",
            ServerEvent::GroupMemberJoined(_) => "group.member_joined",
            ServerEvent::GroupMemberLeft(_) => "group.member_left",
            ServerEvent::GroupMemberKicked(_) => "group.member_kicked",
            ServerEvent::GroupMemberMuted(_) => "group.member_muted",
            ServerEvent::GroupMemberUpdated(_) => "group.member_updated",
            ServerEvent::GroupDissolved(_) => "group.dissolved",
            ServerEvent::Notice(_) => "notice",
            ServerEvent::RoomUpdated(_) => "room.updated",
            ServerEvent::RoomMemberJoined(_) => "room.member_joined",
            ServerEvent::RoomMemberLeft(_) => "room.member_left",
            ServerEvent::RoomSeats(_) => "room.seats",
            ServerEvent::RoomApplication(_) => "room.application",
            ServerEvent::RoomInvitation(_) => "room.invitation",
            ServerEvent::RoomKicked(_) => "room.kicked",
            ServerEvent::RoomMuted(_) => "room.muted",
            ServerEvent::RoomRole(_) => "room.role",
            ServerEvent::RoomClosed(_) => "room.closed",
            ServerEvent::GiftSent(_) => "gift.sent",
            ServerEvent::WalletUpdated(_) => "wallet.updated",
            ServerEvent::CallRinging(_) => "call.ringing",
            ServerEvent::CallAccepted(_) => "call.accepted",
            ServerEvent::CallAnsweredElsewhere(_) => "call.answered_elsewhere",
            ServerEvent::CallEnded(_) => "call.ended",
            ServerEvent::CallSignal(_) => "call.signal",
            ServerEvent::CallStarted(_) => "call.started",
            ServerEvent::CallParticipantJoined(_) => "call.participant_joined",
            ServerEvent::CallParticipantLeft(_) => "call.participant_left",
            ServerEvent::MomentPosted(_) => "moment.posted",
            ServerEvent::MomentDeleted(_) => "moment.deleted",
            ServerEvent::MomentLiked(_) => "moment.liked",
            ServerEvent::MomentCommented(_) => "moment.commented",
            ServerEvent::MomentMentioned(_) => "moment.mentioned",
        }
    }
}

/// A whole server frame: the event and, for answers, the client's request `id`.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct ServerFrame {
    /// Type and data.
    #[serde(flatten)]
    pub event: ServerEvent,
    /// The `id` of the client frame this answers.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
}

/// Close codes the server uses (besides the standard 1000/1001/1003/1007/1008/1009/1011).
pub mod close_code {
    /// Normal closure.
    pub const NORMAL: u16 = 1000;
    /// The server is shutting down; reconnect (to another node).
    pub const GOING_AWAY: u16 = 1001;
    /// Binary frames are not part of the protocol.
    pub const UNSUPPORTED_DATA: u16 = 1003;
    /// A text frame was not valid UTF-8.
    pub const INVALID_PAYLOAD: u16 = 1007;
    /// Policy violation: persistent frame-rate abuse.
    pub const POLICY: u16 = 1008;
    /// A message larger than `max_frame_bytes`.
    pub const TOO_BIG: u16 = 1009;
    /// Unexpected server error.
    pub const INTERNAL: u16 = 1011;
    /// The socket could not keep up (its outbound queue filled): reconnect and resync.
    pub const TRY_AGAIN_LATER: u16 = 1013;
    /// This socket's session was revoked (logout, password change, administrator).
    pub const SESSION_REVOKED: u16 = 4001;
    /// Authentication failed or did not arrive in time.
    pub const UNAUTHORIZED: u16 = 4401;
    /// Nothing was heard from the client for `idle_timeout_secs`.
    pub const IDLE_TIMEOUT: u16 = 4408;
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ids::ConversationId;
    use crate::messaging::MessageIn;

    #[test]
    fn server_frames_have_the_documented_shape() {
        let f = ServerFrame {
            event: ServerEvent::Ack(AckData::default()),
            id: Some("c1".into()),
        };
        let v = serde_json::to_value(&f).unwrap();
        assert_eq!(
            v,
            serde_json::json!({"type": "ack", "id": "c1", "data": {}})
        );
        let back: ServerFrame = serde_json::from_value(v).unwrap();
        assert_eq!(back.event.kind(), "ack");
        let f = ServerFrame {
            event: ServerEvent::Resync(ResyncData {
                reason: "gap".into(),
            }),
            id: None,
        };
        assert_eq!(
            serde_json::to_value(&f).unwrap(),
            serde_json::json!({"type": "resync", "data": {"reason": "gap"}})
        );
    }

    #[test]
    fn client_frames_parse_with_or_without_id_and_data() {
        let f: ClientFrame = serde_json::from_str(r#"{"type":"ping"}"#).unwrap();
        assert_eq!(
            (f.kind.as_str(), f.id, f.data),
            ("ping", None, serde_json::Value::Null)
        );
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"presence.set","id":"x","data":{"status":"busy"}}"#)
                .unwrap();
        let d: PresenceIn = serde_json::from_value(f.data).unwrap();
        assert_eq!(d.status, PresenceSetting::Busy);
    }

    /// Every command, with data where it takes some.
    fn every_command() -> Vec<ClientCommand> {
        let conversation_id: ConversationId = serde_json::from_str("\"7\"").unwrap();
        let message: MessageIn = serde_json::from_value(serde_json::json!({
            "client_msg_id": "c1", "kind": "text", "body": {"text": "hi"}
        }))
        .unwrap();
        let mark = MarkData {
            conversation_id,
            seq: 3,
        };
        vec![
            ClientCommand::Auth(AuthData {
                token: "t".into(),
                sync: None,
            }),
            ClientCommand::Ping,
            ClientCommand::Subscribe,
            ClientCommand::Unsubscribe,
            ClientCommand::PresenceSet(PresenceIn {
                status: PresenceSetting::Away,
            }),
            ClientCommand::Send(SendData {
                conversation_id,
                message,
            }),
            ClientCommand::Read(mark.clone()),
            ClientCommand::Recv(mark),
            ClientCommand::Typing(TypingData {
                conversation_id,
                user_id: None,
            }),
        ]
    }

    #[test]
    fn commands_serialize_as_the_frames_they_parse_from() {
        for command in every_command() {
            let v = serde_json::to_value(&command).unwrap();
            assert_eq!(v["type"], command.kind(), "{v}");
            let frame: ClientFrame = serde_json::from_value(v.clone()).unwrap();
            let back = ClientCommand::from_parts(&frame.kind, frame.data).unwrap();
            assert_eq!(serde_json::to_value(&back).unwrap(), v);
            // Plain serde reads them too, whichever key comes first.
            let back: ClientCommand = serde_json::from_value(v.clone()).unwrap();
            assert_eq!(back.kind(), command.kind());
        }
        assert_eq!(
            serde_json::to_value(ClientCommand::Ping).unwrap(),
            serde_json::json!({"type": "ping"})
        );
        assert_eq!(
            serde_json::to_value(ClientCommand::Auth(AuthData {
                token: "t".into(),
                sync: None
            }))
            .unwrap(),
            serde_json::json!({"type": "auth", "data": {"token": "t"}})
        );
    }

    #[test]
    fn commands_without_data_ignore_whatever_data_comes() {
        for data in [
            serde_json::Value::Null,
            serde_json::json!({"topic": "x"}),
            serde_json::json!([1, "two"]),
            serde_json::json!("text"),
        ] {
            for kind in ["ping", "subscribe", "unsubscribe"] {
                let c = ClientCommand::from_parts(kind, data.clone()).unwrap();
                assert_eq!(c.kind(), kind);
            }
        }
    }

    #[test]
    fn unknown_types_and_bad_data_are_told_apart() {
        for kind in ["teleport", "", "Ping", "presence", "ack"] {
            assert_eq!(
                ClientCommand::from_parts(kind, serde_json::json!({"status": "busy"})).unwrap_err(),
                CommandError::UnknownKind,
                "{kind:?}"
            );
        }
        // An unknown enum value inside the data is bad data, not an unknown frame type.
        let bad = [
            ("presence.set", serde_json::json!({"status": "sleepy"})),
            ("presence.set", serde_json::Value::Null),
            ("auth", serde_json::json!({"token": "x", "extra": 1})),
            ("auth", serde_json::Value::Null),
            ("read", serde_json::json!({"conversation_id": "7"})),
            (
                "recv",
                serde_json::json!({"conversation_id": "7", "seq": "x"}),
            ),
            ("typing", serde_json::json!({})),
            ("send", serde_json::json!({"conversation_id": "7"})),
        ];
        for (kind, data) in bad {
            let err = ClientCommand::from_parts(kind, data.clone()).unwrap_err();
            // Worded exactly as parsing the data type on its own words it.
            let direct = match kind {
                "presence.set" => serde_json::from_value::<PresenceIn>(data).err(),
                "auth" => serde_json::from_value::<AuthData>(data).err(),
                "read" | "recv" => serde_json::from_value::<MarkData>(data).err(),
                "typing" => serde_json::from_value::<TypingData>(data).err(),
                _ => serde_json::from_value::<SendData>(data).err(),
            };
            assert_eq!(
                err,
                CommandError::BadData(direct.unwrap().to_string()),
                "{kind}"
            );
        }
    }
}
