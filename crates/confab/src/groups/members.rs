//! Membership: joining (search, request, invite, being added), leaving, the member list,
//! and the two steps every path in or out ends with ([`admit`], [`remove`]). Every change
//! runs through [`locked`], so it is ordered with sends and with every other change to the
//! group.

use confab_proto::groups::{
    GroupMemberData, JoinIn, JoinOut, MemberOut, MemberPage, MemberQuery, MembersIn, Role,
    Visibility,
};
use confab_proto::ids::{GroupId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::DatabaseTransaction;

use super::change::{Effects, alive, at, locked, member, membership, system};
use super::error::GroupsError;
use super::model::Texts;
use super::service::{addable, cursor, group_out, needs_approval, new_member, sees_all};
use super::store::{self, Ban, Group, Member};
use super::system::SystemEvent;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::messaging::window::{self, Locked};
use crate::state::AppState;

/// The data of a `group.member_*` event.
pub(crate) fn member_data(
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
        return Err(GroupsError::Banned.into());
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
        return Err(GroupsError::AlreadyMember.into());
    }
    if g.member_count >= g.member_limit {
        return Err(GroupsError::Full {
            limit: g.member_limit,
        }
        .into());
    }
    let now = state.clock.now();
    let joined_seq = if sees_all(g) { 0 } else { lock.last_seq };
    let joined_at = crate::infra::store::from_ms(now.timestamp_millis());
    store::insert_member(txn, &new_member(g, user, Role::Member, joined_at)).await?;
    let event = SystemEvent::MemberJoined { user_id: user, by };
    let m = system(state, txn, lock, by, event, fx).await?;
    window::open(txn, g.conversation_id, user, joined_seq, m.seq, now).await?;
    g.member_count += 1;
    store::update_group(txn, g, now).await?;
    fx.added.push(user);
    fx.for_conversation(
        g,
        ServerEvent::GroupMemberJoined(member_data(g, m.seq, user, by, Some(Role::Member))),
    );
    Ok(())
}

/// Removes a member from a locked group (leave or kick): the system message, then their
/// window closes at its seq, so they see the record of their removal and nothing after.
/// They get both events on their own topic (they are out of the conversation's by then).
#[expect(clippy::too_many_arguments, reason = "one removal, spelled out")]
pub(crate) async fn remove(
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
    let until = ban.and_then(|b| b.until).map(at);
    let event = if kicked {
        SystemEvent::MemberKicked {
            user_id: user,
            by,
            banned: ban.is_some(),
            until,
        }
    } else {
        SystemEvent::MemberLeft { user_id: user }
    };
    let m = system(state, txn, lock, by, event, fx).await?;
    window::close(txn, g.conversation_id, user, m.seq, now).await?;
    g.member_count = g.member_count.saturating_sub(1);
    store::update_group(txn, g, now).await?;
    fx.removed.push(user);
    let mut data = member_data(g, m.seq, user, by, None);
    data.banned = ban.is_some();
    data.until = until;
    let event = if kicked {
        ServerEvent::GroupMemberKicked(data)
    } else {
        ServerEvent::GroupMemberLeft(data)
    };
    fx.events.push((
        Topic::User(user),
        ServerEvent::MessageNew(crate::messaging::service::message_out(&m)),
    ));
    fx.for_conversation(g, event.clone());
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
    let mut texts = Texts::new(state);
    let note = texts.note("message", input.message.as_deref())?;
    let out = locked(state, id, async |txn, lock, mut g, fx| {
        let mine = store::find_member(txn, g.id, me).await?;
        if g.visibility == Visibility::Private && mine.is_none() {
            return Err(GroupsError::NoGroup.into());
        }
        alive(&g)?;
        if mine.is_some() {
            return Err(GroupsError::AlreadyMember.into());
        }
        not_banned(state, txn, &g, me).await?;
        if needs_approval(&g) {
            return request(state, txn, &g, me, note).await;
        }
        admit(state, txn, lock, &mut g, me, me, fx).await?;
        Ok(JoinOut::Joined(group_out(&g, Some(Role::Member))))
    })
    .await?;
    // The note is stored only with a request.
    if let JoinOut::Requested(_) = out {
        texts.file_reviews(id, me).await;
    }
    Ok(out)
}

/// Stores my join request to a group that needs approval (one pending at a time).
async fn request(
    state: &AppState,
    txn: &DatabaseTransaction,
    g: &Group,
    me: UserId,
    note: Option<String>,
) -> Result<JoinOut, ApiError> {
    if store::find_pending_request(txn, g.id, me).await?.is_some() {
        return Err(GroupsError::RequestPending.into());
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
    Ok(JoinOut::Requested(super::invites::request_out(&r)))
}

/// Leaves a group (the owner must transfer first).
pub async fn leave(state: &AppState, me: UserId, id: GroupId) -> Result<(), ApiError> {
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        if m.role == Role::Owner {
            return Err(GroupsError::OwnerMustTransfer.into());
        }
        remove(state, txn, lock, &mut g, me, me, None, fx).await
    })
    .await
}

/// Requires that `m` may add members to `g`: owner or admin, or anyone when the group
/// lets members invite.
fn may_add(g: &Group, m: &Member) -> Result<(), GroupsError> {
    if m.role == Role::Member && !g.member_invite {
        return Err(GroupsError::ManagersAdd);
    }
    Ok(())
}

/// Adds my friends directly: owner or admin, or any member when the group allows it.
pub async fn add(
    state: &AppState,
    me: UserId,
    id: GroupId,
    input: MembersIn,
) -> Result<Vec<MemberOut>, ApiError> {
    if input.user_ids.is_empty() {
        return Err(GroupsError::NoUsersGiven.into());
    }
    // Authorise before asking about friendships (a stranger learns nothing from them).
    let (g, m) = membership(state, id, me).await?;
    alive(&g)?;
    may_add(&g, &m)?;
    let users = addable(state, me, &input.user_ids, "user_ids").await?;
    if users.is_empty() {
        return Err(GroupsError::NobodyToAdd.into());
    }
    locked(state, id, async |txn, lock, mut g, fx| {
        let m = member(txn, &g, me).await?;
        may_add(&g, &m)?;
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
        return Err(GroupsError::MemberPageLimit.into());
    }
    let after = cursor(q.cursor.as_deref())?;
    membership(state, id, me).await?;
    let rows = store::list_members(state.store.reader(), id, after, u64::from(limit) + 1).await?;
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
