//! Messaging rules: conversations and membership, opening direct chats, history, sync,
//! marks, flags and typing. The send path is [`send`]; what members see is [`views`].

mod missed;
mod send;
mod views;

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::{
    ConversationOut, ConversationPatch, HistoryOut, HistoryQuery, MarksOut, SyncOut, SyncQuery,
};
use confab_proto::ws::{ServerEvent, TypingData};

use super::error::MessagingError;
use super::model::ConversationKind;
use super::rules::{self, Peer, Place, runtime};
use super::store::{self, Conversation, Member, Message};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::state::AppState;

pub use super::store::Mark;
pub use missed::{
    DEFAULT_INLINE_PER_CONVERSATION, MAX_INLINE_BODY_BYTES, MAX_INLINE_PER_CONVERSATION,
    MAX_INLINE_TOTAL,
};
pub use send::{PendingSend, check_may_post, send, send_as, spawn_publisher, submit_as};
pub(super) use send::{report_for_review, screen_body};
use views::sort_for_list;
pub use views::{conversation_out, conversations_out, message_out, unread};

/// How far a sync cursor reaches back: a message whose transaction committed up to this
/// long after it was stamped is still picked up by the next sync.
const SYNC_OVERLAP_MS: i64 = 10_000;

/// The largest page of history.
pub const MAX_HISTORY_PAGE: u32 = 100;

/// The conversation and my row in it; 404 if I never was a member. A `channel` is open to
/// every user: my row there is made on first touch (read, send, open), seeing the whole
/// history with nothing unread from before (docs/decisions/0011-channel-membership.md).
pub async fn membership(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<(Conversation, Member), ApiError> {
    let db = state.store.reader();
    if let Some(found) = store::find_membership(db, conv, me).await? {
        return Ok(found);
    }
    let c = store::find_conversation(db, conv)
        .await?
        .ok_or(MessagingError::NoSuchConversation)?;
    let member = match c.kind {
        ConversationKind::Channel => {
            store::join_open_conversation(
                state.store.writer(),
                conv,
                me,
                c.last_seq,
                state.clock.now(),
            )
            .await?
        }
        _ => return Err(MessagingError::NoSuchConversation.into()),
    };
    Ok((c, member))
}

/// Where a conversation's events go: a channel's to every socket (one publish, encoded
/// once, whoever reads it), any other's to its members' sockets.
pub fn topic_of(c: &Conversation) -> Topic {
    if c.kind == ConversationKind::Channel {
        Topic::Everyone
    } else {
        Topic::Conversation(c.id)
    }
}

/// Opens (or finds) my direct chat with `peer`.
pub async fn open_direct(
    state: &AppState,
    me: UserId,
    peer: UserId,
) -> Result<ConversationOut, ApiError> {
    let other = crate::accounts::service::get_user(state, peer).await?;
    if other.status != crate::accounts::model::Status::Active {
        return Err(MessagingError::NoSuchUser.into());
    }
    if peer != me {
        rules::of(state, ConversationKind::Direct)
            .check_open(state, me, peer)
            .await?;
    }
    let fresh = ConversationId(state.ids.next_id());
    let id = store::create_or_find_direct(state.store.writer(), fresh, me, peer, state.clock.now())
        .await?;
    if id == fresh {
        members_changed(state, id, vec![me, peer], Vec::new()).await;
    }
    let (c, m) = membership(state, me, id).await?;
    conversation_out(state, &c, &m).await
}

/// Pushes an event to every socket `topic` addresses (after the change is committed).
/// Best-effort: a failure is logged, never returned; the store already holds the truth.
pub(super) async fn push(state: &AppState, topic: Topic, event: ServerEvent) {
    crate::push::emit(state, topic, &event).await;
}

/// Where `me` acts in `c`: the place the kind's rules are asked about, with a direct chat's
/// peer (cached: a direct chat's members never change).
pub(super) async fn place(
    state: &AppState,
    c: &Conversation,
    me: UserId,
) -> Result<Place, ApiError> {
    let peer = if c.kind == ConversationKind::Direct {
        let conv = c.id;
        runtime(state)
            .peers
            .get(&state.rules, (conv, me), async || {
                let members = store::list_members(state.store.reader(), conv, true).await?;
                let other = members.iter().map(|m| m.user_id).find(|u| *u != me);
                Ok::<_, ApiError>(Some(Peer(other)))
            })
            .await?
            .and_then(|p| p.0)
    } else {
        None
    };
    Ok(Place {
        conv: c.id,
        kind: c.kind,
        me,
        peer,
    })
}

/// "I am typing": pushed to the conversation's members, never stored. At most one event per
/// user and conversation every 2 s is pushed (the rest are accepted and dropped).
pub async fn typing(state: &AppState, me: UserId, conv: ConversationId) -> Result<(), ApiError> {
    let (c, m) = membership(state, me, conv).await?;
    if !m.active() {
        return Err(MessagingError::NotMember.into());
    }
    let at = place(state, &c, me).await?;
    rules::of(state, c.kind).check_typing(state, &at).await?;
    let key = format!("typing:{conv}:{me}");
    if state
        .cache
        .set_nx(&key, b"1", std::time::Duration::from_secs(2))
        .await?
    {
        push(
            state,
            Topic::Conversation(conv),
            ServerEvent::Typing(TypingData {
                conversation_id: conv,
                user_id: Some(me),
            }),
        )
        .await;
    }
    Ok(())
}

/// Tells every node that a conversation's members changed (fan-out index).
pub async fn members_changed(
    state: &AppState,
    conv: ConversationId,
    added: Vec<UserId>,
    removed: Vec<UserId>,
) {
    crate::push::control::publish(
        state,
        crate::push::Control::MembersChanged {
            conversation_id: conv,
            added,
            removed,
        },
    )
    .await;
}

/// A page of history inside my window.
pub async fn history(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    q: HistoryQuery,
) -> Result<HistoryOut, ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=MAX_HISTORY_PAGE).contains(&limit) {
        return Err(MessagingError::BadHistoryLimit.into());
    }
    let (c, m) = membership(state, me, conv).await?;
    let floor = m.floor();
    let ceiling = m.ceiling(c.last_seq);
    let db = state.store.reader();
    let (messages, has_more) = match (q.after_seq, q.before_seq) {
        (Some(after), before) => {
            let lo = after.max(floor);
            let hi = before.map_or(ceiling, |b| (b - 1).min(ceiling));
            let msgs = store::list_messages(db, conv, lo, hi, true, u64::from(limit)).await?;
            let more = msgs.last().is_some_and(|l| l.seq < hi);
            (msgs, more)
        }
        (None, before) => {
            let hi = before.map_or(ceiling, |b| (b - 1).min(ceiling));
            let msgs = store::list_messages(db, conv, floor, hi, false, u64::from(limit)).await?;
            let more = msgs.first().is_some_and(|f| f.seq > floor + 1);
            (msgs, more)
        }
    };
    Ok(HistoryOut {
        messages: messages.iter().map(message_out).collect(),
        has_more,
    })
}

/// A sync cursor: the store time (ms) a previous sync handed out; none for a first sync.
/// (`pub(crate)` for the fuzz targets, `crate::fuzz`.)
pub(crate) fn parse_cursor(cursor: Option<&str>) -> Result<Option<DateTime<Utc>>, MessagingError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .map(Some)
            .ok_or(MessagingError::BadSyncCursor),
    }
}

/// The cursor a sync at `now` hands out: a little before `now`, so a change committed
/// while the sync ran is seen again by the next one.
pub(crate) fn sync_cursor(now: DateTime<Utc>) -> String {
    (now.timestamp_millis() - SYNC_OVERLAP_MS).to_string()
}

/// Checks a sync request: its cursor and its inline bound (`messages`, default
/// [`DEFAULT_INLINE_PER_CONVERSATION`] with a cursor, none without one).
pub fn check_sync(q: &SyncQuery) -> Result<(Option<DateTime<Utc>>, u32), ApiError> {
    let since = parse_cursor(q.cursor.as_deref())?;
    let per_conversation = match q.messages {
        Some(n) if n > MAX_INLINE_PER_CONVERSATION => {
            return Err(MessagingError::BadSyncMessages.into());
        }
        Some(n) => n,
        None if since.is_some() => DEFAULT_INLINE_PER_CONVERSATION,
        None => 0,
    };
    Ok((since, per_conversation))
}

/// Conversations changed since the cursor, with unread counts and last messages, and (with a
/// cursor) the messages stored since it inline, bounded ([`missed`]).
pub async fn sync(state: &AppState, me: UserId, q: &SyncQuery) -> Result<SyncOut, ApiError> {
    let (since, per_conversation) = check_sync(q)?;
    let now = state.clock.now();
    let db = state.store.reader();
    let all = store::list_memberships(db, me, since).await?;
    let total_unread = all.iter().map(|(c, m, _)| unread(m, c.last_seq)).sum();
    let changed: Vec<(Conversation, Member)> = all
        .into_iter()
        .filter(|(_, _, changed)| *changed)
        .map(|(c, m, _)| (c, m))
        .collect();
    let mut conversations = conversations_out(state, &changed).await?;
    sort_for_list(&mut conversations);
    if per_conversation > 0 {
        // Without a cursor there is no "since": everything up to the bound is new.
        let since = since.unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
        missed::fill(state, &changed, &mut conversations, since, per_conversation).await?;
    }
    let mut out = SyncOut {
        conversations,
        total_unread,
        cursor: sync_cursor(now),
        moments: None,
    };
    super::badges::fill(state, me, &mut out).await?;
    Ok(out)
}

/// My conversation list (hidden ones left out).
pub async fn list(state: &AppState, me: UserId) -> Result<Vec<ConversationOut>, ApiError> {
    let shown: Vec<(Conversation, Member)> =
        store::list_memberships(state.store.reader(), me, None)
            .await?
            .into_iter()
            .filter(|(_, m, _)| !m.hidden)
            .map(|(c, m, _)| (c, m))
            .collect();
    let mut out = conversations_out(state, &shown).await?;
    sort_for_list(&mut out);
    Ok(out)
}

/// One conversation as I see it.
pub async fn get(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<ConversationOut, ApiError> {
    let (c, m) = membership(state, me, conv).await?;
    conversation_out(state, &c, &m).await
}

/// Sets my flags on a conversation.
pub async fn patch(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    p: ConversationPatch,
) -> Result<ConversationOut, ApiError> {
    membership(state, me, conv).await?;
    store::set_flags(
        state.store.writer(),
        conv,
        me,
        p.pinned,
        p.muted,
        p.hidden,
        state.clock.now(),
    )
    .await?;
    get(state, me, conv).await
}

/// Clears my history of a conversation (for me only).
pub async fn clear(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<ConversationOut, ApiError> {
    let (c, m) = membership(state, me, conv).await?;
    store::clear_history(
        state.store.writer(),
        conv,
        me,
        m.ceiling(c.last_seq),
        state.clock.now(),
    )
    .await?;
    get(state, me, conv).await
}

/// Moves my read or recv mark forward (capped at what I may see) and tells my other devices
/// and, in a direct chat, the peer.
pub async fn mark(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    mark: Mark,
    seq: i64,
) -> Result<MarksOut, ApiError> {
    if seq < 0 {
        return Err(MessagingError::NegativeMarkSeq.into());
    }
    let (c, m) = membership(state, me, conv).await?;
    let seq = seq.min(m.ceiling(c.last_seq));
    store::advance_mark(state.store.writer(), conv, me, mark, seq, state.clock.now()).await?;
    let after = store::find_member(state.store.writer(), conv, me)
        .await?
        .ok_or(MessagingError::NoSuchConversation)?;
    let out = MarksOut {
        conversation_id: conv,
        user_id: me,
        read_seq: after.read_seq,
        recv_seq: after.recv_seq,
    };
    let moved = match mark {
        Mark::Read => after.read_seq > m.read_seq,
        Mark::Recv => after.recv_seq > m.recv_seq,
    };
    if moved {
        push(state, Topic::User(me), ServerEvent::Receipt(out.clone())).await;
        if c.kind == ConversationKind::Direct {
            for other in store::list_members(state.store.reader(), conv, false).await? {
                if other.user_id != me {
                    push(
                        state,
                        Topic::User(other.user_id),
                        ServerEvent::Receipt(out.clone()),
                    )
                    .await;
                }
            }
        }
    }
    Ok(out)
}

/// The conversations a user is an active member of (the gateway's fan-out index).
pub async fn active_conversation_ids(
    state: &AppState,
    user: UserId,
) -> Result<Vec<ConversationId>, ApiError> {
    Ok(store::active_conversation_ids(state.store.reader(), user).await?)
}

/// A stored message by its global id, whoever asks (operators' tools). The id's own
/// timestamp narrows the search to the minute around it.
pub async fn find_message_by_id(
    state: &AppState,
    id: confab_proto::ids::MessageId,
) -> Result<Option<Message>, ApiError> {
    let Some(made) = crate::infra::ids::timestamp_of(id.0) else {
        return Ok(None);
    };
    let margin = chrono::Duration::seconds(60);
    Ok(store::find_message_by_id(state.store.reader(), id.0, made - margin, made + margin).await?)
}

/// A stored message, whoever asks (callers check visibility: [`membership`]).
pub async fn find_message(
    state: &AppState,
    conv: ConversationId,
    seq: i64,
) -> Result<Option<Message>, ApiError> {
    Ok(store::find_message(state.store.reader(), conv, seq).await?)
}

/// The direct chat of `a` and `b`, if they have one.
pub async fn find_direct(
    state: &AppState,
    a: UserId,
    b: UserId,
) -> Result<Option<ConversationId>, ApiError> {
    Ok(store::find_direct(state.store.reader(), &store::direct_key(a, b)).await?)
}

/// Messages stored at or after `since` (the admin stats).
pub async fn count_since(state: &AppState, since: DateTime<Utc>) -> Result<u64, ApiError> {
    Ok(store::count_messages_since(state.store.reader(), since).await?)
}

/// A conversation's kind and its active members (offline push: who may be told of a new
/// message); `None` if there is no such conversation.
pub async fn audience(
    state: &AppState,
    conv: ConversationId,
) -> Result<Option<(ConversationKind, Vec<Member>)>, ApiError> {
    let db = state.store.reader();
    let Some(c) = store::find_conversation(db, conv).await? else {
        return Ok(None);
    };
    Ok(Some((c.kind, store::list_members(db, conv, false).await?)))
}

/// The user's unread total exactly as `GET /sync` reports it (`total_unread`): the badge.
pub async fn total_unread(state: &AppState, me: UserId) -> Result<i64, ApiError> {
    let all = store::list_memberships(state.store.reader(), me, None).await?;
    Ok(all.iter().map(|(c, m, _)| unread(m, c.last_seq)).sum())
}

/// A conversation's member rows (active ones unless `with_left`).
pub async fn list_members(
    state: &AppState,
    conv: ConversationId,
    with_left: bool,
) -> Result<Vec<Member>, ApiError> {
    Ok(store::list_members(state.store.reader(), conv, with_left).await?)
}
