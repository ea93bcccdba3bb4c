//! The servers under test: started by the bench (`--server-bin`, a temp data dir, config
//! through `CONFAB_*` variables) or given (`--url`, `--server-pid`); and their CPU and RSS,
//! sampled from `/proc/PID`.

use std::net::{IpAddr, TcpListener};
use std::path::PathBuf;
use std::process::Stdio;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use tokio::process::{Child, Command};

use crate::stats::{cpu_percent, parse_rss_kib, parse_stat_ticks};

/// Linux's USER_HZ: `/proc/PID/stat` counts CPU time in 1/100 s on every mainstream
/// architecture.
const TICKS_PER_SEC: u64 = 100;

/// How the servers are chosen; shared by every scenario (see `--help`).
#[derive(Clone, Debug, clap::Args)]
pub struct ServerArgs {
    /// Start this server binary (e.g. target/release/confab) on a temp data dir.
    #[arg(long, global = true)]
    pub server_bin: Option<PathBuf>,
    /// Use a running server instead (loopback only), e.g. http://127.0.0.1:8080. Give it
    /// twice for two nodes.
    #[arg(long, global = true)]
    pub url: Vec<String>,
    /// PID of each `--url` server, for CPU and RSS sampling (same order).
    #[arg(long, global = true)]
    pub server_pid: Vec<u32>,
    /// Start the servers on MariaDB/MySQL: a server URL without a database, e.g.
    /// mysql://root@127.0.0.1:3306 — a fresh database `confab_bench_<pid>` is created and
    /// dropped afterwards. Needs --redis-url.
    #[arg(long, global = true)]
    pub mysql_url: Option<String>,
    /// Redis for the started servers (a fresh key prefix, deleted afterwards).
    #[arg(long, global = true)]
    pub redis_url: Option<String>,
    /// Nodes to start (2 needs MySQL + Redis): publishers/senders connect to the first,
    /// receivers to the last.
    #[arg(long, global = true, default_value_t = 1)]
    pub nodes: usize,
    /// Direct-message policy for started servers that have one: `anyone` (set through
    /// CONFAB_SOCIAL__DIRECT_POLICY) or `befriend` (pairs become friends through the
    /// friend-request API).
    #[arg(long, global = true, default_value = "anyone")]
    pub direct_policy: String,
    /// Extra KEY=VALUE environment for started servers (repeatable), e.g. to try a setting.
    #[arg(long = "server-env", global = true)]
    pub server_env: Vec<String>,
}

/// One server node.
pub struct Node {
    /// Its base URL (`http://127.0.0.1:PORT`).
    pub url: String,
    /// Its PID, when known.
    pub pid: Option<u32>,
    child: Option<Child>,
}

/// The servers of one run, and what must be cleaned up after it.
pub struct Cluster {
    /// The nodes, in order.
    pub nodes: Vec<Node>,
    /// `sqlite` or `mysql+redis` (or `given` for --url).
    pub backend: String,
    /// Whether the started servers have the groups feature.
    pub has_groups: bool,
    /// Whether pairs must be befriended before they can chat.
    pub befriend: bool,
    /// Caveats for the result line.
    pub notes: Vec<String>,
    _tmp: Option<tempfile::TempDir>,
    mysql: Option<(String, String)>,
    redis: Option<(String, String)>,
}

/// CPU ticks and RSS of every node at one instant.
#[derive(Clone, Debug)]
pub struct Sample {
    at: Instant,
    ticks: Vec<Option<u64>>,
    rss_kib: Vec<Option<u64>>,
    /// The bench process's own CPU ticks (it shares the cores with the server).
    own_ticks: Option<u64>,
}

impl Sample {
    /// Summed RSS in KiB.
    pub fn rss_kib(&self) -> u64 {
        self.rss_kib.iter().flatten().sum()
    }
}

/// CPU % (summed over nodes) between two samples, and the RSS (MiB) at the second.
pub fn usage(before: &Sample, after: &Sample) -> (f64, f64) {
    let wall = after.at.duration_since(before.at).as_secs_f64();
    let ticks: u64 = before
        .ticks
        .iter()
        .zip(&after.ticks)
        .filter_map(|(a, b)| Some(b.as_ref()?.saturating_sub(*a.as_ref()?)))
        .sum();
    (
        cpu_percent(ticks, TICKS_PER_SEC, wall),
        after.rss_kib() as f64 / 1024.0,
    )
}

/// The bench process's own CPU % between two samples.
pub fn own_cpu(before: &Sample, after: &Sample) -> f64 {
    let wall = after.at.duration_since(before.at).as_secs_f64();
    match (before.own_ticks, after.own_ticks) {
        (Some(a), Some(b)) => cpu_percent(b.saturating_sub(a), TICKS_PER_SEC, wall),
        _ => 0.0,
    }
}

/// Refuses anything but a loopback address: the bench never loads another machine.
pub fn check_loopback(url: &str) -> Result<()> {
    let u = url::Url::parse(url).with_context(|| format!("bad --url {url}"))?;
    let host = u.host_str().unwrap_or_default();
    let ok = host == "localhost"
        || host
            .trim_matches(|c| c == '[' || c == ']')
            .parse::<IpAddr>()
            .is_ok_and(|ip| ip.is_loopback());
    if !ok {
        bail!("--url must be a loopback address (127.0.0.1), got {host}");
    }
    Ok(())
}

fn free_port() -> Result<u16> {
    let l = TcpListener::bind("127.0.0.1:0")?;
    Ok(l.local_addr()?.port())
}

fn random_hex(n: usize) -> String {
    let mut s = String::new();
    let mut x = std::process::id() as u64
        ^ std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos() as u64)
            .unwrap_or(1);
    while s.len() < n {
        // xorshift: enough for names and a throwaway bench JWT key.
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        s.push_str(&format!("{x:016x}"));
    }
    s.truncate(n);
    s
}

/// The `CONFAB_*` overrides every started server gets (docs/performance.md lists them).
pub fn bench_env(cheap_argon2: bool) -> Vec<(String, String)> {
    let mut env: Vec<(&str, &str)> = vec![
        ("CONFAB_LOG__LEVEL", "warn"),
        // One socket publishes thousands of messages per second; the per-socket frame
        // bucket and the per-user send limit would refuse them (defaults 20/s, 40 burst).
        ("CONFAB_GATEWAY__FRAMES_PER_SECOND", "10000"),
        ("CONFAB_GATEWAY__FRAMES_BURST", "100000"),
        ("CONFAB_MESSAGING__SENDS_PER_SECOND", "10000"),
        ("CONFAB_MESSAGING__SENDS_BURST", "100000"),
        // Every client comes from 127.0.0.1: the per-IP auth limit (30/min) would stop the
        // set-up after 30 users.
        ("CONFAB_AUTH__ATTEMPTS_PER_IP_PER_MINUTE", "100000"),
        // Set-up plus a long run can exceed the 15 min token lifetime.
        ("CONFAB_AUTH__ACCESS_TTL_SECS", "7200"),
        // `moments` befriends every pair: a user sends up to 399 requests in its set-up.
        ("CONFAB_SOCIAL__REQUESTS_PER_MINUTE", "10000"),
    ];
    if cheap_argon2 {
        // Dev-only, below OWASP: for scenarios that only need users to exist.
        env.push(("CONFAB_AUTH__ARGON2_MEMORY_KIB", "8"));
        env.push(("CONFAB_AUTH__ARGON2_ITERATIONS", "1"));
    }
    env.into_iter()
        .map(|(k, v)| (k.to_owned(), v.to_owned()))
        .collect()
}

impl Cluster {
    /// Starts (or adopts) the servers. `cheap_argon2`: users only need to exist.
    pub async fn start(args: &ServerArgs, cheap_argon2: bool) -> Result<Cluster> {
        if !args.url.is_empty() {
            return Self::given(args);
        }
        let Some(bin) = &args.server_bin else {
            bail!("give --server-bin target/release/confab (or --url of a running server)");
        };
        if args.nodes == 0 || args.nodes > 4 {
            bail!("--nodes must be 1..=4");
        }
        if args.nodes > 1 && (args.mysql_url.is_none() || args.redis_url.is_none()) {
            bail!("--nodes {} needs --mysql-url and --redis-url", args.nodes);
        }
        if args.mysql_url.is_some() != args.redis_url.is_some() {
            bail!("--mysql-url and --redis-url go together");
        }
        let tmp = tempfile::Builder::new().prefix("confab-bench-").tempdir()?;
        let mut env = bench_env(cheap_argon2);
        let mut notes = vec![];
        if cheap_argon2 {
            notes.push("users created with dev-only argon2 (8 KiB, 1 pass)".to_owned());
        }
        let mut mysql = None;
        let mut redis = None;
        let backend;
        if let (Some(m), Some(r)) = (&args.mysql_url, &args.redis_url) {
            let db = format!("confab_bench_{}", std::process::id());
            let admin = m.trim_end_matches('/').to_owned();
            create_database(&admin, &db).await?;
            mysql = Some((admin.clone(), db.clone()));
            let prefix = format!("confab-bench-{}", random_hex(8));
            redis = Some((r.clone(), prefix.clone()));
            env.push(("CONFAB_DATABASE__URL".into(), format!("{admin}/{db}")));
            env.push(("CONFAB_REDIS__URL".into(), r.clone()));
            env.push(("CONFAB_REDIS__PREFIX".into(), prefix));
            // Every node of a cluster must share one key.
            env.push(("CONFAB_AUTH__JWT_SECRET".into(), random_hex(48)));
            backend = "mysql+redis".to_owned();
        } else {
            backend = "sqlite".to_owned();
        }
        // Which optional features this server build has (its effective config lists them).
        let config = probe_config(bin, &tmp.path().join("probe")).await?;
        let has_groups = config.contains("[groups]");
        let has_direct_policy = config.contains("direct_policy");
        if has_groups {
            env.push(("CONFAB_GROUPS__MAX_MEMBER_LIMIT".into(), "10000".into()));
        }
        // Every bench client is 127.0.0.1: the per-address connection cap (256 by default)
        // would refuse the 257th socket of `direct`, `idle` and `reconnect`.
        if config.contains("max_connections_per_ip") {
            env.push(("CONFAB_HTTP__MAX_CONNECTIONS_PER_IP".into(), "0".into()));
        }
        let mut befriend = false;
        if has_direct_policy {
            if args.direct_policy == "befriend" {
                befriend = true;
            } else {
                env.push(("CONFAB_SOCIAL__DIRECT_POLICY".into(), "anyone".into()));
                notes.push("direct_policy=anyone".to_owned());
            }
        }
        for kv in &args.server_env {
            let Some((k, v)) = kv.split_once('=') else {
                bail!("--server-env wants KEY=VALUE, got {kv}");
            };
            env.push((k.to_owned(), v.to_owned()));
        }
        let mut cluster = Cluster {
            nodes: vec![],
            backend,
            has_groups,
            befriend,
            notes,
            _tmp: None,
            mysql,
            redis,
        };
        for i in 0..args.nodes {
            let port = free_port()?;
            let dir = tmp.path().join(format!("node{i}"));
            std::fs::create_dir_all(&dir)?;
            let log = std::fs::File::create(tmp.path().join(format!("node{i}.log")))?;
            let mut cmd = Command::new(bin);
            cmd.arg("serve")
                .env("CONFAB_LISTEN", format!("127.0.0.1:{port}"))
                .env("CONFAB_DATA_DIR", &dir)
                .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::from(log))
                .kill_on_drop(true);
            let child = match cmd.spawn() {
                Ok(c) => c,
                Err(e) => {
                    cluster.stop().await;
                    return Err(e).with_context(|| format!("starting {}", bin.display()));
                }
            };
            let pid = child.id();
            cluster.nodes.push(Node {
                url: format!("http://127.0.0.1:{port}"),
                pid,
                child: Some(child),
            });
            // Nodes start one after another: the first applies the migrations.
            let url = format!("http://127.0.0.1:{port}");
            if let Err(e) = wait_ready(&url, Duration::from_secs(90)).await {
                let log = std::fs::read_to_string(tmp.path().join(format!("node{i}.log")))
                    .unwrap_or_default();
                cluster.stop().await;
                bail!("node {i} did not become ready: {e}\n{log}");
            }
        }
        cluster._tmp = Some(tmp);
        Ok(cluster)
    }

    /// Starts the baseline relay (this binary's `baseline-server`) on a loopback port, as a
    /// one-node cluster whose CPU and RSS are sampled like a Confab node's.
    pub async fn baseline() -> Result<Cluster> {
        use tokio::io::AsyncBufReadExt;
        let exe = std::env::current_exe().context("finding the bench binary")?;
        let mut child = Command::new(exe)
            .args(["baseline-server", "--listen", "127.0.0.1:0"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .kill_on_drop(true)
            .spawn()
            .context("starting the baseline server")?;
        let pid = child.id();
        let out = child.stdout.take().context("the baseline's stdout")?;
        let mut lines = tokio::io::BufReader::new(out).lines();
        let addr = tokio::time::timeout(Duration::from_secs(10), lines.next_line())
            .await
            .context("the baseline did not start within 10 s")??
            .context("the baseline exited before listening")?;
        Ok(Cluster {
            nodes: vec![Node {
                url: format!("http://{}", addr.trim()),
                pid,
                child: Some(child),
            }],
            backend: "baseline".into(),
            has_groups: true,
            befriend: false,
            notes: vec![],
            _tmp: None,
            mysql: None,
            redis: None,
        })
    }

    fn given(args: &ServerArgs) -> Result<Cluster> {
        let mut nodes = vec![];
        for (i, url) in args.url.iter().enumerate() {
            check_loopback(url)?;
            nodes.push(Node {
                url: url.trim_end_matches('/').to_owned(),
                pid: args.server_pid.get(i).copied(),
                child: None,
            });
        }
        let mut notes = vec!["server given by --url: its config is not the bench's".to_owned()];
        if args.server_pid.len() < nodes.len() {
            notes.push("no --server-pid: no CPU/RSS figures".to_owned());
        }
        Ok(Cluster {
            nodes,
            backend: "given".into(),
            has_groups: true,
            befriend: args.direct_policy == "befriend",
            notes,
            _tmp: None,
            mysql: None,
            redis: None,
        })
    }

    /// The node publishers / senders use.
    pub fn first(&self) -> &str {
        self.nodes.first().map_or("", |n| n.url.as_str())
    }

    /// The node receivers use (the same as `first` with one node).
    pub fn last(&self) -> &str {
        self.nodes.last().map_or("", |n| n.url.as_str())
    }

    /// CPU ticks and RSS of every node now.
    pub fn sample(&self) -> Sample {
        let read = |pid: Option<u32>, file: &str| {
            pid.and_then(|p| std::fs::read_to_string(format!("/proc/{p}/{file}")).ok())
        };
        Sample {
            at: Instant::now(),
            ticks: self
                .nodes
                .iter()
                .map(|n| read(n.pid, "stat").and_then(|s| parse_stat_ticks(&s)))
                .collect(),
            rss_kib: self
                .nodes
                .iter()
                .map(|n| read(n.pid, "status").and_then(|s| parse_rss_kib(&s)))
                .collect(),
            own_ticks: read(Some(std::process::id()), "stat").and_then(|s| parse_stat_ticks(&s)),
        }
    }

    /// Whether a started node has exited (a crash during the run).
    pub fn crashed(&mut self) -> Option<String> {
        for (i, n) in self.nodes.iter_mut().enumerate() {
            if let Some(c) = &mut n.child
                && let Ok(Some(status)) = c.try_wait()
            {
                return Some(format!("node {i} exited: {status}"));
            }
        }
        None
    }

    /// Stops the started servers (SIGTERM, then SIGKILL after 10 s) and removes the
    /// database and Redis keys they used.
    pub async fn stop(&mut self) {
        for n in &mut self.nodes {
            if let Some(mut child) = n.child.take() {
                if let Some(pid) = child.id() {
                    // SIGTERM: a graceful shutdown (the workspace forbids `unsafe`, so no
                    // libc call; kill(1) is on every Linux).
                    let _ = Command::new("kill")
                        .args(["-TERM", &pid.to_string()])
                        .status()
                        .await;
                }
                if tokio::time::timeout(Duration::from_secs(10), child.wait())
                    .await
                    .is_err()
                {
                    let _ = child.kill().await;
                }
            }
        }
        if let Some((admin, db)) = self.mysql.take()
            && let Err(e) = drop_database(&admin, &db).await
        {
            eprintln!("warning: could not drop database {db}: {e}");
        }
        if let Some((url, prefix)) = self.redis.take()
            && let Err(e) = delete_redis_prefix(&url, &prefix).await
        {
            eprintln!("warning: could not delete Redis keys {prefix}*: {e}");
        }
    }
}

async fn probe_config(bin: &PathBuf, dir: &std::path::Path) -> Result<String> {
    std::fs::create_dir_all(dir)?;
    let out = Command::new(bin)
        .arg("config")
        .env("CONFAB_DATA_DIR", dir)
        .stdin(Stdio::null())
        .output()
        .await
        .with_context(|| format!("running {} config", bin.display()))?;
    if !out.status.success() {
        bail!(
            "{} config failed: {}",
            bin.display(),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

/// Polls `/readyz` until it answers 200.
pub async fn wait_ready(url: &str, within: Duration) -> Result<()> {
    let http = reqwest::Client::builder()
        .timeout(Duration::from_secs(2))
        .build()?;
    let deadline = Instant::now() + within;
    loop {
        if let Ok(r) = http.get(format!("{url}/readyz")).send().await
            && r.status().is_success()
        {
            return Ok(());
        }
        if Instant::now() > deadline {
            bail!("no 200 from {url}/readyz within {within:?}");
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
}

fn check_db_name(db: &str) -> Result<()> {
    if db.is_empty() || !db.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        bail!("bad database name {db}");
    }
    Ok(())
}

/// Runs one statement through the `mariadb` client (the bench keeps sqlx out of its build:
/// its features would differ from the server's and rebuild the whole tree).
async fn mariadb(admin: &str, sql: &str) -> Result<()> {
    let u = url::Url::parse(admin).with_context(|| format!("bad --mysql-url {admin}"))?;
    let mut cmd = Command::new("mariadb");
    cmd.arg("-h")
        .arg(u.host_str().unwrap_or("127.0.0.1"))
        .arg("-P")
        .arg(u.port().unwrap_or(3306).to_string())
        .arg("-u")
        .arg(if u.username().is_empty() {
            "root"
        } else {
            u.username()
        })
        .arg("-e")
        .arg(sql)
        .stdin(Stdio::null());
    if let Some(p) = u.password() {
        // Through the environment, not argv (visible in ps).
        cmd.env("MYSQL_PWD", p);
    }
    let out = cmd.output().await.context("running mariadb")?;
    if !out.status.success() {
        bail!("mariadb: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(())
}

async fn create_database(admin: &str, db: &str) -> Result<()> {
    check_db_name(db)?;
    mariadb(
        admin,
        &format!("CREATE DATABASE `{db}` CHARACTER SET utf8mb4 COLLATE utf8mb4_bin"),
    )
    .await
}

async fn drop_database(admin: &str, db: &str) -> Result<()> {
    check_db_name(db)?;
    mariadb(admin, &format!("DROP DATABASE IF EXISTS `{db}`")).await
}

async fn redis_cli(url: &str, args: &[&str]) -> Result<String> {
    let out = Command::new("redis-cli")
        .arg("-u")
        .arg(url)
        .args(args)
        .stdin(Stdio::null())
        .output()
        .await
        .context("running redis-cli")?;
    if !out.status.success() {
        bail!("redis-cli: {}", String::from_utf8_lossy(&out.stderr).trim());
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

async fn delete_redis_prefix(url: &str, prefix: &str) -> Result<()> {
    let pattern = format!("{prefix}*");
    let keys = redis_cli(url, &["--scan", "--pattern", &pattern]).await?;
    let keys: Vec<&str> = keys.lines().filter(|k| k.starts_with(prefix)).collect();
    for chunk in keys.chunks(500) {
        let mut args = vec!["DEL"];
        args.extend_from_slice(chunk);
        redis_cli(url, &args).await?;
    }
    Ok(())
}

/// Raises this process's open-file limit to its hard limit (with util-linux `prlimit`, since
/// the workspace forbids the `unsafe` a setrlimit call needs); returns the soft limit after.
pub fn raise_nofile() -> u64 {
    let me = std::process::id();
    let (soft, hard) = nofile_limits(me).unwrap_or((1024, 1024));
    if soft < hard {
        let _ = std::process::Command::new("prlimit")
            .arg("--pid")
            .arg(me.to_string())
            .arg(format!("--nofile={hard}:{hard}"))
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
    }
    nofile_limits(me).map_or(soft, |(s, _)| s)
}

fn nofile_limits(pid: u32) -> Option<(u64, u64)> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/limits")).ok()?;
    parse_nofile(&text)
}

/// (soft, hard) "Max open files" from the text of `/proc/PID/limits`.
pub fn parse_nofile(limits: &str) -> Option<(u64, u64)> {
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut f = line.split_whitespace().skip(3);
    let soft = f.next()?.parse().ok()?;
    let hard = f.next().and_then(|h| h.parse().ok()).unwrap_or(soft);
    Some((soft, hard))
}

/// The open-file limit of another process, from `/proc/PID/limits`.
pub fn nofile_of(pid: u32) -> Option<u64> {
    nofile_limits(pid).map(|(soft, _)| soft)
}

/// The 1-minute load average.
pub fn load1() -> f64 {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| crate::stats::parse_load1(&s))
        .unwrap_or(0.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_loopback_urls_are_accepted() {
        assert!(check_loopback("http://127.0.0.1:8080").is_ok());
        assert!(check_loopback("http://localhost:1").is_ok());
        assert!(check_loopback("http://[::1]:1").is_ok());
        assert!(check_loopback("http://10.0.0.1:8080").is_err());
        assert!(check_loopback("http://example.com").is_err());
    }

    #[test]
    fn the_bench_env_is_valid_config_and_argon2_is_cheap_only_when_asked() {
        let cheap = bench_env(true);
        assert!(
            cheap
                .iter()
                .any(|(k, v)| k == "CONFAB_AUTH__ARGON2_ITERATIONS" && v == "1")
        );
        let real = bench_env(false);
        assert!(!real.iter().any(|(k, _)| k.contains("ARGON2")));
        assert!(real.iter().all(|(k, _)| k.starts_with("CONFAB_")));
        assert!(check_db_name("confab_bench_1").is_ok());
        assert!(check_db_name("x`; DROP").is_err());
        let limits = "Limit                     Soft Limit           Hard Limit           Units\n\
                      Max open files            1024                 20000                files\n";
        assert_eq!(parse_nofile(limits), Some((1024, 20000)));
    }
}
