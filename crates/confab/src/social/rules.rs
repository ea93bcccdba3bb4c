//! What social answers for the features below it, registered at start-up: the rules of a
//! direct chat (messaging's [`ConversationRules`] for `direct`: blocks either way and
//! `social.direct_policy`), and discovery (accounts' [`Discovery`]: who may find whom, how a
//! viewer relates to a profile).

use async_trait::async_trait;
use confab_proto::accounts::UserOut;
use confab_proto::ids::UserId;

use super::error::SocialError;
use super::service::{
    annotate_search, decorate_profile, direct_verdict, friends_if_needed, privacy_of,
};
use super::store;
use crate::accounts::hooks::{Discovery, Findable};
use crate::error::ApiError;
use crate::messaging::rules::{ConversationRules, Place};
use crate::rulecache::RuleCache;
use crate::state::AppState;

/// A direct chat's relation as a sender sees it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Relation {
    /// Either side blocks the other.
    blocked: bool,
    /// They are friends (read only when the direct policy needs it).
    friends: bool,
}

/// Social's runtime state on this node: (sender, peer) → their relation, for the send path
/// (`rulecache`).
#[derive(Default)]
pub struct Runtime {
    relations: RuleCache<(UserId, UserId), Relation>,
}

/// The rules of direct chats.
pub struct DirectRules;

impl DirectRules {
    /// The verdict for `me` sending to `at.peer` (a chat with oneself always passes).
    async fn check(&self, state: &AppState, at: &Place) -> Result<(), ApiError> {
        let Some(peer) = at.peer else {
            return Ok(());
        };
        let me = at.me;
        let rel = state
            .slot::<Runtime>()
            .relations
            .get(&state.rules, (me, peer), async || {
                let db = state.store.reader();
                Ok::<_, ApiError>(Some(Relation {
                    blocked: store::blocked_either_way(db, me, peer).await?,
                    friends: friends_if_needed(state, me, peer).await?,
                }))
            })
            .await?;
        match rel {
            Some(r) => direct_verdict(state, r.blocked, r.friends),
            None => Ok(()),
        }
    }
}

#[async_trait]
impl ConversationRules for DirectRules {
    async fn check_send(
        &self,
        state: &AppState,
        at: &Place,
        _mentions_all: bool,
    ) -> Result<(), ApiError> {
        self.check(state, at).await
    }

    async fn check_typing(&self, state: &AppState, at: &Place) -> Result<(), ApiError> {
        self.check(state, at).await
    }

    /// Edits and reactions reach the peer, so a block refuses them as it refuses sends.
    /// (The friend policy does not apply: they act on messages that were allowed.)
    async fn check_act(&self, state: &AppState, at: &Place) -> Result<(), ApiError> {
        if let Some(peer) = at.peer
            && store::blocked_either_way(state.store.reader(), at.me, peer).await?
        {
            return Err(SocialError::Blocked.into());
        }
        Ok(())
    }

    async fn check_open(&self, state: &AppState, me: UserId, peer: UserId) -> Result<(), ApiError> {
        super::service::check_direct(state, me, peer).await
    }
}

/// Discovery, as accounts asks it.
pub struct DiscoveryRules;

#[async_trait]
impl Discovery for DiscoveryRules {
    async fn findable(&self, state: &AppState, user: UserId) -> Result<Findable, ApiError> {
        let p = privacy_of(state, user).await?;
        Ok(Findable {
            by_username: p.by_username,
            by_email: p.by_email,
            by_phone: p.by_phone,
        })
    }

    async fn decorate(
        &self,
        state: &AppState,
        viewer: UserId,
        user: &mut UserOut,
    ) -> Result<(), ApiError> {
        decorate_profile(state, viewer, user).await
    }

    async fn annotate(
        &self,
        state: &AppState,
        viewer: UserId,
        items: Vec<UserOut>,
    ) -> Result<Vec<UserOut>, ApiError> {
        annotate_search(state, viewer, items).await
    }
}
