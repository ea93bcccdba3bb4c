//! Gift sends: the record of each send (idempotent by sender and client key), combos,
//! records pages, reversals and the leaderboards' sums.

use chrono::{DateTime, Utc};
use confab_proto::gifts::GiftSendOut;
use confab_proto::ids::{ConversationId, GiftId, GiftSendId, RoomId, UserId};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::{all, exec, one, sum};
use crate::gifts::model::source_of;
use crate::infra::store::{StoreError, from_ms, to_ms};

/// A send as stored (the gift's name is joined in on reads).
#[derive(Debug, Clone, FromQueryResult)]
pub struct Row {
    pub id: i64,
    pub sender_id: i64,
    pub client_key: String,
    pub receiver_id: i64,
    pub gift_id: i64,
    pub gift_name: String,
    pub count: i32,
    pub unit_price: i64,
    pub value: i64,
    pub cost: i64,
    pub diamonds: i64,
    pub share_percent: i32,
    pub source: String,
    pub room_id: Option<i64>,
    pub conversation_id: i64,
    pub seq: i64,
    pub combo_id: i64,
    pub combo_count: i32,
    pub message: String,
    pub created_at: i64,
    pub reversed_at: Option<i64>,
}

impl Row {
    /// The wire form.
    pub fn out(&self) -> GiftSendOut {
        GiftSendOut {
            id: GiftSendId(self.id),
            sender_id: UserId(self.sender_id),
            receiver_id: UserId(self.receiver_id),
            gift_id: GiftId(self.gift_id),
            gift_name: self.gift_name.clone(),
            count: u32::try_from(self.count).unwrap_or(0),
            unit_price: self.unit_price,
            value: self.value,
            cost: self.cost,
            diamonds: self.diamonds,
            share_percent: u32::try_from(self.share_percent).unwrap_or(0),
            source: source_of(&self.source),
            room_id: self.room_id.map(RoomId),
            conversation_id: ConversationId(self.conversation_id),
            seq: self.seq,
            combo_id: GiftSendId(self.combo_id),
            combo_count: u32::try_from(self.combo_count).unwrap_or(0),
            message: self.message.clone(),
            created_at: from_ms(self.created_at),
            reversed_at: self.reversed_at.map(from_ms),
        }
    }
}

const SELECT: &str = "SELECT s.id, s.sender_id, s.client_key, s.receiver_id, s.gift_id, \
     g.name AS gift_name, s.count, s.unit_price, s.value, s.cost, s.diamonds, s.share_percent, \
     s.source, s.room_id, s.conversation_id, s.seq, s.combo_id, s.combo_count, s.message, \
     s.created_at, s.reversed_at FROM gift_sends s JOIN gifts g ON g.id = s.gift_id";

/// Stores a send (a reused key fails with a unique violation on `ux_gift_sends_key`).
pub async fn insert(db: &impl ConnectionTrait, r: &Row) -> Result<(), StoreError> {
    exec(
        db,
        "INSERT INTO gift_sends (id, sender_id, client_key, receiver_id, gift_id, count, \
         unit_price, value, cost, diamonds, share_percent, source, room_id, conversation_id, seq, \
         combo_id, combo_count, message, created_at, reversed_at, reversed_by) \
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL, NULL)",
        [
            r.id.into(),
            r.sender_id.into(),
            r.client_key.clone().into(),
            r.receiver_id.into(),
            r.gift_id.into(),
            r.count.into(),
            r.unit_price.into(),
            r.value.into(),
            r.cost.into(),
            r.diamonds.into(),
            r.share_percent.into(),
            r.source.clone().into(),
            r.room_id.into(),
            r.conversation_id.into(),
            r.seq.into(),
            r.combo_id.into(),
            r.combo_count.into(),
            r.message.clone().into(),
            r.created_at.into(),
        ],
    )
    .await?;
    Ok(())
}

/// The send `id`.
pub async fn find(db: &impl ConnectionTrait, id: GiftSendId) -> Result<Option<Row>, StoreError> {
    one::<Row>(db, format!("{SELECT} WHERE s.id = ?"), [id.0.into()]).await
}

/// The sender's send with `key`.
pub async fn find_by_key(
    db: &impl ConnectionTrait,
    sender: UserId,
    key: &str,
) -> Result<Option<Row>, StoreError> {
    one::<Row>(
        db,
        format!("{SELECT} WHERE s.sender_id = ? AND s.client_key = ?"),
        [sender.0.into(), key.into()],
    )
    .await
}

/// The sender's newest send (a combo continues it).
pub async fn latest_of(
    db: &impl ConnectionTrait,
    sender: UserId,
) -> Result<Option<Row>, StoreError> {
    one::<Row>(
        db,
        format!("{SELECT} WHERE s.sender_id = ? ORDER BY s.id DESC LIMIT 1"),
        [sender.0.into()],
    )
    .await
}

/// Whether the sender has a send in the room that was not reversed.
pub async fn sent_in_room(
    db: &impl ConnectionTrait,
    room: RoomId,
    sender: UserId,
) -> Result<bool, StoreError> {
    #[derive(FromQueryResult)]
    struct Hit {
        #[allow(dead_code)]
        id: i64,
    }
    Ok(one::<Hit>(
        db,
        "SELECT id FROM gift_sends WHERE room_id = ? AND sender_id = ? AND reversed_at IS NULL LIMIT 1",
        [room.0.into(), sender.0.into()],
    )
    .await?
    .is_some())
}

/// Which side of a send a page lists.
#[derive(Clone, Copy, Debug)]
pub enum Side {
    /// Sends by the user.
    Sent,
    /// Sends to the user.
    Received,
}

/// A user's sends or receipts, newest first, older than `before`.
pub async fn page(
    db: &impl ConnectionTrait,
    user: UserId,
    side: Side,
    before: Option<i64>,
    limit: u64,
) -> Result<Vec<Row>, StoreError> {
    let col = match side {
        Side::Sent => "s.sender_id",
        Side::Received => "s.receiver_id",
    };
    all::<Row>(
        db,
        format!("{SELECT} WHERE {col} = ? AND s.id < ? ORDER BY s.id DESC LIMIT {limit}"),
        [user.0.into(), before.unwrap_or(i64::MAX).into()],
    )
    .await
}

/// Marks a send reversed, once: false when it was reversed already.
pub async fn mark_reversed(
    db: &impl ConnectionTrait,
    id: GiftSendId,
    by: UserId,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    Ok(exec(
        db,
        "UPDATE gift_sends SET reversed_at = ?, reversed_by = ? WHERE id = ? AND reversed_at IS NULL",
        [to_ms(now).into(), by.0.into(), id.0.into()],
    )
    .await?
        == 1)
}

/// One leaderboard place.
#[derive(Debug, Clone, FromQueryResult)]
pub struct Score {
    /// Who.
    pub user_id: i64,
    /// Value.
    pub score: i64,
}

/// The top `limit` senders (or receivers) by value since `since` (in `room`, or
/// everywhere), reversed sends left out.
pub async fn leaders(
    db: &impl ConnectionTrait,
    receivers: bool,
    room: Option<RoomId>,
    since: Option<DateTime<Utc>>,
    limit: u64,
) -> Result<Vec<Score>, StoreError> {
    let who = if receivers {
        "receiver_id"
    } else {
        "sender_id"
    };
    let mut filter = String::from("reversed_at IS NULL AND created_at >= ?");
    let mut values: Vec<sea_orm::Value> = vec![since.map_or(0, to_ms).into()];
    if let Some(r) = room {
        filter.push_str(" AND room_id = ?");
        values.push(r.0.into());
    }
    let total = sum(db, "value");
    all::<Score>(
        db,
        format!(
            "SELECT {who} AS user_id, {total} AS score FROM gift_sends WHERE {filter} \
             GROUP BY {who} ORDER BY score DESC, user_id ASC LIMIT {limit}"
        ),
        values,
    )
    .await
}
