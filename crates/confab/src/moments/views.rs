//! The wire forms of moments, comments and likes for one viewer: profiles, files and the
//! viewer's likes loaded in batches, not once per moment.

use std::collections::{HashMap, HashSet};

use confab_proto::ids::{FileId, UserId};
use confab_proto::moments::{Audience, CommentOut, MomentOut};

use super::model::{Comment, Post};
use super::store::interactions;
use crate::error::ApiError;
use crate::state::AppState;

/// `posts` as `viewer` sees them (the caller decided they may); posts whose author's
/// account is gone are left out.
pub async fn moments_out(
    state: &AppState,
    viewer: UserId,
    posts: &[Post],
) -> Result<Vec<MomentOut>, ApiError> {
    if posts.is_empty() {
        return Ok(Vec::new());
    }
    let mut authors: Vec<UserId> = posts.iter().map(|p| p.author).collect();
    authors.sort_unstable();
    authors.dedup();
    let profiles = crate::accounts::service::public_users(state, &authors).await?;
    let files: Vec<FileId> = posts.iter().flat_map(|p| p.media.iter().copied()).collect();
    let files = crate::media::service::files_out(state, &files).await?;
    let ids: Vec<_> = posts.iter().map(|p| p.id).collect();
    let liked = interactions::liked_among(state.store.reader(), viewer, &ids).await?;
    let needs_friends = posts
        .iter()
        .any(|p| p.author != viewer && !p.mentions.is_empty());
    let friends: HashSet<UserId> = if needs_friends {
        crate::social::service::active_friend_ids(state, viewer)
            .await?
            .into_iter()
            .collect()
    } else {
        HashSet::new()
    };
    let mut out = Vec::with_capacity(posts.len());
    for p in posts {
        let Some(author) = profiles.get(&p.author) else {
            continue;
        };
        let mine = p.author == viewer;
        out.push(MomentOut {
            id: p.id,
            author: author.clone(),
            text: p.text.clone(),
            media: p
                .media
                .iter()
                .filter_map(|f| files.get(f).cloned())
                .collect(),
            visibility: p.visibility,
            audience: (mine && !(p.audience_users.is_empty() && p.audience_tags.is_empty())).then(
                || Audience {
                    user_ids: p.audience_users.clone(),
                    tags: p.audience_tags.clone(),
                },
            ),
            location: p.location.clone(),
            mentions: p
                .mentions
                .iter()
                .copied()
                .filter(|m| mine || *m == viewer || friends.contains(m))
                .collect(),
            liked_by_me: liked.contains(&p.id),
            like_count: mine.then(|| u64::try_from(p.like_count).unwrap_or(0)),
            comment_count: mine.then(|| u64::try_from(p.comment_count).unwrap_or(0)),
            hidden: p.hidden,
            created_at: p.created_at,
        });
    }
    Ok(out)
}

/// Comments on the wire (authors whose account is gone are left out).
pub async fn comments_out(
    state: &AppState,
    comments: &[Comment],
) -> Result<Vec<CommentOut>, ApiError> {
    let mut authors: Vec<UserId> = comments.iter().map(|c| c.author).collect();
    authors.sort_unstable();
    authors.dedup();
    let profiles: HashMap<UserId, _> =
        crate::accounts::service::public_users(state, &authors).await?;
    Ok(comments
        .iter()
        .filter_map(|c| {
            profiles.get(&c.author).map(|a| CommentOut {
                id: c.id,
                moment_id: c.moment,
                author: a.clone(),
                text: c.text.clone(),
                reply_to: c.reply_to,
                reply_to_user: c.reply_to_user,
                created_at: c.created_at,
            })
        })
        .collect())
}
