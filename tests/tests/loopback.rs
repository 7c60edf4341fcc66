//! The real `everything` binary on a loopback port: MCP over TCP, health
//! endpoints, and SIGTERM while requests are in flight.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, Instant};

use http::StatusCode;
use http_body_util::BodyExt as _;
use mcp_handler_tests::{MCP_HEADERS, Running, http, http_start, initialize_body, sse_messages};
use serde_json::json;

fn headers(sid: &str) -> Vec<(&str, &str)> {
    let mut h = MCP_HEADERS.to_vec();
    h.push(("mcp-session-id", sid));
    h
}

async fn session(server: &Running) -> String {
    let r = http(server.addr, "POST", "/mcp", &MCP_HEADERS, &initialize_body("2025-11-25")).await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    r.header("mcp-session-id").expect("everything runs with sessions").to_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_mcp_and_health_over_tcp() {
    let server = Running::start(&[]).await;
    let sid = session(&server).await;
    let list = http(server.addr, "POST", "/mcp", &headers(&sid), r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#)
        .await
        .unwrap();
    let tools = list.json()["result"]["tools"].as_array().unwrap().clone();
    let expected = mcp_handler_examples::everything::router().unwrap().tool_names().count();
    assert_eq!(tools.len(), expected, "every registered tool is listed");
    assert!(tools.iter().all(|t| t["description"].is_string() && t["inputSchema"]["type"] == "object"));
    let read = json!({"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://template/42/data"}});
    let r = http(server.addr, "POST", "/mcp", &headers(&sid), &read.to_string()).await.unwrap();
    assert!(r.json()["result"]["contents"][0]["text"].as_str().unwrap().contains("42"));

    assert_eq!(http(server.addr, "GET", "/healthz", &[("host", "anything.internal")], "").await.unwrap().status, 200);
    assert_eq!(http(server.addr, "GET", "/readyz", &[], "").await.unwrap().status, 200);
    assert_eq!(http(server.addr, "GET", "/nope", &[], "").await.unwrap().status, 404);

    // The healthcheck subcommand probes the same server.
    let ok = std::process::Command::new(mcp_handler_tests::everything_bin())
        .args(["healthcheck", "--bind", &server.addr.to_string()])
        .status()
        .unwrap();
    assert!(ok.success());
    let dead = std::process::Command::new(mcp_handler_tests::everything_bin())
        .args(["healthcheck", "--bind", &format!("127.0.0.1:{}", mcp_handler_tests::free_port())])
        .stderr(std::process::Stdio::null())
        .status()
        .unwrap();
    assert_eq!(dead.code(), Some(1));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigterm_lets_in_flight_requests_finish_then_exits_zero() {
    let mut server = Running::start(&["--drain-timeout", "10"]).await;
    let sid = session(&server).await;
    let addr = server.addr;

    // An open GET stream must be closed cleanly by the drain.
    let mut get_headers = headers(&sid);
    get_headers.push(("accept", "text/event-stream"));
    get_headers.retain(|(k, v)| *k != "accept" || *v == "text/event-stream");
    let get = http_start(addr, "GET", "/mcp", &get_headers, "").await.unwrap();
    assert_eq!(get.status(), StatusCode::OK);

    // Eight tool calls that each take ~100 ms and stream as they go.
    let mut inflight = Vec::new();
    for i in 0..8 {
        let body = json!({"jsonrpc":"2.0","id":i,"method":"tools/call","params":{"name":"test_tool_with_logging"}});
        let resp = http_start(addr, "POST", "/mcp", &headers(&sid), &body.to_string()).await.unwrap();
        assert_eq!(resp.status(), StatusCode::OK);
        inflight.push((i, resp));
    }
    let started = Instant::now();
    server.sigterm();

    for (i, resp) in inflight {
        let bytes = tokio::time::timeout(Duration::from_secs(10), resp.into_body().collect())
            .await
            .expect("answered within the drain")
            .expect("the stream ends cleanly")
            .to_bytes();
        let msgs = sse_messages(&String::from_utf8_lossy(&bytes));
        let last = msgs.last().expect("some events");
        assert_eq!(last["id"], i, "request {i} got its response: {msgs:?}");
        assert_eq!(last["result"]["content"][0]["text"], "Tool with logging executed successfully");
    }
    let get_body = tokio::time::timeout(Duration::from_secs(10), get.into_body().collect()).await;
    assert!(matches!(get_body, Ok(Ok(_))), "the GET stream was closed cleanly, not cut");

    let status = tokio::time::timeout(Duration::from_secs(10), server.child.wait()).await.expect("exits").unwrap();
    assert_eq!(status.code(), Some(0), "exit 0 after a drain");
    assert!(started.elapsed() < Duration::from_secs(10), "exited before the deadline");
    assert!(http(addr, "GET", "/healthz", &[], "").await.is_err(), "no longer accepting");
}

/// One request over an HTTP/2 connection opened with prior knowledge
/// (h2c, as Cloud Run's end-to-end HTTP/2 or a mesh sidecar sends it).
async fn h2(
    sender: &mut hyper::client::conn::http2::SendRequest<http_body_util::Full<bytes::Bytes>>,
    addr: std::net::SocketAddr,
    headers: &[(&str, &str)],
    body: &str,
) -> (StatusCode, http::HeaderMap, String) {
    let mut req = http::Request::post(format!("http://{addr}/mcp"));
    for (k, v) in headers {
        req = req.header(*k, *v);
    }
    let resp = sender.send_request(req.body(body.to_owned().into()).unwrap()).await.unwrap();
    assert_eq!(resp.version(), http::Version::HTTP_2);
    let (parts, body) = resp.into_parts();
    let text = String::from_utf8(body.collect().await.unwrap().to_bytes().to_vec()).unwrap();
    (parts.status, parts.headers, text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn serves_mcp_over_h2c_with_json_and_sse_answers() {
    let server = Running::start(&[]).await;
    let stream = tokio::net::TcpStream::connect(server.addr).await.unwrap();
    let (mut sender, conn) = hyper::client::conn::http2::handshake(
        hyper_util::rt::TokioExecutor::new(),
        hyper_util::rt::TokioIo::new(stream),
    )
    .await
    .unwrap();
    tokio::spawn(conn);

    // No Host header on HTTP/2: the `:authority` (127.0.0.1:PORT) passes the Host check.
    let (status, head, text) = h2(&mut sender, server.addr, &MCP_HEADERS, &initialize_body("2025-11-25")).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    let sid = head.get("mcp-session-id").expect("a session").to_str().unwrap().to_owned();
    let init = serde_json::from_str::<serde_json::Value>(&text).unwrap_or_else(|_| sse_messages(&text)[0].clone());
    assert_eq!(init["result"]["protocolVersion"], "2025-11-25", "{text}");

    // A JSON answer, and a streamed one (progress, then the result) on the same connection.
    let list = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    let (status, _, text) = h2(&mut sender, server.addr, &headers(&sid), list).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert!(text.contains("test_tool_with_progress"), "{text}");
    let call = json!({"jsonrpc":"2.0","id":2,"method":"tools/call",
        "params":{"name":"test_tool_with_progress","arguments":{},"_meta":{"progressToken":"p"}}});
    let (status, head, text) = h2(&mut sender, server.addr, &headers(&sid), &call.to_string()).await;
    assert_eq!(status, StatusCode::OK, "{text}");
    assert_eq!(head.get("content-type").unwrap(), "text/event-stream", "{text}");
    let messages = sse_messages(&text);
    let progress = messages.iter().filter(|m| m["method"] == "notifications/progress").count();
    assert_eq!(progress, 3, "{text}");
    assert_eq!(messages.last().unwrap()["id"], 2, "{text}");
    assert!(messages.last().unwrap()["result"]["content"].is_array(), "{text}");
}
