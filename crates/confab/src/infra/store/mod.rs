//! The relational store: SQLite (embedded default) or MySQL / MariaDB, through sea-orm.
//!
//! On SQLite, writes go through ONE connection (SQLite has one writer anyway; a single
//! connection turns lock contention into a queue instead of `SQLITE_BUSY` retries) and reads
//! through a separate read-only pool; the file is in WAL mode so readers never block the
//! writer. On MySQL both handles are the same pool. Times are stored as BIGINT Unix
//! milliseconds (UTC) on every backend — see docs/decisions/0002-times-as-unix-millis.md.

pub mod direct;
pub mod migrations;

use std::str::FromStr;
use std::time::Duration;

use sea_orm::{DatabaseBackend, DatabaseConnection, DbErr, RuntimeErr};
use sea_orm_migration::MigratorTrait;
use sqlx::ConnectOptions;
use sqlx::mysql::{MySqlConnectOptions, MySqlPoolOptions};
use sqlx::sqlite::{
    SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous as Sync,
};

use crate::config::{Config, SqliteSynchronous};

/// Why a store operation failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The database cannot be reached right now (answered as 503).
    #[error("database unavailable")]
    Unavailable(#[source] DbErr),
    /// Anything else the database reported (answered as an opaque 500; a lock conflict,
    /// which rolled back whole, as a 503 to retry).
    #[error("database error")]
    Db(#[source] DbErr),
}

impl From<DbErr> for StoreError {
    fn from(e: DbErr) -> Self {
        if is_unavailable(&e) {
            StoreError::Unavailable(e)
        } else {
            StoreError::Db(e)
        }
    }
}

/// Whether an error means "the database is not there" rather than "this query is wrong".
fn is_unavailable(e: &DbErr) -> bool {
    let sqlx_unavailable = |e: &sqlx::Error| {
        matches!(
            e,
            sqlx::Error::Io(_)
                | sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::WorkerCrashed
                | sqlx::Error::Tls(_)
        )
    };
    match e {
        DbErr::ConnectionAcquire(_) => true,
        DbErr::Conn(RuntimeErr::SqlxError(s))
        | DbErr::Exec(RuntimeErr::SqlxError(s))
        | DbErr::Query(RuntimeErr::SqlxError(s)) => sqlx_unavailable(s),
        DbErr::Conn(_) => true,
        _ => false,
    }
}

/// The store handles.
#[derive(Clone)]
pub struct Store {
    write: DatabaseConnection,
    read: DatabaseConnection,
    backend: DatabaseBackend,
    /// SQLite only: the connection that checkpoints the WAL, off the writer's path.
    checkpointer: Option<sqlx::SqlitePool>,
    /// SQLite only: the database file, for connections of our own ([`direct`]).
    sqlite: Option<direct::SqliteFile>,
}

/// SQLite: the WAL size (pages) at which the committing connection would checkpoint by itself.
/// Left at SQLite's 1,000 pages (4 MiB), that checkpoint ran inside a writer's commit about
/// once a second at 1,000 msgs/s — copying the WAL into the database file and syncing it
/// while every send queued behind it, which made `direct`'s p99. The background checkpointer
/// ([`Store::checkpoint`], every [`CHECKPOINT_EVERY`]) copies the WAL back instead, but the
/// WAL only starts over from its beginning when no reader is inside it, and with reads going
/// on all the time that is rare: at 1,000 msgs/s (about 7 WAL pages a message) 16,384 pages
/// filled in 2.4 s, and every time the writer's commit ran the backstop checkpoint, two
/// `fsync`s (6–10 ms each under load) in the send path (docs/performance.md, "Round
/// three"). So the backstop is 65,536 pages (256 MiB of WAL on disk at most): at that rate
/// about one commit in 10 s pays it, fewer than 1 % of sends.
const SQLITE_AUTOCHECKPOINT_PAGES: &str = "65536";

/// How often the background checkpointer copies the WAL back into the database (SQLite).
pub const CHECKPOINT_EVERY: Duration = Duration::from_millis(250);

/// Prepared statements kept per MySQL connection (sqlx's default is 100). Evicting one sends
/// `COM_STMT_CLOSE`, which the server never answers, immediately followed by the next
/// command; sqlx 0.9 leaves Nagle's algorithm on, so that command waits for the peer's
/// delayed ACK of the close: 40 ms per eviction. The writer's statements take one shape per
/// batch size, so with 100 entries nearly every batch evicted. A server must allow nodes ×
/// `database.max_connections` × this many prepared statements (`max_prepared_stmt_count`,
/// 16,382 by default: enough for 4 nodes of 8 connections).
const MYSQL_STATEMENT_CACHE: usize = 512;

impl Store {
    /// Opens the configured database: `database.url`, or `confab.db` in the data dir.
    pub async fn connect(config: &Config) -> Result<Self, StoreError> {
        let url = config.database.url.expose();
        let acquire = Duration::from_secs(config.database.acquire_timeout_secs);
        if url.is_empty() || url.starts_with("sqlite:") {
            let opts = if url.is_empty() {
                SqliteConnectOptions::new().filename(config.default_sqlite_path())
            } else {
                SqliteConnectOptions::from_str(url).map_err(sqlx_err)?
            };
            let sqlite = direct::SqliteFile {
                path: opts.get_filename().to_owned(),
                synchronous: config.database.sqlite_synchronous,
            };
            let opts = opts
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(match config.database.sqlite_synchronous {
                    SqliteSynchronous::Normal => Sync::Normal,
                    SqliteSynchronous::Full => Sync::Full,
                })
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                .log_statements(tracing::log::LevelFilter::Off)
                .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
            // `test_before_acquire(false)`: a ping per acquire is a round trip through the
            // connection's worker thread, and a local file cannot hang up.
            let writer = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(acquire)
                .connect_with(
                    opts.clone()
                        .pragma("wal_autocheckpoint", SQLITE_AUTOCHECKPOINT_PAGES),
                )
                .await
                .map_err(sqlx_err)?;
            let checkpointer = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(1)
                .min_connections(1)
                .acquire_timeout(acquire)
                .connect_with(opts.clone())
                .await
                .map_err(sqlx_err)?;
            let reader = SqlitePoolOptions::new()
                .test_before_acquire(false)
                .max_connections(config.database.max_connections)
                .acquire_timeout(acquire)
                .connect_with(opts.read_only(true))
                .await
                .map_err(sqlx_err)?;
            Ok(Self {
                write: sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(writer),
                read: sea_orm::SqlxSqliteConnector::from_sqlx_sqlite_pool(reader),
                backend: DatabaseBackend::Sqlite,
                checkpointer: Some(checkpointer),
                sqlite: Some(sqlite),
            })
        } else {
            let url = match url.strip_prefix("mariadb:") {
                Some(rest) => format!("mysql:{rest}"),
                None => url.to_owned(),
            };
            let opts = MySqlConnectOptions::from_str(&url)
                .map_err(sqlx_err)?
                .charset("utf8mb4")
                .collation("utf8mb4_bin")
                .timezone(Some("+00:00".into()))
                .statement_cache_capacity(MYSQL_STATEMENT_CACHE)
                .log_statements(tracing::log::LevelFilter::Off)
                .log_slow_statements(tracing::log::LevelFilter::Warn, Duration::from_secs(1));
            let pool = MySqlPoolOptions::new()
                .max_connections(config.database.max_connections)
                .acquire_timeout(acquire)
                .connect_with(opts)
                .await
                .map_err(sqlx_err)?;
            let conn = sea_orm::SqlxMySqlConnector::from_sqlx_mysql_pool(pool);
            Ok(Self {
                write: conn.clone(),
                read: conn,
                backend: DatabaseBackend::MySql,
                checkpointer: None,
                sqlite: None,
            })
        }
    }

    /// Applies every pending migration (idempotent).
    pub async fn migrate(&self) -> Result<(), StoreError> {
        migrations::Migrator::up(&self.write, None)
            .await
            .map_err(StoreError::from)
    }

    /// The connection for statements that write.
    pub fn writer(&self) -> &DatabaseConnection {
        &self.write
    }

    /// The connection for statements that only read.
    pub fn reader(&self) -> &DatabaseConnection {
        &self.read
    }

    /// Which database this is.
    pub fn backend(&self) -> DatabaseBackend {
        self.backend
    }

    /// `sqlite` or `mysql`.
    pub fn kind(&self) -> &'static str {
        match self.backend {
            DatabaseBackend::Sqlite => "sqlite",
            DatabaseBackend::MySql => "mysql",
            _ => "other",
        }
    }

    /// Whether the database answers a trivial query.
    pub async fn ping(&self) -> Result<(), StoreError> {
        self.write.ping().await.map_err(StoreError::from)
    }

    /// SQLite: copies what the WAL holds back into the database file without waiting for
    /// (or blocking) the writer or readers (`PASSIVE`), so the writer's commits never run a
    /// checkpoint themselves. Answers the WAL's size and how much of it was copied, in
    /// pages; `None` on MySQL.
    pub async fn checkpoint(&self) -> Result<Option<(i64, i64)>, StoreError> {
        let Some(pool) = &self.checkpointer else {
            return Ok(None);
        };
        let row: (i64, i64, i64) = sqlx::query_as("PRAGMA wal_checkpoint(PASSIVE)")
            .fetch_one(pool)
            .await
            .map_err(sqlx_err)?;
        Ok(Some((row.1, row.2)))
    }

    /// Whether this store has a WAL to checkpoint (SQLite).
    pub fn has_wal(&self) -> bool {
        self.checkpointer.is_some()
    }

    /// Closes every connection (shutdown; a SQLite WAL checkpoint happens on close).
    pub async fn close(self) {
        let _ = self.read.close().await;
        if let Some(pool) = &self.checkpointer {
            pool.close().await;
        }
        let _ = self.write.close().await;
    }
}

/// A time as stored: Unix milliseconds, UTC.
pub fn to_ms(t: chrono::DateTime<chrono::Utc>) -> i64 {
    t.timestamp_millis()
}

/// A stored time back as a `DateTime` (out-of-range values clamp to the epoch).
pub fn from_ms(ms: i64) -> chrono::DateTime<chrono::Utc> {
    chrono::DateTime::from_timestamp_millis(ms).unwrap_or_default()
}

/// Which unique index a write collided with, if the error is a unique-key violation.
/// The returned text is the database's message; callers look for their index or column
/// name in it (SQLite names `table.column`, MySQL names the index).
pub fn unique_violation(e: &DbErr) -> Option<String> {
    match e.sql_err() {
        Some(sea_orm::SqlErr::UniqueConstraintViolation(msg)) => Some(msg),
        _ => None,
    }
}

/// Whether a transaction failed on a lock conflict it may retry from the start: a MySQL
/// deadlock or lock wait timeout, or SQLite's busy database.
pub fn is_lock_conflict(e: &DbErr) -> bool {
    let s = e.to_string();
    s.contains("Deadlock")
        || s.contains("deadlock")
        || s.contains("Lock wait timeout")
        || s.contains("database is locked")
        || s.contains("(code: 1213)")
        || s.contains("(code: 1205)")
}

/// Escapes `%`, `_` and `\` for a `LIKE … ESCAPE '\'` pattern, so user input matches
/// literally.
pub fn like_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    for c in s.chars() {
        if matches!(c, '%' | '_' | '\\') {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

fn sqlx_err(e: sqlx::Error) -> StoreError {
    StoreError::from(DbErr::Conn(RuntimeErr::SqlxError(e.into())))
}
