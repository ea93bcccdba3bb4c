//! From committed messages and ended calls to per-user batches.
//!
//! [`PushOnCommit`] (messaging's after-commit seam) and [`PushOnMissedCall`] (calls' hook)
//! only `try_send` into the bounded queue. The collector task ([`run`]) takes jobs one at a
//! time: for each message, the conversation's active members other than the sender, minus
//! those who muted it and those with a socket open anywhere; for a missed 1:1 call, the
//! callee on the same terms. Each such user's items wait in their batch until
//! `batch_window_ms` after its first item (by the node's clock, checked on a short tick) or
//! until it holds `max_batch_items`; then the request is built ([`build`]) and handed to the
//! delivery worker.

use std::collections::HashMap;
use std::collections::hash_map::Entry;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_proto::calls::{CallKind, CallMedia, CallOut, CallOutcome};
use confab_proto::ids::{ConversationId, UserId};
use confab_proto::messaging::MessageOut;
use confab_proto::push::{OfflinePushOut, PushItem, PushItemKind};
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

use super::deliver::Delivery;
use crate::calls::hooks::CallEnded;
use crate::error::ApiError;
use crate::messaging::model::ConversationKind;
use crate::messaging::observers::AfterCommit;
use crate::state::AppState;

/// What the collector is handed.
#[derive(Debug)]
pub enum Job {
    /// A committed batch of messages.
    Messages(Vec<MessageOut>),
    /// A 1:1 call that ended `missed`.
    MissedCall(Box<CallOut>),
}

fn dropped(reason: &'static str, n: usize) {
    metrics::counter!("confab_push_dropped_total", "reason" => reason).increment(n as u64);
}

fn offer(tx: &mpsc::Sender<Job>, job: Job, n: usize) {
    match tx.try_send(job) {
        Ok(()) => {}
        Err(mpsc::error::TrySendError::Full(_)) => {
            dropped("queue_full", n);
            tracing::warn!(items = n, "offline push queue full: pushes dropped");
        }
        // The collector stopped: the node is shutting down.
        Err(mpsc::error::TrySendError::Closed(_)) => dropped("stopping", n),
    }
}

/// Messaging's after-commit observer: hands each committed batch to the collector.
pub struct PushOnCommit(pub mpsc::Sender<Job>);

impl AfterCommit for PushOnCommit {
    fn committed(&self, batch: &[MessageOut]) {
        offer(&self.0, Job::Messages(batch.to_vec()), batch.len());
    }
}

/// Calls' ended-call hook: hands missed 1:1 calls to the collector.
pub struct PushOnMissedCall(pub mpsc::Sender<Job>);

impl CallEnded for PushOnMissedCall {
    fn ended(&self, call: &CallOut) {
        if call.kind == CallKind::Direct && call.outcome == Some(CallOutcome::Missed) {
            offer(&self.0, Job::MissedCall(Box::new(call.clone())), 1);
        }
    }
}

/// One user's waiting items.
struct Batch {
    /// When its first item arrived (node clock).
    since: DateTime<Utc>,
    items: Vec<PushItem>,
}

type Pending = Arc<Mutex<HashMap<UserId, usize>>>;

/// The collector: takes jobs, keeps batches, sends due ones to `out`.
pub(super) async fn run(
    state: AppState,
    mut rx: mpsc::Receiver<Job>,
    out: mpsc::Sender<Delivery>,
    pending: Pending,
    cancel: CancellationToken,
) {
    let cfg = &state.config.push;
    // How often due batches are looked for: a quarter of the window, 10–250 ms.
    let tick = Duration::from_millis((cfg.batch_window_ms / 4).clamp(10, 250));
    let mut timer = tokio::time::interval(tick);
    timer.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut batches: HashMap<UserId, Batch> = HashMap::new();
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            job = rx.recv() => match job {
                Some(job) => {
                    let items = match resolve(&state, job).await {
                        Ok(items) => items,
                        Err(e) => {
                            tracing::warn!(error = %e, "offline push: recipients unknown; pushes dropped");
                            dropped("store_error", 1);
                            Vec::new()
                        }
                    };
                    add(&state, &mut batches, items);
                }
                None => return,
            },
            _ = timer.tick() => {}
        }
        let due = take_due(&state, &mut batches);
        publish_counts(&pending, &batches);
        for (user, items) in due {
            match build(&state, user, items).await {
                Ok(body) => hand_over(&out, user, body),
                Err(e) => {
                    tracing::warn!(error = %e, user_id = %user, "offline push not built; dropped");
                    dropped("store_error", 1);
                }
            }
        }
    }
}

/// Adds items to their users' batches (a new batch only while fewer than `queue` users
/// wait: memory stays bounded under a flood).
fn add(state: &AppState, batches: &mut HashMap<UserId, Batch>, items: Vec<(UserId, PushItem)>) {
    let now = state.clock.now();
    let max_users = state.config.push.queue;
    for (user, item) in items {
        if !batches.contains_key(&user) && batches.len() >= max_users {
            dropped("too_many_users", 1);
            continue;
        }
        batches
            .entry(user)
            .or_insert_with(|| Batch {
                since: now,
                items: Vec::new(),
            })
            .items
            .push(item);
    }
}

/// Removes and returns the batches whose window passed or that are full (at most
/// `max_batch_items` items each; the rest stay, starting a new window).
fn take_due(
    state: &AppState,
    batches: &mut HashMap<UserId, Batch>,
) -> Vec<(UserId, Vec<PushItem>)> {
    let cfg = &state.config.push;
    let now = state.clock.now();
    let window = chrono::Duration::milliseconds(i64::try_from(cfg.batch_window_ms).unwrap_or(0));
    let due: Vec<UserId> = batches
        .iter()
        .filter(|(_, b)| b.items.len() >= cfg.max_batch_items || now >= b.since + window)
        .map(|(u, _)| *u)
        .collect();
    let mut out = Vec::with_capacity(due.len());
    for user in due {
        let Some(mut b) = batches.remove(&user) else {
            continue;
        };
        if b.items.len() > cfg.max_batch_items {
            let rest = b.items.split_off(cfg.max_batch_items);
            batches.insert(
                user,
                Batch {
                    since: now,
                    items: rest,
                },
            );
        }
        out.push((user, b.items));
    }
    out
}

fn publish_counts(pending: &Pending, batches: &HashMap<UserId, Batch>) {
    let mut map = match pending.lock() {
        Ok(m) => m,
        Err(poisoned) => poisoned.into_inner(),
    };
    map.clear();
    map.extend(batches.iter().map(|(u, b)| (*u, b.items.len())));
}

fn hand_over(out: &mpsc::Sender<Delivery>, user: UserId, body: OfflinePushOut) {
    let n = body.items.len();
    match out.try_send(Delivery::new(body)) {
        Ok(()) => {}
        Err(_) => {
            tracing::warn!(user_id = %user, items = n, "offline push delivery queue full: dropped");
            dropped("delivery_queue_full", n);
        }
    }
}

/// Whether `user` has a socket open anywhere. When the cache cannot tell, they count as
/// offline: a redundant push (the device dedupes by message id) beats a lost one.
async fn connected(state: &AppState, user: UserId, seen: &mut HashMap<UserId, bool>) -> bool {
    if let Some(&c) = seen.get(&user) {
        return c;
    }
    let c = crate::social::presence::connected_anywhere(state, user)
        .await
        .unwrap_or(false);
    seen.insert(user, c);
    c
}

fn kind_name(k: ConversationKind) -> &'static str {
    match k {
        ConversationKind::Direct => "direct",
        ConversationKind::Group => "group",
        ConversationKind::Channel => "channel",
        ConversationKind::Room => "room",
    }
}

/// The text a message would show, before the recipient's privacy choice: the start of a
/// text message, `[kind]` for anything else.
fn preview_of(m: &MessageOut, chars: usize) -> String {
    match m.body.get("text").and_then(|t| t.as_str()) {
        Some(t) if m.kind == "text" => t.chars().take(chars).collect(),
        _ => format!("[{}]", m.kind),
    }
}

/// Who is told about a job, and what.
async fn resolve(state: &AppState, job: Job) -> Result<Vec<(UserId, PushItem)>, ApiError> {
    let mut out = Vec::new();
    let mut seen = HashMap::new();
    match job {
        Job::Messages(msgs) => {
            let mut audiences = HashMap::new();
            for m in msgs {
                if let Entry::Vacant(e) = audiences.entry(m.conversation_id) {
                    e.insert(crate::messaging::service::audience(state, m.conversation_id).await?);
                }
                let Some(Some((kind, members))) = audiences.get(&m.conversation_id) else {
                    continue;
                };
                if !matches!(kind, ConversationKind::Direct | ConversationKind::Group) {
                    continue;
                }
                for member in members {
                    let user = member.user_id;
                    if user == m.sender_id
                        || member.muted
                        || connected(state, user, &mut seen).await
                    {
                        continue;
                    }
                    out.push((user, message_item(state, &m, *kind)));
                }
            }
        }
        Job::MissedCall(call) => {
            let Some(callee) = call.callee_id else {
                return Ok(out);
            };
            let muted = crate::messaging::service::audience(state, call.conversation_id)
                .await?
                .is_some_and(|(_, members)| members.iter().any(|m| m.user_id == callee && m.muted));
            if !muted && !connected(state, callee, &mut seen).await {
                out.push((callee, call_item(state, &call, call.conversation_id)));
            }
        }
    }
    Ok(out)
}

fn message_item(state: &AppState, m: &MessageOut, kind: ConversationKind) -> PushItem {
    PushItem {
        kind: PushItemKind::Message,
        conversation_id: m.conversation_id,
        conversation_kind: kind_name(kind).to_owned(),
        message_id: Some(m.id),
        seq: Some(m.seq),
        message_kind: Some(m.kind.clone()),
        call_id: None,
        media: None,
        sender_id: m.sender_id,
        // Filled in when the request is built.
        sender_name: String::new(),
        preview: Some(preview_of(m, state.config.push.preview_chars)),
        at: m.created_at,
    }
}

fn call_item(state: &AppState, call: &CallOut, conv: ConversationId) -> PushItem {
    PushItem {
        kind: PushItemKind::MissedCall,
        conversation_id: conv,
        conversation_kind: "direct".to_owned(),
        message_id: None,
        seq: None,
        message_kind: None,
        call_id: Some(call.id),
        media: Some(
            match call.media {
                CallMedia::Audio => "audio",
                CallMedia::Video => "video",
            }
            .to_owned(),
        ),
        sender_id: call.caller_id,
        sender_name: String::new(),
        preview: None,
        at: call.ended_at.unwrap_or_else(|| state.clock.now()),
    }
}

/// The request for `user`: senders' names as of now, previews unless the user hides
/// them, and their unread total.
async fn build(
    state: &AppState,
    user: UserId,
    mut items: Vec<PushItem>,
) -> Result<OfflinePushOut, ApiError> {
    let private = super::settings::private_previews(state, user).await?;
    let mut senders: Vec<UserId> = items.iter().map(|i| i.sender_id).collect();
    senders.sort();
    senders.dedup();
    let names = crate::accounts::service::public_users(state, &senders).await?;
    for item in &mut items {
        item.sender_name = names
            .get(&item.sender_id)
            .map(|u| u.nickname.clone())
            .unwrap_or_default();
        if private {
            item.preview = None;
        }
    }
    Ok(OfflinePushOut {
        delivery_id: uuid::Uuid::new_v4().simple().to_string(),
        recipient_id: user,
        badge: crate::messaging::service::total_unread(state, user).await?,
        items,
    })
}
