//! Every streamable-HTTP rule of the 2025 generation, checked in-process
//! with `oneshot` against the `everything` router.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use mcp_handler::{
    EndpointConfig, HostPolicy, InMemorySessionStore, McpService, NoArgs, OriginPolicy, RequestContext, ResponseMode,
    Router, SseMode, Tool,
};
use mcp_handler_tests::{call, initialize_body, open_session, post, post_json};
use serde_json::json;

fn no_sessions() -> McpService {
    McpService::new(mcp_handler_examples::everything::router().unwrap(), EndpointConfig::default())
}

fn with_sessions() -> McpService {
    McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new())),
    )
}

fn tool_call(id: u32, name: &str) -> String {
    json!({"jsonrpc":"2.0","id":id,"method":"tools/call","params":{"name":name,"arguments":{}}}).to_string()
}

#[tokio::test]
async fn a_plain_request_is_answered_with_json() {
    let r = post_json(&no_sessions(), &tool_call(1, "test_simple_text"), &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["result"]["content"][0]["text"], "This is a simple text response for testing.");
    assert_eq!(r.json()["id"], 1);
}

#[tokio::test]
async fn notifications_and_responses_get_202_and_no_body() {
    let svc = no_sessions();
    let n = post_json(&svc, r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#, &[]).await;
    assert_eq!(n.status, StatusCode::ACCEPTED);
    assert!(n.body.is_empty());
    let r = post_json(&svc, r#"{"jsonrpc":"2.0","id":"x","result":{}}"#, &[]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.body.is_empty());
}

#[tokio::test]
async fn a_handler_that_emits_switches_to_sse_with_priming_on_2025_11_25() {
    let svc = no_sessions();
    let body = json!({"jsonrpc":"2.0","id":7,"method":"tools/call",
        "params":{"name":"test_tool_with_progress","_meta":{"progressToken":"tok"}}})
    .to_string();
    let r = post_json(&svc, &body, &[("mcp-protocol-version", "2025-11-25")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.header("x-accel-buffering"), Some("no"));
    let text = r.text();
    let first = text.split("\n\n").next().unwrap();
    assert!(first.contains("id: ") && first.contains("retry: ") && first.contains("data: "), "priming first: {first}");
    let msgs = r.sse_messages();
    let progress: Vec<f64> = msgs
        .iter()
        .filter(|m| m["method"] == "notifications/progress")
        .map(|m| {
            assert_eq!(m["params"]["progressToken"], "tok");
            m["params"]["progress"].as_f64().unwrap()
        })
        .collect();
    assert_eq!(progress, [0.0, 50.0, 100.0]);
    assert_eq!(msgs.last().unwrap()["id"], 7, "the response comes last");

    let old = post_json(&svc, &body, &[("mcp-protocol-version", "2025-06-18")]).await;
    assert!(!old.text().contains("retry:"), "no priming event for clients older than 2025-11-25");
}

#[tokio::test]
async fn sse_always_streams_even_plain_tools() {
    let svc = McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default().with_sse_mode(SseMode::Always),
    );
    let r = post_json(&svc, &tool_call(1, "test_simple_text"), &[]).await;
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    assert_eq!(r.sse_messages().last().unwrap()["result"]["content"][0]["type"], "text");
}

#[tokio::test]
async fn a_json_only_client_gets_json_and_no_back_channel() {
    let svc = no_sessions();
    let accept_json = [("accept", "application/json")];
    let r = post_json(&svc, &tool_call(1, "test_tool_with_logging"), &accept_json).await;
    assert_eq!(r.header("content-type"), Some("application/json"), "{}", r.text());
    assert_eq!(r.json()["result"]["content"][0]["text"], "Tool with logging executed successfully");

    let elicit = json!({"jsonrpc":"2.0","id":2,"method":"tools/call",
        "params":{"name":"test_elicitation","arguments":{"message":"hi"}}})
    .to_string();
    let r = post_json(&svc, &elicit, &accept_json).await;
    assert_eq!(r.json()["result"]["isError"], true);
    assert!(r.json()["result"]["content"][0]["text"].as_str().unwrap().contains("no back channel"));
}

#[tokio::test]
async fn an_sse_only_client_gets_even_plain_answers_as_sse() {
    let svc = no_sessions();
    let only_sse = [("accept", "text/event-stream")];
    for body in [tool_call(1, "test_simple_text"), r#"{"jsonrpc":"2.0","id":2,"method":"tools/list"}"#.to_owned()] {
        let r = post_json(&svc, &body, &only_sse).await;
        assert_eq!(r.header("content-type"), Some("text/event-stream"), "{body}");
        assert!(r.sse_messages().last().unwrap().get("result").is_some());
    }
}

#[tokio::test]
async fn buffered_mode_sends_one_complete_sse_body_and_refuses_client_requests() {
    let svc = McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default().with_response_mode(ResponseMode::Buffered),
    );
    let r = post_json(&svc, &tool_call(1, "test_tool_with_logging"), &[]).await;
    assert_eq!(r.header("content-type"), Some("text/event-stream"));
    let msgs = r.sse_messages();
    assert_eq!(msgs.len(), 4, "three logs then the result: {msgs:?}");
    assert_eq!(msgs[0]["params"]["data"], "Tool execution started");
    assert!(r.header("content-length").is_none() || !r.body.is_empty());
    let plain = post_json(&svc, &tool_call(2, "test_simple_text"), &[]).await;
    assert_eq!(plain.header("content-type"), Some("application/json"));
    let sample = json!({"jsonrpc":"2.0","id":3,"method":"tools/call",
        "params":{"name":"test_sampling","arguments":{"prompt":"p"}}})
    .to_string();
    let r = post_json(&svc, &sample, &[]).await;
    assert_eq!(r.header("content-type"), Some("application/json"));
    assert_eq!(r.json()["result"]["isError"], true);
}

#[tokio::test]
async fn get_and_delete_are_405_without_sessions() {
    let svc = no_sessions();
    for method in ["GET", "DELETE", "PUT", "PATCH"] {
        let req = Request::builder()
            .method(method)
            .uri("/mcp")
            .header("host", "localhost")
            .header("accept", "text/event-stream")
            .body(Full::new(Bytes::new()))
            .unwrap();
        let r = call(&svc, req).await;
        assert_eq!(r.status, StatusCode::METHOD_NOT_ALLOWED, "{method}");
        assert_eq!(r.header("allow"), Some("POST"));
        assert_eq!(r.error_code(), -32600);
    }
}

#[tokio::test]
async fn sessions_are_issued_required_and_ended() {
    let svc = with_sessions();
    let sid = open_session(&svc, "2025-11-25").await;
    assert!(sid.len() >= 16 && sid.bytes().all(|b| (0x21..=0x7e).contains(&b)), "visible ASCII, unguessable: {sid}");

    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let missing = post_json(&svc, ping, &[]).await;
    assert_eq!(missing.status, StatusCode::BAD_REQUEST);
    assert_eq!(missing.error_code(), -32600);
    let unknown = post_json(&svc, ping, &[("mcp-session-id", "nope")]).await;
    assert_eq!(unknown.status, StatusCode::NOT_FOUND);
    let ok = post_json(&svc, ping, &[("mcp-session-id", &sid)]).await;
    assert_eq!(ok.status, StatusCode::OK);
    assert_eq!(ok.json()["result"], json!({}));

    let del = Request::delete("/mcp").header("host", "localhost").header("mcp-session-id", &sid);
    let r = call(&svc, del.body(Full::new(Bytes::new())).unwrap()).await;
    assert_eq!(r.status, StatusCode::OK);
    let after = post_json(&svc, ping, &[("mcp-session-id", &sid)]).await;
    assert_eq!(after.status, StatusCode::NOT_FOUND, "an ended session is unknown");
}

#[tokio::test]
async fn get_streams_follow_the_session_rules() {
    let svc = with_sessions();
    let sid = open_session(&svc, "2025-11-25").await;
    let get = |sid: Option<&str>, accept: &str| {
        let mut b = Request::get("/mcp").header("host", "localhost").header("accept", accept);
        if let Some(s) = sid {
            b = b.header("mcp-session-id", s);
        }
        b.body(Full::new(Bytes::new())).unwrap()
    };
    assert_eq!(call(&svc, get(Some(&sid), "application/json")).await.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(call(&svc, get(None, "text/event-stream")).await.status, StatusCode::BAD_REQUEST);
    assert_eq!(call(&svc, get(Some("nope"), "text/event-stream")).await.status, StatusCode::NOT_FOUND);

    use tower::ServiceExt as _;
    let open = svc.clone().oneshot(get(Some(&sid), "text/event-stream")).await.unwrap();
    assert_eq!(open.status(), StatusCode::OK);
    assert_eq!(open.headers()["content-type"], "text/event-stream");
    let second = call(&svc, get(Some(&sid), "text/event-stream")).await;
    assert_eq!(second.status, StatusCode::CONFLICT, "one GET stream per session");

    // A resource update reaches the subscribed session's stream.
    let sub = r#"{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"test://watched-resource"}}"#;
    assert_eq!(post_json(&svc, sub, &[("mcp-session-id", &sid)]).await.json()["result"], json!({}));
    assert_eq!(svc.notifier().resource_updated("test://watched-resource").await, 1);
    svc.begin_shutdown();
    use http_body_util::BodyExt as _;
    let body = tokio::time::timeout(Duration::from_secs(5), open.into_body().collect()).await.unwrap().unwrap();
    let msgs = mcp_handler_tests::sse_messages(&String::from_utf8_lossy(&body.to_bytes()));
    assert_eq!(msgs[0]["method"], "notifications/resources/updated");
    assert_eq!(msgs[0]["params"]["uri"], "test://watched-resource");
}

#[tokio::test]
async fn protocol_version_header_is_checked() {
    let svc = no_sessions();
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let bad = post_json(&svc, ping, &[("mcp-protocol-version", "1999-01-01")]).await;
    assert_eq!(bad.status, StatusCode::BAD_REQUEST);
    assert!(bad.text().contains("2025-11-25"), "lists what is supported: {}", bad.text());
    for v in ["2025-03-26", "2025-06-18", "2025-11-25"] {
        assert_eq!(post_json(&svc, ping, &[("mcp-protocol-version", v)]).await.status, StatusCode::OK, "{v}");
    }
}

#[tokio::test]
async fn initialize_negotiates_the_version() {
    let svc = no_sessions();
    for (asked, got) in [
        ("2024-11-05", "2024-11-05"),
        ("2025-03-26", "2025-03-26"),
        ("2025-06-18", "2025-06-18"),
        ("2025-11-25", "2025-11-25"),
        ("2099-01-01", "2025-11-25"),
    ] {
        let r = post_json(&svc, &initialize_body(asked), &[]).await;
        assert_eq!(r.json()["result"]["protocolVersion"], got, "asked {asked}");
    }
    let r = post_json(&svc, &initialize_body("2025-11-25"), &[]).await;
    let result = r.json()["result"].clone();
    assert_eq!(result["serverInfo"]["name"], "mcp-handler-everything");
    for cap in ["tools", "resources", "prompts", "logging", "completions"] {
        assert!(result["capabilities"].get(cap).is_some(), "capability {cap} derived from the registry");
    }
    assert_eq!(result["capabilities"]["resources"]["subscribe"], false, "no GET stream without sessions");
    assert!(r.header("mcp-session-id").is_none(), "stateless by default");
}

#[tokio::test]
async fn host_and_origin_are_validated() {
    let svc = no_sessions();
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let req = |host: &str, origin: Option<&str>| {
        let mut b = Request::post("/mcp")
            .header("host", host)
            .header("content-type", "application/json")
            .header("accept", "application/json, text/event-stream");
        if let Some(o) = origin {
            b = b.header("origin", o);
        }
        b.body(Full::new(Bytes::from_static(ping.as_bytes()))).unwrap()
    };
    assert_eq!(call(&svc, req("evil.example.com", None)).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&svc, req("localhost:8080", Some("http://evil.example.com"))).await.status, StatusCode::FORBIDDEN);
    assert_eq!(call(&svc, req("localhost:8080", Some("http://localhost:3000"))).await.status, StatusCode::OK);
    let open = McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default()
            .with_host_policy(HostPolicy::Any)
            .with_origin_policy(OriginPolicy::List(vec!["https://app.example.com".into()])),
    );
    assert_eq!(call(&open, req("mcp.example.com", None)).await.status, StatusCode::OK);
    assert_eq!(call(&open, req("mcp.example.com", Some("https://app.example.com"))).await.status, StatusCode::OK);
    let r = call(&open, req("mcp.example.com", Some("https://other.example.com"))).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert_eq!(r.error_code(), -32600);
}

#[tokio::test]
async fn bodies_over_the_limit_get_413_with_or_without_content_length() {
    use tower::ServiceExt as _;
    let svc = McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default().with_max_body_bytes(1024),
    );
    // Declared too large: refused before reading.
    let declared = post().header("content-length", "5000").body(Full::new(Bytes::from_static(b"{}"))).unwrap();
    let r = call(&svc, declared).await;
    assert_eq!(r.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(r.error_code(), -32600);
    // Undeclared (chunked): the limit is enforced while reading.
    let big = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"ping","params":{{"pad":"{}"}}}}"#, "x".repeat(2000));
    let chunks: Vec<Result<http_body::Frame<Bytes>, std::convert::Infallible>> =
        big.as_bytes().chunks(100).map(|c| Ok(http_body::Frame::data(Bytes::copy_from_slice(c)))).collect();
    let stream = http_body_util::StreamBody::new(futures_util::stream::iter(chunks));
    let resp = svc.clone().oneshot(post().body(stream).unwrap()).await.unwrap();
    assert_eq!(resp.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let fits = post_json(&svc, r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, &[]).await;
    assert_eq!(fits.status, StatusCode::OK);
}

#[tokio::test]
async fn content_type_and_accept_are_enforced() {
    let svc = no_sessions();
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let text_plain = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "text/plain")
        .body(Full::new(Bytes::from_static(ping.as_bytes())))
        .unwrap();
    assert_eq!(call(&svc, text_plain).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let no_type =
        Request::post("/mcp").header("host", "localhost").body(Full::new(Bytes::from_static(ping.as_bytes()))).unwrap();
    assert_eq!(call(&svc, no_type).await.status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    let with_charset = post_json(&svc, ping, &[]).await;
    assert_eq!(with_charset.status, StatusCode::OK);
    let html = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json; charset=utf-8")
        .header("accept", "text/html")
        .body(Full::new(Bytes::from_static(ping.as_bytes())))
        .unwrap();
    let r = call(&svc, html).await;
    assert_eq!(r.status, StatusCode::NOT_ACCEPTABLE);
    assert_eq!(r.error_code(), -32600);
}

#[tokio::test]
async fn batches_follow_the_negotiated_version() {
    let svc = no_sessions();
    let batch = r#"[{"jsonrpc":"2.0","id":1,"method":"ping"},
                    {"jsonrpc":"2.0","method":"notifications/initialized"},
                    {"jsonrpc":"2.0","id":2,"method":"nope"}]"#;
    let r = post_json(&svc, batch, &[("mcp-protocol-version", "2025-03-26")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let arr = r.json();
    assert_eq!(arr.as_array().unwrap().len(), 2, "one answer per request: {arr}");
    assert_eq!(arr[0]["result"], json!({}));
    assert_eq!(arr[1]["error"]["code"], -32601);
    let only_notes = post_json(&svc, r#"[{"jsonrpc":"2.0","method":"notifications/initialized"}]"#, &[]).await;
    assert_eq!(only_notes.status, StatusCode::ACCEPTED);
    let refused = post_json(&svc, batch, &[("mcp-protocol-version", "2025-06-18")]).await;
    assert_eq!(refused.status, StatusCode::BAD_REQUEST);
    assert_eq!(refused.error_code(), -32600);
    assert!(refused.text().contains("batches are not supported"));
    let empty = post_json(&svc, "[]", &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_panicking_tool_is_answered_and_the_server_keeps_serving() {
    let router = Router::builder("p", "1")
        .tool(Tool::builder("boom").description("panics").handler(|_c: RequestContext, _: NoArgs| async {
            if true {
                panic!("secret-ish detail that must stay in the log");
            }
            "unreachable"
        }))
        .tool(
            Tool::builder("boom_sync")
                .description("panics before its future")
                .handler(|_c: RequestContext, _: NoArgs| -> std::future::Ready<&'static str> { panic!("sync panic") }),
        )
        .tool(Tool::builder("fine").description("works").handler(|_c: RequestContext, _: NoArgs| async { "fine" }))
        .build()
        .unwrap();
    let svc = McpService::new(router, EndpointConfig::default());
    for name in ["boom", "boom_sync"] {
        let r = post_json(&svc, &tool_call(1, name), &[]).await;
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.error_code(), -32603, "{name}");
        assert!(!r.text().contains("secret-ish"), "panic payloads stay out of responses");
        assert!(r.text().contains(&format!("Internal error: {name} panicked")), "the tool is named: {}", r.text());
    }
    let r = post_json(&svc, &tool_call(2, "fine"), &[]).await;
    assert_eq!(r.json()["result"]["content"][0]["text"], "fine");
}

#[tokio::test]
async fn log_level_set_by_a_session_filters_log_notifications() {
    let svc = with_sessions();
    let sid = open_session(&svc, "2025-11-25").await;
    let set = r#"{"jsonrpc":"2.0","id":1,"method":"logging/setLevel","params":{"level":"warning"}}"#;
    assert_eq!(post_json(&svc, set, &[("mcp-session-id", &sid)]).await.json()["result"], json!({}));
    let r = post_json(&svc, &tool_call(2, "test_tool_with_logging"), &[("mcp-session-id", &sid)]).await;
    assert_eq!(r.header("content-type"), Some("application/json"), "info logs filtered, nothing streamed");
    let bad = r#"{"jsonrpc":"2.0","id":3,"method":"logging/setLevel","params":{"level":"loud"}}"#;
    assert_eq!(post_json(&svc, bad, &[("mcp-session-id", &sid)]).await.error_code(), -32602);
}

#[tokio::test]
async fn elicitation_round_trips_over_the_response_stream() {
    use http_body_util::BodyExt as _;
    use tower::ServiceExt as _;
    let svc = with_sessions();
    let sid = open_session(&svc, "2025-11-25").await;
    let call_req = post()
        .header("mcp-session-id", &sid)
        .body(Full::new(Bytes::from(
            json!({"jsonrpc":"2.0","id":5,"method":"tools/call",
                "params":{"name":"test_elicitation","arguments":{"message":"Who are you?"}}})
            .to_string(),
        )))
        .unwrap();
    let resp = svc.clone().oneshot(call_req).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream");
    let mut body = resp.into_body();
    let mut seen = String::new();
    let request = loop {
        let frame = tokio::time::timeout(Duration::from_secs(5), body.frame()).await.unwrap().unwrap().unwrap();
        seen.push_str(&String::from_utf8_lossy(frame.data_ref().unwrap()));
        if let Some(m) =
            mcp_handler_tests::sse_messages(&seen).into_iter().find(|m| m["method"] == "elicitation/create")
        {
            break m;
        }
    };
    assert_eq!(request["params"]["message"], "Who are you?");
    let answer = json!({"jsonrpc":"2.0","id":request["id"],
        "result":{"action":"accept","content":{"username":"ada","email":"ada@example.com"}}})
    .to_string();
    let r = post_json(&svc, &answer, &[("mcp-session-id", &sid)]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    let rest = tokio::time::timeout(Duration::from_secs(5), body.collect()).await.unwrap().unwrap().to_bytes();
    seen.push_str(&String::from_utf8_lossy(&rest));
    let last = mcp_handler_tests::sse_messages(&seen).pop().unwrap();
    assert_eq!(last["id"], 5);
    let text = last["result"]["content"][0]["text"].as_str().unwrap();
    assert!(text.contains("accept") && text.contains("ada@example.com"), "{text}");
}

#[tokio::test]
async fn cancellation_stops_the_matching_handler() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use tower::ServiceExt as _;
    let finished = Arc::new(AtomicBool::new(false));
    let flag = finished.clone();
    let router = Router::builder("c", "1")
        .tool(Tool::builder("slow").description("runs for a long time").handler(
            move |ctx: RequestContext, _: NoArgs| {
                let flag = flag.clone();
                async move {
                    ctx.log(mcp_handler::LogLevel::Info, "started");
                    tokio::time::sleep(Duration::from_secs(3)).await;
                    flag.store(true, Ordering::SeqCst);
                    "done"
                }
            },
        ))
        .build()
        .unwrap();
    let svc =
        McpService::new(router, EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new())));
    let sid = open_session(&svc, "2025-11-25").await;
    let req = post().header("mcp-session-id", &sid).body(Full::new(Bytes::from(tool_call(9, "slow")))).unwrap();
    let resp = svc.clone().oneshot(req).await.unwrap();
    assert_eq!(resp.headers()["content-type"], "text/event-stream", "the handler is running and streaming");
    let body = tokio::spawn(async move {
        use http_body_util::BodyExt as _;
        resp.into_body().collect().await.unwrap().to_bytes()
    });
    let cancel = r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":9,"reason":"user"}}"#;
    assert_eq!(post_json(&svc, cancel, &[("mcp-session-id", &sid)]).await.status, StatusCode::ACCEPTED);
    let bytes = tokio::time::timeout(Duration::from_secs(2), body).await.expect("the stream ends at once").unwrap();
    let last = mcp_handler_tests::sse_messages(&String::from_utf8_lossy(&bytes)).pop().unwrap();
    assert_eq!(last["error"]["code"], -32800);
    tokio::time::sleep(Duration::from_millis(3200)).await;
    assert!(!finished.load(Ordering::SeqCst), "the handler was stopped, not left running");
}
