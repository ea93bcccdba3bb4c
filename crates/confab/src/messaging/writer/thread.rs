//! SQLite: the writer's batches run on a thread of the writer's own, with its own connection
//! (`infra::store::direct`): one hand-off to the thread and one back per batch, where sqlx
//! made two per statement (about twenty per batch).

use std::sync::Arc;
use std::sync::mpsc as std_mpsc;

use chrono::{DateTime, Utc};
use sea_orm::DatabaseBackend;
use tokio::sync::oneshot;

use super::batch::try_batch;
use super::conn::{BatchErr, DirectConn};
use super::{NewMessage, Outcome};
use crate::infra::ids::IdGen;
use crate::infra::store::StoreError;
use crate::infra::store::direct::SqliteFile;

struct Request {
    msgs: Arc<[NewMessage]>,
    now: DateTime<Utc>,
    reply: oneshot::Sender<Result<Vec<Outcome>, BatchErr>>,
}

/// The writer thread: stops when this handle is dropped (after the batch it is running).
pub(super) struct WriterThread {
    tx: std_mpsc::Sender<Request>,
}

impl WriterThread {
    /// Opens the connection (so a database that cannot be opened fails the start, not the
    /// first send) and starts the thread.
    pub(super) fn start(file: &SqliteFile, ids: Arc<IdGen>) -> Result<Self, StoreError> {
        let conn = file.open()?;
        let (tx, rx) = std_mpsc::channel::<Request>();
        std::thread::Builder::new()
            .name("confab-sqlite-writer".into())
            .spawn(move || {
                while let Ok(req) = rx.recv() {
                    let mut direct = DirectConn(&conn);
                    // DirectConn's futures never wait: this runs the batch in one poll.
                    let out = futures::executor::block_on(try_batch(
                        &mut direct,
                        DatabaseBackend::Sqlite,
                        &ids,
                        req.now,
                        &req.msgs,
                    ));
                    let _ = req.reply.send(out);
                }
            })
            .map_err(|e| {
                StoreError::Unavailable(sea_orm::DbErr::Custom(format!(
                    "cannot start the SQLite writer thread: {e}"
                )))
            })?;
        Ok(Self { tx })
    }

    /// Runs one batch's transaction on the thread. The caller holds the store's SQLite writer
    /// (`Store::hold_sqlite_writer`) around it.
    pub(super) async fn run(
        &self,
        msgs: Arc<[NewMessage]>,
        now: DateTime<Utc>,
    ) -> Result<Vec<Outcome>, BatchErr> {
        let (reply, answer) = oneshot::channel();
        let stopped = || {
            BatchErr::Db(sea_orm::DbErr::Custom(
                "the SQLite writer thread stopped".into(),
            ))
        };
        self.tx
            .send(Request { msgs, now, reply })
            .map_err(|_| stopped())?;
        answer.await.map_err(|_| stopped())?
    }
}
