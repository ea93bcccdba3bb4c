//! Confab: a self-hosted instant-messaging server.
//!
//! One binary, two ways to run: embedded (SQLite file, in-process bus and cache, local
//! files) with zero set-up, or as many stateless nodes sharing MySQL + Redis (+ S3). The
//! choice is made once at start-up from config; business code never branches on it.
//!
//! # Layout
//! - [`accounts`]: sign-up, sign-in, tokens, sessions, profiles, verification codes.
//! - [`admin`]: the system administrator's API (users, words, notices, stats, audit) and
//!   reports with their review.
//! - [`channels`]: the built-in world channel (lazy membership, posting rules, mutes).
//! - [`config`]: the typed configuration (defaults → `confab.toml` → `CONFAB_*` env).
//! - [`error`]: the one error type handlers return and the code → HTTP status mapping.
//! - `fuzz` (hidden): fuzz targets over the parsers that take network bytes (tests and
//!   cargo-fuzz drive them).
//! - [`gateway`]: WebSocket sessions: authentication, socket commands, feeding the push
//!   layer's registry from the bus.
//! - [`groups`]: groups, roles, invites, join requests, bans, mutes and system messages.
//! - [`http`]: router assembly, middleware, extractors, OpenAPI and the docs page.
//! - [`infra`]: the ports (store, bus, cache, blobs, clock, ids) and their adapters.
//! - [`media`]: uploads of every kind (streamed, allow-listed), authorised and signed downloads.
//! - [`messaging`]: conversations, the group-commit writer, history, sync, receipts.
//! - [`moments`]: the friends' feed: posts, visibility, likes, comments, notifications.
//! - [`moderation`]: the sensitive-word filter (normalise, match, mask), the one screening
//!   step, the one display-text rule, and reports.
//! - [`offline`]: offline push: a signed webhook for users with no connected device.
//! - [`notify`]: mail and SMS delivery ports (verification codes) and their adapters.
//! - [`push`]: how a committed change reaches sockets: encode once, the bus, the node's
//!   socket registry, node-to-node control messages.
//! - [`ratelimit`]: cluster-wide fixed-window limits and the client IP.
//! - [`gifts`]: the gift catalog, wallets and the double-entry ledger, backpacks, sends,
//!   leaderboards, top-ups, level and VIP.
//! - [`calls`]: voice and video calls: ringing, signalling, records, TURN and SFU credentials.
//! - [`rooms`]: voice rooms, mic seats, room moderation and discovery, SFU tokens.
//! - [`rulecache`]: the send path's per-node rule caches and the epoch that invalidates them.
//! - [`social`]: friends, friend requests, blocks, follows, discovery privacy, the
//!   direct-message policy, presence.
//! - [`state`]: the shared handles every handler can reach.
//! - [`tasks`]: named background tasks, cancelled and awaited at shutdown.
//! - [`telemetry`]: logging and metrics set-up.
//! - [`web`]: the web client (`crates/confab/web/`), compiled in and served at `/`.
//!
//! Data flows one way: request → feature service → store → event → push → bus → gateway →
//! sockets. Layers, bottom up: ports (`infra`, `config`, …) → push → features → http and
//! gateway; the table of who may call whom is docs/architecture.md, and a test enforces it.
//!
//! Entry points: [`Application::build`] then [`Application::run_until_stopped`] (what
//! `main` and the integration tests both use), or [`serve`] with a state of your own.

pub mod accounts;
pub mod admin;
pub mod calls;
pub mod channels;
pub mod config;
pub mod error;
#[doc(hidden)]
pub mod fuzz;
pub mod gateway;
pub mod gifts;
pub mod groups;
pub mod http;
pub mod infra;
pub mod media;
pub mod messaging;
pub mod moderation;
pub mod moments;
pub mod notify;
pub mod offline;
pub mod push;
pub mod ratelimit;
pub mod rooms;
pub mod rulecache;
pub mod social;
pub mod state;
pub mod tasks;
pub mod telemetry;
pub mod web;

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use tokio::net::TcpListener;
use tokio_util::sync::CancellationToken;

use crate::config::Config;
use crate::infra::Infra;
use crate::infra::clock::{Clock, SystemClock};
use crate::state::AppState;
use crate::tasks::Tasks;

/// How long in-flight requests get to finish once shutdown begins.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(20);

/// A node, built and bound, not yet serving.
pub struct Application {
    listener: TcpListener,
    state: AppState,
}

impl Application {
    /// Connects every backend, applies migrations and binds the listener.
    pub async fn build(config: Config) -> anyhow::Result<Self> {
        Self::build_with_clock(config, Arc::new(SystemClock)).await
    }

    /// Like [`Application::build`], with the time source of the caller's choosing (tests).
    pub async fn build_with_clock(config: Config, clock: Arc<dyn Clock>) -> anyhow::Result<Self> {
        let tasks = Tasks::new();
        let infra = Infra::connect(&config, &tasks).await?;
        let auth = accounts::auth::AuthContext::new(&config)?;
        let notify = notify::Notifier::from_config(&config)?;
        let moderation = moderation::service::load(&config, &infra.store).await?;
        let listener = TcpListener::bind(config.listen)
            .await
            .with_context(|| format!("cannot listen on {}", config.listen))?;
        let (writer, committed) = messaging::writer::Writer::start(
            infra.store.clone(),
            infra.ids.clone(),
            clock.clone(),
            &tasks,
        )?;
        // The effective config names the bound address (port 0 resolved): OAuth callback URLs
        // derive from it when `oauth.public_url` is empty.
        let config = Config {
            listen: listener.local_addr()?,
            ..config
        };
        let mut state = AppState {
            config: Arc::new(config),
            store: infra.store,
            bus: infra.bus,
            cache: infra.cache,
            blobs: infra.blobs,
            clock,
            ids: infra.ids,
            metrics: telemetry::metrics_handle(),
            shutdown: CancellationToken::new(),
            tasks,
            notify,
            push: push::Push::new(),
            rules: Arc::default(),
            slots: Arc::default(),
        };
        state.install(auth);
        state.install(moderation);
        state.install(messaging::rules::Runtime::new(writer));
        state.install(social::rules::Runtime::default());
        state.install(groups::rules::Runtime::default());
        state.install(media::access::Runtime::default());
        state.install(rooms::sfu::Runtime::start(&state)?);
        state.install(rooms::Order::default());
        state.install(messaging::badges::Runtime::default());
        state.push.trails.configure(
            state.ids.node(),
            Duration::from_secs(state.config.telemetry.trail_secs),
        );
        state.install(messaging::observers::Runtime::default());
        state.install(calls::hooks::Runtime::default());
        let (offline, offline_rx) = offline::Runtime::new(&state.config);
        state.install(offline);
        wire(&state);
        // The world channel exists before anything is published: the publisher sends its
        // messages to every socket rather than to a member list.
        let world = channels::service::ensure_world(&state)
            .await
            .map_err(|e| anyhow::anyhow!("cannot create the world channel: {e}"))?;
        messaging::service::spawn_publisher(state.clone(), committed, world);
        push::control::spawn_listener(state.clone());
        push::trail::spawn_flusher(&state);
        gateway::spawn(state.clone());
        admin::service::spawn_reporter(state.clone());
        rooms::presence::spawn_sweeper(&state);
        calls::presence::spawn_sweeper(&state);
        offline::spawn(state.clone(), offline_rx)?;
        Ok(Self { listener, state })
    }

    /// The address actually bound (useful with port 0).
    pub fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.listener.local_addr()
    }

    /// The shared state (tests use it to reach the store directly).
    pub fn state(&self) -> &AppState {
        &self.state
    }

    /// Serves until `stop` resolves, then shuts down gracefully: stop accepting, close
    /// sockets with 1001, let in-flight requests finish (up to a grace period), stop
    /// background tasks, close the store.
    pub async fn run_until_stopped(
        self,
        stop: impl Future<Output = ()> + Send + 'static,
    ) -> anyhow::Result<()> {
        let Self { listener, state } = self;
        let token = state.shutdown.clone();
        tokio::spawn({
            let token = token.clone();
            async move {
                tokio::select! {
                    _ = stop => token.cancel(),
                    _ = token.cancelled() => {}
                }
            }
        });
        serve(listener, state.clone(), token).await?;
        state.tasks.shutdown(Duration::from_secs(5)).await;
        state.store.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Connects the features through the seams the lower ones define (docs/architecture.md):
/// each kind's conversation rules for messaging, discovery and images for accounts, and the
/// control-message handlers of the push layer. Nothing below the features is named here.
fn wire(state: &AppState) {
    use messaging::model::ConversationKind;
    use messaging::rules::register;
    register(
        state,
        ConversationKind::Direct,
        Arc::new(social::rules::DirectRules),
    );
    register(
        state,
        ConversationKind::Group,
        Arc::new(groups::rules::GroupRules),
    );
    register(
        state,
        ConversationKind::Channel,
        Arc::new(channels::policy::ChannelRules),
    );
    register(
        state,
        ConversationKind::Room,
        Arc::new(rooms::rules::RoomRules),
    );
    accounts::hooks::register_discovery(state, Arc::new(social::rules::DiscoveryRules));
    accounts::hooks::register_images(state, Arc::new(media::service::ImagesHook));
    media::access::register(state, Arc::new(messaging::files::AttachmentAccess));
    media::access::register(state, Arc::new(rooms::covers::CoverAccess));
    media::access::register(state, Arc::new(groups::avatars::AvatarAccess));
    media::access::register(state, Arc::new(gifts::catalog::IconAccess));
    media::access::register(state, Arc::new(moments::media::MomentFileAccess));
    messaging::badges::register(state, Arc::new(moments::feed::MomentsBadges));
    if let Some(tx) = state.slot::<offline::Runtime>().sender() {
        messaging::observers::register(state, Arc::new(offline::PushOnCommit(tx.clone())));
        calls::hooks::register(state, Arc::new(offline::PushOnMissedCall(tx)));
    }
    state
        .push
        .on_control(Arc::new(accounts::auth::SessionsHandler));
    state
        .push
        .on_control(Arc::new(moderation::service::WordsHandler));
}

/// Serves HTTP and WebSocket on `listener` until `shutdown` is cancelled, then drains.
/// Connections get the `[http]` deadline on request heads and the per-address cap
/// ([`http::conn`]).
pub async fn serve(
    listener: TcpListener,
    state: AppState,
    shutdown: CancellationToken,
) -> std::io::Result<()> {
    let cfg = &state.config.http;
    let limits = http::conn::ConnLimits {
        header_read_timeout: Duration::from_secs(cfg.header_read_timeout_secs),
        // Behind a proxy every connection comes from the proxy's address.
        max_per_ip: if cfg.trust_forwarded_for {
            0
        } else {
            cfg.max_connections_per_ip
        },
    };
    let app = http::router(state);
    if let Ok(addr) = listener.local_addr() {
        tracing::info!(%addr, "listening");
    }
    http::conn::serve(listener, app, limits, shutdown, SHUTDOWN_GRACE).await
}
