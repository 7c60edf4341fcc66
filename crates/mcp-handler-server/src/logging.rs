//! Structured logs: text for people, JSON (`MCP_LOG_FORMAT=json`) for
//! CloudWatch and log pipelines (the core's subscriber, on stderr).

/// Installs a global subscriber; a second call is a no-op.
pub fn init_logging() {
    mcp_handler_core::logging::install_logging(mcp_handler_core::logging::LogSetup::from_env());
}
