//! Message kinds and body validation (no IO).

use confab_proto::ids::FileId;
use serde::Deserialize;
use serde_json::Value;

use super::error::MessagingError;
use crate::media::model::UploadKind;

/// What a conversation is; stored as its name in `conversations.kind` (a row with a name
/// this build does not know fails to load rather than being misread).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, sea_orm::EnumIter, sea_orm::DeriveActiveEnum)]
#[sea_orm(rs_type = "String", db_type = "Text")]
pub enum ConversationKind {
    /// Two users (or one user with themself), unique per pair.
    #[sea_orm(string_value = "direct")]
    Direct,
    /// A group's conversation.
    #[sea_orm(string_value = "group")]
    Group,
    /// An open, broadcast conversation (the world channel): anyone reads, allowed users post.
    #[sea_orm(string_value = "channel")]
    Channel,
    /// A voice room's chat: its members are the users in the room now.
    #[sea_orm(string_value = "room")]
    Room,
}

impl ConversationKind {
    /// Every kind, in [`ConversationKind::index`] order.
    pub const ALL: [ConversationKind; 4] = [Self::Direct, Self::Group, Self::Channel, Self::Room];

    /// The stored (and wire) name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Direct => "direct",
            Self::Group => "group",
            Self::Channel => "channel",
            Self::Room => "room",
        }
    }

    /// The kind a stored name names (`None` for a name this build does not know).
    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == name)
    }

    /// A dense index (rule tables are arrays by kind).
    pub fn index(self) -> usize {
        self as usize
    }
}

impl std::fmt::Display for ConversationKind {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The longest text message, in characters.
pub const MAX_TEXT_CHARS: usize = 4000;
/// The longest caption of an attachment, in characters.
pub const MAX_CAPTION_CHARS: usize = 1000;
/// The longest name of a location, in characters.
pub const MAX_PLACE_NAME_CHARS: usize = 200;
/// The longest sticker id, in bytes.
pub const MAX_STICKER_ID_BYTES: usize = 64;
/// The largest custom body, in bytes of JSON.
pub const MAX_CUSTOM_BYTES: usize = 8 * 1024;
/// The longest client message id, in bytes.
pub const MAX_CLIENT_MSG_ID_BYTES: usize = 64;
/// The most mentions one message carries.
pub const MAX_MENTIONS: usize = 50;

/// A validated body: the canonical JSON to store, and the file it references, if any.
#[derive(Debug, Clone, PartialEq)]
pub struct Body {
    /// Canonical JSON.
    pub json: Value,
    /// An attachment that must exist and belong to the sender, with the upload kind it needs.
    pub file: Option<(FileId, UploadKind)>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Text {
    text: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Attachment {
    file_id: FileId,
    #[serde(default)]
    caption: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Location {
    lat: f64,
    lng: f64,
    #[serde(default)]
    name: Option<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Sticker {
    sticker_id: String,
}

fn no_controls(s: &str) -> bool {
    !s.chars().any(|c| c.is_control() && c != '\n' && c != '\t')
}

/// Checks a client id: 1–64 characters of `[A-Za-z0-9_-]`.
pub fn client_msg_id(s: &str) -> Result<(), MessagingError> {
    if s.is_empty()
        || s.len() > MAX_CLIENT_MSG_ID_BYTES
        || !s
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
    {
        return Err(MessagingError::BadClientMsgId);
    }
    Ok(())
}

/// Reads a body as its kind's shape (`kind` names the kind in the error).
fn parse<T: serde::de::DeserializeOwned>(
    kind: &'static str,
    v: &Value,
) -> Result<T, MessagingError> {
    T::deserialize(v).map_err(|source| MessagingError::BodyShape { kind, source })
}

/// Validates a body against its kind.
pub fn validate(kind: &str, body: &Value) -> Result<Body, MessagingError> {
    match kind {
        "text" => text(body),
        "image" | "video" | "audio" | "file" => {
            attachment(UploadKind::parse(kind).unwrap_or(UploadKind::File), body)
        }
        "location" => location(body),
        "sticker" => sticker(body),
        "custom" => custom(body),
        _ => Err(MessagingError::UnknownKind),
    }
}

/// `text`: 1 to [`MAX_TEXT_CHARS`] characters, not only whitespace, no control characters
/// but newline and tab.
fn text(body: &Value) -> Result<Body, MessagingError> {
    let t: Text = parse("text", body)?;
    let n = t.text.chars().count();
    if t.text.trim().is_empty() || n > MAX_TEXT_CHARS || !no_controls(&t.text) {
        return Err(MessagingError::BadText);
    }
    Ok(Body {
        json: serde_json::json!({ "text": t.text }),
        file: None,
    })
}

/// `image`, `video`, `audio`, `file`: an upload of that kind, with an optional caption.
fn attachment(kind: UploadKind, body: &Value) -> Result<Body, MessagingError> {
    let a: Attachment = parse(kind.as_str(), body)?;
    if let Some(c) = &a.caption
        && (c.chars().count() > MAX_CAPTION_CHARS || !no_controls(c))
    {
        return Err(MessagingError::BadCaption);
    }
    let mut json = serde_json::json!({ "file_id": a.file_id });
    if let Some(c) = a.caption {
        json["caption"] = Value::String(c);
    }
    Ok(Body {
        json,
        file: Some((a.file_id, kind)),
    })
}

/// `location`: a point on the globe, with an optional name.
fn location(body: &Value) -> Result<Body, MessagingError> {
    let l: Location = parse("location", body)?;
    if !(-90.0..=90.0).contains(&l.lat) || !(-180.0..=180.0).contains(&l.lng) {
        return Err(MessagingError::BadCoordinates);
    }
    if let Some(n) = &l.name
        && (n.chars().count() > MAX_PLACE_NAME_CHARS || !no_controls(n))
    {
        return Err(MessagingError::BadPlaceName);
    }
    let mut json = serde_json::json!({ "lat": l.lat, "lng": l.lng });
    if let Some(n) = l.name {
        json["name"] = Value::String(n);
    }
    Ok(Body { json, file: None })
}

/// `sticker`: a sticker id of `[A-Za-z0-9-_.:]` (the client app knows the packs).
fn sticker(body: &Value) -> Result<Body, MessagingError> {
    let s: Sticker = parse("sticker", body)?;
    if s.sticker_id.is_empty()
        || s.sticker_id.len() > MAX_STICKER_ID_BYTES
        || !s
            .sticker_id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-_.:".contains(&b))
    {
        return Err(MessagingError::BadStickerId);
    }
    Ok(Body {
        json: serde_json::json!({ "sticker_id": s.sticker_id }),
        file: None,
    })
}

/// `custom`: any JSON object of at most [`MAX_CUSTOM_BYTES`], stored as sent.
fn custom(body: &Value) -> Result<Body, MessagingError> {
    if !body.is_object() {
        return Err(MessagingError::CustomNotObject);
    }
    let size = serde_json::to_vec(body)
        .map(|v| v.len())
        .unwrap_or(usize::MAX);
    if size > MAX_CUSTOM_BYTES {
        return Err(MessagingError::CustomTooLarge);
    }
    Ok(Body {
        json: body.clone(),
        file: None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn bodies_are_checked_per_kind() {
        assert!(validate("text", &json!({"text": "hi"})).is_ok());
        for bad in [
            json!({"text": ""}),
            json!({"text": "   "}),
            json!({"text": "a\u{0}b"}),
            json!({"text": "x".repeat(MAX_TEXT_CHARS + 1)}),
            json!({"text": 5}),
            json!({"text": "hi", "extra": 1}),
            json!("hi"),
        ] {
            assert!(validate("text", &bad).is_err(), "{bad}");
        }
        assert!(validate("text", &json!({"text": "x".repeat(MAX_TEXT_CHARS)})).is_ok());
        let img = validate("image", &json!({"file_id": "42"})).unwrap();
        assert_eq!(img.file, Some((FileId(42), UploadKind::Image)));
        assert!(validate("image", &json!({"file_id": 42})).is_err());
        assert!(validate("location", &json!({"lat": 91.0, "lng": 0.0})).is_err());
        assert!(validate("location", &json!({"lat": 1.5, "lng": -2.5, "name": "x"})).is_ok());
        assert!(validate("sticker", &json!({"sticker_id": "pack:wave"})).is_ok());
        assert!(validate("sticker", &json!({"sticker_id": "../x"})).is_err());
        assert!(validate("custom", &json!({"a": "x".repeat(MAX_CUSTOM_BYTES)})).is_err());
        assert!(validate("custom", &json!([1])).is_err());
        assert!(validate("gif", &json!({})).is_err());
    }

    #[test]
    fn client_ids() {
        assert!(client_msg_id("3f1c9e2a-0d5b_x").is_ok());
        for bad in ["", "has space", "a/b", "é", &"x".repeat(65)] {
            assert!(client_msg_id(bad).is_err(), "{bad}");
        }
    }
}
