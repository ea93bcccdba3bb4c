//! The moments tables, in SQL. Private to the feature. Writes that must move together (a
//! like and its counter, a comment and its notifications) take the caller's transaction.

pub(super) mod inbox;
pub(super) mod interactions;
pub(super) mod posts;
pub(super) mod settings;

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};

use crate::infra::store::StoreError;

/// A statement for `db`'s backend.
fn stmt(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Runs a write; answers the rows it touched.
async fn exec(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, StoreError> {
    Ok(db.execute_raw(stmt(db, sql, values)).await?.rows_affected())
}

/// Every row of a query, as `T`.
async fn all<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<T>, StoreError> {
    Ok(T::find_by_statement(stmt(db, sql, values)).all(db).await?)
}

/// The first row of a query, as `T`.
async fn one<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<T>, StoreError> {
    Ok(T::find_by_statement(stmt(db, sql, values)).one(db).await?)
}

/// `?, ?, …` for `n` bound values (never the values themselves).
fn marks(n: usize) -> String {
    vec!["?"; n.max(1)].join(", ")
}

/// An insert that does nothing when the row's key exists (its rows-affected says which):
/// the backends spell it differently.
fn insert_ignore(db: &impl ConnectionTrait) -> &'static str {
    if db.get_database_backend() == DatabaseBackend::MySql {
        "INSERT IGNORE INTO"
    } else {
        "INSERT OR IGNORE INTO"
    }
}

/// A single-column `i64` row.
#[derive(Debug, FromQueryResult)]
struct IdRow {
    id: i64,
}
