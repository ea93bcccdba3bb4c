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
//! Steps 1–6 are `batch`, one function per step (with the attachments' rows and the
//! un-hiding of hidden chats, two more statements, after step 5 and after step 6); the SQL
//! built per batch and per backend is `sql`. On MySQL the statements run in a sea-orm
//! transaction; on SQLite, on a thread of the writer's own with its own connection
//! (`thread`), one hand-off per batch instead of two per statement through sqlx's worker
//! (`conn` has both). While that thread writes, the writer holds the store's sqlx writer
//! connection, so every SQLite write still waits in one queue.
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

mod batch;
mod conn;
mod sql;
mod thread;

use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, Utc};
use confab_proto::ids::{ConversationId, UserId};
use sea_orm::DbErr;
use tokio::sync::{mpsc, oneshot};

use self::batch::try_batch;
use self::conn::{BatchErr, OrmConn};
use self::thread::WriterThread;
use super::store::Message;
use crate::infra::clock::Clock;
use crate::infra::ids::IdGen;
use crate::infra::store::{Store, StoreError};
use crate::tasks::Tasks;
use crate::telemetry::TRACE_TARGET;

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
    /// The sender's span: the commit's parent in the message's trace.
    span: tracing::Span,
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

/// A newly stored message and its commit span (the parent of its publish in its trace;
/// disabled when no trace collector is configured).
#[derive(Debug)]
pub struct Stored {
    /// The message as stored.
    pub message: Message,
    /// Its commit's span.
    pub span: tracing::Span,
}

/// Batches of newly stored messages, in commit order and seq order within each, for the
/// node's publisher (`messaging::service::spawn_publisher`).
pub type Committed = mpsc::Receiver<Vec<Stored>>;

/// Committed batches waiting for the publisher before the writer waits for room.
const PUBLISH_QUEUE: usize = 1024;

impl Writer {
    /// Starts the writer task (and on SQLite its thread); the caller must drain the returned
    /// [`Committed`] queue (the publisher), or the writer stalls once it is full.
    pub fn start(
        store: Store,
        ids: Arc<IdGen>,
        clock: Arc<dyn Clock>,
        tasks: &Tasks,
    ) -> Result<(Self, Committed), StoreError> {
        let thread = match store.sqlite_file() {
            Some(file) => Some(WriterThread::start(file, ids.clone())?),
            None => None,
        };
        let engine = Engine { store, ids, thread };
        let (tx, rx) = mpsc::channel(QUEUE);
        let (published, committed) = mpsc::channel(PUBLISH_QUEUE);
        let cancel = tasks.token();
        tasks.spawn("message-writer", run(rx, engine, clock, cancel, published));
        Ok((Self { tx }, committed))
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
            .send(Job {
                msg,
                reply,
                span: tracing::Span::current(),
            })
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

/// Where batches are stored: the store, and on SQLite the writer's thread.
struct Engine {
    store: Store,
    ids: Arc<IdGen>,
    thread: Option<WriterThread>,
}

impl Engine {
    /// One attempt at a batch's transaction.
    async fn try_batch(
        &self,
        msgs: &Arc<[NewMessage]>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Outcome>, BatchErr> {
        let Some(thread) = &self.thread else {
            let backend = self.store.backend();
            let mut conn = OrmConn::new(self.store.writer());
            return try_batch(&mut conn, backend, &self.ids, now, msgs).await;
        };
        let _held = self
            .store
            .hold_sqlite_writer()
            .await
            .map_err(|e| BatchErr::Db(store_db_err(e)))?;
        thread.run(msgs.clone(), now).await
    }
}

fn store_db_err(e: StoreError) -> DbErr {
    match e {
        StoreError::Unavailable(d) | StoreError::Db(d) => d,
    }
}

async fn run(
    mut rx: mpsc::Receiver<Job>,
    engine: Engine,
    clock: Arc<dyn Clock>,
    cancel: tokio_util::sync::CancellationToken,
    published: mpsc::Sender<Vec<Stored>>,
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
        process(&engine, clock.as_ref(), batch, &published).await;
        metrics::histogram!("confab_writer_batch_seconds").record(started.elapsed().as_secs_f64());
    }
}

/// Hands newly stored messages to the publisher, in seq order per conversation. (If the
/// publisher has stopped, the node is shutting down; clients catch up by sync.)
async fn publish(
    published: &mpsc::Sender<Vec<Stored>>,
    outcomes: &[Outcome],
    spans: Vec<tracing::Span>,
) {
    let mut stored: Vec<Stored> = outcomes
        .iter()
        .zip(spans)
        .filter_map(|(o, span)| match o {
            Outcome::Stored(m) => Some(Stored {
                message: m.clone(),
                span,
            }),
            _ => None,
        })
        .collect();
    if stored.is_empty() {
        return;
    }
    stored.sort_by_key(|s| (s.message.conversation_id, s.message.seq));
    let _ = published.send(stored).await;
}

/// One `commit` span per message of the batch, each a child of its sender's span.
fn commit_spans(batch: &[Job]) -> Vec<tracing::Span> {
    let size = batch.len();
    batch
        .iter()
        .map(
            |j| tracing::trace_span!(target: TRACE_TARGET, parent: &j.span, "commit", batch = size),
        )
        .collect()
}

async fn process(
    engine: &Engine,
    clock: &dyn Clock,
    batch: Vec<Job>,
    published: &mpsc::Sender<Vec<Stored>>,
) {
    let msgs: Arc<[NewMessage]> = batch.iter().map(|j| j.msg.clone()).collect();
    let spans = commit_spans(&batch);
    match with_retries(engine, clock, &msgs).await {
        Ok(outcomes) => {
            publish(published, &outcomes, spans).await;
            for (job, outcome) in batch.into_iter().zip(outcomes) {
                let _ = job.reply.send(Ok(outcome));
            }
        }
        Err(BatchErr::Unique) if batch.len() > 1 => {
            // Isolate the duplicate: one message per transaction.
            for (job, span) in batch.into_iter().zip(spans) {
                let one: Arc<[NewMessage]> = Arc::new([job.msg.clone()]);
                let r = with_retries(engine, clock, &one)
                    .await
                    .map(|mut v| v.remove(0))
                    .map_err(|e| StoreError::from(e.into_db()));
                if let Ok(o) = &r {
                    publish(published, std::slice::from_ref(o), vec![span]).await;
                }
                let _ = job.reply.send(r);
            }
        }
        Err(e) => {
            let e = StoreError::from(e.into_db());
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

async fn with_retries(
    engine: &Engine,
    clock: &dyn Clock,
    msgs: &Arc<[NewMessage]>,
) -> Result<Vec<Outcome>, BatchErr> {
    let mut attempt = 0;
    loop {
        match engine.try_batch(msgs, clock.now()).await {
            Err(BatchErr::Lock(_)) if attempt < RETRIES => {
                attempt += 1;
                metrics::counter!("confab_writer_retries_total").increment(1);
                let jitter = u64::from(rand::random_range(0..10u8));
                tokio::time::sleep(Duration::from_millis(5 * u64::from(attempt) + jitter)).await;
            }
            // One message raced another batch (or node) to its client id: once the other
            // committed, a retry's step 2 finds the original and answers with it.
            Err(BatchErr::Unique) if msgs.len() == 1 && attempt < RETRIES => attempt += 1,
            r => return r,
        }
    }
}
