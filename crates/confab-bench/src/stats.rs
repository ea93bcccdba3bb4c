//! The pure parts: latency histograms and their percentiles, the result line, the rate
//! stepper, and parsing of `/proc` files and of the frames the clients receive. Everything
//! here is unit-tested; nothing here does IO.

use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde_json::{Map, Value, json};

/// Largest latency recorded, in microseconds (larger values are clamped): 120 s.
const MAX_US: u64 = 120_000_000;

/// Send→receive (or send→ack) latencies in microseconds.
#[derive(Clone)]
pub struct Latency {
    h: Histogram<u64>,
}

impl Default for Latency {
    fn default() -> Self {
        Self::new()
    }
}

impl Latency {
    /// An empty histogram (1 µs .. 120 s, 3 significant digits).
    pub fn new() -> Self {
        // Constant bounds that hdrhistogram accepts (low ≥ 1, high ≥ 2·low, 3 digits).
        let h = Histogram::new_with_bounds(1, MAX_US, 3)
            .unwrap_or_else(|e| unreachable!("constant histogram bounds are valid: {e}"));
        Self { h }
    }

    /// Records one sample (µs); 0 counts as 1 µs, anything above 120 s as 120 s.
    pub fn record(&mut self, us: u64) {
        let _ = self.h.record(us.clamp(1, MAX_US));
    }

    /// Adds another histogram's samples.
    pub fn merge(&mut self, other: &Latency) {
        let _ = self.h.add(&other.h);
    }

    /// Number of samples.
    pub fn count(&self) -> u64 {
        self.h.len()
    }

    /// The `q` quantile (0..=1) in milliseconds; `None` without samples.
    pub fn quantile_ms(&self, q: f64) -> Option<f64> {
        (self.count() > 0).then(|| self.h.value_at_quantile(q) as f64 / 1000.0)
    }
}

/// One scenario's result: printed as ONE line (`key=value …`) or as one JSON object.
#[derive(Clone, Debug, Default)]
pub struct Outcome {
    /// `fanout`, `direct`, `idle`, `reconnect`, `login`.
    pub scenario: String,
    /// Parameters, in the order they are printed.
    pub params: Vec<(String, String)>,
    /// Messages acknowledged per second (or the scenario's operations per second).
    pub sent_per_s: f64,
    /// Deliveries (message.new at a receiver) per second.
    pub delivered_per_s: f64,
    /// Deliveries received / deliveries expected (1.0 = every one).
    pub delivered_ratio: f64,
    /// Latency percentiles in ms (send→receive unless the scenario says otherwise).
    pub p50_ms: Option<f64>,
    /// 99th percentile.
    pub p99_ms: Option<f64>,
    /// 99.9th percentile.
    pub p999_ms: Option<f64>,
    /// Server CPU over the measured window, percent of one core (200 = both cores), summed
    /// over the nodes.
    pub server_cpu_pct: f64,
    /// Server resident memory at the end of the window, MiB, summed over the nodes.
    pub server_rss_mib: f64,
    /// Scenario-specific figures, in print order.
    pub extra: Vec<(String, Value)>,
    /// 1-minute load average when the measurement started.
    pub load1: f64,
    /// Caveats (cheap argon2, fallbacks, …).
    pub notes: Vec<String>,
}

fn fmt_ms(v: Option<f64>) -> String {
    match v {
        Some(ms) if ms < 10.0 => format!("{ms:.2}ms"),
        Some(ms) => format!("{ms:.1}ms"),
        None => "-".into(),
    }
}

fn fmt_value(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Number(n) => match n.as_f64() {
            Some(f) if n.is_f64() => format!("{f:.2}"),
            _ => n.to_string(),
        },
        other => other.to_string(),
    }
}

impl Outcome {
    /// A result for `scenario` with no figures yet.
    pub fn new(scenario: &str) -> Self {
        Self {
            scenario: scenario.into(),
            ..Self::default()
        }
    }

    /// Adds a parameter.
    pub fn param(&mut self, k: &str, v: impl ToString) -> &mut Self {
        self.params.push((k.into(), v.to_string()));
        self
    }

    /// Adds a scenario-specific figure.
    pub fn extra(&mut self, k: &str, v: impl Into<Value>) -> &mut Self {
        self.extra.push((k.into(), v.into()));
        self
    }

    /// Sets the three latency percentiles from a histogram.
    pub fn latency(&mut self, l: &Latency) -> &mut Self {
        self.p50_ms = l.quantile_ms(0.5);
        self.p99_ms = l.quantile_ms(0.99);
        self.p999_ms = l.quantile_ms(0.999);
        self
    }

    /// The one-line text form.
    pub fn line(&self) -> String {
        let mut s = format!("scenario={}", self.scenario);
        for (k, v) in &self.params {
            let _ = write!(s, " {k}={v}");
        }
        let _ = write!(
            s,
            " sent/s={:.0} delivered/s={:.0} delivered={:.2}% p50={} p99={} p999={} \
             server_cpu={:.0}% server_rss={:.1}MiB",
            self.sent_per_s,
            self.delivered_per_s,
            self.delivered_ratio * 100.0,
            fmt_ms(self.p50_ms),
            fmt_ms(self.p99_ms),
            fmt_ms(self.p999_ms),
            self.server_cpu_pct,
            self.server_rss_mib,
        );
        for (k, v) in &self.extra {
            let _ = write!(s, " {k}={}", fmt_value(v));
        }
        let _ = write!(s, " load1={:.2}", self.load1);
        if !self.notes.is_empty() {
            let _ = write!(s, " notes=\"{}\"", self.notes.join("; "));
        }
        s
    }

    /// The JSON form (one object).
    pub fn json(&self) -> Value {
        let params: Map<String, Value> = self
            .params
            .iter()
            .map(|(k, v)| (k.clone(), Value::String(v.clone())))
            .collect();
        let extra: Map<String, Value> = self.extra.iter().cloned().collect();
        json!({
            "scenario": self.scenario,
            "params": params,
            "sent_per_s": self.sent_per_s,
            "delivered_per_s": self.delivered_per_s,
            "delivered_ratio": self.delivered_ratio,
            "latency_ms": {"p50": self.p50_ms, "p99": self.p99_ms, "p999": self.p999_ms},
            "server_cpu_pct": self.server_cpu_pct,
            "server_rss_mib": self.server_rss_mib,
            "extra": extra,
            "load1": self.load1,
            "notes": self.notes,
        })
    }
}

/// Finds the highest rate that holds: multiply the rate by `factor` while steps pass, then
/// bisect between the last pass and the first failure `refine` times. Bounded: at most
/// `max_steps` steps in all, and never above `max_rate`.
#[derive(Clone, Debug)]
pub struct Stepper {
    factor: f64,
    max_rate: f64,
    max_steps: u32,
    refine: u32,
    steps: u32,
    current: f64,
    best_pass: Option<f64>,
    first_fail: Option<f64>,
}

impl Stepper {
    /// Starts at `start` msgs/s.
    pub fn new(start: f64, factor: f64, max_rate: f64, max_steps: u32, refine: u32) -> Self {
        Self {
            factor: factor.max(1.01),
            max_rate: max_rate.max(1.0),
            max_steps: max_steps.max(1),
            refine,
            steps: 0,
            current: start.clamp(1.0, max_rate.max(1.0)),
            best_pass: None,
            first_fail: None,
        }
    }

    /// The rate to run next, or `None` when done.
    pub fn next_rate(&self) -> Option<f64> {
        (self.steps < self.max_steps).then_some(self.current)
    }

    /// Reports whether the step at the current rate held; moves to the next rate.
    pub fn report(&mut self, passed: bool) {
        self.steps += 1;
        let rate = self.current;
        if passed {
            self.best_pass = Some(self.best_pass.map_or(rate, |b| b.max(rate)));
        } else {
            self.first_fail = Some(self.first_fail.map_or(rate, |f| f.min(rate)));
        }
        match (self.best_pass, self.first_fail) {
            (_, None) => {
                if rate >= self.max_rate {
                    self.steps = self.max_steps;
                } else {
                    self.current = (rate * self.factor).min(self.max_rate);
                }
            }
            (None, Some(fail)) => {
                // Even the first rate failed: halve, a few times at most.
                if fail <= 2.0 {
                    self.steps = self.max_steps;
                } else {
                    self.current = fail / 2.0;
                }
            }
            (Some(pass), Some(fail)) => {
                if self.refine == 0 || fail / pass < 1.05 {
                    self.steps = self.max_steps;
                } else {
                    self.refine -= 1;
                    self.current = (pass + fail) / 2.0;
                }
            }
        }
    }

    /// The highest rate that passed.
    pub fn best(&self) -> Option<f64> {
        self.best_pass
    }

    /// The lowest rate that failed.
    pub fn first_fail(&self) -> Option<f64> {
        self.first_fail
    }
}

/// CPU use in percent of one core from a tick delta (`/proc/PID/stat` utime+stime).
pub fn cpu_percent(ticks: u64, ticks_per_sec: u64, wall_secs: f64) -> f64 {
    if wall_secs <= 0.0 || ticks_per_sec == 0 {
        return 0.0;
    }
    ticks as f64 / ticks_per_sec as f64 / wall_secs * 100.0
}

/// utime + stime (ticks) from the text of `/proc/PID/stat`. The command name (field 2) may
/// hold spaces and parentheses, so fields are counted after its last `)`.
pub fn parse_stat_ticks(stat: &str) -> Option<u64> {
    let rest = &stat[stat.rfind(')')? + 1..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    // After the name: state is field 3, so utime (14) and stime (15) are at 11 and 12.
    let utime: u64 = fields.get(11)?.parse().ok()?;
    let stime: u64 = fields.get(12)?.parse().ok()?;
    Some(utime + stime)
}

/// `VmRSS` in KiB from the text of `/proc/PID/status`.
pub fn parse_rss_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}

/// The first field of `/proc/loadavg`.
pub fn parse_load1(loadavg: &str) -> Option<f64> {
    loadavg.split_whitespace().next()?.parse().ok()
}

/// The marker every bench message text starts with: `cb|<step>|<sent µs>|<sender>`.
pub const MARK: &[u8] = b"\"cb|";

/// The text a bench message carries.
pub fn tag_text(step: u32, sent_us: u64, sender: u32) -> String {
    format!("cb|{step}|{sent_us}|{sender}")
}

/// A bench tag found in a received frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tag {
    /// The step it was sent in.
    pub step: u32,
    /// When it was sent (µs on the bench's clock).
    pub sent_us: u64,
    /// The sending client's index.
    pub sender: u32,
}

fn num<T: std::str::FromStr>(b: &[u8]) -> Option<T> {
    std::str::from_utf8(b).ok()?.parse().ok()
}

/// Finds the tag in a `message.new` frame without parsing the JSON (the receivers must keep
/// up with hundreds of thousands of frames per second on the same cores as the server).
pub fn find_tag(frame: &[u8]) -> Option<Tag> {
    let at = memchr::memmem::find(frame, MARK)? + MARK.len();
    let rest = &frame[at..];
    let end = memchr::memchr(b'"', rest)?;
    let mut parts = rest[..end].split(|&c| c == b'|');
    let step = num(parts.next()?)?;
    let sent_us = num(parts.next()?)?;
    let sender = num(parts.next()?)?;
    Some(Tag {
        step,
        sent_us,
        sender,
    })
}

/// The seat `version` of a `room.seats` frame, without parsing the JSON.
pub fn seat_version(frame: &[u8]) -> Option<u64> {
    const P: &[u8] = b"\"version\":";
    let at = memchr::memmem::find(frame, P)? + P.len();
    let rest = &frame[at..];
    let end = rest.iter().position(|c| !c.is_ascii_digit())?;
    num(&rest[..end])
}

/// What kind of server frame this is, from its leading bytes (`{"type":"ack"…`).
pub fn frame_type(frame: &[u8]) -> Option<&str> {
    const P: &[u8] = b"{\"type\":\"";
    let rest = frame.strip_prefix(P)?;
    let end = memchr::memchr(b'"', rest)?;
    std::str::from_utf8(&rest[..end]).ok()
}

/// The `id` of an `ack`/`error` frame (the bench puts the send time in µs there). The server
/// writes the frame's `id` after its `data` (which has ids of its own), so the last one wins.
pub fn frame_id(frame: &[u8]) -> Option<u64> {
    const P: &[u8] = b"\"id\":\"";
    let at = memchr::memmem::rfind(frame, P)? + P.len();
    let rest = &frame[at..];
    let end = memchr::memchr(b'"', rest)?;
    num(&rest[..end])
}

/// The `code` of an `error` frame.
pub fn error_code(frame: &[u8]) -> Option<String> {
    const P: &[u8] = b"\"code\":\"";
    let at = memchr::memmem::find(frame, P)? + P.len();
    let rest = &frame[at..];
    let end = memchr::memchr(b'"', rest)?;
    std::str::from_utf8(&rest[..end]).ok().map(str::to_owned)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_come_from_the_samples() {
        let mut l = Latency::new();
        assert_eq!(l.quantile_ms(0.5), None);
        for us in 1..=1000u64 {
            l.record(us * 1000); // 1 ms .. 1000 ms
        }
        let p50 = l.quantile_ms(0.5).unwrap_or_default();
        let p99 = l.quantile_ms(0.99).unwrap_or_default();
        let p999 = l.quantile_ms(0.999).unwrap_or_default();
        assert!((p50 - 500.0).abs() < 1.0, "{p50}");
        assert!((p99 - 990.0).abs() < 1.5, "{p99}");
        assert!((p999 - 999.0).abs() < 1.5, "{p999}");
        let mut other = Latency::new();
        other.record(5_000_000_000); // clamped to 120 s
        l.merge(&other);
        assert_eq!(l.count(), 1001);
        assert!(l.quantile_ms(1.0).unwrap_or_default() >= 119_000.0);
    }

    #[test]
    fn the_stepper_climbs_then_bisects() {
        let mut s = Stepper::new(1000.0, 2.0, 100_000.0, 10, 2);
        // Capacity 5000: passes at 1000, 2000, 4000; fails at 8000; bisects 6000 (fail),
        // 5000 (pass); then stops.
        let mut seen = vec![];
        while let Some(r) = s.next_rate() {
            seen.push(r);
            s.report(r <= 5000.0);
        }
        assert_eq!(seen, vec![1000.0, 2000.0, 4000.0, 8000.0, 6000.0, 5000.0]);
        assert_eq!(s.best(), Some(5000.0));
        assert_eq!(s.first_fail(), Some(6000.0));
    }

    #[test]
    fn the_stepper_is_bounded_by_steps_and_max_rate() {
        let mut s = Stepper::new(1000.0, 2.0, 3000.0, 10, 2);
        let mut seen = vec![];
        while let Some(r) = s.next_rate() {
            seen.push(r);
            s.report(true);
        }
        assert_eq!(seen, vec![1000.0, 2000.0, 3000.0]);
        let mut s = Stepper::new(1000.0, 2.0, 1e9, 3, 2);
        let mut n = 0;
        while s.next_rate().is_some() {
            n += 1;
            s.report(true);
        }
        assert_eq!(n, 3);
        // A single fixed step: max_steps 1.
        let mut s = Stepper::new(700.0, 2.0, 1e9, 1, 0);
        assert_eq!(s.next_rate(), Some(700.0));
        s.report(false);
        assert_eq!(s.next_rate(), None);
        assert_eq!(s.best(), None);
    }

    #[test]
    fn the_stepper_halves_when_the_start_fails() {
        let mut s = Stepper::new(8000.0, 2.0, 1e9, 10, 1);
        let mut seen = vec![];
        while let Some(r) = s.next_rate() {
            seen.push(r);
            s.report(r <= 2500.0);
        }
        // 8000 fail, 4000 fail, 2000 pass, then one bisection at 3000 (fail).
        assert_eq!(seen, vec![8000.0, 4000.0, 2000.0, 3000.0]);
        assert_eq!(s.best(), Some(2000.0));
    }

    #[test]
    fn cpu_and_proc_parsing() {
        assert!((cpu_percent(150, 100, 1.0) - 150.0).abs() < 1e-9);
        assert_eq!(cpu_percent(150, 100, 0.0), 0.0);
        let stat = "4242 (confab (x) y) S 1 4242 4242 0 -1 4194304 100 0 0 0 \
                    1234 567 0 0 20 0 9 0 100 1000000 2500 rest";
        assert_eq!(parse_stat_ticks(stat), Some(1234 + 567));
        let status = "Name:\tconfab\nVmPeak:\t  900 kB\nVmRSS:\t   51234 kB\nThreads:\t9\n";
        assert_eq!(parse_rss_kib(status), Some(51234));
        assert_eq!(parse_rss_kib("Name: x\n"), None);
        assert_eq!(parse_load1("1.52 0.80 0.33 2/300 999\n"), Some(1.52));
    }

    #[test]
    fn tags_and_frames_are_found_without_json_parsing() {
        let text = tag_text(3, 123_456, 17);
        let frame = format!(
            r#"{{"type":"message.new","data":{{"id":"1","seq":4,"body":{{"text":"{text}"}}}}}}"#
        );
        assert_eq!(
            find_tag(frame.as_bytes()),
            Some(Tag {
                step: 3,
                sent_us: 123_456,
                sender: 17
            })
        );
        assert_eq!(frame_type(frame.as_bytes()), Some("message.new"));
        assert_eq!(
            find_tag(br#"{"type":"message.new","data":{"text":"hello"}}"#),
            None
        );
        assert_eq!(find_tag(br#"{"text":"cb|x|1|2"}"#), None);
        let ack = br#"{"type":"ack","id":"98765","data":{"result":{"seq":1}}}"#;
        assert_eq!(frame_type(ack), Some("ack"));
        assert_eq!(frame_id(ack), Some(98765));
        // The server's order: data first, with the message's own id inside.
        let ack =
            br#"{"type":"ack","data":{"result":{"id":"7260000000000000301","seq":1}},"id":"42"}"#;
        assert_eq!(frame_id(ack), Some(42));
        let err = br#"{"type":"error","id":"5","data":{"code":"rate_limited","message":"x"}}"#;
        assert_eq!(error_code(err).as_deref(), Some("rate_limited"));
        assert_eq!(frame_type(b"[1,2]"), None);
    }

    #[test]
    fn the_line_has_every_field_once() {
        let mut o = Outcome::new("fanout");
        o.param("members", 100).param("backend", "sqlite");
        o.sent_per_s = 2000.0;
        o.delivered_per_s = 198_000.0;
        o.delivered_ratio = 0.999;
        o.p50_ms = Some(1.234);
        o.p99_ms = Some(12.5);
        o.extra("rss_per_conn_kib", 9.5);
        o.notes.push("cheap argon2".into());
        let line = o.line();
        assert!(line.starts_with("scenario=fanout members=100 backend=sqlite sent/s=2000 "));
        assert!(line.contains("delivered=99.90% p50=1.23ms p99=12.5ms p999=-"));
        assert!(line.contains("rss_per_conn_kib=9.50"));
        assert!(line.ends_with("notes=\"cheap argon2\""));
        assert!(!line.contains('\n'));
        let j = o.json();
        assert_eq!(j["params"]["members"], "100");
        assert_eq!(j["latency_ms"]["p999"], Value::Null);
    }
}
