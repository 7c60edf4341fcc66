//! Logs go to stderr, always: stdout carries only JSON-RPC messages.

/// Installs a global subscriber writing to stderr (text, or JSON with
/// `MCP_LOG_FORMAT=json`; filter from `RUST_LOG`, default `info`), with
/// colours only when stderr is a terminal: a desktop host captures it into
/// a log file, where escape codes are noise. A second call is a no-op.
pub fn init_logging() {
    mcp_handler_core::logging::install_logging(mcp_handler_core::logging::LogSetup::from_env());
}
