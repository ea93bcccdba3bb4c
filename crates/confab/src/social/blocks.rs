//! Blocks: block (ending what it forbids), unblock, the list.

use confab_proto::accounts::Page;
use confab_proto::ids::UserId;
use confab_proto::social::{BlockOut, PageQuery};

use super::error::SocialError;
use super::model::{self};
use super::service::{are_friends, existing_user};
use super::store::{self};
use crate::error::ApiError;
use crate::state::AppState;

/// Blocks a user (idempotent): their pending requests end, follows either way end, and a
/// friendship is suspended (not deleted) until I unblock.
pub async fn block(state: &AppState, me: UserId, other: UserId) -> Result<(), ApiError> {
    existing_user(state, me, other).await?;
    let was_friend = are_friends(state, me, other).await?;
    store::create_block(state.store.writer(), me, other, state.clock.now()).await?;
    crate::rulecache::changed(state).await;
    if was_friend {
        // Presence stops flowing both ways while the block stands.
        super::presence::tell_offline(state, me, other).await;
        super::presence::tell_offline(state, other, me).await;
    }
    Ok(())
}

/// Unblocks a user (idempotent). A suspended friendship works again.
pub async fn unblock(state: &AppState, me: UserId, other: UserId) -> Result<(), ApiError> {
    if other == me {
        return Err(SocialError::ThatIsYou.into());
    }
    store::delete_block(state.store.writer(), me, other).await?;
    crate::rulecache::changed(state).await;
    if are_friends(state, me, other).await? {
        super::presence::tell(state, me, other).await;
        super::presence::tell(state, other, me).await;
    }
    Ok(())
}

/// A page of the users I block.
pub async fn list_blocks(
    state: &AppState,
    me: UserId,
    q: PageQuery,
) -> Result<Page<BlockOut>, ApiError> {
    let limit = model::limit(q.limit)?;
    let after = model::cursor(q.cursor.as_deref())?;
    let rows = store::list_blocks(state.store.reader(), me, after, limit).await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|(u, _)| u.to_string()))
        .flatten();
    let ids: Vec<UserId> = rows.iter().map(|(u, _)| *u).collect();
    let users = crate::accounts::service::public_users(state, &ids).await?;
    Ok(Page {
        items: rows
            .into_iter()
            .filter_map(|(u, since)| {
                users.get(&u).map(|user| BlockOut {
                    user: user.clone(),
                    since,
                })
            })
            .collect(),
        next_cursor,
    })
}
