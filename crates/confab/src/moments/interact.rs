//! Likes and comments. Both need the moment visible to me; what I see of them is mine and
//! my friends' (everything, on my own moment). A like is idempotent both ways (`PUT` adds,
//! `DELETE` removes) and atomic: the row's key decides, the counter follows in the same
//! transaction.

use confab_proto::ids::{MomentCommentId, MomentId, UserId};
use confab_proto::moments::{
    CommentIn, CommentOut, CommentPage, LikeOut, LikePage, LikeStateOut, MomentsQuery,
    NotificationKind,
};
use sea_orm::TransactionTrait;

use super::access::{Lens, visible_people};
use super::error::MomentsError;
use super::inbox;
use super::model::{self, Comment, MAX_COMMENT};
use super::post::visible;
use super::store::{inbox as inbox_store, interactions};
use super::views::comments_out;
use crate::error::ApiError;
use crate::infra::store::{StoreError, from_ms};
use crate::moderation::screen::{Target, screen};
use crate::state::AppState;

/// Likes a moment I may see (again: nothing changes).
pub async fn like(state: &AppState, me: UserId, id: MomentId) -> Result<LikeStateOut, ApiError> {
    let post = visible(state, me, id).await?;
    let note = (post.author != me)
        .then(|| inbox::note(state, post.author, me, NotificationKind::Like, id, None));
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let Some(added) = interactions::like(&txn, id, me, state.clock.now()).await? else {
        return Err(MomentsError::NoMoment.into());
    };
    if added && let Some(n) = &note {
        inbox_store::insert(&txn, n).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    if added && let Some(n) = &note {
        inbox::deliver(state, n).await;
    }
    Ok(LikeStateOut {
        moment_id: id,
        liked: true,
        changed: added,
    })
}

/// Takes my like back (none: nothing changes). Allowed whether or not I still see the
/// moment: it removes only my own row.
pub async fn unlike(state: &AppState, me: UserId, id: MomentId) -> Result<LikeStateOut, ApiError> {
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let removed = interactions::unlike(&txn, id, me).await?;
    if removed {
        inbox_store::delete_like(&txn, id, me).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    Ok(LikeStateOut {
        moment_id: id,
        liked: false,
        changed: removed,
    })
}

/// The likes of a moment I may see, that I may see, newest first.
pub async fn likes(
    state: &AppState,
    me: UserId,
    id: MomentId,
    q: MomentsQuery,
) -> Result<LikePage, ApiError> {
    let limit = model::limit(q.limit)?;
    let before = model::like_cursor(q.cursor.as_deref())?;
    let post = visible(state, me, id).await?;
    let people = visible_people(state, me, &post).await?;
    let rows = interactions::list_likes(state.store.reader(), id, people.as_deref(), before, limit)
        .await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| {
            rows.last()
                .map(|r| format!("{}.{}", r.created_at, r.user_id))
        })
        .flatten();
    let ids: Vec<UserId> = rows.iter().map(|r| UserId(r.user_id)).collect();
    let profiles = crate::accounts::service::public_users(state, &ids).await?;
    let items = rows
        .iter()
        .filter_map(|r| {
            profiles.get(&UserId(r.user_id)).map(|u| LikeOut {
                user: u.clone(),
                created_at: from_ms(r.created_at),
            })
        })
        .collect();
    Ok(LikePage { items, next_cursor })
}

/// Comments on a moment I may see (or answers a comment I may see on it).
pub async fn comment(
    state: &AppState,
    me: UserId,
    id: MomentId,
    input: CommentIn,
) -> Result<CommentOut, ApiError> {
    crate::moderation::mutes::check_can_send(state, me).await?;
    let text = crate::accounts::model::multiline_text("text", &input.text, MAX_COMMENT)?;
    if text.is_empty() {
        return Err(MomentsError::Invalid("text", "1 to 500 characters").into());
    }
    let screened = screen(state, "text", &text)?;
    let post = visible(state, me, id).await?;
    let reply_to_user = match input.reply_to {
        Some(r) => Some(answered(state, me, &post, r).await?),
        None => None,
    };
    let c = Comment {
        id: MomentCommentId(state.ids.next_id()),
        moment: id,
        author: me,
        reply_to: input.reply_to,
        reply_to_user,
        text: screened.text.clone(),
        hidden: false,
        created_at: state.clock.now(),
    };
    let mut notes = Vec::new();
    if post.author != me {
        notes.push(inbox::note(
            state,
            post.author,
            me,
            NotificationKind::Comment,
            id,
            Some(c.id),
        ));
    }
    if let Some(u) = reply_to_user.filter(|u| *u != me && *u != post.author) {
        notes.push(inbox::note(
            state,
            u,
            me,
            NotificationKind::Reply,
            id,
            Some(c.id),
        ));
    }
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    if !interactions::insert_comment(&txn, &c).await? {
        return Err(MomentsError::NoMoment.into());
    }
    for n in &notes {
        inbox_store::insert(&txn, n).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    screened
        .file_review(
            state,
            Target::MomentComment(c.id),
            Some(me),
            "sensitive word in a moment comment",
        )
        .await;
    for n in &notes {
        inbox::deliver(state, n).await;
    }
    comments_out(state, std::slice::from_ref(&c))
        .await?
        .pop()
        .ok_or_else(|| MomentsError::NoComment.into())
}

/// The author of the comment `r` answers: on the same moment, and one I may see.
async fn answered(
    state: &AppState,
    me: UserId,
    post: &super::model::Post,
    r: MomentCommentId,
) -> Result<UserId, ApiError> {
    let no = || ApiError::from(MomentsError::NoComment).with_field("reply_to");
    let c = interactions::find_comment(state.store.reader(), r)
        .await?
        .filter(|c| c.moment == post.id && !c.hidden)
        .ok_or_else(no)?;
    let people = visible_people(state, me, post).await?;
    if people.is_some_and(|p| !p.contains(&c.author)) {
        return Err(no());
    }
    Ok(c.author)
}

/// The comments on a moment I may see, that I may see, oldest first.
pub async fn comments(
    state: &AppState,
    me: UserId,
    id: MomentId,
    q: MomentsQuery,
) -> Result<CommentPage, ApiError> {
    let limit = model::limit(q.limit)?;
    let after = model::id_cursor(q.cursor.as_deref())?;
    let post = visible(state, me, id).await?;
    let people = visible_people(state, me, &post).await?;
    let rows =
        interactions::list_comments(state.store.reader(), id, people.as_deref(), after, limit)
            .await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|c| c.id.to_string()))
        .flatten();
    Ok(CommentPage {
        items: comments_out(state, &rows).await?,
        next_cursor,
    })
}

/// Deletes a comment: its author, or the moment's author.
pub async fn delete_comment(
    state: &AppState,
    me: UserId,
    id: MomentCommentId,
) -> Result<(), ApiError> {
    let c = interactions::find_comment(state.store.writer(), id)
        .await?
        .ok_or(MomentsError::NoComment)?;
    if c.author != me {
        let post = super::store::posts::find(state.store.reader(), c.moment)
            .await?
            .ok_or(MomentsError::NoComment)?;
        if post.author != me {
            let seen = Lens::new(state, me).may_see(&post).await?
                && visible_people(state, me, &post)
                    .await?
                    .is_none_or(|p| p.contains(&c.author));
            return Err(if seen {
                MomentsError::NotCommentAuthor
            } else {
                MomentsError::NoComment
            }
            .into());
        }
    }
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let gone = interactions::delete_comment(&txn, &c).await?;
    txn.commit().await.map_err(StoreError::from)?;
    if !gone {
        return Err(MomentsError::NoComment.into());
    }
    Ok(())
}
