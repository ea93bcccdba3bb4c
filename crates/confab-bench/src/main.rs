//! `confab-bench`: a load generator that speaks Confab's real protocol (sign-in over HTTP,
//! WebSocket sessions, sends over WebSocket and HTTP). Every client runs on loopback; every
//! loop is bounded in count and time; each scenario prints ONE result line (or `--json`).
//! See docs/performance.md for the scenarios, the exact commands and the figures.

mod baseline;
mod ceiling;
mod clients;
mod load;
mod moments;
mod room;
mod scenarios;
mod server;
mod stats;

use std::process::ExitCode;
use std::time::Duration;

use clap::{Parser, Subcommand};

use crate::server::{Cluster, ServerArgs};

#[derive(Parser, Debug)]
#[command(
    name = "confab-bench",
    about = "Load generator for the Confab server",
    version
)]
struct Cli {
    #[command(flatten)]
    server: ServerArgs,
    /// Print the result as one JSON object instead of a key=value line.
    #[arg(long, global = true)]
    json: bool,
    /// Give up (and stop the servers) after this many seconds.
    #[arg(long, global = true, default_value_t = 1800)]
    timeout: u64,
    /// Concurrent HTTP requests while setting up users, groups and chats.
    #[arg(long, global = true, default_value_t = 32)]
    setup_concurrency: usize,
    /// Skip the baseline relay that `fanout`, `direct` and `idle` otherwise run the same
    /// command against, right after Confab (the ceiling and the ratios in the result).
    #[arg(long, global = true)]
    no_baseline: bool,
    #[command(subcommand)]
    scenario: Scenario,
}

#[derive(Subcommand, Debug)]
enum Scenario {
    /// A group of N members, all online; publishers step the rate until delivery falls
    /// behind (< 99 % delivered or p99 > 1 s).
    Fanout(scenarios::FanoutArgs),
    /// N/2 pairs, one-to-one, at a fixed total rate; or --find-max.
    Direct(scenarios::DirectArgs),
    /// N signed-in idle WebSocket sessions: server RSS per connection.
    Idle(scenarios::IdleArgs),
    /// N users with unread messages drop and reconnect at once: time until all synced.
    Reconnect(scenarios::ReconnectArgs),
    /// Password sign-ins per second (default argon2), token-authenticated WebSocket
    /// connects per second.
    Login(scenarios::LoginArgs),
    /// A voice room: speakers on seats chat while the owner churns seats, N listeners:
    /// chat and `room.seats` delivery (ratio, p99).
    Room(room::RoomArgs),
    /// Users with 200 friends each post moments and read their feeds: feed-read p50/p99,
    /// posts per second.
    Moments(moments::MomentsArgs),
    /// The baseline relay itself (started by the bench as a child; prints its address).
    #[command(hide = true)]
    BaselineServer {
        /// Address to listen on (loopback).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: String,
    },
}

impl Scenario {
    /// Only `login` measures password hashing; the others just need users to exist.
    fn cheap_argon2(&self) -> bool {
        !matches!(self, Scenario::Login(_))
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let nofile = server::raise_nofile();
    let rt = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("confab-bench: {e}");
            return ExitCode::FAILURE;
        }
    };
    rt.block_on(async move {
        if let Scenario::BaselineServer { listen } = &cli.scenario {
            if let Err(e) = server::check_loopback(&format!("http://{listen}")) {
                eprintln!("confab-bench: {e:#}");
                return ExitCode::FAILURE;
            }
            return match baseline::serve(listen).await {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("confab-bench: {e:#}");
                    ExitCode::FAILURE
                }
            };
        }
        let mut cluster = match Cluster::start(&cli.server, cli.scenario.cheap_argon2()).await {
            Ok(c) => c,
            Err(e) => {
                eprintln!("confab-bench: {e:#}");
                return ExitCode::FAILURE;
            }
        };
        eprintln!(
            "servers: {} ({}), bench RLIMIT_NOFILE {nofile}",
            cluster
                .nodes
                .iter()
                .map(|n| format!("{} pid {:?}", n.url, n.pid))
                .collect::<Vec<_>>()
                .join(", "),
            cluster.backend
        );
        let ctx = scenarios::Ctx {
            setup_concurrency: cli.setup_concurrency,
            nofile,
            baseline: !cli.no_baseline,
        };
        let run = async {
            match &cli.scenario {
                Scenario::Fanout(a) => scenarios::fanout(&mut cluster, &ctx, a).await,
                Scenario::Direct(a) => scenarios::direct(&mut cluster, &ctx, a).await,
                Scenario::Idle(a) => scenarios::idle(&mut cluster, &ctx, a).await,
                Scenario::Reconnect(a) => scenarios::reconnect(&mut cluster, &ctx, a).await,
                Scenario::Login(a) => scenarios::login(&mut cluster, &ctx, a).await,
                Scenario::Room(a) => room::room(&mut cluster, &ctx, a).await,
                Scenario::Moments(a) => moments::moments(&mut cluster, &ctx, a).await,
                Scenario::BaselineServer { .. } => unreachable!("handled above"),
            }
        };
        let result = tokio::time::timeout(Duration::from_secs(cli.timeout), run).await;
        let crashed = cluster.crashed();
        cluster.stop().await;
        match result {
            Ok(Ok(mut outcome)) => {
                if let Some(c) = crashed {
                    outcome.notes.push(c);
                }
                if cli.json {
                    println!("{}", outcome.json());
                } else {
                    println!("{}", outcome.line());
                }
                ExitCode::SUCCESS
            }
            Ok(Err(e)) => {
                eprintln!("confab-bench: {e:#}");
                if let Some(c) = crashed {
                    eprintln!("confab-bench: {c}");
                }
                ExitCode::FAILURE
            }
            Err(_) => {
                eprintln!("confab-bench: gave up after --timeout {} s", cli.timeout);
                ExitCode::FAILURE
            }
        }
    })
}
