//! Finding rooms: recommended (live audience, then recent activity), search by name, a tag
//! filter, all cursor-paged; and the admin-managed tag list. Closed rooms never appear;
//! private rooms do (entered only with the password).

use confab_proto::ids::{RoomId, UserId};
use confab_proto::rooms::{RoomPageOut, RoomQuery, RoomTagIn, RoomTagOut, RoomTagsOut};

use super::error::RoomsError;
use super::model::{self, MAX_NAME_CHARS, Room};
use super::roles;
use super::store;
use crate::error::ApiError;
use crate::state::AppState;

/// The largest page.
const MAX_PAGE: u32 = 50;

fn limit(q: &RoomQuery) -> Result<u32, RoomsError> {
    let l = q.limit.unwrap_or(20);
    if !(1..=MAX_PAGE).contains(&l) {
        return Err(RoomsError::Limit { max: MAX_PAGE });
    }
    Ok(l)
}

fn tag(q: &RoomQuery) -> Result<Option<String>, ApiError> {
    q.tag.as_deref().map(model::tag).transpose()
}

async fn page(
    state: &AppState,
    me: UserId,
    mut rooms: Vec<Room>,
    limit: u32,
    cursor: impl Fn(&Room) -> String,
) -> Result<RoomPageOut, ApiError> {
    let more = rooms.len() > limit as usize;
    rooms.truncate(limit as usize);
    let next_cursor = more.then(|| rooms.last().map(&cursor)).flatten();
    let db = state.store.reader();
    let mut out = Vec::with_capacity(rooms.len());
    for r in &rooms {
        out.push(r.out(Some(roles::role_of(db, r, me).await?)));
    }
    Ok(RoomPageOut {
        rooms: out,
        next_cursor,
    })
}

/// Open rooms by live audience, then recent activity (optionally with one tag).
pub async fn recommended(
    state: &AppState,
    me: UserId,
    q: RoomQuery,
) -> Result<RoomPageOut, ApiError> {
    let limit = limit(&q)?;
    let tag = tag(&q)?;
    let after = match q.cursor.as_deref() {
        Some(c) => Some(recommended_cursor(c).ok_or(RoomsError::Cursor)?),
        None => None,
    };
    let rows = store::rooms::recommended(
        state.store.reader(),
        tag.as_deref(),
        after,
        u64::from(limit) + 1,
    )
    .await?;
    page(state, me, rows, limit, |r| {
        let (a, l, id) = store::rooms::recommend_key(r);
        format!("{a}.{l}.{id}")
    })
    .await
}

/// Reads a `recommended` cursor, `audience.activity.id` as [`recommended`] writes it. The
/// audience is an `i32`: a larger number is refused, not wrapped into another cursor.
pub(crate) fn recommended_cursor(c: &str) -> Option<(i32, i64, i64)> {
    let mut it = c.split('.');
    match (it.next(), it.next(), it.next(), it.next()) {
        (Some(a), Some(l), Some(id), None) => {
            Some((a.parse().ok()?, l.parse().ok()?, id.parse().ok()?))
        }
        _ => None,
    }
}

/// Open rooms whose name contains `q`, and/or with a tag, newest first.
pub async fn search(state: &AppState, me: UserId, q: RoomQuery) -> Result<RoomPageOut, ApiError> {
    let limit = limit(&q)?;
    let tag = tag(&q)?;
    let text = match q.q.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(t) if t.chars().count() > MAX_NAME_CHARS => return Err(RoomsError::SearchText.into()),
        Some(t) => Some(t.to_owned()),
    };
    let before = match q.cursor.as_deref() {
        Some(c) => Some(c.parse::<RoomId>().map_err(|_| RoomsError::Cursor)?),
        None => None,
    };
    let rows = store::rooms::search(
        state.store.reader(),
        text.as_deref(),
        tag.as_deref(),
        before,
        u64::from(limit) + 1,
    )
    .await?;
    page(state, me, rows, limit, |r| r.id.to_string()).await
}

/// Every tag, highest weight first.
pub async fn tags(state: &AppState) -> Result<RoomTagsOut, ApiError> {
    Ok(RoomTagsOut {
        tags: store::tags::list(state.store.reader()).await?,
    })
}

/// Adds a tag or changes its weight (system administrators; audited).
pub async fn put_tag(
    state: &AppState,
    admin: UserId,
    name: &str,
    input: RoomTagIn,
) -> Result<RoomTagOut, ApiError> {
    let name = model::tag(name)?;
    let weight = input.weight.unwrap_or(0);
    store::tags::put(state.store.writer(), &name, weight, state.clock.now()).await?;
    crate::moderation::audit::audit(
        state,
        admin,
        "room_tag.put",
        "room_tag",
        name.clone(),
        serde_json::json!({"weight": weight}),
    )
    .await?;
    Ok(RoomTagOut { name, weight })
}

/// Removes a tag (system administrators; audited). Rooms keep the tag they had.
pub async fn delete_tag(state: &AppState, admin: UserId, name: &str) -> Result<(), ApiError> {
    if !store::tags::delete(state.store.writer(), name).await? {
        return Err(RoomsError::NoTag.into());
    }
    crate::moderation::audit::audit(
        state,
        admin,
        "room_tag.delete",
        "room_tag",
        name.to_owned(),
        serde_json::json!({}),
    )
    .await?;
    Ok(())
}
