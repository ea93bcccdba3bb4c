//! Room rows: create, find, write back settings, close, count, and the discovery queries.

use chrono::{DateTime, Utc};
use confab_proto::gifts::RoomGiftTotals;
use confab_proto::ids::{ConversationId, FileId, RoomId, UserId};
use sea_orm::sea_query::{Expr, ExprTrait, LikeExpr};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, ConnectionTrait, EntityTrait, PaginatorTrait,
    QueryFilter, QueryOrder, QuerySelect, Set,
};

use super::entities::rooms;
use crate::infra::store::{StoreError, from_ms, like_escape, to_ms};
use crate::rooms::model::{Room, seat_mode_of, seat_mode_str};

fn room_of(m: rooms::Model) -> Room {
    Room {
        id: RoomId(m.id),
        owner_id: UserId(m.owner_id),
        conversation_id: ConversationId(m.conversation_id),
        name: m.name,
        cover: m.cover.map(FileId),
        tag: m.tag,
        announcement: m.announcement,
        private: m.private,
        password_hash: m.password_hash,
        seat_count: u32::try_from(m.seat_count).unwrap_or(0),
        seat_mode: seat_mode_of(&m.seat_mode),
        mute_all: m.mute_all,
        seat_version: m.seat_version,
        audience: u32::try_from(m.audience).unwrap_or(0),
        last_active_at: from_ms(m.last_active_at),
        closed_at: m.closed_at.map(from_ms),
        created_at: from_ms(m.created_at),
        gift_totals: RoomGiftTotals {
            gifts: m.gift_count,
            coins: m.gift_value,
            senders: m.gift_senders,
        },
    }
}

/// Inserts a new room (its seats are `seats::create`'s).
pub async fn insert(db: &impl ConnectionTrait, r: &Room) -> Result<(), StoreError> {
    let t = to_ms(r.created_at);
    rooms::ActiveModel {
        id: Set(r.id.0),
        owner_id: Set(r.owner_id.0),
        conversation_id: Set(r.conversation_id.0),
        name: Set(r.name.clone()),
        name_key: Set(r.name.to_lowercase()),
        cover: Set(r.cover.map(|f| f.0)),
        tag: Set(r.tag.clone()),
        announcement: Set(r.announcement.clone()),
        private: Set(r.private),
        password_hash: Set(r.password_hash.clone()),
        seat_count: Set(r.seat_count as i32),
        seat_mode: Set(seat_mode_str(r.seat_mode).to_owned()),
        mute_all: Set(r.mute_all),
        seat_version: Set(r.seat_version),
        audience: Set(0),
        last_active_at: Set(t),
        closed_at: Set(None),
        created_at: Set(t),
        updated_at: Set(t),
        gift_count: Set(0),
        gift_value: Set(0),
        gift_senders: Set(0),
    }
    .insert(db)
    .await?;
    Ok(())
}

/// The room `id`.
pub async fn find(db: &impl ConnectionTrait, id: RoomId) -> Result<Option<Room>, StoreError> {
    Ok(rooms::Entity::find_by_id(id.0).one(db).await?.map(room_of))
}

/// The room whose chat is `conv`.
pub async fn find_by_conversation(
    db: &impl ConnectionTrait,
    conv: ConversationId,
) -> Result<Option<Room>, StoreError> {
    Ok(rooms::Entity::find()
        .filter(rooms::Column::ConversationId.eq(conv.0))
        .one(db)
        .await?
        .map(room_of))
}

/// Writes back a room's settings (everything but the counters and timestamps of creation).
pub async fn save_settings(
    db: &impl ConnectionTrait,
    r: &Room,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    rooms::ActiveModel {
        id: Set(r.id.0),
        name: Set(r.name.clone()),
        name_key: Set(r.name.to_lowercase()),
        cover: Set(r.cover.map(|f| f.0)),
        tag: Set(r.tag.clone()),
        announcement: Set(r.announcement.clone()),
        private: Set(r.private),
        password_hash: Set(r.password_hash.clone()),
        seat_count: Set(r.seat_count as i32),
        seat_mode: Set(seat_mode_str(r.seat_mode).to_owned()),
        mute_all: Set(r.mute_all),
        updated_at: Set(to_ms(now)),
        ..Default::default()
    }
    .update(db)
    .await?;
    Ok(())
}

/// Bumps the seat version (and the activity time); returns the new version.
pub async fn bump_version(
    db: &impl ConnectionTrait,
    r: &Room,
    now: DateTime<Utc>,
) -> Result<i64, StoreError> {
    let v = r.seat_version + 1;
    rooms::Entity::update_many()
        .col_expr(rooms::Column::SeatVersion, Expr::value(v))
        .col_expr(rooms::Column::LastActiveAt, Expr::value(to_ms(now)))
        .filter(rooms::Column::Id.eq(r.id.0))
        .exec(db)
        .await?;
    Ok(v)
}

/// Moves the audience count by `delta` (and the activity time on an entry).
pub async fn add_audience(
    db: &impl ConnectionTrait,
    id: RoomId,
    delta: i32,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut q = rooms::Entity::update_many().col_expr(
        rooms::Column::Audience,
        Expr::col(rooms::Column::Audience).add(delta),
    );
    if delta > 0 {
        q = q.col_expr(rooms::Column::LastActiveAt, Expr::value(to_ms(now)));
    }
    q.filter(rooms::Column::Id.eq(id.0)).exec(db).await?;
    Ok(())
}

/// Marks a room closed with nobody in it.
pub async fn close(
    db: &impl ConnectionTrait,
    id: RoomId,
    now: DateTime<Utc>,
) -> Result<(), StoreError> {
    rooms::Entity::update_many()
        .col_expr(rooms::Column::ClosedAt, Expr::value(to_ms(now)))
        .col_expr(rooms::Column::Audience, Expr::value(0))
        .filter(rooms::Column::Id.eq(id.0))
        .exec(db)
        .await?;
    Ok(())
}

/// Open rooms `owner` owns.
pub async fn count_open_owned(db: &impl ConnectionTrait, owner: UserId) -> Result<u64, StoreError> {
    Ok(rooms::Entity::find()
        .filter(rooms::Column::OwnerId.eq(owner.0))
        .filter(rooms::Column::ClosedAt.is_null())
        .count(db)
        .await?)
}

/// Where a page of recommended rooms starts: after (audience, last active, id).
pub type RecommendKey = (i32, i64, i64);

/// Open rooms by live audience, then recent activity, then id (all descending), optionally
/// with one tag; `after` is the last row of the previous page.
pub async fn recommended(
    db: &impl ConnectionTrait,
    tag: Option<&str>,
    after: Option<RecommendKey>,
    limit: u64,
) -> Result<Vec<Room>, StoreError> {
    use rooms::Column as C;
    let mut q = rooms::Entity::find().filter(C::ClosedAt.is_null());
    if let Some(t) = tag {
        q = q.filter(C::Tag.eq(t));
    }
    if let Some((a, l, id)) = after {
        q = q.filter(
            Condition::any()
                .add(C::Audience.lt(a))
                .add(C::Audience.eq(a).and(C::LastActiveAt.lt(l)))
                .add(
                    C::Audience
                        .eq(a)
                        .and(C::LastActiveAt.eq(l))
                        .and(C::Id.lt(id)),
                ),
        );
    }
    Ok(q.order_by_desc(C::Audience)
        .order_by_desc(C::LastActiveAt)
        .order_by_desc(C::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(room_of)
        .collect())
}

/// The key a recommended page continues after.
pub fn recommend_key(r: &Room) -> RecommendKey {
    (r.audience as i32, to_ms(r.last_active_at), r.id.0)
}

/// Words of a search that count.
const MAX_WORDS: usize = 5;

/// Open rooms whose name contains every word of `q` (case-insensitive, `%` and `_`
/// literal), optionally
/// with one tag, newest first, ids below `before`.
pub async fn search(
    db: &impl ConnectionTrait,
    q: Option<&str>,
    tag: Option<&str>,
    before: Option<RoomId>,
    limit: u64,
) -> Result<Vec<Room>, StoreError> {
    use rooms::Column as C;
    let mut s = rooms::Entity::find().filter(C::ClosedAt.is_null());
    // Every word of `q` must appear in the name, in any order ("jazz night" finds "Late
    // night jazz").
    for word in q
        .unwrap_or("")
        .to_lowercase()
        .split_whitespace()
        .take(MAX_WORDS)
    {
        let pattern = format!("%{}%", like_escape(word));
        s = s.filter(Expr::col(C::NameKey).like(LikeExpr::new(pattern).escape('\\')));
    }
    if let Some(t) = tag {
        s = s.filter(C::Tag.eq(t));
    }
    if let Some(b) = before {
        s = s.filter(C::Id.lt(b.0));
    }
    Ok(s.order_by_desc(C::Id)
        .limit(limit)
        .all(db)
        .await?
        .into_iter()
        .map(room_of)
        .collect())
}
