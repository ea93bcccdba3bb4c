//! The gifts tables, in SQL. Private to the feature. Writes that move money take the
//! caller's transaction (see `ledger`); reads take any connection.

pub(super) mod backpack;
pub(super) mod catalog;
pub(super) mod sends;
pub(super) mod wallets;

use sea_orm::{ConnectionTrait, DatabaseBackend, FromQueryResult, Statement, Value};

use crate::infra::store::StoreError;

/// A statement for `db`'s backend.
pub(super) fn stmt(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Statement {
    Statement::from_sql_and_values(db.get_database_backend(), sql, values)
}

/// Runs a write; answers the rows it touched.
pub(super) async fn exec(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<u64, StoreError> {
    Ok(db.execute_raw(stmt(db, sql, values)).await?.rows_affected())
}

/// Every row of a query, as `T`.
pub(super) async fn all<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<T>, StoreError> {
    Ok(T::find_by_statement(stmt(db, sql, values)).all(db).await?)
}

/// The first row of a query, as `T`.
pub(super) async fn one<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: impl Into<String>,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<T>, StoreError> {
    Ok(T::find_by_statement(stmt(db, sql, values)).one(db).await?)
}

/// `SUM(expr)` as a 64-bit integer on either backend (MySQL sums to DECIMAL).
pub(super) fn sum(db: &impl ConnectionTrait, expr: &str) -> String {
    match db.get_database_backend() {
        DatabaseBackend::MySql => format!("CAST(COALESCE(SUM({expr}), 0) AS SIGNED)"),
        _ => format!("CAST(COALESCE(SUM({expr}), 0) AS INTEGER)"),
    }
}

/// ` FOR UPDATE` on MySQL (SQLite's single writer transaction is the lock).
pub(super) fn for_update(db: &impl ConnectionTrait) -> &'static str {
    if db.get_database_backend() == DatabaseBackend::MySql {
        " FOR UPDATE"
    } else {
        ""
    }
}
