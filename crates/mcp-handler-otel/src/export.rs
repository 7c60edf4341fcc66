//! The exporter: OTLP over HTTP/protobuf, a batch span processor on the
//! tokio runtime, set up from the standard `OTEL_*` variables.

use std::time::Duration;

use mcp_handler_core::logging::ExtraLayer;
use mcp_handler_core::trace::TARGET;
use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::{Protocol, WithExportConfig as _};
use opentelemetry_sdk::Resource;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::trace::span_processor_with_async_runtime::BatchSpanProcessor;
use tracing_subscriber::Layer as _;
use tracing_subscriber::filter::Targets;

/// The exporter could not be built (an unreadable endpoint, no runtime).
#[derive(Debug, thiserror::Error)]
#[error("OpenTelemetry traces: {0}")]
pub struct SetupError(String);

/// Whether the environment asks for traces: an OTLP endpoint is set, and
/// neither `OTEL_SDK_DISABLED=true` nor an `OTEL_TRACES_EXPORTER` other
/// than `otlp` turns them off.
pub fn wanted() -> bool {
    let var = |name: &str| std::env::var(name).ok().map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    if var("OTEL_SDK_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return false;
    }
    if var("OTEL_TRACES_EXPORTER").is_some_and(|v| !v.eq_ignore_ascii_case("otlp")) {
        return false;
    }
    var("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT").is_some() || var("OTEL_EXPORTER_OTLP_ENDPOINT").is_some()
}

/// The tracer provider of a process that exports traces.
#[derive(Debug, Clone)]
pub struct Otel {
    provider: SdkTracerProvider,
}

impl Otel {
    /// The exporter the environment asks for (see [`wanted`]), or `None`.
    /// Must be called inside the tokio runtime that will serve requests:
    /// the batch processor and the HTTP client run on it.
    pub fn from_env() -> Result<Option<Self>, SetupError> {
        if !wanted() {
            return Ok(None);
        }
        Self::build(None).map(Some)
    }

    /// An exporter to `url` (the full OTLP/HTTP traces URL, `.../v1/traces`),
    /// the other `OTEL_*` variables read as usual: for tests and programs
    /// that configure the endpoint themselves.
    pub fn to_endpoint(url: &str) -> Result<Self, SetupError> {
        Self::build(Some(url))
    }

    fn build(url: Option<&str>) -> Result<Self, SetupError> {
        if tokio::runtime::Handle::try_current().is_err() {
            return Err(SetupError("no tokio runtime to export on".into()));
        }
        // Endpoint, headers and timeout from OTEL_EXPORTER_OTLP_*; the
        // client is hyper's, already in the binary.
        let mut exporter = opentelemetry_otlp::SpanExporter::builder().with_http().with_protocol(Protocol::HttpBinary);
        if let Some(url) = url {
            exporter = exporter.with_endpoint(url);
        }
        let exporter = exporter.build().map_err(|e| SetupError(e.to_string()))?;
        let processor = BatchSpanProcessor::builder(exporter, opentelemetry_sdk::runtime::Tokio).build();
        // OTEL_SERVICE_NAME and OTEL_RESOURCE_ATTRIBUTES are read here;
        // OTEL_TRACES_SAMPLER(_ARG) by the provider's default config.
        let mut resource = Resource::builder();
        let named = std::env::var_os("OTEL_SERVICE_NAME").is_some()
            || std::env::var("OTEL_RESOURCE_ATTRIBUTES").is_ok_and(|a| a.contains("service.name="));
        if !named && let Some(name) = program_name() {
            resource = resource.with_service_name(name);
        }
        let provider =
            SdkTracerProvider::builder().with_span_processor(processor).with_resource(resource.build()).build();
        Ok(Self { provider })
    }

    /// The layer that turns the request and handler spans
    /// ([`TARGET`]) into OpenTelemetry spans, for
    /// `install_logging_with`. Context activation is off: a span starts
    /// when its first child does or when it closes, so that the core can
    /// still give the request span its `_meta` parent.
    pub fn layer(&self) -> ExtraLayer {
        let tracer = self.provider.tracer("mcp-handler");
        tracing_opentelemetry::layer()
            .with_tracer(tracer)
            .with_context_activation(false)
            .with_tracked_inactivity(false)
            .with_filter(Targets::new().with_target(TARGET, tracing::Level::INFO))
            .boxed()
    }

    /// Exports the finished spans, waiting at most `bound` (a Lambda
    /// sandbox is frozen once the response is returned, so it flushes
    /// after each invocation; a server at the end of its drain).
    pub async fn flush(&self, bound: Duration) {
        let provider = self.provider.clone();
        // The SDK's flush blocks its thread until the batch task answers.
        let flush = tokio::task::spawn_blocking(move || provider.force_flush());
        match tokio::time::timeout(bound, flush).await {
            Ok(Ok(Ok(()))) => {}
            Ok(Ok(Err(e))) => tracing::debug!(error = %e, "trace export failed"),
            Ok(Err(_)) | Err(_) => tracing::debug!(bound = ?bound, "trace export did not finish in time"),
        }
    }

    /// Flushes and stops the exporter (at the end of a server's drain).
    pub async fn shutdown(self, bound: Duration) {
        let provider = self.provider;
        let stop = tokio::task::spawn_blocking(move || provider.shutdown_with_timeout(bound));
        if tokio::time::timeout(bound + Duration::from_millis(100), stop).await.is_err() {
            tracing::debug!(bound = ?bound, "trace exporter did not stop in time");
        }
    }
}

/// The executable's name, the service's name when none is configured
/// (rather than the SDK's `unknown_service`).
fn program_name() -> Option<String> {
    let exe = std::env::args_os().next()?;
    let name = std::path::Path::new(&exe).file_stem()?.to_str()?.to_owned();
    (!name.is_empty()).then_some(name)
}
