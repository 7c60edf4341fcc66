//! The log subscriber every shell installs, written once: one filter
//! syntax, text or JSON, colours only on a terminal, always on stderr (a
//! stdio server's stdout carries JSON-RPC; on Lambda both streams reach
//! CloudWatch). A server batches the lines while it serves
//! ([`LineBatch`]: one `write` per burst, each line out within [`LINGER`]).
//!
//! The filter is `tracing-subscriber`'s `Targets` (`info`,
//! `mcp_handler=debug,hyper=warn`, ...), not `EnvFilter`: span-field
//! directives are not supported, and in exchange the binary carries no
//! regex engine (~640 KiB of code, which is resident memory and Lambda
//! init time).

use std::io::IsTerminal as _;

use tracing::Level;
use tracing::level_filters::LevelFilter;
use tracing_subscriber::filter::Targets;
use tracing_subscriber::prelude::*;

use crate::log_direct::Direct;
use crate::log_format::{CachedTime, PlainFields};
use crate::log_lines::StderrLines;
pub use crate::log_lines::{LINGER, LineBatch};

/// How a shell logs.
#[derive(Debug, Clone)]
pub struct LogSetup {
    /// The filter (`RUST_LOG` syntax, targets and levels); `None` or an
    /// unreadable one means `info`.
    pub filter: Option<String>,
    /// One JSON object per line instead of text.
    pub json: bool,
    /// Timestamps on text lines (off where the platform adds its own).
    pub timestamps: bool,
    /// The tool-call audit events ([`audit`](crate::audit), `MCP_AUDIT`):
    /// on adds its target at `info` whatever the level, off drops it,
    /// unless the filter names the target itself.
    pub audit: bool,
}

impl LogSetup {
    /// A server's or a local process's logs: `RUST_LOG`, `MCP_LOG_FORMAT`,
    /// timestamps.
    pub fn from_env() -> Self {
        Self {
            filter: std::env::var("RUST_LOG").ok(),
            json: std::env::var("MCP_LOG_FORMAT").is_ok_and(|v| v.eq_ignore_ascii_case("json")),
            timestamps: true,
            audit: audit_from_env(),
        }
    }
}

/// `MCP_AUDIT`: `on` turns the tool-call audit events on; anything else
/// leaves them off (a value other than `off` is reported once logging is
/// installed).
pub fn audit_from_env() -> bool {
    std::env::var("MCP_AUDIT").is_ok_and(|v| v.trim().eq_ignore_ascii_case("on"))
}

/// The audit switch applied to `filter` read from `spec`.
fn with_audit(filter: Targets, spec: Option<&str>, audit: bool) -> Targets {
    if spec.is_some_and(|s| s.contains(crate::audit::TARGET)) {
        return filter;
    }
    let level = if audit { LevelFilter::INFO } else { LevelFilter::OFF };
    filter.with_target(crate::audit::TARGET, level)
}

/// The filter for `spec`: `info` when absent or unreadable. Lambda's level
/// names (`FATAL` included) are accepted.
pub fn parse_filter(spec: Option<&str>) -> Targets {
    let default = Targets::new().with_default(Level::INFO);
    match spec.map(str::trim) {
        None | Some("") => default,
        Some(s) if s.eq_ignore_ascii_case("fatal") => Targets::new().with_default(Level::ERROR),
        Some(s) if s.split(',').all(is_directive) => s.parse().unwrap_or(default),
        Some(_) => default,
    }
}

/// `level`, `target`, or `target=level`, with a Rust path as the target:
/// anything else (a typo, an `EnvFilter` span directive) makes the whole
/// filter unreadable, rather than silently turning most logs off.
fn is_directive(d: &str) -> bool {
    let is_level = |l: &str| l.trim().parse::<tracing::level_filters::LevelFilter>().is_ok();
    let is_target = |t: &str| {
        let t = t.trim();
        !t.is_empty() && t.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | ':' | '-'))
    };
    match d.split_once('=') {
        Some((target, level)) => is_target(target) && is_level(level),
        None => is_level(d) || is_target(d),
    }
}

/// A layer an exporter adds beside the log lines (`mcp-handler-otel`'s
/// OpenTelemetry layer), with its own filter.
pub type ExtraLayer = Box<dyn tracing_subscriber::Layer<tracing_subscriber::Registry> + Send + Sync>;

/// Installs the global subscriber; `false` when one was already installed.
pub fn install_logging(setup: LogSetup) -> bool {
    install_logging_with(setup, None)
}

/// [`install_logging`], plus `extra` when given. Log lines never show the
/// trace spans ([`crate::trace::TARGET`] is off for them). Without `extra`
/// the filter is global, so the trace target's callsites are disabled once
/// and for all; with it, each layer has its own filter.
pub fn install_logging_with(setup: LogSetup, extra: Option<ExtraLayer>) -> bool {
    let filter = with_audit(parse_filter(setup.filter.as_deref()), setup.filter.as_deref(), setup.audit)
        .with_target(crate::trace::TARGET, LevelFilter::OFF);
    let ansi = std::io::stderr().is_terminal();
    let installed = match extra {
        None => {
            // Lines without colours are the ones a caller may write
            // itself (`log_direct`).
            let direct = match (ansi, setup.json) {
                (true, _) => None,
                (false, true) => Some(Direct::Json),
                (false, false) => Some(Direct::Text { timestamps: setup.timestamps }),
            };
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(ansi)
                .with_writer(StderrLines { direct })
                .with_timer(CachedTime);
            let registry = tracing_subscriber::registry().with(filter);
            match (setup.json, setup.timestamps) {
                (true, _) => registry.with(layer.json().flatten_event(true).with_current_span(false)).try_init(),
                (false, true) => registry.with(layer.with_target(false).fmt_fields(PlainFields)).try_init(),
                (false, false) => {
                    registry.with(layer.with_target(false).without_time().fmt_fields(PlainFields)).try_init()
                }
            }
        }
        Some(extra) => {
            // Boxed: a `Vec` of layers over the registry holds one type.
            let layer = tracing_subscriber::fmt::layer()
                .with_ansi(ansi)
                .with_writer(StderrLines::default())
                .with_timer(CachedTime);
            let fmt: ExtraLayer = match (setup.json, setup.timestamps) {
                (true, _) => layer.json().flatten_event(true).with_current_span(false).boxed(),
                (false, true) => layer.with_target(false).fmt_fields(PlainFields).boxed(),
                (false, false) => layer.with_target(false).without_time().fmt_fields(PlainFields).boxed(),
            };
            tracing_subscriber::registry().with(vec![fmt.with_filter(filter).boxed(), extra]).try_init()
        }
    };
    if installed.is_ok()
        && let Ok(v) = std::env::var("MCP_AUDIT")
        && !matches!(v.trim().to_ascii_lowercase().as_str(), "on" | "off" | "")
    {
        tracing::warn!(value = %v, "MCP_AUDIT must be on or off; the tool-call audit stays off");
    }
    installed.is_ok()
}

#[cfg(test)]
mod tests {
    use tracing::level_filters::LevelFilter;

    use super::*;

    #[test]
    fn the_audit_target_follows_its_switch_unless_the_filter_names_it() {
        let on = with_audit(parse_filter(Some("warn")), Some("warn"), true);
        assert!(on.would_enable(crate::audit::TARGET, &Level::INFO));
        assert!(!on.would_enable("mcp_handler::access", &Level::INFO));
        let off = with_audit(parse_filter(None), None, false);
        assert!(!off.would_enable(crate::audit::TARGET, &Level::INFO));
        assert!(off.would_enable("mcp_handler::access", &Level::INFO));
        let named = Some("warn,mcp_handler::audit=info");
        assert!(with_audit(parse_filter(named), named, false).would_enable(crate::audit::TARGET, &Level::INFO));
    }

    #[test]
    fn filters_read_rust_log_and_lambda_levels() {
        assert_eq!(parse_filter(None).default_level(), Some(LevelFilter::INFO));
        assert_eq!(parse_filter(Some("not a [filter")).default_level(), Some(LevelFilter::INFO));
        assert_eq!(parse_filter(Some("DEBUG")).default_level(), Some(LevelFilter::DEBUG));
        assert_eq!(parse_filter(Some("FATAL")).default_level(), Some(LevelFilter::ERROR));
        let t = parse_filter(Some("warn,mcp_handler=trace"));
        assert!(t.would_enable("mcp_handler::x", &Level::TRACE));
        assert!(!t.would_enable("hyper", &Level::INFO));
    }
}
