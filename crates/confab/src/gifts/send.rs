//! Sending a gift: one transaction that takes the conversation's lock (ordered with chat
//! sends and membership changes), re-checks that both users are members, takes backpack
//! items or debits the sender's coins (a conditional update), credits the receiver's
//! diamonds at the configured share (stored on the send), writes the ledger rows of both
//! sides, moves a room's counters, stores the `gift` message with the next seq and the send
//! row keyed by (sender, client key). Either all of it commits or none does; a retry with
//! the same key answers the stored send and charges nothing.

use chrono::Duration;
use confab_proto::gifts::{
    Currency, GiftSentData, GiftSource, RoomGiftTotals, SendGiftIn, SendGiftOut,
};
use confab_proto::ids::{ConversationId, RoomId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::error::GiftsError;
use super::ledger::{Books, db_err, with_retries};
use super::model::{self, Gift, source_str};
use super::store::{backpack, catalog, sends};
use super::wallet::{self, spend};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::to_ms;
use crate::messaging::Message;
use crate::messaging::model::ConversationKind;
use crate::messaging::window;
use crate::state::AppState;

/// A checked request: where, what, and what it costs.
struct Plan {
    key: String,
    receiver: UserId,
    gift: Gift,
    count: u32,
    source: GiftSource,
    message: String,
    conv: ConversationId,
    room: Option<RoomId>,
    value: i64,
    cost: i64,
    diamonds: i64,
    share: u32,
}

/// Sends a gift (see the module doc).
pub async fn send(
    state: &AppState,
    me: UserId,
    input: SendGiftIn,
) -> Result<SendGiftOut, ApiError> {
    model::client_key("client_key", &input.client_key)?;
    let count = model::count(input.count)?;
    let message = match input.message.as_deref().map(str::trim) {
        None | Some("") => String::new(),
        Some(m) => {
            let m =
                crate::accounts::model::display_text("message", m, 1, model::MAX_MESSAGE_CHARS)?;
            crate::moderation::screen::screen(state, "message", &m)?.text
        }
    };
    if input.receiver_id == me {
        return Err(GiftsError::ToSelf.into());
    }
    if input.room_id.is_some() == input.conversation_id.is_some() {
        return Err(GiftsError::Place.into());
    }
    // A retry first: it answers the stored send even if the room closed meanwhile.
    if let Some(first) = sends::find_by_key(state.store.writer(), me, &input.client_key).await? {
        return replay(state, me, first, &input, &message).await;
    }
    let (conv, room) = match (input.room_id, input.conversation_id) {
        (Some(r), _) => (crate::rooms::gifting::chat_of(state, r).await?, Some(r)),
        (None, Some(c)) => (c, None),
        (None, None) => return Err(GiftsError::Place.into()),
    };
    let kind = crate::messaging::service::check_may_post(state, me, conv).await?;
    if room.is_none() && kind == ConversationKind::Room {
        // A room's chat takes room gifts (`room_id`), which move the room's counters.
        return Err(GiftsError::Place.into());
    }
    if crate::social::service::is_blocked_either_way(state, me, input.receiver_id).await? {
        return Err(GiftsError::Blocked.into());
    }
    let gift = catalog::find(state.store.reader(), input.gift_id)
        .await?
        .ok_or(GiftsError::NoGift)?;
    if input.source == GiftSource::Purchase && !gift.on_sale(state.clock.now()) {
        return Err(GiftsError::Unavailable.into());
    }
    let value = gift.price.saturating_mul(i64::from(count));
    let share = state.config.gifts.receiver_share_percent;
    let plan = Plan {
        key: input.client_key.clone(),
        receiver: input.receiver_id,
        count,
        source: input.source,
        message,
        conv,
        room,
        value,
        cost: if input.source == GiftSource::Purchase {
            value
        } else {
            0
        },
        diamonds: model::diamonds_for(value, share),
        share,
        gift,
    };
    let done = with_retries(|| commit(state, me, &plan)).await;
    let (row, msg, totals) = match done {
        Ok(d) => d,
        Err(e) if e.is_unique_violation() => {
            // The same key committed meanwhile (another node, a parallel retry).
            let first = sends::find_by_key(state.store.writer(), me, &plan.key)
                .await?
                .ok_or(e)?;
            return replay(state, me, first, &input, &plan.message).await;
        }
        Err(e) => return Err(e),
    };
    publish(state, &row, &msg, totals).await;
    Ok(SendGiftOut {
        send: row.out(),
        wallet: wallet::wallet_out(state, me).await?,
        replayed: false,
    })
}

/// The transaction (see the module doc); answers the stored send, its message and the
/// room's counters.
async fn commit(
    state: &AppState,
    me: UserId,
    p: &Plan,
) -> Result<(sends::Row, Message, Option<RoomGiftTotals>), ApiError> {
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    let mut lock = window::lock(&txn, p.conv)
        .await
        .map_err(db_err)?
        .ok_or(GiftsError::NotMember)?;
    if !window::is_active_member(&txn, &lock, me)
        .await
        .map_err(db_err)?
    {
        return Err(GiftsError::NotMember.into());
    }
    if !window::is_active_member(&txn, &lock, p.receiver)
        .await
        .map_err(db_err)?
    {
        return Err(GiftsError::ReceiverAbsent.into());
    }
    let books = Books::new(&txn, &state.ids, state.clock.now());
    let now = books.now();
    let id = state.ids.next_id();
    // Lock order: the conversation, then the sender's backpack, then wallets by user id.
    if p.source == GiftSource::Backpack
        && !backpack::take(&txn, me, p.gift.id, p.count, now).await?
    {
        return Err(GiftsError::TooFewItems.into());
    }
    let reference = format!("send:{id}");
    if me.0 < p.receiver.0 {
        charge(state, &books, me, p, &reference).await?;
        pay(&books, p, &reference).await?;
    } else {
        pay(&books, p, &reference).await?;
        charge(state, &books, me, p, &reference).await?;
    }
    let (combo_id, combo_count) = combo(state, &txn, me, p, id).await?;
    let totals = match p.room {
        Some(r) => {
            let new_sender = !sends::sent_in_room(&txn, r, me).await?;
            let gifts = i64::from(p.count);
            Some(crate::rooms::gifting::record(&txn, r, gifts, p.value, new_sender).await?)
        }
        None => None,
    };
    let body = serde_json::json!({
        "send_id": id.to_string(),
        "gift_id": p.gift.id,
        "gift_name": p.gift.name,
        "count": p.count,
        "receiver_id": p.receiver,
        "value": p.value,
        "combo_id": combo_id.to_string(),
        "combo_count": combo_count,
        "message": p.message,
    });
    let msg = window::append_gift(&txn, &state.ids, &mut lock, me, &body, now)
        .await
        .map_err(db_err)?;
    let row = sends::Row {
        id,
        sender_id: me.0,
        client_key: p.key.clone(),
        receiver_id: p.receiver.0,
        gift_id: p.gift.id.0,
        gift_name: p.gift.name.clone(),
        count: i32::try_from(p.count).unwrap_or(i32::MAX),
        unit_price: p.gift.price,
        value: p.value,
        cost: p.cost,
        diamonds: p.diamonds,
        share_percent: i32::try_from(p.share).unwrap_or(0),
        source: source_str(p.source).to_owned(),
        room_id: p.room.map(|r| r.0),
        conversation_id: p.conv.0,
        seq: msg.seq,
        combo_id,
        combo_count: i32::try_from(combo_count).unwrap_or(i32::MAX),
        message: p.message.clone(),
        created_at: to_ms(now),
        reversed_at: None,
    };
    sends::insert(&txn, &row).await?;
    txn.commit().await.map_err(db_err)?;
    Ok((row, msg, totals))
}

/// The sender's side: coins out (a purchase), the platform's coins in, the lifetime spend.
async fn charge(
    state: &AppState,
    books: &Books<'_>,
    me: UserId,
    p: &Plan,
    reference: &str,
) -> Result<(), ApiError> {
    if p.cost == 0 {
        return Ok(());
    }
    books
        .post(me, Currency::Coins, -p.cost, "gift_sent", reference)
        .await?;
    books
        .platform(Currency::Coins, p.cost, "gift_sent", reference)
        .await?;
    spend(state, books, me, p.cost).await
}

/// The receiver's side: diamonds in, issued by the platform.
async fn pay(books: &Books<'_>, p: &Plan, reference: &str) -> Result<(), ApiError> {
    if p.diamonds == 0 {
        return Ok(());
    }
    books
        .post(
            p.receiver,
            Currency::Diamonds,
            p.diamonds,
            "gift_received",
            reference,
        )
        .await?;
    books
        .platform(Currency::Diamonds, -p.diamonds, "gift_received", reference)
        .await
}

/// The combo this send continues (the sender's previous send: the same gift to the same
/// receiver in the same place, within the combo window), or a new one.
async fn combo(
    state: &AppState,
    txn: &sea_orm::DatabaseTransaction,
    me: UserId,
    p: &Plan,
    id: i64,
) -> Result<(i64, u32), ApiError> {
    let window =
        Duration::seconds(i64::try_from(state.config.gifts.combo_window_secs).unwrap_or(0));
    let since = to_ms(state.clock.now() - window);
    Ok(match sends::latest_of(txn, me).await? {
        Some(prev)
            if prev.gift_id == p.gift.id.0
                && prev.receiver_id == p.receiver.0
                && prev.conversation_id == p.conv.0
                && prev.reversed_at.is_none()
                && prev.created_at >= since =>
        {
            let before = u32::try_from(prev.combo_count).unwrap_or(0);
            (prev.combo_id, before.saturating_add(p.count))
        }
        _ => (id, p.count),
    })
}

/// The answer to a retried key: the first send, when the request is the same; `key_reused`
/// when it differs.
async fn replay(
    state: &AppState,
    me: UserId,
    first: sends::Row,
    input: &SendGiftIn,
    message: &str,
) -> Result<SendGiftOut, ApiError> {
    let same_place = match input.room_id {
        Some(r) => first.room_id == Some(r.0),
        None => {
            first.room_id.is_none()
                && Some(first.conversation_id) == input.conversation_id.map(|c| c.0)
        }
    };
    let same = first.receiver_id == input.receiver_id.0
        && first.gift_id == input.gift_id.0
        && first.count == i32::try_from(input.count).unwrap_or(-1)
        && same_place
        && first.source == source_str(input.source)
        && first.message == message;
    if !same {
        return Err(GiftsError::KeyReused.into());
    }
    Ok(SendGiftOut {
        send: first.out(),
        wallet: wallet::wallet_out(state, me).await?,
        replayed: true,
    })
}

/// After the commit: the gift message, `gift.sent`, and both wallets.
async fn publish(
    state: &AppState,
    row: &sends::Row,
    msg: &Message,
    totals: Option<RoomGiftTotals>,
) {
    let topic = Topic::Conversation(ConversationId(row.conversation_id));
    let new = ServerEvent::MessageNew(crate::messaging::service::message_out(msg));
    crate::push::emit(state, topic, &new).await;
    let sent = ServerEvent::GiftSent(Box::new(GiftSentData {
        send: row.out(),
        room_totals: totals,
    }));
    crate::push::emit(state, topic, &sent).await;
    wallet::tell(state, UserId(row.sender_id)).await;
    wallet::tell(state, UserId(row.receiver_id)).await;
}
