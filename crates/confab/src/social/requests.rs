//! Friend requests: send (merge, mutual, caps), list, accept (friendship + greeting +
//! events), decline and cancel.

use std::collections::HashMap;

use confab_proto::accounts::Page;
use confab_proto::accounts::UserOut;
use confab_proto::ids::{ConversationId, FriendRequestId, UserId};
use confab_proto::messaging::MessageIn;
use confab_proto::social::{
    FriendAcceptedData, FriendOut, FriendRequestIn, FriendRequestOut, FriendRequestQuery,
    FriendRequestStatus,
};
use confab_proto::ws::ServerEvent;

use super::error::SocialError;
use super::friends::friend_out;
use super::model::{self, Request};
use super::service::push;
use super::store::{self, NewRequest};
use crate::accounts::model::Status;
use crate::error::ApiError;
use crate::moderation::screen::{Target, screen};
use crate::state::AppState;

async fn request_out(state: &AppState, r: &Request) -> Result<FriendRequestOut, ApiError> {
    let users = crate::accounts::service::public_users(state, &[r.from, r.to]).await?;
    Ok(request_out_with(r, &users).ok_or(SocialError::NoRequest)?)
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
        return Err(SocialError::RequestToSelf.into());
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
        return Err(SocialError::NoUser.into());
    }
    let db = state.store.reader();
    if store::blocked_either_way(db, me, to).await? {
        return Err(SocialError::Blocked.into());
    }
    if store::find_friendship(db, me, to).await?.is_some() {
        return Err(SocialError::AlreadyFriends.into());
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
        return Err(SocialError::RequestLimit { pending }.into());
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
            .ok_or(SocialError::NoRequest)?;
        return merge(state, mine, note, greeting).await;
    }
    let r = store::find_request(state.store.writer(), id)
        .await?
        .ok_or(SocialError::NoRequest)?;
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
        .ok_or(SocialError::NoRequest)?;
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
        .ok_or(SocialError::NoRequest)?;
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
            return Err(SocialError::RequestNotPending.into());
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
        return Err(SocialError::Blocked.into());
    }
    let max = u64::from(state.config.social.max_friends);
    for side in [r.from, r.to] {
        if store::count_friends(db, side).await? >= max {
            return Err(SocialError::FriendLimit {
                who: if side == me { "you" } else { "the other user" },
                max,
            }
            .into());
        }
    }
    let now = state.clock.now();
    if !store::accept_request(state.store.writer(), r.id, r.from, r.to, now).await? {
        // A concurrent accept (another device, a retry) won: answer as it does.
        return match store::find_request(state.store.writer(), r.id).await? {
            Some(now) if now.status == FriendRequestStatus::Accepted => Ok(now),
            _ => Err(SocialError::RequestNotPending.into()),
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
    Ok(store::find_request(state.store.writer(), r.id)
        .await?
        .ok_or(SocialError::NoRequest)?)
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
        .ok_or(SocialError::NoRequest)?;
    if r.status == to {
        return Ok(());
    }
    if r.status != FriendRequestStatus::Pending
        || !store::close_request(state.store.writer(), id, to, state.clock.now()).await?
    {
        return Err(SocialError::RequestNotPending.into());
    }
    Ok(())
}
