//! The gifts feature's types and the checks of single input fields (no IO).

use chrono::{DateTime, Utc};
use confab_proto::gifts::{Currency, GiftKind, GiftOut, GiftSource};
use confab_proto::ids::{FileId, GiftId};

use super::error::GiftsError;
use crate::error::ApiError;

/// Longest gift name, in characters.
pub const MAX_NAME_CHARS: usize = 40;
/// Highest price of one gift, in coins.
pub const MAX_PRICE: i64 = 100_000_000;
/// Most gifts in one send.
pub const MAX_COUNT: u32 = 9_999;
/// Most presets.
pub const MAX_PRESETS: usize = 8;
/// Longest message with a gift, in characters.
pub const MAX_MESSAGE_CHARS: usize = 100;
/// Longest reason of an adjustment or reversal, in characters.
pub const MAX_REASON_CHARS: usize = 200;
/// Largest single adjustment or top-up, in coins or diamonds.
pub const MAX_AMOUNT: i64 = 1_000_000_000;
/// Most items in one grant.
pub const MAX_GRANT: u32 = 100_000;
/// Most bonus grants in one top-up.
pub const MAX_BONUS: usize = 10;
/// The platform's account in the ledger: the other side of every entry.
pub const PLATFORM: i64 = 0;

/// A gift as stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Gift {
    /// Id.
    pub id: GiftId,
    /// Name.
    pub name: String,
    /// Price of one.
    pub price: i64,
    /// Kind.
    pub kind: GiftKind,
    /// Hot.
    pub hot: bool,
    /// On sale.
    pub listed: bool,
    /// Order (higher first).
    pub weight: i32,
    /// Icon.
    pub icon: Option<FileId>,
    /// Animation.
    pub animation: Option<FileId>,
    /// Presets.
    pub presets: Vec<u32>,
    /// Window start.
    pub starts_at: Option<DateTime<Utc>>,
    /// Window end.
    pub ends_at: Option<DateTime<Utc>>,
}

impl Gift {
    /// The wire form.
    pub fn out(&self) -> GiftOut {
        GiftOut {
            id: self.id,
            name: self.name.clone(),
            price: self.price,
            kind: self.kind,
            hot: self.hot,
            listed: self.listed,
            weight: self.weight,
            icon: self.icon,
            animation: self.animation,
            presets: self.presets.clone(),
            starts_at: self.starts_at,
            ends_at: self.ends_at,
        }
    }

    /// On sale at `now`: listed, and inside its window when it has one.
    pub fn on_sale(&self, now: DateTime<Utc>) -> bool {
        self.listed
            && self.starts_at.is_none_or(|s| s <= now)
            && self.ends_at.is_none_or(|e| now < e)
    }
}

/// A kind's stored form.
pub fn kind_str(k: GiftKind) -> &'static str {
    match k {
        GiftKind::Normal => "normal",
        GiftKind::Effect => "effect",
        GiftKind::Rare => "rare",
        GiftKind::Limited => "limited",
    }
}

/// A kind from its stored form.
pub fn kind_of(s: &str) -> GiftKind {
    match s {
        "effect" => GiftKind::Effect,
        "rare" => GiftKind::Rare,
        "limited" => GiftKind::Limited,
        _ => GiftKind::Normal,
    }
}

/// A currency's stored form.
pub fn currency_str(c: Currency) -> &'static str {
    match c {
        Currency::Coins => "coins",
        Currency::Diamonds => "diamonds",
    }
}

/// A currency from its stored form.
pub fn currency_of(s: &str) -> Currency {
    if s == "diamonds" {
        Currency::Diamonds
    } else {
        Currency::Coins
    }
}

/// A source's stored form.
pub fn source_str(s: GiftSource) -> &'static str {
    match s {
        GiftSource::Purchase => "purchase",
        GiftSource::Backpack => "backpack",
    }
}

/// A source from its stored form.
pub fn source_of(s: &str) -> GiftSource {
    if s == "backpack" {
        GiftSource::Backpack
    } else {
        GiftSource::Purchase
    }
}

/// A gift's name: 1–40 characters of display text.
pub fn name(raw: &str) -> Result<String, ApiError> {
    crate::accounts::model::display_text("name", raw, 1, MAX_NAME_CHARS)
}

/// A price of 1–[`MAX_PRICE`] coins.
pub fn price(p: i64) -> Result<i64, ApiError> {
    if !(1..=MAX_PRICE).contains(&p) {
        return Err(GiftsError::Invalid("price", "1 to 100,000,000 coins").into());
    }
    Ok(p)
}

/// Presets: 1–8 distinct counts of 1–[`MAX_COUNT`], kept sorted.
pub fn presets(raw: &[u32]) -> Result<Vec<u32>, ApiError> {
    let mut p = raw.to_vec();
    p.sort_unstable();
    p.dedup();
    if p.is_empty()
        || p.len() != raw.len()
        || p.len() > MAX_PRESETS
        || p.iter().any(|&c| !(1..=MAX_COUNT).contains(&c))
    {
        return Err(GiftsError::Invalid("presets", "1 to 8 distinct counts of 1 to 9,999").into());
    }
    Ok(p)
}

/// A sale window: both ends or neither for a `limited` gift (both required), end after start.
pub fn window(
    kind: GiftKind,
    starts_at: Option<DateTime<Utc>>,
    ends_at: Option<DateTime<Utc>>,
) -> Result<(), ApiError> {
    if let (Some(s), Some(e)) = (starts_at, ends_at)
        && e <= s
    {
        return Err(GiftsError::Invalid("ends_at", "must be after starts_at").into());
    }
    if kind == GiftKind::Limited && (starts_at.is_none() || ends_at.is_none()) {
        return Err(
            GiftsError::Invalid("starts_at", "a limited gift needs starts_at and ends_at").into(),
        );
    }
    Ok(())
}

/// A gift count of 1–[`MAX_COUNT`].
pub fn count(n: u32) -> Result<u32, ApiError> {
    if !(1..=MAX_COUNT).contains(&n) {
        return Err(GiftsError::Invalid("count", "1 to 9,999").into());
    }
    Ok(n)
}

/// An idempotency key: 1–64 of `A-Za-z0-9_-`.
pub fn client_key(field: &'static str, raw: &str) -> Result<(), ApiError> {
    let ok = (1..=64).contains(&raw.len())
        && raw
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if !ok {
        return Err(GiftsError::Invalid(field, "1 to 64 of A-Z, a-z, 0-9, _ and -").into());
    }
    Ok(())
}

/// A reason: 1–200 characters of display text.
pub fn reason(raw: &str) -> Result<String, ApiError> {
    crate::accounts::model::display_text("reason", raw, 1, MAX_REASON_CHARS)
}

/// An amount of 1–[`MAX_AMOUNT`] (by magnitude, for `field`).
pub fn amount(field: &'static str, n: i64) -> Result<i64, ApiError> {
    if n == 0 || n.unsigned_abs() > MAX_AMOUNT.unsigned_abs() {
        return Err(GiftsError::Invalid(field, "non-zero, at most 1,000,000,000 by size").into());
    }
    Ok(n)
}

/// The level that `spent` lifetime coins reach through `thresholds`.
pub fn level_for(spent: i64, thresholds: &[i64]) -> u32 {
    let reached = thresholds.iter().take_while(|&&t| spent >= t).count();
    u32::try_from(reached).unwrap_or(u32::MAX)
}

/// The receiver's diamonds for a send worth `value` at `share_percent`, rounded down.
pub fn diamonds_for(value: i64, share_percent: u32) -> i64 {
    // value ≤ 9,999 × 100,000,000 < 2^40 and share ≤ 100: the product fits easily.
    value.saturating_mul(i64::from(share_percent)) / 100
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_thresholds() {
        let t = [100, 1_000, 5_000];
        assert_eq!(level_for(0, &t), 0);
        assert_eq!(level_for(99, &t), 0);
        assert_eq!(level_for(100, &t), 1);
        assert_eq!(level_for(4_999, &t), 2);
        assert_eq!(level_for(1_000_000, &t), 3);
        assert_eq!(level_for(5, &[]), 0);
    }

    #[test]
    fn diamonds_round_down() {
        assert_eq!(diamonds_for(10, 70), 7);
        assert_eq!(diamonds_for(1, 70), 0);
        assert_eq!(diamonds_for(999_900_000_000, 100), 999_900_000_000);
    }

    #[test]
    fn presets_are_distinct_and_bounded() {
        assert_eq!(presets(&[10, 1, 99]).unwrap(), vec![1, 10, 99]);
        assert!(presets(&[]).is_err());
        assert!(presets(&[1, 1]).is_err());
        assert!(presets(&[0]).is_err());
        assert!(presets(&[10_000]).is_err());
        assert!(presets(&[1, 2, 3, 4, 5, 6, 7, 8, 9]).is_err());
    }

    #[test]
    fn keys_are_short_and_plain() {
        assert!(client_key("k", "a-b_C9").is_ok());
        assert!(client_key("k", "").is_err());
        assert!(client_key("k", "a:b").is_err());
        assert!(client_key("k", &"x".repeat(65)).is_err());
    }
}
