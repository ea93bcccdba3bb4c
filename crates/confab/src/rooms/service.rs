//! Room lifecycle: create, read, update, close; entering and leaving; who is in the room.

use confab_proto::ids::{ConversationId, RoomId, UserId};
use confab_proto::rooms::{
    CreateRoomIn, JoinRoomIn, JoinedRoomOut, LeaveReason, PageQuery, RoomClosedData, RoomMemberOut,
    RoomMembersOut, RoomOut, RoomPatch, RoomRole, RoomVisibility, SeatMode, SeatsOut,
};
use confab_proto::ws::ServerEvent;
use sea_orm::TransactionTrait;

use super::board::Board;
use super::change::{Tx, db_err, find, locked, seats_out};
use super::error::RoomsError;
use super::model::{self, DEFAULT_SEATS, MAX_ANNOUNCEMENT_CHARS, MAX_NAME_CHARS, Room};
use super::roles::{self, Actor};
use super::store;
use crate::error::ApiError;
use crate::messaging::model::ConversationKind;
use crate::state::AppState;

/// How often an entry retries when a concurrent entry elsewhere took the user first.
const ENTRY_ATTEMPTS: usize = 3;

/// Wrong passwords one user may give one private room per [`PASSWORD_WINDOW`]; after that
/// entry is refused (429) until the window ends, right password or not.
const PASSWORD_TRIES: u64 = 10;
/// See [`PASSWORD_TRIES`].
const PASSWORD_WINDOW: std::time::Duration = std::time::Duration::from_secs(600);

/// Refuses while a user's wrong guesses at a room's password (counted at `key`, on the
/// cache so it holds on every node) are at the limit.
async fn wrong_passwords(state: &AppState, key: &str) -> Result<(), ApiError> {
    let n = state
        .cache
        .get(key)
        .await?
        .and_then(|b| {
            std::str::from_utf8(&b)
                .ok()
                .and_then(|s| s.parse::<u64>().ok())
        })
        .unwrap_or(0);
    if n >= PASSWORD_TRIES {
        let retry = state
            .cache
            .ttl(key)
            .await?
            .map_or(PASSWORD_WINDOW.as_secs(), |d| d.as_secs() + 1);
        return Err(ApiError::new(
            confab_proto::ErrorCode::RateLimited,
            "too many wrong passwords for this room; try again later",
        )
        .with_retry_after(retry));
    }
    Ok(())
}

async fn hash_password(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let p = model::password(raw)?;
    crate::accounts::auth::context(state)
        .passwords
        .hash(p)
        .await
}

fn name(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let n = crate::accounts::model::display_text("name", raw, 1, MAX_NAME_CHARS)?;
    Ok(crate::moderation::screen::screen(state, "name", &n)?.text)
}

fn announcement(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let a = crate::accounts::model::multiline_text("announcement", raw, MAX_ANNOUNCEMENT_CHARS)?;
    Ok(crate::moderation::screen::screen(state, "announcement", &a)?.text)
}

async fn known_tag(state: &AppState, raw: &str) -> Result<String, ApiError> {
    let t = model::tag(raw)?;
    if !store::tags::exists(state.store.reader(), &t).await? {
        return Err(RoomsError::UnknownTag.into());
    }
    Ok(t)
}

/// Creates a room (the creator owns it; they enter it with `join`).
pub async fn create(
    state: &AppState,
    me: UserId,
    input: CreateRoomIn,
) -> Result<RoomOut, ApiError> {
    let name = name(state, &input.name)?;
    let announcement = match &input.announcement {
        Some(a) => announcement(state, a)?,
        None => String::new(),
    };
    let tag = match input.tag.as_deref() {
        Some(t) => Some(known_tag(state, t).await?),
        None => None,
    };
    if let Some(f) = input.cover {
        crate::media::service::require_own_image(state, me, f, "cover").await?;
    }
    let private = input.visibility == Some(RoomVisibility::Private);
    let password_hash = match (&input.password, private) {
        (Some(p), true) => Some(hash_password(state, p).await?),
        (None, true) => return Err(RoomsError::PasswordRequired.into()),
        (_, false) => None,
    };
    let seat_count = model::seat_count(input.seat_count.unwrap_or(DEFAULT_SEATS))?;
    let limit = state.config.rooms.max_open_per_owner;
    if store::rooms::count_open_owned(state.store.reader(), me).await? >= u64::from(limit) {
        return Err(RoomsError::TooManyRooms { limit }.into());
    }
    let now = state.clock.now();
    let room = Room {
        id: RoomId(state.ids.next_id()),
        owner_id: me,
        conversation_id: ConversationId(state.ids.next_id()),
        name,
        cover: input.cover,
        tag,
        announcement,
        private,
        password_hash,
        seat_count,
        seat_mode: input.seat_mode.unwrap_or(SeatMode::Free),
        mute_all: false,
        seat_version: 0,
        audience: 0,
        last_active_at: now,
        closed_at: None,
        created_at: now,
        gift_totals: Default::default(),
    };
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    crate::messaging::window::create(&txn, room.conversation_id, ConversationKind::Room, now)
        .await?;
    store::rooms::insert(&txn, &room).await?;
    store::seats::create(&txn, room.id, &Board::new(seat_count)).await?;
    txn.commit().await.map_err(db_err)?;
    Ok(room.out(Some(RoomRole::Owner)))
}

/// A room as `me` sees it.
pub async fn get(state: &AppState, me: UserId, id: RoomId) -> Result<RoomOut, ApiError> {
    let r = find(state, id).await?;
    let role = roles::role_of(state.store.reader(), &r, me).await?;
    Ok(r.out(Some(role)))
}

/// Whether `me` may see who is in `r` and its seats: anyone for a public room; for a
/// private one, those in it and its managers.
async fn may_look(state: &AppState, r: &Room, me: Actor) -> Result<(), ApiError> {
    if !r.private || me.sysadmin {
        return Ok(());
    }
    let db = state.store.reader();
    if let Some(p) = store::presence::find(db, me.id).await?
        && p.room_id == r.id
    {
        return Ok(());
    }
    roles::manager(db, r, me)
        .await
        .map(|_| ())
        .map_err(|_| RoomsError::NotInRoom.into())
}

/// The seats and seat version, read together.
pub async fn seats(state: &AppState, me: Actor, id: RoomId) -> Result<SeatsOut, ApiError> {
    let r = find(state, id).await?;
    may_look(state, &r, me).await?;
    let txn = state.store.reader().begin().await.map_err(db_err)?;
    let r = store::rooms::find(&txn, id)
        .await?
        .ok_or(RoomsError::NoRoom)?;
    let b = store::seats::load(&txn, id).await?;
    txn.commit().await.map_err(db_err)?;
    Ok(seats_out(&r, &b))
}

/// Changes a room's settings: the owner anything, an admin the announcement and mute-all.
pub async fn update(
    state: &AppState,
    me: Actor,
    id: RoomId,
    p: RoomPatch,
) -> Result<RoomOut, ApiError> {
    let owner_fields = p.name.is_some()
        || p.cover.is_some()
        || p.tag.is_some()
        || p.visibility.is_some()
        || p.password.is_some()
        || p.seat_count.is_some()
        || p.seat_mode.is_some();
    if !owner_fields && p.announcement.is_none() && p.mute_all.is_none() {
        return Err(RoomsError::NothingToChange.into());
    }
    let name = p.name.as_deref().map(|n| name(state, n)).transpose()?;
    let announcement = p
        .announcement
        .as_deref()
        .map(|a| announcement(state, a))
        .transpose()?;
    let tag = match p.tag.as_deref() {
        Some("") => Some(None),
        Some(t) => Some(Some(known_tag(state, t).await?)),
        None => None,
    };
    if let Some(f) = p.cover {
        crate::media::service::require_own_image(state, me.id, f, "cover").await?;
    }
    let password_hash = match &p.password {
        Some(pw) => Some(hash_password(state, pw).await?),
        None => None,
    };
    let seat_count = p.seat_count.map(model::seat_count).transpose()?;
    locked(state, id, async |tx: &mut Tx| {
        if owner_fields {
            roles::owner(&tx.txn, &tx.room, me).await?;
        } else {
            roles::manager(&tx.txn, &tx.room, me).await?;
        }
        let r = &mut tx.room;
        if let Some(n) = name {
            r.name = n;
        }
        if let Some(a) = announcement {
            r.announcement = a;
        }
        if let Some(t) = tag {
            r.tag = t;
        }
        if p.cover.is_some() {
            r.cover = p.cover;
        }
        if let Some(h) = password_hash {
            r.password_hash = Some(h);
        }
        if let Some(v) = p.visibility {
            r.private = v == RoomVisibility::Private;
        }
        if r.private && r.password_hash.is_none() {
            return Err(RoomsError::PasswordRequired.into());
        }
        if let Some(m) = p.seat_mode {
            r.seat_mode = m;
        }
        if let Some(m) = p.mute_all {
            tx.fx.rules |= m != r.mute_all;
            r.mute_all = m;
        }
        if let Some(n) = seat_count
            && n != tx.room.seat_count
        {
            tx.room.seat_count = n;
            tx.seats(me.id, "resize", |b| Ok(b.resize(n))).await?;
        }
        store::rooms::save_settings(&tx.txn, &tx.room, tx.now).await?;
        tx.tell_room(ServerEvent::RoomUpdated(Box::new(tx.room.out(None))));
        Ok(())
    })
    .await?;
    get(state, me.id, id).await
}

/// Closes a room (the owner or a system administrator): everyone is told and removed, and it
/// is never listed again.
pub async fn close(state: &AppState, me: Actor, id: RoomId) -> Result<(), ApiError> {
    locked(state, id, async |tx: &mut Tx| {
        roles::owner(&tx.txn, &tx.room, me).await?;
        let closed = RoomClosedData {
            room_id: id,
            actor_id: me.id,
        };
        for p in store::presence::list_all(&tx.txn, id).await? {
            tx.tell_user(p.user_id, ServerEvent::RoomClosed(closed.clone()));
            tx.depart(p.user_id, LeaveReason::Closed).await?;
        }
        for r in store::requests::of_room(&tx.txn, id).await? {
            tx.void(r, confab_proto::rooms::SeatRequestState::Cancelled)
                .await?;
        }
        store::rooms::close(&tx.txn, id, tx.now).await?;
        tx.fx.rules = true;
        Ok(())
    })
    .await?;
    crate::moderation::audit::audit(
        state,
        me.id,
        "room.close",
        "room",
        id.to_string(),
        serde_json::json!({"sysadmin": me.sysadmin}),
    )
    .await?;
    Ok(())
}

/// Enters a room (leaving the one `me` is in, if another). Entering the room I am in
/// already answers as a fresh entry would, without a second `room.member_joined`.
pub async fn join(
    state: &AppState,
    me: Actor,
    id: RoomId,
    input: JoinRoomIn,
) -> Result<JoinedRoomOut, ApiError> {
    let r = find(state, id).await?;
    if r.closed_at.is_some() {
        return Err(RoomsError::Closed.into());
    }
    let db = state.store.reader();
    let role = roles::authority(db, &r, me).await?;
    // A kick bars admins too (only the owner outranks them, and means it); the owner is never
    // kicked, and a system administrator acts with the owner's authority.
    if role != RoomRole::Owner {
        check_kick(state, id, me.id).await?;
    }
    if role == RoomRole::Member && r.private {
        let key = format!("rl:roompw:{id}:{}", me.id);
        wrong_passwords(state, &key).await?;
        let given = input.password.as_deref().unwrap_or("");
        let ok = crate::accounts::auth::context(state)
            .passwords
            .verify(given, r.password_hash.as_deref())
            .await?;
        if !ok {
            state.cache.incr(&key, PASSWORD_WINDOW).await?;
            return Err(RoomsError::Password.into());
        }
    }
    let away = state.push.registry.connections_of(me.id) == 0;
    for attempt in 1..=ENTRY_ATTEMPTS {
        if let Some(p) = store::presence::find(state.store.reader(), me.id).await? {
            if p.room_id == id {
                // Back only with a socket here (a socket on another node clears the mark
                // there): a socketless re-entry must not stop the grace from ever ending.
                if !away {
                    store::presence::mark_back(state.store.writer(), &[me.id]).await?;
                }
                return joined(state, me.id, id).await;
            }
            leave_quietly(state, p.room_id, me.id, LeaveReason::Left).await?;
        }
        let entered = locked(state, id, async |tx: &mut Tx| {
            if roles::authority(&tx.txn, &tx.room, me).await? != RoomRole::Owner
                && let Some(k) = store::moderation::find_kick(&tx.txn, id, me.id).await?
                && k.until > tx.now
            {
                return Err(RoomsError::Kicked { until: k.until }.into());
            }
            tx.enter(state, me.id, away).await
        })
        .await;
        match entered {
            Err(e) if e.is_unique_violation() && attempt < ENTRY_ATTEMPTS => continue,
            Err(e) if e.is_unique_violation() => {
                return Err(ApiError::new(
                    confab_proto::ErrorCode::Conflict,
                    "entering another room at the same time; try again",
                ));
            }
            Err(e) => return Err(e),
            Ok(()) => break,
        }
    }
    joined(state, me.id, id).await
}

async fn joined(state: &AppState, me: UserId, id: RoomId) -> Result<JoinedRoomOut, ApiError> {
    let room = get(state, me, id).await?;
    let seats = seats(
        state,
        Actor {
            id: me,
            sysadmin: true,
        },
        id,
    )
    .await?;
    Ok(JoinedRoomOut { room, seats })
}

/// Refuses while a kick's re-entry ban holds.
pub(crate) async fn check_kick(state: &AppState, id: RoomId, user: UserId) -> Result<(), ApiError> {
    if let Some(k) = store::moderation::find_kick(state.store.reader(), id, user).await?
        && k.until > state.clock.now()
    {
        return Err(RoomsError::Kicked { until: k.until }.into());
    }
    Ok(())
}

/// Leaves a room I am in.
pub async fn leave(state: &AppState, me: UserId, id: RoomId) -> Result<(), ApiError> {
    let left = locked(state, id, async |tx: &mut Tx| {
        tx.depart(me, LeaveReason::Left).await
    })
    .await?;
    if !left {
        return Err(RoomsError::NotInRoom.into());
    }
    Ok(())
}

/// Takes `user` out of room `id` if they are in it (a closed room has nobody in it).
pub(crate) async fn leave_quietly(
    state: &AppState,
    id: RoomId,
    user: UserId,
    reason: LeaveReason,
) -> Result<(), ApiError> {
    let grace = chrono::Duration::seconds(state.config.rooms.grace_secs as i64);
    let gone = async |tx: &mut Tx| {
        // A disconnected user leaves only if still away past the grace, as read under the
        // room's lock: a reconnect on any node just before clears the mark.
        if reason == LeaveReason::Disconnected {
            let still_away = store::presence::find(&tx.txn, user)
                .await?
                .filter(|p| p.room_id == tx.room.id)
                .and_then(|p| p.away_since)
                .is_some_and(|t| t + grace <= tx.now);
            if !still_away {
                return Ok(false);
            }
        }
        tx.depart(user, reason).await
    };
    match locked(state, id, gone).await {
        Ok(_) => Ok(()),
        Err(e) if e.code() == confab_proto::ErrorCode::RoomClosed => {
            // Rows of a room closed under us: nothing to tell anyone.
            store::presence::delete(state.store.writer(), user, id).await?;
            Ok(())
        }
        Err(e) => Err(e),
    }
}

/// The room I am in now, if any.
pub async fn current(state: &AppState, me: UserId) -> Result<Option<JoinedRoomOut>, ApiError> {
    match store::presence::find(state.store.reader(), me).await? {
        Some(p) => Ok(Some(joined(state, me, p.room_id).await?)),
        None => Ok(None),
    }
}

/// Who is in the room now, in order of entry.
pub async fn members(
    state: &AppState,
    me: Actor,
    id: RoomId,
    q: PageQuery,
) -> Result<RoomMembersOut, ApiError> {
    let r = find(state, id).await?;
    may_look(state, &r, me).await?;
    let limit = q.limit.unwrap_or(50);
    if !(1..=100).contains(&limit) {
        return Err(RoomsError::Limit { max: 100 }.into());
    }
    let after = match q.cursor.as_deref() {
        Some(c) => Some(parse_pair(c).ok_or(RoomsError::Cursor)?),
        None => None,
    };
    let db = state.store.reader();
    let page = store::presence::page(db, id, after, u64::from(limit) + 1).await?;
    let board = store::seats::load(db, id).await?;
    let admins = store::moderation::admins(db, id).await?;
    let more = page.len() > limit as usize;
    let page = &page[..page.len().min(limit as usize)];
    let next_cursor = more
        .then(|| page.last())
        .flatten()
        .map(|p| format!("{}.{}", crate::infra::store::to_ms(p.joined_at), p.user_id));
    let members = page
        .iter()
        .map(|p| RoomMemberOut {
            user_id: p.user_id,
            role: if p.user_id == r.owner_id {
                RoomRole::Owner
            } else if admins.contains(&p.user_id) {
                RoomRole::Admin
            } else {
                RoomRole::Member
            },
            seat: board.seat_of(p.user_id),
            joined_at: p.joined_at,
            away: p.away_since.is_some(),
        })
        .collect();
    Ok(RoomMembersOut {
        members,
        audience: r.audience,
        next_cursor,
    })
}

/// `a.b` as two integers (cursors).
pub(crate) fn parse_pair(c: &str) -> Option<(i64, i64)> {
    let (a, b) = c.split_once('.')?;
    Some((a.parse().ok()?, b.parse().ok()?))
}

/// Makes sure `user` is in room `id` now (`not_in_room` otherwise).
pub(crate) async fn require_present(tx: &Tx, user: UserId) -> Result<(), ApiError> {
    match store::presence::find(&tx.txn, user).await? {
        Some(p) if p.room_id == tx.room.id => Ok(()),
        _ => Err(RoomsError::NotInRoom.into()),
    }
}

/// Makes sure the target `user` is in the room now (`not_in_room` naming `user_id`).
pub(crate) async fn require_target_present(tx: &Tx, user: UserId) -> Result<(), ApiError> {
    require_present(tx, user)
        .await
        .map_err(|_| RoomsError::TargetNotInRoom.into())
}
