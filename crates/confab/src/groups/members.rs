//! Membership: joining (search, request, invite, being added), leaving, kicks and bans,
//! roles, mutes, nicknames, ownership transfer and mute-all. Every change runs through
//! [`locked`], so it is ordered with sends and with every other change to the group.

use confab_proto::ErrorCode;
use confab_proto::groups::{
    BanIn, BanOut, GroupMemberData, GroupOut, JoinIn, JoinOut, KickQuery, MemberOut, MemberPage,
    MemberPatch, MemberQuery, MembersIn, MuteAllIn, Role, TransferIn, Visibility,
};
use confab_proto::ids::{GroupId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::DatabaseTransaction;

use super::model::{self, role_required};
use super::service::{
    Effects, addable, alive, at, group_out, locked, manager, member, needs_approval, no_group,
    owner, sees_all, system, updated,
};
use super::store::{self, Ban, Group, Member};
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::messaging::window::{self, Locked};
use crate::state::AppState;

fn no_member() -> ApiError {
    ApiError::new(ErrorCode::NotFound, "no such member")
}

fn member_data(
    g: &Group,
    seq: i64,
    user: UserId,
    by: UserId,
    role: Option<Role>,
) -> GroupMemberData {
    GroupMemberData {
        group_id: g.id,
        conversation_id: g.conversation_id,
        seq,
        user_id: user,
        by,
        role,
        until: None,
        banned: false,
    }
}

/// Refuses a user whose ban still holds.
pub(crate) async fn not_banned(
    state: &AppState,
    db: &impl sea_orm::ConnectionTrait,
    g: &Group,
    user: UserId,
) -> Result<(), ApiError> {
    if let Some(b) = store::find_ban(db, g.id, user).await?
        && b.active_at(state.clock.now())
    {
        return Err(ApiError::new(
            ErrorCode::BannedFromGroup,
            "banned from this group",
        ));
    }
    Ok(())
}

/// Admits `user` into a locked group (every joining path ends here): not banned, not yet a
/// member, room under the limit — all checked under the conversation lock, so concurrent
/// joins never over-fill the group. Opens their window per the history policy.
pub(crate) async fn admit(
    state: &AppState,
    txn: &DatabaseTransaction,
    lock: &mut Locked,
    g: &mut Group,
    user: UserId,
    by: UserId,
    fx: &mut Effects,
) -> Result<(), ApiError> {
    alive(g)?;
    not_banned(state, txn, g, user).await?;
    if store::find_member(txn, g.id, user).await?.is_some() {
        return Err(ApiError::new(
            ErrorCode::AlreadyMember,
            "already a member of this group",
        ));
    }
    if g.member_count >= g.member_limit {
        return Err(ApiError::new(
            ErrorCode::GroupFull,
            format!("the group is full ({} members)", g.member_limit),
        ));
    }
    let now = state.clock.now();
    let joined_seq = if sees_all(g) { 0 } else { lock.last_seq };
    store::insert_member(
        txn,
        &Member {
            group_id: g.id,
            user_id: user,
            role: Role::Member,
            nickname: None,
            muted_until: None,
            joined_at: crate::infra::store::from_ms(now.timestamp_millis()),
        },
    )
    .await?;
    let m = system(
        state,
        txn,
        lock,
        by,
        serde_json::json!({"event": "member_joined", "user_id": user, "by": by}),
        fx,
    )
    .await?;
    window::open(txn, g.conversation_id, user, joined_seq, m.seq, now).await?;
    g.member_count += 1;
    store::update_group(txn, g, now).await?;
    fx.added.push(user);
    fx.events.push((
        Topic::Conversation(g.conversation_id),
        ServerEvent::GroupMemberJoined(member_data(g, m.seq, user, by, Some(Role::Member))),
    ));
    Ok(())
}

/// Removes a member from a locked group (leave or kick): the system message, then their
/// window closes at its seq, so they see the record of their removal and nothing after.
/// They get both events on their own topic (they are out of the conversation's by then).
#[expect(clippy::too_many_arguments, reason = "one removal, spelled out")]
async fn remove(
    state: &AppState,
    txn: &DatabaseTransaction,
    lock: &mut Locked,
    g: &mut Group,
    user: UserId,
    by: UserId,
    ban: Option<&Ban>,
    fx: &mut Effects,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    store::delete_member(txn, g.id, user).await?;
    let kicked = user != by;
    let body = if kicked {
        serde_json::json!({"event": "member_kicked", "user_id": user, "by": by,
            "banned": ban.is_some(), "until": ban.and_then(|b| b.until).map(at)})
    } else {
        serde_json::json!({"event": "member_left", "user_id": user})
    };
    let m = system(state, txn, lock, by, body, fx).await?;
    window::close(txn, g.conversation_id, user, m.seq, now).await?;
    g.member_count = g.member_count.saturating_sub(1);
    store::update_group(txn, g, now).await?;
    fx.removed.push(user);
    let mut data = member_data(g, m.seq, user, by, None);
    data.banned = ban.is_some();
    data.until = ban.and_then(|b| b.until).map(at);
    let event = if kicked {
        ServerEvent::GroupMemberKicked(data)
    } else {
        ServerEvent::GroupMemberLeft(data)
    };
    fx.events.push((
        Topic::User(user),
        ServerEvent::MessageNew(crate::messaging::service::message_out(&m)),
    ));
    fx.events
        .push((Topic::Conversation(g.conversation_id), event.clone()));
    fx.events.push((Topic::User(user), event));
    Ok(())
}

/// Joins a public group: at once when open (200, the group), or by a join request when
/// it needs approval (202, the request).
pub async fn join(
    state: &AppState,
    me: UserId,
    id: GroupId,
    input: JoinIn,
) -> Result<JoinOut, ApiError> {
    let note = model::note(state, "message", input.message.as_deref())?;
    locked(state, id, async |txn, lock, mut g, fx| {
        let mine = store::find_member(txn, g.id, me).await?;
        if g.visibility == Visibility::Private && mine.is_none() {
            return Err(no_group());
        }
        alive(&g)?;
        if mine.is_some() {
            return Err(ApiError::new(
                ErrorCode::AlreadyMember,
                "already a member of this group",
            ));
        }
        not_banned(state, txn, &g, me).await?;
        if needs_approval(&g) {
            if store::find_pending_request(txn, g.id, me).await?.is_some() {
                return Err(ApiError::new(
                    ErrorCode::JoinRequestPending,
                    "you already asked to join this group",
                ));
            }
            let r = store::JoinRequest {
                id: confab_proto::ids::JoinRequestId(state.ids.next_id()),
                group_id: g.id,
                user_id: me,
                message: note,
                status: "pending".into(),
                created_at: crate::infra::store::from_ms(state.clock.now().timestamp_millis()),
            };
            store::insert_request(txn, &r).await?;
            return Ok(JoinOut::Requested(super::invites::request_out(&r)));
        }
        admit(state, txn, lock, &mut g, me, me, fx).await?;
        Ok(JoinOut::Joined(group_out(&g, Some(Role::Member))))
    })
    .await
}

/// Leaves a group (the owner must transfer first).
pub async fn leave(state: &AppState, me: UserId, id: GroupId) -> Result<(), ApiError> {
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        if m.role == Role::Owner {
            return Err(ApiError::new(
                ErrorCode::OwnerMustTransfer,
                "transfer the group to another member before leaving",
            ));
        }
        remove(state, txn, lock, &mut g, me, me, None, fx).await
    })
    .await
}

/// Adds my friends directly: owner or admin, or any member when the group allows it.
pub async fn add(
    state: &AppState,
    me: UserId,
    id: GroupId,
    input: MembersIn,
) -> Result<Vec<MemberOut>, ApiError> {
    if input.user_ids.is_empty() {
        return Err(ApiError::invalid("user_ids", "user_ids: 1 to 100 users"));
    }
    // Authorise before asking about friendships (a stranger learns nothing from them).
    {
        let db = state.store.reader();
        let g = store::find_group(db, id).await?.ok_or_else(no_group)?;
        let m = member(db, &g, me).await?;
        alive(&g)?;
        if m.role == Role::Member && !g.member_invite {
            return Err(role_required(
                "only the owner or an admin may add members to this group",
            ));
        }
    }
    let users = addable(state, me, &input.user_ids, "user_ids").await?;
    if users.is_empty() {
        return Err(ApiError::invalid("user_ids", "user_ids: nobody to add"));
    }
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        if m.role == Role::Member && !g.member_invite {
            return Err(role_required(
                "only the owner or an admin may add members to this group",
            ));
        }
        for &u in &users {
            admit(state, txn, lock, &mut g, u, me, fx).await?;
        }
        let mut out = Vec::with_capacity(users.len());
        for &u in &users {
            if let Some(x) = store::find_member(txn, g.id, u).await? {
                out.push(member_out(state, x).await?);
            }
        }
        Ok(out)
    })
    .await
}

/// The wire form of a member.
pub(crate) async fn member_out(state: &AppState, m: Member) -> Result<MemberOut, ApiError> {
    let user = crate::accounts::service::get_user(state, m.user_id)
        .await?
        .public();
    Ok(MemberOut {
        user,
        role: m.role,
        nickname: m.nickname,
        muted_until: m
            .muted_until
            .filter(|u| *u > state.clock.now().timestamp_millis())
            .map(at),
        joined_at: m.joined_at,
    })
}

/// The members, by user id (members only).
pub async fn list(
    state: &AppState,
    me: UserId,
    id: GroupId,
    q: MemberQuery,
) -> Result<MemberPage, ApiError> {
    let limit = q.limit.unwrap_or(100);
    if !(1..=200).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit: 1 to 200"));
    }
    let after = match q.cursor.as_deref() {
        None | Some("") => None,
        Some(c) => Some(
            confab_proto::ids::parse_id(c)
                .map_err(|_| ApiError::invalid("cursor", "cursor: a next_cursor from a page"))?,
        ),
    };
    let db = state.store.reader();
    let g = store::find_group(db, id).await?.ok_or_else(no_group)?;
    member(db, &g, me).await?;
    let rows = store::list_members(db, id, after, u64::from(limit) + 1).await?;
    let more = rows.len() > limit as usize;
    let mut items = Vec::with_capacity(rows.len());
    for m in rows.into_iter().take(limit as usize) {
        items.push(member_out(state, m).await?);
    }
    let next_cursor = if more {
        items.last().map(|m| m.user.id.to_string())
    } else {
        None
    };
    Ok(MemberPage { items, next_cursor })
}

/// Checks that `actor` may moderate `target` and returns the target's row.
async fn moderated(
    txn: &DatabaseTransaction,
    g: &Group,
    actor: &Member,
    target: UserId,
) -> Result<Member, ApiError> {
    manager(actor)?;
    if target == actor.user_id {
        return Err(ApiError::invalid(
            "user_id",
            "you cannot do this to yourself",
        ));
    }
    let t = store::find_member(txn, g.id, target)
        .await?
        .ok_or_else(no_member)?;
    if !model::outranks(actor.role, t.role) {
        return Err(role_required(
            "an admin may act only on plain members; nobody acts on the owner",
        ));
    }
    Ok(t)
}

/// Kicks a member (owner or admin over a lower role), optionally banning them.
pub async fn kick(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
    q: KickQuery,
) -> Result<(), ApiError> {
    let now = state.clock.now();
    let ban_until = match q.ban_until {
        Some(t) => Some(Some(model::future(now, t, "ban_until")?)),
        None if q.ban == Some(true) => Some(None),
        None => None,
    };
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        moderated(txn, &g, &m, target).await?;
        let ban = ban_until.map(|until| Ban {
            group_id: g.id,
            user_id: target,
            until,
            by: me,
            reason: None,
            created_at: crate::infra::store::from_ms(now.timestamp_millis()),
        });
        if let Some(b) = &ban {
            store::put_ban(txn, b).await?;
        }
        remove(state, txn, lock, &mut g, target, me, ban.as_ref(), fx).await
    })
    .await
}

/// Changes a member: role (owner only), mute (owner/admin over a lower role), nickname
/// (the member themself).
pub async fn patch(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
    p: MemberPatch,
) -> Result<MemberOut, ApiError> {
    let now = state.clock.now();
    let mute = if p.mute.is_some() || p.mute_until.is_some() {
        Some(model::mute_end(now, p.mute, p.mute_until)?)
    } else {
        None
    };
    let nickname = match &p.nickname {
        Some(Some(n)) => Some(Some(model::text(
            state,
            "nickname",
            n,
            1,
            model::MAX_NICKNAME,
            false,
        )?)),
        Some(None) => Some(None),
        None => None,
    };
    if p.role.is_none() && mute.is_none() && nickname.is_none() {
        return Err(ApiError::invalid(
            "role",
            "give role, mute, mute_until or nickname",
        ));
    }
    if p.role == Some(Role::Owner) {
        return Err(ApiError::invalid(
            "role",
            "role: admin or member (ownership moves with POST /groups/{id}/transfer)",
        ));
    }
    let out = locked(state, id, async |txn, lock, g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        if nickname.is_some() && target != me {
            return Err(role_required("only members themselves set their nickname"));
        }
        let mut t = if target == me {
            m.clone()
        } else {
            store::find_member(txn, g.id, target)
                .await?
                .ok_or_else(no_member)?
        };
        if let Some(role) = p.role {
            owner(&m)?;
            if target == me {
                return Err(ApiError::invalid("role", "the owner's role moves only by transfer"));
            }
            if role != t.role {
                t.role = role;
                store::update_member(txn, &t).await?;
                let s = system(
                    state,
                    txn,
                    lock,
                    me,
                    serde_json::json!({"event": "member_role", "user_id": target, "role": role, "by": me}),
                    fx,
                )
                .await?;
                fx.events.push((
                    Topic::Conversation(g.conversation_id),
                    ServerEvent::GroupMemberUpdated(member_data(&g, s.seq, target, me, Some(role))),
                ));
            }
        }
        if let Some(until) = mute {
            let t2 = moderated(txn, &g, &m, target).await?;
            t.role = t2.role;
            t.muted_until = until;
            store::update_member(txn, &t).await?;
            let s = system(
                state,
                txn,
                lock,
                me,
                serde_json::json!({"event": "member_muted", "user_id": target, "by": me,
                    "until": until.map(at)}),
                fx,
            )
            .await?;
            let mut d = member_data(&g, s.seq, target, me, Some(t.role));
            d.until = until.map(at);
            fx.events.push((
                Topic::Conversation(g.conversation_id),
                ServerEvent::GroupMemberMuted(d),
            ));
        }
        if let Some(n) = nickname
            && n != t.nickname
        {
            t.nickname = n;
            store::update_member(txn, &t).await?;
            let s = system(
                state,
                txn,
                lock,
                me,
                serde_json::json!({"event": "member_nickname", "user_id": me, "nickname": t.nickname}),
                fx,
            )
            .await?;
            fx.events.push((
                Topic::Conversation(g.conversation_id),
                ServerEvent::GroupMemberUpdated(member_data(&g, s.seq, me, me, Some(t.role))),
            ));
        }
        Ok(t)
    })
    .await?;
    member_out(state, out).await
}

/// Hands the group to another member (owner only); the old owner becomes an admin.
pub async fn transfer(
    state: &AppState,
    me: UserId,
    id: GroupId,
    input: TransferIn,
) -> Result<GroupOut, ApiError> {
    locked(state, id, async |txn, lock, mut g, fx| {
        let mut m = member(txn, &g, me).await?;
        alive(&g)?;
        owner(&m)?;
        if input.user_id == me {
            return Err(ApiError::invalid("user_id", "you already own this group"));
        }
        let mut t = store::find_member(txn, g.id, input.user_id)
            .await?
            .ok_or_else(no_member)?;
        t.role = Role::Owner;
        t.muted_until = None;
        m.role = Role::Admin;
        store::update_member(txn, &t).await?;
        store::update_member(txn, &m).await?;
        g.owner_id = t.user_id;
        updated(state, txn, lock, &g, me, &["owner_id"], fx).await?;
        let seq = lock.last_seq;
        for (u, r) in [(t.user_id, Role::Owner), (me, Role::Admin)] {
            fx.events.push((
                Topic::Conversation(g.conversation_id),
                ServerEvent::GroupMemberUpdated(member_data(&g, seq, u, me, Some(r))),
            ));
        }
        Ok(group_out(&g, Some(Role::Admin)))
    })
    .await
}

/// Turns mute-all on or off (owner or admin); setting the state it is in changes nothing.
pub async fn mute_all(
    state: &AppState,
    me: UserId,
    id: GroupId,
    input: MuteAllIn,
) -> Result<GroupOut, ApiError> {
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        if g.all_muted != input.muted {
            g.all_muted = input.muted;
            updated(state, txn, lock, &g, me, &["all_muted"], fx).await?;
        }
        Ok(group_out(&g, Some(m.role)))
    })
    .await
}

fn ban_out(b: &Ban) -> BanOut {
    BanOut {
        group_id: b.group_id,
        user_id: b.user_id,
        until: b.until.map(at),
        by: b.by,
        reason: b.reason.clone(),
        created_at: b.created_at,
    }
}

/// The bans still in force (owner or admin).
pub async fn bans(state: &AppState, me: UserId, id: GroupId) -> Result<Vec<BanOut>, ApiError> {
    let db = state.store.reader();
    let g = store::find_group(db, id).await?.ok_or_else(no_group)?;
    manager(&member(db, &g, me).await?)?;
    let now = state.clock.now();
    Ok(store::list_bans(db, id)
        .await?
        .iter()
        .filter(|b| b.active_at(now))
        .map(ban_out)
        .collect())
}

/// Bans a user (owner or admin): a member is kicked with it (rank rules apply); anyone
/// else is kept from joining by any path until it ends. Setting it again replaces it.
pub async fn ban(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
    input: BanIn,
) -> Result<BanOut, ApiError> {
    let now = state.clock.now();
    let until = match input.until {
        Some(t) => Some(model::future(now, t, "until")?),
        None => None,
    };
    let reason = model::note(state, "reason", input.reason.as_deref())?;
    if target == me {
        return Err(ApiError::invalid("user_id", "you cannot ban yourself"));
    }
    crate::accounts::service::get_user(state, target).await?;
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        let b = Ban {
            group_id: g.id,
            user_id: target,
            until,
            by: me,
            reason,
            created_at: crate::infra::store::from_ms(now.timestamp_millis()),
        };
        let is_member = store::find_member(txn, g.id, target).await?.is_some();
        if is_member {
            moderated(txn, &g, &m, target).await?;
        }
        store::put_ban(txn, &b).await?;
        if is_member {
            remove(state, txn, lock, &mut g, target, me, Some(&b), fx).await?;
        }
        Ok(ban_out(&b))
    })
    .await
}

/// Lifts a ban (owner or admin).
pub async fn unban(
    state: &AppState,
    me: UserId,
    id: GroupId,
    target: UserId,
) -> Result<(), ApiError> {
    locked(state, id, async |txn, _lock, g, _fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        manager(&m)?;
        if !store::delete_ban(txn, g.id, target).await? {
            return Err(ApiError::new(ErrorCode::NotFound, "no such ban"));
        }
        Ok(())
    })
    .await
}
