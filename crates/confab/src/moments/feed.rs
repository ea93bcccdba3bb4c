//! The feed (my moments and my friends' that I may see) and a user's page, both newest
//! first with a keyset cursor on the moment id (ids are time-ordered), so a page is stable
//! while others post: a new moment has a larger id than every cursor already handed out.
//!
//! Fan-out on read (decision 0019): the feed is one indexed query on `(author_id, id)` over
//! me and my friends, then the visibility rule per moment (`access`). A page scans at most
//! [`MAX_ROUNDS`] batches; when moments I may not see fill them, the page comes back short
//! with a cursor, never an unbounded scan.

use confab_proto::ids::UserId;
use confab_proto::moments::{MomentPage, MomentsBadgeOut, MomentsQuery, UserMomentsOut};

use super::access::{Lens, Relation};
use super::error::MomentsError;
use super::model::{self, HideKind, MAX_HIDES, Post};
use super::store::{posts, settings};
use super::views::moments_out;
use crate::error::ApiError;
use crate::state::AppState;

/// Batches one page may scan.
const MAX_ROUNDS: usize = 5;

/// Moments of `authors` that the lens lets through, newest first, older than `before`:
/// at most `limit`, and the cursor for the next page (absent at the end).
async fn scan(
    state: &AppState,
    lens: &mut Lens<'_>,
    authors: &[UserId],
    mut before: Option<i64>,
    limit: u64,
) -> Result<(Vec<Post>, Option<String>), ApiError> {
    let batch = (limit * 2).max(20);
    let mut items = Vec::new();
    for _ in 0..MAX_ROUNDS {
        let rows = posts::list_by_authors(state.store.reader(), authors, before, batch).await?;
        let exhausted = (rows.len() as u64) < batch;
        for p in rows {
            before = Some(p.id.0);
            if lens.may_see(&p).await? {
                items.push(p);
                if items.len() as u64 == limit {
                    return Ok((items, before.map(|b| b.to_string())));
                }
            }
        }
        if exhausted {
            return Ok((items, None));
        }
    }
    Ok((items, before.map(|b| b.to_string())))
}

/// Me and the friends whose moments my feed shows: friends no block suspends, minus those
/// I muted and those who hide their moments from me. The lens learns their relation.
async fn feed_authors(state: &AppState, lens: &mut Lens<'_>) -> Result<Vec<UserId>, ApiError> {
    let me = lens.viewer;
    let friends = crate::social::service::active_friend_ids(state, me).await?;
    let db = state.store.reader();
    let muted = settings::list_hides(db, me, HideKind::Mute, MAX_HIDES).await?;
    let hiding = settings::hiding_from(db, me, &friends).await?;
    let mut authors = vec![me];
    lens.know(me, Relation::Me);
    for f in friends {
        if hiding.contains(&f) {
            lens.know(f, Relation::HiddenFrom);
        } else if !muted.contains(&f) {
            lens.know(f, Relation::Friend);
            authors.push(f);
        }
    }
    Ok(authors)
}

/// My feed. Reading its first page clears the "new posts" dot.
pub async fn feed(state: &AppState, me: UserId, q: MomentsQuery) -> Result<MomentPage, ApiError> {
    let limit = model::limit(q.limit)?;
    let before = model::id_cursor(q.cursor.as_deref())?;
    let mut lens = Lens::new(state, me);
    let authors = feed_authors(state, &mut lens).await?;
    let (items, next_cursor) = scan(state, &mut lens, &authors, before, limit).await?;
    if before.is_none()
        && let Some(newest) = items.first()
    {
        settings::advance(
            state.store.writer(),
            me,
            true,
            newest.id.0,
            state.clock.now(),
        )
        .await?;
    }
    Ok(MomentPage {
        items: moments_out(state, me, &items).await?,
        next_cursor,
    })
}

/// A user's page as I see it: their cover and the moments I may see (none when either
/// blocks the other or they hide their moments from me).
pub async fn user_page(
    state: &AppState,
    me: UserId,
    user: UserId,
    q: MomentsQuery,
) -> Result<UserMomentsOut, ApiError> {
    let limit = model::limit(q.limit)?;
    let before = model::id_cursor(q.cursor.as_deref())?;
    let profile = crate::accounts::service::public_user(state, user)
        .await
        .map_err(|_| MomentsError::NoUser)?;
    let mut lens = Lens::new(state, me);
    let relation = lens.relation(user).await?;
    if relation == Relation::Blocked {
        return Ok(UserMomentsOut {
            user: profile,
            cover: None,
            items: Vec::new(),
            next_cursor: None,
        });
    }
    let cover = settings::find(state.store.reader(), user).await?.cover;
    let (items, next_cursor) = if relation == Relation::HiddenFrom {
        (Vec::new(), None)
    } else {
        scan(state, &mut lens, &[user], before, limit).await?
    };
    Ok(UserMomentsOut {
        user: profile,
        cover,
        items: moments_out(state, me, &items).await?,
        next_cursor,
    })
}

/// The moments dots of the sync answer.
pub async fn badge(state: &AppState, me: UserId) -> Result<MomentsBadgeOut, ApiError> {
    let unread_notifications = super::inbox::unread_count(state, me).await?;
    let seen = settings::find(state.store.reader(), me).await?.feed_seen;
    let mut lens = Lens::new(state, me);
    let mut authors = feed_authors(state, &mut lens).await?;
    authors.retain(|a| *a != me);
    let rows = posts::list_by_authors(state.store.reader(), &authors, None, 20).await?;
    let mut newest = None;
    for p in rows.iter().filter(|p| p.id.0 > seen) {
        if lens.may_see(p).await? {
            newest = Some(p.author);
            break;
        }
    }
    let avatar = match newest {
        Some(u) => crate::accounts::service::public_user(state, u)
            .await
            .ok()
            .and_then(|u| u.avatar),
        None => None,
    };
    Ok(MomentsBadgeOut {
        unread_notifications,
        new_posts: newest.is_some(),
        newest_poster: newest,
        newest_poster_avatar: avatar,
    })
}

/// Moments' part of the sync answer (registered with messaging at start-up).
pub struct MomentsBadges;

#[async_trait::async_trait]
impl crate::messaging::badges::SyncBadges for MomentsBadges {
    async fn fill(
        &self,
        state: &AppState,
        me: UserId,
        out: &mut confab_proto::messaging::SyncOut,
    ) -> Result<(), ApiError> {
        out.moments = Some(badge(state, me).await?);
        Ok(())
    }
}
