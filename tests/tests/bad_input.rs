//! Hostile and malformed input: each case gets its exact HTTP status and
//! JSON-RPC error code, never a panic or a hang. The same table is in
//! docs/errors.md.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use http::{Request, StatusCode};
use http_body_util::Full;
use mcp_handler::{EndpointConfig, InMemorySessionStore, McpService};
use mcp_handler_tests::{call, post};

struct Case {
    name: &'static str,
    body: Vec<u8>,
    headers: Vec<(&'static str, &'static str)>,
    status: StatusCode,
    code: i64,
}

fn case(name: &'static str, body: impl Into<Vec<u8>>, status: StatusCode, code: i64) -> Case {
    Case { name, body: body.into(), headers: vec![], status, code }
}

fn with(mut c: Case, k: &'static str, v: &'static str) -> Case {
    c.headers.push((k, v));
    c
}

fn table() -> Vec<Case> {
    use StatusCode as S;
    let call = |params: &str| format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{params}}}"#);
    vec![
        case("malformed JSON", r#"{"jsonrpc":"2.0","id":1,"method":"#, S::BAD_REQUEST, -32700),
        case("empty body", "", S::BAD_REQUEST, -32700),
        case(
            "invalid UTF-8",
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"\xff\xfe\"}".to_vec(),
            S::BAD_REQUEST,
            -32700,
        ),
        // JSON text is UTF-8 throughout, members nobody reads included.
        case(
            "invalid UTF-8 in an unknown member",
            b"{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"x\":\"\xff\"}".to_vec(),
            S::BAD_REQUEST,
            -32700,
        ),
        case("a JSON string, not a message", r#""ping""#, S::BAD_REQUEST, -32600),
        case("a JSON number", "42", S::BAD_REQUEST, -32600),
        case("wrong jsonrpc version", r#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#, S::BAD_REQUEST, -32600),
        case("missing jsonrpc", r#"{"id":1,"method":"ping"}"#, S::BAD_REQUEST, -32600),
        case("null id", r#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#, S::BAD_REQUEST, -32600),
        case("fractional id", r#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#, S::BAD_REQUEST, -32600),
        case("object id", r#"{"jsonrpc":"2.0","id":{},"method":"ping"}"#, S::BAD_REQUEST, -32600),
        case("method not a string", r#"{"jsonrpc":"2.0","id":1,"method":7}"#, S::BAD_REQUEST, -32600),
        case("params a number", r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":1}"#, S::BAD_REQUEST, -32600),
        // By-position params are valid JSON-RPC; MCP methods take objects.
        case("params an array", r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":[1]}"#, S::OK, -32602),
        case("tools/call params an array", call("[1,2]"), S::OK, -32602),
        case("tools/call params by position", call(r#"["test_simple_text"]"#), S::OK, -32602),
        case(
            "initialize params an array",
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":["2025-06-18",{}]}"#,
            S::OK,
            -32602,
        ),
        case("neither method nor result", r#"{"jsonrpc":"2.0","id":1}"#, S::BAD_REQUEST, -32600),
        case("unknown method", r#"{"jsonrpc":"2.0","id":1,"method":"tools/frobnicate"}"#, S::OK, -32601),
        case("tool name of the wrong type", call(r#"{"name":5}"#), S::OK, -32602),
        case("tools/call without a name", call("{}"), S::OK, -32602),
        case("unknown tool", call(r#"{"name":"no_such_tool"}"#), S::OK, -32602),
        case("arguments not an object", call(r#"{"name":"test_sampling","arguments":[1,2]}"#), S::OK, -32602),
        // A member sent twice: invalid params, however the params are read.
        case("tool name sent twice", call(r#"{"name":"test_simple_text","name":"x"}"#), S::OK, -32602),
        case(
            "arguments sent twice",
            call(r#"{"\u006eame":"test_simple_text","arguments":{},"arguments":{}}"#),
            S::OK,
            -32602,
        ),
        case("a 2025 _meta not an object", call(r#"{"name":"test_simple_text","_meta":7}"#), S::OK, -32602),
        case(
            "method sent twice",
            r#"{"jsonrpc":"2.0","id":1,"method":"ping","method":"ping"}"#,
            S::BAD_REQUEST,
            -32600,
        ),
        case(
            "prompt without its required argument",
            r#"{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"test_prompt_with_arguments"}}"#,
            S::OK,
            -32602,
        ),
        case(
            "prompt argument not a string",
            r#"{"jsonrpc":"2.0","id":1,"method":"prompts/get","params":{"name":"test_simple_prompt","arguments":{"a":1}}}"#,
            S::OK,
            -32602,
        ),
        case(
            "unknown resource",
            r#"{"jsonrpc":"2.0","id":1,"method":"resources/read","params":{"uri":"test://nope"}}"#,
            S::OK,
            -32002,
        ),
        case(
            "forged cursor",
            r#"{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"cursor":"AAAA"}}"#,
            S::OK,
            -32602,
        ),
        case(
            "initialize without protocolVersion",
            r#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"capabilities":{}}}"#,
            S::OK,
            -32602,
        ),
        case(
            "completion for an unknown prompt",
            r#"{"jsonrpc":"2.0","id":1,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"x"},"argument":{"name":"a","value":""}}}"#,
            S::OK,
            -32602,
        ),
        case("huge body", format!(r#"{{"pad":"{}"}}"#, "x".repeat(5 * 1024 * 1024)), S::PAYLOAD_TOO_LARGE, -32600),
        with(case("text/plain body", r#"{}"#, S::UNSUPPORTED_MEDIA_TYPE, -32600), "content-type", "text/plain"),
        with(case("Accept refuses both types", r#"{}"#, S::NOT_ACCEPTABLE, -32600), "accept", "image/png"),
        with(
            case(
                "unsupported MCP-Protocol-Version",
                r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#,
                S::BAD_REQUEST,
                -32022,
            ),
            "mcp-protocol-version",
            "2020-01-01",
        ),
        with(
            case("batch on 2025-06-18", r#"[{"jsonrpc":"2.0","id":1,"method":"ping"}]"#, S::BAD_REQUEST, -32600),
            "mcp-protocol-version",
            "2025-06-18",
        ),
        with(
            case("rebinding Host", r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, S::FORBIDDEN, -32600),
            "host",
            "evil.example.com",
        ),
        with(
            case("foreign Origin", r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#, S::FORBIDDEN, -32600),
            "origin",
            "https://evil.example.com",
        ),
    ]
}

async fn run(svc: &McpService, c: &Case) -> mcp_handler_tests::Reply {
    let mut req = post().body(Full::new(Bytes::from(c.body.clone()))).unwrap();
    for (k, v) in &c.headers {
        req.headers_mut().insert(*k, http::HeaderValue::from_static(v));
    }
    call(svc, req).await
}

#[tokio::test]
async fn every_bad_input_gets_its_status_and_code() {
    let svc = McpService::new(mcp_handler_examples::everything::router().unwrap(), EndpointConfig::default());
    let mut failures = Vec::new();
    for c in table() {
        let r = run(&svc, &c).await;
        let code = r.json()["error"]["code"].as_i64();
        if r.status != c.status || code != Some(c.code) {
            failures.push(format!(
                "{}: got {} {:?}, want {} {}: {}",
                c.name,
                r.status,
                code,
                c.status,
                c.code,
                r.text()
            ));
        }
        let msg = r.json()["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(!msg.is_empty(), "{}: errors say what is wrong", c.name);
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

#[tokio::test]
async fn the_request_id_is_echoed_in_errors_when_it_was_readable() {
    let svc = McpService::new(mcp_handler_examples::everything::router().unwrap(), EndpointConfig::default());
    let r = mcp_handler_tests::post_json(&svc, r#"{"jsonrpc":"1.0","id":"abc","method":"ping"}"#, &[]).await;
    assert_eq!(r.json()["id"], "abc");
    let r = mcp_handler_tests::post_json(&svc, r#"{"jsonrpc":"2.0","id":"q","method":"nope"}"#, &[]).await;
    assert_eq!(r.json()["id"], "q");
    let r = mcp_handler_tests::post_json(&svc, "{broken", &[]).await;
    assert!(r.json()["id"].is_null(), "parse errors carry id null");
}

/// An unknown method, tool or prompt is named in its error, but not whole
/// when it is long: the answer to a megabyte-long name stays small.
#[tokio::test]
async fn errors_name_what_is_unknown_without_echoing_a_long_name_back() {
    let svc = McpService::new(mcp_handler_examples::everything::router().unwrap(), EndpointConfig::default());
    let long = "x".repeat(1 << 20);
    let bodies = [
        (serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": long}), -32601, "Method not found: xxx"),
        (
            serde_json::json!({"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": {"name": long}}),
            -32602,
            "Unknown tool: xxx",
        ),
        (
            serde_json::json!({"jsonrpc": "2.0", "id": 3, "method": "prompts/get", "params": {"name": long}}),
            -32602,
            "Unknown prompt: xxx",
        ),
    ];
    for (body, code, start) in bodies {
        let r = mcp_handler_tests::post_json(&svc, &body.to_string(), &[]).await;
        assert_eq!((r.status, r.error_code()), (StatusCode::OK, code), "{}", r.text());
        let msg = r.json()["error"]["message"].as_str().unwrap_or_default().to_owned();
        assert!(msg.starts_with(start) && msg.ends_with('…'), "{start}: {}", &msg[..msg.len().min(200)]);
        assert!(r.body.len() < 400, "{start}: a {} byte answer", r.body.len());
    }
    let short =
        mcp_handler_tests::post_json(&svc, r#"{"jsonrpc":"2.0","id":4,"method":"tools/frobnicate"}"#, &[]).await;
    assert_eq!(short.json()["error"]["message"], "Method not found: tools/frobnicate");
    // 2026: an Mcp-Name that differs from a long body name.
    let meta = serde_json::json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    });
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 5, "method": "tools/call",
        "params": {"name": long, "arguments": {}, "_meta": meta}});
    let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", "other")];
    let r = mcp_handler_tests::post_json(&svc, &body.to_string(), &headers).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::BAD_REQUEST, -32020), "{}", r.text());
    assert!(r.body.len() < 500, "a {} byte answer", r.body.len());
}

/// By-position params in a batch member get that member's -32602 with its
/// id; a notification with them is accepted and ignored, as unknown
/// notifications are.
#[tokio::test]
async fn by_position_params_in_batches_and_notifications() {
    let svc = McpService::new(mcp_handler_examples::everything::router().unwrap(), EndpointConfig::default());
    let batch = r#"[{"jsonrpc":"2.0","id":"a","method":"tools/list","params":[]},
                    {"jsonrpc":"2.0","id":"b","method":"ping"}]"#;
    let r = mcp_handler_tests::post_json(&svc, batch, &[("mcp-protocol-version", "2025-03-26")]).await;
    assert_eq!(r.status, StatusCode::OK);
    let answers = r.json();
    assert_eq!((answers[0]["id"].as_str(), answers[0]["error"]["code"].as_i64()), (Some("a"), Some(-32602)));
    assert_eq!(answers[1]["result"], serde_json::json!({}));
    let note = r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":[1]}"#;
    let r = mcp_handler_tests::post_json(&svc, note, &[]).await;
    assert_eq!(r.status, StatusCode::ACCEPTED);
    assert!(r.body.is_empty());
}

/// A handler's internal error (`?` on `std::io::Error`) reaches the client
/// as a generic message: not the path, not the OS text. An error built on
/// purpose keeps its text.
#[tokio::test]
async fn internal_errors_do_not_leak_paths_or_os_text() {
    use mcp_handler::{McpError, NoArgs, RequestContext, Resource, Router, Tool};
    const PATH: &str = "/nonexistent/mcp-handler-secret-dir/credentials.toml";
    let router = Router::builder("leaks", "1")
        .tool(
            Tool::builder("read_config")
                .description("reads a missing file")
                .handler(|_c: RequestContext, _: NoArgs| async { std::fs::read_to_string(PATH) }),
        )
        .tool(Tool::builder("refuse").description("an error on purpose").handler(
            |_c: RequestContext, _: NoArgs| async {
                Err::<String, _>(McpError::internal("quota exceeded; retry later"))
            },
        ))
        .resource(
            Resource::builder("test://config", "config").read(|| async { std::fs::read_to_string(PATH).map(|_| "") }),
        )
        .build()
        .unwrap();
    let svc = McpService::new(router, EndpointConfig::default());
    let leaks = |text: &str| text.contains("mcp-handler-secret-dir") || text.contains("No such file");

    let tool = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"read_config","arguments":{}}}"#;
    let r = mcp_handler_tests::post_json(&svc, tool, &[]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert_eq!(r.json()["result"]["isError"], true, "{}", r.text());
    assert_eq!(r.json()["result"]["content"][0]["text"], "Internal error");
    assert!(!leaks(&r.text()), "{}", r.text());

    let read = r#"{"jsonrpc":"2.0","id":2,"method":"resources/read","params":{"uri":"test://config"}}"#;
    let r = mcp_handler_tests::post_json(&svc, read, &[]).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::OK, -32603));
    assert!(!leaks(&r.text()), "{}", r.text());

    let chosen = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"refuse","arguments":{}}}"#;
    let r = mcp_handler_tests::post_json(&svc, chosen, &[]).await;
    assert_eq!(r.json()["result"]["content"][0]["text"], "quota exceeded; retry later");
}

/// `resources.subscribe` is promised only where updates can travel: a 2025
/// session's GET stream on a streaming endpoint, or 2026's
/// `subscriptions/listen`. Elsewhere subscribing is -32601, not a silent `{}`.
#[tokio::test]
async fn subscriptions_are_offered_only_where_updates_can_be_delivered() {
    let sub = r#"{"jsonrpc":"2.0","id":2,"method":"resources/subscribe","params":{"uri":"test://watched-resource"}}"#;
    let unsub = sub.replace("resources/subscribe", "resources/unsubscribe");
    let sessions = || EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new()));
    let everything = |config| McpService::new(mcp_handler_examples::everything::router().unwrap(), config);
    let subscribe_cap =
        |r: &mcp_handler_tests::Reply| r.json()["result"]["capabilities"]["resources"]["subscribe"].clone();

    let stateless = everything(EndpointConfig::default());
    let r = mcp_handler_tests::post_json(&stateless, sub, &[]).await;
    assert_eq!((r.status, r.error_code()), (StatusCode::OK, -32601), "{}", r.text());
    assert!(r.text().contains("cannot deliver resource updates"), "says why: {}", r.text());
    assert_eq!(mcp_handler_tests::post_json(&stateless, &unsub, &[]).await.error_code(), -32601);

    let buffered = everything(sessions().with_response_mode(mcp_handler::ResponseMode::Buffered));
    assert_eq!(
        subscribe_cap(
            &mcp_handler_tests::post_json(&buffered, &mcp_handler_tests::initialize_body("2025-11-25"), &[]).await
        ),
        false
    );
    let sid = mcp_handler_tests::open_session(&buffered, "2025-11-25").await;
    assert_eq!(mcp_handler_tests::post_json(&buffered, sub, &[("mcp-session-id", &sid)]).await.error_code(), -32601);

    let streaming = everything(sessions());
    assert_eq!(
        subscribe_cap(
            &mcp_handler_tests::post_json(&streaming, &mcp_handler_tests::initialize_body("2025-11-25"), &[]).await
        ),
        true
    );
    let sid = mcp_handler_tests::open_session(&streaming, "2025-11-25").await;
    assert_eq!(
        mcp_handler_tests::post_json(&streaming, sub, &[("mcp-session-id", &sid)]).await.json()["result"],
        serde_json::json!({})
    );

    // 2026: `subscriptions/listen` needs only streamed responses.
    let discover = |svc: McpService| async move {
        let meta = serde_json::json!({"io.modelcontextprotocol/protocolVersion":"2026-07-28",
            "io.modelcontextprotocol/clientCapabilities":{}});
        let body =
            serde_json::json!({"jsonrpc":"2.0","id":3,"method":"server/discover","params":{"_meta":meta}}).to_string();
        let r = mcp_handler_tests::post_json(
            &svc,
            &body,
            &[("mcp-protocol-version", "2026-07-28"), ("mcp-method", "server/discover")],
        )
        .await;
        subscribe_cap(&r)
    };
    assert_eq!(discover(everything(EndpointConfig::default())).await, true);
    assert_eq!(
        discover(everything(EndpointConfig::default().with_response_mode(mcp_handler::ResponseMode::Buffered))).await,
        false
    );
}

#[tokio::test]
async fn session_errors_have_their_own_statuses() {
    let svc = McpService::new(
        mcp_handler_examples::everything::router().unwrap(),
        EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new())),
    );
    let ping = r#"{"jsonrpc":"2.0","id":1,"method":"ping"}"#;
    let missing = mcp_handler_tests::post_json(&svc, ping, &[]).await;
    assert_eq!((missing.status, missing.error_code()), (StatusCode::BAD_REQUEST, -32600));
    let unknown = mcp_handler_tests::post_json(&svc, ping, &[("mcp-session-id", "forged")]).await;
    assert_eq!((unknown.status, unknown.error_code()), (StatusCode::NOT_FOUND, -32600));
    let weird = Request::post("/mcp")
        .header("host", "localhost")
        .header("content-type", "application/json")
        .header("mcp-session-id", http::HeaderValue::from_bytes(b"\xff\xfe").unwrap())
        .body(Full::new(Bytes::from_static(ping.as_bytes())))
        .unwrap();
    assert_eq!(call(&svc, weird).await.status, StatusCode::BAD_REQUEST, "a non-ASCII session id is no session id");
}

/// The guard's refusals (docs/errors.md): missing, malformed and wrong
/// credentials get 401 with a challenge; an expected token that cannot be
/// loaded gets 503; none of them echoes what was presented.
#[tokio::test]
async fn the_guard_refuses_with_401_or_503() {
    use mcp_handler::EndpointAuth;
    use mcp_handler::secrets::{SecretToken, Secrets};
    let dir = mcp_handler_tests::TempDir::new("bad-input-guard");
    std::fs::write(dir.join("t"), "right-token").unwrap();
    let reference = format!("file:{}?ttl=1h", dir.join("t").display());
    let secrets = Secrets::builder()
        .required("AUTH_TOKEN")
        .optional("MISSING")
        .with_env(move |k| match k {
            "MCP_SECRET_AUTH_TOKEN" => Some(reference.clone()),
            "MCP_SECRET_MISSING" => Some("file:/nonexistent/token".into()),
            _ => None,
        })
        .build()
        .unwrap();
    secrets.load().await.unwrap();
    let guarded = |name: &str| {
        let auth = EndpointAuth::bearer(SecretToken::new(secrets.clone(), name))
            .with_api_key_header(http::HeaderName::from_static("x-api-key"));
        McpService::new(mcp_handler_examples::demo::router().unwrap(), EndpointConfig::default().with_auth(auth))
    };
    let svc = guarded("AUTH_TOKEN");
    let body = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
    for (headers, status, challenge) in [
        (vec![], StatusCode::UNAUTHORIZED, "Bearer realm=\"mcp\""),
        (vec![("authorization", "Basic cmlnaHQtdG9rZW4=")], StatusCode::UNAUTHORIZED, "Bearer realm=\"mcp\""),
        (vec![("authorization", "Bearer")], StatusCode::UNAUTHORIZED, "Bearer realm=\"mcp\""),
        (
            vec![("authorization", "Bearer wrong-token")],
            StatusCode::UNAUTHORIZED,
            "Bearer realm=\"mcp\", error=\"invalid_token\"",
        ),
        (vec![("x-api-key", "wrong-token")], StatusCode::UNAUTHORIZED, "Bearer realm=\"mcp\", error=\"invalid_token\""),
    ] {
        let r = mcp_handler_tests::post_json(&svc, body, &headers).await;
        assert_eq!(r.status, status, "{headers:?}");
        assert_eq!(r.header("www-authenticate"), Some(challenge), "{headers:?}");
        assert_eq!(r.error_code(), -32600, "{headers:?}");
        assert!(!r.text().contains("wrong-token") && !r.text().contains("right-token"));
    }
    let ok = mcp_handler_tests::post_json(&svc, body, &[("authorization", "Bearer right-token")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    let down = guarded("MISSING");
    let r = mcp_handler_tests::post_json(&down, body, &[("authorization", "Bearer right-token")]).await;
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(r.error_code(), -32603);
}
