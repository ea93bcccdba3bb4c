//! Wallet rows, the ledger's pages and totals, wallet operations and top-ups.

use chrono::{DateTime, Utc};
use confab_proto::gifts::{CurrencyTotals, LedgerEntryOut};
use confab_proto::ids::{LedgerEntryId, UserId, WalletOpId};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::{all, exec, one, sum};
use crate::gifts::model::{PLATFORM, currency_of};
use crate::infra::store::{StoreError, from_ms, to_ms};

/// A wallet's balances.
#[derive(Debug, Clone, Copy, Default, FromQueryResult)]
pub struct Balances {
    /// Coins.
    pub coins: i64,
    /// Diamonds.
    pub diamonds: i64,
    /// Lifetime coins spent.
    pub spent: i64,
}

/// The user's balances (zero when they never had a wallet).
pub async fn balances(db: &impl ConnectionTrait, user: UserId) -> Result<Balances, StoreError> {
    Ok(one::<Balances>(
        db,
        "SELECT coins, diamonds, spent FROM wallets WHERE user_id = ?",
        [user.0.into()],
    )
    .await?
    .unwrap_or_default())
}

#[derive(FromQueryResult)]
struct LedgerRow {
    id: i64,
    currency: String,
    delta: i64,
    balance: Option<i64>,
    reason: String,
    reference: String,
    created_at: i64,
}

/// An account's ledger rows, newest first, older than `before`.
pub async fn ledger_page(
    db: &impl ConnectionTrait,
    account: UserId,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<LedgerEntryOut>, StoreError> {
    let rows = all::<LedgerRow>(
        db,
        format!(
            "SELECT id, currency, delta, balance, reason, reference, created_at FROM ledger \
             WHERE account = ? AND id < ? ORDER BY id DESC LIMIT {limit}"
        ),
        [account.0.into(), before.unwrap_or(i64::MAX).into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| LedgerEntryOut {
            id: LedgerEntryId(r.id),
            currency: currency_of(&r.currency),
            delta: r.delta,
            balance: r.balance.unwrap_or(0),
            reason: r.reason,
            reference: r.reference,
            created_at: from_ms(r.created_at),
        })
        .collect())
}

#[derive(FromQueryResult)]
struct Total {
    total: i64,
}

async fn total(
    db: &impl ConnectionTrait,
    sql: String,
    values: Vec<sea_orm::Value>,
) -> Result<i64, StoreError> {
    Ok(one::<Total>(db, sql, values).await?.map_or(0, |t| t.total))
}

/// One currency's totals: wallets, user ledger rows, platform ledger rows.
pub async fn totals(
    db: &impl ConnectionTrait,
    currency: &str,
) -> Result<CurrencyTotals, StoreError> {
    let col = if currency == "diamonds" {
        "diamonds"
    } else {
        "coins"
    };
    let balances = total(
        db,
        format!("SELECT {} AS total FROM wallets", sum(db, col)),
        vec![],
    )
    .await?;
    let user_ledger = total(
        db,
        format!(
            "SELECT {} AS total FROM ledger WHERE currency = ? AND account <> ?",
            sum(db, "delta")
        ),
        vec![currency.into(), PLATFORM.into()],
    )
    .await?;
    let platform_ledger = total(
        db,
        format!(
            "SELECT {} AS total FROM ledger WHERE currency = ? AND account = ?",
            sum(db, "delta")
        ),
        vec![currency.into(), PLATFORM.into()],
    )
    .await?;
    Ok(CurrencyTotals {
        balances,
        user_ledger,
        platform_ledger,
    })
}

#[derive(FromQueryResult)]
struct Account {
    account: i64,
}

/// Wallets whose balance differs from their ledger or is negative, and ledger accounts
/// without a wallet; at most 100.
pub async fn mismatched(db: &impl ConnectionTrait) -> Result<Vec<UserId>, StoreError> {
    let coins = sum(db, "CASE WHEN currency = 'coins' THEN delta ELSE 0 END");
    let diamonds = sum(db, "CASE WHEN currency = 'diamonds' THEN delta ELSE 0 END");
    let mut out: Vec<UserId> = all::<Account>(
        db,
        format!(
            "SELECT w.user_id AS account FROM wallets w LEFT JOIN \
             (SELECT account, {coins} AS c, {diamonds} AS d FROM ledger GROUP BY account) l \
             ON l.account = w.user_id \
             WHERE w.coins <> COALESCE(l.c, 0) OR w.diamonds <> COALESCE(l.d, 0) \
             OR w.coins < 0 OR w.diamonds < 0 LIMIT 100"
        ),
        [],
    )
    .await?
    .into_iter()
    .map(|a| UserId(a.account))
    .collect();
    let orphans = all::<Account>(
        db,
        "SELECT DISTINCT l.account AS account FROM ledger l WHERE l.account <> ? AND NOT EXISTS \
         (SELECT 1 FROM wallets w WHERE w.user_id = l.account) LIMIT 100",
        [PLATFORM.into()],
    )
    .await?;
    out.extend(orphans.into_iter().map(|a| UserId(a.account)));
    out.truncate(100);
    Ok(out)
}

/// A wallet operation (an admin adjustment or a VIP purchase).
#[derive(Debug, Clone, FromQueryResult)]
pub struct Op {
    /// Id.
    pub id: i64,
    /// `adjust` or `vip`.
    pub kind: String,
    /// Who did it.
    pub actor_id: i64,
    /// The idempotency key.
    pub client_key: Option<String>,
    /// Whose wallet.
    pub user_id: i64,
    /// Which balance.
    pub currency: String,
    /// The change.
    pub delta: i64,
    /// Reason or details.
    pub detail: String,
}

/// The operation `kind` made by `actor` with `key`.
pub async fn find_op(
    db: &impl ConnectionTrait,
    kind: &str,
    actor: UserId,
    key: &str,
) -> Result<Option<Op>, StoreError> {
    one::<Op>(
        db,
        "SELECT id, kind, actor_id, client_key, user_id, currency, delta, detail FROM wallet_ops \
         WHERE kind = ? AND actor_id = ? AND client_key = ?",
        [kind.into(), actor.0.into(), key.into()],
    )
    .await
}

/// Records an operation (a duplicate key fails with a unique violation).
pub async fn insert_op(
    db: &impl ConnectionTrait,
    op: &Op,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        db,
        "INSERT INTO wallet_ops (id, kind, actor_id, client_key, user_id, currency, delta, \
         detail, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            op.id.into(),
            op.kind.clone().into(),
            op.actor_id.into(),
            op.client_key.clone().into(),
            op.user_id.into(),
            op.currency.clone().into(),
            op.delta.into(),
            op.detail.clone().into(),
            to_ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

/// The operation's id on the wire.
pub fn op_id(op: &Op) -> WalletOpId {
    WalletOpId(op.id)
}

/// A credited top-up order.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Topup {
    /// The provider's order id.
    pub order_id: String,
    /// Credited.
    pub user_id: i64,
    /// Coins.
    pub coins: i64,
    /// Paid, minor units.
    pub amount: i64,
    /// Paid, currency.
    pub currency: String,
    /// The bonus grants, JSON.
    pub bonus: String,
}

/// The order `order_id`, if credited.
pub async fn find_topup(
    db: &impl ConnectionTrait,
    order_id: &str,
) -> Result<Option<Topup>, StoreError> {
    one::<Topup>(
        db,
        "SELECT order_id, user_id, coins, amount, currency, bonus FROM topups WHERE order_id = ?",
        [order_id.into()],
    )
    .await
}

/// Records a credited order (a replay fails with a unique violation).
pub async fn insert_topup(
    db: &impl ConnectionTrait,
    t: &Topup,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        db,
        "INSERT INTO topups (order_id, user_id, coins, amount, currency, bonus, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            t.order_id.clone().into(),
            t.user_id.into(),
            t.coins.into(),
            t.amount.into(),
            t.currency.clone().into(),
            t.bonus.clone().into(),
            to_ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}
