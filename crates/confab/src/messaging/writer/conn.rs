//! Where a batch's statements run: [`Conn`], with one implementation per way of reaching the
//! database. The batch ([`super::batch`]) is written once against it.
//!
//! - [`OrmConn`]: a sea-orm transaction (MySQL / MariaDB), each statement awaited in turn.
//! - [`DirectConn`]: the writer thread's own SQLite connection ([`super::thread`]); its
//!   futures never wait, so the thread runs the whole batch in one poll.

use sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, QueryResult, Statement,
    TransactionTrait, Value,
};

use crate::infra::store::{is_lock_conflict, unique_violation};

/// How a batch failed, as the writer decides what to do next.
#[derive(Debug)]
pub(super) enum BatchErr {
    /// A unique key collided (the same client id in two batches): retry message by message.
    Unique,
    /// A deadlock, lock wait timeout or busy database: the transaction rolled back whole;
    /// retry it.
    Lock(DbErr),
    /// Anything else.
    Db(DbErr),
}

impl From<DbErr> for BatchErr {
    fn from(e: DbErr) -> Self {
        if unique_violation(&e).is_some() {
            BatchErr::Unique
        } else if is_lock_conflict(&e) {
            BatchErr::Lock(e)
        } else {
            BatchErr::Db(e)
        }
    }
}

impl BatchErr {
    /// The error as the rest of the server sees it (a lock conflict keeps its text, which
    /// answers 503 "retry").
    pub(super) fn into_db(self) -> DbErr {
        match self {
            BatchErr::Unique => DbErr::Custom("unique constraint violated".into()),
            BatchErr::Lock(e) | BatchErr::Db(e) => e,
        }
    }
}

/// A row read by the batch, by column position.
pub(super) trait Cells {
    /// An integer column.
    fn int(&self, i: usize) -> Result<i64, BatchErr>;
    /// A nullable integer column.
    fn opt_int(&self, i: usize) -> Result<Option<i64>, BatchErr>;
    /// A text column.
    fn text(&self, i: usize) -> Result<String, BatchErr>;
    /// A nullable text column.
    fn opt_text(&self, i: usize) -> Result<Option<String>, BatchErr>;
}

/// One transaction's worth of statements, in order.
pub(super) trait Conn {
    /// A row a query answers.
    type Row: Cells;
    /// Starts the transaction (on SQLite, taking the write lock at once).
    async fn begin(&mut self) -> Result<(), BatchErr>;
    /// Runs a query in the transaction.
    async fn query(&mut self, sql: String, vals: Vec<Value>) -> Result<Vec<Self::Row>, BatchErr>;
    /// Runs a statement in the transaction.
    async fn execute(&mut self, sql: String, vals: Vec<Value>) -> Result<(), BatchErr>;
    /// Commits.
    async fn commit(&mut self) -> Result<(), BatchErr>;
    /// Rolls back what the transaction did (after a failed statement).
    async fn rollback(&mut self);
}

/// A sea-orm transaction on the store's writer.
pub(super) struct OrmConn<'a> {
    db: &'a DatabaseConnection,
    txn: Option<DatabaseTransaction>,
}

impl<'a> OrmConn<'a> {
    pub(super) fn new(db: &'a DatabaseConnection) -> Self {
        Self { db, txn: None }
    }

    fn txn(&self) -> Result<&DatabaseTransaction, BatchErr> {
        self.txn
            .as_ref()
            .ok_or_else(|| BatchErr::Db(DbErr::Custom("no open transaction".into())))
    }
}

impl Conn for OrmConn<'_> {
    type Row = QueryResult;

    async fn begin(&mut self) -> Result<(), BatchErr> {
        self.txn = Some(self.db.begin().await?);
        Ok(())
    }

    async fn query(&mut self, sql: String, vals: Vec<Value>) -> Result<Vec<QueryResult>, BatchErr> {
        let txn = self.txn()?;
        let stmt = Statement::from_sql_and_values(txn.get_database_backend(), sql, vals);
        Ok(txn.query_all_raw(stmt).await?)
    }

    async fn execute(&mut self, sql: String, vals: Vec<Value>) -> Result<(), BatchErr> {
        let txn = self.txn()?;
        let stmt = Statement::from_sql_and_values(txn.get_database_backend(), sql, vals);
        txn.execute_raw(stmt).await?;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), BatchErr> {
        match self.txn.take() {
            Some(txn) => Ok(txn.commit().await?),
            None => Err(BatchErr::Db(DbErr::Custom("no open transaction".into()))),
        }
    }

    async fn rollback(&mut self) {
        if let Some(txn) = self.txn.take() {
            let _ = txn.rollback().await;
        }
    }
}

impl Cells for QueryResult {
    fn int(&self, i: usize) -> Result<i64, BatchErr> {
        Ok(self.try_get_by_index(i)?)
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, BatchErr> {
        Ok(self.try_get_by_index(i)?)
    }
    fn text(&self, i: usize) -> Result<String, BatchErr> {
        Ok(self.try_get_by_index(i)?)
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, BatchErr> {
        Ok(self.try_get_by_index(i)?)
    }
}

/// The writer thread's own SQLite connection.
pub(super) struct DirectConn<'a>(pub(super) &'a rusqlite::Connection);

/// SQLite's extended result codes for a unique or primary-key collision.
const SQLITE_CONSTRAINT_PRIMARYKEY: i32 = 1555;
const SQLITE_CONSTRAINT_UNIQUE: i32 = 2067;

fn direct_err(e: rusqlite::Error) -> BatchErr {
    use rusqlite::ErrorCode as C;
    if let rusqlite::Error::SqliteFailure(f, _) = &e {
        match f.code {
            C::ConstraintViolation
                if matches!(
                    f.extended_code,
                    SQLITE_CONSTRAINT_PRIMARYKEY | SQLITE_CONSTRAINT_UNIQUE
                ) =>
            {
                return BatchErr::Unique;
            }
            C::DatabaseBusy | C::DatabaseLocked => {
                return BatchErr::Lock(DbErr::Custom(format!("database is locked: {e}")));
            }
            C::CannotOpen | C::SystemIoFailure | C::DiskFull | C::NotADatabase => {
                return BatchErr::Db(DbErr::Conn(sea_orm::RuntimeErr::Internal(e.to_string())));
            }
            _ => {}
        }
    }
    BatchErr::Db(DbErr::Custom(e.to_string()))
}

/// A sea-orm value as SQLite stores it (the writer binds integers, text, booleans and NULLs).
fn to_sqlite(v: Value) -> Result<rusqlite::types::Value, BatchErr> {
    use rusqlite::types::Value as S;
    Ok(match v {
        Value::BigInt(Some(n)) => S::Integer(n),
        Value::Int(Some(n)) => S::Integer(i64::from(n)),
        Value::Bool(Some(b)) => S::Integer(i64::from(b)),
        Value::String(Some(s)) => S::Text(s),
        Value::BigInt(None) | Value::Int(None) | Value::Bool(None) | Value::String(None) => S::Null,
        other => {
            return Err(BatchErr::Db(DbErr::Custom(format!(
                "the writer cannot bind {other:?}"
            ))));
        }
    })
}

impl DirectConn<'_> {
    fn prepare(
        &self,
        sql: &str,
        vals: Vec<Value>,
    ) -> Result<rusqlite::CachedStatement<'_>, BatchErr> {
        let mut stmt = self.0.prepare_cached(sql).map_err(direct_err)?;
        for (i, v) in vals.into_iter().enumerate() {
            stmt.raw_bind_parameter(i + 1, to_sqlite(v)?)
                .map_err(direct_err)?;
        }
        Ok(stmt)
    }
}

impl Conn for DirectConn<'_> {
    type Row = Vec<rusqlite::types::Value>;

    async fn begin(&mut self) -> Result<(), BatchErr> {
        self.0.execute_batch("BEGIN IMMEDIATE").map_err(direct_err)
    }

    async fn query(&mut self, sql: String, vals: Vec<Value>) -> Result<Vec<Self::Row>, BatchErr> {
        let mut stmt = self.prepare(&sql, vals)?;
        let width = stmt.column_count();
        let mut rows = stmt.raw_query();
        let mut out = Vec::new();
        while let Some(row) = rows.next().map_err(direct_err)? {
            let mut cells = Vec::with_capacity(width);
            for c in 0..width {
                cells.push(
                    row.get::<_, rusqlite::types::Value>(c)
                        .map_err(direct_err)?,
                );
            }
            out.push(cells);
        }
        Ok(out)
    }

    async fn execute(&mut self, sql: String, vals: Vec<Value>) -> Result<(), BatchErr> {
        let mut stmt = self.prepare(&sql, vals)?;
        stmt.raw_execute().map_err(direct_err)?;
        Ok(())
    }

    async fn commit(&mut self) -> Result<(), BatchErr> {
        self.0.execute_batch("COMMIT").map_err(direct_err)
    }

    async fn rollback(&mut self) {
        if !self.0.is_autocommit() {
            let _ = self.0.execute_batch("ROLLBACK");
        }
    }
}

fn cell_err(i: usize, want: &str) -> BatchErr {
    BatchErr::Db(DbErr::Type(format!("column {i}: expected {want}")))
}

impl Cells for Vec<rusqlite::types::Value> {
    fn int(&self, i: usize) -> Result<i64, BatchErr> {
        self.opt_int(i)?.ok_or_else(|| cell_err(i, "an integer"))
    }
    fn opt_int(&self, i: usize) -> Result<Option<i64>, BatchErr> {
        match self.get(i) {
            Some(rusqlite::types::Value::Integer(n)) => Ok(Some(*n)),
            Some(rusqlite::types::Value::Null) => Ok(None),
            _ => Err(cell_err(i, "an integer")),
        }
    }
    fn text(&self, i: usize) -> Result<String, BatchErr> {
        self.opt_text(i)?.ok_or_else(|| cell_err(i, "text"))
    }
    fn opt_text(&self, i: usize) -> Result<Option<String>, BatchErr> {
        match self.get(i) {
            Some(rusqlite::types::Value::Text(s)) => Ok(Some(s.clone())),
            Some(rusqlite::types::Value::Null) => Ok(None),
            _ => Err(cell_err(i, "text")),
        }
    }
}

#[cfg(test)]
mod tests {
    use futures::executor::block_on;

    use super::*;

    fn table(conn: &rusqlite::Connection) {
        conn.execute_batch(
            "CREATE TABLE t (id INTEGER PRIMARY KEY, name TEXT NOT NULL UNIQUE, note TEXT, n INTEGER)",
        )
        .unwrap();
    }

    #[test]
    fn a_unique_collision_is_told_apart_from_other_failures() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        table(&conn);
        let mut c = DirectConn(&conn);
        let insert = "INSERT INTO t (id, name) VALUES (?, ?)";
        block_on(c.execute(insert.into(), vec![1i64.into(), "a".into()])).unwrap();
        let same_name = block_on(c.execute(insert.into(), vec![2i64.into(), "a".into()]));
        assert!(matches!(same_name, Err(BatchErr::Unique)), "{same_name:?}");
        let same_key = block_on(c.execute(insert.into(), vec![1i64.into(), "b".into()]));
        assert!(matches!(same_key, Err(BatchErr::Unique)), "{same_key:?}");
        let not_null = block_on(c.execute(insert.into(), vec![3i64.into(), Value::String(None)]));
        assert!(matches!(not_null, Err(BatchErr::Db(_))), "{not_null:?}");
    }

    #[test]
    fn a_busy_database_is_a_lock_conflict_to_retry() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("busy.db");
        let holder = rusqlite::Connection::open(&path).unwrap();
        holder.execute_batch("PRAGMA journal_mode = WAL").unwrap();
        table(&holder);
        holder.execute_batch("BEGIN IMMEDIATE").unwrap();
        let other = rusqlite::Connection::open(&path).unwrap();
        other.busy_timeout(std::time::Duration::ZERO).unwrap();
        let mut c = DirectConn(&other);
        let begun = block_on(c.begin());
        assert!(matches!(begun, Err(BatchErr::Lock(_))), "{begun:?}");
        holder.execute_batch("ROLLBACK").unwrap();
        block_on(c.begin()).unwrap();
        block_on(c.rollback());
        assert!(other.is_autocommit());
    }

    #[test]
    fn values_round_trip_and_a_rollback_keeps_nothing() {
        let conn = rusqlite::Connection::open_in_memory().unwrap();
        table(&conn);
        let mut c = DirectConn(&conn);
        block_on(c.begin()).unwrap();
        let vals = vec![7i64.into(), "x".into(), Value::String(None), true.into()];
        block_on(c.execute(
            "INSERT INTO t (id, name, note, n) VALUES (?, ?, ?, ?)".into(),
            vals,
        ))
        .unwrap();
        let rows = block_on(c.query("SELECT id, name, note, n FROM t".into(), vec![])).unwrap();
        assert_eq!(rows.len(), 1);
        let r = &rows[0];
        assert_eq!((r.int(0).unwrap(), r.text(1).unwrap()), (7, "x".to_owned()));
        assert_eq!(
            (r.opt_text(2).unwrap(), r.opt_int(3).unwrap()),
            (None, Some(1))
        );
        assert!(r.int(1).is_err() && r.text(0).is_err() && r.int(2).is_err());
        block_on(c.rollback());
        let left = block_on(c.query("SELECT id FROM t".into(), vec![])).unwrap();
        assert!(left.is_empty());
        let unbindable = block_on(c.query("SELECT ?".into(), vec![Value::Double(Some(1.5))]));
        assert!(matches!(unbindable, Err(BatchErr::Db(_))));
    }
}
