//! Rate limits: a token bucket per client (session, principal, else
//! address — the shell's, or a trusted proxy's header), per JSON-RPC
//! request (a batch pays per member) and per tool where a tool has its own;
//! `429` with `Retry-After` and `RateLimit` headers beyond. In-process, and
//! once on the real `demo` binary, whose shell supplies the peer address.

use std::net::IpAddr;

use bytes::Bytes;
use http::{HeaderName, Request, StatusCode};
use http_body_util::Full;
use mcp_handler::{ClientAddress, EndpointConfig, McpService, RateLimit, Router, Tool};
use mcp_handler_tests::{MCP_HEADERS, Reply, Running, call, demo_bin, post};
use serde_json::{Value, json};

fn router() -> Router {
    Router::builder("rates", "1")
        .tool(Tool::builder("free").description("No own limit").handler(|| async { "free" }))
        .tool(
            Tool::builder("scarce")
                .description("One call a minute per client")
                .rate_limit(RateLimit::per_minute(1))
                .handler(|| async { "scarce" }),
        )
        .build()
        .expect("router")
}

fn call_body(id: u64, tool: &str) -> Value {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": {}}})
}

fn from(addr: [u8; 4], body: &Value, extra: &[(&str, &str)]) -> Request<Full<Bytes>> {
    let mut req = post().body(Full::new(Bytes::from(body.to_string()))).expect("request");
    req.extensions_mut().insert(ClientAddress(IpAddr::from(addr)));
    for (k, v) in extra {
        let name = HeaderName::from_bytes(k.as_bytes()).expect("name");
        req.headers_mut().insert(name, v.parse().expect("value"));
    }
    req
}

fn assert_429(r: &Reply, id: u64) {
    assert_eq!(r.status, StatusCode::TOO_MANY_REQUESTS, "{}", r.text());
    let retry: u64 = r.header("retry-after").expect("Retry-After").parse().expect("seconds");
    assert!((1..=60).contains(&retry), "{retry}");
    assert!(r.header("ratelimit-policy").is_some_and(|p| p.starts_with("\"mcp\";q=")));
    assert!(r.header("ratelimit").is_some_and(|p| p.contains("r=0")));
    assert_eq!(r.json()["id"], id);
    assert_eq!(r.error_code(), -32000);
}

#[tokio::test]
async fn each_address_has_its_bucket_and_the_excess_gets_429() {
    let config = EndpointConfig::default().with_rate_limit(RateLimit::per_minute(2));
    let svc = McpService::new(router(), config);
    assert!(svc.wants_client_address());
    for id in 1..=2 {
        assert_eq!(call(&svc, from([10, 0, 0, 1], &call_body(id, "free"), &[])).await.status, StatusCode::OK);
    }
    assert_429(&call(&svc, from([10, 0, 0, 1], &call_body(3, "free"), &[])).await, 3);
    // Another client is not held back by the first.
    assert_eq!(call(&svc, from([10, 0, 0, 2], &call_body(4, "free"), &[])).await.status, StatusCode::OK);
}

#[tokio::test]
async fn behind_a_trusted_proxy_its_header_names_the_client() {
    let config = EndpointConfig::default()
        .with_rate_limit(RateLimit::per_minute(1))
        .with_trusted_proxy_header(HeaderName::from_static("x-forwarded-for"));
    let svc = McpService::new(router(), config);
    // One proxy address, two clients behind it: the last entry counts.
    let alice = [("x-forwarded-for", "198.51.100.9, 203.0.113.1")];
    let bob = [("x-forwarded-for", "203.0.113.2")];
    assert_eq!(call(&svc, from([10, 0, 0, 9], &call_body(1, "free"), &alice)).await.status, StatusCode::OK);
    assert_eq!(call(&svc, from([10, 0, 0, 9], &call_body(2, "free"), &bob)).await.status, StatusCode::OK);
    assert_429(&call(&svc, from([10, 0, 0, 9], &call_body(3, "free"), &alice)).await, 3);
}

#[tokio::test]
async fn a_tool_s_own_limit_counts_its_calls_only() {
    let svc = McpService::new(router(), EndpointConfig::default());
    assert!(svc.wants_client_address(), "a tool's limit needs the address too");
    assert_eq!(call(&svc, from([10, 0, 0, 1], &call_body(1, "scarce"), &[])).await.status, StatusCode::OK);
    assert_429(&call(&svc, from([10, 0, 0, 1], &call_body(2, "scarce"), &[])).await, 2);
    assert_eq!(call(&svc, from([10, 0, 0, 1], &call_body(3, "free"), &[])).await.status, StatusCode::OK);
    assert_eq!(call(&svc, from([10, 0, 0, 3], &call_body(4, "scarce"), &[])).await.status, StatusCode::OK);
}

#[tokio::test]
async fn a_batch_pays_for_each_member() {
    let config = EndpointConfig::default().with_rate_limit(RateLimit::per_minute(2));
    let svc = McpService::new(router(), config);
    let batch = json!([call_body(1, "free"), call_body(2, "free"), call_body(3, "free")]);
    let r = call(&svc, from([10, 0, 0, 1], &batch, &[("mcp-protocol-version", "2025-03-26")])).await;
    assert_eq!(r.status, StatusCode::OK);
    let answers = r.json();
    let answers = answers.as_array().expect("an array");
    assert_eq!(answers.len(), 3);
    assert!(answers[..2].iter().all(|a| a["result"].is_object()));
    assert_eq!(answers[2]["error"]["code"], -32000);
}

#[tokio::test]
async fn without_any_limit_nothing_is_counted() {
    let svc = McpService::new(
        Router::builder("plain", "1")
            .tool(Tool::builder("free").description("d").handler(|| async { "free" }))
            .build()
            .expect("router"),
        EndpointConfig::default(),
    );
    assert!(!svc.wants_client_address());
    for id in 1..=50 {
        assert_eq!(call(&svc, from([10, 0, 0, 1], &call_body(id, "free"), &[])).await.status, StatusCode::OK);
    }
}

#[tokio::test]
async fn the_server_shell_counts_per_peer_address() {
    let server = Running::start_with(demo_bin(), &[], &[("MCP_RATE_LIMIT", "3/m")]).await;
    let list = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).to_string();
    let mut statuses = Vec::new();
    for _ in 0..5 {
        let r = mcp_handler_tests::http(server.addr, "POST", "/mcp", &MCP_HEADERS, &list).await.expect("answer");
        statuses.push(r.status.as_u16());
        if r.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(r.header("retry-after").is_some());
        }
    }
    assert_eq!(statuses, [200, 200, 200, 429, 429]);
}
