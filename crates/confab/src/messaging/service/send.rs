//! The send path: every check a message passes before the writer takes it —
//! its id and body, the sender's rate and site mute, membership, the conversation kind's
//! rules, the attachment, the reply, the mentions, the content filter — in that order, so
//! the first refusal a client sees is always the same one. The writer stores the message
//! and its publisher pushes `message.new` (`messaging::writer`); [`PendingSend::ack`]
//! answers once the transaction committed.

use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::{Mention, MessageIn, SendAck};
use confab_proto::ws::ServerEvent;

use super::{membership, message_out, place};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::messaging::error::MessagingError;
use crate::messaging::model::{self, MAX_MENTIONS};
use crate::messaging::rules::{self, runtime};
use crate::messaging::store::{self, Conversation, Member, Message};
use crate::messaging::writer::{self, NewMessage, Outcome};
use crate::push::envelope;
use crate::state::AppState;
use crate::telemetry::TRACE_TARGET;
use tracing::Instrument as _;

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
    pending: writer::Pending,
    review: Option<String>,
}

impl PendingSend {
    /// Waits for the commit and answers as [`send`] does.
    pub async fn ack(self, state: &AppState) -> Result<SendAck, ApiError> {
        let conv = self.conv;
        let stored = match self.pending.outcome().await? {
            // The writer's publisher pushes `message.new`, in seq order (`writer`).
            Outcome::Stored(m) => {
                metrics::counter!("confab_messages_sent_total").increment(1);
                if let Some(original) = self.review {
                    report_for_review(state, &m, original).await;
                }
                m
            }
            Outcome::Duplicate(m) => m,
            Outcome::Conflict => return Err(MessagingError::ClientMsgIdReused.into()),
            Outcome::NotMember => return Err(MessagingError::NotMember.into()),
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
    let span = tracing::trace_span!(target: TRACE_TARGET, "send", conversation_id = conv.0);
    submit_checked(state, me, conv, input, throttled)
        .instrument(span)
        .await
}

async fn submit_checked(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    input: MessageIn,
    throttled: bool,
) -> Result<PendingSend, ApiError> {
    model::client_msg_id(&input.client_msg_id)?;
    let mut body = model::validate(&input.kind, &input.body)?;
    if throttled {
        check_sender(state, me).await?;
    }
    let (c, member) = active_membership(state, me, conv, input.reply_to.is_some()).await?;
    check_kind_rules(state, &c, me, input.mentions.as_deref()).await?;
    if let Some((file, kind)) = body.file {
        // What a receiver needs to render the attachment, from the upload itself (never
        // from the client), so a retry carries the very same body.
        body.json["file"] = crate::media::service::attachment(state, me, file, kind).await?;
    }
    if let Some(r) = input.reply_to {
        check_reply(state, &c, &member, r).await?;
    }
    let mentions = stored_mentions(input.mentions.as_deref())?;
    // Content policy, after every other check so a refused message
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

/// Whether `me` may post in `conv` now, by every check a text message passes but its body:
/// the send rate, a site mute, active membership and the kind's own rules (blocks in a
/// direct chat, group and room mutes). Features that store their own messages (gifts) ask
/// this first and re-check membership under the conversation lock. Answers the kind.
pub async fn check_may_post(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
) -> Result<crate::messaging::model::ConversationKind, ApiError> {
    check_sender(state, me).await?;
    let (c, _) = active_membership(state, me, conv, false).await?;
    check_kind_rules(state, &c, me, None).await?;
    Ok(c.kind)
}

/// The sender's own limits on what they send now: the send rate, then a site-wide mute (an
/// administrator's, or an upheld report's), which holds in every kind of conversation. (A
/// message stored on the user's behalf by a feature rule — a greeting the other side
/// accepts — was written earlier; refusing it here would fail the acceptor's request
/// instead, so [`submit_as`] skips this for it.)
async fn check_sender(state: &AppState, me: UserId) -> Result<(), ApiError> {
    send_limit(state, me).await?;
    crate::moderation::mutes::check_can_send(state, me).await?;
    Ok(())
}

/// The conversation and the sender's row, refusing a member who left. A reply is checked
/// against the member's window at the current last seq, so `replying` reads the store;
/// any other send takes the row from the node's rule cache.
async fn active_membership(
    state: &AppState,
    me: UserId,
    conv: ConversationId,
    replying: bool,
) -> Result<(Conversation, Member), ApiError> {
    let (c, member) = if replying {
        membership(state, me, conv).await?
    } else {
        send_membership(state, me, conv).await?
    };
    if !member.active() {
        return Err(MessagingError::NotMember.into());
    }
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

/// The kind's own rules: blocks and `social.direct_policy` in a direct chat, mutes,
/// mute-all, dissolution and `@all` in a group, posting rights in a channel. The writer
/// re-checks membership under the conversation lock.
async fn check_kind_rules(
    state: &AppState,
    c: &Conversation,
    me: UserId,
    mentions: Option<&[Mention]>,
) -> Result<(), ApiError> {
    let at = place(state, c, me).await?;
    let kind_rules = rules::of(state, c.kind);
    let mentions_all = mentions.is_some_and(|l| l.contains(&Mention::All));
    kind_rules.check_send(state, &at, mentions_all).await?;
    if mentions_all && !kind_rules.allows_mention_all() {
        return Err(MessagingError::MentionAllForbidden.into());
    }
    Ok(())
}

/// A reply must name a stored message inside the sender's window.
async fn check_reply(
    state: &AppState,
    c: &Conversation,
    member: &Member,
    reply_to: i64,
) -> Result<(), ApiError> {
    let visible = reply_to > member.floor() && reply_to <= member.ceiling(c.last_seq);
    if !visible
        || store::find_message(state.store.reader(), c.id, reply_to)
            .await?
            .is_none()
    {
        return Err(MessagingError::NoSuchReplyTarget.into());
    }
    Ok(())
}

/// The mentions as stored: JSON, or `None` when there are none; at most [`MAX_MENTIONS`].
fn stored_mentions(mentions: Option<&[Mention]>) -> Result<Option<String>, ApiError> {
    match mentions {
        Some(list) if list.len() > MAX_MENTIONS => Err(MessagingError::TooManyMentions.into()),
        Some(list) if !list.is_empty() => Ok(Some(
            serde_json::to_string(list).map_err(ApiError::internal)?,
        )),
        _ => Ok(None),
    }
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
pub(in crate::messaging) fn screen_body(
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
pub(in crate::messaging) async fn report_for_review(
    state: &AppState,
    m: &Message,
    original: String,
) {
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
            let retry_after_secs = match state.cache.ttl(&key).await {
                Ok(Some(d)) => d.as_secs() + 1,
                _ => window.as_secs(),
            };
            return Err(MessagingError::SendingTooFast { retry_after_secs }.into());
        }
    }
    Ok(())
}

/// Starts the node's publisher: it pushes `message.new` for every message the writer
/// stored, one batch after another and in seq order within each, so the node's sockets see
/// each conversation in seq order. It drains what is queued before stopping at shutdown.
///
/// `world` is the world channel's conversation: its messages go to every socket
/// ([`super::topic_of`]); every other conversation's go to its members.
pub fn spawn_publisher(state: AppState, mut committed: writer::Committed, world: ConversationId) {
    let st = state.clone();
    state.tasks.spawn("message-publisher", async move {
        // The envelope (message id, trace) rides along when trails or traces are on.
        let wrap = st.push.trails.on() || crate::telemetry::trace::enabled();
        while let Some(batch) = committed.recv().await {
            // Encoded here, published as one batch (one Redis round trip), in seq order.
            let outs: Vec<_> = batch.iter().map(|s| message_out(&s.message)).collect();
            let mut spans = Vec::new();
            let events: Vec<(Topic, bytes::Bytes)> = batch
                .iter()
                .zip(&outs)
                .filter_map(|(s, out)| {
                    let m = &s.message;
                    let topic = if m.conversation_id == world {
                        Topic::Everyone
                    } else {
                        Topic::Conversation(m.conversation_id)
                    };
                    let event = ServerEvent::MessageNew(out.clone());
                    let frame = crate::push::encode(&event, None)?;
                    if !wrap {
                        return Some((topic, frame));
                    }
                    let span = tracing::trace_span!(
                        target: TRACE_TARGET,
                        parent: &s.span,
                        "publish",
                        message_id = m.id.0,
                        seq = m.seq,
                    );
                    let tp = crate::telemetry::trace::traceparent(&span);
                    spans.push(span);
                    Some((topic, envelope::wrap(&frame, m.id.0, tp.as_deref())))
                })
                .collect();
            let n = events.len();
            if let Err(e) = st.bus.publish_many(events).await {
                tracing::warn!(error = %e, messages = n, "message.new not pushed; clients catch up by sync");
            }
            drop(spans);
            // Only this node committed these: it alone tells the observers (offline push).
            crate::messaging::observers::notify(&st, &outs);
        }
    });
}
