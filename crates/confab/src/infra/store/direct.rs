//! SQLite: a connection of our own, outside sqlx, for code that runs a whole transaction per
//! hand-off on a thread it owns (the message writer, `messaging::writer`).
//!
//! Through sqlx every statement is a round trip between a tokio task and the connection's
//! worker thread: a batch of nine statements is about twenty thread wake-ups, and on a
//! 2-core machine those wake-ups, not SQLite, were most of the writer's cost
//! (docs/performance.md, "Round three"). A [`rusqlite::Connection`] on the writer's own thread
//! runs the batch with one hand-off in and one out.
//!
//! SQLite has one writer at a time. So that this connection and the store's sqlx writer
//! never wait on each other's lock (SQLite's busy handler would poll with sleeps), the code
//! that writes through it first takes the sqlx writer connection out of its pool
//! ([`super::Store::hold_sqlite_writer`]) and keeps it, unused, until its commit: the pool's
//! queue stays the one queue of SQLite writers.

use std::path::PathBuf;
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};
use sea_orm::{DbErr, RuntimeErr};
use sqlx::Sqlite;
use sqlx::pool::PoolConnection;

use super::{SQLITE_AUTOCHECKPOINT_PAGES, Store, StoreError, sqlx_err};
use crate::config::SqliteSynchronous;

/// Where the SQLite database is and how it syncs: what a connection of our own must match.
#[derive(Debug, Clone)]
pub struct SqliteFile {
    /// The database file.
    pub path: PathBuf,
    /// The `synchronous` pragma of every connection.
    pub synchronous: SqliteSynchronous,
}

/// Prepared statements kept per connection (a batch's SQL depends on its size, so the
/// writer sees a few dozen shapes under load).
const STATEMENT_CACHE: usize = 128;

impl SqliteFile {
    /// Opens a read-write connection to the (existing) database with the pragmas of the
    /// store's own writer: WAL, the configured `synchronous`, foreign keys, the same busy
    /// timeout, and no automatic checkpoint in the commit (the store's checkpointer does it).
    pub fn open(&self) -> Result<Connection, StoreError> {
        let conn = Connection::open_with_flags(
            &self.path,
            OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
        )
        .map_err(unavailable)?;
        conn.busy_timeout(Duration::from_secs(10))
            .map_err(unavailable)?;
        let sync = match self.synchronous {
            SqliteSynchronous::Normal => "NORMAL",
            SqliteSynchronous::Full => "FULL",
        };
        conn.execute_batch(&format!(
            "PRAGMA journal_mode = WAL; PRAGMA synchronous = {sync}; PRAGMA foreign_keys = ON; \
             PRAGMA wal_autocheckpoint = {SQLITE_AUTOCHECKPOINT_PAGES};"
        ))
        .map_err(unavailable)?;
        conn.set_prepared_statement_cache_capacity(STATEMENT_CACHE);
        Ok(conn)
    }
}

/// A connection failure as the store reports one: the database is unavailable (503).
fn unavailable(e: rusqlite::Error) -> StoreError {
    StoreError::Unavailable(DbErr::Conn(RuntimeErr::Internal(e.to_string())))
}

impl Store {
    /// SQLite: the database file, for a connection of one's own ([`SqliteFile::open`]).
    /// `None` on MySQL.
    pub fn sqlite_file(&self) -> Option<&SqliteFile> {
        self.sqlite.as_ref()
    }

    /// SQLite: takes the store's writer connection out of its pool and holds it, so no
    /// other write runs until the returned guard drops (the module's lock rule). `None` on
    /// MySQL, which has no such rule.
    pub async fn hold_sqlite_writer(&self) -> Result<Option<PoolConnection<Sqlite>>, StoreError> {
        if self.sqlite.is_none() {
            return Ok(None);
        }
        let pool = self.write.get_sqlite_connection_pool();
        pool.acquire().await.map(Some).map_err(sqlx_err)
    }
}
