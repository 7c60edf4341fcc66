//! The access log of the real `demo` binary: one line per request at
//! `info` with the MCP method, tool, outcome and status; refusals with a
//! hint; no argument value; health probes and `MCP_ACCESS_LOG=off` silent.

#![allow(clippy::unwrap_used)]

use mcp_handler_tests::{MCP_HEADERS, Running, TempDir, demo_bin, http, json_lines_of};
use serde_json::{Value, json};

async fn run_and_log(env: &[(&str, &str)], dir: &TempDir) -> Vec<Value> {
    let log = dir.join("demo.log");
    let mut env = env.to_vec();
    env.extend([("RUST_LOG", "info"), ("MCP_LOG_FORMAT", "json")]);
    let server = Running::start_logged(demo_bin(), &[], &env, &log).await;
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "text_stats", "arguments": {"text": "argument-value-never-logged"}}});
    let mut headers = MCP_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    let r = http(server.addr, "POST", "/mcp", &headers, &call.to_string()).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let mut evil = headers.clone();
    evil.push(("host", "evil.example"));
    let r = http(server.addr, "POST", "/mcp", &evil, &call.to_string()).await.unwrap();
    assert_eq!(r.status, 403);
    http(server.addr, "GET", "/healthz", &[], "").await.unwrap();
    let text = server.stop_and_read_log(&log).await;
    assert!(!text.contains("argument-value-never-logged"), "{text}");
    assert!(!text.contains("\u{1b}["), "no colour codes in a redirected log: {text}");
    json_lines_of(&text, "mcp_handler::access")
}

#[tokio::test]
async fn each_request_is_one_line_with_its_mcp_facts() {
    let dir = TempDir::new("access-log");
    let lines = run_and_log(&[], &dir).await;
    assert_eq!(lines.len(), 2, "the call and the refusal, not the probe: {lines:#?}");
    let call = &lines[0];
    assert_eq!(call["status"], 200);
    assert_eq!(call["mcp_method"], "tools/call");
    assert_eq!(call["name"], "text_stats");
    assert_eq!(call["outcome"], "ok");
    assert_eq!(call["request_id"], "7");
    assert_eq!(call["mode"], "json");
    assert_eq!(call["path"], "/mcp");
    assert_eq!(call["client"], "127.0.0.1");
    assert!(call["duration_ms"].as_f64().is_some());
    let refused = &lines[1];
    assert_eq!(refused["status"], 403);
    assert_eq!(refused["refusal"], "host");
    assert!(refused["hint"].as_str().unwrap().contains("MCP_ALLOWED_HOSTS"), "{refused}");
}

/// The default text format: the line the server writes itself (without
/// `tracing`, for speed) reads as the subscriber's other lines do.
#[tokio::test]
async fn text_lines_have_the_subscribers_layout() {
    let dir = TempDir::new("access-log-text");
    let log = dir.join("demo.log");
    let server = Running::start_logged(demo_bin(), &[], &[("RUST_LOG", "info")], &log).await;
    let call = json!({"jsonrpc": "2.0", "id": "a\"b", "method": "tools/call",
        "params": {"name": "text_stats", "arguments": {"text": "argument-value-never-logged"}}});
    let mut headers = MCP_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    let r = http(server.addr, "POST", "/mcp", &headers, &call.to_string()).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let text = server.stop_and_read_log(&log).await;
    assert!(!text.contains("argument-value-never-logged"), "{text}");
    let access: Vec<&str> = text.lines().filter(|l| l.contains(" INFO request ")).collect();
    let [line] = access[..] else { panic!("one access line: {text}") };
    let (time, rest) = line.split_once("  INFO request ").unwrap();
    assert!(time.len() == "2026-12-05T10:15:02.123456Z".len() && time.ends_with('Z'), "{line}");
    let (head, tail) = rest.split_once(" duration_ms=").unwrap();
    assert_eq!(head, r#"http_method=POST path="/mcp" status=200"#);
    let (millis, tail) = tail.split_once(' ').unwrap();
    assert!(millis.parse::<f64>().is_ok_and(|ms| ms >= 0.0), "{line}");
    assert_eq!(
        tail,
        r#"mode="json" mcp_method="tools/call" name="text_stats" outcome="ok" protocol_version="2025-06-18" request_id="a\"b" client=127.0.0.1"#
    );
    let other = text.lines().find(|l| l.contains("MCP server listening")).unwrap();
    assert_eq!(other.split_once(' ').unwrap().0.len(), time.len(), "the same timestamp: {other}");
}

#[tokio::test]
async fn the_access_log_can_be_turned_off() {
    let dir = TempDir::new("access-log-off");
    assert!(run_and_log(&[("MCP_ACCESS_LOG", "off")], &dir).await.is_empty());
}

#[tokio::test]
async fn behind_a_trusted_proxy_the_client_is_the_one_it_names() {
    let dir = TempDir::new("access-log-proxy");
    let log = dir.join("demo.log");
    let env = [("RUST_LOG", "info"), ("MCP_LOG_FORMAT", "json"), ("MCP_TRUSTED_PROXY_HEADER", "x-forwarded-for")];
    let server = Running::start_logged(demo_bin(), &[], &env, &log).await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"});
    let mut headers = MCP_HEADERS.to_vec();
    headers.extend([("mcp-protocol-version", "2025-06-18"), ("x-forwarded-for", "203.0.113.9, 198.51.100.7")]);
    let r = http(server.addr, "POST", "/mcp", &headers, &list.to_string()).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());
    let text = server.stop_and_read_log(&log).await;
    let lines = json_lines_of(&text, "mcp_handler::access");
    let line = lines.first().unwrap_or_else(|| panic!("no access line: {text}"));
    assert_eq!(line["client"], "198.51.100.7", "the proxy's own entry, not the forgeable first: {line}");
}

/// Lines are batched while the server serves (`LineBatch`): they still
/// reach the log while it runs, whole and in order, and what waits at
/// SIGTERM is written before the process exits.
#[tokio::test]
async fn batched_lines_arrive_while_serving_and_none_is_lost_at_exit() {
    let dir = TempDir::new("access-log-batch");
    let log = dir.join("demo.log");
    let server =
        Running::start_logged(demo_bin(), &[], &[("RUST_LOG", "info"), ("MCP_LOG_FORMAT", "json")], &log).await;
    let mut headers = MCP_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    let burst = |from: u64| {
        let headers = headers.clone();
        async move {
            for id in from..from + 100 {
                let list = json!({"jsonrpc": "2.0", "id": id, "method": "tools/list"});
                let r = http(server.addr, "POST", "/mcp", &headers, &list.to_string()).await.unwrap();
                assert_eq!(r.status, 200, "{}", r.text());
            }
        }
    };
    burst(0).await;
    let ids = |text: &str| -> Vec<u64> {
        json_lines_of(text, "mcp_handler::access")
            .iter()
            .filter_map(|l| l["request_id"].as_str()?.parse().ok())
            .collect()
    };
    let mut seen = Vec::new();
    for _ in 0..100 {
        seen = ids(&std::fs::read_to_string(&log).unwrap());
        if seen.len() == 100 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert_eq!(seen, (0..100).collect::<Vec<_>>(), "each line, in order, while the server runs");
    burst(100).await;
    let text = server.stop_and_read_log(&log).await;
    assert_eq!(ids(&text), (0..200).collect::<Vec<_>>(), "nothing lost at the exit");
    assert!(text.lines().all(|l| serde_json::from_str::<Value>(l).is_ok()), "every line whole: {text}");
}
