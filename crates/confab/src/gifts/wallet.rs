//! Wallets: what a user holds, their ledger, admin adjustments, VIP (bought or granted),
//! level upkeep, and the reconciliation that proves the books balance.

use chrono::{DateTime, Duration, Utc};
use confab_proto::gifts::{
    AdjustmentIn, BuyVipIn, Currency, LedgerPage, PageQuery, ReconciliationOut, WalletOpOut,
    WalletOut, WalletUpdatedData,
};
use confab_proto::ids::UserId;
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::error::GiftsError;
use super::ledger::{Books, db_err, with_retries};
use super::model::{self, currency_str};
use super::store::wallets::{self, Op};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::state::AppState;

/// A user's wallet as the wire shows it (read from the writer: fresh after a change).
pub async fn wallet_out(state: &AppState, user: UserId) -> Result<WalletOut, ApiError> {
    let b = wallets::balances(state.store.writer(), user).await?;
    let u = crate::accounts::service::find_user(state, user, true)
        .await?
        .ok_or(GiftsError::NoUser)?;
    Ok(WalletOut {
        user_id: user,
        coins: b.coins,
        diamonds: b.diamonds,
        spent: b.spent,
        level: u.level,
        vip_until: u.vip_until,
    })
}

/// Tells the user's devices their wallet changed (after the commit).
pub async fn tell(state: &AppState, user: UserId) {
    match wallet_out(state, user).await {
        Ok(wallet) => {
            let ev = ServerEvent::WalletUpdated(Box::new(WalletUpdatedData { wallet }));
            crate::push::emit(state, Topic::User(user), &ev).await;
        }
        Err(e) => tracing::warn!(error = %e, "wallet.updated not pushed"),
    }
}

/// Adds `coins` to the user's lifetime spend and moves their level with it.
pub(crate) async fn spend(
    state: &AppState,
    books: &Books<'_>,
    user: UserId,
    coins: i64,
) -> Result<(), ApiError> {
    let spent = books.add_spent(user, coins).await?;
    let level = model::level_for(spent, &state.config.gifts.level_thresholds);
    crate::accounts::standing::set_level(books.txn, user, level)
        .await
        .map_err(db_err)
}

/// A page's bounds: `limit` (1–100, default 50) and the id cursor.
pub(crate) fn page_bounds(q: &PageQuery) -> Result<(u64, Option<i64>), ApiError> {
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(GiftsError::Invalid("limit", "1 to 100").into());
    }
    let before = match q.cursor.as_deref() {
        None => None,
        Some(c) => Some(
            c.parse::<i64>()
                .map_err(|_| GiftsError::Invalid("cursor", "a next_cursor from a previous page"))?,
        ),
    };
    Ok((u64::from(limit), before))
}

/// My ledger, newest first.
pub async fn ledger(state: &AppState, user: UserId, q: PageQuery) -> Result<LedgerPage, ApiError> {
    let (limit, before) = page_bounds(&q)?;
    let entries = wallets::ledger_page(state.store.reader(), user, before, limit).await?;
    let next_cursor = (entries.len() as u64 == limit)
        .then(|| entries.last().map(|e| e.id.0.to_string()))
        .flatten();
    Ok(LedgerPage {
        entries,
        next_cursor,
    })
}

/// An administrator credits or debits a wallet (never below zero), with a reason; a retry
/// with the same key is a replay.
pub async fn adjust(
    state: &AppState,
    admin: UserId,
    user: UserId,
    input: AdjustmentIn,
) -> Result<WalletOpOut, ApiError> {
    let delta = model::amount("delta", input.delta)?;
    let reason = model::reason(&input.reason)?;
    if let Some(k) = &input.client_key {
        model::client_key("client_key", k)?;
    }
    crate::accounts::service::find_user(state, user, false)
        .await?
        .ok_or(GiftsError::NoUser)?;
    let op = Op {
        id: state.ids.next_id(),
        kind: "adjust".into(),
        actor_id: admin.0,
        client_key: input.client_key.clone(),
        user_id: user.0,
        currency: currency_str(input.currency).into(),
        delta,
        detail: reason.clone(),
    };
    if let Some(replay) = replayed(state, &op).await? {
        return Ok(replay);
    }
    let (op_ref, input_ref) = (&op, &input);
    let applied = with_retries(|| async move {
        let (op, input) = (op_ref, input_ref);
        let txn = state.store.writer().begin().await.map_err(db_err)?;
        let books = Books::new(&txn, &state.ids, state.clock.now());
        let why = if delta > 0 { "credit" } else { "debit" };
        let reference = format!("op:{}", op.id);
        books
            .post(user, input.currency, delta, why, &reference)
            .await?;
        books
            .platform(input.currency, -delta, why, &reference)
            .await?;
        wallets::insert_op(&txn, op, books.now()).await?;
        txn.commit().await.map_err(db_err)
    })
    .await;
    if let Err(e) = applied {
        return match e.is_unique_violation() {
            true => replayed(state, &op).await?.ok_or(e),
            false => Err(e),
        };
    }
    let details = serde_json::json!({
        "currency": currency_str(input.currency), "delta": delta, "reason": reason, "op": op.id.to_string(),
    });
    crate::moderation::audit::audit(
        state,
        admin,
        "wallet.adjust",
        "user",
        user.to_string(),
        details,
    )
    .await?;
    tell(state, user).await;
    Ok(WalletOpOut {
        id: wallets::op_id(&op),
        wallet: wallet_out(state, user).await?,
        replayed: false,
    })
}

/// The answer to a retried operation: the first one's, when the key was used for the very
/// same request; `key_reused` when it was used for another.
async fn replayed(state: &AppState, op: &Op) -> Result<Option<WalletOpOut>, ApiError> {
    let Some(key) = &op.client_key else {
        return Ok(None);
    };
    let Some(first) =
        wallets::find_op(state.store.writer(), &op.kind, UserId(op.actor_id), key).await?
    else {
        return Ok(None);
    };
    if first.user_id != op.user_id
        || first.currency != op.currency
        || first.delta != op.delta
        || first.detail != op.detail
    {
        return Err(GiftsError::KeyReused.into());
    }
    Ok(Some(WalletOpOut {
        id: wallets::op_id(&first),
        wallet: wallet_out(state, UserId(first.user_id)).await?,
        replayed: true,
    }))
}

/// VIP's new end: `periods × vip_days` after the later of now and the current end.
fn vip_end(
    current: Option<DateTime<Utc>>,
    now: DateTime<Utc>,
    days: u32,
    periods: u32,
) -> DateTime<Utc> {
    let from = current.filter(|&c| c > now).unwrap_or(now);
    from + Duration::days(i64::from(days) * i64::from(periods))
}

/// I buy VIP with coins: `periods × vip_price_coins`, extending any VIP I have.
pub async fn buy_vip(
    state: &AppState,
    me: UserId,
    input: BuyVipIn,
) -> Result<WalletOpOut, ApiError> {
    if !(1..=12).contains(&input.periods) {
        return Err(GiftsError::Invalid("periods", "1 to 12").into());
    }
    model::client_key("client_key", &input.client_key)?;
    let cfg = &state.config.gifts;
    let cost = cfg.vip_price_coins.saturating_mul(i64::from(input.periods));
    let op = Op {
        id: state.ids.next_id(),
        kind: "vip".into(),
        actor_id: me.0,
        client_key: Some(input.client_key.clone()),
        user_id: me.0,
        currency: currency_str(Currency::Coins).into(),
        delta: -cost,
        detail: format!("{} periods of {} days", input.periods, cfg.vip_days),
    };
    if let Some(replay) = replayed(state, &op).await? {
        return Ok(replay);
    }
    let (op_ref, cfg_days, periods) = (&op, cfg.vip_days, input.periods);
    let applied = with_retries(|| async move {
        let op = op_ref;
        let txn = state.store.writer().begin().await.map_err(db_err)?;
        let books = Books::new(&txn, &state.ids, state.clock.now());
        let reference = format!("op:{}", op.id);
        books
            .post(me, Currency::Coins, -cost, "vip", &reference)
            .await?;
        books
            .platform(Currency::Coins, cost, "vip", &reference)
            .await?;
        spend(state, &books, me, cost).await?;
        let current = crate::accounts::standing::vip_until(&txn, me).await?;
        let until = vip_end(current, books.now(), cfg_days, periods);
        crate::accounts::standing::set_vip_until(&txn, me, Some(until))
            .await
            .map_err(db_err)?;
        wallets::insert_op(&txn, op, books.now()).await?;
        txn.commit().await.map_err(db_err)
    })
    .await;
    if let Err(e) = applied {
        return match e.is_unique_violation() {
            true => replayed(state, &op).await?.ok_or(e),
            false => Err(e),
        };
    }
    tell(state, me).await;
    Ok(WalletOpOut {
        id: wallets::op_id(&op),
        wallet: wallet_out(state, me).await?,
        replayed: false,
    })
}

/// An administrator sets or ends a user's VIP.
pub async fn set_vip(
    state: &AppState,
    admin: UserId,
    user: UserId,
    until: Option<DateTime<Utc>>,
) -> Result<WalletOut, ApiError> {
    crate::accounts::service::find_user(state, user, false)
        .await?
        .ok_or(GiftsError::NoUser)?;
    crate::accounts::standing::set_vip_until(state.store.writer(), user, until)
        .await
        .map_err(db_err)?;
    let details = serde_json::json!({ "until": until });
    crate::moderation::audit::audit(
        state,
        admin,
        "wallet.vip",
        "user",
        user.to_string(),
        details,
    )
    .await?;
    tell(state, user).await;
    wallet_out(state, user).await
}

/// The books, checked: every wallet against its ledger rows, and each currency's ledger
/// summing to zero.
pub async fn reconcile(state: &AppState) -> Result<ReconciliationOut, ApiError> {
    let db = state.store.writer();
    let coins = wallets::totals(db, "coins").await?;
    let diamonds = wallets::totals(db, "diamonds").await?;
    let mismatched = wallets::mismatched(db).await?;
    let balanced = mismatched.is_empty()
        && [coins, diamonds]
            .iter()
            .all(|t| t.balances == t.user_ledger && t.user_ledger + t.platform_ledger == 0);
    Ok(ReconciliationOut {
        coins,
        diamonds,
        mismatched,
        balanced,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn vip_extends_from_the_later_of_now_and_its_end() {
        let now = DateTime::from_timestamp(1_000_000, 0).unwrap();
        assert_eq!(vip_end(None, now, 30, 2), now + Duration::days(60));
        let past = now - Duration::days(5);
        assert_eq!(vip_end(Some(past), now, 30, 1), now + Duration::days(30));
        let future = now + Duration::days(10);
        assert_eq!(vip_end(Some(future), now, 30, 1), now + Duration::days(40));
    }
}
