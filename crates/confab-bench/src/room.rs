//! The `room` scenario: a voice room with 8 speakers on seats and N listeners, all online;
//! speakers chat at a fixed rate while the owner churns seats (mute / unmute, one seat
//! change every `1 / churn` s). Measures chat delivery (ratio, p99) and `room.seats` event
//! delivery to everyone in the room (ratio, p99 from the request's start to the event's
//! arrival), with the server's CPU.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use confab_client::Client;
use confab_proto::rooms::{CreateRoomIn, RoomVisibility, SeatAction, SeatActionIn, SeatMode};
use futures::{StreamExt, TryStreamExt, stream};

use crate::clients;
use crate::load::{Load, SendSpec, Via};
use crate::scenarios::{Ctx, base_params, close_notes, fill_from_step};
use crate::server::{Cluster, load1};
use crate::stats::{Latency, Outcome};

/// `room` options.
#[derive(clap::Args, Debug)]
pub struct RoomArgs {
    /// Listeners (each one online socket, in the room, not seated).
    #[arg(long, default_value_t = 1000)]
    pub listeners: usize,
    /// Speakers on seats (the owner is one of them), 1–20.
    #[arg(long, default_value_t = 8)]
    pub speakers: usize,
    /// Chat messages per second, all speakers together.
    #[arg(long, default_value_t = 20.0)]
    pub chat_rate: f64,
    /// Seat changes per second (the owner mutes and unmutes speakers' seats in turn).
    #[arg(long, default_value_t = 2.0)]
    pub churn_rate: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 20.0)]
    pub secs: f64,
}

/// Seat changes made: seat version → when its request was sent (µs on the load's clock).
type Sent = Arc<Mutex<HashMap<u64, u64>>>;

/// Mutes and unmutes the speakers' seats in turn until `stop`.
async fn churn(
    owner: Client,
    room: confab_proto::ids::RoomId,
    seats: u32,
    rate: f64,
    load: Arc<crate::load::Shared>,
    sent: Sent,
    stop: tokio_util::sync::CancellationToken,
) -> u64 {
    let period = Duration::from_secs_f64(1.0 / rate.max(0.01));
    let mut tick = tokio::time::interval(period);
    let mut n: u64 = 0;
    let mut refused: u64 = 0;
    loop {
        tokio::select! {
            _ = stop.cancelled() => break,
            _ = tick.tick() => {}
        }
        let position = (n % u64::from(seats)) as u32 + 1;
        let action = if (n / u64::from(seats)).is_multiple_of(2) {
            SeatAction::Mute
        } else {
            SeatAction::Unmute
        };
        let t = load.now_us();
        match owner
            .seat_action(room, position, action, &SeatActionIn::default())
            .await
        {
            Ok(s) => {
                if let Ok(mut m) = sent.lock() {
                    m.insert(s.version as u64, t);
                }
            }
            Err(e) => {
                refused += 1;
                if refused <= 3 {
                    eprintln!("  seat change refused: {e}");
                }
            }
        }
        n += 1;
    }
    refused
}

/// `room`.
pub async fn room(cluster: &mut Cluster, ctx: &Ctx, a: &RoomArgs) -> Result<Outcome> {
    if !(1..=20).contains(&a.speakers) || a.listeners > 20_000 {
        bail!("--speakers must be 1..=20 and --listeners at most 20000");
    }
    let tag = clients::run_tag();
    let first = cluster.first().to_owned();
    let last = cluster.last().to_owned();
    let load1_start = load1();
    let total = a.speakers + a.listeners;
    eprintln!(
        "room: setting up {} speakers and {} listeners",
        a.speakers, a.listeners
    );
    let users = clients::create_users(&first, &tag, total, ctx.setup_concurrency).await?;
    let http = Client::new(&first)?;
    let owner = http.with_token(users[0].token.clone());
    let room = owner
        .create_room(&CreateRoomIn {
            name: format!("bench {tag}"),
            cover: None,
            tag: None,
            announcement: None,
            visibility: Some(RoomVisibility::Public),
            password: None,
            seat_count: Some(a.speakers as u32),
            seat_mode: Some(SeatMode::Free),
        })
        .await
        .context("POST /rooms")?;
    // Sockets first, so nobody enters "away" and leaves after the grace period.
    let tokens: Vec<String> = users.iter().map(|u| u.token.clone()).collect();
    let bases: Arc<dyn Fn(usize) -> String + Send + Sync> = {
        let (f, l, s) = (first.clone(), last.clone(), a.speakers);
        Arc::new(move |i| if i < s { f.clone() } else { l.clone() })
    };
    let sockets = clients::connect_all(bases, &tokens, 16 * 1024, 64).await?;
    let conversation = room.conversation_id.to_string();
    let specs = (0..total)
        .map(|i| {
            (i < a.speakers).then(|| SendSpec {
                conversation: conversation.clone(),
                nonce: tag.clone(),
                via: Via::Ws,
                window: 2_000,
            })
        })
        .collect();
    let load = Load::start(sockets, specs);
    // Readers run while everyone enters (sockets answer the server's pings).
    stream::iter(users.iter().enumerate())
        .map(|(i, u)| {
            let c = http.with_token(u.token.clone());
            let (id, speaker) = (room.id, i < a.speakers);
            async move {
                c.join_room(id, None)
                    .await
                    .with_context(|| format!("entering as {}", u.username))?;
                if speaker {
                    c.seat_action(id, i as u32 + 1, SeatAction::Take, &SeatActionIn::default())
                        .await
                        .with_context(|| format!("seat {} for {}", i + 1, u.username))?;
                }
                Ok::<_, anyhow::Error>(())
            }
        })
        .buffer_unordered(ctx.setup_concurrency.max(1))
        .try_collect::<Vec<_>>()
        .await?;
    tokio::time::sleep(Duration::from_secs(1)).await;
    // Warm-up (not reported).
    let _ = load
        .step(cluster, 0, a.chat_rate, 2.0, (total - 1) as u64)
        .await;
    let sent: Sent = Arc::default();
    let stop = tokio_util::sync::CancellationToken::new();
    let churner = tokio::spawn(churn(
        owner.clone(),
        room.id,
        a.speakers as u32,
        a.churn_rate,
        load.shared.clone(),
        sent.clone(),
        stop.clone(),
    ));
    let r = load
        .step(cluster, 1, a.chat_rate, a.secs, (total - 1) as u64)
        .await;
    stop.cancel();
    let refused = churner.await.unwrap_or(0);
    eprintln!("{}", r.progress(1));
    let sent = sent.lock().map(|m| m.clone()).unwrap_or_default();
    let mut seat_lat = Latency::new();
    let mut matched: u64 = 0;
    for (v, at) in &r.counters.seat_events {
        if let Some(t) = sent.get(v) {
            seat_lat.record(at.saturating_sub(*t));
            matched += 1;
        }
    }
    let expected = sent.len() as u64 * total as u64;
    let mut o = Outcome::new("room");
    base_params(&mut o, cluster);
    o.param("listeners", a.listeners)
        .param("speakers", a.speakers)
        .param("chat_rate", a.chat_rate)
        .param("churn_rate", a.churn_rate)
        .param("secs", a.secs);
    o.load1 = load1_start;
    fill_from_step(&mut o, &r);
    o.extra("seat_changes", sent.len() as u64)
        .extra(
            "seat_events_ratio",
            format!(
                "{:.4}",
                if expected == 0 {
                    0.0
                } else {
                    matched as f64 / expected as f64
                }
            ),
        )
        .extra(
            "seat_p50",
            format!("{:.2}ms", seat_lat.quantile_ms(0.5).unwrap_or(0.0)),
        )
        .extra(
            "seat_p99",
            format!("{:.2}ms", seat_lat.quantile_ms(0.99).unwrap_or(0.0)),
        );
    if refused > 0 {
        o.notes.push(format!("{refused} seat changes refused"));
    }
    close_notes(&mut o, &load);
    load.stop().await;
    Ok(o)
}
