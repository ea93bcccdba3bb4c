//! The notification inbox: likes, comments, replies and mentions addressed to me, the
//! `moment.*` events that announce them, and the unread count for the sync dots.
//!
//! Rows are written with the act they report (same transaction); what I may see of them
//! is decided when I read: the moment must still be visible to me, the actor not blocked
//! either way, and a comment still there. An unlike or a deleted comment removes its row.

use std::collections::HashMap;

use confab_proto::ids::{MomentCommentId, MomentId, UserId};
use confab_proto::moments::{MomentsQuery, NotificationKind, NotificationOut, NotificationPage};
use confab_proto::ws::ServerEvent;

use super::access::{Lens, Relation};
use super::model::{self, Notification, Post};
use super::store::{inbox, interactions, posts, settings};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::state::AppState;

/// How many unread rows the unread count looks at (the dot shows "99+" long before).
const UNREAD_SCAN: u64 = 1_000;

/// A new notification (not stored yet).
pub fn note(
    state: &AppState,
    to: UserId,
    actor: UserId,
    kind: NotificationKind,
    moment: MomentId,
    comment: Option<MomentCommentId>,
) -> Notification {
    Notification {
        id: confab_proto::ids::MomentNotificationId(state.ids.next_id()),
        user: to,
        actor,
        kind,
        moment,
        comment,
        created_at: state.clock.now(),
    }
}

/// The notifications of `rows` that their recipient (`me`) may see, on the wire.
async fn visible_out(
    state: &AppState,
    me: UserId,
    rows: &[Notification],
    read_up_to: i64,
) -> Result<Vec<NotificationOut>, ApiError> {
    let mut ids: Vec<MomentId> = rows.iter().map(|n| n.moment).collect();
    ids.sort_unstable();
    ids.dedup();
    let found = posts::find_many(state.store.reader(), &ids).await?;
    let by_id: HashMap<MomentId, Post> = found.into_iter().map(|p| (p.id, p)).collect();
    let mut actors: Vec<UserId> = rows.iter().map(|n| n.actor).collect();
    actors.sort_unstable();
    actors.dedup();
    let profiles = crate::accounts::service::public_users(state, &actors).await?;
    // The comments the rows name, in one query (the sync answer counts up to a thousand rows).
    let mut comment_ids: Vec<MomentCommentId> = rows.iter().filter_map(|n| n.comment).collect();
    comment_ids.sort_unstable();
    comment_ids.dedup();
    let comments: HashMap<MomentCommentId, String> =
        interactions::find_comments(state.store.reader(), &comment_ids)
            .await?
            .into_iter()
            .filter(|c| !c.hidden)
            .map(|c| (c.id, c.text))
            .collect();
    let mut lens = Lens::new(state, me);
    let mut out = Vec::with_capacity(rows.len());
    for n in rows {
        let (Some(post), Some(actor)) = (by_id.get(&n.moment), profiles.get(&n.actor)) else {
            continue;
        };
        if !lens.may_see(post).await? || lens.relation(n.actor).await? == Relation::Blocked {
            continue;
        }
        // A notification about a comment that is gone or hidden is not shown.
        let comment_text = match n.comment {
            Some(c) => match comments.get(&c) {
                Some(text) => Some(text.clone()),
                None => continue,
            },
            None => None,
        };
        out.push(NotificationOut {
            id: n.id,
            kind: n.kind,
            actor: actor.clone(),
            moment_id: n.moment,
            thumbnail: post.media.first().copied(),
            excerpt: model::excerpt(&post.text, 60),
            comment_id: n.comment,
            comment_text,
            unread: n.id.0 > read_up_to,
            created_at: n.created_at,
        });
    }
    Ok(out)
}

/// Pushes a stored notification to its recipient's sockets, if they may see it.
pub async fn deliver(state: &AppState, n: &Notification) {
    let read = match settings::find(state.store.reader(), n.user).await {
        Ok(s) => s.notifications_read,
        Err(_) => 0,
    };
    let out = match visible_out(state, n.user, std::slice::from_ref(n), read).await {
        Ok(mut v) => v.pop(),
        Err(e) => {
            tracing::warn!(error = %e, "moment notification not pushed; the inbox has it");
            None
        }
    };
    let Some(out) = out else {
        return;
    };
    let event = match n.kind {
        NotificationKind::Like => ServerEvent::MomentLiked(Box::new(out)),
        NotificationKind::Comment | NotificationKind::Reply => {
            ServerEvent::MomentCommented(Box::new(out))
        }
        NotificationKind::Mention => ServerEvent::MomentMentioned(Box::new(out)),
    };
    crate::push::emit(state, Topic::User(n.user), &event).await;
}

/// My inbox, newest first. A page may hold fewer than `limit` entries (rows I may no
/// longer see are left out); follow `next_cursor` until it is absent.
pub async fn list(
    state: &AppState,
    me: UserId,
    q: MomentsQuery,
) -> Result<NotificationPage, ApiError> {
    let limit = model::limit(q.limit)?;
    let before = model::id_cursor(q.cursor.as_deref())?;
    let rows = inbox::list(state.store.reader(), me, before, None, limit).await?;
    let read = settings::find(state.store.reader(), me)
        .await?
        .notifications_read;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|n| n.id.to_string()))
        .flatten();
    Ok(NotificationPage {
        items: visible_out(state, me, &rows, read).await?,
        next_cursor,
    })
}

/// Marks every notification I have read.
pub async fn mark_read(state: &AppState, me: UserId) -> Result<(), ApiError> {
    let newest = inbox::newest_id(state.store.writer(), me).await?;
    settings::advance(state.store.writer(), me, false, newest, state.clock.now()).await?;
    Ok(())
}

/// How many unread notifications I may see.
pub async fn unread_count(state: &AppState, me: UserId) -> Result<u64, ApiError> {
    let read = settings::find(state.store.reader(), me)
        .await?
        .notifications_read;
    let rows = inbox::list(state.store.reader(), me, None, Some(read), UNREAD_SCAN).await?;
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(visible_out(state, me, &rows, read).await?.len() as u64)
}
