//! Friends: the list (with remark, tags, profile and presence), remarks and tags, ending a
//! friendship.

use confab_proto::accounts::Page;
use confab_proto::ids::UserId;
use confab_proto::social::{FriendOut, FriendPatch, FriendRemovedData, PageQuery, Relation};
use confab_proto::ws::{PresenceStatus, ServerEvent};

use super::error::SocialError;
use super::model::{self};
use super::service::{profile, push};
use super::store::{self};
use crate::error::ApiError;
use crate::state::AppState;

/// `me`'s view of one friend.
pub(super) async fn friend_out(
    state: &AppState,
    me: UserId,
    friend: UserId,
) -> Result<FriendOut, ApiError> {
    let db = state.store.reader();
    let f = store::find_friendship(db, me, friend)
        .await?
        .ok_or(SocialError::NoFriend)?;
    let blocks = store::blocked_either_way(db, me, friend).await?;
    let i_block = blocks && store::is_blocked(db, me, friend).await?;
    Ok(FriendOut {
        user: profile(state, friend).await?,
        remark: f.remark,
        tags: f.tags,
        since: f.since,
        presence: presence_seen(state, me, friend, !blocks).await,
        blocked: i_block,
    })
}

/// What `viewer` sees of `user`'s presence: the real status for themself and friends,
/// `offline` for everyone else (and while a block stands).
async fn presence_seen(
    state: &AppState,
    viewer: UserId,
    user: UserId,
    friends: bool,
) -> PresenceStatus {
    if viewer == user || friends {
        super::presence::status_of(state, user).await.status
    } else {
        PresenceStatus::Offline
    }
}

/// A page of my friends (by user id), with remark, tags, profile and presence.
pub async fn list_friends(
    state: &AppState,
    me: UserId,
    q: PageQuery,
) -> Result<Page<FriendOut>, ApiError> {
    let limit = model::limit(q.limit)?;
    let after = model::cursor(q.cursor.as_deref())?;
    let db = state.store.reader();
    let rows = store::list_friends(db, me, after, limit).await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|f| f.friend.to_string()))
        .flatten();
    let ids: Vec<UserId> = rows.iter().map(|f| f.friend).collect();
    let users = crate::accounts::service::public_users(state, &ids).await?;
    let peers = store::block_peers(db, me).await?;
    let mine = store::relations(db, me, &ids).await?;
    let mut items = Vec::with_capacity(rows.len());
    for f in rows {
        let Some(user) = users.get(&f.friend) else {
            continue;
        };
        let blocks = peers.contains(&f.friend);
        items.push(FriendOut {
            user: user.clone(),
            remark: f.remark,
            tags: f.tags,
            since: f.since,
            presence: presence_seen(state, me, f.friend, !blocks).await,
            blocked: mine.get(&f.friend) == Some(&Relation::Blocked),
        });
    }
    Ok(Page { items, next_cursor })
}

/// Sets my remark and/or tags for a friend.
pub async fn update_friend(
    state: &AppState,
    me: UserId,
    friend: UserId,
    p: FriendPatch,
) -> Result<FriendOut, ApiError> {
    let remark = p
        .remark
        .as_ref()
        .map(|r| model::remark(r.as_deref()))
        .transpose()?;
    let tags = p
        .tags
        .as_deref()
        .map(crate::accounts::model::tags)
        .transpose()?;
    if !store::update_friendship(
        state.store.writer(),
        me,
        friend,
        remark.as_deref(),
        tags.as_deref(),
        state.clock.now(),
    )
    .await?
    {
        return Err(SocialError::NoFriend.into());
    }
    friend_out(state, me, friend).await
}

/// Ends a friendship (both sides; the other gets `friend.removed`), optionally clearing our
/// direct chat's history for me.
pub async fn remove_friend(
    state: &AppState,
    me: UserId,
    friend: UserId,
    clear_chat: bool,
) -> Result<(), ApiError> {
    if !store::delete_friendship(state.store.writer(), me, friend).await? {
        return Err(SocialError::NoFriend.into());
    }
    crate::rulecache::changed(state).await;
    if clear_chat
        && let Some(conv) = crate::messaging::service::find_direct(state, me, friend).await?
    {
        crate::messaging::service::clear(state, me, conv).await?;
    }
    for (who, other) in [(friend, me), (me, friend)] {
        push(
            state,
            who,
            ServerEvent::FriendRemoved(FriendRemovedData { user_id: other }),
        )
        .await;
    }
    // No longer in each other's presence audience: both now read as offline to the other.
    super::presence::tell_offline(state, me, friend).await;
    super::presence::tell_offline(state, friend, me).await;
    Ok(())
}
