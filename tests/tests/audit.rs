//! The tool-call audit of the real `demo` binary: with `MCP_AUDIT=on`
//! one event per `tools/call` on target `mcp_handler::audit` with the
//! tool, outcome, duration, caller and a digest of the arguments; argument
//! values only for the tool that opts in (`unix_time`); off by default.

#![allow(clippy::unwrap_used)]

use mcp_handler_tests::{MCP_HEADERS, Running, TempDir, demo_bin, http, json_lines_of};
use serde_json::{Value, json};

const SECRET_ARGUMENT: &str = "argument-value-never-audited";

async fn run_and_audit(env: &[(&str, &str)], dir: &TempDir) -> Vec<Value> {
    let log = dir.join("demo.log");
    let mut env = env.to_vec();
    if !env.iter().any(|(k, _)| *k == "RUST_LOG") {
        env.push(("RUST_LOG", "warn"));
    }
    env.push(("MCP_LOG_FORMAT", "json"));
    let server = Running::start_logged(demo_bin(), &[], &env, &log).await;
    let mut headers = MCP_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    let calls = [
        json!({"name": "text_stats", "arguments": {"text": SECRET_ARGUMENT}}),
        json!({"name": "unix_time", "arguments": {"unix_seconds": 86400}}),
        json!({"name": "base64", "arguments": {"input": "%%%", "direction": "decode"}}),
    ];
    for (id, params) in calls.iter().enumerate() {
        let call = json!({"jsonrpc": "2.0", "id": id + 1, "method": "tools/call", "params": params});
        let r = http(server.addr, "POST", "/mcp", &headers, &call.to_string()).await.unwrap();
        assert_eq!(r.status, 200, "{}", r.text());
    }
    let text = server.stop_and_read_log(&log).await;
    assert!(!text.contains(SECRET_ARGUMENT), "{text}");
    json_lines_of(&text, "mcp_handler::audit")
}

#[tokio::test]
async fn each_tool_call_is_one_audit_event_with_a_digest_not_the_arguments() {
    let dir = TempDir::new("audit-on");
    let events = run_and_audit(&[("MCP_AUDIT", "on")], &dir).await;
    assert_eq!(events.len(), 3, "one event per call, even with RUST_LOG=warn: {events:#?}");
    let stats = &events[0];
    assert_eq!(stats["message"], "tool call");
    assert_eq!(stats["tool"], "text_stats");
    assert_eq!(stats["outcome"], "ok");
    assert_eq!(stats["request_id"], "1");
    assert_eq!(stats["client"], "127.0.0.1");
    assert!(stats["duration_ms"].as_f64().is_some_and(|d| d >= 0.0), "{stats}");
    let digest = stats["args_sha256"].as_str().unwrap();
    assert_eq!(digest.len(), 32, "{stats}");
    assert!(digest.bytes().all(|b| b.is_ascii_hexdigit()), "{stats}");
    assert!(stats.get("arguments").is_none(), "no opt-in, no values: {stats}");
    let time = &events[1];
    assert_eq!(time["tool"], "unix_time");
    assert_eq!(time["arguments"], r#"{"unix_seconds":86400}"#, "the tool opted in: {time}");
    assert_ne!(time["args_sha256"], stats["args_sha256"]);
    let bad = &events[2];
    assert_eq!((bad["tool"].as_str(), bad["outcome"].as_str()), (Some("base64"), Some("tool_error")), "{bad}");
}

#[tokio::test]
async fn the_audit_is_off_unless_asked_for() {
    let dir = TempDir::new("audit-off");
    assert!(run_and_audit(&[("RUST_LOG", "info")], &dir).await.is_empty());
}
