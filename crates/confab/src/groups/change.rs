//! The locked-change machinery every membership or settings change runs through: the
//! conversation lock and the re-read under it ([`locked`]), the effects published after the
//! commit ([`Effects`], [`apply`]), the `system` message that records a change ([`system`]),
//! and the membership checks made under the lock.

use chrono::{DateTime, Utc};
use confab_proto::groups::{Role, Visibility};
use confab_proto::ids::{ConversationId, GroupId, UserId};
use confab_proto::ws::ServerEvent;
use sea_orm::{DatabaseTransaction, TransactionTrait};

use super::error::GroupsError;
use super::store::{self, Group, Member};
use super::system::SystemEvent;
use crate::error::ApiError;
use crate::infra::bus::Topic;
use crate::infra::store::StoreError;
use crate::messaging::Message;
use crate::messaging::service::message_out;
use crate::messaging::window::{self, Locked};
use crate::state::AppState;

/// What a committed change still has to do: fan-out index updates (first), then events.
#[derive(Default)]
pub(crate) struct Effects {
    /// Users who joined the conversation.
    pub added: Vec<UserId>,
    /// Users who left it.
    pub removed: Vec<UserId>,
    /// Events to publish, in order.
    pub events: Vec<(Topic, ServerEvent)>,
}

impl Effects {
    /// Queues an event for the group's conversation.
    pub fn for_conversation(&mut self, g: &Group, event: ServerEvent) {
        self.events
            .push((Topic::Conversation(g.conversation_id), event));
    }
}

/// What a non-member hears about a group: a private group does not exist for them (404);
/// a public one answers `not_group_member`.
pub(crate) fn outsider(g: &Group) -> GroupsError {
    match g.visibility {
        Visibility::Private => GroupsError::NoGroup,
        Visibility::Public => GroupsError::NotMember,
    }
}

/// `group_dissolved` once dissolved.
pub(crate) fn alive(g: &Group) -> Result<(), GroupsError> {
    if g.dissolved_at.is_some() {
        return Err(GroupsError::Dissolved);
    }
    Ok(())
}

/// My membership, or the outsider's error.
pub(crate) async fn member(
    db: &impl sea_orm::ConnectionTrait,
    g: &Group,
    me: UserId,
) -> Result<Member, ApiError> {
    Ok(store::find_member(db, g.id, me)
        .await?
        .ok_or_else(|| outsider(g))?)
}

/// Requires the owner or an admin.
pub(crate) fn manager(m: &Member) -> Result<(), GroupsError> {
    if m.role == Role::Member {
        return Err(GroupsError::ManagersOnly);
    }
    Ok(())
}

/// Requires the owner.
pub(crate) fn owner(m: &Member) -> Result<(), GroupsError> {
    if m.role != Role::Owner {
        return Err(GroupsError::OwnerOnly);
    }
    Ok(())
}

/// A group and my membership, read outside any lock (for reads and early checks): the
/// group must exist and I must be in it.
pub(crate) async fn membership(
    state: &AppState,
    id: GroupId,
    me: UserId,
) -> Result<(Group, Member), ApiError> {
    let db = state.store.reader();
    let g = store::find_group(db, id)
        .await?
        .ok_or(GroupsError::NoGroup)?;
    let m = member(db, &g, me).await?;
    Ok((g, m))
}

pub(crate) fn db_err(e: sea_orm::DbErr) -> ApiError {
    StoreError::from(e).into()
}

/// Runs a change in ONE transaction that first locks the group's conversation (the writer's
/// lock, so sends and membership changes are ordered; see `messaging` invariants), then
/// re-reads the group under it. `f` checks the rules and writes; when it succeeds the
/// transaction commits, then the fan-out index is updated on every node (so a removed member
/// gets nothing published after), then the events are published. An error rolls back.
pub(crate) async fn locked<T>(
    state: &AppState,
    id: GroupId,
    f: impl AsyncFnOnce(&DatabaseTransaction, &mut Locked, Group, &mut Effects) -> Result<T, ApiError>,
) -> Result<T, ApiError> {
    let g = store::find_group(state.store.reader(), id)
        .await?
        .ok_or(GroupsError::NoGroup)?;
    let txn = state.store.writer().begin().await.map_err(db_err)?;
    let mut lock = lock(&txn, g.conversation_id).await?;
    let g = store::find_group(&txn, id)
        .await?
        .ok_or(GroupsError::NoGroup)?;
    let mut fx = Effects::default();
    let out = f(&txn, &mut lock, g, &mut fx).await?;
    txn.commit().await.map_err(db_err)?;
    apply(state, lock.conversation_id, fx).await;
    Ok(out)
}

/// Takes the conversation lock of a group (first thing in its transaction).
pub(crate) async fn lock(
    txn: &DatabaseTransaction,
    conv: ConversationId,
) -> Result<Locked, ApiError> {
    Ok(window::lock(txn, conv)
        .await
        .map_err(db_err)?
        .ok_or(GroupsError::NoGroup)?)
}

/// Publishes a committed change's effects: membership first, then events.
pub(crate) async fn apply(state: &AppState, conv: ConversationId, fx: Effects) {
    // Members, roles, mutes, mute-all or dissolution: whatever changed, the send path's
    // cached rows of every group are stale now (`rulecache`).
    crate::rulecache::changed(state).await;
    if !fx.added.is_empty() || !fx.removed.is_empty() {
        crate::messaging::service::members_changed(state, conv, fx.added, fx.removed).await;
    }
    for (topic, event) in fx.events {
        crate::push::emit(state, topic, &event).await;
    }
}

/// Appends the `system` message that records a change (and queues its `message.new`).
pub(crate) async fn system(
    state: &AppState,
    txn: &DatabaseTransaction,
    lock: &mut Locked,
    actor: UserId,
    event: SystemEvent,
    fx: &mut Effects,
) -> Result<Message, ApiError> {
    let body = event.body().map_err(ApiError::internal)?;
    let m = window::append_system(txn, &state.ids, lock, actor, &body, state.clock.now())
        .await
        .map_err(db_err)?;
    fx.events.push((
        Topic::Conversation(lock.conversation_id),
        ServerEvent::MessageNew(message_out(&m)),
    ));
    Ok(m)
}

/// The stored milliseconds as a time.
pub(crate) fn at(ms: i64) -> DateTime<Utc> {
    crate::infra::store::from_ms(ms)
}
