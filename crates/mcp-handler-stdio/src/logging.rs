//! Logs go to stderr, always: stdout carries only JSON-RPC messages.

use std::io::IsTerminal as _;

use tracing_subscriber::EnvFilter;

/// Installs a global subscriber writing to stderr (text, or JSON with
/// `MCP_LOG_FORMAT=json`; level from `RUST_LOG`, default `info`), with
/// colours only when stderr is a terminal: a desktop host captures it into
/// a log file, where escape codes are noise. A second call is a no-op.
pub fn init_logging() {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let json = std::env::var("MCP_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json"));
    let builder = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(std::io::stderr)
        .with_ansi(std::io::stderr().is_terminal());
    let _ = if json {
        builder.json().flatten_event(true).with_current_span(false).try_init()
    } else {
        builder.with_target(false).try_init()
    };
}
