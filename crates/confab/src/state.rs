//! The application state every handler can reach: a small `Clone` struct of the ports and
//! the leaf handles below the features. A feature's own runtime state (the message writer,
//! the word filter, the session cache, rule caches) sits in a typed [`Slots`] entry that
//! only that feature names, behind its API: nothing here imports a feature.

use std::any::{Any, TypeId, type_name};
use std::collections::HashMap;
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
use crate::notify::Notifier;
use crate::push::Push;
use crate::rulecache::Epoch;
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
    /// Mail and SMS delivery (verification codes).
    pub notify: Notifier,
    /// The push layer: socket registry, control messages.
    pub push: Arc<Push>,
    /// The send-rule epoch every feature's rule cache is stamped with (`rulecache`).
    pub rules: Arc<Epoch>,
    /// Each feature's runtime state, by type (installed at start-up, `Application::build`).
    pub(crate) slots: Arc<Slots>,
}

/// Feature runtime state by type: installed once at start-up (before the state is cloned
/// into tasks and handlers), read-only afterwards, so a read is a hash lookup, no lock.
#[derive(Default, Clone)]
pub struct Slots(HashMap<TypeId, Arc<dyn Any + Send + Sync>>);

impl AppState {
    /// Installs a feature's runtime state. Start-up only: clones of the state made before
    /// this call do not see it.
    pub fn install<T: Any + Send + Sync>(&mut self, value: T) {
        Arc::make_mut(&mut self.slots)
            .0
            .insert(TypeId::of::<T>(), Arc::new(value));
    }

    /// A feature's runtime state. Every slot is installed by `Application::build` before
    /// the first request or task; a missing one is a wiring bug that every test would hit,
    /// never an input- or I/O-dependent condition.
    pub fn slot<T: Any + Send + Sync>(&self) -> &T {
        match self
            .slots
            .0
            .get(&TypeId::of::<T>())
            .and_then(|v| v.downcast_ref::<T>())
        {
            Some(v) => v,
            None => panic!("start-up wiring: {} was never installed", type_name::<T>()),
        }
    }
}
