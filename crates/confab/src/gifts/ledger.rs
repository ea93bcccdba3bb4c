//! The books. Every balance change goes through [`Books`], inside the caller's transaction:
//! a conditional update of the wallet (a debit applies only while the balance covers it —
//! never read-then-write), then a ledger row with the balance after it. The platform's side
//! of an entry ([`Books::platform`]) is a ledger row of account 0 with no wallet row, so no
//! single hot row serialises every send. Each currency's ledger sums to zero, and each
//! wallet equals the sum of its rows (`reconcile`).
//!
//! Lock order: a transaction that moves two users' balances moves them in ascending user id
//! order (callers sort), after any conversation lock, so two transactions never wait on
//! each other in a cycle; a lost race of the very first wallet insert is a lock conflict the
//! caller retries ([`with_retries`]).

use chrono::{DateTime, Utc};
use confab_proto::gifts::Currency;
use confab_proto::ids::UserId;
use sea_orm::{ConnectionTrait, DatabaseTransaction, DbErr, Statement};

use super::error::GiftsError;
use super::model::{PLATFORM, currency_str};
use crate::error::ApiError;
use crate::infra::ids::IdGen;
use crate::infra::store::{StoreError, to_ms, unique_violation};

pub(crate) fn db_err(e: DbErr) -> ApiError {
    StoreError::from(e).into()
}

/// One transaction's access to the books.
pub(crate) struct Books<'a> {
    /// The transaction.
    pub txn: &'a DatabaseTransaction,
    ids: &'a IdGen,
    now: DateTime<Utc>,
}

fn column(c: Currency) -> &'static str {
    match c {
        Currency::Coins => "coins",
        Currency::Diamonds => "diamonds",
    }
}

impl<'a> Books<'a> {
    /// The books in `txn`, stamping rows with `now`.
    pub fn new(txn: &'a DatabaseTransaction, ids: &'a IdGen, now: DateTime<Utc>) -> Self {
        Self { txn, ids, now }
    }

    /// The time of the change.
    pub fn now(&self) -> DateTime<Utc> {
        self.now
    }

    /// Moves `user`'s `currency` balance by `delta` and writes its ledger row; returns the
    /// balance after. A debit the balance does not cover changes nothing and answers
    /// `insufficient_balance` (the caller's transaction then rolls back).
    pub async fn post(
        &self,
        user: UserId,
        currency: Currency,
        delta: i64,
        reason: &str,
        reference: &str,
    ) -> Result<i64, ApiError> {
        let col = column(currency);
        let backend = self.txn.get_database_backend();
        let at = to_ms(self.now);
        let moved = self
            .txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                format!(
                    "UPDATE wallets SET {col} = {col} + ?, updated_at = ? \
                     WHERE user_id = ? AND {col} + ? >= 0"
                ),
                [delta.into(), at.into(), user.0.into(), delta.into()],
            ))
            .await
            .map_err(db_err)?;
        if moved.rows_affected() == 0 {
            if delta < 0 {
                return Err(GiftsError::Insufficient.into());
            }
            self.open_wallet(user, currency, delta).await?;
        }
        let balance = self.balance(user, currency).await?;
        self.row(user.0, currency, delta, Some(balance), reason, reference)
            .await?;
        Ok(balance)
    }

    /// The platform's side of an entry (account 0, no wallet row).
    pub async fn platform(
        &self,
        currency: Currency,
        delta: i64,
        reason: &str,
        reference: &str,
    ) -> Result<(), ApiError> {
        if delta == 0 {
            return Ok(());
        }
        self.row(PLATFORM, currency, delta, None, reason, reference)
            .await
    }

    /// Adds to `user`'s lifetime spend (their wallet exists: they just paid); returns it.
    pub async fn add_spent(&self, user: UserId, delta: i64) -> Result<i64, ApiError> {
        let backend = self.txn.get_database_backend();
        self.txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "UPDATE wallets SET spent = spent + ? WHERE user_id = ?",
                [delta.into(), user.0.into()],
            ))
            .await
            .map_err(db_err)?;
        let row = self
            .txn
            .query_one_raw(Statement::from_sql_and_values(
                backend,
                "SELECT spent FROM wallets WHERE user_id = ?",
                [user.0.into()],
            ))
            .await
            .map_err(db_err)?;
        match row {
            Some(r) => r.try_get::<i64>("", "spent").map_err(db_err),
            None => Ok(0),
        }
    }

    async fn balance(&self, user: UserId, currency: Currency) -> Result<i64, ApiError> {
        let col = column(currency);
        let row = self
            .txn
            .query_one_raw(Statement::from_sql_and_values(
                self.txn.get_database_backend(),
                format!("SELECT {col} AS b FROM wallets WHERE user_id = ?"),
                [user.0.into()],
            ))
            .await
            .map_err(db_err)?;
        match row {
            Some(r) => r.try_get::<i64>("", "b").map_err(db_err),
            None => Ok(0),
        }
    }

    /// The user's first balance change: a new wallet holding `delta`. A concurrent first
    /// change may have made it meanwhile: then the update applies to that one.
    async fn open_wallet(
        &self,
        user: UserId,
        currency: Currency,
        delta: i64,
    ) -> Result<(), ApiError> {
        let (coins, diamonds) = match currency {
            Currency::Coins => (delta, 0),
            Currency::Diamonds => (0, delta),
        };
        let backend = self.txn.get_database_backend();
        let at = to_ms(self.now);
        let inserted = self
            .txn
            .execute_raw(Statement::from_sql_and_values(
                backend,
                "INSERT INTO wallets (user_id, coins, diamonds, spent, updated_at) \
                 VALUES (?, ?, ?, 0, ?)",
                [user.0.into(), coins.into(), diamonds.into(), at.into()],
            ))
            .await;
        match inserted {
            Ok(_) => Ok(()),
            Err(e) if unique_violation(&e).is_some() => {
                let col = column(currency);
                self.txn
                    .execute_raw(Statement::from_sql_and_values(
                        backend,
                        format!(
                            "UPDATE wallets SET {col} = {col} + ?, updated_at = ? WHERE user_id = ?"
                        ),
                        [delta.into(), at.into(), user.0.into()],
                    ))
                    .await
                    .map_err(db_err)?;
                Ok(())
            }
            Err(e) => Err(db_err(e)),
        }
    }

    async fn row(
        &self,
        account: i64,
        currency: Currency,
        delta: i64,
        balance: Option<i64>,
        reason: &str,
        reference: &str,
    ) -> Result<(), ApiError> {
        self.txn
            .execute_raw(Statement::from_sql_and_values(
                self.txn.get_database_backend(),
                "INSERT INTO ledger (id, account, currency, delta, balance, reason, reference, \
                 created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    self.ids.next_id().into(),
                    account.into(),
                    currency_str(currency).into(),
                    delta.into(),
                    balance.into(),
                    reason.into(),
                    reference.into(),
                    to_ms(self.now).into(),
                ],
            ))
            .await
            .map_err(db_err)?;
        Ok(())
    }
}

/// Runs a money transaction, again from the start when it lost a lock conflict (a MySQL
/// deadlock or lock wait timeout; it rolled back whole, so nothing was charged), up to three
/// times.
pub(crate) async fn with_retries<T, F, Fut>(mut attempt: F) -> Result<T, ApiError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, ApiError>>,
{
    let mut tries = 0;
    loop {
        match attempt().await {
            Err(e) if e.is_lock_conflict() && tries < 3 => {
                tries += 1;
                tokio::time::sleep(std::time::Duration::from_millis(5 << tries)).await;
            }
            other => return other,
        }
    }
}
