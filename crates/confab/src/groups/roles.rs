//! Changing members and who runs the group: a member's role (owner only), mute (owner or
//! admin over a lower role) and nickname (the member themself); ownership transfer; mute-all.

use chrono::{DateTime, Utc};
use confab_proto::groups::{
    GroupMemberData, GroupOut, MemberOut, MemberPatch, MuteAllIn, Role, TransferIn,
};
use confab_proto::ids::{GroupId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::DatabaseTransaction;

use super::bans::moderated;
use super::change::{Effects, alive, at, locked, manager, member, owner, system};
use super::error::GroupsError;
use super::members::{member_data, member_out};
use super::model::{self, Texts};
use super::service::{group_out, updated};
use super::store::{self, Group, Member};
use super::system::SystemEvent;
use crate::error::ApiError;
use crate::messaging::window::Locked;
use crate::state::AppState;

/// A checked member patch (`None`: leave as is).
struct MemberChange {
    role: Option<Role>,
    mute: Option<Option<i64>>,
    nickname: Option<Option<String>>,
}

impl MemberChange {
    /// Checks (and screens) a patch, before any lock is taken.
    fn check(state: &AppState, p: MemberPatch, texts: &mut Texts<'_>) -> Result<Self, ApiError> {
        let mute = if p.mute.is_some() || p.mute_until.is_some() {
            Some(model::mute_end(state.clock.now(), p.mute, p.mute_until)?)
        } else {
            None
        };
        let nickname = match &p.nickname {
            Some(n) => {
                Some(texts.optional("nickname", n.as_deref(), 1, model::MAX_NICKNAME, false)?)
            }
            None => None,
        };
        if p.role.is_none() && mute.is_none() && nickname.is_none() {
            return Err(GroupsError::NothingToChange.into());
        }
        if p.role == Some(Role::Owner) {
            return Err(GroupsError::OwnerRole.into());
        }
        Ok(Self {
            role: p.role,
            mute,
            nickname,
        })
    }
}

/// One locked change to a member (`target`) by `actor`: each step writes the row, records
/// a system message and queues its event.
struct Edit<'a> {
    state: &'a AppState,
    txn: &'a DatabaseTransaction,
    lock: &'a mut Locked,
    fx: &'a mut Effects,
    g: &'a Group,
    actor: &'a Member,
    target: Member,
}

impl Edit<'_> {
    /// Stores the target's row, records `event`, and queues the member event `wrap` makes
    /// (with the mute end `until`, if any).
    async fn record(
        &mut self,
        event: SystemEvent,
        until: Option<DateTime<Utc>>,
        wrap: fn(GroupMemberData) -> ServerEvent,
    ) -> Result<(), ApiError> {
        store::update_member(self.txn, &self.target).await?;
        let by = self.actor.user_id;
        let s = system(self.state, self.txn, self.lock, by, event, self.fx).await?;
        let role = Some(self.target.role);
        let mut data = member_data(self.g, s.seq, self.target.user_id, by, role);
        data.until = until;
        self.fx.for_conversation(self.g, wrap(data));
        Ok(())
    }

    /// Sets the target's role (owner only; never their own).
    async fn role(&mut self, role: Role) -> Result<(), ApiError> {
        owner(self.actor)?;
        if self.target.user_id == self.actor.user_id {
            return Err(GroupsError::OwnRole.into());
        }
        if role == self.target.role {
            return Ok(());
        }
        self.target.role = role;
        let event = SystemEvent::MemberRole {
            user_id: self.target.user_id,
            role,
            by: self.actor.user_id,
        };
        self.record(event, None, ServerEvent::GroupMemberUpdated)
            .await
    }

    /// Mutes the target until `until`, or unmutes them (over a lower role only).
    async fn mute(&mut self, until: Option<i64>) -> Result<(), ApiError> {
        let user = self.target.user_id;
        let current = moderated(self.txn, self.g, self.actor, user).await?;
        self.target.role = current.role;
        self.target.muted_until = until;
        let until = until.map(at);
        let event = SystemEvent::MemberMuted {
            user_id: user,
            by: self.actor.user_id,
            until,
        };
        self.record(event, until, ServerEvent::GroupMemberMuted)
            .await
    }

    /// Sets or clears the actor's own nickname (the target is the actor).
    async fn nickname(&mut self, nickname: Option<String>) -> Result<(), ApiError> {
        if nickname == self.target.nickname {
            return Ok(());
        }
        self.target.nickname = nickname;
        let event = SystemEvent::MemberNickname {
            user_id: self.actor.user_id,
            nickname: self.target.nickname.clone(),
        };
        self.record(event, None, ServerEvent::GroupMemberUpdated)
            .await
    }
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
    let mut texts = Texts::new(state);
    let change = MemberChange::check(state, p, &mut texts)?;
    let out = locked(state, id, async |txn, lock, g, fx| {
        let m = member(txn, &g, me).await?;
        alive(&g)?;
        if change.nickname.is_some() && target != me {
            return Err(GroupsError::OwnNicknameOnly.into());
        }
        let t = if target == me {
            m.clone()
        } else {
            store::find_member(txn, g.id, target)
                .await?
                .ok_or(GroupsError::NoMember)?
        };
        let mut edit = Edit {
            state,
            txn,
            lock,
            fx,
            g: &g,
            actor: &m,
            target: t,
        };
        if let Some(role) = change.role {
            edit.role(role).await?;
        }
        if let Some(until) = change.mute {
            edit.mute(until).await?;
        }
        if let Some(n) = change.nickname {
            edit.nickname(n).await?;
        }
        Ok(edit.target)
    })
    .await?;
    texts.file_reviews(id, me).await;
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
            return Err(GroupsError::AlreadyOwner.into());
        }
        let mut t = store::find_member(txn, g.id, input.user_id)
            .await?
            .ok_or(GroupsError::NoMember)?;
        t.role = Role::Owner;
        t.muted_until = None;
        m.role = Role::Admin;
        store::update_member(txn, &t).await?;
        store::update_member(txn, &m).await?;
        g.owner_id = t.user_id;
        updated(state, txn, lock, &g, me, &["owner_id"], fx).await?;
        let seq = lock.last_seq;
        for (u, r) in [(t.user_id, Role::Owner), (me, Role::Admin)] {
            fx.for_conversation(
                &g,
                ServerEvent::GroupMemberUpdated(member_data(&g, seq, u, me, Some(r))),
            );
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
