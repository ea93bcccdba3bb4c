//! Request bodies, read as the server reads them: every body type a route takes, through
//! [`json_from_bytes`] (the one JSON extractor: a key named twice at any depth, nesting
//! past serde_json's limit, malformed JSON, the wrong shape), and message bodies through
//! their per-kind validation.
//!
//! Invariants: the extractor never accepts a document the key check or serde_json refuses;
//! a refusal is a 400 `invalid_json` or 422 `validation_failed` with a bounded message; an
//! accepted body, written back out, reads as the same body; a message body that validates
//! validates to itself (its canonical form is a fixed point), within its kind's bounds.

use std::any::type_name;

use confab_proto::ErrorCode;
use serde::Serialize;
use serde::de::DeserializeOwned;
use serde_json::Value;

use super::{client_error, must};
use crate::error::ApiError;
use crate::http::extract::{json_from_bytes, unique_keys};
use crate::messaging::model::{self, MAX_CUSTOM_BYTES, MAX_TEXT_CHARS};

/// Declares the body types: [`BODY_TYPES`] names them (a test checks the list against every
/// `AppJson<…>` / `OptionalJson<…>` / `json_from_bytes` in the sources), [`each`] reads
/// bytes as every one of them.
macro_rules! bodies {
    ($($t:ty),* $(,)?) => {
        /// Every request body type, as written in this list (`confab_proto::…::XxxIn`).
        pub const BODY_TYPES: &[&str] = &[$(stringify!($t)),*];

        /// Reads `bytes` as every body type (`only`: just the `only`-th, modulo their number).
        fn each(bytes: &[u8], well_formed: bool, only: Option<usize>) {
            let mut i = 0usize;
            let pick = only.map(|n| n % BODY_TYPES.len());
            $(
                if pick.is_none_or(|p| p == i) {
                    body::<$t>(bytes, well_formed);
                }
                i += 1;
            )*
            let _ = i;
        }
    };
}

bodies! {
    confab_proto::accounts::RegisterIn,
    confab_proto::accounts::LoginIn,
    confab_proto::accounts::RefreshIn,
    confab_proto::accounts::MePatch,
    confab_proto::accounts::PasswordChangeIn,
    confab_proto::accounts::DeleteMeIn,
    confab_proto::codes::CodeRequestIn,
    confab_proto::codes::CodeLoginIn,
    confab_proto::codes::PasswordResetIn,
    confab_proto::codes::EmailBindIn,
    confab_proto::codes::PhoneBindIn,
    confab_proto::social::FriendRequestIn,
    confab_proto::social::FriendPatch,
    confab_proto::social::PrivacyPatch,
    confab_proto::ws::PresenceIn,
    confab_proto::messaging::DirectIn,
    confab_proto::messaging::MessageIn,
    confab_proto::messaging::MessagePatch,
    confab_proto::messaging::MarkIn,
    confab_proto::messaging::ConversationPatch,
    confab_proto::groups::GroupIn,
    confab_proto::groups::GroupPatch,
    confab_proto::groups::MembersIn,
    confab_proto::groups::MemberPatch,
    confab_proto::groups::InviteIn,
    confab_proto::groups::JoinIn,
    confab_proto::groups::BanIn,
    confab_proto::groups::MuteAllIn,
    confab_proto::groups::TransferIn,
    confab_proto::admin::ReportIn,
    confab_proto::admin::UpholdIn,
    confab_proto::admin::DismissIn,
    confab_proto::admin::SensitiveWordIn,
    confab_proto::admin::UserMuteIn,
    confab_proto::admin::ChannelMuteIn,
    confab_proto::admin::NoticeIn,
    confab_proto::admin::SignupInviteIn,
    confab_proto::rooms::CreateRoomIn,
    confab_proto::rooms::RoomPatch,
    confab_proto::rooms::JoinRoomIn,
    confab_proto::rooms::RoomKickIn,
    confab_proto::rooms::RoomMuteIn,
    confab_proto::rooms::RoomTagIn,
    confab_proto::rooms::SeatActionIn,
    confab_proto::rooms::MoveSeatIn,
    confab_proto::rooms::MicIn,
    confab_proto::rooms::ApplyIn,
    confab_proto::rooms::InviteIn,
    confab_proto::gifts::CreateGiftIn,
    confab_proto::gifts::GiftPatch,
    confab_proto::gifts::SendGiftIn,
    confab_proto::gifts::GrantIn,
    confab_proto::gifts::AdjustmentIn,
    confab_proto::gifts::ReverseIn,
    confab_proto::gifts::TopupIn,
    confab_proto::gifts::BuyVipIn,
    confab_proto::gifts::VipIn,
    confab_proto::moments::PostMomentIn,
    confab_proto::moments::CommentIn,
    confab_proto::moments::MomentSettingsPatch,
    confab_proto::calls::InviteIn,
    confab_proto::calls::StartGroupCallIn,
    confab_proto::push::PushSettingsPatch,
}

/// One request body, read as every body type. A document the key check refuses is read as
/// one type only (chosen by its length): each would refuse it the same way, first.
pub fn request_body(data: &[u8]) {
    let well_formed = unique_keys(data).is_ok();
    let only = (!well_formed).then_some(data.len());
    each(data, well_formed, only);
}

/// `bytes` as a `T`, through the server's extractor.
fn body<T: DeserializeOwned + Serialize>(bytes: &[u8], well_formed: bool) {
    let what = type_name::<T>();
    match json_from_bytes::<T>(bytes) {
        Ok(v) => {
            assert!(well_formed, "{what}: accepted a body the key check refuses");
            must(
                serde_json::from_slice::<Value>(bytes),
                "an accepted body is not JSON",
            );
            let written = must(serde_json::to_vec(&v), what);
            let again: T = match json_from_bytes(&written) {
                Ok(a) => a,
                Err(e) => panic!(
                    "{what}: refuses its own output {}: {}",
                    String::from_utf8_lossy(&written),
                    e.message()
                ),
            };
            assert_eq!(
                must(serde_json::to_value(&v), what),
                must(serde_json::to_value(&again), what),
                "{what}: changed on a round trip"
            );
        }
        Err(e) => {
            client_error(&e, what);
            assert!(
                matches!(
                    e.code(),
                    ErrorCode::InvalidJson | ErrorCode::ValidationFailed
                ),
                "{what}: refused with {:?}",
                e.code()
            );
            if !well_formed {
                assert_eq!(e.code(), ErrorCode::InvalidJson, "{what}");
            }
        }
    }
}

/// Every message kind the server knows, and one it does not.
const KINDS: &[&str] = &[
    "text", "image", "video", "audio", "file", "location", "sticker", "custom", "voice",
];

/// One message: a `MessageIn` as `POST …/messages` reads it, then its body as every kind
/// (and, for edits, as `MessagePatch` carries it).
pub fn message_body(data: &[u8]) {
    if let Ok(m) = json_from_bytes::<confab_proto::messaging::MessageIn>(data) {
        if let Err(e) = model::client_msg_id(&m.client_msg_id) {
            client_error(&ApiError::from(e), "client_msg_id");
        }
        message_kinds(&m.kind, &m.body);
    }
    if let Ok(p) = json_from_bytes::<confab_proto::messaging::MessagePatch>(data) {
        message_kinds("text", &p.body);
    }
    // The bytes as a bare body, too: the shapes the kinds refuse are the interesting part.
    if let Ok(v) = json_from_bytes::<Value>(data) {
        for kind in KINDS {
            message_kinds(kind, &v);
        }
    }
}

/// `body` validated as `kind`: a valid body is a fixed point of validation and within its
/// kind's bounds; an invalid one is a 4xx.
pub(crate) fn message_kinds(kind: &str, body: &Value) {
    match model::validate(kind, body) {
        Ok(b) => {
            match model::validate(kind, &b.json) {
                Ok(again) => assert_eq!(again, b, "a {kind} body changed when validated again"),
                Err(e) => panic!("a {kind} body's canonical form is refused: {e}"),
            }
            match kind {
                "text" => {
                    let t = b.json["text"].as_str().unwrap_or_default();
                    assert!(
                        !t.trim().is_empty() && t.chars().count() <= MAX_TEXT_CHARS,
                        "a text outside its bounds"
                    );
                }
                "custom" => {
                    let n = must(serde_json::to_vec(&b.json), "a custom body").len();
                    assert!(n <= MAX_CUSTOM_BYTES, "a {n}-byte custom body");
                }
                "image" | "video" | "audio" | "file" => {
                    assert!(b.file.is_some(), "an attachment without its file");
                }
                _ => {}
            }
        }
        Err(e) => client_error(&ApiError::from(e), kind),
    }
}
