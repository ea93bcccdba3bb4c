//! The application state every handler can reach: a small `Clone` struct of shared handles.

use std::sync::Arc;

use metrics_exporter_prometheus::PrometheusHandle;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::infra::blob::Blobs;
use crate::infra::bus::Bus;
use crate::infra::cache::Cache;
use crate::infra::clock::Clock;
use crate::infra::ids::IdGen;
use crate::infra::store::Store;
use crate::tasks::Tasks;

/// Shared handles. Cloning is cheap.
#[derive(Clone)]
pub struct AppState {
    /// The effective configuration.
    pub config: Arc<Config>,
    /// Relational store.
    pub store: Store,
    /// Event bus.
    pub bus: Arc<dyn Bus>,
    /// Shared short-lived state.
    pub cache: Arc<dyn Cache>,
    /// Uploaded files.
    pub blobs: Blobs,
    /// Time for business rules.
    pub clock: Arc<dyn Clock>,
    /// Snowflake ids.
    pub ids: Arc<IdGen>,
    /// Renders `/metrics`.
    pub metrics: PrometheusHandle,
    /// Cancelled when the node begins shutting down: sockets close with 1001.
    pub shutdown: CancellationToken,
    /// Background tasks.
    pub tasks: Tasks,
    /// Tokens, passwords and session checks.
    pub auth: Arc<crate::accounts::auth::AuthContext>,
    /// The message writer (the only code that allocates seqs).
    pub writer: crate::messaging::writer::Writer,
    /// Control messages applied on this node (the gateway listens to close revoked sessions).
    pub control: tokio::sync::broadcast::Sender<crate::events::Control>,
    /// Mail and SMS delivery (verification codes).
    pub notify: crate::notify::Notifier,
    /// The sensitive-word filter in force on this node (swapped whole on a change).
    pub filter: Arc<crate::moderation::filter::Handle>,
    /// The WebSocket sockets open on this node.
    pub gateway: Arc<crate::gateway::Registry>,
    /// The send path's cached rule rows (`rules.rs`).
    pub rules: Arc<crate::rules::SendRules>,
}
