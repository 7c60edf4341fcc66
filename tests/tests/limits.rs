//! Every resource a slow or greedy client controls is bounded: a tool call
//! (its own limit, the router's, the platform's deadline), a stalled body,
//! a half-sent request head, an idle keep-alive connection, and the number
//! of open connections. In-process where HTTP semantics suffice; the real
//! `demo` binary on loopback for what only a socket shows.

use std::time::{Duration, Instant, SystemTime};

use bytes::Bytes;
use http::StatusCode;
use http_body_util::StreamBody;
use mcp_handler::{EndpointConfig, Invocation, McpService, Router, Tool};
use mcp_handler_tests::{Running, demo_bin, everything_bin, post, post_json};
use serde_json::{Value, json};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::TcpStream;
use tower::ServiceExt as _;

fn slow_router(tool_timeout: Option<Duration>) -> Router {
    let slow = |secs: u64| async move {
        tokio::time::sleep(Duration::from_secs(secs)).await;
        "finished"
    };
    Router::builder("limits", "1")
        .tool(Tool::builder("slow").description("Sleeps 30 s").handler(move || slow(30)))
        .tool(
            Tool::builder("own_limit")
                .description("Sleeps 30 s, limited to 0.3 s")
                .timeout(Duration::from_millis(300))
                .handler(move || slow(30)),
        )
        .tool(Tool::builder("quick").description("Answers at once").handler(|| async { "done" }))
        .tool_timeout(tool_timeout)
        .build()
        .expect("router")
}

fn call_body(tool: &str) -> String {
    json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": tool, "arguments": {}}}).to_string()
}

fn tool_error_text(reply: &Value) -> Option<String> {
    (reply["result"]["isError"] == json!(true)).then(|| reply["result"]["content"][0]["text"].to_string())
}

#[tokio::test]
async fn a_tool_past_its_limit_is_answered_with_a_tool_error() {
    let svc = McpService::new(slow_router(Some(Duration::from_millis(400))), EndpointConfig::default());
    let started = Instant::now();
    let own = post_json(&svc, &call_body("own_limit"), &[]).await;
    assert_eq!(own.status, StatusCode::OK);
    let text = tool_error_text(&own.json()).expect("a tool error");
    assert!(text.contains("timed out after 0.3 s"), "{text}");
    let router_default = post_json(&svc, &call_body("slow"), &[]).await;
    let text = tool_error_text(&router_default.json()).expect("a tool error");
    assert!(text.contains("timed out after 0.4 s"), "{text}");
    assert!(started.elapsed() < Duration::from_secs(5), "{:?}", started.elapsed());
    let quick = post_json(&svc, &call_body("quick"), &[]).await.json();
    assert_eq!(quick["result"]["content"][0]["text"], "done");
    assert!(quick["result"].get("isError").is_none_or(|e| e == false));
}

#[tokio::test]
async fn the_platform_deadline_caps_every_tool_even_without_a_limit() {
    let svc = McpService::new(slow_router(None), EndpointConfig::default());
    let deadline = SystemTime::now() + Duration::from_millis(900);
    let mut req = post().body(http_body_util::Full::new(Bytes::from(call_body("slow")))).expect("request");
    req.extensions_mut().insert(Invocation::new("req-1").with_deadline(deadline));
    let started = Instant::now();
    let reply = mcp_handler_tests::call(&svc, req).await;
    let text = tool_error_text(&reply.json()).expect("a tool error before the deadline");
    assert!(text.contains("timed out"), "{text}");
    // The margin leaves the answer time to travel before the deadline.
    assert!(SystemTime::now() < deadline, "answered after the deadline");
    assert!(started.elapsed() >= Duration::from_millis(300), "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_stalled_body_is_answered_408_and_the_connection_closed() {
    let config = EndpointConfig::default().with_body_timeout(Duration::from_millis(300));
    let svc = McpService::new(slow_router(None), config);
    let first = futures_util::stream::iter([Ok::<_, std::convert::Infallible>(http_body::Frame::data(
        Bytes::from_static(b"{\"jsonrpc\":\"2.0\","),
    ))]);
    let stalled = StreamBody::new(futures_util::StreamExt::chain(first, futures_util::stream::pending()));
    let req = post().body(stalled).expect("request");
    let started = Instant::now();
    let resp = tokio::time::timeout(Duration::from_secs(5), svc.oneshot(req)).await.expect("answered").expect("ok");
    assert_eq!(resp.status(), StatusCode::REQUEST_TIMEOUT);
    assert_eq!(resp.headers()["connection"], "close");
    assert!(started.elapsed() >= Duration::from_millis(300));
    let body = http_body_util::BodyExt::collect(resp.into_body()).await.expect("body").to_bytes();
    let v: Value = serde_json::from_slice(&body).expect("JSON-RPC error");
    assert_eq!(v["error"]["code"], -32600);
}

/// Reads until the peer closes (or `limit` passes): how long that took.
async fn closed_within(stream: &mut TcpStream, limit: Duration) -> Option<Duration> {
    let started = Instant::now();
    let mut buf = [0u8; 4096];
    loop {
        match tokio::time::timeout_at((started + limit).into(), stream.read(&mut buf)).await {
            Err(_) => return None,
            Ok(Ok(0) | Err(_)) => return Some(started.elapsed()),
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn half_sent_heads_and_idle_connections_are_closed_within_the_timeout() {
    let server = Running::start_with(demo_bin(), &["--header-timeout", "1"], &[]).await;
    let mut half = TcpStream::connect(server.addr).await.expect("connect");
    half.write_all(b"POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: appl").await.expect("write");
    let took = closed_within(&mut half, Duration::from_secs(5)).await.expect("a half-sent head is closed");
    assert!(took >= Duration::from_millis(900), "{took:?}");

    let mut idle = TcpStream::connect(server.addr).await.expect("connect");
    idle.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.expect("write");
    let mut head = [0u8; 12];
    idle.read_exact(&mut head).await.expect("an answer");
    assert_eq!(&head, b"HTTP/1.1 200");
    assert!(closed_within(&mut idle, Duration::from_secs(5)).await.is_some(), "an idle keep-alive is closed");
}

#[tokio::test]
async fn connections_beyond_the_limit_get_503_with_retry_after() {
    let server = Running::start_with(demo_bin(), &["--max-connections", "2"], &[]).await;
    // Wait until the readiness probes' connections have closed.
    tokio::time::sleep(Duration::from_millis(200)).await;
    let _a = TcpStream::connect(server.addr).await.expect("connect");
    let _b = TcpStream::connect(server.addr).await.expect("connect");
    tokio::time::sleep(Duration::from_millis(100)).await;
    let mut c = TcpStream::connect(server.addr).await.expect("connect");
    c.write_all(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n").await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), c.read_to_end(&mut answer)).await.expect("closed").expect("read");
    let text = String::from_utf8_lossy(&answer);
    assert!(text.starts_with("HTTP/1.1 503"), "{text}");
    assert!(text.to_ascii_lowercase().contains("retry-after: 1"), "{text}");
    let body = text.split("\r\n\r\n").nth(1).expect("a body");
    let v: Value = serde_json::from_str(body).expect("a JSON-RPC error body");
    assert_eq!(v["error"]["code"], -32603);
    // Once one closes, a new connection is served again.
    drop(_a);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let ok = mcp_handler_tests::http(server.addr, "GET", "/healthz", &[], "").await.expect("served");
    assert_eq!(ok.status, StatusCode::OK);
}

#[tokio::test]
async fn calls_beyond_the_in_flight_limit_get_503_at_once_and_places_come_back() {
    let config = EndpointConfig::default().with_max_in_flight(1, 1);
    let svc = McpService::new(slow_router(Some(Duration::from_secs(1))), config);
    let first = tokio::spawn({
        let svc = svc.clone();
        async move { post_json(&svc, &call_body("slow"), &[]).await }
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    let started = Instant::now();
    let refused = post_json(&svc, &call_body("quick"), &[]).await;
    assert_eq!(refused.status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(started.elapsed() < Duration::from_millis(500), "refused at once, not queued");
    assert_eq!(refused.header("retry-after"), Some("1"));
    assert_eq!(refused.json()["id"], 1);
    assert_eq!(refused.error_code(), -32603);
    // Listings are answered from cached bytes and are not calls.
    let list = json!({"jsonrpc": "2.0", "id": 2, "method": "tools/list"}).to_string();
    assert_eq!(post_json(&svc, &list, &[]).await.status, StatusCode::OK);
    let first = first.await.expect("first call");
    assert!(tool_error_text(&first.json()).is_some_and(|t| t.contains("timed out")));
    let again = post_json(&svc, &call_body("quick"), &[]).await.json();
    assert_eq!(again["result"]["content"][0]["text"], "done");
}

#[tokio::test]
async fn a_quiet_streaming_call_sends_keep_alive_comments() {
    let router = Router::builder("quiet", "1")
        .tool(Tool::builder("quiet").description("Reports once, then works quietly").handler(
            |ctx: mcp_handler::RequestContext| async move {
                ctx.progress(1.0, Some(2.0), Some("started"));
                tokio::time::sleep(Duration::from_millis(1000)).await;
                "finished"
            },
        ))
        .build()
        .expect("router");
    let config = EndpointConfig::default().with_keep_alive(Some(Duration::from_millis(250)));
    let svc = McpService::new(router, config);
    let body = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "quiet", "arguments": {}, "_meta": {"progressToken": "p"}}});
    let reply = post_json(&svc, &body.to_string(), &[]).await;
    assert_eq!(reply.header("content-type"), Some("text/event-stream"));
    let text = reply.text();
    let comments = text.matches(": keep-alive").count();
    assert!(comments >= 2, "keep-alive comments while quiet: {text}");
    let messages = reply.sse_messages();
    assert_eq!(messages.last().expect("the answer")["result"]["content"][0]["text"], "finished");
}

/// Nesting is bounded where a value is built (serde_json stops at 128
/// levels); members nobody reads are skipped without recursion. Either way
/// a 100 000-deep body is an error answer, not a stack overflow.
#[tokio::test]
async fn deep_nesting_is_an_error_answer_not_a_stack_overflow() {
    let router = Router::builder("deep", "1")
        .tool(Tool::builder("any").description("Takes any JSON").handler(
            |mcp_handler::Args(v): mcp_handler::Args<serde_json::Map<String, Value>>| async move {
                format!("{} members", v.len())
            },
        ))
        .build()
        .expect("router");
    let svc = McpService::new(router, EndpointConfig::default());
    let depth = 100_000;
    let nested = format!("{}{}", "[".repeat(depth), "]".repeat(depth));
    let body = format!(
        r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"any","arguments":{{"a":{nested}}}}}}}"#
    );
    let reply = post_json(&svc, &body, &[]).await;
    assert_eq!(reply.status, StatusCode::OK, "{}", reply.text());
    let text = tool_error_text(&reply.json()).expect("arguments that do not parse are a tool error");
    assert!(text.contains("recursion limit"), "{text}");
}

#[tokio::test]
async fn too_many_request_headers_get_431() {
    let server = Running::start_with(demo_bin(), &[], &[]).await;
    let mut stream = TcpStream::connect(server.addr).await.expect("connect");
    let mut head = String::from("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n");
    for i in 0..150 {
        head.push_str(&format!("x-h{i}: v\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes()).await.expect("write");
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(5), stream.read_to_end(&mut answer)).await.expect("closed").ok();
    assert!(answer.starts_with(b"HTTP/1.1 431"), "{}", String::from_utf8_lossy(&answer));
}

/// What a client that writes its whole body before reading (most HTTP
/// libraries) gets for a body over the 4 MiB limit: every byte accepted,
/// then a readable 413, never a reset connection.
#[tokio::test]
async fn a_body_written_in_full_before_reading_gets_a_readable_413() {
    let server = Running::start_with(demo_bin(), &[], &[]).await;
    for chunked in [false, true] {
        let mut stream = TcpStream::connect(server.addr).await.expect("connect");
        let body = vec![b' '; 16 * 1024 * 1024];
        let framing =
            if chunked { "Transfer-Encoding: chunked".to_owned() } else { format!("Content-Length: {}", body.len()) };
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\n{framing}\r\n\r\n"
        );
        stream.write_all(head.as_bytes()).await.expect("head");
        let written = if chunked {
            let mut r = Ok(());
            for part in body.chunks(64 * 1024) {
                r = stream.write_all(format!("{:x}\r\n", part.len()).as_bytes()).await;
                r = r.and(stream.write_all(part).await).and(stream.write_all(b"\r\n").await);
                if r.is_err() {
                    break;
                }
            }
            r.and(stream.write_all(b"0\r\n\r\n").await)
        } else {
            stream.write_all(&body).await
        };
        written.unwrap_or_else(|e| panic!("chunked={chunked}: the server stopped reading: {e}"));
        let mut answer = vec![0; 4096];
        let n = tokio::time::timeout(Duration::from_secs(10), stream.read(&mut answer))
            .await
            .expect("answered")
            .expect("readable");
        let text = String::from_utf8_lossy(&answer[..n]);
        assert!(text.starts_with("HTTP/1.1 413"), "chunked={chunked}: {text}");
        assert!(text.contains("\"code\":-32600") && text.contains("Payload Too Large"), "{text}");
    }
}

/// Reads until `needle` arrives (or `limit` passes, or the peer closes).
async fn read_until(stream: &mut TcpStream, needle: &str, limit: Duration) -> String {
    let deadline = Instant::now() + limit;
    let mut got = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&got).contains(needle) {
        match tokio::time::timeout_at(deadline.into(), stream.read(&mut buf)).await {
            Ok(Ok(n)) if n > 0 => got.extend_from_slice(&buf[..n]),
            _ => break,
        }
    }
    String::from_utf8_lossy(&got).into_owned()
}

/// The head timeout bounds a connection waiting for a request, never one
/// whose request is still being answered: a plain answer and a stream,
/// each longer than the timeout, arrive whole on one connection, which
/// is closed once it then sits idle.
#[tokio::test]
async fn answers_longer_than_the_head_timeout_arrive_whole() {
    let server = Running::start_with(everything_bin(), &["--header-timeout", "1"], &[]).await;
    let mut conn = TcpStream::connect(server.addr).await.expect("connect");
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": { "name": "limits-test", "version": "1" },
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let mut streamed = meta.clone();
    streamed["progressToken"] = json!("p");
    let calls = [
        (json!({"name": "slow_invocation", "arguments": {"ms": 2500}, "_meta": meta}), "\"none\""),
        (json!({"name": "slow", "arguments": {"ms": 2500}, "_meta": streamed}), "slept 2500 ms"),
    ];
    for (i, (params, answer)) in calls.into_iter().enumerate() {
        let name = params["name"].as_str().unwrap_or_default().to_owned();
        let body = json!({"jsonrpc": "2.0", "id": i, "method": "tools/call", "params": params}).to_string();
        let head = format!(
            "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n\
             Accept: application/json, text/event-stream\r\nMCP-Protocol-Version: 2026-07-28\r\n\
             Mcp-Method: tools/call\r\nMcp-Name: {name}\r\nContent-Length: {}\r\n\r\n",
            body.len()
        );
        let started = Instant::now();
        conn.write_all(format!("{head}{body}").as_bytes()).await.expect("write");
        let text = read_until(&mut conn, answer, Duration::from_secs(8)).await;
        assert!(text.starts_with("HTTP/1.1 200"), "call {i}: {text}");
        assert!(text.contains(answer), "call {i} answered in full after {:?}: {text}", started.elapsed());
        assert!(started.elapsed() >= Duration::from_millis(2400), "call {i} took its time");
        if text.contains("text/event-stream") && !text.ends_with("0\r\n\r\n") {
            // The stream's last chunk, then the connection is idle.
            read_until(&mut conn, "0\r\n\r\n", Duration::from_secs(2)).await;
        }
    }
    let took = closed_within(&mut conn, Duration::from_secs(5)).await.expect("then idle, it is closed");
    assert!(took >= Duration::from_millis(900), "{took:?}");
}
