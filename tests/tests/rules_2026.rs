//! The 2026-07-28 generation on the same endpoint, in-process: routing
//! headers, `_meta`, discovery, result decoration, input-required rounds
//! with sealed state, subscriptions, and cancellation by closing.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::{BodyExt as _, Full};
use mcp_handler::{EndpointConfig, InMemorySessionStore, McpService, RequestStateKey};
use mcp_handler_tests::{Reply, call, sse_messages};
use serde_json::{Value, json};
use tower::ServiceExt as _;

fn service(config: EndpointConfig) -> McpService {
    McpService::new(mcp_handler_examples::everything::router().unwrap(), config)
}

fn meta(caps: Value) -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "tests", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": caps,
    })
}

/// A conformant 2026 request: headers mirror the body.
fn request(id: u64, method: &str, mut params: Value) -> Request<Full<Bytes>> {
    if params.get("_meta").is_none() {
        params["_meta"] = meta(json!({ "elicitation": {}, "sampling": {}, "roots": {} }));
    }
    let name = params.get("name").or_else(|| params.get("uri")).and_then(Value::as_str).map(str::to_owned);
    let body = json!({ "jsonrpc": "2.0", "id": id, "method": method, "params": params });
    let mut b = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("accept", "application/json, text/event-stream")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", method);
    if let Some(n) = name.filter(|_| matches!(method, "tools/call" | "resources/read" | "prompts/get")) {
        b = b.header("mcp-name", n);
    }
    b.body(Full::new(Bytes::from(body.to_string()))).unwrap()
}

fn with_header(mut req: Request<Full<Bytes>>, k: &'static str, v: &str) -> Request<Full<Bytes>> {
    req.headers_mut().insert(k, http::HeaderValue::from_str(v).unwrap());
    req
}

fn without_header(mut req: Request<Full<Bytes>>, k: &str) -> Request<Full<Bytes>> {
    req.headers_mut().remove(k);
    req
}

/// The JSON-RPC message of a reply, JSON or single-response SSE.
fn message(r: &Reply) -> Value {
    if r.header("content-type") == Some("text/event-stream") { r.sse_messages().pop().unwrap() } else { r.json() }
}

#[tokio::test]
async fn discover_describes_the_server_for_both_generations() {
    let r = call(&service(EndpointConfig::default()), request(1, "server/discover", json!({}))).await;
    assert_eq!(r.status, StatusCode::OK);
    let result = &r.json()["result"];
    assert_eq!(result["resultType"], "complete");
    let versions: Vec<&str> =
        result["supportedVersions"].as_array().unwrap().iter().map(|v| v.as_str().unwrap()).collect();
    assert_eq!(versions, ["2026-07-28", "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05"]);
    assert_eq!(result["_meta"]["io.modelcontextprotocol/serverInfo"]["name"], "mcp-handler-everything");
    assert!(result["capabilities"]["tools"].is_object());
    assert!(result["ttlMs"].as_u64().is_some() && result["cacheScope"] == "public");
}

#[tokio::test]
async fn results_carry_result_type_server_info_and_cache_hints() {
    let svc = service(EndpointConfig::default());
    let list = call(&svc, request(1, "tools/list", json!({}))).await.json();
    assert_eq!(list["result"]["resultType"], "complete");
    assert!(list["result"]["_meta"]["io.modelcontextprotocol/serverInfo"].is_object());
    assert!(list["result"]["ttlMs"].is_u64());
    let read = call(&svc, request(2, "resources/read", json!({ "uri": "test://static-text" }))).await.json();
    assert_eq!(read["result"]["cacheScope"], "private");
    assert_eq!(read["result"]["ttlMs"], 0);
    let tool =
        message(&call(&svc, request(3, "tools/call", json!({ "name": "test_simple_text", "arguments": {} }))).await);
    assert_eq!(tool["result"]["resultType"], "complete");
    assert_eq!(tool["result"]["content"][0]["text"], "This is a simple text response for testing.");
    assert!(tool["result"].get("ttlMs").is_none(), "tool results are not cacheable");
}

#[tokio::test]
async fn routing_headers_must_match_the_body() {
    let svc = service(EndpointConfig::default());
    let code = |r: &Reply| (r.status, r.error_code());
    let tool = || request(1, "tools/call", json!({ "name": "test_simple_text", "arguments": {} }));
    let missing_method = call(&svc, without_header(tool(), "mcp-method")).await;
    assert_eq!(code(&missing_method), (StatusCode::BAD_REQUEST, -32020));
    let wrong_method = call(&svc, with_header(tool(), "mcp-method", "tools/list")).await;
    assert_eq!(code(&wrong_method), (StatusCode::BAD_REQUEST, -32020));
    let missing_name = call(&svc, without_header(tool(), "mcp-name")).await;
    assert_eq!(code(&missing_name), (StatusCode::BAD_REQUEST, -32020));
    let wrong_name = call(&svc, with_header(tool(), "mcp-name", "test_image_content")).await;
    assert_eq!(code(&wrong_name), (StatusCode::BAD_REQUEST, -32020));
    assert_eq!(wrong_name.json()["id"], 1, "errors echo the request id");
    let encoded = call(&svc, with_header(tool(), "mcp-name", "=?base64?dGVzdF9zaW1wbGVfdGV4dA==?=")).await;
    assert_eq!(encoded.status, StatusCode::OK, "base64 sentinel values are decoded: {}", encoded.text());

    let param = |v: Option<&str>| {
        let req =
            request(2, "tools/call", json!({ "name": "test_header_param", "arguments": { "region": "us-west1" } }));
        match v {
            Some(v) => with_header(req, "mcp-param-region", v),
            None => req,
        }
    };
    assert_eq!(call(&svc, param(Some("us-west1"))).await.status, StatusCode::OK);
    assert_eq!(call(&svc, param(Some("=?base64?dXMtd2VzdDE=?="))).await.status, StatusCode::OK);
    assert_eq!(code(&call(&svc, param(Some("eu-west1"))).await), (StatusCode::BAD_REQUEST, -32020));
    assert_eq!(code(&call(&svc, param(None)).await), (StatusCode::BAD_REQUEST, -32020));
}

#[tokio::test]
async fn meta_and_versions_are_validated() {
    let svc = service(EndpointConfig::default());
    let no_meta = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("mcp-protocol-version", "2026-07-28")
        .header("mcp-method", "server/discover")
        .body(Full::new(Bytes::from(r#"{"jsonrpc":"2.0","id":7,"method":"server/discover","params":{}}"#)))
        .unwrap();
    let r = call(&svc, no_meta).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32602));
    let mut m = meta(json!({}));
    m.as_object_mut().unwrap().remove("io.modelcontextprotocol/clientCapabilities");
    let r = call(&svc, request(8, "server/discover", json!({ "_meta": m }))).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32602));
    let mut m = meta(json!({}));
    m.as_object_mut().unwrap().remove("io.modelcontextprotocol/clientInfo");
    assert_eq!(call(&svc, request(9, "server/discover", json!({ "_meta": m }))).await.status, StatusCode::OK);

    let mut m = meta(json!({}));
    m["io.modelcontextprotocol/protocolVersion"] = json!("2099-01-01");
    let r = call(
        &svc,
        with_header(
            request(10, "server/discover", json!({ "_meta": m.clone() })),
            "mcp-protocol-version",
            "2099-01-01",
        ),
    )
    .await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32022));
    assert_eq!(r.json()["id"], 10);
    assert_eq!(r.json()["error"]["data"]["requested"], "2099-01-01");
    assert!(r.json()["error"]["data"]["supported"].as_array().unwrap().contains(&json!("2026-07-28")));
    let mismatch = call(&svc, request(11, "server/discover", json!({ "_meta": m }))).await;
    assert_eq!((mismatch.status, mismatch.error_code()), (StatusCode::BAD_REQUEST, -32020));
    let no_header = call(&svc, without_header(request(12, "server/discover", json!({})), "mcp-protocol-version")).await;
    assert_eq!((no_header.status, no_header.error_code()), (StatusCode::BAD_REQUEST, -32020));
}

/// By-position params cannot hold `_meta`: the 400 with -32602 of every
/// request whose `_meta` is missing, with the id echoed, even when the
/// array's first member looks like a `_meta` object.
#[tokio::test]
async fn by_position_params_are_invalid_params() {
    let svc = service(EndpointConfig::default());
    for (id, params) in [(21, json!([1, 2])), (22, json!([meta(json!({}))]))] {
        let body = json!({ "jsonrpc": "2.0", "id": id, "method": "tools/call", "params": params });
        let req = Request::post("/mcp")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .header("mcp-method", "tools/call")
            .body(Full::new(Bytes::from(body.to_string())))
            .unwrap();
        let r = call(&svc, req).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32602), "{}", r.text());
        assert_eq!(r.json()["id"], id);
    }
}

#[tokio::test]
async fn removed_and_unknown_methods_are_404() {
    let svc = service(EndpointConfig::default());
    for method in ["initialize", "ping", "logging/setLevel", "resources/subscribe", "resources/unsubscribe", "no/such"]
    {
        let r = call(&svc, request(5, method, json!({}))).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, -32601), "{method}");
        assert_eq!(r.json()["id"], 5);
    }
    let missing = call(&svc, request(6, "resources/read", json!({ "uri": "test://nope" }))).await;
    assert_eq!(missing.json()["error"]["code"], -32602, "2026 resource-not-found is -32602");
}

#[tokio::test]
async fn initialize_with_the_2026_header_is_told_to_discover() {
    let svc = service(EndpointConfig::default());
    let params = json!({
        "protocolVersion": "2026-07-28",
        "capabilities": {},
        "clientInfo": { "name": "tests", "version": "1" },
    });
    let r = call(&svc, request(7, "initialize", params)).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::NOT_FOUND, -32601), "{}", r.text());
    let message = r.json()["error"]["message"].as_str().unwrap().to_owned();
    assert!(message.contains("server/discover") && message.contains("initialize"), "{message}");
    let ping = call(&svc, request(8, "ping", json!({}))).await;
    assert_eq!(ping.json()["error"]["message"], "Method not found: ping");
}

#[tokio::test]
async fn sessions_get_and_delete_do_not_exist_for_2026_clients() {
    let svc = service(EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new())));
    let r = call(&svc, with_header(request(1, "tools/list", json!({})), "mcp-session-id", "whatever")).await;
    assert_eq!(r.status, StatusCode::OK, "a session id is ignored, not required");
    assert!(r.header("mcp-session-id").is_none(), "none is minted");
    for method in ["GET", "DELETE"] {
        let req = Request::builder()
            .method(method)
            .uri("/mcp")
            .header("host", "localhost")
            .header("accept", "text/event-stream")
            .header("mcp-protocol-version", "2026-07-28")
            .body(Full::new(Bytes::new()))
            .unwrap();
        assert_eq!(call(&svc, req).await.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
    }
    let batch = with_header(
        Request::post("/mcp")
            .header("host", "localhost")
            .header("content-type", "application/json")
            .body(Full::new(Bytes::from_static(br#"[{"jsonrpc":"2.0","id":1,"method":"tools/list"}]"#)))
            .unwrap(),
        "mcp-protocol-version",
        "2026-07-28",
    );
    assert_eq!(call(&svc, batch).await.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn logs_flow_only_at_the_level_the_request_asks() {
    let svc = service(EndpointConfig::default());
    let quiet = call(&svc, request(1, "tools/call", json!({ "name": "test_logging_tool", "arguments": {} }))).await;
    assert_eq!(quiet.header("content-type"), Some("application/json"), "no logLevel, no notifications/message");
    let mut m = meta(json!({}));
    m["io.modelcontextprotocol/logLevel"] = json!("info");
    let loud =
        call(&svc, request(2, "tools/call", json!({ "name": "test_logging_tool", "arguments": {}, "_meta": m }))).await;
    let msgs = loud.sse_messages();
    assert_eq!(msgs.iter().filter(|m| m["method"] == "notifications/message").count(), 3);
    assert!(!loud.text().contains("\nid:"), "2026 streams carry no event ids");
    assert_eq!(loud.header("x-accel-buffering"), Some("no"));
}

#[tokio::test]
async fn elicitation_becomes_an_input_required_round_trip_on_any_instance() {
    // Two instances sharing a key, as in a fleet: the second finishes
    // what the first started, with no shared memory.
    let key = RequestStateKey::generate().unwrap();
    let a = service(EndpointConfig::default().with_request_state_key(key.clone()));
    let b = service(EndpointConfig::default().with_request_state_key(key));
    let tool = json!({ "name": "test_input_required_result_multi_round", "arguments": {} });
    let r1 = message(&call(&a, request(1, "tools/call", tool.clone())).await);
    assert_eq!(r1["result"]["resultType"], "input_required");
    assert_eq!(r1["result"]["inputRequests"]["step1"]["method"], "elicitation/create");
    let state1 = r1["result"]["requestState"].as_str().unwrap().to_owned();

    let mut retry = tool.clone();
    retry["inputResponses"] = json!({ "step1": { "action": "accept", "content": { "name": "Ada" } } });
    retry["requestState"] = json!(state1);
    let r2 = message(&call(&b, request(2, "tools/call", retry)).await);
    assert_eq!(r2["result"]["inputRequests"]["step2"]["method"], "elicitation/create");
    let state2 = r2["result"]["requestState"].as_str().unwrap().to_owned();

    let mut last = tool.clone();
    last["inputResponses"] = json!({ "step2": { "action": "accept", "content": { "color": "green" } } });
    last["requestState"] = json!(state2.clone());
    let r3 = message(&call(&a, request(3, "tools/call", last.clone())).await);
    assert_eq!(r3["result"]["resultType"], "complete");
    assert_eq!(r3["result"]["content"][0]["text"], "Ada likes green", "the first answer travelled in the state");

    // A tampered state, a state from another key, or a state replayed on
    // different arguments are refused.
    let mut tampered = last.clone();
    tampered["requestState"] = json!(format!("{state2}x"));
    assert_eq!(message(&call(&a, request(4, "tools/call", tampered)).await)["error"]["code"], -32602);
    let other = service(EndpointConfig::default());
    assert_eq!(message(&call(&other, request(5, "tools/call", last.clone())).await)["error"]["code"], -32602);
    let mut moved = last;
    moved["arguments"] = json!({ "smuggled": true });
    let r = message(&call(&a, request(6, "tools/call", moved)).await);
    assert_eq!(r["error"]["code"], -32602);
    assert!(r["error"]["message"].as_str().unwrap().contains("different request"));
}

#[tokio::test]
async fn undeclared_capabilities_and_bad_answers_are_protocol_errors() {
    let svc = service(EndpointConfig::default());
    let call_with = |id, name: &str, caps: Value, extra: Value| {
        let mut p = json!({ "name": name, "arguments": {}, "_meta": meta(caps) });
        if let Value::Object(e) = extra {
            p.as_object_mut().unwrap().extend(e);
        }
        request(id, "tools/call", p)
    };
    let r = call(&svc, call_with(1, "test_missing_capability", json!({}), json!({}))).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32021));
    assert_eq!(r.json()["error"]["data"]["requiredCapabilities"], json!({ "sampling": {} }));
    let bad = json!({ "inputResponses": { "user_name": 12345 } });
    let r = message(
        &call(&svc, call_with(2, "test_input_required_result_elicitation", json!({ "elicitation": {} }), bad)).await,
    );
    assert_eq!(r["error"]["code"], -32602);
    let null = json!({ "inputResponses": null });
    let r = message(
        &call(&svc, call_with(3, "test_input_required_result_elicitation", json!({ "elicitation": {} }), null)).await,
    );
    assert_eq!(r["error"]["code"], -32602);
}

#[tokio::test]
async fn listen_streams_acknowledge_filter_and_close_gracefully() {
    let svc = service(EndpointConfig::default());
    let req = request(
        42,
        "subscriptions/listen",
        json!({ "notifications": { "toolsListChanged": true, "resourceSubscriptions": ["test://static-text", "test://unknown"] } }),
    );
    let resp = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let first = tokio::time::timeout(Duration::from_secs(5), body.frame()).await.unwrap().unwrap().unwrap();
    let ack = sse_messages(&String::from_utf8_lossy(first.data_ref().unwrap())).pop().unwrap();
    assert_eq!(ack["method"], "notifications/subscriptions/acknowledged");
    assert_eq!(ack["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 42);
    assert_eq!(
        ack["params"]["notifications"]["resourceSubscriptions"],
        json!(["test://static-text"]),
        "only what can be honoured"
    );
    let notifier = svc.notifier();
    assert_eq!(notifier.prompts_list_changed(), 0, "not asked for");
    assert_eq!(notifier.tools_list_changed(), 1);
    assert_eq!(notifier.resource_updated("test://static-text").await, 1);
    svc.begin_shutdown();
    let rest = tokio::time::timeout(Duration::from_secs(5), body.collect()).await.unwrap().unwrap().to_bytes();
    let msgs = sse_messages(&String::from_utf8_lossy(&rest));
    assert_eq!(msgs[0]["method"], "notifications/tools/list_changed");
    assert_eq!(msgs[1]["params"]["uri"], "test://static-text");
    assert!(msgs.iter().take(2).all(|m| m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"] == 42));
    assert_eq!(msgs[2]["id"], 42, "a graceful close answers the listen request");
    assert_eq!(msgs[2]["result"]["_meta"]["io.modelcontextprotocol/subscriptionId"], 42);
}

#[tokio::test]
async fn a_closed_response_stream_cancels_the_handler() {
    use mcp_handler::{NoArgs, RequestContext, Router, Tool};
    use std::sync::atomic::{AtomicBool, Ordering};
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let router = Router::builder("c", "1")
        .tool(Tool::builder("slow").description("slow").handler(move |ctx: RequestContext, _: NoArgs| {
            let flag = flag.clone();
            async move {
                ctx.progress(0.0, None, None);
                tokio::time::sleep(Duration::from_millis(300)).await;
                flag.store(true, Ordering::SeqCst);
                "done"
            }
        }))
        .build()
        .unwrap();
    let svc = McpService::new(router, EndpointConfig::default());
    let mut m = meta(json!({}));
    m["progressToken"] = json!("p");
    let resp = svc
        .clone()
        .oneshot(request(1, "tools/call", json!({ "name": "slow", "arguments": {}, "_meta": m })))
        .await
        .unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let _progress = body.frame().await.unwrap().unwrap();
    drop(body);
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert!(!finished.load(Ordering::SeqCst), "closing the stream stopped the handler");
}
