//! Social rules other features ask for (friendship, blocks, the direct-chat verdict, the
//! presence audience), profile decoration and discovery settings.

use confab_proto::accounts::UserOut;
use confab_proto::ids::UserId;
use confab_proto::social::{PrivacyOut, PrivacyPatch, Relation};
use confab_proto::ws::ServerEvent;

use super::error::SocialError;
use super::model::Privacy;
use super::store::{self};
use crate::config::DirectPolicy;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::state::AppState;

/// Pushes an event to one user's sockets (after the change is committed). Best-effort: the
/// store holds the truth, clients re-read lists on reconnect.
pub(super) async fn push(state: &AppState, user: UserId, event: ServerEvent) {
    crate::push::emit(state, Topic::User(user), &event).await;
}

// ---------------------------------------------------------------- checks for other features

/// Whether `a` and `b` are friends *and neither blocks the other*: a block suspends what a
/// friendship allows (docs/decisions/0007-blocking-a-friend.md), so callers that gate on
/// friendship (group invites, friends-only moments, presence) get the right answer from
/// this alone.
pub async fn are_friends(state: &AppState, a: UserId, b: UserId) -> Result<bool, ApiError> {
    if a == b {
        return Ok(false);
    }
    let db = state.store.reader();
    Ok(store::find_friendship(db, a, b).await?.is_some()
        && !store::blocked_either_way(db, a, b).await?)
}

/// Whether `a` blocks `b` or `b` blocks `a`.
pub async fn is_blocked_either_way(
    state: &AppState,
    a: UserId,
    b: UserId,
) -> Result<bool, ApiError> {
    Ok(store::blocked_either_way(state.store.reader(), a, b).await?)
}

/// May `me` open or send to a direct chat with `peer`? Not when either blocks the other
/// (`blocked`); under `social.direct_policy = "friends"`, only friends (`not_friends`).
pub async fn check_direct(state: &AppState, me: UserId, peer: UserId) -> Result<(), ApiError> {
    let db = state.store.reader();
    let blocked = store::blocked_either_way(db, me, peer).await?;
    let friends = !blocked && friends_if_needed(state, me, peer).await?;
    direct_verdict(state, blocked, friends)
}

/// Whether they are friends, read only when the direct policy asks for it (else `false`,
/// which the verdict then ignores).
pub(super) async fn friends_if_needed(
    state: &AppState,
    me: UserId,
    peer: UserId,
) -> Result<bool, ApiError> {
    if state.config.social.direct_policy != DirectPolicy::Friends {
        return Ok(false);
    }
    Ok(store::find_friendship(state.store.reader(), me, peer)
        .await?
        .is_some())
}

/// The verdict of [`check_direct`] from the relation's facts.
pub(super) fn direct_verdict(
    state: &AppState,
    blocked_either_way: bool,
    friends: bool,
) -> Result<(), ApiError> {
    if blocked_either_way {
        return Err(SocialError::Blocked.into());
    }
    if state.config.social.direct_policy == DirectPolicy::Friends && !friends {
        return Err(SocialError::FriendsOnly.into());
    }
    Ok(())
}

/// Who is told about `user`'s presence besides the user: their friends, minus anyone
/// either side blocks.
pub async fn presence_audience(state: &AppState, user: UserId) -> Result<Vec<UserId>, ApiError> {
    let db = state.store.reader();
    let friends = store::friend_ids(db, user).await?;
    if friends.is_empty() {
        return Ok(friends);
    }
    let peers = store::block_peers(db, user).await?;
    Ok(friends.into_iter().filter(|f| !peers.contains(f)).collect())
}

/// `user`'s friends whose friendship no block suspends (either way): the people a
/// friends-only rule lets in (moments' feed and its likes and comments).
pub async fn active_friend_ids(state: &AppState, user: UserId) -> Result<Vec<UserId>, ApiError> {
    presence_audience(state, user).await
}

/// The tags `owner` gave `friend`, when they are friends (blocks are not looked at here:
/// callers ask [`are_friends`] first).
pub async fn friend_tags(
    state: &AppState,
    owner: UserId,
    friend: UserId,
) -> Result<Option<Vec<String>>, ApiError> {
    Ok(store::find_friendship(state.store.reader(), owner, friend)
        .await?
        .map(|f| f.tags))
}

// ---------------------------------------------------------------- profiles

pub(super) async fn profile(state: &AppState, id: UserId) -> Result<UserOut, ApiError> {
    crate::accounts::service::public_user(state, id).await
}

/// Fills a profile's follower/following counts and the viewer's relation (`GET /users/{id}`).
pub async fn decorate_profile(
    state: &AppState,
    viewer: UserId,
    user: &mut UserOut,
) -> Result<(), ApiError> {
    let db = state.store.reader();
    let (followers, following) = store::follow_counts(db, user.id).await?;
    user.follower_count = Some(followers);
    user.following_count = Some(following);
    user.relation = store::relations(db, viewer, &[user.id])
        .await?
        .get(&user.id)
        .copied();
    Ok(())
}

// ---------------------------------------------------------------- discovery

/// `user`'s discovery settings.
pub async fn privacy_of(state: &AppState, user: UserId) -> Result<Privacy, ApiError> {
    Ok(store::find_privacy(state.store.reader(), user).await?)
}

/// My discovery settings.
pub async fn get_privacy(state: &AppState, me: UserId) -> Result<PrivacyOut, ApiError> {
    Ok(privacy_of(state, me).await?.out())
}

/// Changes my discovery settings (absent fields stay).
pub async fn update_privacy(
    state: &AppState,
    me: UserId,
    p: PrivacyPatch,
) -> Result<PrivacyOut, ApiError> {
    let mut cur = privacy_of(state, me).await?;
    if let Some(v) = p.findable_by_username {
        cur.by_username = v;
    }
    if let Some(v) = p.findable_by_email {
        cur.by_email = v;
    }
    if let Some(v) = p.findable_by_phone {
        cur.by_phone = v;
    }
    store::set_privacy(state.store.writer(), me, cur, state.clock.now()).await?;
    Ok(cur.out())
}

/// Search results as `viewer` may see them: users who block the viewer are left out, and
/// each result says how the viewer relates to it.
pub async fn annotate_search(
    state: &AppState,
    viewer: UserId,
    items: Vec<UserOut>,
) -> Result<Vec<UserOut>, ApiError> {
    let db = state.store.reader();
    let ids: Vec<UserId> = items.iter().map(|u| u.id).collect();
    let hidden = store::blockers_among(db, viewer, &ids).await?;
    let rel = store::relations(db, viewer, &ids).await?;
    Ok(items
        .into_iter()
        .filter(|u| !hidden.contains(&u.id))
        .map(|mut u| {
            u.relation = Some(rel.get(&u.id).copied().unwrap_or(Relation::None));
            u
        })
        .collect())
}

/// Refuses myself (`that is you`) and users who do not exist.
pub(super) async fn existing_user(
    state: &AppState,
    me: UserId,
    other: UserId,
) -> Result<(), ApiError> {
    if other == me {
        return Err(SocialError::ThatIsYou.into());
    }
    crate::accounts::service::get_user(state, other).await?;
    Ok(())
}
