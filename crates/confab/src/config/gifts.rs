//! `[gifts]`: the economy (docs/gifts.md): the receiver's share, combos, levels, VIP, and the
//! payment provider's top-up notices.

use serde::{Deserialize, Serialize};

use super::Secret;

/// `[gifts]`: gifts, wallets and the ledger.
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GiftsConfig {
    /// The receiver's share of a gift's value, in percent, paid in diamonds (the rest is the
    /// platform's). Each send records the share it used, so a change alters nothing past.
    pub receiver_share_percent: u32,
    /// Sends of one gift to one receiver in one place less than this many seconds apart
    /// share a combo.
    pub combo_window_secs: u64,
    /// Lifetime coins spent for levels 1, 2, …: strictly increasing, at most 100.
    pub level_thresholds: Vec<i64>,
    /// Coins for one VIP period (`POST /wallet/vip`).
    pub vip_price_coins: i64,
    /// Days in one VIP period.
    pub vip_days: u32,
    /// The payment provider's HMAC-SHA256 key for `POST /wallet/topups` (at least 32
    /// bytes); empty: top-ups are off (`topups_unavailable`).
    pub topup_secret: Secret,
    /// How far a top-up notice's timestamp may be from now, in seconds.
    pub topup_tolerance_secs: u64,
}

impl Default for GiftsConfig {
    fn default() -> Self {
        Self {
            receiver_share_percent: 70,
            combo_window_secs: 5,
            level_thresholds: vec![
                100, 1_000, 5_000, 20_000, 50_000, 100_000, 300_000, 1_000_000,
            ],
            vip_price_coins: 3_000,
            vip_days: 30,
            topup_secret: Secret::default(),
            topup_tolerance_secs: 300,
        }
    }
}
