//! One batch's transaction: the steps of [`super`]'s list, one function each, with a fixed
//! number of statements whatever the batch's size. Each step's statement (and the order of
//! the statements) is the whole contract here: a change to either is a change to the
//! writer's locking and its cost. The statements run on a [`Conn`]: a sea-orm transaction
//! (MySQL) or the writer thread's own SQLite connection; the SQL is the same for both except
//! where [`super::sql`] says.

use std::collections::{BTreeMap, HashMap, HashSet};

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, MessageId, UserId};
use sea_orm::DatabaseBackend;

use super::conn::{BatchErr, Cells, Conn};
use super::sql::{
    active_senders_sql, allocate_sql, attachments_sql, insert_sql, lock_sql, own_marks_sql,
    stored_sql, unhide_sql,
};
use super::{NewMessage, Outcome};
use crate::infra::ids::IdGen;
use crate::infra::store::{from_ms, to_ms};
use crate::messaging::store::Message;

/// Stores a batch in one transaction and says what happened to each message, in batch
/// order. Nothing is stored unless the whole transaction commits.
pub(super) async fn try_batch<C: Conn>(
    conn: &mut C,
    backend: DatabaseBackend,
    ids: &IdGen,
    now: DateTime<Utc>,
    msgs: &[NewMessage],
) -> Result<Vec<Outcome>, BatchErr> {
    conn.begin().await?;
    match steps(conn, backend, ids, now, msgs).await {
        Ok(outcomes) => {
            conn.commit().await?;
            Ok(outcomes)
        }
        Err(e) => {
            conn.rollback().await;
            Err(e)
        }
    }
}

async fn steps<C: Conn>(
    conn: &mut C,
    backend: DatabaseBackend,
    ids: &IdGen,
    now: DateTime<Utc>,
    msgs: &[NewMessage],
) -> Result<Vec<Outcome>, BatchErr> {
    let last = lock_conversations(conn, backend, msgs).await?;
    let existing = find_stored(conn, msgs).await?;
    let active = find_active_senders(conn, msgs).await?;
    let created = to_ms(now);
    let Plan {
        outcomes,
        next_seq,
        rows,
        own_newest,
    } = Plan::decide(ids, created, msgs, &last, &existing, &active);
    if !rows.is_empty() {
        // Step 4: allocation, one UPDATE for every touched conversation.
        let (sql, vals) = allocate_sql(backend, &next_seq, created);
        conn.execute(sql, vals).await?;
        // Step 5: store every new message in one statement.
        let (sql, vals) = insert_sql(&rows);
        conn.execute(sql, vals).await?;
        insert_attachments(conn, msgs, &outcomes).await?;
        // Step 6: a sender has read (and received) its own message.
        let (sql, vals) = own_marks_sql(backend, &own_newest, created);
        conn.execute(sql, vals).await?;
        // A hidden chat reappears for its members when a message arrives.
        let (sql, vals) = unhide_sql(next_seq.keys(), created);
        conn.execute(sql, vals).await?;
    }
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::NotMember))
        .collect())
}

/// Step 1: locks the batch's conversations (ascending) and reads their newest seq: id →
/// `last_seq`, for those that exist.
async fn lock_conversations<C: Conn>(
    conn: &mut C,
    backend: DatabaseBackend,
    msgs: &[NewMessage],
) -> Result<HashMap<i64, i64>, BatchErr> {
    let mut conv_ids: Vec<i64> = msgs.iter().map(|m| m.conversation_id.0).collect();
    conv_ids.sort_unstable();
    conv_ids.dedup();
    let (sql, vals) = lock_sql(backend, &conv_ids);
    let rows = conn.query(sql, vals).await?;
    let mut last: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
    for r in rows {
        last.insert(r.int(0)?, r.int(1)?);
    }
    Ok(last)
}

/// Step 2, idempotency: what is already stored under the batch's (sender, client id) pairs.
async fn find_stored<C: Conn>(
    conn: &mut C,
    msgs: &[NewMessage],
) -> Result<HashMap<(i64, String), Message>, BatchErr> {
    let pairs = msgs
        .iter()
        .map(|m| (m.sender_id.0, m.client_msg_id.as_str()));
    let (sql, vals) = stored_sql(pairs);
    let mut found = HashMap::new();
    for r in conn.query(sql, vals).await? {
        let m = Message {
            conversation_id: ConversationId(r.int(0)?),
            seq: r.int(1)?,
            id: MessageId(r.int(2)?),
            sender_id: UserId(r.int(3)?),
            client_msg_id: r.text(4)?,
            kind: r.text(5)?,
            body: r.text(6)?,
            reply_to: r.opt_int(7)?,
            mentions: r.opt_text(8)?,
            edited_at: r.opt_int(9)?.map(from_ms),
            recalled_at: r.opt_int(10)?.map(from_ms),
            created_at: from_ms(r.int(11)?),
        };
        found.insert((m.sender_id.0, m.client_msg_id.clone()), m);
    }
    Ok(found)
}

/// Step 3, membership seen after the lock: which of the batch's (conversation, sender) pairs
/// are active members. Exactly those pairs, one primary-key probe each (`conversation IN …
/// AND user IN …` would probe every combination: 40,000 for a batch over 200 direct
/// chats).
async fn find_active_senders<C: Conn>(
    conn: &mut C,
    msgs: &[NewMessage],
) -> Result<HashSet<(i64, i64)>, BatchErr> {
    let mut pairs: Vec<(i64, i64)> = msgs
        .iter()
        .map(|m| (m.conversation_id.0, m.sender_id.0))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let (sql, vals) = active_senders_sql(&pairs);
    let mut active = HashSet::with_capacity(pairs.len());
    for r in conn.query(sql, vals).await? {
        active.insert((r.int(0)?, r.int(1)?));
    }
    Ok(active)
}

/// What a batch does, decided from what its transaction read.
struct Plan {
    /// Each message's outcome, in batch order (`None` only until it is decided).
    outcomes: Vec<Option<Outcome>>,
    /// Each touched conversation's new newest seq.
    next_seq: BTreeMap<i64, i64>,
    /// The new messages, in batch order.
    rows: Vec<Message>,
    /// (conversation, sender) → the sender's newest new message there.
    own_newest: BTreeMap<(i64, i64), i64>,
}

impl Plan {
    /// Decides each message: new (with its seq), duplicate, conflict, or refused. A client
    /// id sent twice within the batch is stored once; the later copy is settled against the
    /// first ([`Plan::settle_repeats`]).
    fn decide(
        ids: &IdGen,
        created: i64,
        msgs: &[NewMessage],
        last: &HashMap<i64, i64>,
        existing: &HashMap<(i64, String), Message>,
        active: &HashSet<(i64, i64)>,
    ) -> Self {
        let mut plan = Plan {
            outcomes: vec![None; msgs.len()],
            next_seq: BTreeMap::new(),
            rows: Vec::new(),
            own_newest: BTreeMap::new(),
        };
        let mut first_in_batch: HashMap<(i64, &str), usize> = HashMap::new();
        let mut repeats: Vec<(usize, usize)> = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            let key = (m.sender_id.0, m.client_msg_id.clone());
            if let Some(orig) = existing.get(&key) {
                plan.outcomes[i] = Some(if same_content(orig, m) {
                    Outcome::Duplicate(orig.clone())
                } else {
                    Outcome::Conflict
                });
                continue;
            }
            if let Some(&j) = first_in_batch.get(&(m.sender_id.0, m.client_msg_id.as_str())) {
                repeats.push((i, j));
                continue;
            }
            let Some(&base) = last.get(&m.conversation_id.0) else {
                plan.outcomes[i] = Some(Outcome::NotMember);
                continue;
            };
            if !active.contains(&(m.conversation_id.0, m.sender_id.0)) {
                plan.outcomes[i] = Some(Outcome::NotMember);
                continue;
            }
            first_in_batch.insert((m.sender_id.0, m.client_msg_id.as_str()), i);
            let seq = plan.next_seq.entry(m.conversation_id.0).or_insert(base);
            *seq += 1;
            let seq = *seq;
            plan.own_newest
                .insert((m.conversation_id.0, m.sender_id.0), seq);
            let stored = new_message(m, seq, MessageId(ids.next_id()), created);
            plan.rows.push(stored.clone());
            plan.outcomes[i] = Some(Outcome::Stored(stored));
        }
        plan.settle_repeats(msgs, repeats);
        plan
    }

    /// A client id repeated within the batch (`(i, j)`: message `i` repeats message `j`)
    /// gets what the first copy got: its original when the content is the same.
    fn settle_repeats(&mut self, msgs: &[NewMessage], repeats: Vec<(usize, usize)>) {
        for (i, j) in repeats {
            self.outcomes[i] = Some(match &self.outcomes[j] {
                Some(Outcome::Stored(orig)) if same_content(orig, &msgs[i]) => {
                    Outcome::Duplicate(orig.clone())
                }
                Some(Outcome::Stored(_)) => Outcome::Conflict,
                other => other.clone().unwrap_or(Outcome::NotMember),
            });
        }
    }
}

/// A new message as stored with `seq`.
fn new_message(m: &NewMessage, seq: i64, id: MessageId, created: i64) -> Message {
    Message {
        conversation_id: m.conversation_id,
        seq,
        id,
        sender_id: m.sender_id,
        client_msg_id: m.client_msg_id.clone(),
        kind: m.kind.clone(),
        body: m.body.clone(),
        reply_to: m.reply_to,
        mentions: m.mentions.clone(),
        edited_at: None,
        recalled_at: None,
        created_at: from_ms(created),
    }
}

/// Attachments: which conversation's members may download which file (one multi-row
/// `INSERT`, none when no new message carries a file).
async fn insert_attachments<C: Conn>(
    conn: &mut C,
    msgs: &[NewMessage],
    outcomes: &[Option<Outcome>],
) -> Result<(), BatchErr> {
    let mut refs = Vec::new();
    for (i, m) in msgs.iter().enumerate() {
        if let (Some(file), Some(Outcome::Stored(stored))) = (m.file, &outcomes[i]) {
            refs.push((file.0, stored.conversation_id.0, stored.seq));
        }
    }
    if refs.is_empty() {
        return Ok(());
    }
    let (sql, vals) = attachments_sql(&refs);
    conn.execute(sql, vals).await
}

/// Whether a stored message has the content a message sent with its client id carries:
/// same conversation, kind, body and reply.
fn same_content(orig: &Message, m: &NewMessage) -> bool {
    orig.conversation_id == m.conversation_id
        && orig.kind == m.kind
        && orig.body == m.body
        && orig.reply_to == m.reply_to
}
