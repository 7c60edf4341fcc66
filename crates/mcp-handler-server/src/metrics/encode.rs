//! Every series, written when scraped: prometheus-client's encoders do the
//! exposition formats (OpenMetrics for Prometheus, the 0.0.4 text format
//! for everything else), this module decides what is in them.

use std::time::Instant;

use prometheus_client::collector::Collector;
use prometheus_client::encoding::{DescriptorEncoder, MetricEncoder, NoLabelSet};
use prometheus_client::metrics::MetricType;

use super::Inner;
use super::process::Process;
use super::table::{BUCKETS, Table};

/// The collector registered with the server's registry.
#[derive(Debug)]
pub(super) struct Scrape(pub(super) std::sync::Arc<Inner>);

type Labels<'a> = Vec<(&'static str, &'a str)>;

fn counter(m: &mut MetricEncoder<'_>, labels: &Labels<'_>, v: u64) -> std::fmt::Result {
    m.encode_family(&labels.as_slice())?.encode_counter::<NoLabelSet, _, u64>(&v, None)
}

fn gauge<V: prometheus_client::encoding::EncodeGaugeValue>(
    m: &mut MetricEncoder<'_>,
    labels: &Labels<'_>,
    v: V,
) -> std::fmt::Result {
    m.encode_family(&labels.as_slice())?.encode_gauge(&v)
}

impl Collector for Scrape {
    fn encode(&self, mut enc: DescriptorEncoder<'_>) -> std::fmt::Result {
        let inner = &*self.0;
        let total = requests(&mut enc, &inner.table)?;
        let rate = inner.window.rate(Instant::now(), total);
        let help = "MCP requests per second over the last 30 s (the span since the newest scrape at least 30 s old).";
        enc.encode_descriptor("mcp_requests_per_second", help, None, MetricType::Gauge)?.encode_gauge(&rate)?;
        refusals(&mut enc, inner)?;
        activity(&mut enc, inner)?;
        secrets(&mut enc, inner)?;
        let help = "The mcp-handler library version, and the name and version the server reports to clients.";
        let mut m = enc.encode_descriptor("mcp_build_info", help, None, MetricType::Gauge)?;
        let (server, version) = (inner.build.server_name.as_str(), inner.build.server_version.as_str());
        gauge(
            &mut m,
            &vec![("version", env!("CARGO_PKG_VERSION")), ("server_name", server), ("server_version", version)],
            1,
        )?;
        if let Some(p) = Process::read() {
            process(&mut enc, &p)?;
        }
        Ok(())
    }
}

/// `mcp_requests_total` and `mcp_server_operation_duration_seconds`; returns
/// the request total.
fn requests(enc: &mut DescriptorEncoder<'_>, table: &Table) -> Result<u64, std::fmt::Error> {
    // Totals by (method, outcome), gathered over the operations' cells.
    let per_method = table.outcome_count();
    let mut totals = vec![0u64; table.methods().len() * per_method];
    let mut reads = Vec::new();
    for (op, outcome, cell) in table.used() {
        let read = cell.read();
        totals[table.op(op).method * per_method + outcome] += read.1;
        reads.push((op, outcome, read));
    }
    let help = "MCP requests answered, by JSON-RPC method and outcome (ok, tool_error, error, refused, streamed).";
    let mut m = enc.encode_descriptor("mcp_requests", help, None, MetricType::Counter)?;
    let mut sum = 0;
    for (i, n) in totals.iter().enumerate().filter(|(_, n)| **n > 0) {
        let o = table.outcome(i % per_method);
        let mut labels = vec![("mcp_method_name", table.methods()[i / per_method]), ("outcome", o.outcome)];
        labels.extend(o.error_type.map(|e| ("error_type", e)));
        counter(&mut m, &labels, *n)?;
        sum += n;
    }
    let help = "Time from a request's arrival to its answer's head, by method, tool or prompt, and outcome \
                (OpenTelemetry mcp.server.operation.duration).";
    let mut m = enc.encode_descriptor("mcp_server_operation_duration_seconds", help, None, MetricType::Histogram)?;
    for (op, outcome, (buckets, count, seconds)) in reads {
        let (op, o) = (table.op(op), table.outcome(outcome));
        let mut labels = vec![("mcp_method_name", table.methods()[op.method])];
        labels.extend(op.target);
        labels.push(("outcome", o.outcome));
        labels.extend(o.error_type.map(|e| ("error_type", e)));
        let bounds = BUCKETS.iter().copied().chain([f64::INFINITY]);
        let buckets: Vec<(f64, u64)> = bounds.zip(buckets).collect();
        m.encode_family(&labels.as_slice())?.encode_histogram::<NoLabelSet>(seconds, count, &buckets, None)?;
    }
    Ok(sum)
}

/// `mcp_refusals_total`: every reason, zero included, so that a rate or an
/// alert on one exists before the first refusal.
fn refusals(enc: &mut DescriptorEncoder<'_>, inner: &Inner) -> std::fmt::Result {
    let table = &inner.table;
    let mut by_reason = vec![0u64; table.reasons().len()];
    for (_, outcome, cell) in table.used() {
        if let Some(r) = table.outcome(outcome).reason {
            by_reason[r] += cell.read().1;
        }
    }
    let help = "Requests refused before any handler ran, by reason; `connections` counts connections refused \
                at MCP_MAX_CONNECTIONS.";
    let mut m = enc.encode_descriptor("mcp_refusals", help, None, MetricType::Counter)?;
    for (reason, n) in table.reasons().iter().zip(by_reason) {
        counter(&mut m, &vec![("reason", *reason)], n)?;
    }
    let connections = inner.refused_connections.load(std::sync::atomic::Ordering::Relaxed);
    counter(&mut m, &vec![("reason", "connections")], connections)
}

/// The endpoint's open work: calls, streams, sessions.
fn activity(enc: &mut DescriptorEncoder<'_>, inner: &Inner) -> std::fmt::Result {
    let a = inner.mcp.activity();
    let help = "Handler calls running now (what MCP_MAX_IN_FLIGHT bounds), streamed answers included.";
    enc.encode_descriptor("mcp_requests_in_flight", help, None, MetricType::Gauge)?
        .encode_gauge(&(a.calls_in_flight as u64))?;
    let help = "Open SSE streams: POST answers being streamed, 2025 session GET streams, 2026 listen streams.";
    let mut m = enc.encode_descriptor("mcp_sse_streams_open", help, None, MetricType::Gauge)?;
    for (kind, n) in [("post", a.post_streams), ("get", a.get_streams), ("listen", a.listen_streams)] {
        gauge(&mut m, &vec![("kind", kind)], n as u64)?;
    }
    if let Some(n) = a.sessions {
        let help = "2025 sessions the in-memory session store holds.";
        enc.encode_descriptor("mcp_sessions", help, None, MetricType::Gauge)?.encode_gauge(&(n as u64))?;
    }
    Ok(())
}

/// Secret refreshes and freshness, when the program reports them.
fn secrets(enc: &mut DescriptorEncoder<'_>, inner: &Inner) -> std::fmt::Result {
    let Some(report) = &inner.secrets else { return Ok(()) };
    let reports = report();
    if reports.is_empty() {
        return Ok(());
    }
    let help = "Fetches of each secret from its source, by outcome (ok, error).";
    let mut m = enc.encode_descriptor("mcp_secret_refreshes", help, None, MetricType::Counter)?;
    for r in &reports {
        counter(&mut m, &vec![("secret", r.name.as_str()), ("outcome", "ok")], r.refreshes_ok)?;
        counter(&mut m, &vec![("secret", r.name.as_str()), ("outcome", "error")], r.refreshes_failed)?;
    }
    let help = "Seconds since each secret was last fetched successfully (absent before the first fetch).";
    let mut m = enc.encode_descriptor("mcp_secret_age_seconds", help, None, MetricType::Gauge)?;
    for r in &reports {
        if let Some(age) = r.since_refresh {
            gauge(&mut m, &vec![("secret", r.name.as_str())], age.as_secs_f64())?;
        }
    }
    let help = "Seconds past its TTL of the value each secret serves while refreshes fail (0 when fresh).";
    let mut m = enc.encode_descriptor("mcp_secret_stale_seconds", help, None, MetricType::Gauge)?;
    for r in &reports {
        gauge(&mut m, &vec![("secret", r.name.as_str())], r.stale_for.as_secs_f64())?;
    }
    let help = "1 when the secret can be served (loaded, within its staleness bound), else 0.";
    let mut m = enc.encode_descriptor("mcp_secret_up", help, None, MetricType::Gauge)?;
    for r in &reports {
        gauge(&mut m, &vec![("secret", r.name.as_str())], u64::from(r.servable))?;
    }
    Ok(())
}

/// The standard process metrics.
fn process(enc: &mut DescriptorEncoder<'_>, p: &Process) -> std::fmt::Result {
    let help = "Total user and system CPU time spent in seconds.";
    enc.encode_descriptor("process_cpu_seconds", help, None, MetricType::Counter)?
        .encode_counter::<NoLabelSet, _, u64>(&p.cpu_seconds, None)?;
    let help = "Resident memory size in bytes.";
    enc.encode_descriptor("process_resident_memory_bytes", help, None, MetricType::Gauge)?
        .encode_gauge(&p.resident_bytes)?;
    let help = "Virtual memory size in bytes.";
    enc.encode_descriptor("process_virtual_memory_bytes", help, None, MetricType::Gauge)?
        .encode_gauge(&p.virtual_bytes)?;
    let help = "Number of open file descriptors.";
    enc.encode_descriptor("process_open_fds", help, None, MetricType::Gauge)?.encode_gauge(&p.open_fds)?;
    if let Some(max) = p.max_fds {
        let help = "Maximum number of open file descriptors.";
        enc.encode_descriptor("process_max_fds", help, None, MetricType::Gauge)?.encode_gauge(&max)?;
    }
    let help = "Start time of the process since unix epoch in seconds.";
    enc.encode_descriptor("process_start_time_seconds", help, None, MetricType::Gauge)?
        .encode_gauge(&p.start_time_seconds)
}
