//! The rules of a group's conversation, as messaging asks them ([`ConversationRules`] for
//! `group`, registered at start-up): not dissolved, the sender not muted, mute-all only for
//! plain members, `@all` only for owner/admin; managers recall lower roles' messages; only
//! the sender, the owner and admins see who read a message.

use async_trait::async_trait;
use confab_proto::ids::{ConversationId, UserId};

use confab_proto::groups::Role;

use super::change::{alive, at};
use super::error::GroupsError;
use super::model;
use super::store::{self, Group, Member};
use crate::error::ApiError;
use crate::messaging::rules::{ConversationRules, Place};
use crate::rulecache::RuleCache;
use crate::state::AppState;

/// Groups' runtime state on this node: (group conversation, sender) → the group and the
/// sender's group row, for the send path (`rulecache`).
#[derive(Default)]
pub struct Runtime {
    members: RuleCache<(ConversationId, UserId), (Group, Member)>,
}

/// The rules of group conversations.
pub struct GroupRules;

#[async_trait]
impl ConversationRules for GroupRules {
    async fn check_send(
        &self,
        state: &AppState,
        at: &Place,
        mentions_all: bool,
    ) -> Result<(), ApiError> {
        check_send(state, at.conv, at.me, mentions_all).await
    }

    fn allows_mention_all(&self) -> bool {
        true
    }

    async fn may_recall_others(
        &self,
        state: &AppState,
        at: &Place,
        sender: UserId,
    ) -> Result<bool, ApiError> {
        may_recall_as_manager(state, at.conv, at.me, sender).await
    }

    async fn may_list_readers(
        &self,
        state: &AppState,
        at: &Place,
        sender: UserId,
    ) -> Result<bool, ApiError> {
        may_list_readers(state, at.conv, at.me, sender).await
    }
}

/// The send rules of a group conversation (messaging asks before storing): not dissolved,
/// the sender not muted, mute-all only for plain members, `@all` only for owner/admin.
async fn check_send(
    state: &AppState,
    conv: ConversationId,
    me: UserId,
    mentions_all: bool,
) -> Result<(), ApiError> {
    let db = state.store.reader();
    let cached = state
        .slot::<Runtime>()
        .members
        .get(&state.rules, (conv, me), async || {
            store::find_membership_by_conversation(db, conv, me).await
        })
        .await?;
    let (g, m) = match cached {
        Some(found) => found,
        None => {
            let Some(g) = store::find_group_by_conversation(db, conv).await? else {
                return Ok(());
            };
            alive(&g)?;
            return Err(GroupsError::NoLongerMember.into());
        }
    };
    alive(&g)?;
    if m.muted_at(state.clock.now()) {
        return Err(match m.muted_until {
            Some(u) if u < model::FOREVER_MS => GroupsError::MutedUntil {
                until: at(u).to_rfc3339(),
            },
            _ => GroupsError::Muted,
        }
        .into());
    }
    if g.all_muted && m.role == Role::Member {
        return Err(GroupsError::AllMuted.into());
    }
    if mentions_all && m.role == Role::Member {
        return Err(GroupsError::MentionAllForbidden.into());
    }
    Ok(())
}

/// Whether `me` may recall `sender`'s message in a group conversation as its owner or an
/// admin (at any time): the owner anyone's, an admin plain members' (and former members').
async fn may_recall_as_manager(
    state: &AppState,
    conv: ConversationId,
    me: UserId,
    sender: UserId,
) -> Result<bool, ApiError> {
    let db = state.store.reader();
    let Some(g) = store::find_group_by_conversation(db, conv).await? else {
        return Ok(false);
    };
    if g.dissolved_at.is_some() {
        return Ok(false);
    }
    let Some(mine) = store::find_member(db, g.id, me).await? else {
        return Ok(false);
    };
    let theirs = store::find_member(db, g.id, sender)
        .await?
        .map_or(Role::Member, |m| m.role);
    Ok(model::outranks(mine.role, theirs))
}

/// Whether `me` may list who read `sender`'s message: in a group, the sender, the owner and
/// admins; elsewhere every member.
async fn may_list_readers(
    state: &AppState,
    conv: ConversationId,
    me: UserId,
    sender: UserId,
) -> Result<bool, ApiError> {
    if me == sender {
        return Ok(true);
    }
    let db = state.store.reader();
    let Some(g) = store::find_group_by_conversation(db, conv).await? else {
        return Ok(true);
    };
    Ok(store::find_member(db, g.id, me)
        .await?
        .is_some_and(|m| m.role != Role::Member))
}
