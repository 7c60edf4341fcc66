//! The metrics of the real `demo` binary: calls that succeed, fail as a
//! tool, name no tool, or are refused (Host, token) show up in `/metrics`
//! with bounded labels; `promtool check metrics` accepts the text; a real
//! Prometheus scrapes it every second and answers queries over it. Open
//! streams, calls and sessions of the `everything` binary show in the
//! gauges while they last. Then `MCP_METRICS_BIND` moves the scrape to its
//! own port, and `MCP_METRICS=off` removes it.

#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use mcp_handler_tests::prometheus::{self, Prometheus};
use mcp_handler_tests::{
    MCP_HEADERS, Running, TempDir, demo_bin, eventually, free_port, http, http_start, initialize_body,
};
use serde_json::{Value, json};

const TOKEN: &str = "metrics-test-token-9f8e7d";

fn headers<'a>(extra: &[(&'a str, &'a str)]) -> Vec<(&'a str, &'a str)> {
    let mut h = MCP_HEADERS.to_vec();
    h.push(("mcp-protocol-version", "2025-06-18"));
    h.extend_from_slice(extra);
    h
}

fn tool_call(name: &str, arguments: Value) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": name, "arguments": arguments}})
        .to_string()
}

/// The demo with a token guard, and the calls every check below expects.
async fn demo_with_traffic() -> Running {
    let env = [("MCP_SECRET_AUTH_TOKEN", "env:METRICS_TEST_TOKEN"), ("METRICS_TEST_TOKEN", TOKEN)];
    let server = Running::start_with(demo_bin(), &[], &env).await;
    let bearer = format!("Bearer {TOKEN}");
    let ok = headers(&[("authorization", &bearer)]);
    let send = async |h: &[(&str, &str)], body: &str| http(server.addr, "POST", "/mcp", h, body).await.unwrap();
    let r = send(&ok, &tool_call("text_stats", json!({"text": "one two"}))).await;
    assert_eq!((r.status.as_u16(), r.json()["result"]["isError"].as_bool()), (200, None), "{}", r.text());
    let r = send(&ok, &tool_call("base64", json!({"input": "@@not base64@@", "direction": "decode"}))).await;
    assert_eq!(r.json()["result"]["isError"], true, "a tool error: {}", r.text());
    let r = send(&ok, &tool_call("no_such_tool_4711", json!({}))).await;
    assert_eq!(r.error_code(), -32602, "{}", r.text());
    let evil = headers(&[("authorization", &bearer), ("host", "evil.example")]);
    assert_eq!(send(&evil, &tool_call("text_stats", json!({"text": "x"}))).await.status, 403);
    assert_eq!(send(&headers(&[]), &tool_call("text_stats", json!({"text": "x"}))).await.status, 401);
    server
}

async fn scrape(addr: SocketAddr) -> (u16, String) {
    // A scraper's own Host and no token: the scrape is outside both checks.
    let r = http(addr, "GET", "/metrics", &[("host", "prometheus.monitoring.svc:9090")], "").await.unwrap();
    (r.status.as_u16(), r.text())
}

#[tokio::test]
async fn calls_show_up_in_metrics_that_promtool_and_prometheus_accept() {
    let server = demo_with_traffic().await;
    let (status, text) = scrape(server.addr).await;
    assert_eq!(status, 200, "{text}");
    for line in [
        r#"mcp_requests_total{mcp_method_name="tools/call",outcome="ok"} 1"#,
        r#"mcp_requests_total{mcp_method_name="tools/call",outcome="tool_error",error_type="tool_error"} 1"#,
        r#"mcp_requests_total{mcp_method_name="tools/call",outcome="error",error_type="-32602"} 1"#,
        r#"mcp_requests_total{mcp_method_name="_unknown",outcome="refused",error_type="host"} 1"#,
        r#"mcp_requests_total{mcp_method_name="_unknown",outcome="refused",error_type="auth"} 1"#,
        r#"mcp_refusals_total{reason="auth"} 1"#,
        r#"mcp_refusals_total{reason="rate_limited"} 0"#,
        r#"mcp_secret_refreshes_total{secret="AUTH_TOKEN",outcome="ok"} 1"#,
        r#"mcp_secret_up{secret="AUTH_TOKEN"} 1"#,
    ] {
        assert!(text.lines().any(|l| l == line), "{line} missing from\n{text}");
    }
    let unknown_tool = r#"mcp_server_operation_duration_seconds_count{mcp_method_name="tools/call",gen_ai_tool_name="_unknown",outcome="error",error_type="-32602"} 1"#;
    assert!(text.contains(unknown_tool), "{text}");
    assert!(!text.contains("no_such_tool_4711") && !text.contains(TOKEN), "no client text, no secret: {text}");
    assert!(text.contains(r#"mcp_build_info{version=""#) && text.contains(r#"server_name="mcp-handler-demo""#));
    for family in ["process_resident_memory_bytes", "process_cpu_seconds_total", "process_open_fds"] {
        assert!(text.lines().any(|l| l.starts_with(family)), "{family} missing");
    }
    let (valid, said) = prometheus::promtool_check(&text);
    assert!(valid, "promtool check metrics: {said}\n{text}");

    let dir = TempDir::new("prometheus");
    let prom = Prometheus::start(&[server.addr], &dir).await;
    let ok = r#"mcp_requests_total{mcp_method_name="tools/call",outcome="ok"}"#;
    let first = prom.until(ok, |r| r.len() == 1).await;
    let labels = prometheus::labels(&first[0]);
    for want in [("job", "mcp"), ("mcp_method_name", "tools/call"), ("outcome", "ok")] {
        assert!(labels.contains(&(want.0.into(), want.1.into())), "{labels:?}");
    }
    assert_eq!(prometheus::value(&first[0]), 1.0);
    let refused = prom.until(r#"sum by (error_type) (mcp_requests_total{outcome="refused"})"#, |r| r.len() == 2).await;
    assert!(refused.iter().all(|s| prometheus::value(s) == 1.0), "{refused:?}");

    // More calls: the counter, its rate and the gauge an HPA reads follow.
    let bearer = format!("Bearer {TOKEN}");
    let (h, call) = (headers(&[("authorization", &bearer)]), tool_call("text_stats", json!({"text": "a"})));
    for _ in 0..20 {
        assert_eq!(http(server.addr, "POST", "/mcp", &h, &call).await.unwrap().status, 200);
    }
    prom.until(ok, |r| r.len() == 1 && prometheus::value(&r[0]) == 21.0).await;
    let rate = prom.until(&format!("rate({ok}[10s])"), |r| r.len() == 1 && prometheus::value(&r[0]) > 0.0).await;
    assert!(prometheus::value(&rate[0]).is_finite());
    prom.until("mcp_requests_per_second", |r| r.len() == 1 && prometheus::value(&r[0]) > 0.0).await;
    let histogram = r#"histogram_quantile(0.99, sum by (le) (rate(mcp_server_operation_duration_seconds_bucket{gen_ai_tool_name="text_stats"}[10s])))"#;
    prom.until(histogram, |r| r.len() == 1 && prometheus::value(&r[0]) > 0.0).await;
}

#[tokio::test]
async fn a_metrics_port_of_its_own_and_metrics_off() {
    let port = free_port();
    let bind = format!("127.0.0.1:{port}");
    let server = Running::start_with(demo_bin(), &[], &[("MCP_METRICS_BIND", &bind)]).await;
    let r = http(server.addr, "POST", "/mcp", &headers(&[]), &tool_call("text_stats", json!({"text": "x"}))).await;
    assert_eq!(r.unwrap().status, 200);
    assert_eq!(scrape(server.addr).await.0, 404, "the MCP listener no longer answers /metrics");
    let metrics: SocketAddr = bind.parse().unwrap();
    let (status, text) = scrape(metrics).await;
    assert_eq!(status, 200);
    assert!(text.contains(r#"mcp_requests_total{mcp_method_name="tools/call",outcome="ok"} 1"#), "{text}");
    let other = http(metrics, "GET", "/mcp", &[], "").await.unwrap();
    assert_eq!(other.status, 404, "the metrics port serves nothing else");

    let off = Running::start_with(demo_bin(), &[], &[("MCP_METRICS", "off")]).await;
    assert_eq!(scrape(off.addr).await.0, 404);
}

/// The value of the sample line `series` (`name{labels}`) in `text`.
fn sample(text: &str, series: &str) -> Option<f64> {
    text.lines().find_map(|l| l.strip_prefix(series)?.strip_prefix(' ')?.parse().ok())
}

#[tokio::test]
async fn open_streams_calls_and_sessions_show_while_they_last() {
    let server = Running::start(&[]).await;
    let r = http(server.addr, "POST", "/mcp", &MCP_HEADERS, &initialize_body("2025-11-25")).await.unwrap();
    let sid = r.header("mcp-session-id").expect("everything runs with sessions").to_owned();
    let mut h = MCP_HEADERS.to_vec();
    h.push(("mcp-session-id", &sid));
    let get_headers = [("accept", "text/event-stream"), ("mcp-session-id", &sid)];
    let get = http_start(server.addr, "GET", "/mcp", &get_headers, "").await.unwrap();
    // A call that asks the client a question holds its SSE answer open.
    let ask = json!({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
        "params": {"name": "test_elicitation", "arguments": {"message": "Name?"}}});
    let call = http_start(server.addr, "POST", "/mcp", &h, &ask.to_string()).await.unwrap();
    assert_eq!(call.headers()["content-type"], "text/event-stream");
    let (_, text) = scrape(server.addr).await;
    for (series, want) in [
        (r#"mcp_sse_streams_open{kind="post"}"#, 1.0),
        (r#"mcp_sse_streams_open{kind="get"}"#, 1.0),
        ("mcp_requests_in_flight", 1.0),
        ("mcp_sessions", 1.0),
        (r#"mcp_requests_total{mcp_method_name="tools/call",outcome="streamed"}"#, 1.0),
    ] {
        assert_eq!(sample(&text, series), Some(want), "{series} in\n{text}");
    }
    // The client goes away: the call is dropped and every gauge falls back.
    drop((get, call));
    eventually(async || {
        let (_, text) = scrape(server.addr).await;
        let idle =
            [r#"mcp_sse_streams_open{kind="post"}"#, r#"mcp_sse_streams_open{kind="get"}"#, "mcp_requests_in_flight"]
                .iter()
                .all(|s| sample(&text, s) == Some(0.0));
        idle.then_some(())
    })
    .await;
}
