//! Follows: follow, unfollow, followers and following.

use confab_proto::accounts::Page;
use confab_proto::ids::UserId;
use confab_proto::social::{FollowOut, PageQuery};

use super::error::SocialError;
use super::model::{self};
use super::service::{existing_user, is_blocked_either_way};
use super::store::{self};
use crate::error::ApiError;
use crate::state::AppState;

/// Follows a user (idempotent). Not across a block.
pub async fn follow(state: &AppState, me: UserId, other: UserId) -> Result<(), ApiError> {
    existing_user(state, me, other).await?;
    if is_blocked_either_way(state, me, other).await? {
        return Err(SocialError::Blocked.into());
    }
    store::create_follow(
        state.store.writer(),
        me,
        other,
        state.ids.next_id(),
        state.clock.now(),
    )
    .await?;
    Ok(())
}

/// Unfollows a user (idempotent).
pub async fn unfollow(state: &AppState, me: UserId, other: UserId) -> Result<(), ApiError> {
    if other == me {
        return Err(SocialError::ThatIsYou.into());
    }
    store::delete_follow(state.store.writer(), me, other).await?;
    Ok(())
}

/// A page of `user`'s followers (or of whom they follow), newest first. Public to every
/// signed-in user except across a block (then 404, as if the user did not exist).
pub async fn list_follows(
    state: &AppState,
    viewer: UserId,
    user: UserId,
    followers: bool,
    q: PageQuery,
) -> Result<Page<FollowOut>, ApiError> {
    let limit = model::limit(q.limit)?;
    let before = model::cursor(q.cursor.as_deref())?;
    crate::accounts::service::get_user(state, user).await?;
    if viewer != user && is_blocked_either_way(state, viewer, user).await? {
        return Err(SocialError::NoUser.into());
    }
    let rows = store::list_follows(state.store.reader(), user, followers, before, limit).await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|f| f.id.to_string()))
        .flatten();
    let ids: Vec<UserId> = rows.iter().map(|f| f.user).collect();
    let users = crate::accounts::service::public_users(state, &ids).await?;
    Ok(Page {
        items: rows
            .into_iter()
            .filter_map(|f| {
                users.get(&f.user).map(|user| FollowOut {
                    user: user.clone(),
                    since: f.since,
                })
            })
            .collect(),
        next_cursor,
    })
}
