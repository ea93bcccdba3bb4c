//! Posting, reading one moment, deleting. A post is checked whole before anything is
//! stored (text screened, media mine and of one kind, the list and mentions my friends),
//! then stored with its mention notifications in one transaction; events follow the
//! commit.

use std::collections::HashSet;

use confab_proto::ids::{FileId, MomentId, UserId};
use confab_proto::moments::{
    Audience, MomentDeletedData, MomentOut, MomentPostedData, NotificationKind, PostMomentIn,
    Visibility,
};
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::access::{Lens, Relation};
use super::error::MomentsError;
use super::inbox;
use super::model::{
    self, HideKind, MAX_AUDIENCE_TAGS, MAX_AUDIENCE_USERS, MAX_HIDES, MAX_IMAGES, MAX_MENTIONS,
    MAX_TEXT, Post,
};
use super::store::posts::{self, NewPost};
use super::store::settings;
use super::views::moments_out;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::StoreError;
use crate::media::model::UploadKind;
use crate::moderation::screen::{Target, screen};
use crate::state::AppState;

/// Checks the media: up to 9 distinct images of mine, or one video of mine.
async fn check_media(state: &AppState, me: UserId, media: &[FileId]) -> Result<(), ApiError> {
    if media.len() > MAX_IMAGES {
        return Err(MomentsError::Invalid("media", "at most 9 images, or one video").into());
    }
    let mut seen = std::collections::HashSet::new();
    let mut videos = 0;
    for f in media {
        if !seen.insert(*f) {
            return Err(MomentsError::Invalid("media", "each file once").into());
        }
        let u = crate::media::service::find_own(state, me, *f)
            .await?
            .ok_or(MomentsError::NotMine)?;
        match u.kind {
            UploadKind::Image => {}
            UploadKind::Video => videos += 1,
            _ => return Err(MomentsError::NotMine.into()),
        }
    }
    if videos > 0 && media.len() > 1 {
        return Err(MomentsError::Invalid("media", "at most 9 images, or one video").into());
    }
    Ok(())
}

/// Checks that every user is a friend of mine (a block suspends a friendship); distinct.
async fn friends_only(
    state: &AppState,
    me: UserId,
    users: &[UserId],
    field: &'static str,
) -> Result<Vec<UserId>, ApiError> {
    let mut out: Vec<UserId> = Vec::with_capacity(users.len());
    for u in users {
        if out.contains(u) {
            continue;
        }
        if !crate::social::service::are_friends(state, me, *u).await? {
            return Err(MomentsError::NotFriend(field).into());
        }
        out.push(*u);
    }
    Ok(out)
}

/// Checks an `only`/`except` list: friends by id, my tags (1–20 characters).
async fn check_audience(
    state: &AppState,
    me: UserId,
    visibility: Visibility,
    audience: Option<&Audience>,
) -> Result<(Vec<UserId>, Vec<String>), ApiError> {
    let listed = matches!(visibility, Visibility::Only | Visibility::Except);
    let Some(a) = audience.filter(|a| !(a.user_ids.is_empty() && a.tags.is_empty())) else {
        if listed {
            return Err(MomentsError::Invalid(
                "audience",
                "name friends or tags for `only` and `except`",
            )
            .into());
        }
        return Ok((Vec::new(), Vec::new()));
    };
    if !listed {
        return Err(MomentsError::Invalid("audience", "only with `only` or `except`").into());
    }
    if a.user_ids.len() > MAX_AUDIENCE_USERS {
        return Err(MomentsError::Invalid("audience.user_ids", "at most 200").into());
    }
    if a.tags.len() > MAX_AUDIENCE_TAGS {
        return Err(MomentsError::Invalid("audience.tags", "at most 20").into());
    }
    let users = friends_only(state, me, &a.user_ids, "audience.user_ids").await?;
    let mut tags: Vec<String> = Vec::with_capacity(a.tags.len());
    for t in &a.tags {
        let t = crate::accounts::model::display_text("audience.tags", t, 1, 20)?;
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    Ok((users, tags))
}

/// Posts a moment.
pub async fn post(
    state: &AppState,
    me: UserId,
    input: PostMomentIn,
) -> Result<MomentOut, ApiError> {
    crate::moderation::mutes::check_can_send(state, me).await?;
    let text = crate::accounts::model::multiline_text("text", &input.text, MAX_TEXT)?;
    let screened = screen(state, "text", &text)?;
    if text.is_empty() && input.media.is_empty() {
        return Err(MomentsError::Invalid("text", "a moment needs text or media").into());
    }
    check_media(state, me, &input.media).await?;
    let (audience_users, audience_tags) =
        check_audience(state, me, input.visibility, input.audience.as_ref()).await?;
    let mut location = input.location.as_ref().map(model::location).transpose()?;
    // A place name is user text others read: screened like the text (it was not, issue 19).
    if let Some(l) = location.as_mut() {
        l.name = screen(state, "location.name", &l.name)?.text;
    }
    if input.mentions.len() > MAX_MENTIONS {
        return Err(MomentsError::Invalid("mentions", "at most 20").into());
    }
    if input.mentions.contains(&me) {
        return Err(MomentsError::Invalid("mentions", "not yourself").into());
    }
    let mentions = friends_only(state, me, &input.mentions, "mentions").await?;
    let id = MomentId(state.ids.next_id());
    let now = state.clock.now();
    let new = NewPost {
        id,
        author: me,
        text: &screened.text,
        visibility: input.visibility,
        location: location.as_ref(),
        media: &input.media,
        audience_users: &audience_users,
        audience_tags: &audience_tags,
        mentions: &mentions,
        now,
    };
    let notes: Vec<_> = mentions
        .iter()
        .map(|m| inbox::note(state, *m, me, NotificationKind::Mention, id, None))
        .collect();
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    posts::insert(&txn, &new).await?;
    for n in &notes {
        super::store::inbox::insert(&txn, n).await?;
    }
    txn.commit().await.map_err(StoreError::from)?;
    screened
        .file_review(
            state,
            Target::Moment(id),
            Some(me),
            "sensitive word in a moment",
        )
        .await;
    let post = posts::find(state.store.writer(), id)
        .await?
        .ok_or(MomentsError::NoMoment)?;
    announce(state, &post).await;
    for n in &notes {
        inbox::deliver(state, n).await;
    }
    moments_out(state, me, std::slice::from_ref(&post))
        .await?
        .pop()
        .ok_or_else(|| MomentsError::NoMoment.into())
}

/// Tells my online friends who may see the new moment (`moment.posted`, the dot).
async fn announce(state: &AppState, post: &Post) {
    let event = ServerEvent::MomentPosted(MomentPostedData {
        moment_id: post.id,
        author_id: post.author,
        author_avatar: crate::accounts::service::public_user(state, post.author)
            .await
            .ok()
            .and_then(|u| u.avatar),
    });
    for friend in audience(state, post).await {
        crate::push::emit(state, Topic::User(friend), &event).await;
    }
}

/// The author's friends who may see `post` now (best-effort: empty on a store error).
async fn audience(state: &AppState, post: &Post) -> Vec<UserId> {
    match audience_of(state, post).await {
        Ok(a) => a,
        Err(e) => {
            tracing::warn!(error = %e, "moment audience not loaded; friends catch up by sync");
            Vec::new()
        }
    }
}

/// The author's friends (no block between them) minus those the author hides from, through
/// the visibility rule: two queries, then one per friend only for tag lists.
async fn audience_of(state: &AppState, post: &Post) -> Result<Vec<UserId>, ApiError> {
    let friends = crate::social::service::active_friend_ids(state, post.author).await?;
    let hidden: HashSet<UserId> =
        settings::list_hides(state.store.reader(), post.author, HideKind::From, MAX_HIDES)
            .await?
            .into_iter()
            .collect();
    let mut out = Vec::with_capacity(friends.len());
    for f in friends {
        let mut lens = Lens::new(state, f);
        let relation = if hidden.contains(&f) {
            Relation::HiddenFrom
        } else {
            Relation::Friend
        };
        lens.know(post.author, relation);
        if lens.may_see(post).await? {
            out.push(f);
        }
    }
    Ok(out)
}

/// A moment `me` may see, or `no such moment`.
pub async fn visible(state: &AppState, me: UserId, id: MomentId) -> Result<Post, ApiError> {
    let post = posts::find(state.store.reader(), id)
        .await?
        .ok_or(MomentsError::NoMoment)?;
    if !Lens::new(state, me).may_see(&post).await? {
        return Err(MomentsError::NoMoment.into());
    }
    Ok(post)
}

/// One moment, as `me` sees it.
pub async fn get(state: &AppState, me: UserId, id: MomentId) -> Result<MomentOut, ApiError> {
    let post = visible(state, me, id).await?;
    moments_out(state, me, std::slice::from_ref(&post))
        .await?
        .pop()
        .ok_or_else(|| MomentsError::NoMoment.into())
}

/// Deletes a moment with its likes, comments, mentions, notifications and media
/// references: by its author, or by a system administrator (`admin`).
pub async fn delete(
    state: &AppState,
    me: UserId,
    admin: bool,
    id: MomentId,
) -> Result<(), ApiError> {
    let post = posts::find(state.store.writer(), id)
        .await?
        .ok_or(MomentsError::NoMoment)?;
    if post.author != me && !admin {
        let seen = Lens::new(state, me).may_see(&post).await?;
        return Err(if seen {
            MomentsError::NotAuthor
        } else {
            MomentsError::NoMoment
        }
        .into());
    }
    let told = audience(state, &post).await;
    let txn = state
        .store
        .writer()
        .begin()
        .await
        .map_err(StoreError::from)?;
    let gone = posts::delete(&txn, id).await?;
    txn.commit().await.map_err(StoreError::from)?;
    if !gone {
        return Err(MomentsError::NoMoment.into());
    }
    if admin && post.author != me {
        crate::moderation::audit::audit(
            state,
            me,
            "moment.delete",
            "moment",
            id.to_string(),
            serde_json::json!({"author": post.author.to_string()}),
        )
        .await?;
    }
    let event = ServerEvent::MomentDeleted(MomentDeletedData { moment_id: id });
    for u in told.into_iter().chain([post.author]) {
        crate::push::emit(state, Topic::User(u), &event).await;
    }
    Ok(())
}

/// How many rows of the moments tables still name a moment (0 after a deletion): for
/// operators' checks and the cascade tests.
pub async fn stored_rows(state: &AppState, id: MomentId) -> Result<u64, ApiError> {
    Ok(posts::count_rows(state.store.writer(), id).await?)
}
