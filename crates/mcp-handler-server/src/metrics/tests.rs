//! The rendering and the label bound, in-process: real requests through a
//! real endpoint, counted from the records it attaches, then scraped.

use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Request};
use http_body_util::{BodyExt as _, Full};
use mcp_handler_core::{CallToolResult, EndpointConfig, McpService, Prompt, Router, Tool};

use super::{Metrics, SecretReport};

fn service() -> McpService {
    let router = Router::builder("metrics-test", "9.9.9")
        .tool(Tool::builder("echo").description("Echoes").handler(|| async { "hi" }))
        .tool(Tool::builder("fail").description("Fails").handler(|| async { CallToolResult::error("no") }))
        .prompt(Prompt::builder("greet").description("Greets").get(|| async { "hello" }))
        .build()
        .unwrap();
    McpService::new(router, EndpointConfig::default().with_exchange_counts(true))
}

async fn send(mcp: &McpService, metrics: &Metrics, host: &str, body: serde_json::Value) -> u16 {
    let req = Request::post("/mcp")
        .header("host", host)
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2025-06-18")
        .body(Full::new(Bytes::from(body.to_string())))
        .unwrap();
    let resp = mcp.handle(req).await;
    metrics.observe(&resp, mcp_handler_core::Exchange::of(&resp), Duration::from_micros(300));
    resp.status().as_u16()
}

fn call(method: &str, params: serde_json::Value) -> serde_json::Value {
    serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params})
}

async fn text_of(r: http::Response<mcp_handler_core::McpBody>) -> String {
    String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
}

/// The sample lines of `name` (`name{...} value`), without comments.
fn samples<'a>(text: &'a str, name: &str) -> Vec<&'a str> {
    text.lines().filter(|l| l.starts_with(name) && l[name.len()..].starts_with(['{', ' '])).collect()
}

#[tokio::test]
async fn requests_are_counted_by_method_tool_and_outcome() {
    let mcp = service();
    let reports = || {
        let mut r = SecretReport::new("AUTH_TOKEN");
        (r.refreshes_ok, r.refreshes_failed, r.servable) = (3, 1, true);
        r.since_refresh = Some(Duration::from_secs(7));
        vec![r]
    };
    let metrics = Metrics::new(&mcp, Some(std::sync::Arc::new(reports)));
    let local = "127.0.0.1:8080";
    assert_eq!(send(&mcp, &metrics, local, call("tools/call", serde_json::json!({"name": "echo"}))).await, 200);
    assert_eq!(send(&mcp, &metrics, local, call("tools/call", serde_json::json!({"name": "echo"}))).await, 200);
    assert_eq!(send(&mcp, &metrics, local, call("tools/call", serde_json::json!({"name": "fail"}))).await, 200);
    assert_eq!(send(&mcp, &metrics, local, call("prompts/get", serde_json::json!({"name": "greet"}))).await, 200);
    assert_eq!(send(&mcp, &metrics, local, call("tools/list", serde_json::json!({}))).await, 200);
    assert_eq!(send(&mcp, &metrics, "evil.example", call("tools/list", serde_json::json!({}))).await, 403);

    let text = text_of(metrics.scrape(None)).await;
    let requests = samples(&text, "mcp_requests_total");
    for expected in [
        r#"mcp_requests_total{mcp_method_name="tools/call",outcome="ok"} 2"#,
        r#"mcp_requests_total{mcp_method_name="tools/call",outcome="tool_error",error_type="tool_error"} 1"#,
        r#"mcp_requests_total{mcp_method_name="prompts/get",outcome="ok"} 1"#,
        r#"mcp_requests_total{mcp_method_name="tools/list",outcome="ok"} 1"#,
        r#"mcp_requests_total{mcp_method_name="_unknown",outcome="refused",error_type="host"} 1"#,
    ] {
        assert!(requests.contains(&expected), "{expected} not in\n{}", requests.join("\n"));
    }
    assert_eq!(requests.len(), 5, "{}", requests.join("\n"));
    let tool = r#"mcp_server_operation_duration_seconds_bucket{mcp_method_name="tools/call",gen_ai_tool_name="echo",outcome="ok",le="0.0005"} 2"#;
    assert!(text.contains(tool), "{text}");
    let prompt = r#"mcp_server_operation_duration_seconds_count{mcp_method_name="prompts/get",gen_ai_prompt_name="greet",outcome="ok"} 1"#;
    assert!(text.contains(prompt), "{text}");
    assert!(text.contains(r#"mcp_refusals_total{reason="host"} 1"#), "{text}");
    assert!(text.contains(r#"mcp_refusals_total{reason="auth"} 0"#), "every reason is there from the start");
    assert!(
        text.contains(r#"mcp_build_info{version=""#)
            && text.contains(r#"server_name="metrics-test",server_version="9.9.9"} 1"#)
    );
    assert!(text.contains(r#"mcp_secret_refreshes_total{secret="AUTH_TOKEN",outcome="error"} 1"#), "{text}");
    assert!(text.contains(r#"mcp_secret_age_seconds{secret="AUTH_TOKEN"} 7"#), "{text}");
    assert!(text.contains(r#"mcp_secret_up{secret="AUTH_TOKEN"} 1"#), "{text}");
    assert!(text.contains("\nmcp_requests_in_flight 0\n") && text.contains(r#"mcp_sse_streams_open{kind="post"} 0"#));
    assert_eq!(samples(&text, "mcp_requests_per_second").len(), 1);
    #[cfg(target_os = "linux")]
    for name in
        ["process_cpu_seconds_total", "process_resident_memory_bytes", "process_open_fds", "process_start_time_seconds"]
    {
        assert_eq!(samples(&text, name).len(), 1, "{name} in {text}");
    }
    // Each family is declared once, with its type, in the 0.0.4 format.
    assert!(text.contains("# TYPE mcp_requests_total counter\n"));
    assert!(text.contains("# TYPE mcp_server_operation_duration_seconds histogram\n"));
    assert!(!text.contains("# EOF"));
}

#[tokio::test]
async fn names_a_client_makes_up_never_become_labels() {
    let mcp = service();
    let metrics = Metrics::new(&mcp, None);
    for i in 0..500 {
        let name = format!("made-up-tool-{i}");
        send(&mcp, &metrics, "127.0.0.1", call("tools/call", serde_json::json!({"name": name}))).await;
        let prompt = format!("made-up-prompt-{i}");
        send(&mcp, &metrics, "127.0.0.1", call("prompts/get", serde_json::json!({"name": prompt}))).await;
        send(&mcp, &metrics, "127.0.0.1", call(&format!("made/up/{i}"), serde_json::json!({}))).await;
    }
    let text = text_of(metrics.scrape(None)).await;
    assert!(!text.contains("made-up") && !text.contains("made/up"), "{text}");
    let counts = samples(&text, "mcp_server_operation_duration_seconds_count");
    assert_eq!(counts.len(), 3, "one series per closed label set:\n{}", counts.join("\n"));
    assert!(counts.iter().any(|l| l.contains(r#"gen_ai_tool_name="_unknown""#) && l.ends_with(" 500")), "{counts:?}");
    assert!(counts.iter().any(|l| l.contains(r#"gen_ai_prompt_name="_unknown""#)), "{counts:?}");
    assert!(counts.iter().any(|l| l.contains(r#"mcp_method_name="_unknown",outcome="error",error_type="-32601""#)));
}

#[tokio::test]
async fn prometheus_gets_openmetrics() {
    let mcp = service();
    let metrics = Metrics::new(&mcp, None);
    send(&mcp, &metrics, "127.0.0.1", call("tools/call", serde_json::json!({"name": "echo"}))).await;
    let accept = HeaderValue::from_static(
        "application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,\
         text/plain;version=0.0.4;q=0.5,*/*;q=0.1",
    );
    let r = metrics.scrape(Some(&accept));
    assert_eq!(r.headers()["content-type"], super::OPENMETRICS);
    let text = text_of(r).await;
    assert!(text.ends_with("# EOF\n"), "{text}");
    assert!(text.contains("# TYPE mcp_requests counter\n"), "{text}");
    assert!(text.contains(r#"mcp_requests_total{mcp_method_name="tools/call",outcome="ok"} 1"#), "{text}");
}
