//! Backpack items: grants, what is spendable, taking items soonest-expiring first.

use chrono::{DateTime, Utc};
use confab_proto::gifts::BackpackItemOut;
use confab_proto::ids::{BackpackItemId, GiftId, UserId};
use sea_orm::{ConnectionTrait, FromQueryResult};

use super::{all, exec, for_update};
use crate::infra::store::{StoreError, from_ms, to_ms};

#[derive(Debug, Clone, FromQueryResult)]
struct Row {
    id: i64,
    gift_id: i64,
    count: i32,
    expires_at: Option<i64>,
    created_at: i64,
}

/// Adds a stack of items.
#[allow(clippy::too_many_arguments)]
pub async fn grant(
    db: &impl ConnectionTrait,
    id: i64,
    user: UserId,
    gift: GiftId,
    count: u32,
    expires_at: Option<DateTime<Utc>>,
    reason: &str,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    exec(
        db,
        "INSERT INTO backpack_items (id, user_id, gift_id, count, expires_at, reason, created_at) \
         VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            id.into(),
            user.0.into(),
            gift.0.into(),
            i64::from(count).into(),
            expires_at.map(to_ms).into(),
            reason.into(),
            to_ms(now).into(),
        ],
    )
    .await?;
    Ok(())
}

const SPENDABLE: &str = "count > 0 AND (expires_at IS NULL OR expires_at > ?)";
const SOONEST_FIRST: &str = "ORDER BY (expires_at IS NULL), expires_at, id";

/// The user's spendable stacks, soonest-expiring first (at most 500).
pub async fn list(
    db: &impl ConnectionTrait,
    user: UserId,
    now: DateTime<Utc>,
) -> Result<Vec<BackpackItemOut>, StoreError> {
    let rows = all::<Row>(
        db,
        format!(
            "SELECT id, gift_id, count, expires_at, created_at FROM backpack_items \
             WHERE user_id = ? AND {SPENDABLE} {SOONEST_FIRST} LIMIT 500"
        ),
        [user.0.into(), to_ms(now).into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .map(|r| BackpackItemOut {
            id: BackpackItemId(r.id),
            gift_id: GiftId(r.gift_id),
            count: u32::try_from(r.count).unwrap_or(0),
            expires_at: r.expires_at.map(from_ms),
            created_at: from_ms(r.created_at),
        })
        .collect())
}

/// Takes `count` items of `gift` from the user's backpack, soonest-expiring first, in the
/// caller's transaction (the stacks are locked first on MySQL). False, with nothing taken
/// (the caller rolls back), when there are fewer spendable items.
pub async fn take(
    db: &impl ConnectionTrait,
    user: UserId,
    gift: GiftId,
    count: u32,
    now: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let lock = for_update(db);
    let stacks = all::<Row>(
        db,
        format!(
            "SELECT id, gift_id, count, expires_at, created_at FROM backpack_items \
             WHERE user_id = ? AND gift_id = ? AND {SPENDABLE} {SOONEST_FIRST}{lock}"
        ),
        [user.0.into(), gift.0.into(), to_ms(now).into()],
    )
    .await?;
    let mut left = i64::from(count);
    for s in stacks {
        if left == 0 {
            break;
        }
        let n = left.min(i64::from(s.count));
        let taken = exec(
            db,
            "UPDATE backpack_items SET count = count - ? WHERE id = ? AND count >= ?",
            [n.into(), s.id.into(), n.into()],
        )
        .await?;
        if taken != 1 {
            return Ok(false);
        }
        left -= n;
    }
    Ok(left == 0)
}
