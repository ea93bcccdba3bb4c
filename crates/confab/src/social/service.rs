//! Social rules: friend requests (merge, mutual, caps), accepting (friendship + greeting +
//! events), friends, blocks, follows, discovery and the checks other features ask for.

use std::collections::HashMap;

use confab_proto::ErrorCode;
use confab_proto::accounts::Page;
use confab_proto::accounts::UserOut;
use confab_proto::ids::{ConversationId, FriendRequestId, UserId};
use confab_proto::messaging::MessageIn;
use confab_proto::social::{
    BlockOut, FollowOut, FriendAcceptedData, FriendOut, FriendPatch, FriendRemovedData,
    FriendRequestIn, FriendRequestOut, FriendRequestQuery, FriendRequestStatus, PageQuery,
    PrivacyOut, PrivacyPatch, Relation,
};
use confab_proto::ws::{PresenceStatus, ServerEvent};

use super::model::{self, Privacy, Request};
use super::store::{self, NewRequest};
use crate::accounts::model::Status;
use crate::config::DirectPolicy;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::moderation::screen::{Target, screen};
use crate::state::AppState;

fn no_such_user() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such user")
}

fn no_such_request() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such friend request")
}

pub(super) fn blocked() -> ApiError {
    ApiError::new(ErrorCode::Blocked, "one of you has blocked the other")
}

/// Pushes an event to one user's sockets (after the change is committed). Best-effort: the
/// store holds the truth, clients re-read lists on reconnect.
async fn push(state: &AppState, user: UserId, event: ServerEvent) {
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
        return Err(blocked());
    }
    if state.config.social.direct_policy == DirectPolicy::Friends && !friends {
        return Err(ApiError::new(
            ErrorCode::NotFriends,
            "direct messages are between friends only: send a friend request first",
        ));
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

// ---------------------------------------------------------------- profiles

async fn profile(state: &AppState, id: UserId) -> Result<UserOut, ApiError> {
    crate::accounts::service::public_user(state, id).await
}

async fn request_out(state: &AppState, r: &Request) -> Result<FriendRequestOut, ApiError> {
    let users = crate::accounts::service::public_users(state, &[r.from, r.to]).await?;
    request_out_with(r, &users).ok_or_else(no_such_request)
}

fn request_out_with(r: &Request, users: &HashMap<UserId, UserOut>) -> Option<FriendRequestOut> {
    Some(FriendRequestOut {
        id: r.id,
        from: users.get(&r.from)?.clone(),
        to: users.get(&r.to)?.clone(),
        note: r.note.clone(),
        greeting: r.greeting.clone(),
        status: r.status,
        created_at: r.created_at,
        updated_at: r.updated_at,
    })
}

/// `me`'s view of one friend.
async fn friend_out(state: &AppState, me: UserId, friend: UserId) -> Result<FriendOut, ApiError> {
    let db = state.store.reader();
    let f = store::find_friendship(db, me, friend)
        .await?
        .ok_or_else(|| ApiError::new(ErrorCode::NotFound, "no such friend"))?;
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

// ---------------------------------------------------------------- friend requests

/// What sending a friend request did.
pub enum Sent {
    /// A new pending request.
    Created(FriendRequestOut),
    /// Merged into my pending request to the same user (the newest note and greeting win).
    Merged(FriendRequestOut),
    /// They had already asked me: their request is accepted, we are friends.
    Accepted(FriendRequestOut),
}

/// Sends (or merges) a friend request; when the other side already asked me, accepts theirs.
pub async fn send_request(
    state: &AppState,
    me: UserId,
    input: FriendRequestIn,
) -> Result<Sent, ApiError> {
    let to = input.user_id;
    if to == me {
        return Err(ApiError::invalid(
            "user_id",
            "you cannot send yourself a friend request",
        ));
    }
    let note = model::note(input.note.as_deref())?;
    let greeting = model::greeting(input.greeting.as_deref())?;
    // Repeats merge, but each may notify the recipient again: bounded per sender.
    crate::ratelimit::hit(
        state,
        &format!("friend-request:{me}"),
        state.config.social.requests_per_minute,
        std::time::Duration::from_secs(60),
    )
    .await?;
    // The note is shown and the greeting stored as a message: both are screened now, so a
    // refused word is refused to the sender, not at accept time.
    let note = screen(state, "note", &note)?;
    let greeting = screen(state, "greeting", &greeting)?;
    let sent = deliver_request(state, me, to, &note.text, &greeting.text).await?;
    for text in [&note, &greeting] {
        let reason = "sensitive word in a friend request";
        text.file_review(state, Target::User(me), Some(me), reason)
            .await;
    }
    Ok(sent)
}

/// [`send_request`] once its texts are checked and screened.
async fn deliver_request(
    state: &AppState,
    me: UserId,
    to: UserId,
    note: &str,
    greeting: &str,
) -> Result<Sent, ApiError> {
    let target = crate::accounts::service::get_user(state, to).await?;
    if target.status != Status::Active {
        return Err(no_such_user());
    }
    let db = state.store.reader();
    if store::blocked_either_way(db, me, to).await? {
        return Err(blocked());
    }
    if store::find_friendship(db, me, to).await?.is_some() {
        return Err(ApiError::new(
            ErrorCode::AlreadyFriends,
            "you are already friends",
        ));
    }
    let now = state.clock.now();
    if let Some(theirs) = store::find_pending(db, to, me).await? {
        // Mutual: accept theirs; my greeting (if any) follows theirs in the chat.
        let r = accept_pending(state, me, theirs).await?;
        if !greeting.is_empty() {
            let conv = direct_of(state, r.to, r.from).await?;
            greet(
                state,
                me,
                conv,
                greeting,
                &format!("friend-request-{}-reply", r.id),
            )
            .await?;
        }
        return Ok(Sent::Accepted(request_out(state, &r).await?));
    }
    if let Some(mine) = store::find_pending(db, me, to).await? {
        return merge(state, mine, note, greeting).await;
    }
    let pending = store::count_pending_from(db, me).await?;
    if pending >= u64::from(state.config.social.max_pending_requests) {
        return Err(ApiError::new(
            ErrorCode::FriendRequestLimit,
            format!(
                "you have {pending} pending friend requests, the most allowed; cancel some or wait for answers"
            ),
        ));
    }
    let id = FriendRequestId(state.ids.next_id());
    let created = store::create_request(
        state.store.writer(),
        NewRequest {
            id,
            from: me,
            to,
            note,
            greeting,
            now,
        },
    )
    .await?;
    if !created {
        // A concurrent request of mine made it first: merge into it.
        let mine = store::find_pending(state.store.writer(), me, to)
            .await?
            .ok_or_else(no_such_request)?;
        return merge(state, mine, note, greeting).await;
    }
    let r = store::find_request(state.store.writer(), id)
        .await?
        .ok_or_else(no_such_request)?;
    let out = request_out(state, &r).await?;
    push(state, to, ServerEvent::FriendRequest(Box::new(out.clone()))).await;
    Ok(Sent::Created(out))
}

async fn merge(
    state: &AppState,
    mine: Request,
    note: &str,
    greeting: &str,
) -> Result<Sent, ApiError> {
    let changed = mine.note != note || mine.greeting != greeting;
    if changed {
        store::merge_request(
            state.store.writer(),
            mine.id,
            note,
            greeting,
            state.clock.now(),
        )
        .await?;
    }
    let r = store::find_request(state.store.writer(), mine.id)
        .await?
        .ok_or_else(no_such_request)?;
    let out = request_out(state, &r).await?;
    // Told again only when there is something new to read.
    if changed && r.status == FriendRequestStatus::Pending {
        push(
            state,
            r.to,
            ServerEvent::FriendRequest(Box::new(out.clone())),
        )
        .await;
    }
    Ok(Sent::Merged(out))
}

/// My pending requests, incoming or outgoing, newest first, with both profiles.
pub async fn list_requests(
    state: &AppState,
    me: UserId,
    q: FriendRequestQuery,
) -> Result<Page<FriendRequestOut>, ApiError> {
    let limit = model::limit(q.limit)?;
    let before = model::cursor(q.cursor.as_deref())?;
    let rows = store::list_pending(
        state.store.reader(),
        me,
        q.direction.unwrap_or_default(),
        before,
        limit,
    )
    .await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    let mut ids: Vec<UserId> = rows.iter().flat_map(|r| [r.from, r.to]).collect();
    ids.sort_unstable();
    ids.dedup();
    let users = crate::accounts::service::public_users(state, &ids).await?;
    Ok(Page {
        items: rows
            .iter()
            .filter_map(|r| request_out_with(r, &users))
            .collect(),
        next_cursor,
    })
}

/// Accepts a request sent to me: we become friends, the greeting opens our chat, and both
/// of us get `friend.accepted`. Accepting an accepted request again answers the same.
pub async fn accept(
    state: &AppState,
    me: UserId,
    id: FriendRequestId,
) -> Result<FriendOut, ApiError> {
    let r = store::find_request(state.store.writer(), id)
        .await?
        .filter(|r| r.to == me)
        .ok_or_else(no_such_request)?;
    let r = match r.status {
        FriendRequestStatus::Pending => accept_pending(state, me, r).await?,
        // A retry (the answer was lost): make sure the greeting is there, answer the same.
        FriendRequestStatus::Accepted
            if store::find_friendship(state.store.reader(), me, r.from)
                .await?
                .is_some() =>
        {
            let conv = direct_of(state, r.to, r.from).await?;
            if !r.greeting.is_empty() {
                greet(state, r.from, conv, &r.greeting, &greeting_id(r.id)).await?;
            }
            r
        }
        _ => {
            return Err(ApiError::new(
                ErrorCode::RequestNotPending,
                "this friend request is no longer pending",
            ));
        }
    };
    friend_out(state, me, r.from).await
}

fn greeting_id(id: FriendRequestId) -> String {
    format!("friend-request-{id}")
}

/// The direct chat of two users, opened as `me` (the policy holds: they are friends now).
async fn direct_of(state: &AppState, me: UserId, peer: UserId) -> Result<ConversationId, ApiError> {
    Ok(crate::messaging::service::open_direct(state, me, peer)
        .await?
        .id)
}

/// Stores a greeting as `from`'s text message through the normal send path (the writer:
/// seq, unread, `message.new`), idempotent by its client id.
async fn greet(
    state: &AppState,
    from: UserId,
    conv: ConversationId,
    text: &str,
    client_msg_id: &str,
) -> Result<(), ApiError> {
    let input = MessageIn {
        client_msg_id: client_msg_id.to_owned(),
        kind: "text".into(),
        body: serde_json::json!({ "text": text }),
        reply_to: None,
        mentions: None,
    };
    crate::messaging::service::send_as(state, from, conv, input, false).await?;
    Ok(())
}

/// Accepts a pending request addressed to `me`; returns it as accepted.
async fn accept_pending(state: &AppState, me: UserId, r: Request) -> Result<Request, ApiError> {
    let db = state.store.reader();
    if store::blocked_either_way(db, r.from, r.to).await? {
        return Err(blocked());
    }
    let max = u64::from(state.config.social.max_friends);
    for side in [r.from, r.to] {
        if store::count_friends(db, side).await? >= max {
            return Err(ApiError::new(
                ErrorCode::FriendLimit,
                format!(
                    "{} already has the most friends allowed ({max})",
                    if side == me { "you" } else { "the other user" }
                ),
            ));
        }
    }
    let now = state.clock.now();
    if !store::accept_request(state.store.writer(), r.id, r.from, r.to, now).await? {
        // A concurrent accept (another device, a retry) won: answer as it does.
        return match store::find_request(state.store.writer(), r.id).await? {
            Some(now) if now.status == FriendRequestStatus::Accepted => Ok(now),
            _ => Err(ApiError::new(
                ErrorCode::RequestNotPending,
                "this friend request is no longer pending",
            )),
        };
    }
    // Friends now: before the greeting goes through the send path's checks.
    crate::rulecache::changed(state).await;
    let conv = direct_of(state, r.to, r.from).await?;
    if !r.greeting.is_empty() {
        greet(state, r.from, conv, &r.greeting, &greeting_id(r.id)).await?;
    }
    let users = crate::accounts::service::public_users(state, &[r.from, r.to]).await?;
    for (who, other) in [(r.from, r.to), (r.to, r.from)] {
        if let Some(friend) = users.get(&other) {
            push(
                state,
                who,
                ServerEvent::FriendAccepted(Box::new(FriendAcceptedData {
                    request_id: r.id,
                    friend: friend.clone(),
                    conversation_id: conv,
                })),
            )
            .await;
        }
    }
    // Friends see each other's presence from now on: each is told the other's current one.
    super::presence::tell(state, r.from, r.to).await;
    super::presence::tell(state, r.to, r.from).await;
    store::find_request(state.store.writer(), r.id)
        .await?
        .ok_or_else(no_such_request)
}

/// Declines a request sent to me (the sender is not told; their request just ends).
pub async fn decline(state: &AppState, me: UserId, id: FriendRequestId) -> Result<(), ApiError> {
    close(state, id, |r| r.to == me, FriendRequestStatus::Declined).await
}

/// Cancels a request I sent.
pub async fn cancel(state: &AppState, me: UserId, id: FriendRequestId) -> Result<(), ApiError> {
    close(state, id, |r| r.from == me, FriendRequestStatus::Cancelled).await
}

async fn close(
    state: &AppState,
    id: FriendRequestId,
    mine: impl Fn(&Request) -> bool,
    to: FriendRequestStatus,
) -> Result<(), ApiError> {
    let r = store::find_request(state.store.writer(), id)
        .await?
        .filter(|r| mine(r))
        .ok_or_else(no_such_request)?;
    if r.status == to {
        return Ok(());
    }
    if r.status != FriendRequestStatus::Pending
        || !store::close_request(state.store.writer(), id, to, state.clock.now()).await?
    {
        return Err(ApiError::new(
            ErrorCode::RequestNotPending,
            "this friend request is no longer pending",
        ));
    }
    Ok(())
}

// ---------------------------------------------------------------- friends

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
        return Err(ApiError::new(ErrorCode::NotFound, "no such friend"));
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
        return Err(ApiError::new(ErrorCode::NotFound, "no such friend"));
    }
    crate::rulecache::changed(state).await;
    if clear_chat {
        if let Some(conv) = crate::messaging::service::find_direct(state, me, friend).await? {
            crate::messaging::service::clear(state, me, conv).await?;
        }
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

// ---------------------------------------------------------------- blocks

async fn existing_user(state: &AppState, me: UserId, other: UserId) -> Result<(), ApiError> {
    if other == me {
        return Err(ApiError::invalid("user_id", "that is you"));
    }
    crate::accounts::service::get_user(state, other).await?;
    Ok(())
}

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
        return Err(ApiError::invalid("user_id", "that is you"));
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

// ---------------------------------------------------------------- follows

/// Follows a user (idempotent). Not across a block.
pub async fn follow(state: &AppState, me: UserId, other: UserId) -> Result<(), ApiError> {
    existing_user(state, me, other).await?;
    if is_blocked_either_way(state, me, other).await? {
        return Err(blocked());
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
        return Err(ApiError::invalid("user_id", "that is you"));
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
        return Err(no_such_user());
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
