//! A failing OS random source: building the endpoint fails, and a request
//! that needs a fresh token (a session id, SSE event ids) is answered
//! 503 with -32603. Nothing falls back to the clock or to addresses.

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use serde_json::Value;
use tower::ServiceExt as _;

use crate::util::fail_random_on_this_thread;
use crate::{EndpointConfig, InMemorySessionStore, McpService, NoArgs, RequestContext, RequestStateKey, Router, Tool};

/// Makes the random source fail on this thread until dropped.
struct Failing;

impl Failing {
    fn start() -> Self {
        fail_random_on_this_thread(true);
        Self
    }
}

impl Drop for Failing {
    fn drop(&mut self) {
        fail_random_on_this_thread(false);
    }
}

fn router() -> Router {
    let tool = Tool::builder("t").description("d").handler(|_c: RequestContext, _: NoArgs| async { "ok" });
    Router::builder("r", "1").tool(tool).build().unwrap()
}

fn sessions() -> EndpointConfig {
    EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new()))
}

async fn send(
    svc: &McpService,
    method: http::Method,
    body: &str,
    accept: &str,
    sid: Option<&str>,
) -> (StatusCode, Value, bool) {
    let mut b = Request::builder()
        .method(method)
        .uri("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", accept);
    if let Some(s) = sid {
        b = b.header("mcp-session-id", s);
    }
    let resp = svc.clone().oneshot(b.body(Full::new(Bytes::from(body.to_owned()))).unwrap()).await.unwrap();
    let status = resp.status();
    let has_sid = resp.headers().contains_key("mcp-session-id");
    let bytes = resp.into_body().collect().await.unwrap().to_bytes();
    (status, serde_json::from_slice(&bytes).unwrap_or(Value::Null), has_sid)
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-11-25"}}"#;
const CALL: &str = r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"t","arguments":{}}}"#;

#[test]
fn start_up_fails_rather_than_use_weaker_entropy() {
    let _failing = Failing::start();
    assert!(RequestStateKey::generate().is_err());
    assert!(McpService::try_new(router(), EndpointConfig::default()).is_err());
    let key = RequestStateKey::from_bytes(&[7; 32]).unwrap();
    let configured = EndpointConfig::default().with_request_state_key(key);
    assert!(McpService::try_new(router(), configured).is_err(), "request ids to clients need random bytes too");
}

#[tokio::test]
async fn requests_that_need_a_token_get_503() {
    let svc = McpService::try_new(router(), sessions()).unwrap();
    let sid = {
        let req = Request::post("/mcp")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .header("accept", "application/json")
            .body(Full::new(Bytes::from_static(INIT.as_bytes())))
            .unwrap();
        let resp = svc.clone().oneshot(req).await.unwrap();
        resp.headers()["mcp-session-id"].to_str().unwrap().to_owned()
    };

    let _failing = Failing::start();
    let (status, body, has_sid) = send(&svc, http::Method::POST, INIT, "application/json", None).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (StatusCode::SERVICE_UNAVAILABLE, Some(-32603)));
    assert_eq!(body["id"], 1, "the id is echoed");
    assert!(!has_sid, "no session id is made from weaker entropy");

    let (status, body, _) = send(&svc, http::Method::POST, CALL, "text/event-stream", Some(&sid)).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (StatusCode::SERVICE_UNAVAILABLE, Some(-32603)));
    assert_eq!(body["id"], 2);

    let (status, body, _) = send(&svc, http::Method::GET, "", "text/event-stream", Some(&sid)).await;
    assert_eq!((status, body["error"]["code"].as_i64()), (StatusCode::SERVICE_UNAVAILABLE, Some(-32603)));

    let (status, body, _) = send(&svc, http::Method::POST, CALL, "application/json", Some(&sid)).await;
    assert_eq!(
        (status, &body["result"]["content"][0]["text"]),
        (StatusCode::OK, &Value::from("ok")),
        "JSON needs no token"
    );
}

#[test]
fn a_generated_key_is_regenerated_and_a_configured_one_kept() {
    let generated = McpService::try_new(router(), EndpointConfig::default()).unwrap();
    let before = generated.generated_state_key_id().unwrap();
    assert!(before.starts_with("k-") && before.len() == 10, "{before}");
    let after = generated.regenerate_state_key().unwrap().unwrap();
    assert_ne!(before, after, "a fresh key");
    assert_eq!(generated.generated_state_key_id().as_deref(), Some(after.as_str()));
    // With no random source the old key stays (the caller fails the restore).
    {
        let _failing = Failing::start();
        assert!(generated.regenerate_state_key().is_err());
    }
    assert_eq!(generated.generated_state_key_id().as_deref(), Some(after.as_str()));

    let key = RequestStateKey::from_bytes(&[7; 32]).unwrap();
    let configured = McpService::try_new(router(), EndpointConfig::default().with_request_state_key(key)).unwrap();
    assert_eq!(configured.generated_state_key_id(), None);
    assert_eq!(configured.regenerate_state_key().unwrap(), None, "a configured key is the fleet's: kept");
    generated.replace_state_key(RequestStateKey::from_bytes(&[8; 32]).unwrap());
    assert_eq!(generated.generated_state_key_id(), None, "a replaced key counts as configured");
}
