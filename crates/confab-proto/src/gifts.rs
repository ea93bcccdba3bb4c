//! Gifts and wallets: the catalog, balances and the ledger, backpacks, sends, records,
//! leaderboards, top-ups, level and VIP (see `docs/gifts.md`). Every amount is an integer.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::accounts::UserOut;
use crate::ids::{
    BackpackItemId, ConversationId, FileId, GiftId, GiftSendId, LedgerEntryId, RoomId, UserId,
    WalletOpId,
};

/// What kind of gift.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GiftKind {
    /// An ordinary gift.
    Normal,
    /// A gift with a full-screen effect.
    Effect,
    /// A rare gift.
    Rare,
    /// On sale only between `starts_at` and `ends_at`.
    Limited,
}

/// A gift in the catalog.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct GiftOut {
    /// Id.
    pub id: GiftId,
    /// Name.
    pub name: String,
    /// Price of one, in coins.
    pub price: i64,
    /// Kind.
    pub kind: GiftKind,
    /// Shown in the "hot" tab.
    pub hot: bool,
    /// On sale (an unlisted gift is hidden from `GET /gifts` and cannot be bought; backpack
    /// items of it stay spendable).
    pub listed: bool,
    /// Higher first.
    pub weight: i32,
    /// Icon image (`GET /files/{id}`, readable by everyone signed in).
    pub icon: Option<FileId>,
    /// Animation file.
    pub animation: Option<FileId>,
    /// Counts the client offers (e.g. 1, 10, 66, 99, 520, 1314).
    pub presets: Vec<u32>,
    /// A limited gift's sale window.
    pub starts_at: Option<DateTime<Utc>>,
    /// End of the window.
    pub ends_at: Option<DateTime<Utc>>,
}

/// `GET /gifts`: the gifts on sale now, by weight (answered with an `ETag`).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct CatalogOut {
    /// Gifts.
    pub gifts: Vec<GiftOut>,
}

/// `POST /admin/gifts`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CreateGiftIn {
    /// 1–40 characters.
    pub name: String,
    /// 1–100,000,000 coins.
    pub price: i64,
    /// Kind (default `normal`); `limited` needs `starts_at` and `ends_at`.
    #[serde(default)]
    pub kind: Option<GiftKind>,
    /// Default false.
    #[serde(default)]
    pub hot: Option<bool>,
    /// Default true.
    #[serde(default)]
    pub listed: Option<bool>,
    /// Default 0; higher first.
    #[serde(default)]
    pub weight: Option<i32>,
    /// An image the admin uploaded.
    #[serde(default)]
    pub icon: Option<FileId>,
    /// A file the admin uploaded.
    #[serde(default)]
    pub animation: Option<FileId>,
    /// 1–8 distinct counts of 1–9,999 (default `[1]`).
    #[serde(default)]
    pub presets: Option<Vec<u32>>,
    /// A limited gift's window.
    #[serde(default)]
    pub starts_at: Option<DateTime<Utc>>,
    /// End of the window (after `starts_at`).
    #[serde(default)]
    pub ends_at: Option<DateTime<Utc>>,
}

/// `PATCH /admin/gifts/{id}`: only the fields present change; `null` clears an optional one.
#[derive(Clone, Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GiftPatch {
    /// 1–40 characters.
    #[serde(default)]
    pub name: Option<String>,
    /// 1–100,000,000 coins (past sends keep the price they paid).
    #[serde(default)]
    pub price: Option<i64>,
    /// Kind.
    #[serde(default)]
    pub kind: Option<GiftKind>,
    /// Hot.
    #[serde(default)]
    pub hot: Option<bool>,
    /// List or unlist.
    #[serde(default)]
    pub listed: Option<bool>,
    /// Weight.
    #[serde(default)]
    pub weight: Option<i32>,
    /// Icon, or `null`.
    #[serde(default, with = "crate::accounts::double_option")]
    #[schema(value_type = Option<String>)]
    pub icon: Option<Option<FileId>>,
    /// Animation, or `null`.
    #[serde(default, with = "crate::accounts::double_option")]
    #[schema(value_type = Option<String>)]
    pub animation: Option<Option<FileId>>,
    /// Presets.
    #[serde(default)]
    pub presets: Option<Vec<u32>>,
    /// Window start, or `null`.
    #[serde(default, with = "crate::accounts::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub starts_at: Option<Option<DateTime<Utc>>>,
    /// Window end, or `null`.
    #[serde(default, with = "crate::accounts::double_option")]
    #[schema(value_type = Option<DateTime<Utc>>)]
    pub ends_at: Option<Option<DateTime<Utc>>>,
}

/// `GET /admin/gifts`: every gift, listed or not.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct AdminCatalogOut {
    /// Gifts.
    pub gifts: Vec<GiftOut>,
}

/// A currency.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Currency {
    /// Bought (top-ups) and spent on gifts and VIP.
    Coins,
    /// Earned by receiving gifts.
    Diamonds,
}

/// A wallet: `GET /wallet`.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct WalletOut {
    /// Whose.
    pub user_id: UserId,
    /// Coins.
    pub coins: i64,
    /// Diamonds.
    pub diamonds: i64,
    /// Coins spent over the account's life (the level derives from it).
    pub spent: i64,
    /// Level.
    pub level: u32,
    /// VIP until then.
    pub vip_until: Option<DateTime<Utc>>,
}

/// One ledger row: a change of one balance.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct LedgerEntryOut {
    /// Id (ordered by time).
    pub id: LedgerEntryId,
    /// Currency.
    pub currency: Currency,
    /// Change (negative: a debit).
    pub delta: i64,
    /// The balance after it.
    pub balance: i64,
    /// `topup`, `credit`, `debit`, `gift_sent`, `gift_received`, `reversal`, `vip`.
    pub reason: String,
    /// What caused it: `send:<id>`, `topup:<order id>`, `op:<id>`.
    pub reference: String,
    /// When.
    pub created_at: DateTime<Utc>,
}

/// `GET /wallet/ledger`: newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LedgerPage {
    /// Rows.
    pub entries: Vec<LedgerEntryOut>,
    /// Pass as `cursor` for older rows; absent at the end.
    pub next_cursor: Option<String>,
}

/// A cursor-paged list's query.
#[derive(Clone, Debug, Default, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct PageQuery {
    /// From a previous page's `next_cursor`.
    pub cursor: Option<String>,
    /// 1–100 (default 50).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// `POST /admin/wallets/{user_id}/adjustments`: credit or debit a balance.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct AdjustmentIn {
    /// Which balance.
    pub currency: Currency,
    /// Non-zero, |delta| ≤ 1,000,000,000; a debit never takes a balance below zero.
    pub delta: i64,
    /// Why (1–200 characters; in the ledger's operation row and the audit log).
    pub reason: String,
    /// Makes a retry a replay (1–64 of `A-Za-z0-9_-`).
    #[serde(default)]
    pub client_key: Option<String>,
}

/// An applied admin adjustment or VIP purchase.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WalletOpOut {
    /// The operation.
    pub id: WalletOpId,
    /// The wallet after it.
    pub wallet: WalletOut,
    /// True when this answered a retry of an earlier request (nothing changed again).
    pub replayed: bool,
}

/// `POST /wallet/topups`: a payment provider's notice, signed (see docs/gifts.md).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopupIn {
    /// The provider's order id (1–128 printable ASCII): an order credits once.
    pub order_id: String,
    /// Whose wallet.
    pub user_id: UserId,
    /// Coins to credit: 1–1,000,000,000.
    pub coins: i64,
    /// What the user paid, in the currency's minor unit (informational).
    #[serde(default)]
    pub amount: Option<i64>,
    /// ISO 4217 code of `amount` (informational).
    #[serde(default)]
    pub currency: Option<String>,
    /// Backpack items granted with the top-up (at most 10).
    #[serde(default)]
    pub bonus: Vec<GrantIn>,
}

/// The answer to a top-up notice.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct TopupOut {
    /// The order.
    pub order_id: String,
    /// Credited.
    pub user_id: UserId,
    /// Coins credited by the order.
    pub coins: i64,
    /// False when the order was credited before (a replay credits nothing).
    pub credited: bool,
}

/// Backpack items to grant (admin, or a top-up bonus).
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct GrantIn {
    /// Which gift.
    pub gift_id: GiftId,
    /// 1–100,000.
    pub count: u32,
    /// When they expire (in the future); absent: never.
    #[serde(default)]
    pub expires_at: Option<DateTime<Utc>>,
}

/// A stack of backpack items.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct BackpackItemOut {
    /// Id.
    pub id: BackpackItemId,
    /// Which gift.
    pub gift_id: GiftId,
    /// How many are left.
    pub count: u32,
    /// Expiry (absent: never).
    pub expires_at: Option<DateTime<Utc>>,
    /// Granted.
    pub created_at: DateTime<Utc>,
}

/// `GET /wallet/backpack`: spendable items, soonest-expiring first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct BackpackOut {
    /// Items.
    pub items: Vec<BackpackItemOut>,
}

/// Where a send's gifts come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum GiftSource {
    /// Bought now with coins.
    #[default]
    Purchase,
    /// From my backpack (soonest-expiring items first).
    Backpack,
}

/// `POST /gifts/sends`: send a gift to a user in a room or a conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SendGiftIn {
    /// Idempotency key (1–64 of `A-Za-z0-9_-`): a retry with the same key returns the
    /// first result and charges nothing; the same key with other content is `409`.
    pub client_key: String,
    /// Which gift.
    pub gift_id: GiftId,
    /// 1–9,999.
    pub count: u32,
    /// Who receives it.
    pub receiver_id: UserId,
    /// In this room (both in it now). Exactly one of `room_id` and `conversation_id`.
    #[serde(default)]
    pub room_id: Option<RoomId>,
    /// In this conversation (both members).
    #[serde(default)]
    pub conversation_id: Option<ConversationId>,
    /// Default `purchase`.
    #[serde(default)]
    pub source: GiftSource,
    /// Up to 100 characters.
    #[serde(default)]
    pub message: Option<String>,
}

/// One send.
#[derive(Clone, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct GiftSendOut {
    /// Id.
    pub id: GiftSendId,
    /// Sender.
    pub sender_id: UserId,
    /// Receiver.
    pub receiver_id: UserId,
    /// Gift.
    pub gift_id: GiftId,
    /// The gift's current name in the catalog (the `gift` message keeps the name it had when sent).
    pub gift_name: String,
    /// How many.
    pub count: u32,
    /// Price of one at the time.
    pub unit_price: i64,
    /// `unit_price × count`: what the send is worth (leaderboards).
    pub value: i64,
    /// Coins charged (0 from the backpack).
    pub cost: i64,
    /// Diamonds the receiver earned.
    pub diamonds: i64,
    /// The receiver's share, in percent, as configured at the time of the send.
    pub share_percent: u32,
    /// Where the gifts came from.
    pub source: GiftSource,
    /// The room, for a room gift.
    pub room_id: Option<RoomId>,
    /// The conversation that holds the gift message.
    pub conversation_id: ConversationId,
    /// The gift message's seq.
    pub seq: i64,
    /// Consecutive sends of one gift to one receiver share a combo (the first send's id).
    pub combo_id: GiftSendId,
    /// The combo's running count, this send included.
    pub combo_count: u32,
    /// The sender's message.
    pub message: String,
    /// When.
    pub created_at: DateTime<Utc>,
    /// Reversed by an admin then (charged back).
    pub reversed_at: Option<DateTime<Utc>>,
}

/// The answer to a send.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SendGiftOut {
    /// The send.
    pub send: GiftSendOut,
    /// My wallet after it.
    pub wallet: WalletOut,
    /// True when this answered a retry (nothing was charged again).
    pub replayed: bool,
}

/// `GET /gifts/sent`, `GET /gifts/received`: newest first.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct SendsPage {
    /// Sends.
    pub sends: Vec<GiftSendOut>,
    /// Pass as `cursor` for older ones.
    pub next_cursor: Option<String>,
}

/// A room's gift counters (since it opened).
#[derive(Clone, Copy, Debug, Default, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct RoomGiftTotals {
    /// Gifts sent (counts summed).
    pub gifts: i64,
    /// Their value in coins.
    pub coins: i64,
    /// Distinct senders.
    pub senders: i64,
}

/// `gift.sent`: to the room or conversation.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct GiftSentData {
    /// The send.
    pub send: GiftSendOut,
    /// The room's counters after it (room gifts).
    pub room_totals: Option<RoomGiftTotals>,
}

/// `wallet.updated`: to the wallet's owner, after any change.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct WalletUpdatedData {
    /// The wallet now.
    pub wallet: WalletOut,
}

/// Which side of the sends a leaderboard ranks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Board {
    /// By value sent.
    Senders,
    /// By value received.
    Receivers,
}

/// A leaderboard's period.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Period {
    /// Since 00:00 UTC today.
    Day,
    /// Since Monday 00:00 UTC.
    Week,
    /// Ever.
    All,
}

/// `GET /gifts/leaderboard`.
#[derive(Clone, Debug, Serialize, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct LeaderboardQuery {
    /// `senders` or `receivers`.
    pub board: Board,
    /// `day`, `week` or `all`.
    pub period: Period,
    /// One room's board (absent: global).
    pub room_id: Option<RoomId>,
    /// 1–100 (default 20).
    #[param(minimum = 1, maximum = 100)]
    pub limit: Option<u32>,
}

/// One place on a leaderboard.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct RankOut {
    /// 1-based.
    pub rank: u32,
    /// Who.
    pub user: UserOut,
    /// Value sent or received, in coins.
    pub score: i64,
}

/// A leaderboard.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct LeaderboardOut {
    /// Which side.
    pub board: Board,
    /// Which period.
    pub period: Period,
    /// The room (absent: global).
    pub room_id: Option<RoomId>,
    /// Start of the period (absent for `all`).
    pub since: Option<DateTime<Utc>>,
    /// Highest first.
    pub entries: Vec<RankOut>,
}

/// `POST /wallet/vip`: buy VIP with coins.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct BuyVipIn {
    /// How many periods of `gifts.vip_days` (1–12).
    pub periods: u32,
    /// Makes a retry a replay (1–64 of `A-Za-z0-9_-`).
    pub client_key: String,
}

/// `PUT /admin/users/{id}/vip`: set or clear VIP.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct VipIn {
    /// VIP until then; `null` ends it now.
    pub until: Option<DateTime<Utc>>,
}

/// `POST /admin/gift-sends/{id}/reverse`.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReverseIn {
    /// Why (1–200 characters; in the audit log).
    pub reason: String,
}

/// One currency's totals in a reconciliation.
#[derive(Clone, Copy, Debug, Serialize, Deserialize, PartialEq, Eq, ToSchema)]
pub struct CurrencyTotals {
    /// Σ of every wallet's balance.
    pub balances: i64,
    /// Σ of the ledger rows of user accounts.
    pub user_ledger: i64,
    /// Σ of the platform account's rows (the other side of every entry).
    pub platform_ledger: i64,
}

/// `GET /admin/wallets/reconciliation`: the books, checked.
#[derive(Clone, Debug, Serialize, Deserialize, ToSchema)]
pub struct ReconciliationOut {
    /// Coins.
    pub coins: CurrencyTotals,
    /// Diamonds.
    pub diamonds: CurrencyTotals,
    /// Wallets whose balance differs from the sum of their ledger rows, or is negative (at
    /// most 100).
    pub mismatched: Vec<UserId>,
    /// Every balance equals its ledger, none is negative, and each currency's ledger sums
    /// to zero.
    pub balanced: bool,
}
