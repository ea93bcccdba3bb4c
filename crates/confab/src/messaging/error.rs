//! Messaging's refusals, each spelled once, and the one place they become API errors: each
//! condition a messaging request is turned down for, with its stable code from the catalogue
//! (`confab_proto::ErrorCode`), the input field at fault and the words a person reads.
//!
//! Failures of the store, the cache or another feature's rules are not messaging's
//! conditions: they stay `ApiError`s (a 500, a 503, the other feature's code).

use confab_proto::ErrorCode;

use super::actions::MAX_EMOJI_BYTES;
use super::model::{
    MAX_CAPTION_CHARS, MAX_CLIENT_MSG_ID_BYTES, MAX_CUSTOM_BYTES, MAX_MENTIONS,
    MAX_PLACE_NAME_CHARS, MAX_STICKER_ID_BYTES, MAX_TEXT_CHARS,
};
use super::service::MAX_HISTORY_PAGE;
use super::writer::WriteError;
use crate::error::ApiError;
use crate::error::bounded_message;

/// Why messaging refused a request.
#[derive(Debug, thiserror::Error)]
pub enum MessagingError {
    // ------------------------------------------------------------ lookups (404)
    /// No such conversation, or one the caller never was a member of (strangers learn
    /// nothing).
    #[error("no such conversation")]
    NoSuchConversation,
    /// No such message, or one outside the caller's window.
    #[error("no such message")]
    NoSuchMessage,
    /// The user to open a direct chat with does not exist or is not active.
    #[error("no such user")]
    NoSuchUser,

    // ------------------------------------------------------------ membership
    /// The caller was a member but has left (or been removed).
    #[error("you are no longer in this conversation")]
    NotMember,

    // ------------------------------------------------------------ sending
    /// The sender already used this `client_msg_id` for a different message.
    #[error("this client_msg_id was already used for a different message")]
    ClientMsgIdReused,
    /// The per-user send rate is exceeded.
    #[error("sending too fast; retry after Retry-After seconds")]
    SendingTooFast {
        /// Until the window that refused the send ends.
        retry_after_secs: u64,
    },
    /// `@all` in a conversation whose kind does not allow it.
    #[error("`all` can be mentioned in groups only")]
    MentionAllForbidden,
    /// `reply_to` names no message the sender can see.
    #[error("reply_to: no such message here")]
    NoSuchReplyTarget,
    /// More mentions than [`MAX_MENTIONS`].
    #[error("mentions: at most {}", MAX_MENTIONS)]
    TooManyMentions,
    /// The node's writer has stopped: the node is shutting down.
    #[error("the server is shutting down; retry")]
    ShuttingDown,

    // ------------------------------------------------------------ the message itself
    /// A `client_msg_id` outside the client alphabet or length.
    #[error(
        "client_msg_id: 1 to {} characters of A-Z, a-z, 0-9, `-` and `_`",
        MAX_CLIENT_MSG_ID_BYTES
    )]
    BadClientMsgId,
    /// A kind clients may not send.
    #[error("kind: text, image, video, audio, file, location, sticker or custom")]
    UnknownKind,
    /// A body that does not have its kind's shape.
    #[error("{kind} body: {source}")]
    BodyShape {
        /// The message kind.
        kind: &'static str,
        /// What the body's parser said.
        source: serde_json::Error,
    },
    /// A text that is blank, too long or holds control characters.
    #[error("text: 1 to {} characters, no control characters", MAX_TEXT_CHARS)]
    BadText,
    /// An attachment's caption that is too long or holds control characters.
    #[error("caption: at most {} characters", MAX_CAPTION_CHARS)]
    BadCaption,
    /// A location off the globe.
    #[error("location: lat in -90..90, lng in -180..180")]
    BadCoordinates,
    /// A location's name that is too long or holds control characters.
    #[error("name: at most {} characters", MAX_PLACE_NAME_CHARS)]
    BadPlaceName,
    /// A sticker id outside its alphabet or length.
    #[error("sticker_id: 1 to {} of [A-Za-z0-9-_.:]", MAX_STICKER_ID_BYTES)]
    BadStickerId,
    /// A custom body that is not a JSON object.
    #[error("custom: a JSON object")]
    CustomNotObject,
    /// A custom body over [`MAX_CUSTOM_BYTES`].
    #[error("custom: at most {} bytes", MAX_CUSTOM_BYTES)]
    CustomTooLarge,

    // ------------------------------------------------------------ reading
    /// A history page size out of range.
    #[error("limit: 1 to {}", MAX_HISTORY_PAGE)]
    BadHistoryLimit,
    /// A sync cursor this server did not hand out.
    #[error("cursor: use the cursor of a previous sync")]
    BadSyncCursor,
    /// A sync's inline message bound out of range.
    #[error("messages: 0 to {}", super::service::MAX_INLINE_PER_CONVERSATION)]
    BadSyncMessages,
    /// A read/recv mark below zero.
    #[error("seq: 0 or more")]
    NegativeMarkSeq,

    // ------------------------------------------------------------ acting on a message
    /// The message was recalled: it can no longer be edited or reacted to.
    #[error("the message was recalled")]
    Recalled,
    /// An edit of someone else's message.
    #[error("only the sender may edit a message")]
    EditByOther,
    /// An edit of a message that is not text.
    #[error("only text messages can be edited")]
    NotEditable,
    /// An edit after `messaging.edit_window_secs`.
    #[error("the message is too old to edit")]
    EditWindowPassed,
    /// A recall of a system message (the record of a group change is the server's).
    #[error("system messages cannot be recalled")]
    SystemMessage,
    /// A recall of someone else's message without a manager's right to.
    #[error("only the sender (or a group's owner or admin) may recall a message")]
    RecallByOther,
    /// A recall of one's own message after `messaging.recall_window_secs`.
    #[error("the message is too old to recall")]
    RecallWindowPassed,
    /// Asking who read someone else's message where the kind's rules do not allow it.
    #[error("in a group, only the sender, the owner and admins may see who read a message")]
    ReadersHidden,
    /// A reaction that is not one emoji.
    #[error(
        "emoji: one emoji (1 to {} bytes, no letters, digits, spaces or control characters)",
        MAX_EMOJI_BYTES
    )]
    BadEmoji,
}

impl From<MessagingError> for ApiError {
    fn from(e: MessagingError) -> Self {
        use MessagingError as E;
        let (code, field) = match &e {
            E::NoSuchConversation | E::NoSuchMessage | E::NoSuchUser => (ErrorCode::NotFound, None),
            E::NotMember => (ErrorCode::NotMember, None),
            E::ClientMsgIdReused => (ErrorCode::DuplicateClientMsgId, Some("client_msg_id")),
            E::SendingTooFast { .. } => (ErrorCode::RateLimited, None),
            E::MentionAllForbidden => (ErrorCode::MentionAllForbidden, Some("mentions")),
            E::NoSuchReplyTarget => (ErrorCode::InvalidMessage, Some("reply_to")),
            E::TooManyMentions => (ErrorCode::InvalidMessage, Some("mentions")),
            E::ShuttingDown => (ErrorCode::ServiceUnavailable, None),
            E::BadClientMsgId => (ErrorCode::ValidationFailed, Some("client_msg_id")),
            E::UnknownKind => (ErrorCode::InvalidMessage, Some("kind")),
            E::BodyShape { .. } | E::BadCoordinates | E::CustomNotObject | E::CustomTooLarge => {
                (ErrorCode::InvalidMessage, Some("body"))
            }
            E::BadText => (ErrorCode::InvalidMessage, Some("body.text")),
            E::BadCaption => (ErrorCode::InvalidMessage, Some("body.caption")),
            E::BadPlaceName => (ErrorCode::InvalidMessage, Some("body.name")),
            E::BadStickerId => (ErrorCode::InvalidMessage, Some("body.sticker_id")),
            E::BadHistoryLimit => (ErrorCode::ValidationFailed, Some("limit")),
            E::BadSyncCursor => (ErrorCode::ValidationFailed, Some("cursor")),
            E::BadSyncMessages => (ErrorCode::ValidationFailed, Some("messages")),
            E::NegativeMarkSeq => (ErrorCode::ValidationFailed, Some("seq")),
            E::Recalled => (ErrorCode::MessageRecalled, None),
            E::EditByOther | E::SystemMessage | E::RecallByOther | E::ReadersHidden => {
                (ErrorCode::NotSender, None)
            }
            E::NotEditable => (ErrorCode::NotEditable, None),
            E::EditWindowPassed => (ErrorCode::EditWindowPassed, None),
            E::RecallWindowPassed => (ErrorCode::RecallWindowPassed, None),
            E::BadEmoji => (ErrorCode::ValidationFailed, Some("emoji")),
        };
        let retry_after = match &e {
            E::SendingTooFast { retry_after_secs } => Some(*retry_after_secs),
            E::ShuttingDown => Some(1),
            _ => None,
        };
        let mut out = ApiError::new(code, bounded_message(e.to_string()));
        if let Some(f) = field {
            out = out.with_field(f);
        }
        match retry_after {
            Some(secs) => out.with_retry_after(secs),
            None => out,
        }
    }
}

/// A writer that failed: the store's failure as the store's (500, 503), or the node
/// shutting down ([`MessagingError::ShuttingDown`]).
impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Store(e) => e.into(),
            WriteError::Stopped => MessagingError::ShuttingDown.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use axum::response::IntoResponse;

    use super::MessagingError as E;
    use super::*;

    #[test]
    fn a_body_of_the_wrong_shape_is_not_echoed_whole() {
        // Found by the `message_body` fuzz target.
        let key = "y".repeat(1_400);
        let body = serde_json::json!({ key: 1 });
        let e = ApiError::from(crate::messaging::model::validate("text", &body).unwrap_err());
        assert_eq!(e.code(), ErrorCode::InvalidMessage);
        assert!(
            e.message().len() <= crate::error::MAX_MESSAGE_BYTES + '…'.len_utf8(),
            "{}",
            e.message()
        );
        assert!(e.message().starts_with("text body: unknown field `yyy"));
    }

    /// The answer a client gets, in one line: `status code [field] retry=N: message`.
    async fn answer(e: MessagingError) -> String {
        let resp = ApiError::from(e).into_response();
        let status = resp.status().as_u16();
        let retry = resp
            .headers()
            .get("retry-after")
            .map(|v| format!(" retry={}", v.to_str().unwrap()))
            .unwrap_or_default();
        let body = axum::body::to_bytes(resp.into_body(), usize::MAX)
            .await
            .unwrap();
        let body: serde_json::Value = serde_json::from_slice(&body).unwrap();
        let err = &body["error"];
        let field = err["field"]
            .as_str()
            .map(|f| format!(" [{f}]"))
            .unwrap_or_default();
        let (code, message) = (
            err["code"].as_str().unwrap(),
            err["message"].as_str().unwrap(),
        );
        format!("{status} {code}{field}{retry}: {message}")
    }

    /// Each refusal answers exactly as the inline `ApiError` it replaced did.
    async fn check(cases: Vec<(MessagingError, &str)>) {
        for (e, want) in cases {
            let name = format!("{e:?}");
            assert_eq!(answer(e).await, want, "{name}");
        }
    }

    #[tokio::test]
    async fn lookups_and_sends_answer_as_before() {
        check(vec![
            (E::NoSuchConversation, "404 not_found: no such conversation"),
            (E::NoSuchMessage, "404 not_found: no such message"),
            (E::NoSuchUser, "404 not_found: no such user"),
            (
                E::NotMember,
                "403 not_member: you are no longer in this conversation",
            ),
            (
                E::ClientMsgIdReused,
                "409 duplicate_client_msg_id [client_msg_id]: \
                 this client_msg_id was already used for a different message",
            ),
            (
                E::SendingTooFast {
                    retry_after_secs: 7,
                },
                "429 rate_limited retry=7: sending too fast; retry after Retry-After seconds",
            ),
            (
                E::MentionAllForbidden,
                "403 mention_all_forbidden [mentions]: `all` can be mentioned in groups only",
            ),
            (
                E::NoSuchReplyTarget,
                "422 invalid_message [reply_to]: reply_to: no such message here",
            ),
            (
                E::TooManyMentions,
                "422 invalid_message [mentions]: mentions: at most 50",
            ),
            (
                E::ShuttingDown,
                "503 service_unavailable retry=1: the server is shutting down; retry",
            ),
        ])
        .await;
    }

    #[tokio::test]
    async fn bodies_answer_as_before() {
        let shape = serde_json::from_str::<serde_json::Value>("{").unwrap_err();
        let shape_answer = format!("422 invalid_message [body]: image body: {shape}");
        check(vec![
            (
                E::BadClientMsgId,
                "422 validation_failed [client_msg_id]: \
                 client_msg_id: 1 to 64 characters of A-Z, a-z, 0-9, `-` and `_`",
            ),
            (
                E::UnknownKind,
                "422 invalid_message [kind]: \
                 kind: text, image, video, audio, file, location, sticker or custom",
            ),
            (
                E::BodyShape {
                    kind: "image",
                    source: shape,
                },
                &shape_answer,
            ),
            (
                E::BadText,
                "422 invalid_message [body.text]: \
                 text: 1 to 4000 characters, no control characters",
            ),
            (
                E::BadCaption,
                "422 invalid_message [body.caption]: caption: at most 1000 characters",
            ),
            (
                E::BadCoordinates,
                "422 invalid_message [body]: location: lat in -90..90, lng in -180..180",
            ),
            (
                E::BadPlaceName,
                "422 invalid_message [body.name]: name: at most 200 characters",
            ),
            (
                E::BadStickerId,
                "422 invalid_message [body.sticker_id]: sticker_id: 1 to 64 of [A-Za-z0-9-_.:]",
            ),
            (
                E::CustomNotObject,
                "422 invalid_message [body]: custom: a JSON object",
            ),
            (
                E::CustomTooLarge,
                "422 invalid_message [body]: custom: at most 8192 bytes",
            ),
        ])
        .await;
    }

    #[tokio::test]
    async fn reads_and_actions_answer_as_before() {
        check(vec![
            (E::BadHistoryLimit, "422 validation_failed [limit]: limit: 1 to 100"),
            (
                E::BadSyncCursor,
                "422 validation_failed [cursor]: cursor: use the cursor of a previous sync",
            ),
            (
                E::BadSyncMessages,
                "422 validation_failed [messages]: messages: 0 to 50",
            ),
            (E::NegativeMarkSeq, "422 validation_failed [seq]: seq: 0 or more"),
            (E::Recalled, "409 message_recalled: the message was recalled"),
            (E::EditByOther, "403 not_sender: only the sender may edit a message"),
            (E::NotEditable, "409 not_editable: only text messages can be edited"),
            (E::EditWindowPassed, "403 edit_window_passed: the message is too old to edit"),
            (E::SystemMessage, "403 not_sender: system messages cannot be recalled"),
            (
                E::RecallByOther,
                "403 not_sender: only the sender (or a group's owner or admin) may recall a message",
            ),
            (
                E::RecallWindowPassed,
                "403 recall_window_passed: the message is too old to recall",
            ),
            (
                E::ReadersHidden,
                "403 not_sender: \
                 in a group, only the sender, the owner and admins may see who read a message",
            ),
            (
                E::BadEmoji,
                "422 validation_failed [emoji]: \
                 emoji: one emoji (1 to 32 bytes, no letters, digits, spaces or control characters)",
            ),
        ])
        .await;
    }
}
