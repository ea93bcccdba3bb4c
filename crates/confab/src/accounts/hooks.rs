//! What accounts asks of the features above it, through traits they implement and register
//! at start-up, so accounts imports none of them: social decides who may find whom and how
//! a viewer relates to a profile ([`Discovery`]); media knows whether a file is an image of
//! the user's ([`Images`]).

use std::sync::{Arc, OnceLock};

use async_trait::async_trait;
use confab_proto::accounts::UserOut;
use confab_proto::ids::{FileId, UserId};

use super::error::AccountsError;
use crate::error::ApiError;
use crate::state::AppState;

/// Which exact fields a user may be found by (the user's discovery privacy).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Findable {
    /// By username.
    pub by_username: bool,
    /// By email.
    pub by_email: bool,
    /// By phone.
    pub by_phone: bool,
}

/// Discovery and relations (social implements it).
#[async_trait]
pub trait Discovery: Send + Sync {
    /// The exact fields `user` may be found by.
    async fn findable(&self, state: &AppState, user: UserId) -> Result<Findable, ApiError>;
    /// Adds what `viewer` may know about `user`: follow counts and their relation.
    async fn decorate(
        &self,
        state: &AppState,
        viewer: UserId,
        user: &mut UserOut,
    ) -> Result<(), ApiError>;
    /// Search results as `viewer` may see them: users who block the viewer removed, each
    /// with the viewer's relation to it.
    async fn annotate(
        &self,
        state: &AppState,
        viewer: UserId,
        items: Vec<UserOut>,
    ) -> Result<Vec<UserOut>, ApiError>;
}

/// Uploaded images (media implements it).
#[async_trait]
pub trait Images: Send + Sync {
    /// Ok when `file` is an image `user` uploaded; the refusal names `field`.
    async fn require_own_image(
        &self,
        state: &AppState,
        user: UserId,
        file: FileId,
        field: &'static str,
    ) -> Result<(), ApiError>;
}

/// The registered implementations.
#[derive(Default)]
pub struct Hooks {
    discovery: OnceLock<Arc<dyn Discovery>>,
    images: OnceLock<Arc<dyn Images>>,
}

fn hooks(state: &AppState) -> &Hooks {
    &super::auth::context(state).hooks
}

/// Registers social's discovery rules (start-up).
pub fn register_discovery(state: &AppState, d: Arc<dyn Discovery>) {
    if hooks(state).discovery.set(d).is_err() {
        tracing::error!("discovery registered twice; the first stays");
    }
}

/// Registers media's image check (start-up).
pub fn register_images(state: &AppState, i: Arc<dyn Images>) {
    if hooks(state).images.set(i).is_err() {
        tracing::error!("image check registered twice; the first stays");
    }
}

/// Social's discovery rules. Without them (a wiring bug) every lookup is refused with a
/// 503 rather than answered without privacy.
pub(super) fn discovery(state: &AppState) -> Result<&dyn Discovery, ApiError> {
    hooks(state)
        .discovery
        .get()
        .map(AsRef::as_ref)
        .ok_or_else(|| unwired("discovery"))
}

/// Media's image check (see [`discovery`] for the unwired case).
pub(super) fn images(state: &AppState) -> Result<&dyn Images, ApiError> {
    hooks(state)
        .images
        .get()
        .map(AsRef::as_ref)
        .ok_or_else(|| unwired("images"))
}

fn unwired(what: &str) -> ApiError {
    tracing::error!(hook = what, "accounts hook not registered at start-up");
    AccountsError::Starting.into()
}
