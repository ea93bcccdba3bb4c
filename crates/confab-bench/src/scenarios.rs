//! The five scenarios. Each sets up what it needs through the real API, measures, and
//! returns one [`Outcome`].

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use confab_client::Client;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::SyncQuery;
use confab_proto::ws::ReadyData;
use futures::{StreamExt, TryStreamExt, stream};
use tokio::sync::Semaphore;

use crate::clients::{self, User, Ws};
use crate::load::{Load, SendSpec, StepResult, Via};
use crate::server::{Cluster, load1, nofile_of, own_cpu, usage};
use crate::stats::{Latency, Outcome, Stepper};

/// Run-wide settings.
pub struct Ctx {
    /// Concurrent HTTP requests during set-up.
    pub setup_concurrency: usize,
    /// This process's open-file limit.
    pub nofile: u64,
    /// Run the same command against the baseline relay too (`fanout`, `direct`, `idle`).
    pub baseline: bool,
}

/// `fanout` options.
#[derive(clap::Args, Debug)]
pub struct FanoutArgs {
    /// Group members (each one online socket).
    #[arg(long, default_value_t = 100)]
    pub members: usize,
    /// Members that publish (a socket's sends are handled one after another, so several
    /// publishers are needed for high rates).
    #[arg(long, default_value_t = 32)]
    pub publishers: usize,
    /// First publish rate, messages/s (all publishers together).
    #[arg(long, default_value_t = 500.0)]
    pub rate: f64,
    /// Rate multiplier between steps.
    #[arg(long, default_value_t = 1.5)]
    pub factor: f64,
    /// Most steps (1 = one fixed-rate run at --rate).
    #[arg(long, default_value_t = 12)]
    pub max_steps: u32,
    /// Bisection steps after the first failure.
    #[arg(long, default_value_t = 2)]
    pub refine: u32,
    /// Highest publish rate tried, messages/s.
    #[arg(long, default_value_t = 50_000.0)]
    pub max_rate: f64,
    /// Seconds each step publishes.
    #[arg(long, default_value_t = 5.0)]
    pub step_secs: f64,
    /// `group` (POST /groups + join), `devices` (one direct chat, members = devices of its
    /// two users; the fallback without groups), or `auto`.
    #[arg(long, default_value = "auto")]
    pub mode: String,
}

/// `direct` options.
#[derive(clap::Args, Debug)]
pub struct DirectArgs {
    /// Users (N/2 pairs; in each pair one sends, the other receives).
    #[arg(long, default_value_t = 1000)]
    pub users: usize,
    /// Total send rate, messages/s (fixed mode).
    #[arg(long, default_value_t = 1000.0)]
    pub rate: f64,
    /// Seconds of the fixed-rate run.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Step the rate to find the highest sustained persisted (acknowledged) rate.
    #[arg(long)]
    pub find_max: bool,
    /// First rate of --find-max, messages/s.
    #[arg(long, default_value_t = 2000.0)]
    pub start_rate: f64,
    /// `ws` (send frames) or `http` (POST /conversations/{id}/messages).
    #[arg(long, default_value = "ws")]
    pub via: String,
    /// Rate multiplier between --find-max steps.
    #[arg(long, default_value_t = 1.5)]
    pub factor: f64,
    /// Most --find-max steps.
    #[arg(long, default_value_t = 10)]
    pub max_steps: u32,
    /// Bisection steps after the first failure.
    #[arg(long, default_value_t = 2)]
    pub refine: u32,
    /// Highest rate tried.
    #[arg(long, default_value_t = 200_000.0)]
    pub max_rate: f64,
    /// Seconds each --find-max step sends.
    #[arg(long, default_value_t = 5.0)]
    pub step_secs: f64,
}

impl DirectArgs {
    /// The rates to send at and the seconds of each step: stepped for --find-max, else the
    /// one fixed rate for --duration.
    pub fn steps(&self) -> (Stepper, f64) {
        if self.find_max {
            let s = Stepper::new(
                self.start_rate,
                self.factor,
                self.max_rate,
                self.max_steps,
                self.refine,
            );
            (s, self.step_secs)
        } else {
            (Stepper::new(self.rate, 2.0, self.rate, 1, 0), self.duration)
        }
    }
}

/// `idle` options.
#[derive(clap::Args, Debug)]
pub struct IdleArgs {
    /// Sockets to open, or `max` (as many as both open-file limits allow).
    #[arg(long, default_value = "10000")]
    pub connections: String,
    /// Seconds to hold them open after they are all connected.
    #[arg(long, default_value_t = 10.0)]
    pub hold: f64,
    /// Sockets opened at once.
    #[arg(long, default_value_t = 128)]
    pub connect_concurrency: usize,
}

/// `reconnect` options.
#[derive(clap::Args, Debug)]
pub struct ReconnectArgs {
    /// Users (each one device).
    #[arg(long, default_value_t = 10_000)]
    pub users: usize,
    /// Direct conversations per user (even: user i chats with i±1 … i±convs/2).
    #[arg(long, default_value_t = 4)]
    pub convs: usize,
    /// Messages sent into each conversation while everyone is offline.
    #[arg(long, default_value_t = 5)]
    pub messages: usize,
    /// HTTP requests in flight at once during the storm (one machine's fd limit cannot
    /// give 10,000 clients their own connections).
    #[arg(long, default_value_t = 256)]
    pub http_concurrency: usize,
    /// WebSocket connects in flight at once during the storm.
    #[arg(long, default_value_t = 512)]
    pub connect_concurrency: usize,
    /// How a client catches up: `ready` (the sync answer in the `ready` frame, missed
    /// messages inline: one round trip), `http` (connect, then `GET /sync` with the missed
    /// messages inline), `legacy` (connect, `GET /sync?messages=0`, then history for every
    /// changed chat: the protocol before issue 20).
    #[arg(long, value_enum, default_value_t = SyncVia::Ready)]
    pub sync: SyncVia,
}

/// How a reconnecting client catches up (`reconnect --sync`).
#[derive(clap::ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum SyncVia {
    /// The sync answer in `ready`.
    Ready,
    /// `GET /sync` with missed messages inline.
    Http,
    /// `GET /sync?messages=0`, then history per chat.
    Legacy,
}

/// `login` options.
#[derive(clap::Args, Debug)]
pub struct LoginArgs {
    /// Users signing in (registered first, with the server's default argon2 cost).
    #[arg(long, default_value_t = 32)]
    pub users: usize,
    /// Password sign-ins in flight at once.
    #[arg(long, default_value_t = 8)]
    pub concurrency: usize,
    /// Seconds of password sign-ins.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// WebSocket connects in flight at once.
    #[arg(long, default_value_t = 64)]
    pub ws_concurrency: usize,
    /// Seconds of WebSocket connects.
    #[arg(long, default_value_t = 10.0)]
    pub ws_duration: f64,
}

pub(crate) fn base_params(o: &mut Outcome, cluster: &Cluster) {
    o.param("backend", &cluster.backend);
    o.param("nodes", cluster.nodes.len());
    o.notes.extend(cluster.notes.iter().cloned());
}

pub(crate) fn close_notes(o: &mut Outcome, load: &Load) {
    let closed = load.shared.closed.load(Ordering::SeqCst);
    if closed > 0 {
        let reasons = load
            .shared
            .close_reasons
            .lock()
            .map(|r| r.join(", "))
            .unwrap_or_default();
        o.notes
            .push(format!("{closed} sockets closed by the server ({reasons})"));
    }
}

pub(crate) fn fill_from_step(o: &mut Outcome, r: &StepResult) {
    o.sent_per_s = r.sent_per_s;
    o.delivered_per_s = r.delivered_per_s;
    o.delivered_ratio = r.ratio;
    o.latency(&r.counters.lat);
    o.server_cpu_pct = r.cpu;
    o.server_rss_mib = r.rss_mib;
    o.extra("bench_cpu", format!("{:.0}%", r.bench_cpu));
    o.extra(
        "ack_p99",
        format!(
            "{:.2}ms",
            r.counters.ack_lat.quantile_ms(0.99).unwrap_or(0.0)
        ),
    );
    if !r.counters.errors.is_empty() {
        o.notes.push(format!("refused: {:?}", r.counters.errors));
    }
}

/// Runs a stepped search (or one step); returns the best passing step, else the last one.
pub(crate) async fn stepped(
    cluster: &mut Cluster,
    load: &Load,
    mut stepper: Stepper,
    step_secs: f64,
    per_message: u64,
) -> Result<(Option<StepResult>, Option<StepResult>, u32)> {
    // Warm-up (not reported): caches, connections, the writer's first batches.
    let first = stepper.next_rate().unwrap_or(1.0);
    let w = load.step(cluster, 0, first, 2.0, per_message).await;
    eprintln!("{} (warm-up)", w.progress(0));
    let mut best: Option<StepResult> = None;
    let mut last: Option<StepResult> = None;
    let mut step = 0;
    while let Some(rate) = stepper.next_rate() {
        step += 1;
        let r = load.step(cluster, step, rate, step_secs, per_message).await;
        eprintln!("{}", r.progress(step));
        let passed = r.passed();
        stepper.report(passed);
        if let Some(c) = cluster.crashed() {
            bail!("{c}");
        }
        if passed {
            if best
                .as_ref()
                .is_none_or(|b| r.delivered_per_s > b.delivered_per_s)
            {
                best = Some(r);
            }
        } else {
            last = Some(r);
        }
        if load.shared.closed.load(Ordering::SeqCst) > 0 {
            eprintln!("  sockets were closed; stopping the search");
            break;
        }
    }
    eprintln!(
        "search: best passing rate {:?} msg/s, first failing {:?} msg/s",
        stepper.best(),
        stepper.first_fail()
    );
    Ok((best, last, step))
}

/// `fanout`.
pub async fn fanout(cluster: &mut Cluster, ctx: &Ctx, a: &FanoutArgs) -> Result<Outcome> {
    if a.members < 2 || a.members > 10_000 {
        bail!("--members must be 2..=10000");
    }
    let publishers = a.publishers.clamp(1, a.members);
    let group = match a.mode.as_str() {
        "group" => true,
        "devices" => false,
        "auto" => cluster.has_groups,
        m => bail!("--mode must be auto, group or devices, not {m}"),
    };
    let tag = clients::run_tag();
    let first = cluster.first().to_owned();
    let last = cluster.last().to_owned();
    let load1_start = load1();
    eprintln!(
        "fanout: setting up {} members ({})",
        a.members,
        if group { "group" } else { "devices" }
    );
    let (tokens, conversation) = if group {
        let users = clients::create_users(&first, &tag, a.members, ctx.setup_concurrency).await?;
        let conv = clients::create_group(&first, &users, ctx.setup_concurrency).await?;
        (users.into_iter().map(|u| u.token).collect::<Vec<_>>(), conv)
    } else {
        let users = clients::create_users(&first, &tag, 2, 2).await?;
        let pair = [(users[0].clone(), users[1].clone())];
        let conv = clients::open_directs(&first, &pair, cluster.befriend, 1).await?;
        let client = Client::new(&first)?;
        let tokens: Vec<String> = stream::iter(0..a.members)
            .map(|i| {
                let client = client.clone();
                let u = users[i % 2].clone();
                async move { clients::login(&client, &u).await.map(|u| u.token) }
            })
            .buffered(ctx.setup_concurrency)
            .try_collect()
            .await?;
        (tokens, conv[0].to_string())
    };
    let bases: Arc<dyn Fn(usize) -> String + Send + Sync> = {
        let (f, l) = (first.clone(), last.clone());
        Arc::new(move |i| if i < publishers { f.clone() } else { l.clone() })
    };
    let sockets = clients::connect_all(bases, &tokens, 16 * 1024, 64).await?;
    let specs = (0..a.members)
        .map(|i| {
            (i < publishers).then(|| SendSpec {
                conversation: conversation.clone(),
                nonce: tag.clone(),
                via: Via::Ws,
                window: 2_000,
            })
        })
        .collect();
    let load = Load::start(sockets, specs);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let stepper = Stepper::new(a.rate, a.factor, a.max_rate, a.max_steps, a.refine);
    let per_message = (a.members - 1) as u64;
    let (best, fail, steps) = stepped(cluster, &load, stepper, a.step_secs, per_message).await?;
    let mut o = Outcome::new("fanout");
    base_params(&mut o, cluster);
    o.param("members", a.members)
        .param("publishers", publishers)
        .param("mode", if group { "group" } else { "devices" })
        .param("steps", steps)
        .param("step_secs", a.step_secs);
    o.load1 = load1_start;
    if !group {
        o.notes.push(
            "fallback without groups: members are devices of the two users of one direct chat"
                .into(),
        );
    }
    match (&best, &fail) {
        (Some(b), _) => {
            o.param("rate", format!("{:.0}", b.offered_per_s));
            fill_from_step(&mut o, b);
            o.extra("result", "best passing step");
        }
        (None, Some(f)) => {
            o.param("rate", format!("{:.0}", f.offered_per_s));
            fill_from_step(&mut o, f);
            o.extra("result", "no step passed; lowest failing step shown");
        }
        (None, None) => bail!("no step ran"),
    }
    if let Some(f) = &fail {
        o.extra(
            "failed_at",
            format!(
                "{:.0}msg/s({:.0}deliv/s,{:.2}%,p99={:.0}ms)",
                f.offered_per_s,
                f.delivered_per_s,
                f.ratio * 100.0,
                f.counters.lat.quantile_ms(0.99).unwrap_or(0.0)
            ),
        );
    }
    close_notes(&mut o, &load);
    load.stop().await;
    if ctx.baseline {
        let b = crate::ceiling::fanout(a, publishers).await?;
        crate::ceiling::report(&mut o, b.as_ref());
    }
    Ok(o)
}

/// `direct`.
pub async fn direct(cluster: &mut Cluster, ctx: &Ctx, a: &DirectArgs) -> Result<Outcome> {
    if a.users < 2 || a.users > 20_000 || !a.users.is_multiple_of(2) {
        bail!("--users must be even, 2..=20000");
    }
    let http = match a.via.as_str() {
        "ws" => false,
        "http" => true,
        v => bail!("--via must be ws or http, not {v}"),
    };
    let tag = clients::run_tag();
    let first = cluster.first().to_owned();
    let last = cluster.last().to_owned();
    let load1_start = load1();
    eprintln!(
        "direct: setting up {} users / {} pairs",
        a.users,
        a.users / 2
    );
    let users = clients::create_users(&first, &tag, a.users, ctx.setup_concurrency).await?;
    let pairs: Vec<(User, User)> = users
        .chunks(2)
        .map(|c| (c[0].clone(), c[1].clone()))
        .collect();
    let convs =
        clients::open_directs(&first, &pairs, cluster.befriend, ctx.setup_concurrency).await?;
    let bases: Arc<dyn Fn(usize) -> String + Send + Sync> = {
        let (f, l) = (first.clone(), last.clone());
        Arc::new(move |i| if i % 2 == 0 { f.clone() } else { l.clone() })
    };
    let tokens: Vec<String> = users.iter().map(|u| u.token.clone()).collect();
    let sockets = clients::connect_all(bases, &tokens, 16 * 1024, 64).await?;
    let base_client = Client::new(&first)?;
    let specs = users
        .iter()
        .enumerate()
        .map(|(i, u)| {
            (i % 2 == 0).then(|| {
                let conv = convs[i / 2];
                SendSpec {
                    conversation: conv.to_string(),
                    nonce: tag.clone(),
                    via: if http {
                        Via::Http(base_client.with_token(u.token.clone()), conv)
                    } else {
                        Via::Ws
                    },
                    window: if http { 8 } else { 2_000 },
                }
            })
        })
        .collect();
    let load = Load::start(sockets, specs);
    tokio::time::sleep(Duration::from_secs(1)).await;
    let (stepper, secs) = a.steps();
    let (best, fail, steps) = stepped(cluster, &load, stepper, secs, 1).await?;
    let mut o = Outcome::new("direct");
    base_params(&mut o, cluster);
    o.param("users", a.users)
        .param("pairs", a.users / 2)
        .param("via", &a.via)
        .param("mode", if a.find_max { "find-max" } else { "fixed" });
    if a.find_max {
        o.param("steps", steps).param("step_secs", secs);
    } else {
        o.param("duration", secs);
    }
    o.load1 = load1_start;
    let shown = match (&best, &fail) {
        (Some(b), _) => b,
        (None, Some(f)) => {
            o.notes.push("the run did not pass (see failed_at)".into());
            f
        }
        (None, None) => bail!("no step ran"),
    };
    o.param("rate", format!("{:.0}", shown.offered_per_s));
    fill_from_step(&mut o, shown);
    if a.find_max {
        o.extra(
            "persisted_per_s",
            format!("{:.0}", best.as_ref().map_or(0.0, |b| b.sent_per_s)),
        );
    }
    if let Some(f) = &fail {
        o.extra(
            "failed_at",
            format!(
                "{:.0}msg/s(stored {:.0}/s,{:.2}%,p99={:.0}ms,ack-p99={:.0}ms)",
                f.offered_per_s,
                f.sent_per_s,
                f.ratio * 100.0,
                f.counters.lat.quantile_ms(0.99).unwrap_or(0.0),
                f.counters.ack_lat.quantile_ms(0.99).unwrap_or(0.0)
            ),
        );
    }
    close_notes(&mut o, &load);
    load.stop().await;
    if ctx.baseline && http {
        o.notes
            .push("no baseline over HTTP: the relay speaks only the socket".into());
    } else if ctx.baseline {
        let b = crate::ceiling::direct(a).await?;
        crate::ceiling::report(&mut o, b.as_ref());
    }
    Ok(o)
}

/// `idle`.
pub async fn idle(cluster: &mut Cluster, ctx: &Ctx, a: &IdleArgs) -> Result<Outcome> {
    let server_limit = cluster
        .nodes
        .last()
        .and_then(|n| n.pid)
        .and_then(nofile_of)
        .unwrap_or(ctx.nofile);
    // Room for the server's own files (database, WAL, log, pools) and the bench's HTTP pool.
    let fd_max = ctx.nofile.min(server_limit).saturating_sub(300) as usize;
    let n = if a.connections == "max" {
        fd_max
    } else {
        let n: usize = a
            .connections
            .parse()
            .context("--connections: a number or max")?;
        if n > fd_max {
            bail!("--connections {n} exceeds what the open-file limits allow ({fd_max})");
        }
        n
    };
    if n == 0 {
        bail!("no connections to open");
    }
    let tag = clients::run_tag();
    let url = cluster.last().to_owned();
    eprintln!("idle: registering {n} users");
    let users = clients::create_users(&url, &tag, n, ctx.setup_concurrency).await?;
    let tokens: Vec<String> = users.into_iter().map(|u| u.token).collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let load1_start = load1();
    let s0 = cluster.sample();
    eprintln!(
        "idle: server RSS before {:.1} MiB; connecting {n} sockets",
        s0.rss_kib() as f64 / 1024.0
    );
    let t = Instant::now();
    let u = url.clone();
    let sockets = clients::connect_all(
        Arc::new(move |_| u.clone()),
        &tokens,
        4 * 1024,
        a.connect_concurrency,
    )
    .await?;
    let connect_secs = t.elapsed().as_secs_f64();
    let load = Load::start(sockets, vec![]);
    tokio::time::sleep(Duration::from_secs(3)).await;
    let s1 = cluster.sample();
    let mut peak = s1.rss_kib();
    let hold_until = Instant::now() + Duration::from_secs_f64(a.hold);
    while Instant::now() < hold_until {
        tokio::time::sleep(Duration::from_secs(1)).await;
        peak = peak.max(cluster.sample().rss_kib());
    }
    let s2 = cluster.sample();
    let (cpu, rss) = usage(&s1, &s2);
    let per_conn_kib = (s2.rss_kib().saturating_sub(s0.rss_kib())) as f64 / n as f64;
    let mut o = Outcome::new("idle");
    base_params(&mut o, cluster);
    o.param("connections", n).param("hold", a.hold);
    o.load1 = load1_start;
    o.server_cpu_pct = cpu;
    o.server_rss_mib = rss;
    o.delivered_ratio = 1.0;
    o.extra("rss_before_mib", s0.rss_kib() as f64 / 1024.0)
        .extra("rss_peak_mib", peak as f64 / 1024.0)
        .extra("rss_per_conn_kib", per_conn_kib)
        .extra("connects_per_s", format!("{:.0}", n as f64 / connect_secs))
        .extra("fd_limit", fd_max as u64);
    close_notes(&mut o, &load);
    load.stop().await;
    if ctx.baseline {
        let b = crate::ceiling::idle(n, a.connect_concurrency, a.hold).await?;
        o.extra("baseline_rss_per_conn_kib", b);
        if b > 0.0 {
            o.extra("ratio_rss_per_conn", per_conn_kib / b);
        }
    }
    Ok(o)
}

/// What one client of the reconnect storm saw.
struct Synced {
    secs: f64,
    messages: u64,
    complete: bool,
}

/// What every client of the reconnect storm shares.
struct Storm {
    ws_url: String,
    expect_convs: usize,
    expect_msgs: u64,
    t0: Instant,
    http_sem: Semaphore,
    ws_sem: Semaphore,
    via: SyncVia,
}

async fn resync(storm: Arc<Storm>, http: Client, cursor: String) -> Result<(Synced, Ws)> {
    let token = http.token().unwrap_or_default().to_owned();
    let (ws, sync) = if storm.via == SyncVia::Ready {
        let (ws, ready) = {
            let _p = storm.ws_sem.acquire().await?;
            clients::connect_synced(&storm.ws_url, &token, 4 * 1024, &cursor).await?
        };
        #[derive(serde::Deserialize)]
        struct Frame {
            data: ReadyData,
        }
        let f: Frame = serde_json::from_str(&ready).context("reading ready")?;
        let sync = f.data.sync.context("ready without sync")?;
        (ws, *sync)
    } else {
        let ws = {
            let _p = storm.ws_sem.acquire().await?;
            clients::connect(&storm.ws_url, &token, 4 * 1024).await?
        };
        let q = SyncQuery {
            cursor: Some(cursor),
            messages: (storm.via == SyncVia::Legacy).then_some(0),
        };
        let _p = storm.http_sem.acquire().await?;
        (ws, http.sync_with(&q).await?)
    };
    let mut messages = 0u64;
    let mut convs = 0usize;
    for c in &sync.conversations {
        if c.last_seq == 0 {
            continue;
        }
        convs += 1;
        // These clients held nothing of their chats: everything up to `after_seq` is theirs
        // to fetch (nothing when it all came inline).
        let from = c.missed.as_ref().map_or(c.last_seq, |m| m.after_seq);
        let got = if from > 0 {
            let _p = storm.http_sem.acquire().await?;
            http.catch_up(c, 0).await?
        } else {
            c.missed
                .as_ref()
                .map(|m| m.messages.clone())
                .unwrap_or_default()
        };
        messages += got.len() as u64;
    }
    Ok((
        Synced {
            secs: storm.t0.elapsed().as_secs_f64(),
            messages,
            complete: convs == storm.expect_convs && messages == storm.expect_msgs,
        },
        ws,
    ))
}

/// `reconnect`.
pub async fn reconnect(cluster: &mut Cluster, ctx: &Ctx, a: &ReconnectArgs) -> Result<Outcome> {
    if a.convs < 2 || !a.convs.is_multiple_of(2) || a.convs > 20 {
        bail!("--convs must be even, 2..=20");
    }
    if a.users <= a.convs || a.users > 20_000 {
        bail!("--users must be more than --convs and at most 20000");
    }
    if a.messages == 0 || a.messages > 1000 {
        bail!("--messages must be 1..=1000");
    }
    let tag = clients::run_tag();
    let first = cluster.first().to_owned();
    let last = cluster.last().to_owned();
    let n = a.users;
    eprintln!("reconnect: registering {n} users");
    let users = clients::create_users(&first, &tag, n, ctx.setup_concurrency).await?;
    let mut pairs = vec![];
    for d in 1..=a.convs / 2 {
        for i in 0..n {
            pairs.push((users[i].clone(), users[(i + d) % n].clone()));
        }
    }
    eprintln!("reconnect: opening {} direct chats", pairs.len());
    let convs =
        clients::open_directs(&first, &pairs, cluster.befriend, ctx.setup_concurrency).await?;
    // Everyone online once: connect and take a sync cursor (what a client has before it
    // drops).
    eprintln!("reconnect: connecting everyone and taking their sync cursors");
    let base = Client::new(&last)?;
    let u = last.clone();
    let tokens: Vec<String> = users.iter().map(|u| u.token.clone()).collect();
    let sockets = clients::connect_all(Arc::new(move |_| u.clone()), &tokens, 4 * 1024, 128)
        .await
        .context("first connect")?;
    let cursors: Vec<String> = stream::iter(&users)
        .map(|u| {
            let c = base.with_token(u.token.clone());
            async move { c.sync(None).await.map(|s| s.cursor) }
        })
        .buffered(ctx.setup_concurrency)
        .try_collect()
        .await?;
    // Drop: every socket at once.
    drop(sockets);
    // The server's sync cursor overlaps by 10 s; messages must be newer than that window
    // for the test to be of "unread since I dropped", so wait past it.
    tokio::time::sleep(Duration::from_secs(11)).await;
    eprintln!(
        "reconnect: sending {} messages while everyone is offline",
        convs.len() * a.messages
    );
    let sender = Client::new(&first)?;
    let sent = AtomicU64::new(0);
    stream::iter(pairs.iter().zip(&convs).enumerate())
        .map(|(k, ((x, y), conv))| {
            // Alternate who writes, so every user has unread messages in half its chats.
            let who = if k % 2 == 0 { x } else { y };
            let c = sender.with_token(who.token.clone());
            let conv: ConversationId = *conv;
            let sent = &sent;
            async move {
                for m in 0..a.messages {
                    c.send_text(conv, &format!("offline {m}")).await?;
                    sent.fetch_add(1, Ordering::Relaxed);
                }
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(ctx.setup_concurrency * 2)
        .try_collect::<Vec<_>>()
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let expect_msgs = (a.convs * a.messages) as u64;
    eprintln!("reconnect: {n} clients reconnect and sync at once");
    let load1_start = load1();
    let before = cluster.sample();
    let t0 = Instant::now();
    let storm = Arc::new(Storm {
        ws_url: last.clone(),
        expect_convs: a.convs,
        expect_msgs,
        t0,
        http_sem: Semaphore::new(a.http_concurrency.max(1)),
        ws_sem: Semaphore::new(a.connect_concurrency.max(1)),
        via: a.sync,
    });
    let mut tasks = vec![];
    for (u, cursor) in users.iter().zip(cursors) {
        tasks.push(tokio::spawn(resync(
            storm.clone(),
            base.with_token(u.token.clone()),
            cursor,
        )));
    }
    let mut lat = Latency::new();
    let mut ok = 0u64;
    let mut fetched = 0u64;
    let mut failures = 0u64;
    let mut first_err = None;
    let mut held = vec![];
    for t in tasks {
        match t.await {
            Ok(Ok((s, ws))) => {
                lat.record((s.secs * 1e6) as u64);
                fetched += s.messages;
                if s.complete {
                    ok += 1;
                }
                held.push(ws);
            }
            Ok(Err(e)) => {
                failures += 1;
                first_err.get_or_insert_with(|| format!("{e:#}"));
            }
            Err(e) => {
                failures += 1;
                first_err.get_or_insert_with(|| e.to_string());
            }
        }
    }
    let all_secs = t0.elapsed().as_secs_f64();
    let after = cluster.sample();
    drop(held);
    let (cpu, rss) = usage(&before, &after);
    let mut o = Outcome::new("reconnect");
    o.extra("bench_cpu", format!("{:.0}%", own_cpu(&before, &after)));
    base_params(&mut o, cluster);
    o.param("users", n)
        .param("convs_per_user", a.convs)
        .param("messages_per_conv", a.messages)
        .param("http_concurrency", a.http_concurrency)
        .param("connect_concurrency", a.connect_concurrency)
        .param("sync", format!("{:?}", a.sync).to_lowercase());
    o.load1 = load1_start;
    o.sent_per_s = n as f64 / all_secs;
    o.delivered_per_s = fetched as f64 / all_secs;
    o.delivered_ratio = fetched as f64 / (expect_msgs * n as u64) as f64;
    o.latency(&lat);
    o.server_cpu_pct = cpu;
    o.server_rss_mib = rss;
    o.extra("all_synced_secs", all_secs)
        .extra("clients_complete", ok)
        .extra("clients_failed", failures)
        .extra("offline_messages", sent.load(Ordering::Relaxed));
    o.notes.push(
        "latency = per-client time from the storm's start to fully synced; sent/s = clients \
         synced per second; delivered/s = messages fetched per second"
            .into(),
    );
    if let Some(e) = first_err {
        o.notes.push(format!("first failure: {e}"));
    }
    Ok(o)
}

/// `login`.
pub async fn login(cluster: &mut Cluster, ctx: &Ctx, a: &LoginArgs) -> Result<Outcome> {
    if a.users == 0 || a.users > 1000 {
        bail!("--users must be 1..=1000");
    }
    let tag = clients::run_tag();
    let url = cluster.first().to_owned();
    eprintln!(
        "login: registering {} users with the default argon2 cost",
        a.users
    );
    let users = clients::create_users(&url, &tag, a.users, ctx.setup_concurrency.min(8)).await?;
    let users = Arc::new(users);
    let client = Client::new(&url)?;
    let load1_start = load1();

    // Password sign-ins.
    let before = cluster.sample();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(a.duration);
    let mut workers = vec![];
    for w in 0..a.concurrency.max(1) {
        let (client, users) = (client.clone(), users.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Latency::new();
            let (mut ok, mut err) = (0u64, 0u64);
            let mut tokens = vec![];
            let mut k = w;
            while Instant::now() < deadline {
                let t = Instant::now();
                match clients::login(&client, &users[k % users.len()]).await {
                    Ok(u) => {
                        ok += 1;
                        lat.record(t.elapsed().as_micros() as u64);
                        if tokens.len() < 64 {
                            tokens.push(u.token);
                        }
                    }
                    Err(_) => err += 1,
                }
                k += 7;
            }
            (lat, ok, err, tokens)
        }));
    }
    let mut lat = Latency::new();
    let (mut ok, mut err) = (0u64, 0u64);
    let mut tokens = vec![];
    for w in workers {
        let (l, o, e, t) = w.await?;
        lat.merge(&l);
        ok += o;
        err += e;
        tokens.extend(t);
    }
    let secs = t0.elapsed().as_secs_f64();
    let after = cluster.sample();
    let (cpu, rss) = usage(&before, &after);
    let logins_per_s = ok as f64 / secs;
    if tokens.is_empty() {
        tokens = users.iter().map(|u| u.token.clone()).collect();
    }

    // Token-authenticated WebSocket connects: connect, wait for `ready`, close.
    let tokens = Arc::new(tokens);
    let ws_before = cluster.sample();
    let t1 = Instant::now();
    let ws_deadline = t1 + Duration::from_secs_f64(a.ws_duration);
    let done = Arc::new(AtomicU64::new(0));
    let mut workers = vec![];
    for w in 0..a.ws_concurrency.max(1) {
        let (tokens, url, done) = (tokens.clone(), url.clone(), done.clone());
        workers.push(tokio::spawn(async move {
            let mut lat = Latency::new();
            let mut errs = 0u64;
            let mut k = w;
            while Instant::now() < ws_deadline {
                let t = Instant::now();
                match clients::connect(&url, &tokens[k % tokens.len()], 4 * 1024).await {
                    Ok(mut ws) => {
                        lat.record(t.elapsed().as_micros() as u64);
                        done.fetch_add(1, Ordering::Relaxed);
                        let _ = ws.close(None).await;
                    }
                    Err(_) => errs += 1,
                }
                k += 1;
            }
            (lat, errs)
        }));
    }
    let mut ws_lat = Latency::new();
    let mut ws_err = 0u64;
    for w in workers {
        let (l, e) = w.await?;
        ws_lat.merge(&l);
        ws_err += e;
    }
    let ws_secs = t1.elapsed().as_secs_f64();
    let ws_after = cluster.sample();
    let (ws_cpu, _) = usage(&ws_before, &ws_after);
    let connects_per_s = done.load(Ordering::Relaxed) as f64 / ws_secs;

    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut o = Outcome::new("login");
    base_params(&mut o, cluster);
    o.param("users", a.users)
        .param("concurrency", a.concurrency)
        .param("ws_concurrency", a.ws_concurrency)
        .param("argon2", "default (19 MiB, 2 passes)");
    o.load1 = load1_start;
    o.sent_per_s = logins_per_s;
    o.delivered_ratio = if ok + err == 0 {
        0.0
    } else {
        ok as f64 / (ok + err) as f64
    };
    o.latency(&lat);
    o.server_cpu_pct = cpu;
    o.server_rss_mib = rss;
    o.extra("logins_per_s", format!("{logins_per_s:.1}"))
        .extra(
            "logins_per_busy_core",
            format!("{:.1}", logins_per_s / (cpu / 100.0).max(0.01)),
        )
        .extra(
            "logins_per_core",
            format!("{:.1}", logins_per_s / cores as f64),
        )
        .extra("login_errors", err)
        .extra("ws_connects_per_s", format!("{connects_per_s:.0}"))
        .extra(
            "ws_connect_p50",
            format!("{:.2}ms", ws_lat.quantile_ms(0.5).unwrap_or(0.0)),
        )
        .extra(
            "ws_connect_p99",
            format!("{:.2}ms", ws_lat.quantile_ms(0.99).unwrap_or(0.0)),
        )
        .extra("ws_cpu", format!("{ws_cpu:.0}%"))
        .extra("ws_errors", ws_err);
    o.notes
        .push("sent/s = password sign-ins per second; p50/p99/p999 = sign-in latency".into());
    Ok(o)
}
