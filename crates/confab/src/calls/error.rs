//! Every refusal the calls feature answers, each message spelled once, and the one mapping
//! to the wire error (code and `field`).

use confab_proto::ErrorCode;

use crate::error::ApiError;

/// Why a call request is refused.
#[derive(Debug, thiserror::Error)]
pub enum CallsError {
    /// No such call, or not one the user may see.
    #[error("no such call")]
    NoCall,
    /// A call to oneself.
    #[error("you cannot call yourself")]
    ToSelf,
    /// The caller is in a call already.
    #[error("you are already in a call; hang up first")]
    InCall,
    /// The call is past the state this needs.
    #[error("the call is no longer ringing or active")]
    Over,
    /// A group call runs in this conversation already.
    #[error("a group call is already running here; join it")]
    InProgress,
    /// Not a party to the call (or not from the device bound to it).
    #[error("you are not in this call")]
    NotInCall,
    /// Only the caller may do this.
    #[error("only the caller may do this")]
    NotCaller,
    /// Only the callee may do this.
    #[error("only the callee may do this")]
    NotCallee,
    /// Only the starter or a manager of the conversation may end a group call.
    #[error("only the caller or a manager of the conversation may end this call")]
    NotManager,
    /// A group call in a conversation that takes none (direct chats, channels).
    #[error("group calls are made in a group's or a voice room's chat")]
    NotGroupPlace,
    /// A 1:1-only action on a group call, or the other way round.
    #[error("this is not a call of that kind")]
    WrongKind,
    /// The signal payload is too large.
    #[error("payload: at most {0} bytes")]
    SignalTooLarge(usize),
    /// Group call media tokens are not configured.
    #[error("media tokens are not configured on this server")]
    MediaUnavailable,
}

impl From<CallsError> for ApiError {
    fn from(e: CallsError) -> Self {
        use CallsError as E;
        let (code, field) = match &e {
            E::NoCall => (ErrorCode::NotFound, None),
            E::ToSelf => (ErrorCode::CannotTargetSelf, Some("callee_id")),
            E::InCall => (ErrorCode::InCall, None),
            E::Over => (ErrorCode::CallOver, None),
            E::InProgress => (ErrorCode::CallInProgress, Some("conversation_id")),
            E::NotInCall | E::NotCaller | E::NotCallee | E::NotManager => {
                (ErrorCode::NotInCall, None)
            }
            E::NotGroupPlace => (ErrorCode::ValidationFailed, Some("conversation_id")),
            E::WrongKind => (ErrorCode::ValidationFailed, None),
            E::SignalTooLarge(_) => (ErrorCode::ValidationFailed, Some("payload")),
            E::MediaUnavailable => (ErrorCode::MediaUnavailable, None),
        };
        let out = ApiError::new(code, e.to_string());
        match field {
            Some(f) => out.with_field(f),
            None => out,
        }
    }
}
