//! The `moments` scenario: N users who are all friends of each other (so each has N − 1
//! friends: 200 by default), each with a few moments already posted; then, for `--secs`,
//! `--concurrency` closed-loop workers act as random users: one action in `--post-every`
//! is a new `friends` moment, the others read the first page of the feed. Measures feed
//! reads (per second, p50/p99) and posts (per second, p99), with the server's CPU.

use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use confab_client::Client;
use confab_proto::moments::{PostMomentIn, Visibility};
use futures::{StreamExt, TryStreamExt, stream};

use crate::clients::{self, User};
use crate::scenarios::{Ctx, base_params};
use crate::server::{Cluster, load1, usage};
use crate::stats::{Latency, Outcome};

/// `moments` options.
#[derive(clap::Args, Debug)]
pub struct MomentsArgs {
    /// Users, all friends of each other (each has `users − 1` friends), 2–400.
    #[arg(long, default_value_t = 201)]
    pub users: usize,
    /// Moments each user posts before the measurement.
    #[arg(long, default_value_t = 5)]
    pub seed_posts: usize,
    /// Concurrent workers (each a closed loop of requests).
    #[arg(long, default_value_t = 16)]
    pub concurrency: usize,
    /// One action in this many is a post; the others are feed reads.
    #[arg(long, default_value_t = 10)]
    pub post_every: u64,
    /// Measured seconds.
    #[arg(long, default_value_t = 20.0)]
    pub secs: f64,
}

fn moment(text: String) -> PostMomentIn {
    PostMomentIn {
        text,
        visibility: Visibility::Friends,
        ..PostMomentIn::default()
    }
}

/// Every pair befriended (`n (n − 1) / 2` requests and accepts), `concurrency` at a time.
async fn befriend_all(base: &str, users: &[User], concurrency: usize) -> Result<()> {
    let client = Client::new(base)?;
    let pairs: Vec<(usize, usize)> = (0..users.len())
        .flat_map(|i| (i + 1..users.len()).map(move |j| (i, j)))
        .collect();
    stream::iter(pairs)
        .map(|(i, j)| {
            let (client, a, b) = (client.clone(), &users[i], &users[j]);
            async move { clients::befriend(&client, a, b).await }
        })
        .buffer_unordered(concurrency.max(1))
        .try_collect::<Vec<_>>()
        .await?;
    Ok(())
}

/// One worker's figures: feed latencies, post latencies, errors.
type Figures = (Latency, Latency, u64);

async fn worker(
    client: Client,
    users: Vec<User>,
    w: usize,
    a_post_every: u64,
    deadline: Instant,
) -> Figures {
    let (mut feed, mut posts, mut errors) = (Latency::new(), Latency::new(), 0u64);
    let mut k = w as u64;
    while Instant::now() < deadline {
        let u = &users[(k as usize * 31 + w) % users.len()];
        let c = client.with_token(u.token.clone());
        let t = Instant::now();
        let posting = k.is_multiple_of(a_post_every.max(1));
        let r = if posting {
            c.post_moment(&moment(format!("bench {w} {k}")))
                .await
                .map(|_| ())
        } else {
            c.moments_feed(None, Some(20)).await.map(|_| ())
        };
        match r {
            Ok(()) if posting => posts.record(t.elapsed().as_micros() as u64),
            Ok(()) => feed.record(t.elapsed().as_micros() as u64),
            Err(e) => {
                errors += 1;
                if errors <= 3 {
                    eprintln!("  request refused: {e}");
                }
            }
        }
        k += 1;
    }
    (feed, posts, errors)
}

/// `moments`.
pub async fn moments(cluster: &mut Cluster, ctx: &Ctx, a: &MomentsArgs) -> Result<Outcome> {
    if !(2..=400).contains(&a.users) || a.seed_posts > 50 || a.concurrency == 0 {
        bail!("--users must be 2..=400, --seed-posts at most 50, --concurrency at least 1");
    }
    let tag = clients::run_tag();
    let base = cluster.first().to_owned();
    eprintln!(
        "moments: {} users, {} friendships",
        a.users,
        a.users * (a.users - 1) / 2
    );
    let users = clients::create_users(&base, &tag, a.users, ctx.setup_concurrency).await?;
    befriend_all(&base, &users, ctx.setup_concurrency).await?;
    let client = Client::new(&base)?;
    stream::iter(
        users
            .iter()
            .flat_map(|u| (0..a.seed_posts).map(move |i| (u, i))),
    )
    .map(|(u, i)| {
        let c = client.with_token(u.token.clone());
        async move {
            c.post_moment(&moment(format!("seed {i}")))
                .await
                .context("seeding moments")
        }
    })
    .buffer_unordered(ctx.setup_concurrency.max(1))
    .try_collect::<Vec<_>>()
    .await?;
    let load1_start = load1();
    let before = cluster.sample();
    let t0 = Instant::now();
    let deadline = t0 + Duration::from_secs_f64(a.secs);
    let workers: Vec<_> = (0..a.concurrency)
        .map(|w| {
            tokio::spawn(worker(
                client.clone(),
                users.clone(),
                w,
                a.post_every,
                deadline,
            ))
        })
        .collect();
    let (mut feed, mut posts, mut errors) = (Latency::new(), Latency::new(), 0u64);
    for w in workers {
        let (f, p, e) = w.await?;
        feed.merge(&f);
        posts.merge(&p);
        errors += e;
    }
    let secs = t0.elapsed().as_secs_f64();
    let (cpu, rss) = usage(&before, &cluster.sample());
    let mut o = Outcome::new("moments");
    base_params(&mut o, cluster);
    o.param("users", a.users)
        .param("friends_each", a.users - 1)
        .param("seed_posts", a.seed_posts)
        .param("concurrency", a.concurrency)
        .param("post_every", a.post_every)
        .param("secs", a.secs);
    o.load1 = load1_start;
    o.sent_per_s = posts.count() as f64 / secs;
    o.latency(&feed);
    o.server_cpu_pct = cpu;
    o.server_rss_mib = rss;
    o.extra(
        "feed_reads_per_s",
        format!("{:.1}", feed.count() as f64 / secs),
    )
    .extra("posts_per_s", format!("{:.1}", posts.count() as f64 / secs))
    .extra(
        "post_p99",
        format!("{:.2}ms", posts.quantile_ms(0.99).unwrap_or(0.0)),
    )
    .extra("errors", errors);
    Ok(o)
}
