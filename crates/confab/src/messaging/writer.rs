//! The group-commit writer: the only code that allocates seqs and stores messages.
//!
//! Concurrent sends queue to one writer task per node. It takes whatever is waiting (up to
//! [`MAX_BATCH`], never waiting for a batch to fill, so under light load a batch is one
//! message) and stores the whole batch in ONE transaction with a fixed number of
//! statements, whatever its size:
//!
//! 1. lock the touched conversations and read their `last_seq` (`SELECT … FOR UPDATE` in
//!    ascending id order on MySQL, so two nodes' batches cannot deadlock each other; SQLite
//!    has one writer connection, so the transaction itself is the lock);
//! 2. look up every (sender, client_msg_id) already stored (idempotency);
//! 3. check that every sender is still an active member — after the lock, so a removal
//!    committed before it is seen, and one committed after it is ordered after the message;
//! 4. allocate `last_seq + 1 … + k` per conversation with one `UPDATE … CASE`;
//! 5. insert every new message with one multi-row `INSERT`;
//! 6. move each sender's read/recv marks to its own newest message (one `UPDATE … CASE`);
//! 7. commit, hand the batch's new messages (in seq order) to the node's publisher, then
//!    answer every sender.
//!
//! Publishing is the writer's job, not the senders': two senders woken by one batch (or by
//! two batches in a row) would otherwise race to publish, and devices would see seq 7
//! before seq 6. One ordered queue from this task to one publisher task keeps a node's
//! `message.new` events in seq order per conversation, and publishes even when the sender
//! went away right after the commit. (Across nodes, order on the wire is best-effort;
//! clients order by seq and fill gaps, docs/protocol.md.)
//!
//! A deadlock or lock timeout retries the batch. A unique-key conflict (the same client id
//! racing in two batches, possibly on two nodes) fails the multi-row insert, so the batch is
//! retried message by message: the duplicate then finds the original and gets its result.
//! Seqs are only ever allocated inside the transaction that stores the messages, so a crash
//! or a rollback leaves no gap.

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, MessageId, UserId};
use sea_orm::{
    ColumnTrait, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait, QueryFilter, Set, Statement,
    TransactionTrait,
};
use tokio::sync::{mpsc, oneshot};

use super::store::{Message, members, message_of, messages};
use crate::infra::clock::Clock;
use crate::infra::ids::IdGen;
use crate::infra::store::{Store, StoreError, from_ms, to_ms, unique_violation};
use crate::tasks::Tasks;

/// The most messages one transaction stores. (Step 2's `OR` of one term per message must
/// stay under SQLite's expression depth limit of 1,000.)
pub const MAX_BATCH: usize = 512;
/// Sends waiting for the writer before new ones wait for room.
const QUEUE: usize = 16_384;
/// Retries of a batch that hit a deadlock or lock timeout.
const RETRIES: u32 = 6;

/// A message to store.
#[derive(Debug, Clone)]
pub struct NewMessage {
    /// Conversation.
    pub conversation_id: ConversationId,
    /// Sender.
    pub sender_id: UserId,
    /// The sender's id for it.
    pub client_msg_id: String,
    /// Kind.
    pub kind: String,
    /// Canonical body JSON.
    pub body: String,
    /// Replied-to seq.
    pub reply_to: Option<i64>,
    /// Mentions JSON.
    pub mentions: Option<String>,
    /// The uploaded file the message carries (indexed so its members may download it).
    pub file: Option<confab_proto::ids::FileId>,
}

/// What happened to one message.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Stored now, with this seq.
    Stored(Message),
    /// Already stored by an earlier send with the same client id and content: the original.
    Duplicate(Message),
    /// The client id was already used for different content.
    Conflict,
    /// The sender is not (or no longer) an active member.
    NotMember,
}

struct Job {
    msg: NewMessage,
    reply: oneshot::Sender<Result<Outcome, StoreError>>,
}

/// Why the writer could not take a message.
#[derive(Debug, thiserror::Error)]
pub enum WriteError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The node is shutting down.
    #[error("writer stopped")]
    Stopped,
}

/// A handle on the node's writer.
#[derive(Clone)]
pub struct Writer {
    tx: mpsc::Sender<Job>,
}

/// Batches of newly stored messages, in commit order and seq order within each, for the
/// node's publisher (`messaging::service::spawn_publisher`).
pub type Committed = mpsc::Receiver<Vec<Message>>;

/// Committed batches waiting for the publisher before the writer waits for room.
const PUBLISH_QUEUE: usize = 1024;

impl Writer {
    /// Starts the writer task; the caller must drain the returned [`Committed`] queue (the
    /// publisher), or the writer stalls once it is full.
    pub fn start(
        store: Store,
        ids: Arc<IdGen>,
        clock: Arc<dyn Clock>,
        tasks: &Tasks,
    ) -> (Self, Committed) {
        let (tx, rx) = mpsc::channel(QUEUE);
        let (published, committed) = mpsc::channel(PUBLISH_QUEUE);
        let cancel = tasks.token();
        tasks.spawn(
            "message-writer",
            run(rx, store, ids, clock, cancel, published),
        );
        (Self { tx }, committed)
    }

    /// Stores a message (or finds its original) and answers once the transaction committed.
    /// A newly stored message is published (`message.new`) by the writer's publisher: callers
    /// must not publish it again.
    pub async fn write(&self, msg: NewMessage) -> Result<Outcome, WriteError> {
        self.submit(msg).await?.outcome().await
    }

    /// Queues a message for the writer and returns as soon as it is queued (waiting only for
    /// room in the queue); [`Pending::outcome`] answers once its transaction committed.
    /// Messages submitted one after another by one caller are stored in that order (the queue
    /// is FIFO and a batch keeps its order), so a socket can have many sends in flight
    /// without waiting for each commit.
    pub async fn submit(&self, msg: NewMessage) -> Result<Pending, WriteError> {
        let (reply, rx) = oneshot::channel();
        self.tx
            .send(Job { msg, reply })
            .await
            .map_err(|_| WriteError::Stopped)?;
        Ok(Pending(rx))
    }
}

/// A queued message's answer, due once its batch committed (or failed).
#[derive(Debug)]
pub struct Pending(oneshot::Receiver<Result<Outcome, StoreError>>);

impl Pending {
    /// Waits for the commit (or the failure) of the message's batch.
    pub async fn outcome(self) -> Result<Outcome, WriteError> {
        self.0
            .await
            .map_err(|_| WriteError::Stopped)?
            .map_err(Into::into)
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    store: Store,
    ids: Arc<IdGen>,
    clock: Arc<dyn Clock>,
    cancel: tokio_util::sync::CancellationToken,
    published: mpsc::Sender<Vec<Message>>,
) {
    loop {
        let first = tokio::select! {
            // Finish what is queued before stopping: those senders are waiting for an answer.
            _ = cancel.cancelled() => { rx.close(); match rx.recv().await { Some(j) => j, None => return } }
            job = rx.recv() => match job { Some(j) => j, None => return },
        };
        let mut batch = vec![first];
        while batch.len() < MAX_BATCH {
            match rx.try_recv() {
                Ok(j) => batch.push(j),
                Err(_) => break,
            }
        }
        metrics::histogram!("confab_writer_batch_size").record(batch.len() as f64);
        let started = std::time::Instant::now();
        process(&store, &ids, clock.as_ref(), batch, &published).await;
        metrics::histogram!("confab_writer_batch_seconds").record(started.elapsed().as_secs_f64());
    }
}

/// Hands newly stored messages to the publisher, in seq order per conversation. (If the
/// publisher has stopped, the node is shutting down; clients catch up by sync.)
async fn publish(published: &mpsc::Sender<Vec<Message>>, outcomes: &[Outcome]) {
    let mut stored: Vec<Message> = outcomes
        .iter()
        .filter_map(|o| match o {
            Outcome::Stored(m) => Some(m.clone()),
            _ => None,
        })
        .collect();
    if stored.is_empty() {
        return;
    }
    stored.sort_by_key(|m| (m.conversation_id, m.seq));
    let _ = published.send(stored).await;
}

async fn process(
    store: &Store,
    ids: &IdGen,
    clock: &dyn Clock,
    batch: Vec<Job>,
    published: &mpsc::Sender<Vec<Message>>,
) {
    let msgs: Vec<NewMessage> = batch.iter().map(|j| j.msg.clone()).collect();
    match with_retries(store, ids, clock, &msgs).await {
        Ok(outcomes) => {
            publish(published, &outcomes).await;
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(e) if is_unique(&e) && batch.len() > 1 => {
            // Isolate the duplicate: one message per transaction.
            for job in batch {
                let one = [job.msg.clone()];
                let r = with_retries(store, ids, clock, &one)
                    .await
                    .map(|mut v| v.remove(0))
                    .map_err(StoreError::from);
                if let Ok(o) = &r {
                    publish(published, std::slice::from_ref(o)).await;
                }
                let _ = job.reply.send(r);
            }
        }
        Err(e) => {
            let e = StoreError::from(e);
            tracing::error!(error = %e, size = batch.len(), "message batch failed");
            for job in batch {
                let _ = job.reply.send(Err(match &e {
                    StoreError::Unavailable(d) => StoreError::Unavailable(clone_err(d)),
                    StoreError::Db(d) => StoreError::Db(clone_err(d)),
                }));
            }
        }
    }
}

fn clone_err(e: &DbErr) -> DbErr {
    // DbErr is not Clone; every waiting sender gets the same classification and text.
    match e {
        DbErr::ConnectionAcquire(_) | DbErr::Conn(_) => {
            DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string()))
        }
        _ => DbErr::Custom(e.to_string()),
    }
}

fn is_unique(e: &DbErr) -> bool {
    unique_violation(e).is_some()
}

fn is_retryable(e: &DbErr) -> bool {
    let s = e.to_string();
    s.contains("Deadlock")
        || s.contains("deadlock")
        || s.contains("Lock wait timeout")
        || s.contains("database is locked")
        || s.contains("(code: 1213)")
        || s.contains("(code: 1205)")
}

async fn with_retries(
    store: &Store,
    ids: &IdGen,
    clock: &dyn Clock,
    msgs: &[NewMessage],
) -> Result<Vec<Outcome>, DbErr> {
    let mut attempt = 0;
    loop {
        match try_batch(store, ids, clock.now(), msgs).await {
            Err(e) if is_retryable(&e) && attempt < RETRIES => {
                attempt += 1;
                metrics::counter!("confab_writer_retries_total").increment(1);
                let jitter = u64::from(rand::random_range(0..10u8));
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt) + jitter)).await;
            }
            r => return r,
        }
    }
}

/// `(?, ?, …)` with `n` placeholders.
fn placeholders(n: usize) -> String {
    let mut s = String::with_capacity(n * 3 + 2);
    s.push('(');
    for i in 0..n {
        if i > 0 {
            s.push_str(", ");
        }
        s.push('?');
    }
    s.push(')');
    s
}

/// Step 4's statement: every touched conversation's `last_seq` set to its new newest seq.
/// On SQLite, a join with a `VALUES` list (one probe per conversation); on MySQL, one
/// `CASE` (MySQL's multi-table UPDATE syntax differs, and its statement costs are dominated
/// by the round trip anyway).
fn allocate_sql(
    backend: DatabaseBackend,
    next_seq: &BTreeMap<i64, i64>,
    created: i64,
) -> (String, Vec<sea_orm::Value>) {
    let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(next_seq.len() * 3 + 1);
    if backend == DatabaseBackend::Sqlite {
        let mut sql = String::from(
            "UPDATE conversations SET last_seq = v.column2, last_message_at = ? FROM (VALUES ",
        );
        vals.push(created.into());
        for (k, (c, s)) in next_seq.iter().enumerate() {
            sql.push_str(if k > 0 { ", (?, ?)" } else { "(?, ?)" });
            vals.extend([(*c).into(), (*s).into()]);
        }
        sql.push_str(") AS v WHERE conversations.id = v.column1");
        return (sql, vals);
    }
    let mut sql = String::from("UPDATE conversations SET last_seq = CASE id");
    for (c, s) in next_seq {
        sql.push_str(" WHEN ? THEN ?");
        vals.push((*c).into());
        vals.push((*s).into());
    }
    sql.push_str(" ELSE last_seq END, last_message_at = ? WHERE id IN ");
    vals.push(created.into());
    sql.push_str(&placeholders(next_seq.len()));
    vals.extend(next_seq.keys().map(|c| (*c).into()));
    (sql, vals)
}

/// Step 6's statement: each sender's read mark set to (and recv mark raised to) its own
/// newest message. Exactly the senders' rows are touched, one primary-key probe each: on
/// SQLite by a join with a `VALUES` list, on MySQL by `OR`ed pairs and a `CASE` per mark.
fn own_marks_sql(
    backend: DatabaseBackend,
    own_newest: &BTreeMap<(i64, i64), i64>,
    created: i64,
) -> (String, Vec<sea_orm::Value>) {
    let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(own_newest.len() * 7 + 1);
    if backend == DatabaseBackend::Sqlite {
        let mut sql = String::from(
            "UPDATE conversation_members SET read_seq = v.column3, \
             recv_seq = MAX(recv_seq, v.column3), updated_at = ? FROM (VALUES ",
        );
        vals.push(created.into());
        for (k, ((c, u), s)) in own_newest.iter().enumerate() {
            sql.push_str(if k > 0 { ", (?, ?, ?)" } else { "(?, ?, ?)" });
            vals.extend([(*c).into(), (*u).into(), (*s).into()]);
        }
        sql.push_str(
            ") AS v WHERE conversation_members.conversation_id = v.column1 \
             AND conversation_members.user_id = v.column2",
        );
        return (sql, vals);
    }
    let mut sql = String::from("UPDATE conversation_members SET read_seq = CASE");
    for ((c, u), s) in own_newest {
        sql.push_str(" WHEN conversation_id = ? AND user_id = ? THEN ?");
        vals.extend([(*c).into(), (*u).into(), (*s).into()]);
    }
    sql.push_str(" ELSE read_seq END, recv_seq = CASE");
    for ((c, u), s) in own_newest {
        sql.push_str(" WHEN conversation_id = ? AND user_id = ? AND recv_seq < ? THEN ?");
        vals.extend([(*c).into(), (*u).into(), (*s).into(), (*s).into()]);
    }
    sql.push_str(" ELSE recv_seq END, updated_at = ? WHERE ");
    vals.push(created.into());
    for (k, (c, u)) in own_newest.keys().enumerate() {
        if k > 0 {
            sql.push_str(" OR ");
        }
        sql.push_str("(conversation_id = ? AND user_id = ?)");
        vals.extend([(*c).into(), (*u).into()]);
    }
    (sql, vals)
}

async fn try_batch(
    store: &Store,
    ids: &IdGen,
    now: DateTime<Utc>,
    msgs: &[NewMessage],
) -> Result<Vec<Outcome>, DbErr> {
    let db = store.writer();
    let backend = db.get_database_backend();
    let txn = db.begin().await?;

    // 1. Lock the conversations (ascending) and read their newest seq.
    let mut conv_ids: Vec<i64> = msgs.iter().map(|m| m.conversation_id.0).collect();
    conv_ids.sort_unstable();
    conv_ids.dedup();
    let lock = if backend == DatabaseBackend::MySql {
        " ORDER BY id FOR UPDATE"
    } else {
        " ORDER BY id"
    };
    let rows = txn
        .query_all_raw(Statement::from_sql_and_values(
            backend,
            format!(
                "SELECT id, last_seq FROM conversations WHERE id IN {}{lock}",
                placeholders(conv_ids.len())
            ),
            conv_ids.iter().map(|v| (*v).into()),
        ))
        .await?;
    let mut last: HashMap<i64, i64> = HashMap::with_capacity(rows.len());
    for r in rows {
        last.insert(r.try_get("", "id")?, r.try_get("", "last_seq")?);
    }

    // 2. Idempotency: what is already stored under these (sender, client id) pairs.
    let mut cond = sea_orm::Condition::any();
    for m in msgs {
        cond = cond.add(
            sea_orm::Condition::all()
                .add(messages::Column::SenderId.eq(m.sender_id.0))
                .add(messages::Column::ClientMsgId.eq(m.client_msg_id.as_str())),
        );
    }
    let existing: HashMap<(i64, String), Message> = messages::Entity::find()
        .filter(cond)
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| ((m.sender_id, m.client_msg_id.clone()), message_of(m)))
        .collect();

    // 3. Membership, seen after the lock: exactly the (conversation, sender) pairs of the
    // batch, one primary-key probe each (`conversation IN … AND user IN …` would probe
    // every combination: 40,000 for a batch over 200 direct chats).
    let mut pairs: Vec<(i64, i64)> = msgs
        .iter()
        .map(|m| (m.conversation_id.0, m.sender_id.0))
        .collect();
    pairs.sort_unstable();
    pairs.dedup();
    let mut any_pair = sea_orm::Condition::any();
    for (c, u) in pairs {
        any_pair = any_pair.add(
            sea_orm::Condition::all()
                .add(members::Column::ConversationId.eq(c))
                .add(members::Column::UserId.eq(u)),
        );
    }
    let active: std::collections::HashSet<(i64, i64)> = members::Entity::find()
        .filter(any_pair)
        .filter(members::Column::LeftSeq.is_null())
        .all(&txn)
        .await?
        .into_iter()
        .map(|m| (m.conversation_id, m.user_id))
        .collect();

    // Decide each message: new (with its seq), duplicate, conflict, or refused.
    let mut outcomes: Vec<Option<Outcome>> = vec![None; msgs.len()];
    let mut first_in_batch: HashMap<(i64, &str), usize> = HashMap::new();
    let mut next_seq: BTreeMap<i64, i64> = BTreeMap::new();
    let mut rows = Vec::new();
    let mut own_newest: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    let mut pending_dups: Vec<(usize, usize)> = Vec::new();
    let created = to_ms(now);
    for (i, m) in msgs.iter().enumerate() {
        let key = (m.sender_id.0, m.client_msg_id.clone());
        if let Some(orig) = existing.get(&key) {
            outcomes[i] = Some(if same_content(orig, m) {
                Outcome::Duplicate(orig.clone())
            } else {
                Outcome::Conflict
            });
            continue;
        }
        if let Some(&j) = first_in_batch.get(&(m.sender_id.0, m.client_msg_id.as_str())) {
            pending_dups.push((i, j));
            continue;
        }
        let Some(&base) = last.get(&m.conversation_id.0) else {
            outcomes[i] = Some(Outcome::NotMember);
            continue;
        };
        if !active.contains(&(m.conversation_id.0, m.sender_id.0)) {
            outcomes[i] = Some(Outcome::NotMember);
            continue;
        }
        first_in_batch.insert((m.sender_id.0, m.client_msg_id.as_str()), i);
        let seq = next_seq.entry(m.conversation_id.0).or_insert(base);
        *seq += 1;
        own_newest.insert((m.conversation_id.0, m.sender_id.0), *seq);
        let stored = Message {
            conversation_id: m.conversation_id,
            seq: *seq,
            id: MessageId(ids.next_id()),
            sender_id: m.sender_id,
            client_msg_id: m.client_msg_id.clone(),
            kind: m.kind.clone(),
            body: m.body.clone(),
            reply_to: m.reply_to,
            mentions: m.mentions.clone(),
            edited_at: None,
            recalled_at: None,
            created_at: from_ms(created),
        };
        rows.push(messages::ActiveModel {
            conversation_id: Set(stored.conversation_id.0),
            seq: Set(stored.seq),
            id: Set(stored.id.0),
            sender_id: Set(stored.sender_id.0),
            client_msg_id: Set(stored.client_msg_id.clone()),
            kind: Set(stored.kind.clone()),
            body: Set(stored.body.clone()),
            reply_to: Set(stored.reply_to),
            mentions: Set(stored.mentions.clone()),
            edited_at: Set(None),
            recalled_at: Set(None),
            created_at: Set(created),
        });
        outcomes[i] = Some(Outcome::Stored(stored));
    }
    for (i, j) in pending_dups {
        outcomes[i] = Some(match &outcomes[j] {
            Some(Outcome::Stored(orig)) if same_content(orig, &msgs[i]) => {
                Outcome::Duplicate(orig.clone())
            }
            Some(Outcome::Stored(_)) => Outcome::Conflict,
            other => other.clone().unwrap_or(Outcome::NotMember),
        });
    }

    if !rows.is_empty() {
        // 4. Allocate: one UPDATE for every touched conversation.
        let (sql, vals) = allocate_sql(backend, &next_seq, created);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, vals))
            .await?;

        // 5. Store every new message in one statement.
        messages::Entity::insert_many(rows).exec(&txn).await?;

        // Attachments: which conversation's members may download which file.
        let mut refs = Vec::new();
        for (i, m) in msgs.iter().enumerate() {
            if let (Some(file), Some(Outcome::Stored(stored))) = (m.file, &outcomes[i]) {
                refs.push((file.0, stored.conversation_id.0, stored.seq));
            }
        }
        if !refs.is_empty() {
            let mut sql =
                String::from("INSERT INTO message_files (file_id, conversation_id, seq) VALUES ");
            let mut vals: Vec<sea_orm::Value> = Vec::with_capacity(refs.len() * 3);
            for (k, (f, c, s)) in refs.iter().enumerate() {
                if k > 0 {
                    sql.push_str(", ");
                }
                sql.push_str("(?, ?, ?)");
                vals.extend([(*f).into(), (*c).into(), (*s).into()]);
            }
            txn.execute_raw(Statement::from_sql_and_values(backend, sql, vals))
                .await?;
        }

        // 6. A sender has read (and received) its own message; a hidden chat reappears.
        let (sql, vals) = own_marks_sql(backend, &own_newest, created);
        txn.execute_raw(Statement::from_sql_and_values(backend, sql, vals))
            .await?;

        members::Entity::update_many()
            .col_expr(
                members::Column::Hidden,
                sea_orm::sea_query::Expr::value(false),
            )
            .col_expr(
                members::Column::UpdatedAt,
                sea_orm::sea_query::Expr::value(created),
            )
            .filter(
                members::Column::ConversationId.is_in(next_seq.keys().copied().collect::<Vec<_>>()),
            )
            .filter(members::Column::Hidden.eq(true))
            .exec(&txn)
            .await?;
    }

    txn.commit().await?;
    Ok(outcomes
        .into_iter()
        .map(|o| o.unwrap_or(Outcome::NotMember))
        .collect())
}

fn same_content(orig: &Message, m: &NewMessage) -> bool {
    orig.conversation_id == m.conversation_id
        && orig.kind == m.kind
        && orig.body == m.body
        && orig.reply_to == m.reply_to
}
