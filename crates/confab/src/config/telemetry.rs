//! `[log]` and `[telemetry]`: where log lines go, and traces and message trails.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};

/// `[log]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LogConfig {
    /// `pretty` (for people) or `json` (for log collectors).
    pub format: LogFormat,
    /// A tracing filter, e.g. `info` or `info,confab=debug`. `RUST_LOG` overrides it.
    pub level: String,
    /// Where `confab serve` writes: `stdout`, `stderr` or `file`. (The CLI's other commands
    /// log to standard error, so their output stays clean.)
    pub output: LogOutput,
    /// For `output = "file"`: the directory (relative paths are under the working directory).
    pub dir: PathBuf,
    /// For `output = "file"`: the current file's name; rotated files get a suffix.
    pub file_name: String,
    /// For `output = "file"`: `daily`, `hourly` or `size` (at `max_file_bytes`).
    pub rotation: LogRotation,
    /// For `rotation = "size"`: the size at which the file is rotated.
    pub max_file_bytes: u64,
    /// Rotated files kept (older ones are deleted).
    pub keep_files: usize,
}

impl Default for LogConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Pretty,
            level: "info,sqlx=warn,sea_orm=warn,sea_orm_migration=warn".into(),
            output: LogOutput::Stdout,
            dir: PathBuf::from("logs"),
            file_name: "confab.log".into(),
            rotation: LogRotation::Daily,
            max_file_bytes: 100 * 1024 * 1024,
            keep_files: 14,
        }
    }
}

/// Log line format.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogFormat {
    /// Human-readable.
    #[default]
    Pretty,
    /// One JSON object per line.
    Json,
}

/// Where log lines go.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogOutput {
    /// Standard output (containers, systemd's journal).
    #[default]
    Stdout,
    /// Standard error.
    Stderr,
    /// Rotating files under `log.dir`.
    File,
}

/// When a log file is rotated.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LogRotation {
    /// At midnight UTC.
    #[default]
    Daily,
    /// Every hour.
    Hourly,
    /// When the file reaches `log.max_file_bytes`.
    Size,
}

/// `[telemetry]`
#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// An OTLP/HTTP collector's base URL (Jaeger, the OpenTelemetry Collector…), e.g.
    /// `http://127.0.0.1:4318`; spans go to `{endpoint}/v1/traces` as protobuf. Empty: no
    /// traces.
    pub otlp_endpoint: String,
    /// The `service.name` every span carries.
    pub service_name: String,
    /// The share of traces kept, 0.0..=1.0, decided where a trace starts (an HTTP request or
    /// a socket command) and followed by every span and node after it.
    pub sample_ratio: f64,
    /// Milliseconds between two exports of finished spans.
    pub export_interval_ms: u64,
    /// Seconds a message's trail (`GET /api/v1/admin/messages/{id}/trail`: committed,
    /// published, pushed to how many sockets on which node) is kept. 0: no trails.
    pub trail_secs: u64,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            otlp_endpoint: String::new(),
            service_name: "confab".into(),
            sample_ratio: 1.0,
            export_interval_ms: 2000,
            trail_secs: 600,
        }
    }
}
