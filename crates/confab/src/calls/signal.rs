//! The `call.signal` relay: SDP offers and answers and ICE candidates go from one device of
//! an answered 1:1 call to the other device of that call, and to no other socket (the event
//! is addressed to the peer's session, `Topic::Session`, on whichever node it is). Bounded
//! in size (`calls.signal_max_bytes`) and rate (`calls.signals_per_second` per device,
//! cluster-wide).

use std::time::Duration;

use confab_proto::calls::{CallKind, CallSignalData, CallState};
use confab_proto::ws::ServerEvent;

use super::error::CallsError;
use super::lifecycle::load;
use crate::accounts::auth::AuthUser;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::state::AppState;

/// Relays `data` from my device to the other device of the call.
pub async fn relay(state: &AppState, me: AuthUser, data: CallSignalData) -> Result<(), ApiError> {
    let cfg = &state.config.calls;
    let size = serde_json::to_vec(&data.payload).map_or(usize::MAX, |v| v.len());
    if size > cfg.signal_max_bytes {
        return Err(CallsError::SignalTooLarge(cfg.signal_max_bytes).into());
    }
    crate::ratelimit::hit(
        state,
        &format!("callsig:{}", me.session_id),
        cfg.signals_per_second,
        Duration::from_secs(1),
    )
    .await?;
    let call = load(state, data.call_id).await?;
    let party = call.caller_id == me.user_id || call.callee_id == Some(me.user_id);
    if call.kind != CallKind::Direct || !party {
        return Err(CallsError::NoCall.into());
    }
    if call.state != CallState::Active {
        return Err(CallsError::Over.into());
    }
    let peer = if me.session_id == call.caller_session {
        call.callee_session
    } else if Some(me.session_id) == call.callee_session {
        Some(call.caller_session)
    } else {
        None
    };
    let Some(peer) = peer else {
        return Err(CallsError::NotInCall.into());
    };
    let ev = ServerEvent::CallSignal(Box::new(CallSignalData {
        call_id: call.id,
        payload: data.payload,
        from_user_id: Some(me.user_id),
    }));
    crate::push::publish(state, Topic::Session(peer), &ev)
        .await
        .map_err(|e| ApiError::unavailable("bus", e))
}
