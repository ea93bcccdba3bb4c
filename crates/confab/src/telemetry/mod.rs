//! Logging, traces and metrics set-up.
//!
//! All three are process-wide by nature (the `tracing` subscriber and the `metrics` recorder
//! are global in their crates), so they are installed once per process; several
//! `Application`s in one test process share them.
//!
//! - Log lines go to standard output (or error, or rotating files), pretty or JSON. Every
//!   line written inside a request or a socket carries that span's fields: the request id
//!   and, once authenticated, the user id.
//! - With `telemetry.otlp_endpoint` set, spans are exported over OTLP/HTTP ([`otlp`]): the
//!   request spans (target `confab::http`) and the message pipeline's spans (target
//!   [`TRACE_TARGET`], level TRACE, so the log never shows them). Without it those spans are
//!   disabled at their call sites and cost nothing.

mod otlp;
pub mod trace;

use std::sync::OnceLock;

use metrics_exporter_prometheus::{Matcher, PrometheusBuilder, PrometheusHandle};
use opentelemetry_sdk::trace::SdkTracerProvider;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::layer::SubscriberExt as _;
use tracing_subscriber::util::SubscriberInitExt as _;
use tracing_subscriber::{EnvFilter, Layer as _};

use crate::config::{LogConfig, LogFormat, LogOutput, LogRotation, TelemetryConfig};

/// The target of the message pipeline's spans (send, commit, publish, push).
pub const TRACE_TARGET: &str = "confab::trace";

/// Keeps the log writer and the span exporter alive; dropping it flushes both.
#[derive(Default)]
pub struct Guard {
    _writer: Option<tracing_appender::non_blocking::WorkerGuard>,
    provider: Option<SdkTracerProvider>,
}

impl Drop for Guard {
    fn drop(&mut self) {
        if let Some(p) = self.provider.take() {
            let _ = p.shutdown();
        }
    }
}

/// Where the log goes for this process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sink {
    /// As configured (`confab serve`).
    Configured,
    /// Standard error whatever the config says (the CLI's other commands).
    Stderr,
}

/// Installs the log subscriber (JSON or pretty, filtered by config or `RUST_LOG`) and, when
/// `telemetry.otlp_endpoint` is set, the span exporter on `runtime`. Later calls in the same
/// process install nothing. Fails when the log directory cannot be written or the exporter
/// cannot be built.
pub fn init(
    log: &LogConfig,
    telemetry: &TelemetryConfig,
    sink: Sink,
    runtime: Option<tokio::runtime::Handle>,
) -> Result<Guard, String> {
    let filter = EnvFilter::try_from_default_env()
        .or_else(|_| EnvFilter::try_new(&log.level))
        .unwrap_or_else(|_| EnvFilter::new("info"));
    let output = if sink == Sink::Stderr {
        LogOutput::Stderr
    } else {
        log.output
    };
    // Lines are written by a thread of their own; a full buffer makes the logger wait
    // rather than drop lines (as writing directly would).
    let builder = || tracing_appender::non_blocking::NonBlockingBuilder::default().lossy(false);
    let (writer, writer_guard) = match output {
        LogOutput::Stdout => builder().finish(std::io::stdout()),
        LogOutput::Stderr => builder().finish(std::io::stderr()),
        LogOutput::File => builder().finish(rotating_file(log)?),
    };
    let fmt = tracing_subscriber::fmt::layer().with_writer(writer);
    let fmt = match log.format {
        LogFormat::Json => fmt
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(true)
            .with_filter(filter)
            .boxed(),
        LogFormat::Pretty => fmt.compact().with_filter(filter).boxed(),
    };
    let mut guard = Guard {
        _writer: Some(writer_guard),
        provider: None,
    };
    let otel = match (telemetry.otlp_endpoint.is_empty(), runtime) {
        (false, Some(rt)) => {
            let provider = otlp::provider(telemetry, rt)?;
            let layer = tracing_opentelemetry::layer()
                .with_tracer(otlp::tracer(&provider))
                .with_filter(
                    Targets::new()
                        .with_target("confab::http", tracing::Level::INFO)
                        .with_target(TRACE_TARGET, tracing::Level::TRACE),
                );
            guard.provider = Some(provider);
            Some(layer)
        }
        _ => None,
    };
    let traced = otel.is_some();
    if tracing_subscriber::registry()
        .with(fmt)
        .with(otel)
        .try_init()
        .is_ok()
        && traced
    {
        trace::enable();
    }
    Ok(guard)
}

/// Installs logging only, to standard error (tests and tools).
pub fn init_logging(cfg: &LogConfig) {
    let _ = init(cfg, &TelemetryConfig::default(), Sink::Stderr, None).map(std::mem::forget);
}

/// `log.dir/log.file_name`, rotated daily, hourly or by size, `log.keep_files` kept.
fn rotating_file(
    log: &LogConfig,
) -> Result<file_rotate::FileRotate<file_rotate::suffix::AppendTimestamp>, String> {
    use file_rotate::suffix::{AppendTimestamp, FileLimit};
    use file_rotate::{ContentLimit, FileRotate, TimeFrequency, compression::Compression};

    let dir = std::path::absolute(&log.dir).map_err(|e| format!("log.dir: {e}"))?;
    std::fs::create_dir_all(&dir).map_err(|e| format!("log.dir {}: {e}", dir.display()))?;
    let path = dir.join(&log.file_name);
    // Fail at start-up, not on the first line, when the file cannot be written.
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| format!("log file {}: {e}", path.display()))?;
    let limit = match log.rotation {
        LogRotation::Daily => ContentLimit::Time(TimeFrequency::Daily),
        LogRotation::Hourly => ContentLimit::Time(TimeFrequency::Hourly),
        LogRotation::Size => {
            ContentLimit::BytesSurpassed(usize::try_from(log.max_file_bytes).unwrap_or(usize::MAX))
        }
    };
    Ok(FileRotate::new(
        &path,
        AppendTimestamp::default(FileLimit::MaxFiles(log.keep_files)),
        limit,
        Compression::None,
        None,
    ))
}

/// The process's Prometheus handle, installing the recorder the first time.
pub fn metrics_handle() -> PrometheusHandle {
    static HANDLE: OnceLock<PrometheusHandle> = OnceLock::new();
    HANDLE
        .get_or_init(|| {
            let builder = PrometheusBuilder::new()
                .set_buckets_for_metric(
                    Matcher::Suffix("_seconds".into()),
                    &[
                        0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5,
                        5.0, 10.0,
                    ],
                )
                .unwrap_or_else(|_| PrometheusBuilder::new());
            match builder.install_recorder() {
                Ok(handle) => handle,
                // Another recorder is installed (an embedding program's): keep ours private.
                Err(_) => PrometheusBuilder::new().build_recorder().handle(),
            }
        })
        .clone()
}
