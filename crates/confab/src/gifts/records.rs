//! Records and rankings: a user's sent and received gifts, leaderboards (summed from the
//! sends, which commit with their ledger rows, so they can always be recomputed), and an
//! administrator's reversal of a send: compensating ledger rows, nothing deleted.

use chrono::{DateTime, Datelike, Duration, NaiveTime, Utc};
use confab_proto::gifts::{
    Board, Currency, GiftSendOut, LeaderboardOut, LeaderboardQuery, PageQuery, Period, RankOut,
    SendsPage,
};
use confab_proto::ids::{GiftId, GiftSendId, RoomId, UserId};
use sea_orm::TransactionTrait;

use super::error::GiftsError;
use super::ledger::{Books, db_err, with_retries};
use super::model::{self, source_of};
use super::store::backpack;
use super::store::sends;
pub use super::store::sends::Side;
use super::wallet::{self, page_bounds, spend};
use crate::error::ApiError;
use crate::state::AppState;
use confab_proto::gifts::GiftSource;

/// My sent (or received) gifts, newest first.
pub async fn page(
    state: &AppState,
    me: UserId,
    side: Side,
    q: PageQuery,
) -> Result<SendsPage, ApiError> {
    let (limit, before) = page_bounds(&q)?;
    let rows = sends::page(state.store.reader(), me, side, before, limit).await?;
    let next_cursor = (rows.len() as u64 == limit)
        .then(|| rows.last().map(|r| r.id.to_string()))
        .flatten();
    Ok(SendsPage {
        sends: rows.iter().map(sends::Row::out).collect(),
        next_cursor,
    })
}

/// Where a period starts: today 00:00 UTC, this Monday 00:00 UTC, or ever.
pub fn period_start(period: Period, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
    let midnight = now.date_naive().and_time(NaiveTime::MIN).and_utc();
    match period {
        Period::Day => Some(midnight),
        Period::Week => {
            let back = i64::from(now.weekday().num_days_from_monday());
            Some(midnight - Duration::days(back))
        }
        Period::All => None,
    }
}

/// A leaderboard, global or of one room.
pub async fn leaderboard(
    state: &AppState,
    q: LeaderboardQuery,
) -> Result<LeaderboardOut, ApiError> {
    let limit = q.limit.unwrap_or(20);
    if !(1..=100).contains(&limit) {
        return Err(GiftsError::Invalid("limit", "1 to 100").into());
    }
    if let Some(r) = q.room_id {
        // 404 for a room that never existed; a closed room's board stays readable.
        crate::rooms::gifting::exists(state, r).await?;
    }
    let since = period_start(q.period, state.clock.now());
    let receivers = q.board == Board::Receivers;
    let scores = sends::leaders(
        state.store.reader(),
        receivers,
        q.room_id,
        since,
        u64::from(limit),
    )
    .await?;
    let ids: Vec<UserId> = scores.iter().map(|s| UserId(s.user_id)).collect();
    let users = crate::accounts::service::public_users(state, &ids).await?;
    let entries = scores
        .iter()
        .filter_map(|s| users.get(&UserId(s.user_id)).map(|u| (u, s.score)))
        .enumerate()
        .map(|(i, (u, score))| RankOut {
            rank: u32::try_from(i + 1).unwrap_or(u32::MAX),
            user: u.clone(),
            score,
        })
        .collect();
    Ok(LeaderboardOut {
        board: q.board,
        period: q.period,
        room_id: q.room_id,
        since,
        entries,
    })
}

/// An administrator reverses a send: the sender gets their coins back (or their items, as
/// a new stack that never expires), the receiver gives back the diamonds (refused with
/// `insufficient_balance` when they no longer hold them), the platform's rows mirror both,
/// the room's counters move back. The send stays, marked reversed; so does its message.
pub async fn reverse(
    state: &AppState,
    admin: UserId,
    id: GiftSendId,
    reason: &str,
) -> Result<GiftSendOut, ApiError> {
    let reason = model::reason(reason)?;
    let first = sends::find(state.store.reader(), id)
        .await?
        .ok_or(GiftsError::NoSend)?;
    let conv = confab_proto::ids::ConversationId(first.conversation_id);
    with_retries(|| async move {
        let txn = state.store.writer().begin().await.map_err(db_err)?;
        // The conversation first, as a send takes it (the same lock order).
        crate::messaging::window::lock(&txn, conv)
            .await
            .map_err(db_err)?;
        let books = Books::new(&txn, &state.ids, state.clock.now());
        if !sends::mark_reversed(&txn, id, admin, books.now()).await? {
            return Err(GiftsError::AlreadyReversed.into());
        }
        let s = sends::find(&txn, id).await?.ok_or(GiftsError::NoSend)?;
        let sender = UserId(s.sender_id);
        let receiver = UserId(s.receiver_id);
        let reference = format!("send:{}", s.id);
        if source_of(&s.source) == GiftSource::Backpack {
            let count = u32::try_from(s.count).unwrap_or(0);
            let item = state.ids.next_id();
            let gift = GiftId(s.gift_id);
            backpack::grant(
                &txn,
                item,
                sender,
                gift,
                count,
                None,
                "reversal",
                books.now(),
            )
            .await?;
        }
        let refund = async |books: &Books<'_>| -> Result<(), ApiError> {
            if s.cost > 0 {
                books
                    .post(sender, Currency::Coins, s.cost, "reversal", &reference)
                    .await?;
                books
                    .platform(Currency::Coins, -s.cost, "reversal", &reference)
                    .await?;
                spend(state, books, sender, -s.cost).await?;
            }
            Ok(())
        };
        let claw = async |books: &Books<'_>| -> Result<(), ApiError> {
            if s.diamonds > 0 {
                books
                    .post(
                        receiver,
                        Currency::Diamonds,
                        -s.diamonds,
                        "reversal",
                        &reference,
                    )
                    .await?;
                books
                    .platform(Currency::Diamonds, s.diamonds, "reversal", &reference)
                    .await?;
            }
            Ok(())
        };
        if sender.0 < receiver.0 {
            refund(&books).await?;
            claw(&books).await?;
        } else {
            claw(&books).await?;
            refund(&books).await?;
        }
        if let Some(r) = s.room_id {
            let room = RoomId(r);
            // Marked reversed above, so this asks about the sender's other sends here.
            let sender_gone = !sends::sent_in_room(&txn, room, sender).await?;
            crate::rooms::gifting::unrecord(&txn, room, i64::from(s.count), s.value, sender_gone)
                .await?;
        }
        txn.commit().await.map_err(db_err)
    })
    .await?;
    let details = serde_json::json!({ "reason": reason, "value": first.value });
    crate::moderation::audit::audit(
        state,
        admin,
        "gift.reverse",
        "gift_send",
        id.to_string(),
        details,
    )
    .await?;
    wallet::tell(state, UserId(first.sender_id)).await;
    wallet::tell(state, UserId(first.receiver_id)).await;
    let s = sends::find(state.store.writer(), id)
        .await?
        .ok_or(GiftsError::NoSend)?;
    Ok(s.out())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn periods_start_at_utc_midnight_and_monday() {
        // Wednesday 2026-12-02 18:47 UTC.
        let now = DateTime::parse_from_rfc3339("2026-12-02T18:47:00Z")
            .unwrap()
            .to_utc();
        let day = period_start(Period::Day, now).unwrap();
        assert_eq!(day.to_rfc3339(), "2026-12-02T00:00:00+00:00");
        let week = period_start(Period::Week, now).unwrap();
        assert_eq!(week.to_rfc3339(), "2026-11-30T00:00:00+00:00");
        assert!(period_start(Period::All, now).is_none());
    }
}
