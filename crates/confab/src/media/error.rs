//! Media's refusals, each spelled once, and the one place they become API errors.

use confab_proto::ErrorCode;

use super::model::UploadKind;
use crate::error::ApiError;

/// Why media refuses a request.
#[derive(Debug, thiserror::Error)]
pub enum MediaError {
    /// The body outgrew the route's limit before a part was read.
    #[error("the file is too large")]
    BodyTooLarge,
    /// The multipart framing is broken.
    #[error("malformed multipart body: {0}")]
    Multipart(String),
    /// A download with neither a token nor a signed URL.
    #[error("sign in first (`Authorization: Bearer <access token>`), or use a signed URL")]
    SignInOrSign,
    /// No such file, or one the caller may not see (the same answer, so nothing leaks).
    #[error("no such file")]
    NoFile,
    /// Over the kind's size cap, known before streaming.
    #[error("{} uploads are limited to {cap} bytes", kind.as_str())]
    OverCap {
        /// The upload's kind.
        kind: UploadKind,
        /// Its cap in bytes.
        cap: usize,
    },
    /// Over the kind's size cap, found while streaming.
    #[error("too large")]
    StreamTooLarge,
    /// The bytes do not decode as an image.
    #[error("the image cannot be read")]
    ImageUnreadable,
    /// An image over the configured dimensions.
    #[error("the image is {w}×{h}; at most {side} pixels a side and {pixels} in all")]
    ImageTooLarge {
        /// Width.
        w: u32,
        /// Height.
        h: u32,
        /// The largest side allowed.
        side: u32,
        /// The most pixels allowed.
        pixels: u64,
    },
    /// A type (or file name) the allow-list refuses.
    #[error("{0}")]
    Refused(String),
    /// A signed URL's signature is wrong.
    #[error("this file URL's signature does not match")]
    BadSignature,
    /// A signed URL past its expiry.
    #[error("this file URL has expired; ask for a new one")]
    Expired,
    /// A signed URL that expires later than the TTL now allows.
    #[error("this file URL outlives the allowed lifetime")]
    TooLongLived,
    /// Not one of the caller's uploads (`field` names where it was given).
    #[error("no such file of yours")]
    NotYours {
        /// The input field.
        field: &'static str,
    },
    /// One of the caller's uploads, but not an image.
    #[error("that file is not an image")]
    NotAnImage {
        /// The input field.
        field: &'static str,
    },
    /// A message's attachment is not one of the sender's uploads.
    #[error("no such file of yours")]
    NoAttachment,
    /// A message's attachment is of another kind than the message needs.
    #[error("that file is not a {}", .0.as_str())]
    AttachmentKind(UploadKind),
}

impl From<MediaError> for ApiError {
    fn from(e: MediaError) -> Self {
        use MediaError as E;
        let (code, field) = match &e {
            E::BodyTooLarge | E::StreamTooLarge => (ErrorCode::PayloadTooLarge, None),
            E::OverCap { .. } => (ErrorCode::PayloadTooLarge, Some("file")),
            E::Multipart(_) => (ErrorCode::BadRequest, None),
            E::SignInOrSign => (ErrorCode::Unauthorized, None),
            E::NoFile => (ErrorCode::NotFound, None),
            E::ImageUnreadable => (ErrorCode::UnsupportedFileType, None),
            E::ImageTooLarge { .. } => (ErrorCode::ImageTooLarge, None),
            E::Refused(_) => (ErrorCode::UnsupportedFileType, Some("file")),
            E::BadSignature | E::TooLongLived => (ErrorCode::SignatureInvalid, None),
            E::Expired => (ErrorCode::SignatureExpired, None),
            E::NotYours { field } => (ErrorCode::NotFound, Some(*field)),
            E::NotAnImage { field } => (ErrorCode::UnsupportedFileType, Some(*field)),
            E::NoAttachment | E::AttachmentKind(_) => {
                (ErrorCode::InvalidMessage, Some("body.file_id"))
            }
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
