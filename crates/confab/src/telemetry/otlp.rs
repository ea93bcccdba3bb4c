//! OpenTelemetry traces over OTLP/HTTP (protobuf): the tracer provider and the HTTP client
//! its exporter uses.
//!
//! The SDK's batch processor exports from a thread of its own and drives the export future
//! with a plain executor, outside tokio. [`OtlpClient`] therefore hands each request to the
//! node's tokio runtime (the one reqwest needs) and waits for the answer, so the exporter
//! shares the server's HTTP client stack instead of pulling a second one.

use std::time::Duration;

use bytes::Bytes;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_http::{HttpClient, HttpError, Request, Response};
use opentelemetry_otlp::{Protocol, WithExportConfig, WithHttpConfig};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::{
    BatchConfigBuilder, BatchSpanProcessor, Sampler, SdkTracerProvider,
};
use tokio::runtime::Handle;

use crate::config::TelemetryConfig;

/// Longest wait for one export request.
const EXPORT_TIMEOUT: Duration = Duration::from_secs(10);

/// reqwest on the node's runtime, for the exporter's thread.
#[derive(Debug)]
struct OtlpClient {
    client: reqwest::Client,
    runtime: Handle,
}

#[async_trait::async_trait]
impl HttpClient for OtlpClient {
    async fn send_bytes(&self, request: Request<Bytes>) -> Result<Response<Bytes>, HttpError> {
        let request = reqwest::Request::try_from(request)?;
        let client = self.client.clone();
        let answer = self.runtime.spawn(async move {
            let resp = client.execute(request).await?;
            let status = resp.status();
            let body = resp.bytes().await?;
            Ok::<_, reqwest::Error>((status, body))
        });
        let (status, body) = answer.await??;
        let mut resp = Response::new(body);
        *resp.status_mut() = status;
        Ok(resp)
    }
}

/// The tracer provider exporting to `cfg.otlp_endpoint`, sampling `cfg.sample_ratio` of
/// new traces (a trace continued from another node keeps that node's decision).
pub fn provider(cfg: &TelemetryConfig, runtime: Handle) -> Result<SdkTracerProvider, String> {
    let client = reqwest::Client::builder()
        .timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| format!("OTLP client: {e}"))?;
    let endpoint = format!("{}/v1/traces", cfg.otlp_endpoint.trim_end_matches('/'));
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_http_client(OtlpClient { client, runtime })
        .with_protocol(Protocol::HttpBinary)
        .with_endpoint(endpoint)
        .with_timeout(EXPORT_TIMEOUT)
        .build()
        .map_err(|e| format!("OTLP exporter: {e}"))?;
    let batch = BatchConfigBuilder::default()
        .with_scheduled_delay(Duration::from_millis(cfg.export_interval_ms))
        .build();
    let processor = BatchSpanProcessor::builder(exporter)
        .with_batch_config(batch)
        .build();
    Ok(SdkTracerProvider::builder()
        .with_span_processor(processor)
        .with_sampler(Sampler::ParentBased(Box::new(Sampler::TraceIdRatioBased(
            cfg.sample_ratio,
        ))))
        .with_resource(
            Resource::builder()
                .with_service_name(cfg.service_name.clone())
                .build(),
        )
        .build())
}

/// The tracer Confab's spans are recorded with.
pub fn tracer(provider: &SdkTracerProvider) -> opentelemetry_sdk::trace::Tracer {
    provider.tracer("confab")
}
