//! Prometheus metrics of the server (`MCP_METRICS`, default on): requests
//! by method, tool and outcome with their durations, refusals, open work,
//! secret refreshes, build and process facts, served at `GET /metrics` (or
//! on `MCP_METRICS_BIND`).
//!
//! Each request is counted from the endpoint's [`Exchange`] record, read
//! where the access log reads it; everything else (rates, gauges, process
//! figures) is computed when scraped. See `table.rs` for the label bound.

mod encode;
mod process;
mod table;
mod window;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use http::header::{self, HeaderValue};
use http::{Response, StatusCode};
use mcp_handler_core::{Exchange, McpBody, McpService};
use prometheus_client::encoding::{prometheus_text, text};
use prometheus_client::registry::Registry;

use self::table::Table;
use self::window::RateWindow;

/// One secret's refresh history, as the program's secrets report it (the
/// facade fills these from `mcp-handler-secrets`; this crate knows no
/// secret store). Names only: never a value or a reference.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretReport {
    /// The secret's declared name (`AUTH_TOKEN`).
    pub name: String,
    /// Successful fetches from its source.
    pub refreshes_ok: u64,
    /// Failed fetches.
    pub refreshes_failed: u64,
    /// Time since the last successful fetch; `None` before the first.
    pub since_refresh: Option<Duration>,
    /// How long past its TTL the served value is (zero while fresh).
    pub stale_for: Duration,
    /// Whether it can be served now.
    pub servable: bool,
}

impl SecretReport {
    /// A report for `name` with nothing fetched yet.
    pub fn new(name: impl Into<String>) -> Self {
        Self {
            name: name.into(),
            refreshes_ok: 0,
            refreshes_failed: 0,
            since_refresh: None,
            stale_for: Duration::ZERO,
            servable: false,
        }
    }
}

/// Reads the secrets' reports when scraped.
pub(crate) type SecretReports = Arc<dyn Fn() -> Vec<SecretReport> + Send + Sync>;

/// What `mcp_build_info` says besides the library version.
struct BuildInfo {
    server_name: String,
    server_version: String,
}

/// What a scrape reads.
pub(crate) struct Inner {
    table: Table,
    window: RateWindow,
    mcp: McpService,
    refused_connections: AtomicU64,
    secrets: Option<SecretReports>,
    build: BuildInfo,
}

impl std::fmt::Debug for Inner {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Metrics").field("server", &self.build.server_name).finish_non_exhaustive()
    }
}

/// The server's metrics: the label table the request path writes and the
/// registry a scrape encodes.
pub(crate) struct Metrics {
    inner: Arc<Inner>,
    registry: Registry,
}

impl std::fmt::Debug for Metrics {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.inner.fmt(f)
    }
}

/// `Content-Type` of the OpenMetrics text format.
const OPENMETRICS: &str = "application/openmetrics-text; version=1.0.0; charset=utf-8";

impl Metrics {
    /// Metrics for `mcp`: its router's tools and prompts are the only
    /// names that become label values.
    pub(crate) fn new(mcp: &McpService, secrets: Option<SecretReports>) -> Self {
        let router = mcp.router();
        let info = router.server_info();
        let inner = Arc::new(Inner {
            table: Table::new(router.tool_names(), router.prompt_names()),
            window: RateWindow::new(Instant::now()),
            mcp: mcp.clone(),
            refused_connections: AtomicU64::new(0),
            secrets,
            build: BuildInfo { server_name: info.name.clone(), server_version: info.version.clone() },
        });
        let mut registry = Registry::default();
        registry.register_collector(Box::new(encode::Scrape(inner.clone())));
        Self { inner, registry }
    }

    /// Counts one answered request of the MCP endpoint, from its record.
    pub(crate) fn observe(&self, resp: &Response<McpBody>, record: Option<&Exchange>, elapsed: Duration) {
        self.inner.table.record(record, resp, elapsed);
    }

    /// Counts a connection refused at the connection limit.
    pub(crate) fn refused_connection(&self) {
        self.inner.refused_connections.fetch_add(1, Ordering::Relaxed);
    }

    /// The answer to `GET /metrics`: OpenMetrics when the scraper accepts
    /// it (Prometheus does), else the 0.0.4 text format (`curl`, `promtool`).
    pub(crate) fn scrape(&self, accept: Option<&HeaderValue>) -> Response<McpBody> {
        let openmetrics =
            accept.and_then(|v| v.to_str().ok()).is_some_and(|a| a.contains("application/openmetrics-text"));
        let mut body = String::with_capacity(16 * 1024);
        let (encoded, content_type) = if openmetrics {
            (text::encode(&mut body, &self.registry), OPENMETRICS)
        } else {
            (prometheus_text::encode(&mut body, &self.registry), prometheus_text::CONTENT_TYPE)
        };
        if encoded.is_err() {
            return mcp_handler_core::shell::plain_text(StatusCode::INTERNAL_SERVER_ERROR, "metrics unavailable\n");
        }
        let mut r = Response::new(McpBody::full(body));
        r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
        r
    }
}

#[cfg(test)]
mod tests;
