//! Top-ups: a payment provider (or the app's payment backend) tells Confab that an order was
//! paid, by `POST /wallet/topups` signed with HMAC-SHA256 over `"{timestamp}.{body}"` with
//! `gifts.topup_secret`. A notice that is unsigned, wrongly signed or stale (its timestamp
//! more than `gifts.topup_tolerance_secs` from now) is refused before its body is read. The
//! order id is the key: an order credits once; a replay answers `credited: false`; the same
//! order id with other content is `key_reused`.

use confab_proto::gifts::{Currency, TopupIn, TopupOut};
use hmac::{Hmac, Mac};
use sea_orm::TransactionTrait;
use sha2::Sha256;

use super::backpack;
use super::error::GiftsError;
use super::ledger::{Books, db_err, with_retries};
use super::model::{self, MAX_BONUS};
use super::store::wallets::{self, Topup};
use crate::error::ApiError;
use crate::state::AppState;

/// The header with the notice's Unix time in seconds.
pub const TIMESTAMP_HEADER: &str = "confab-timestamp";
/// The header with `sha256=<hex HMAC>`.
pub const SIGNATURE_HEADER: &str = "confab-signature";

/// Checks a notice's signature and freshness (before anything reads the body).
pub fn verify(
    state: &AppState,
    timestamp: Option<&str>,
    signature: Option<&str>,
    body: &[u8],
) -> Result<(), ApiError> {
    let cfg = &state.config.gifts;
    if cfg.topup_secret.is_empty() {
        return Err(GiftsError::TopupsOff.into());
    }
    let (Some(ts), Some(sig)) = (timestamp, signature) else {
        return Err(GiftsError::Signature.into());
    };
    let secs: i64 = ts.trim().parse().map_err(|_| GiftsError::Signature)?;
    let now = state.clock.now().timestamp();
    let tolerance = i64::try_from(cfg.topup_tolerance_secs).unwrap_or(300);
    if (now - secs).abs() > tolerance {
        return Err(GiftsError::Signature.into());
    }
    let given = sig
        .trim()
        .strip_prefix("sha256=")
        .and_then(|h| hex::decode(h).ok())
        .ok_or(GiftsError::Signature)?;
    let mut mac = Hmac::<Sha256>::new_from_slice(cfg.topup_secret.expose().as_bytes())
        .map_err(ApiError::internal)?;
    mac.update(ts.trim().as_bytes());
    mac.update(b".");
    mac.update(body);
    // Constant-time comparison.
    mac.verify_slice(&given)
        .map_err(|_| GiftsError::Signature)?;
    Ok(())
}

/// Credits a verified notice's order, once.
pub async fn credit(state: &AppState, input: TopupIn) -> Result<TopupOut, ApiError> {
    let order = input.order_id.trim();
    if order.is_empty() || order.len() > 128 || !order.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(GiftsError::Invalid("order_id", "1 to 128 printable ASCII characters").into());
    }
    let coins = model::amount("coins", input.coins)?;
    if coins < 0 {
        return Err(GiftsError::Invalid("coins", "a positive amount").into());
    }
    let amount = input.amount.unwrap_or(0);
    if !(0..=model::MAX_AMOUNT).contains(&amount) {
        return Err(GiftsError::Invalid("amount", "0 to 1,000,000,000 minor units").into());
    }
    let currency = input.currency.clone().unwrap_or_default();
    if currency.len() > 8 || !currency.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Err(GiftsError::Invalid("currency", "an ISO 4217 code").into());
    }
    if input.bonus.len() > MAX_BONUS {
        return Err(GiftsError::Invalid("bonus", "at most 10 grants").into());
    }
    for g in &input.bonus {
        backpack::check_grant(state, g).await?;
    }
    crate::accounts::service::find_user(state, input.user_id, false)
        .await?
        .ok_or(GiftsError::NoUser)?;
    let topup = Topup {
        order_id: order.to_owned(),
        user_id: input.user_id.0,
        coins,
        amount,
        currency,
        bonus: serde_json::to_string(&input.bonus).map_err(ApiError::internal)?,
    };
    if let Some(first) = wallets::find_topup(state.store.writer(), order).await? {
        return replay(&first, &topup);
    }
    let (topup_ref, input_ref) = (&topup, &input);
    let applied = with_retries(|| async move {
        let (topup, input) = (topup_ref, input_ref);
        let txn = state.store.writer().begin().await.map_err(db_err)?;
        let books = Books::new(&txn, &state.ids, state.clock.now());
        // The order row first: a concurrent replay fails here, before any balance moves.
        wallets::insert_topup(&txn, topup, books.now()).await?;
        let reference = format!("topup:{}", topup.order_id);
        books
            .post(input.user_id, Currency::Coins, coins, "topup", &reference)
            .await?;
        books
            .platform(Currency::Coins, -coins, "topup", &reference)
            .await?;
        for g in &input.bonus {
            backpack::grant_in(state, &txn, input.user_id, g, "topup bonus").await?;
        }
        txn.commit().await.map_err(db_err)
    })
    .await;
    if let Err(e) = applied {
        if e.is_unique_violation()
            && let Some(first) = wallets::find_topup(state.store.writer(), order).await?
        {
            return replay(&first, &topup);
        }
        return Err(e);
    }
    super::wallet::tell(state, input.user_id).await;
    Ok(TopupOut {
        order_id: topup.order_id,
        user_id: input.user_id,
        coins,
        credited: true,
    })
}

fn replay(first: &Topup, now: &Topup) -> Result<TopupOut, ApiError> {
    if first.user_id != now.user_id || first.coins != now.coins || first.bonus != now.bonus {
        return Err(GiftsError::KeyReused.into());
    }
    Ok(TopupOut {
        order_id: first.order_id.clone(),
        user_id: confab_proto::ids::UserId(first.user_id),
        coins: first.coins,
        credited: false,
    })
}
