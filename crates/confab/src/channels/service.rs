//! Channel rules: the world channel's creation, how a user sees it, and administrators'
//! channel mutes.

use confab_proto::admin::{ChannelMuteIn, ChannelMuteOut, WorldChannelOut};
use confab_proto::ids::{ConversationId, UserId};

use super::error::ChannelsError;
use super::{policy, store};
use crate::error::ApiError;
use crate::state::AppState;

/// The world channel's slug.
pub const WORLD: &str = "world";

/// The conversation of channel `slug`, created (with `fresh` as its id) if it does not
/// exist yet; safe with several nodes racing on one database.
pub async fn create_or_find(
    state: &AppState,
    slug: &str,
    fresh: ConversationId,
) -> Result<ConversationId, ApiError> {
    Ok(store::create_or_find_channel(state.store.writer(), slug, fresh, state.clock.now()).await?)
}

/// `user`'s channel mute row in `conv`, whether or not it is still in force.
pub async fn find_mute(
    state: &AppState,
    conv: ConversationId,
    user: UserId,
) -> Result<Option<store::ChannelMute>, ApiError> {
    Ok(store::find_mute(state.store.reader(), conv, user).await?)
}

/// Creates the world channel if this is the first start (idempotent; safe with several
/// nodes starting at once on one database). Returns its conversation.
pub async fn ensure_world(state: &AppState) -> Result<ConversationId, ApiError> {
    let fresh = ConversationId(state.ids.next_id());
    let id = create_or_find(state, WORLD, fresh).await?;
    if id == fresh {
        tracing::info!(conversation_id = %id, "world channel created");
    }
    Ok(id)
}

/// The world channel's conversation.
pub async fn world_id(state: &AppState) -> Result<ConversationId, ApiError> {
    match store::find_channel(state.store.reader(), WORLD).await? {
        Some(id) => Ok(id),
        // Made at start-up; a database restored from before it existed gets it now.
        None => ensure_world(state).await,
    }
}

/// The world channel as `me` sees it; opening it makes `me` a member (so it shows in sync).
pub async fn world(state: &AppState, me: UserId) -> Result<WorldChannelOut, ApiError> {
    let id = world_id(state).await?;
    crate::messaging::service::membership(state, me, id).await?;
    let mute = policy::mute_in_force(state, me, id).await?;
    let setting_ok = policy::check_setting(state, me).await.is_ok();
    Ok(WorldChannelOut {
        conversation_id: id,
        posting: state.config.channels.world_posting,
        can_post: setting_ok && mute.is_none(),
        posts_per_minute: state.config.channels.world_posts_per_minute,
        muted: mute.is_some(),
        muted_until: mute.and_then(|m| m.until),
    })
}

/// Mutes a user in the world channel (until a time, or permanently); audited.
pub async fn mute(
    state: &AppState,
    admin: UserId,
    input: ChannelMuteIn,
) -> Result<ChannelMuteOut, ApiError> {
    let until = crate::moderation::mutes::check_until(state, "until", input.until)?;
    if input.user_id == admin {
        return Err(ChannelsError::MuteSelf.into());
    }
    crate::accounts::service::get_user(state, input.user_id).await?;
    let id = world_id(state).await?;
    let mute = store::ChannelMute {
        conversation_id: id,
        user_id: input.user_id,
        until,
    };
    store::set_mute(state.store.writer(), &mute, admin, state.clock.now()).await?;
    crate::moderation::audit::audit(
        state,
        admin,
        "channel.mute",
        "user",
        input.user_id.to_string(),
        serde_json::json!({"channel": WORLD, "conversation_id": id.to_string(), "until": until}),
    )
    .await?;
    Ok(ChannelMuteOut {
        conversation_id: id,
        user_id: input.user_id,
        until,
    })
}

/// Lifts a user's world-channel mute; 404 when there was none. Audited.
pub async fn unmute(state: &AppState, admin: UserId, user: UserId) -> Result<(), ApiError> {
    let id = world_id(state).await?;
    if !store::delete_mute(state.store.writer(), id, user).await? {
        return Err(ChannelsError::NotMuted.into());
    }
    crate::moderation::audit::audit(
        state,
        admin,
        "channel.unmute",
        "user",
        user.to_string(),
        serde_json::json!({"channel": WORLD, "conversation_id": id.to_string()}),
    )
    .await?;
    Ok(())
}
