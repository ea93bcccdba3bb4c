//! The `confab` command: `serve` (default), `migrate`, `config`, `openapi`.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use confab::Application;
use confab::config::{Config, Mode};

#[derive(Parser)]
#[command(
    name = "confab",
    version,
    about = "Self-hosted instant-messaging server"
)]
struct Cli {
    /// Config file. Default: ./confab.toml when it exists.
    #[arg(long, global = true, env = "CONFAB_CONFIG")]
    config: Option<PathBuf>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Serve HTTP and WebSocket (the default).
    Serve(Overrides),
    /// Apply pending database migrations, then exit.
    Migrate(Overrides),
    /// Print the effective configuration (secrets hidden).
    Config(Overrides),
    /// Print the OpenAPI document.
    Openapi,
    /// Administration: create admins, disable or enable users.
    Admin {
        #[command(subcommand)]
        action: AdminAction,
        #[command(flatten)]
        overrides: Overrides,
    },
}

#[derive(Subcommand)]
enum AdminAction {
    /// Create a system administrator (or promote an existing user). The password is read
    /// from the first line of standard input, or from CONFAB_ADMIN_PASSWORD.
    CreateAdmin {
        /// Username of the administrator.
        username: String,
    },
    /// Disable a user (by id or username) and sign out all their sessions.
    DisableUser {
        /// User id or username.
        user: String,
    },
    /// Re-enable a disabled user (by id or username).
    EnableUser {
        /// User id or username.
        user: String,
    },
    /// Credit (or, with a negative amount, debit) a user's coins or diamonds. Written to the
    /// ledger and the audit log (actor 0: the operator).
    Credit {
        /// User id or username.
        user: String,
        /// Amount: positive credits, negative debits (never below zero).
        #[arg(allow_hyphen_values = true)]
        amount: i64,
        /// Why (1–200 characters).
        #[arg(long)]
        reason: String,
        /// `coins` or `diamonds`.
        #[arg(long, default_value = "coins")]
        currency: String,
        /// An idempotency key: running the command again with it changes nothing.
        #[arg(long)]
        key: Option<String>,
    },
    /// Make a sign-up invite code (for `auth.registration = "invite"`). The code is printed
    /// once and never again (the server keeps a hash); written to the audit log (actor 0).
    CreateInvite {
        /// How many accounts it may make.
        #[arg(long, default_value_t = 1)]
        max_uses: u32,
        /// Days until it expires (default: never).
        #[arg(long)]
        expires_in_days: Option<u32>,
        /// A note for administrators (who it is for).
        #[arg(long)]
        note: Option<String>,
    },
    /// List sign-up invites, newest first (ids, uses, expiry; never the codes).
    ListInvites,
    /// Revoke a sign-up invite by its id.
    RevokeInvite {
        /// The invite's id (from create-invite or list-invites).
        id: String,
    },
}

#[derive(Args, Default)]
struct Overrides {
    /// Address to listen on [default: 127.0.0.1:8080].
    #[arg(long, env = "CONFAB_LISTEN", global = true)]
    listen: Option<SocketAddr>,
    /// Data directory for the embedded store and files [default: ./data].
    #[arg(long, env = "CONFAB_DATA_DIR", global = true)]
    data_dir: Option<PathBuf>,
}

fn load(cli_config: Option<&PathBuf>, o: &Overrides) -> Result<Config, String> {
    let mut config = Config::load(cli_config.map(PathBuf::as_path)).map_err(|e| e.to_string())?;
    if let Some(listen) = o.listen {
        config.listen = listen;
    }
    if let Some(dir) = &o.data_dir {
        config.data_dir = dir.clone();
    }
    config.validate().map_err(|e| e.to_string())?;
    Ok(config)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let command = cli.command.unwrap_or(Command::Serve(Overrides::default()));
    let overrides = match &command {
        Command::Serve(o) | Command::Migrate(o) | Command::Config(o) => Some(o),
        Command::Admin { overrides, .. } => Some(overrides),
        Command::Openapi => None,
    };
    if matches!(command, Command::Openapi) {
        print!("{}", confab::http::openapi_json());
        return ExitCode::SUCCESS;
    }
    let config = match load(
        cli.config.as_ref(),
        overrides.unwrap_or(&Overrides::default()),
    ) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("confab: {e}");
            return ExitCode::from(2);
        }
    };
    if matches!(command, Command::Config(_)) {
        return match config.to_toml() {
            Ok(s) => {
                print!("{s}");
                ExitCode::SUCCESS
            }
            Err(e) => {
                eprintln!("confab: {e}");
                ExitCode::FAILURE
            }
        };
    }
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("confab: cannot start the async runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    // `serve` logs where the config says (and exports spans); the other commands log to
    // standard error so that what they print stays clean.
    let sink = match command {
        Command::Migrate(_) | Command::Admin { .. } => confab::telemetry::Sink::Stderr,
        _ => confab::telemetry::Sink::Configured,
    };
    let _telemetry = match confab::telemetry::init(
        &config.log,
        &config.telemetry,
        sink,
        Some(runtime.handle().clone()),
    ) {
        Ok(guard) => guard,
        Err(e) => {
            eprintln!("confab: {e}");
            return ExitCode::from(2);
        }
    };
    let result = runtime.block_on(async move {
        match command {
            Command::Migrate(_) => {
                std::fs::create_dir_all(&config.data_dir)?;
                let store = confab::infra::store::Store::connect(&config).await?;
                store.migrate().await?;
                tracing::info!(backend = store.kind(), "migrations applied");
                store.close().await;
                Ok(())
            }
            Command::Admin { action, .. } => admin(config, action).await,
            _ => serve(config).await,
        }
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            tracing::error!("{e:#}");
            eprintln!("confab: {e:#}");
            ExitCode::FAILURE
        }
    }
}

async fn serve(config: Config) -> anyhow::Result<()> {
    if config.mode == Mode::Dev {
        tracing::warn!(
            "running in dev mode: dev-only conveniences are allowed; set mode = \"production\" for a deployment"
        );
        for (key, why) in config.dev_only_settings() {
            tracing::warn!(key, "dev-only setting in use: {why}");
        }
    }
    let app = Application::build(config).await?;
    app.run_until_stopped(shutdown_signal()).await
}

async fn admin(mut config: Config, action: AdminAction) -> anyhow::Result<()> {
    use confab::accounts::{operator, service};
    // The same machinery as a node (so revocations reach running nodes over Redis), on a
    // throwaway loopback port.
    config.listen = SocketAddr::from(([127, 0, 0, 1], 0));
    let app = Application::build(config).await?;
    let state = app.state().clone();
    let find = |who: String| {
        let state = state.clone();
        async move {
            operator::find(&state, &who)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?
                .map(|u| u.id)
                .ok_or_else(|| anyhow::anyhow!("no user {who:?}"))
        }
    };
    let result = match action {
        AdminAction::CreateAdmin { username } => {
            let password = match std::env::var("CONFAB_ADMIN_PASSWORD") {
                Ok(p) if !p.is_empty() => p,
                _ => {
                    let mut line = String::new();
                    std::io::stdin().read_line(&mut line)?;
                    line.trim_end_matches(['\r', '\n']).to_owned()
                }
            };
            let id = service::create_admin(&state, &username, &password)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("administrator {username} ({id}) ready");
            Ok(())
        }
        AdminAction::DisableUser { user } => {
            let id = find(user.clone()).await?;
            service::disable_user(&state, id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("user {user} ({id}) disabled; their sessions are signed out");
            Ok(())
        }
        AdminAction::Credit {
            user,
            amount,
            reason,
            currency,
            key,
        } => {
            use confab_proto::gifts::{AdjustmentIn, Currency};
            let currency = match currency.as_str() {
                "coins" => Currency::Coins,
                "diamonds" => Currency::Diamonds,
                other => anyhow::bail!("unknown currency {other:?}: coins or diamonds"),
            };
            let id = find(user.clone()).await?;
            let input = AdjustmentIn {
                currency,
                delta: amount,
                reason,
                client_key: key,
            };
            let out =
                confab::gifts::wallet::adjust(&state, confab_proto::ids::UserId(0), id, input)
                    .await
                    .map_err(|e| anyhow::anyhow!("{e}"))?;
            let w = out.wallet;
            let again = if out.replayed {
                " (already applied)"
            } else {
                ""
            };
            println!(
                "user {user} ({id}): {} coins, {} diamonds{again}",
                w.coins, w.diamonds
            );
            Ok(())
        }
        AdminAction::CreateInvite {
            max_uses,
            expires_in_days,
            note,
        } => invites_cli::create(&state, max_uses, expires_in_days, note).await,
        AdminAction::ListInvites => invites_cli::list(&state).await,
        AdminAction::RevokeInvite { id } => invites_cli::revoke(&state, &id).await,
        AdminAction::EnableUser { user } => {
            let id = find(user.clone()).await?;
            service::enable_user(&state, id)
                .await
                .map_err(|e| anyhow::anyhow!("{e}"))?;
            println!("user {user} ({id}) enabled");
            Ok(())
        }
    };
    state
        .tasks
        .shutdown(std::time::Duration::from_secs(5))
        .await;
    state.store.close().await;
    result
}

/// `confab admin create-invite | list-invites | revoke-invite`.
mod invites_cli {
    use confab::accounts::invites;
    use confab::moderation::audit::audit;
    use confab::state::AppState;
    use confab_proto::admin::{PageQuery, SignupInviteIn};
    use confab_proto::ids::{SignupInviteId, UserId};

    /// The audit log's actor for the operator at the command line.
    const OPERATOR: UserId = UserId(0);

    fn api(e: confab::error::ApiError) -> anyhow::Error {
        anyhow::anyhow!("{}", e.message())
    }

    pub async fn create(
        state: &AppState,
        max_uses: u32,
        expires_in_days: Option<u32>,
        note: Option<String>,
    ) -> anyhow::Result<()> {
        let expires_at =
            expires_in_days.map(|d| state.clock.now() + chrono::Duration::days(i64::from(d)));
        let input = SignupInviteIn {
            max_uses: Some(max_uses),
            expires_at,
            note,
        };
        let out = invites::create(state, OPERATOR, input).await.map_err(api)?;
        let details = serde_json::json!({"max_uses": out.max_uses, "expires_at": out.expires_at, "note": out.note});
        audit(
            state,
            OPERATOR,
            "invite.create",
            "signup_invite",
            out.id.to_string(),
            details,
        )
        .await
        .map_err(api)?;
        let expires = out
            .expires_at
            .map_or_else(|| "never".to_owned(), |t| t.to_rfc3339());
        println!(
            "invite {} (max uses {}, expires {expires})\ncode: {}\n(shown once: it cannot be read back)",
            out.id,
            out.max_uses,
            out.code.as_deref().unwrap_or_default()
        );
        Ok(())
    }

    pub async fn list(state: &AppState) -> anyhow::Result<()> {
        let mut cursor = None;
        println!("id\tuses\tmax_uses\texpires_at\trevoked_at\tusable\tnote");
        loop {
            let q = PageQuery {
                cursor,
                limit: Some(100),
            };
            let page = invites::list(state, q).await.map_err(api)?;
            for i in &page.invites {
                let t = |t: Option<chrono::DateTime<chrono::Utc>>| {
                    t.map_or_else(|| "-".to_owned(), |t| t.to_rfc3339())
                };
                println!(
                    "{}\t{}\t{}\t{}\t{}\t{}\t{}",
                    i.id,
                    i.uses,
                    i.max_uses,
                    t(i.expires_at),
                    t(i.revoked_at),
                    i.usable,
                    i.note
                );
            }
            match page.next_cursor {
                Some(c) => cursor = Some(c),
                None => return Ok(()),
            }
        }
    }

    pub async fn revoke(state: &AppState, id: &str) -> anyhow::Result<()> {
        let id: SignupInviteId = id
            .parse()
            .map_err(|_| anyhow::anyhow!("not an invite id: {id:?}"))?;
        let out = invites::revoke(state, OPERATOR, id).await.map_err(api)?;
        audit(
            state,
            OPERATOR,
            "invite.revoke",
            "signup_invite",
            id.to_string(),
            serde_json::json!({}),
        )
        .await
        .map_err(api)?;
        println!(
            "invite {} revoked ({} of {} uses taken)",
            out.id, out.uses, out.max_uses
        );
        Ok(())
    }
}

async fn shutdown_signal() {
    let ctrl_c = async {
        if tokio::signal::ctrl_c().await.is_err() {
            std::future::pending::<()>().await;
        }
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
    tracing::info!("shutdown requested");
}
