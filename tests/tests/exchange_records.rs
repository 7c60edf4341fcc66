//! The per-request record a shell logs and counts (`Exchange`), as the
//! endpoint fills it: method, name, id, outcome, version, session and the
//! reason of a refusal; absent when the shell did not ask for it.

#![allow(clippy::unwrap_used)]

use bytes::Bytes;
use http::Response;
use http_body_util::Full;
use mcp_handler::outcome::Outcome;
use mcp_handler::{EndpointConfig, Exchange, InMemorySessionStore, McpBody, McpService};
use mcp_handler_tests::{initialize_body, post};
use serde_json::json;
use tower::ServiceExt as _;

fn service(records: bool) -> McpService {
    McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default()
            .with_session_store(std::sync::Arc::new(InMemorySessionStore::new()))
            .with_exchange_records(records),
    )
}

async fn send(svc: &McpService, req: http::Request<Full<Bytes>>) -> Response<McpBody> {
    svc.clone().oneshot(req).await.unwrap()
}

fn body(v: serde_json::Value) -> Full<Bytes> {
    Full::new(Bytes::from(v.to_string()))
}

#[tokio::test]
async fn calls_errors_and_refusals_are_recorded_and_arguments_are_not() {
    let svc = service(true);
    let init = send(&svc, post().body(Full::new(Bytes::from(initialize_body("2025-11-25")))).unwrap()).await;
    let x = Exchange::of(&init).unwrap();
    assert_eq!((x.method, x.protocol_version), (Some("initialize"), None));
    let session = x.session.clone().expect("the new session");

    let call = json!({"jsonrpc": "2.0", "id": "c-1", "method": "tools/call",
        "params": {"name": "test_simple_text", "arguments": {"secret": "do-not-record"}}});
    let req = post().header("mcp-session-id", &*session).header("mcp-protocol-version", "2025-11-25");
    let resp = send(&svc, req.body(body(call)).unwrap()).await;
    let x = Exchange::of(&resp).unwrap();
    assert_eq!(x.method, Some("tools/call"));
    assert_eq!(x.name.as_deref(), Some("test_simple_text"));
    assert_eq!(x.request_id.as_deref(), Some("c-1"));
    assert_eq!(x.outcome, Some(Outcome::Ok));
    assert_eq!(x.protocol_version, Some("2025-11-25"));
    assert_eq!(x.session.as_deref(), Some(&*session));
    assert!(!format!("{x:?}").contains("do-not-record"));

    let unknown = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": "nope"}});
    let req = post().header("mcp-session-id", &*session).header("mcp-protocol-version", "2025-11-25");
    let resp = send(&svc, req.body(body(unknown)).unwrap()).await;
    let x = Exchange::of(&resp).unwrap();
    assert_eq!((x.name.as_deref(), x.outcome), (Some("nope"), Some(Outcome::Error(-32602))));

    let bad_host = http::Request::post("/mcp")
        .header("host", "evil.example")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .body(body(json!({})))
        .unwrap();
    let resp = send(&svc, bad_host).await;
    assert_eq!(resp.status(), http::StatusCode::FORBIDDEN);
    let r = Exchange::of(&resp).unwrap().refusal.unwrap();
    assert_eq!(r.reason, "host");
    assert!(r.hint.unwrap().contains("MCP_ALLOWED_HOSTS"));

    let text = http::Request::post("/mcp").header("host", "127.0.0.1:8080").body(body(json!({}))).unwrap();
    let resp = send(&svc, text).await;
    assert_eq!(Exchange::of(&resp).unwrap().refusal.unwrap().reason, "content_type");
}

#[tokio::test]
async fn without_the_setting_nothing_is_recorded() {
    let svc = service(false);
    let ping = json!({"jsonrpc": "2.0", "id": 1, "method": "ping"});
    let resp = send(&svc, post().body(body(ping)).unwrap()).await;
    assert!(Exchange::of(&resp).is_none());
}
