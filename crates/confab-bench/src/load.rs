//! The load loops shared by `fanout` and `direct`: one task per socket reads (acks,
//! deliveries) and, for senders, one paced writer task sends; a step runs every sender at a
//! rate for a while, drains, and harvests the counters.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use confab_client::Client;
use confab_proto::ids::ConversationId;
use confab_proto::messaging::MessageIn;
use futures::{SinkExt, StreamExt};
use tokio::task::JoinHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_util::sync::CancellationToken;

use crate::clients::{Ws, send_frame};
use crate::server::{Cluster, own_cpu, usage};
use crate::stats::{Latency, error_code, find_tag, frame_id, frame_type, seat_version, tag_text};

/// Longest wait after a step for acks and deliveries to arrive.
const DRAIN: Duration = Duration::from_secs(5);

/// State every task sees.
pub struct Shared {
    clock: Instant,
    /// The step messages are tagged with now; deliveries of other steps count as late.
    pub step: AtomicU32,
    /// Each sender's rate in msgs/s × 1000 (0 = pause).
    pub rate_milli: AtomicU64,
    /// Stops every task.
    pub stop: CancellationToken,
    /// Sockets the server closed.
    pub closed: AtomicU64,
    /// Their close codes and reasons (first few).
    pub close_reasons: Mutex<Vec<String>>,
}

impl Shared {
    /// Fresh shared state.
    pub fn new() -> Arc<Self> {
        Arc::new(Self {
            clock: Instant::now(),
            step: AtomicU32::new(0),
            rate_milli: AtomicU64::new(0),
            stop: CancellationToken::new(),
            closed: AtomicU64::new(0),
            close_reasons: Mutex::new(vec![]),
        })
    }

    /// Microseconds on the bench's clock (the timestamps in the payloads).
    pub fn now_us(&self) -> u64 {
        self.clock.elapsed().as_micros() as u64
    }
}

/// Counters of one socket (summed over sockets by [`harvest`]).
#[derive(Default)]
pub struct Counters {
    /// Bench messages of the current step received from another client.
    pub delivered: u64,
    /// Bench messages of an earlier step.
    pub late: u64,
    /// Send→receive latency.
    pub lat: Latency,
    /// When the last delivery arrived (µs).
    pub last_us: u64,
    /// Sends made.
    pub sent: u64,
    /// Sends acknowledged (stored).
    pub acked: u64,
    /// Send→ack latency.
    pub ack_lat: Latency,
    /// Sends refused, by code.
    pub errors: BTreeMap<String, u64>,
    /// Sends not made because the window was full.
    pub skipped: u64,
    /// `room.seats` events received: (seat version, arrival µs).
    pub seat_events: Vec<(u64, u64)>,
}

impl Counters {
    fn add(&mut self, o: &Counters) {
        self.delivered += o.delivered;
        self.late += o.late;
        self.lat.merge(&o.lat);
        self.last_us = self.last_us.max(o.last_us);
        self.sent += o.sent;
        self.acked += o.acked;
        self.ack_lat.merge(&o.ack_lat);
        for (k, v) in &o.errors {
            *self.errors.entry(k.clone()).or_default() += v;
        }
        self.skipped += o.skipped;
        self.seat_events.extend_from_slice(&o.seat_events);
    }
}

/// One socket's counters and its unanswered sends.
#[derive(Default)]
pub struct Slot {
    counters: Mutex<Counters>,
    inflight: AtomicU64,
}

fn lock(m: &Mutex<Counters>) -> std::sync::MutexGuard<'_, Counters> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

/// How a sender sends.
#[derive(Clone)]
pub enum Via {
    /// `send` frames on its socket.
    Ws,
    /// `POST /conversations/{id}/messages` with this signed-in client, to this conversation.
    Http(Client, ConversationId),
}

/// What a sending socket sends to.
#[derive(Clone)]
pub struct SendSpec {
    /// The conversation.
    pub conversation: String,
    /// Makes client ids unique across runs on one server.
    pub nonce: String,
    /// WebSocket or HTTP.
    pub via: Via,
    /// Most unanswered sends; beyond it the sender skips (the server is not keeping up).
    pub window: u64,
}

/// Every socket of a run.
pub struct Load {
    /// Shared state.
    pub shared: Arc<Shared>,
    /// One per socket.
    pub slots: Vec<Arc<Slot>>,
    /// Sending sockets.
    pub senders: usize,
    tasks: Vec<JoinHandle<()>>,
}

impl Load {
    /// Starts the tasks of these sockets; `specs[i]` makes socket `i` a sender.
    pub fn start(sockets: Vec<Ws>, mut specs: Vec<Option<SendSpec>>) -> Load {
        let shared = Shared::new();
        let mut slots = vec![];
        let mut tasks = vec![];
        specs.resize(sockets.len(), None);
        let senders = specs.iter().filter(|s| s.is_some()).count();
        for (i, (ws, spec)) in sockets.into_iter().zip(specs).enumerate() {
            let slot = Arc::new(Slot::default());
            slots.push(slot.clone());
            let idx = i as u32;
            let (sink, stream) = ws.split();
            tasks.push(tokio::spawn(read_loop(
                stream,
                idx,
                shared.clone(),
                slot.clone(),
            )));
            if let Some(spec) = spec {
                tasks.push(tokio::spawn(write_loop(
                    sink,
                    idx,
                    shared.clone(),
                    slot,
                    spec,
                )));
            } else {
                // Keep the sink so the socket stays open; tungstenite answers pings from
                // the reading half.
                let stop = shared.stop.clone();
                tasks.push(tokio::spawn(async move {
                    stop.cancelled().await;
                    let mut sink = sink;
                    let _ = sink.close().await;
                }));
            }
        }
        Load {
            shared,
            slots,
            senders,
            tasks,
        }
    }

    /// Stops every task and closes the sockets.
    pub async fn stop(self) {
        self.shared.stop.cancel();
        for t in self.tasks {
            let _ = tokio::time::timeout(Duration::from_secs(5), t).await;
        }
    }

    fn inflight(&self) -> u64 {
        self.slots
            .iter()
            .map(|s| s.inflight.load(Ordering::Relaxed))
            .sum()
    }

    fn peek(&self) -> (u64, u64) {
        let mut acked = 0;
        let mut delivered = 0;
        for s in &self.slots {
            let c = lock(&s.counters);
            acked += c.acked;
            delivered += c.delivered;
        }
        (acked, delivered)
    }

    /// Sums every socket's counters and resets them.
    pub fn harvest(&self) -> Counters {
        let mut total = Counters::default();
        for s in &self.slots {
            let mut c = lock(&s.counters);
            total.add(&c);
            *c = Counters::default();
        }
        total
    }

    /// Runs one step: every sender at `total_rate / senders` msgs/s for `secs`, then drains
    /// (acks and deliveries, at most 5 s). `per_message` is how many deliveries one stored
    /// message should make.
    pub async fn step(
        &self,
        cluster: &Cluster,
        step: u32,
        total_rate: f64,
        secs: f64,
        per_message: u64,
    ) -> StepResult {
        let _ = self.harvest();
        self.shared.step.store(step, Ordering::SeqCst);
        let per_sender = total_rate / self.senders.max(1) as f64;
        let before = cluster.sample();
        let t0 = self.shared.now_us();
        self.shared
            .rate_milli
            .store((per_sender * 1000.0) as u64, Ordering::SeqCst);
        tokio::time::sleep(Duration::from_secs_f64(secs)).await;
        self.shared.rate_milli.store(0, Ordering::SeqCst);
        let drain_until = Instant::now() + DRAIN;
        while Instant::now() < drain_until {
            let (acked, delivered) = self.peek();
            if self.inflight() == 0 && delivered >= acked * per_message {
                break;
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        let after = cluster.sample();
        let c = self.harvest();
        let (cpu, rss) = usage(&before, &after);
        let bench_cpu = own_cpu(&before, &after);
        let window = ((c.last_us.saturating_sub(t0)) as f64 / 1e6).max(secs);
        let expected = c.acked * per_message;
        StepResult {
            offered_per_s: total_rate,
            sent_per_s: c.acked as f64 / secs,
            delivered_per_s: c.delivered as f64 / window,
            ratio: if expected == 0 {
                0.0
            } else {
                c.delivered as f64 / expected as f64
            },
            closed: self.shared.closed.load(Ordering::SeqCst),
            cpu,
            bench_cpu,
            rss_mib: rss,
            counters: c,
        }
    }
}

/// What one step measured.
pub struct StepResult {
    /// The rate asked for (msgs/s, all senders).
    pub offered_per_s: f64,
    /// Acknowledged sends per second.
    pub sent_per_s: f64,
    /// Deliveries per second (over the time until the last one arrived).
    pub delivered_per_s: f64,
    /// Delivered / expected.
    pub ratio: f64,
    /// Sockets closed by the server so far.
    pub closed: u64,
    /// Server CPU %.
    pub cpu: f64,
    /// The bench's own CPU %.
    pub bench_cpu: f64,
    /// Server RSS MiB.
    pub rss_mib: f64,
    /// The raw counters.
    pub counters: Counters,
}

impl StepResult {
    /// Delivery kept up: ≥ 99 % delivered, p99 ≤ 1 s, the server stored ≥ 97 % of what was
    /// offered, nothing refused, no socket dropped.
    pub fn passed(&self) -> bool {
        let p99 = self.counters.lat.quantile_ms(0.99).unwrap_or(f64::MAX);
        self.ratio >= 0.99
            && p99 <= 1000.0
            && self.sent_per_s >= 0.97 * self.offered_per_s
            && self.counters.errors.is_empty()
            && self.closed == 0
    }

    /// A progress line for stderr.
    pub fn progress(&self, step: u32) -> String {
        let c = &self.counters;
        format!(
            "  step {step}: offered {:.0}/s stored {:.0}/s delivered {:.0}/s ({:.2}%) \
             p50 {:.2}ms p99 {:.2}ms p999 {:.2}ms ack-p99 {:.2}ms cpu {:.0}% bench-cpu {:.0}% rss {:.0}MiB \
             late {} skipped {} errors {:?} closed {} → {}",
            self.offered_per_s,
            self.sent_per_s,
            self.delivered_per_s,
            self.ratio * 100.0,
            c.lat.quantile_ms(0.5).unwrap_or(0.0),
            c.lat.quantile_ms(0.99).unwrap_or(0.0),
            c.lat.quantile_ms(0.999).unwrap_or(0.0),
            c.ack_lat.quantile_ms(0.99).unwrap_or(0.0),
            self.cpu,
            self.bench_cpu,
            self.rss_mib,
            c.late,
            c.skipped,
            c.errors,
            self.closed,
            if self.passed() { "pass" } else { "FAIL" }
        )
    }
}

async fn read_loop(
    mut stream: futures::stream::SplitStream<Ws>,
    idx: u32,
    shared: Arc<Shared>,
    slot: Arc<Slot>,
) {
    loop {
        let msg = tokio::select! {
            _ = shared.stop.cancelled() => return,
            m = stream.next() => m,
        };
        let msg = match msg {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                note_close(&shared, format!("read error: {e}"));
                return;
            }
            None => {
                note_close(&shared, "eof".into());
                return;
            }
        };
        match msg {
            Message::Text(t) => on_frame(t.as_bytes(), idx, &shared, &slot),
            Message::Close(c) => {
                note_close(
                    &shared,
                    c.map_or("close".into(), |f| format!("{} {}", f.code, f.reason)),
                );
                return;
            }
            _ => {}
        }
    }
}

fn note_close(shared: &Shared, why: String) {
    if shared.stop.is_cancelled() {
        return;
    }
    shared.closed.fetch_add(1, Ordering::SeqCst);
    let mut r = shared
        .close_reasons
        .lock()
        .unwrap_or_else(|p| p.into_inner());
    if r.len() < 5 {
        r.push(why);
    }
}

fn on_frame(b: &[u8], idx: u32, shared: &Shared, slot: &Slot) {
    match frame_type(b) {
        Some("message.new") => {
            let Some(tag) = find_tag(b) else { return };
            if tag.sender == idx {
                return; // my own message, pushed to my user's devices
            }
            let now = shared.now_us();
            let mut c = lock(&slot.counters);
            if tag.step == shared.step.load(Ordering::Relaxed) {
                c.delivered += 1;
                c.lat.record(now.saturating_sub(tag.sent_us));
                c.last_us = now;
            } else {
                c.late += 1;
            }
        }
        Some("room.seats") => {
            if let Some(v) = seat_version(b) {
                let now = shared.now_us();
                lock(&slot.counters).seat_events.push((v, now));
            }
        }
        Some("ack") => {
            if let Some(sent) = frame_id(b) {
                let now = shared.now_us();
                slot.inflight.fetch_sub(1, Ordering::Relaxed);
                let mut c = lock(&slot.counters);
                c.acked += 1;
                c.ack_lat.record(now.saturating_sub(sent));
            }
        }
        Some("error") => {
            if frame_id(b).is_some() {
                slot.inflight.fetch_sub(1, Ordering::Relaxed);
            }
            let code = error_code(b).unwrap_or_else(|| "unknown".into());
            *lock(&slot.counters).errors.entry(code).or_default() += 1;
        }
        _ => {}
    }
}

async fn write_loop(
    mut sink: futures::stream::SplitSink<Ws, Message>,
    idx: u32,
    shared: Arc<Shared>,
    slot: Arc<Slot>,
    spec: SendSpec,
) {
    // Sleep until the next send is due (at most 20 ms, to notice rate and step changes): a
    // fixed 1 ms tick would wake 500 slow senders 500,000 times a second, and that CPU is
    // taken from the server on the same cores.
    let mut wake = tokio::time::Instant::now();
    let mut seen: Option<(u32, u64)> = None;
    let mut base = Instant::now();
    let mut sent_in_step: u64 = 0;
    let mut seq: u64 = 0;
    // Senders are spread over each send interval (golden-ratio phases), not synchronised.
    let phase = (f64::from(idx) * 0.618_033_988_75).fract();
    loop {
        tokio::select! {
            _ = shared.stop.cancelled() => break,
            _ = tokio::time::sleep_until(wake) => {}
        }
        let now_t = tokio::time::Instant::now();
        wake = now_t + Duration::from_millis(20);
        let step = shared.step.load(Ordering::Relaxed);
        let rate_milli = shared.rate_milli.load(Ordering::Relaxed);
        if seen != Some((step, rate_milli)) {
            seen = Some((step, rate_milli));
            base = Instant::now();
            sent_in_step = 0;
        }
        if rate_milli == 0 {
            continue;
        }
        let rate = rate_milli as f64 / 1000.0;
        let due = (rate * base.elapsed().as_secs_f64() + phase) as u64;
        let mut fed = 0u64;
        let mut skipped = 0u64;
        while sent_in_step < due && fed < 2_000 {
            if slot.inflight.load(Ordering::Relaxed) >= spec.window {
                skipped = due - sent_in_step;
                sent_in_step = due;
                break;
            }
            let now = shared.now_us();
            let cmid = format!("{}-{idx}-{seq}", spec.nonce);
            let text = tag_text(step, now, idx);
            seq += 1;
            sent_in_step += 1;
            fed += 1;
            slot.inflight.fetch_add(1, Ordering::Relaxed);
            match &spec.via {
                Via::Ws => {
                    if sink
                        .feed(send_frame(&spec.conversation, &cmid, now, &text))
                        .await
                        .is_err()
                    {
                        return;
                    }
                }
                Via::Http(client, conversation) => {
                    let client = client.clone();
                    let conversation = *conversation;
                    let shared = shared.clone();
                    let slot = slot.clone();
                    tokio::spawn(async move {
                        let msg = MessageIn {
                            client_msg_id: cmid,
                            kind: "text".into(),
                            body: serde_json::json!({ "text": text }),
                            reply_to: None,
                            mentions: None,
                        };
                        let r = client.send(conversation, &msg).await;
                        let done = shared.now_us();
                        slot.inflight.fetch_sub(1, Ordering::Relaxed);
                        let mut c = lock(&slot.counters);
                        match r {
                            Ok(_) => {
                                c.acked += 1;
                                c.ack_lat.record(done.saturating_sub(now));
                            }
                            Err(e) => {
                                let code = e.code().unwrap_or("transport").to_owned();
                                *c.errors.entry(code).or_default() += 1;
                            }
                        }
                    });
                }
            }
        }
        let next_due =
            base + Duration::from_secs_f64(((sent_in_step + 1) as f64 - phase).max(0.0) / rate);
        let next_due = tokio::time::Instant::from_std(next_due);
        wake = wake.min(next_due.max(now_t + Duration::from_millis(1)));
        if fed > 0 || skipped > 0 {
            {
                let mut c = lock(&slot.counters);
                c.sent += fed;
                c.skipped += skipped;
            }
            if matches!(spec.via, Via::Ws) && sink.flush().await.is_err() {
                return;
            }
        }
    }
    let _ = sink.close().await;
}
