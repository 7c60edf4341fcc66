//! Structured logs: text for people, JSON (`MCP_LOG_FORMAT=json`) for
//! CloudWatch and log pipelines (the core's subscriber, on stderr).

/// Installs a global subscriber; a second call is a no-op.
pub fn init_logging() {
    mcp_handler_core::logging::install_logging(mcp_handler_core::logging::LogSetup::from_env());
}

/// Installs the subscriber with the OpenTelemetry layer when the
/// environment asks for traces (`OTEL_EXPORTER_OTLP_ENDPOINT`); the
/// exporter, to flush at the end of the drain. Call inside the runtime.
#[cfg(feature = "otel")]
pub(crate) fn init_traced() -> Option<mcp_handler_otel::Otel> {
    use mcp_handler_core::logging::{LogSetup, install_logging_with};
    let otel = match mcp_handler_otel::Otel::from_env() {
        Ok(o) => o,
        Err(e) => {
            eprintln!("warning: {e}; traces are off");
            None
        }
    };
    install_logging_with(LogSetup::from_env(), otel.as_ref().map(mcp_handler_otel::Otel::layer));
    otel
}
