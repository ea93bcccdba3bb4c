//! Messaging rules: opening direct chats, sending, history, sync, marks and flags.

use chrono::{DateTime, Utc};
use confab_proto::ErrorCode;
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::{
    ConversationOut, ConversationPatch, HistoryOut, HistoryQuery, MarksOut, MessageIn, MessageOut,
    SendAck, SyncOut,
};
use confab_proto::ws::{ServerEvent, TypingData};

use super::model::{self, ConversationKind};
use super::rules::{self, Peer, Place, runtime};
use super::store::{self, Conversation, Member, Message};
use super::writer::{NewMessage, Outcome, WriteError};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::state::AppState;

pub use super::store::Mark;

/// How far a sync cursor reaches back: a message whose transaction committed up to this
/// long after it was stamped is still picked up by the next sync.
const SYNC_OVERLAP_MS: i64 = 10_000;

impl From<WriteError> for ApiError {
    fn from(e: WriteError) -> Self {
        match e {
            WriteError::Store(e) => e.into(),
            WriteError::Stopped => ApiError::new(
                ErrorCode::ServiceUnavailable,
                "the server is shutting down; retry",
            )
            .with_retry_after(1),
        }
    }
}

fn not_found() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such conversation")
}

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
        .ok_or_else(not_found)?;
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
        _ => return Err(not_found()),
    };
    Ok((c, member))
}

/// [`membership`] for a send, from the node's rule cache (`rulecache`): the conversation's
/// `last_seq` in it may be old, so it is for the kind and the member's activity only.
async fn send_membership(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<(Conversation, Member), ApiError> {
    let cached = runtime(state)
        .membership
        .get(&state.rules, (conv, me), async || {
            store::find_membership(state.store.reader(), conv, me).await
        })
        .await?;
    match cached {
        Some(found) => Ok(found),
        None => membership(state, me, conv).await,
    }
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

/// The wire form of a stored message.
pub fn message_out(m: &Message) -> MessageOut {
    MessageOut {
        id: m.id,
        conversation_id: m.conversation_id,
        seq: m.seq,
        sender_id: m.sender_id,
        client_msg_id: m.client_msg_id.clone(),
        kind: m.kind.clone(),
        body: serde_json::from_str(&m.body).unwrap_or(serde_json::Value::Null),
        reply_to: m.reply_to,
        mentions: m
            .mentions
            .as_deref()
            .and_then(|s| serde_json::from_str(s).ok())
            .unwrap_or_default(),
        edited_at: m.edited_at,
        recalled_at: m.recalled_at,
        created_at: m.created_at,
    }
}

/// One member's view of a conversation.
pub async fn conversation_out(
    state: &AppState,
    c: &Conversation,
    m: &Member,
) -> Result<ConversationOut, ApiError> {
    let mut one = conversations_out(state, std::slice::from_ref(&(c.clone(), m.clone()))).await?;
    one.pop().ok_or_else(not_found)
}

/// Members' views of their conversations, in a fixed number of queries whatever their
/// number (the last visible message of each, the direct chats' peers and their profiles):
/// a reconnecting client's sync must not cost one round trip per conversation.
pub async fn conversations_out(
    state: &AppState,
    list: &[(Conversation, Member)],
) -> Result<Vec<ConversationOut>, ApiError> {
    use std::collections::HashMap;
    let db = state.store.reader();
    // With gapless seqs, the newest visible message is the one at the ceiling.
    let wanted: Vec<(ConversationId, i64)> = list
        .iter()
        .filter(|(c, m)| m.ceiling(c.last_seq) > m.floor())
        .map(|(c, m)| (c.id, m.ceiling(c.last_seq)))
        .collect();
    let mut last: HashMap<(ConversationId, i64), Message> = store::messages_at(db, &wanted)
        .await?
        .into_iter()
        .map(|msg| ((msg.conversation_id, msg.seq), msg))
        .collect();
    let direct: Vec<ConversationId> = list
        .iter()
        .filter(|(c, _)| c.kind == ConversationKind::Direct)
        .map(|(c, _)| c.id)
        .collect();
    let mut members: HashMap<ConversationId, Vec<UserId>> = HashMap::new();
    for row in store::members_of(db, &direct).await? {
        members
            .entry(row.conversation_id)
            .or_default()
            .push(row.user_id);
    }
    // The peer of a direct chat is its other member; in a chat with oneself, oneself.
    let peer_of = |c: &Conversation, m: &Member| {
        let all = members.get(&c.id).map(Vec::as_slice).unwrap_or_default();
        all.iter()
            .copied()
            .find(|u| *u != m.user_id)
            .unwrap_or(m.user_id)
    };
    let peer_ids: Vec<UserId> = list
        .iter()
        .filter(|(c, _)| c.kind == ConversationKind::Direct)
        .map(|(c, m)| peer_of(c, m))
        .collect();
    let peers = crate::accounts::service::public_users(state, &peer_ids).await?;
    let mut out = Vec::with_capacity(list.len());
    for (c, m) in list {
        let floor = m.floor();
        let ceiling = m.ceiling(c.last_seq);
        let last = match last.remove(&(c.id, ceiling)) {
            Some(msg) => Some(msg),
            // Not where gapless seqs put it (never expected): look it up the long way.
            None if ceiling > floor => store::list_messages(db, c.id, floor, ceiling, false, 1)
                .await?
                .pop(),
            None => None,
        };
        let peer = if c.kind == ConversationKind::Direct {
            peers.get(&peer_of(c, m)).cloned()
        } else {
            None
        };
        out.push(ConversationOut {
            id: c.id,
            kind: c.kind.as_str().to_owned(),
            last_seq: ceiling,
            read_seq: m.read_seq.min(ceiling),
            recv_seq: m.recv_seq.min(ceiling),
            unread: unread(m, c.last_seq),
            last_message: last.as_ref().map(message_out),
            last_message_at: last.as_ref().map(|l| l.created_at),
            pinned: m.pinned,
            muted: m.muted,
            hidden: m.hidden,
            peer,
        });
    }
    Ok(out)
}

/// Unread for a member: the visible seqs above its read mark (never negative).
pub fn unread(m: &Member, last_seq: i64) -> i64 {
    (m.ceiling(last_seq) - m.read_seq.max(m.floor())).max(0)
}

/// Opens (or finds) my direct chat with `peer`.
pub async fn open_direct(
    state: &AppState,
    me: UserId,
    peer: UserId,
) -> Result<ConversationOut, ApiError> {
    let other = crate::accounts::service::get_user(state, peer).await?;
    if other.status != crate::accounts::model::Status::Active {
        return Err(ApiError::new(ErrorCode::NotFound, "no such user"));
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

/// Sends a message (HTTP and WebSocket share this): authorise, validate, store through the
/// writer, acknowledge after commit, then publish `message.new`.
pub async fn send(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    input: MessageIn,
) -> Result<SendAck, ApiError> {
    send_as(state, me, conv, input, true).await
}

/// A send that passed every check and is queued for the writer: [`PendingSend::ack`]
/// answers once it is committed. Submitting sends one after another and awaiting their acks
/// later keeps their order (the writer's queue is FIFO) without one commit wait per send.
#[derive(Debug)]
pub struct PendingSend {
    conv: ConversationId,
    pending: super::writer::Pending,
    review: Option<String>,
}

impl PendingSend {
    /// Waits for the commit and answers as [`send`] does.
    pub async fn ack(self, state: &AppState) -> Result<SendAck, ApiError> {
        let conv = self.conv;
        let stored = match self.pending.outcome().await? {
            // The writer's publisher pushes `message.new`, in seq order (writer.rs).
            Outcome::Stored(m) => {
                metrics::counter!("confab_messages_sent_total").increment(1);
                if let Some(original) = self.review {
                    report_for_review(state, &m, original).await;
                }
                m
            }
            Outcome::Duplicate(m) => m,
            Outcome::Conflict => {
                return Err(ApiError::new(
                    ErrorCode::DuplicateClientMsgId,
                    "this client_msg_id was already used for a different message",
                )
                .with_field("client_msg_id"));
            }
            Outcome::NotMember => {
                return Err(ApiError::new(
                    ErrorCode::NotMember,
                    "you are no longer in this conversation",
                ));
            }
        };
        Ok(SendAck {
            id: stored.id,
            conversation_id: conv,
            seq: stored.seq,
            client_msg_id: stored.client_msg_id,
            created_at: stored.created_at,
        })
    }
}

/// [`send`], with the per-user send rate applied only when `throttled`: a message a feature
/// rule stores on a user's behalf (a friend request's greeting, stored when the other side
/// accepts) was not sent by them now, so it must not count against — or fail on — their
/// rate. Every other rule applies.
pub async fn send_as(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    input: MessageIn,
    throttled: bool,
) -> Result<SendAck, ApiError> {
    submit_as(state, me, conv, input, throttled)
        .await?
        .ack(state)
        .await
}

/// Runs every check of [`send_as`] and queues the message for the writer, without waiting
/// for the commit (the WebSocket pipelines a socket's sends this way).
pub async fn submit_as(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    input: MessageIn,
    throttled: bool,
) -> Result<PendingSend, ApiError> {
    model::client_msg_id(&input.client_msg_id)?;
    let mut body = model::validate(&input.kind, &input.body)?;
    if throttled {
        send_limit(state, me).await?;
        // A site-wide mute (an administrator's, or an upheld report's) holds in every kind
        // of conversation, for everything the user sends now. (A message stored on the
        // user's behalf by a feature rule — a greeting the other side accepts — was written
        // earlier; refusing it here would fail the acceptor's request instead.)
        crate::moderation::mutes::check_can_send(state, me).await?;
    }
    let (c, member) = if input.reply_to.is_none() {
        send_membership(state, me, conv).await?
    } else {
        // A reply is checked against the member's window at the current last seq.
        membership(state, me, conv).await?
    };
    if !member.active() {
        return Err(ApiError::new(
            ErrorCode::NotMember,
            "you are no longer in this conversation",
        ));
    }
    // The kind's own rules: blocks and `social.direct_policy` in a direct chat (design.md
    // §5 step 1), mutes, mute-all, dissolution and `@all` in a group, posting rights in a
    // channel. The writer re-checks membership under the conversation lock.
    let at = place(state, &c, me).await?;
    let kind_rules = rules::of(state, c.kind);
    let mentions_all = input
        .mentions
        .as_ref()
        .is_some_and(|l| l.contains(&confab_proto::messaging::Mention::All));
    kind_rules.check_send(state, &at, mentions_all).await?;
    if mentions_all && !kind_rules.allows_mention_all() {
        return Err(ApiError::new(
            ErrorCode::MentionAllForbidden,
            "`all` can be mentioned in groups only",
        )
        .with_field("mentions"));
    }
    if let Some((file, kind)) = body.file {
        // What a receiver needs to render the attachment, from the upload itself (never
        // from the client), so a retry carries the very same body.
        body.json["file"] = crate::media::service::attachment(state, me, file, kind).await?;
    }
    if let Some(r) = input.reply_to {
        let visible = r > member.floor() && r <= member.ceiling(c.last_seq);
        if !visible
            || store::find_message(state.store.reader(), conv, r)
                .await?
                .is_none()
        {
            return Err(
                ApiError::new(ErrorCode::InvalidMessage, "reply_to: no such message here")
                    .with_field("reply_to"),
            );
        }
    }
    let mentions = match &input.mentions {
        Some(list) if list.len() > 50 => {
            return Err(
                ApiError::new(ErrorCode::InvalidMessage, "mentions: at most 50")
                    .with_field("mentions"),
            );
        }
        Some(list) if !list.is_empty() => {
            Some(serde_json::to_string(list).map_err(ApiError::internal)?)
        }
        _ => None,
    };
    // Content policy (design.md §5 step 3), after every other check so a refused message
    // costs no more than a wrong one.
    let review = screen_body(state, &input.kind, &mut body.json)?;
    let pending = runtime(state)
        .writer
        .submit(NewMessage {
            conversation_id: conv,
            sender_id: me,
            client_msg_id: input.client_msg_id.clone(),
            kind: input.kind.clone(),
            body: body.json.to_string(),
            reply_to: input.reply_to,
            mentions,
            file: body.file.map(|(f, _)| f),
        })
        .await?;
    Ok(PendingSend {
        conv,
        pending,
        review,
    })
}

/// The user-written fields of a kind's body (key, field name for errors): a text's text, an
/// attachment's caption, a place name. Custom bodies belong to the client app and are not
/// screened (their shape is unknown here).
fn screened_fields(kind: &str) -> &'static [(&'static str, &'static str)] {
    match kind {
        "text" => &[("text", "body.text")],
        "image" | "video" | "audio" | "file" => &[("caption", "body.caption")],
        "location" => &[("name", "body.name")],
        _ => &[],
    }
}

/// Runs the sensitive-word filter over a validated body's user-written fields, masking them
/// in place (or refusing with `content_blocked`). Returns the original text when the action
/// asks for a review.
pub(super) fn screen_body(
    state: &AppState,
    kind: &str,
    body: &mut serde_json::Value,
) -> Result<Option<String>, ApiError> {
    let mut review: Option<String> = None;
    for &(key, field) in screened_fields(kind) {
        let Some(serde_json::Value::String(text)) = body.get_mut(key) else {
            continue;
        };
        let screened = crate::moderation::screen::screen(state, field, text)?;
        *text = screened.text;
        if let Some(original) = screened.review {
            review = Some(match review {
                Some(earlier) => format!("{earlier}\n{original}"),
                None => original,
            });
        }
    }
    Ok(review)
}

/// Files the filter's report on a stored message.
pub(super) async fn report_for_review(state: &AppState, m: &Message, original: String) {
    use crate::moderation::screen::{Target, file_review};
    let target = Target::Message(m.conversation_id, m.seq);
    file_review(state, target, Some(m.sender_id), "sensitive word", original).await;
}

/// The per-user send rate, on the cache so it holds across devices and nodes: two fixed
/// windows approximate a token bucket — `sends_burst` within a second, `sends_per_second`
/// × 10 within ten seconds. A retry of a stored message counts too (it is a request).
/// Fails open: with the cache down, sends go on (the limit guards against floods; the
/// store, not the cache, decides whether a message exists).
async fn send_limit(state: &AppState, me: UserId) -> Result<(), ApiError> {
    use std::time::Duration;
    let cfg = &state.config.messaging;
    let windows = [
        ("b", cfg.sends_burst, Duration::from_secs(1)),
        (
            "s",
            cfg.sends_per_second.saturating_mul(10),
            Duration::from_secs(10),
        ),
    ];
    for (name, limit, window) in windows {
        let key = format!("rl:send:{name}:{me}");
        let n = match state.cache.incr(&key, window).await {
            Ok(n) => n,
            Err(e) => {
                tracing::warn!(error = %e, "send rate limit skipped: cache unavailable");
                return Ok(());
            }
        };
        if n > u64::from(limit) {
            let retry = match state.cache.ttl(&key).await {
                Ok(Some(d)) => d.as_secs() + 1,
                _ => window.as_secs(),
            };
            return Err(ApiError::new(
                ErrorCode::RateLimited,
                "sending too fast; retry after Retry-After seconds",
            )
            .with_retry_after(retry));
        }
    }
    Ok(())
}

/// Starts the node's publisher: it pushes `message.new` for every message the writer
/// stored, one batch after another and in seq order within each, so the node's sockets see
/// each conversation in seq order. It drains what is queued before stopping at shutdown.
///
/// `world` is the world channel's conversation: its messages go to every socket
/// ([`topic_of`]); every other conversation's go to its members.
pub fn spawn_publisher(
    state: AppState,
    mut committed: super::writer::Committed,
    world: ConversationId,
) {
    let st = state.clone();
    state.tasks.spawn("message-publisher", async move {
        while let Some(batch) = committed.recv().await {
            // Encoded here, published as one batch (one Redis round trip), in seq order.
            let events: Vec<(Topic, bytes::Bytes)> = batch
                .iter()
                .filter_map(|m| {
                    let topic = if m.conversation_id == world {
                        Topic::Everyone
                    } else {
                        Topic::Conversation(m.conversation_id)
                    };
                    let event = ServerEvent::MessageNew(message_out(m));
                    crate::push::encode(&event, None).map(|b| (topic, b))
                })
                .collect();
            let n = events.len();
            if let Err(e) = st.bus.publish_many(events).await {
                tracing::warn!(error = %e, messages = n, "message.new not pushed; clients catch up by sync");
            }
        }
    });
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
        return Err(ApiError::new(
            ErrorCode::NotMember,
            "you are no longer in this conversation",
        ));
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
    if !(1..=100).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit: 1 to 100"));
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

fn parse_cursor(cursor: Option<&str>) -> Result<Option<DateTime<Utc>>, ApiError> {
    match cursor {
        None | Some("") => Ok(None),
        Some(c) => c
            .parse::<i64>()
            .ok()
            .and_then(DateTime::from_timestamp_millis)
            .map(Some)
            .ok_or_else(|| {
                ApiError::invalid("cursor", "cursor: use the cursor of a previous sync")
            }),
    }
}

/// Conversations changed since the cursor, with unread counts and last messages.
pub async fn sync(state: &AppState, me: UserId, cursor: Option<&str>) -> Result<SyncOut, ApiError> {
    let since = parse_cursor(cursor)?;
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
    Ok(SyncOut {
        conversations,
        total_unread,
        cursor: (now.timestamp_millis() - SYNC_OVERLAP_MS).to_string(),
    })
}

/// Pinned first, then by last activity, newest first.
fn sort_for_list(list: &mut [ConversationOut]) {
    list.sort_by(|a, b| {
        b.pinned
            .cmp(&a.pinned)
            .then(b.last_message_at.cmp(&a.last_message_at))
            .then(b.id.cmp(&a.id))
    });
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
        return Err(ApiError::invalid("seq", "seq: 0 or more"));
    }
    let (c, m) = membership(state, me, conv).await?;
    let seq = seq.min(m.ceiling(c.last_seq));
    store::advance_mark(state.store.writer(), conv, me, mark, seq, state.clock.now()).await?;
    let after = store::find_member(state.store.writer(), conv, me)
        .await?
        .ok_or_else(not_found)?;
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

/// A conversation's member rows (active ones unless `with_left`).
pub async fn list_members(
    state: &AppState,
    conv: ConversationId,
    with_left: bool,
) -> Result<Vec<Member>, ApiError> {
    Ok(store::list_members(state.store.reader(), conv, with_left).await?)
}
