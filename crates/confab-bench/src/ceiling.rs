//! The same command against the baseline relay ([`crate::baseline`]), right after Confab's
//! run: the same sockets (opened by `clients::connect_all`), the same senders, stepper,
//! drain and pass rule (`load`), only the set-up differs (a socket's "token" names its
//! conversations). The result line then carries the baseline's figures and the ratios.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Result;

use crate::clients;
use crate::load::{Load, SendSpec, StepResult, Via};
use crate::scenarios::{DirectArgs, FanoutArgs, stepped};
use crate::server::Cluster;
use crate::stats::{Outcome, Stepper};

/// Bases for `connect_all`: every socket to the one relay.
fn to(url: &str) -> Arc<dyn Fn(usize) -> String + Send + Sync> {
    let u = url.to_owned();
    Arc::new(move |_| u.clone())
}

/// `fanout` against the baseline: `members` sockets in conversation 1, the first
/// `publishers` publishing; the same stepped search. The best passing step, else the last.
pub async fn fanout(a: &FanoutArgs, publishers: usize) -> Result<Option<StepResult>> {
    let mut cluster = Cluster::baseline().await?;
    let r = async {
        let tokens = vec!["1".to_owned(); a.members];
        let sockets = clients::connect_all(to(cluster.first()), &tokens, 16 * 1024, 64).await?;
        let specs = (0..a.members)
            .map(|i| (i < publishers).then(|| spec("1")))
            .collect();
        let load = Load::start(sockets, specs);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let stepper = Stepper::new(a.rate, a.factor, a.max_rate, a.max_steps, a.refine);
        let per_message = (a.members - 1) as u64;
        eprintln!("baseline: fanout, {} members", a.members);
        let (best, fail, _) =
            stepped(&mut cluster, &load, stepper, a.step_secs, per_message).await?;
        load.stop().await;
        Ok(best.or(fail))
    }
    .await;
    cluster.stop().await;
    r
}

/// `direct` (over the socket) against the baseline: pair `k` is conversation `k + 1`, the
/// even sockets send; the same fixed rate or `--find-max` search.
pub async fn direct(a: &DirectArgs) -> Result<Option<StepResult>> {
    let mut cluster = Cluster::baseline().await?;
    let r = async {
        let tokens: Vec<String> = (0..a.users).map(|i| (i / 2 + 1).to_string()).collect();
        let sockets = clients::connect_all(to(cluster.first()), &tokens, 16 * 1024, 64).await?;
        let specs = (0..a.users)
            .map(|i| (i % 2 == 0).then(|| spec(&(i / 2 + 1).to_string())))
            .collect();
        let load = Load::start(sockets, specs);
        tokio::time::sleep(Duration::from_secs(1)).await;
        let (stepper, secs) = a.steps();
        eprintln!("baseline: direct, {} pairs", a.users / 2);
        let (best, fail, _) = stepped(&mut cluster, &load, stepper, secs, 1).await?;
        load.stop().await;
        Ok(best.or(fail))
    }
    .await;
    cluster.stop().await;
    r
}

/// `idle` against the baseline: RSS per socket (KiB) for `n` idle sockets, measured as
/// Confab's is (end of the hold − before connecting, ÷ n; the sockets read meanwhile).
pub async fn idle(n: usize, concurrency: usize, hold: f64) -> Result<f64> {
    let mut cluster = Cluster::baseline().await?;
    let r = async {
        tokio::time::sleep(Duration::from_secs(1)).await;
        let s0 = cluster.sample();
        let tokens = vec![String::new(); n];
        eprintln!("baseline: idle, {n} sockets");
        let sockets =
            clients::connect_all(to(cluster.first()), &tokens, 4 * 1024, concurrency).await?;
        let load = Load::start(sockets, vec![]);
        tokio::time::sleep(Duration::from_secs(3)).await;
        let until = Instant::now() + Duration::from_secs_f64(hold.clamp(0.0, 600.0));
        while Instant::now() < until {
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
        let s2 = cluster.sample();
        load.stop().await;
        Ok(s2.rss_kib().saturating_sub(s0.rss_kib()) as f64 / n.max(1) as f64)
    }
    .await;
    cluster.stop().await;
    r
}

fn spec(conversation: &str) -> SendSpec {
    SendSpec {
        conversation: conversation.to_owned(),
        nonce: "baseline".into(),
        via: Via::Ws,
        window: 2_000,
    }
}

/// Adds the baseline's figures of a stepped run, and Confab ÷ baseline ratios, to `o`.
pub fn report(o: &mut Outcome, b: Option<&StepResult>) {
    let Some(b) = b else {
        o.notes.push("baseline: no step ran".into());
        return;
    };
    let p99 = b.counters.lat.quantile_ms(0.99);
    o.extra("baseline_rate", b.offered_per_s.round() as u64)
        .extra("baseline_delivered_per_s", b.delivered_per_s.round() as u64)
        .extra("baseline_delivered_pct", b.ratio * 100.0)
        .extra(
            "baseline_p50_ms",
            b.counters.lat.quantile_ms(0.5).unwrap_or(0.0),
        )
        .extra("baseline_p99_ms", p99.unwrap_or(0.0))
        .extra("baseline_cpu_pct", b.cpu.round() as u64);
    if !b.passed() {
        o.notes.push("baseline: its shown step did not pass".into());
    }
    if b.delivered_per_s > 0.0 {
        o.extra("ratio_delivered", o.delivered_per_s / b.delivered_per_s);
    }
    if let (Some(mine), Some(base)) = (o.p99_ms, p99)
        && base > 0.0
    {
        o.extra("ratio_p99", mine / base);
    }
}
