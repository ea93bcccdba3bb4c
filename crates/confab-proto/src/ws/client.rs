//! Client frames: what a client may send (`auth`, `ping`, `send`, `read`, …), read off the
//! socket as a [`ClientFrame`] and parsed into a typed [`ClientCommand`].

use std::fmt;

use serde::de::value::{SeqAccessDeserializer, StrDeserializer};
use serde::de::{DeserializeSeed, IgnoredAny, SeqAccess};
use serde::{Deserialize, Deserializer, Serialize};

use super::PresenceIn;
use crate::ids::{ConversationId, UserId};
use crate::messaging::MessageIn;

/// Client frame types the server understands.
pub mod client_kind {
    /// First-frame authentication: `{"token": "<access token>"}`.
    pub const AUTH: &str = "auth";
    /// Application-level ping; answered with `pong`.
    pub const PING: &str = "ping";
    /// Acknowledged and otherwise ignored (data too): every socket already gets all of its
    /// user's events. Kept so clients that send it keep getting their `ack`.
    pub const SUBSCRIBE: &str = "subscribe";
    /// Acknowledged and otherwise ignored, like [`SUBSCRIBE`].
    pub const UNSUBSCRIBE: &str = "unsubscribe";
    /// Sets this user's presence: `{"status": "online|away|busy|invisible"}`.
    pub const PRESENCE_SET: &str = "presence.set";
    /// Sends a message: `{"conversation_id", "client_msg_id", "kind", "body", "reply_to"?,
    /// "mentions"?}`; acknowledged with the stored message's `{id, seq, created_at, …}`.
    pub const SEND: &str = "send";
    /// Marks read up to a seq: `{"conversation_id", "seq"}`.
    pub const READ: &str = "read";
    /// Marks received (delivered to this device) up to a seq: `{"conversation_id", "seq"}`.
    pub const RECV: &str = "recv";
    /// "I am typing" in a conversation: `{"conversation_id"}` (ephemeral, rate-limited).
    pub const TYPING: &str = "typing";
    /// Relays SDP or ICE to the other device of my active call: `{"call_id", "payload"}`.
    pub const CALL_SIGNAL: &str = "call.signal";
}

/// `send` data: the conversation and the message.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct SendData {
    /// Where to send.
    pub conversation_id: ConversationId,
    /// The message, as for `POST /conversations/{id}/messages`.
    #[serde(flatten)]
    pub message: MessageIn,
}

/// `read` / `recv` data.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct MarkData {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Up to this seq.
    pub seq: i64,
}

/// `typing` data, both ways.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
pub struct TypingData {
    /// The conversation.
    pub conversation_id: ConversationId,
    /// Who is typing (set by the server; ignored from clients).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_id: Option<UserId>,
}

/// Longest client-chosen frame `id`, in bytes.
pub const MAX_FRAME_ID_LEN: usize = 64;

/// A frame from the client, as read off the socket: `data`'s shape depends on `type`, and
/// [`ClientCommand::from_parts`] checks it.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq)]
pub struct ClientFrame {
    /// What the frame asks for (see [`client_kind`]).
    #[serde(rename = "type")]
    pub kind: String,
    /// Echoed on the `ack` / `error` / `pong` that answers this frame.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id: Option<String>,
    /// The command's arguments.
    #[serde(default, skip_serializing_if = "serde_json::Value::is_null")]
    pub data: serde_json::Value,
}

/// `auth` data.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq)]
#[serde(deny_unknown_fields)]
pub struct AuthData {
    /// The access token (the same one `Authorization: Bearer` takes).
    pub token: String,
    /// Ask for the sync answer in `ready` (one round trip for a reconnect).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync: Option<crate::messaging::SyncQuery>,
}

/// A client frame's type and data, parsed: what the client asks for. Serialized, it is the
/// frame without its `id` (`{"type": "...", "data": {...}}`); a frame read off the socket is
/// first read as a [`ClientFrame`] and then turned into this by [`ClientCommand::from_parts`].
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(tag = "type", content = "data")]
pub enum ClientCommand {
    /// First-frame authentication; after authentication it is refused (`bad_frame`).
    #[serde(rename = "auth")]
    Auth(AuthData),
    /// Application-level ping; answered with `pong`. Any data is ignored.
    #[serde(rename = "ping", deserialize_with = "ignore_data")]
    Ping,
    /// Acknowledged; does nothing (see [`client_kind::SUBSCRIBE`]). Any data is ignored.
    #[serde(rename = "subscribe", deserialize_with = "ignore_data")]
    Subscribe,
    /// Acknowledged; does nothing. Any data is ignored.
    #[serde(rename = "unsubscribe", deserialize_with = "ignore_data")]
    Unsubscribe,
    /// Sets this user's presence; acknowledged with what others now see.
    #[serde(rename = "presence.set")]
    PresenceSet(PresenceIn),
    /// Sends a message; acknowledged once it is stored.
    #[serde(rename = "send")]
    Send(SendData),
    /// Marks read up to a seq.
    #[serde(rename = "read")]
    Read(MarkData),
    /// Marks received (delivered to this device) up to a seq.
    #[serde(rename = "recv")]
    Recv(MarkData),
    /// "I am typing" in a conversation.
    #[serde(rename = "typing")]
    Typing(TypingData),
    /// Relays SDP or ICE to the other device of my active call.
    #[serde(rename = "call.signal")]
    CallSignal(Box<crate::calls::CallSignalData>),
}

impl ClientCommand {
    /// The frame's `type` (one of [`client_kind`]).
    pub fn kind(&self) -> &'static str {
        match self {
            ClientCommand::Auth(_) => client_kind::AUTH,
            ClientCommand::Ping => client_kind::PING,
            ClientCommand::Subscribe => client_kind::SUBSCRIBE,
            ClientCommand::Unsubscribe => client_kind::UNSUBSCRIBE,
            ClientCommand::PresenceSet(_) => client_kind::PRESENCE_SET,
            ClientCommand::Send(_) => client_kind::SEND,
            ClientCommand::Read(_) => client_kind::READ,
            ClientCommand::Recv(_) => client_kind::RECV,
            ClientCommand::Typing(_) => client_kind::TYPING,
            ClientCommand::CallSignal(_) => client_kind::CALL_SIGNAL,
        }
    }

    /// Parses a frame's `type` and `data` (`null` when the frame had none). An unknown
    /// `type` is [`CommandError::UnknownKind`] whatever the data; a known one whose data
    /// does not fit is [`CommandError::BadData`], worded as `serde_json::from_value` words
    /// it for the data type.
    pub fn from_parts(kind: &str, data: serde_json::Value) -> Result<Self, CommandError> {
        // The type first, then the data: the derived visitor reads the pair as a sequence,
        // so the data is deserialized straight from the `Value` (never buffered).
        Self::deserialize(SeqAccessDeserializer::new(TypeThenData {
            kind: Some(kind),
            data: Some(data),
        }))
    }
}

/// Why a client frame's `type` and `data` are not a [`ClientCommand`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CommandError {
    /// `type` names no command.
    UnknownKind,
    /// `type` names a command, but `data` does not fit it; says why.
    BadData(String),
}

impl fmt::Display for CommandError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CommandError::UnknownKind => f.write_str("unknown frame type"),
            CommandError::BadData(why) => write!(f, "data: {why}"),
        }
    }
}

impl std::error::Error for CommandError {}

impl serde::de::Error for CommandError {
    fn custom<T: fmt::Display>(msg: T) -> Self {
        CommandError::BadData(msg.to_string())
    }

    // Only the `type` is read with this error type (the data's errors are `serde_json`'s),
    // so an unknown variant here is always an unknown frame type.
    fn unknown_variant(_variant: &str, _expected: &'static [&'static str]) -> Self {
        CommandError::UnknownKind
    }
}

/// A frame's `type` and `data` as the two-element sequence an adjacently tagged enum also
/// accepts.
struct TypeThenData<'a> {
    kind: Option<&'a str>,
    data: Option<serde_json::Value>,
}

impl<'de> SeqAccess<'de> for TypeThenData<'_> {
    type Error = CommandError;

    fn next_element_seed<T: DeserializeSeed<'de>>(
        &mut self,
        seed: T,
    ) -> Result<Option<T::Value>, CommandError> {
        if let Some(kind) = self.kind.take() {
            return seed.deserialize(StrDeserializer::new(kind)).map(Some);
        }
        match self.data.take() {
            Some(data) => seed
                .deserialize(data)
                .map(Some)
                .map_err(|e| CommandError::BadData(e.to_string())),
            None => Ok(None),
        }
    }
}

/// Accepts any `data` (commands that take none ignore what they are given).
fn ignore_data<'de, D: Deserializer<'de>>(data: D) -> Result<(), D::Error> {
    IgnoredAny::deserialize(data).map(|_| ())
}
