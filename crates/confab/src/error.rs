//! The one place an error code becomes an HTTP status, and the one error type handlers
//! return. The body is always `{"error": {"code", "message", "field"?}}`.
//!
//! Unexpected errors become an opaque 500 (`internal`); their cause is attached to the
//! response's extensions and logged once, with the request id, by the request-log middleware
//! — never sent to the client.

use std::borrow::Cow;
use std::sync::Arc;

use axum::Json;
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use confab_proto::{ErrorBody, ErrorCode, ErrorInfo};

use crate::infra::blob::BlobError;
use crate::infra::bus::BusError;
use crate::infra::cache::CacheError;
use crate::infra::store::StoreError;

/// The HTTP status for each code. The only place this mapping exists.
pub fn status_of(code: ErrorCode) -> StatusCode {
    match code {
        ErrorCode::BadRequest
        | ErrorCode::InvalidJson
        | ErrorCode::BadFrame
        | ErrorCode::UnknownFrameType => StatusCode::BAD_REQUEST,
        ErrorCode::ValidationFailed => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnsupportedMediaType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::PayloadTooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        ErrorCode::NotFound => StatusCode::NOT_FOUND,
        ErrorCode::MethodNotAllowed => StatusCode::METHOD_NOT_ALLOWED,
        ErrorCode::RequestTimeout => StatusCode::REQUEST_TIMEOUT,
        ErrorCode::Unauthorized => StatusCode::UNAUTHORIZED,
        ErrorCode::Forbidden => StatusCode::FORBIDDEN,
        ErrorCode::Conflict => StatusCode::CONFLICT,
        ErrorCode::RateLimited => StatusCode::TOO_MANY_REQUESTS,
        ErrorCode::ServiceUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        ErrorCode::Internal => StatusCode::INTERNAL_SERVER_ERROR,
        ErrorCode::InvalidCredentials
        | ErrorCode::TokenExpired
        | ErrorCode::SessionRevoked
        | ErrorCode::RefreshTokenInvalid
        | ErrorCode::AuthTimeout => StatusCode::UNAUTHORIZED,
        ErrorCode::AccountDisabled
        | ErrorCode::RegistrationClosed
        | ErrorCode::InviteRequired
        | ErrorCode::RegistrationInviteInvalid => StatusCode::FORBIDDEN,
        ErrorCode::TooManyAttempts | ErrorCode::CodeTooSoon | ErrorCode::CodeDailyLimit => {
            StatusCode::TOO_MANY_REQUESTS
        }
        ErrorCode::UsernameTaken
        | ErrorCode::EmailTaken
        | ErrorCode::PhoneTaken
        | ErrorCode::IdentityLinked
        | ErrorCode::LastSignInMethod => StatusCode::CONFLICT,
        ErrorCode::WeakPassword
        | ErrorCode::VerificationRequired
        | ErrorCode::CodeInvalid
        | ErrorCode::CaptchaRequired
        | ErrorCode::CaptchaInvalid
        | ErrorCode::ImageTooLarge => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::UnsupportedFileType => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        ErrorCode::OauthProviderUnknown => StatusCode::NOT_FOUND,
        ErrorCode::OauthStateInvalid | ErrorCode::OauthFailed => StatusCode::BAD_REQUEST,
        ErrorCode::NotMember => StatusCode::FORBIDDEN,
        ErrorCode::DuplicateClientMsgId => StatusCode::CONFLICT,
        ErrorCode::InvalidMessage | ErrorCode::ContentBlocked => StatusCode::UNPROCESSABLE_ENTITY,
        ErrorCode::NotSender | ErrorCode::EditWindowPassed | ErrorCode::RecallWindowPassed => {
            StatusCode::FORBIDDEN
        }
        ErrorCode::NotEditable | ErrorCode::MessageRecalled => StatusCode::CONFLICT,
        // social
        ErrorCode::NotFriends | ErrorCode::Blocked => StatusCode::FORBIDDEN,
        ErrorCode::AlreadyFriends
        | ErrorCode::RequestNotPending
        | ErrorCode::FriendRequestLimit
        | ErrorCode::FriendLimit => StatusCode::CONFLICT,
        // groups
        ErrorCode::NotGroupMember
        | ErrorCode::GroupRoleRequired
        | ErrorCode::BannedFromGroup
        | ErrorCode::MemberMuted
        | ErrorCode::GroupAllMuted
        | ErrorCode::MentionAllForbidden
        | ErrorCode::InviteeNotFriend => StatusCode::FORBIDDEN,
        ErrorCode::GroupDissolved
        | ErrorCode::GroupFull
        | ErrorCode::AlreadyMember
        | ErrorCode::OwnerMustTransfer
        | ErrorCode::JoinRequestPending => StatusCode::CONFLICT,
        ErrorCode::InviteInvalid => StatusCode::NOT_FOUND,
        // media
        ErrorCode::SignatureInvalid | ErrorCode::SignatureExpired => StatusCode::FORBIDDEN,
        // admin
        ErrorCode::UserMuted | ErrorCode::ChannelMuted | ErrorCode::ChannelPostingClosed => {
            StatusCode::FORBIDDEN
        }
        ErrorCode::ReportClosed => StatusCode::CONFLICT,
        ErrorCode::ActionNotApplicable | ErrorCode::CannotTargetSelf => {
            StatusCode::UNPROCESSABLE_ENTITY
        }
        // rooms
        ErrorCode::NotInRoom
        | ErrorCode::RoomRoleRequired
        | ErrorCode::RoomPasswordInvalid
        | ErrorCode::KickedFromRoom
        | ErrorCode::RoomMuted
        | ErrorCode::RoomAllMuted => StatusCode::FORBIDDEN,
        ErrorCode::RoomClosed
        | ErrorCode::RoomLimit
        | ErrorCode::SeatTaken
        | ErrorCode::SeatLocked
        | ErrorCode::SeatMuted
        | ErrorCode::AlreadySeated
        | ErrorCode::NotSeated
        | ErrorCode::NoFreeSeat
        | ErrorCode::SeatApplyRequired
        | ErrorCode::ApplicationPending => StatusCode::CONFLICT,
        ErrorCode::MediaUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        // gifts
        ErrorCode::InsufficientBalance
        | ErrorCode::InsufficientItems
        | ErrorCode::GiftUnavailable
        | ErrorCode::KeyReused
        | ErrorCode::AlreadyReversed => StatusCode::CONFLICT,
        ErrorCode::TopupSignatureInvalid => StatusCode::UNAUTHORIZED,
        ErrorCode::TopupsUnavailable => StatusCode::SERVICE_UNAVAILABLE,
        // calls
        ErrorCode::InCall | ErrorCode::CallOver | ErrorCode::CallInProgress => StatusCode::CONFLICT,
        ErrorCode::NotInCall => StatusCode::FORBIDDEN,
    }
}

/// The code a bare status stands for, for responses made outside our handlers (the router's
/// 405, a timeout's 408) so they get the same body shape.
pub fn code_for_status(status: StatusCode) -> ErrorCode {
    match status {
        StatusCode::NOT_FOUND => ErrorCode::NotFound,
        StatusCode::METHOD_NOT_ALLOWED => ErrorCode::MethodNotAllowed,
        StatusCode::REQUEST_TIMEOUT => ErrorCode::RequestTimeout,
        StatusCode::PAYLOAD_TOO_LARGE => ErrorCode::PayloadTooLarge,
        StatusCode::UNSUPPORTED_MEDIA_TYPE => ErrorCode::UnsupportedMediaType,
        StatusCode::UNAUTHORIZED => ErrorCode::Unauthorized,
        StatusCode::FORBIDDEN => ErrorCode::Forbidden,
        StatusCode::CONFLICT => ErrorCode::Conflict,
        StatusCode::UNPROCESSABLE_ENTITY => ErrorCode::ValidationFailed,
        StatusCode::TOO_MANY_REQUESTS => ErrorCode::RateLimited,
        StatusCode::SERVICE_UNAVAILABLE => ErrorCode::ServiceUnavailable,
        s if s.is_client_error() => ErrorCode::BadRequest,
        _ => ErrorCode::Internal,
    }
}

/// The cause of an unexpected error, carried to the logging middleware.
#[derive(Clone, Debug)]
pub struct ErrorCause(pub Arc<str>);

/// An error answered to a client.
#[derive(Debug)]
pub struct ApiError {
    code: ErrorCode,
    message: Cow<'static, str>,
    field: Option<Cow<'static, str>>,
    retry_after_secs: Option<u64>,
    cause: Option<anyhow::Error>,
}

/// The longest error message answered, in bytes: parsers' words for a bad body quote the
/// offending input (serde names an unknown key whole; the `message_body` fuzz target found
/// a 1,400-byte key coming back in full), so every such message is cut here.
pub const MAX_MESSAGE_BYTES: usize = 300;

/// `s` cut to at most [`MAX_MESSAGE_BYTES`] (at a character boundary, with `…` appended).
pub fn bounded_message(mut s: String) -> String {
    if s.len() > MAX_MESSAGE_BYTES {
        let mut cut = MAX_MESSAGE_BYTES;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push('…');
    }
    s
}

impl ApiError {
    /// An error with a code and a message for people.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self {
            code,
            message: message.into(),
            field: None,
            retry_after_secs: None,
            cause: None,
        }
    }

    /// A `validation_failed` error naming the field.
    pub fn invalid(
        field: impl Into<Cow<'static, str>>,
        message: impl Into<Cow<'static, str>>,
    ) -> Self {
        Self::new(ErrorCode::ValidationFailed, message).with_field(field)
    }

    /// An unexpected failure: an opaque 500 to the client, the cause to the log.
    pub fn internal(cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(ErrorCode::Internal, "internal server error");
        e.cause = Some(cause.into());
        e
    }

    /// A backend is down: 503, the cause to the log.
    pub fn unavailable(what: &'static str, cause: impl Into<anyhow::Error>) -> Self {
        let mut e = Self::new(
            ErrorCode::ServiceUnavailable,
            format!("{what} unavailable; retry later"),
        );
        e.cause = Some(cause.into());
        e.retry_after_secs = Some(1);
        e
    }

    /// Names the input field at fault.
    pub fn with_field(mut self, field: impl Into<Cow<'static, str>>) -> Self {
        self.field = Some(field.into());
        self
    }

    /// Adds a `Retry-After` header.
    pub fn with_retry_after(mut self, secs: u64) -> Self {
        self.retry_after_secs = Some(secs);
        self
    }

    /// The code.
    pub fn code(&self) -> ErrorCode {
        self.code
    }

    /// The message for people.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The HTTP status.
    pub fn status(&self) -> StatusCode {
        status_of(self.code)
    }

    /// Whether the cause is a lock conflict in the store (a deadlock or lock timeout): the
    /// transaction rolled back and may be run again from the start.
    pub fn is_lock_conflict(&self) -> bool {
        self.cause
            .as_ref()
            .and_then(|c| c.downcast_ref::<StoreError>())
            .is_some_and(
                |e| matches!(e, StoreError::Db(db) if crate::infra::store::is_lock_conflict(db)),
            )
    }

    /// Whether the cause is a unique-key violation in the store: an insert lost a race with
    /// another transaction (the caller may retry from a fresh read).
    pub fn is_unique_violation(&self) -> bool {
        self.cause
            .as_ref()
            .and_then(|c| c.downcast_ref::<StoreError>())
            .is_some_and(|e| {
                matches!(e, StoreError::Db(db) if crate::infra::store::unique_violation(db).is_some())
            })
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}: {}", self.code.as_str(), self.message)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: ErrorInfo {
                code: self.code,
                message: self.message.into_owned(),
                field: self.field.map(Cow::into_owned),
            },
        };
        let mut resp = (status_of(self.code), Json(body)).into_response();
        if let Some(secs) = self.retry_after_secs {
            resp.headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(secs));
        }
        if let Some(cause) = self.cause {
            resp.extensions_mut()
                .insert(ErrorCause(Arc::from(format!("{cause:#}"))));
        }
        resp
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unavailable(_) => ApiError::unavailable("database", e),
            // A deadlock victim or a lock wait that timed out rolled back whole: nothing
            // happened, and the same request may simply be sent again. That is a 503 with
            // Retry-After, not a 500 (paths that can, retry it themselves first).
            StoreError::Db(ref db) if crate::infra::store::is_lock_conflict(db) => {
                let mut out = ApiError::unavailable("database", e);
                out.message = "the database was busy with a conflicting change; retry".into();
                out
            }
            StoreError::Db(_) => ApiError::internal(e),
        }
    }
}

impl From<CacheError> for ApiError {
    fn from(e: CacheError) -> Self {
        ApiError::unavailable("cache", e)
    }
}

impl From<BusError> for ApiError {
    fn from(e: BusError) -> Self {
        ApiError::unavailable("event bus", e)
    }
}

impl From<BlobError> for ApiError {
    fn from(e: BlobError) -> Self {
        ApiError::unavailable("file store", e)
    }
}

/// A result whose error is answered to the client.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use sea_orm::DbErr;

    use super::*;

    #[test]
    fn a_lock_conflict_is_a_503_to_retry_and_other_store_errors_a_500() {
        let deadlock = DbErr::Custom(
            "Deadlock found when trying to get lock; try restarting transaction (code: 1213)"
                .into(),
        );
        let e = ApiError::from(StoreError::Db(deadlock));
        assert_eq!(e.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(e.retry_after_secs, Some(1));
        // Paths that retry by themselves still recognise it.
        assert!(e.is_lock_conflict());
        let other = ApiError::from(StoreError::Db(DbErr::Custom("syntax error".into())));
        assert_eq!(other.status(), StatusCode::INTERNAL_SERVER_ERROR);
        assert!(!other.is_lock_conflict());
    }
}
