//! WebSocket text frames, read as the gateway reads them: the envelope
//! ([`decode_frame`]: duplicate keys, depth, shape, `id` length), then the typed command
//! ([`ClientCommand::from_parts`]).
//!
//! Invariants: a refusal is `invalid_json` or `bad_frame` and never echoes an over-long id;
//! an accepted envelope is JSON whose every object names each key once; a parsed command
//! has the frame's `type`, and written back out it reads as the same command; a send's
//! message body, once valid, validates to itself ([`super::bodies::message_kinds`]).

use confab_proto::ErrorCode;
use confab_proto::ws::{ClientCommand, CommandError, MAX_FRAME_ID_LEN, client_kind};

use super::must;
use crate::gateway::session::decode_frame;
use crate::http::extract::unique_keys;

/// Every frame `type` the server knows.
const KINDS: &[&str] = &[
    client_kind::AUTH,
    client_kind::PING,
    client_kind::SUBSCRIBE,
    client_kind::UNSUBSCRIBE,
    client_kind::PRESENCE_SET,
    client_kind::SEND,
    client_kind::READ,
    client_kind::RECV,
    client_kind::TYPING,
    client_kind::CALL_SIGNAL,
];

/// One text frame. Bytes that are not UTF-8 never get this far (the socket closes 1007).
pub fn ws_frame(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let frame = match decode_frame(text) {
        Ok(f) => f,
        Err(r) => {
            assert!(
                matches!(r.code, ErrorCode::InvalidJson | ErrorCode::BadFrame),
                "a frame refused with {:?}",
                r.code
            );
            assert!(
                r.id.as_ref().is_none_or(|i| i.len() <= MAX_FRAME_ID_LEN),
                "an over-long id echoed back"
            );
            return;
        }
    };
    must(unique_keys(data), "an accepted frame fails the key check");
    let value: serde_json::Value = must(serde_json::from_slice(data), "an accepted frame");
    assert!(value.is_object(), "a frame that is not an object");
    assert!(
        frame
            .id
            .as_ref()
            .is_none_or(|i| i.len() <= MAX_FRAME_ID_LEN),
        "an over-long id accepted"
    );
    match ClientCommand::from_parts(&frame.kind, frame.data.clone()) {
        Ok(command) => {
            assert_eq!(command.kind(), frame.kind, "the command's type");
            round_trip(&command);
            if let ClientCommand::Send(d) = &command {
                super::bodies::message_kinds(&d.message.kind, &d.message.body);
            }
        }
        Err(CommandError::UnknownKind) => {
            assert!(
                !KINDS.contains(&frame.kind.as_str()),
                "a known type unknown"
            );
        }
        Err(CommandError::BadData(_)) => {
            assert!(
                KINDS.contains(&frame.kind.as_str()),
                "bad data for an unknown type"
            );
        }
    }
}

/// A parsed command, written as a frame, reads back as the same command.
fn round_trip(command: &ClientCommand) {
    let text = must(serde_json::to_string(command), "writing a command");
    let frame = must(decode_frame(&text), "a written command's frame");
    let again = must(
        ClientCommand::from_parts(&frame.kind, frame.data),
        "a written command",
    );
    assert_eq!(
        must(serde_json::to_value(command), "a command"),
        must(serde_json::to_value(&again), "a command read back"),
        "a command changed on a round trip"
    );
}
