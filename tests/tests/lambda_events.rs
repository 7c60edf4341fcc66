//! Real event shapes of each Lambda front door (API Gateway REST v1, HTTP
//! API v2, Function URL, ALB), parsed by `lambda_http` exactly as the
//! runtime does and served by the Lambda shell in-process.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::time::{Duration, SystemTime, UNIX_EPOCH};

use http_body_util::BodyExt as _;
use lambda_http::RequestExt as _;
use mcp_handler::lambda::{LambdaApp, LambdaConfig, LambdaService};
use mcp_handler::{NoArgs, RequestContext, Router, Tool};
use serde_json::{Value, json};
use tower::ServiceExt as _;

const FRONT_DOORS: [&str; 4] = ["apigw_rest_v1", "apigw_http_v2", "function_url", "alb"];

fn event(door: &str, body: &Value, extra_headers: &[(&str, &str)]) -> lambda_http::Request {
    let path = format!("{}/data/lambda/{door}.json", env!("CARGO_MANIFEST_DIR"));
    let mut ev: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    ev["body"] = Value::String(body.to_string());
    for (k, v) in extra_headers {
        ev["headers"][*k] = json!(v);
        if ev.get("multiValueHeaders").is_some() {
            ev["multiValueHeaders"][*k] = json!([v]);
        }
    }
    let req = lambda_http::request::from_str(&ev.to_string()).unwrap_or_else(|e| panic!("{door}: {e}"));
    let mut ctx = lambda_http::Context::default();
    ctx.request_id = format!("req-{door}");
    ctx.invoked_function_arn = "arn:aws:lambda:us-east-1:123456789012:function:mcp".into();
    let in_a_minute = SystemTime::now() + Duration::from_secs(60);
    ctx.deadline = in_a_minute.duration_since(UNIX_EPOCH).unwrap().as_millis() as u64;
    req.with_lambda_context(ctx)
}

fn router() -> Router {
    Router::builder("lambda-fixture", "1.0.0")
        .tool(Tool::builder("whoami").description("Reports what the shell passed on").handler(
            |ctx: RequestContext, _: NoArgs| async move {
                let inv = ctx.invocation().cloned().unwrap_or_default();
                let remaining = ctx.time_remaining().map_or(0, |d| d.as_secs());
                json!({
                    "requestId": inv.request_id,
                    "secondsLeft": remaining,
                    "authorizer": inv.authorizer,
                })
                .to_string()
            },
        ))
        .build()
        .unwrap()
}

fn shell(config: LambdaConfig) -> LambdaService {
    LambdaApp::new(router()).with_config(config).into_service().unwrap()
}

struct Out {
    status: u16,
    headers: http::HeaderMap,
    body: String,
}

async fn serve(svc: &LambdaService, req: lambda_http::Request) -> Out {
    let resp = svc.clone().oneshot(req).await.unwrap();
    let (parts, body) = resp.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    Out { status: parts.status.as_u16(), headers: parts.headers, body: String::from_utf8_lossy(&body).into_owned() }
}

fn json_of(o: &Out) -> Value {
    if o.headers.get("content-type").is_some_and(|v| v == "text/event-stream") {
        mcp_handler_tests::sse_messages(&o.body).pop().unwrap()
    } else {
        serde_json::from_str(&o.body).unwrap_or_else(|e| panic!("{e}: {}", o.body))
    }
}

fn meta_2026() -> Value {
    json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    })
}

#[tokio::test]
async fn every_front_door_serves_both_generations() {
    for config in [LambdaConfig::buffered(), LambdaConfig::streaming()] {
        let svc = shell(config.clone());
        for door in FRONT_DOORS {
            let init = json!({"jsonrpc":"2.0","id":1,"method":"initialize","params":{
                "protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"t","version":"1"}}});
            let r = serve(&svc, event(door, &init, &[])).await;
            assert_eq!(r.status, 200, "{door}: {}", r.body);
            assert_eq!(json_of(&r)["result"]["protocolVersion"], "2025-11-25", "{door}");
            assert!(r.headers.get("mcp-session-id").is_none(), "{door}: no sessions on Lambda");

            let discover = json!({"jsonrpc":"2.0","id":2,"method":"server/discover","params":{"_meta": meta_2026()}});
            let headers = [("mcp-protocol-version", "2026-07-28"), ("mcp-method", "server/discover")];
            let r = serve(&svc, event(door, &discover, &headers)).await;
            assert_eq!(r.status, 200, "{door}: {}", r.body);
            assert_eq!(json_of(&r)["result"]["supportedVersions"][0], "2026-07-28", "{door}");
        }
    }
}

#[tokio::test]
async fn tool_calls_see_the_invocation_and_the_authorizer() {
    let svc = shell(LambdaConfig::buffered());
    let call = json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"whoami","arguments":{}}});
    let mut seen = Vec::new();
    for door in FRONT_DOORS {
        let r = serve(&svc, event(door, &call, &[])).await;
        assert_eq!(r.status, 200, "{door}: {}", r.body);
        let text = json_of(&r)["result"]["content"][0]["text"].as_str().unwrap().to_owned();
        let facts: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(facts["requestId"], format!("req-{door}"), "{door}");
        assert!(facts["secondsLeft"].as_u64().unwrap() >= 55, "{door}: the deadline reaches handlers");
        seen.push((door, facts["authorizer"].clone()));
    }
    assert_eq!(seen[0].1["principalId"], "user-42", "REST API authorizer context");
    assert_eq!(seen[0].1["tenant"], "acme");
    assert_eq!(seen[1].1["jwt"]["claims"]["sub"], "user-42", "HTTP API JWT claims");
    assert!(seen[3].1.is_null(), "ALB has no authorizer");
}

#[tokio::test]
async fn notifications_bad_requests_and_foreign_origins() {
    let svc = shell(LambdaConfig::buffered());
    for door in FRONT_DOORS {
        let note = json!({"jsonrpc":"2.0","method":"notifications/initialized"});
        let r = serve(&svc, event(door, &note, &[])).await;
        assert_eq!((r.status, r.body.as_str()), (202, ""), "{door}");

        let mut req = event(door, &json!({}), &[]);
        *req.body_mut() = lambda_http::Body::from("{not json");
        let r = serve(&svc, req).await;
        assert_eq!(r.status, 400, "{door}");
        assert_eq!(json_of(&r)["error"]["code"], -32700, "{door}");

        let ping = json!({"jsonrpc":"2.0","id":4,"method":"ping"});
        let r = serve(&svc, event(door, &ping, &[("origin", "https://evil.example.com")])).await;
        assert_eq!(r.status, 403, "{door}: a foreign Origin is refused");
        assert_eq!(json_of(&r)["error"]["code"], -32600);
        // The platform's own Host passes: the front door fixes it.
        assert_eq!(serve(&svc, event(door, &ping, &[])).await.status, 200, "{door}");
        // A rebound Host that is not the domain the front door was invoked
        // on is refused where the event names that domain (not on ALB).
        let rebound =
            serve(&svc, event(door, &ping, &[("host", "evil.example.com"), ("Host", "evil.example.com")])).await;
        let expected = if door == "alb" { 200 } else { 403 };
        assert_eq!(rebound.status, expected, "{door}: {}", rebound.body);
    }
}

#[tokio::test]
async fn back_channel_requests_fail_clearly_and_health_answers() {
    let router = mcp_handler_examples::everything::router().unwrap();
    let svc = LambdaApp::new(router)
        .with_endpoint_config(mcp_handler_examples::everything::endpoint_config())
        .with_config(LambdaConfig::streaming())
        .into_service()
        .unwrap();
    let call = json!({"jsonrpc":"2.0","id":5,"method":"tools/call",
        "params":{"name":"test_elicitation","arguments":{"message":"hi"}}});
    let r = serve(&svc, event("function_url", &call, &[])).await;
    let result = &json_of(&r)["result"];
    assert_eq!(result["isError"], true, "2025 elicitation has no back channel on Lambda");
    assert!(result["content"][0]["text"].as_str().unwrap().contains("no back channel"));
    let mut health = event("alb", &json!({}), &[]);
    *health.method_mut() = http::Method::GET;
    *health.uri_mut() = "/healthz".parse().unwrap();
    assert_eq!(serve(&svc, health).await.status, 200);
}

/// The facade's secrets wiring on Lambda, with the guard token behind the
/// Parameters and Secrets extension (a loopback STAND-IN of its API): not
/// asked during init, loaded by the first invocation, then guarding every
/// front door; health stays open.
#[tokio::test]
async fn extension_secrets_load_on_the_first_invocation_and_guard_the_endpoint() {
    use mcp_handler::secrets::SecretsSetup;
    let ext = mcp_handler_tests::ExtensionStandIn::start("lambda-session").await;
    ext.values.lock().unwrap().insert("prod/mcp".into(), r#"{"token":"lambda-tok-1"}"#.into());
    let port = ext.port.to_string();
    let env = move |k: &str| match k {
        "MCP_SECRET_AUTH_TOKEN" => Some("aws-ext:prod/mcp#token".to_owned()),
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT" => Some(port.clone()),
        "AWS_SESSION_TOKEN" => Some("lambda-session".to_owned()),
        _ => None,
    };
    let router = router();
    let setup = SecretsSetup::with_env(&router, env).unwrap();
    let app = setup.lambda(LambdaApp::new(router).with_config(LambdaConfig::buffered()));
    let (svc, _) = app.into_ready_service().await.unwrap();
    assert!(ext.hits.lock().unwrap().is_empty(), "init does not call the extension");

    let list = json!({"jsonrpc":"2.0","id":1,"method":"tools/list"});
    for door in FRONT_DOORS {
        let r = serve(&svc, event(door, &list, &[])).await;
        assert_eq!(r.status, 401, "{door}: {}", r.body);
        assert!(r.headers["www-authenticate"].to_str().unwrap().starts_with("Bearer"), "{door}");
        let r = serve(&svc, event(door, &list, &[("authorization", "Bearer lambda-tok-1")])).await;
        assert_eq!(r.status, 200, "{door}: {}", r.body);
        let mut health = event(door, &json!({}), &[]);
        *health.method_mut() = http::Method::GET;
        *health.uri_mut() = "/healthz".parse().unwrap();
        assert_eq!(serve(&svc, health).await.status, 200, "{door}: health needs no token");
    }
    assert_eq!(ext.hits.lock().unwrap().len(), 1, "loaded once, then cached");
}

/// A required extension secret that does not exist: the invocation is
/// answered 503 naming the secret, and the next one tries again.
#[tokio::test]
async fn a_missing_extension_secret_fails_the_invocation_clearly() {
    use mcp_handler::secrets::SecretsSetup;
    let ext = mcp_handler_tests::ExtensionStandIn::start("lambda-session").await;
    let port = ext.port.to_string();
    let env = move |k: &str| match k {
        "MCP_SECRET_AUTH_TOKEN" => Some("aws-ext:prod/absent#token".to_owned()),
        "PARAMETERS_SECRETS_EXTENSION_HTTP_PORT" => Some(port.clone()),
        "AWS_SESSION_TOKEN" => Some("lambda-session".to_owned()),
        _ => None,
    };
    let router = router();
    let setup = SecretsSetup::with_env(&router, env).unwrap();
    let (svc, _) =
        setup.lambda(LambdaApp::new(router).with_config(LambdaConfig::buffered())).into_ready_service().await.unwrap();
    let list = json!({"jsonrpc":"2.0","id":1,"method":"tools/list"});
    let mut ready = event("function_url", &json!({}), &[]);
    *ready.method_mut() = http::Method::GET;
    *ready.uri_mut() = "/readyz".parse().unwrap();
    assert_eq!(serve(&svc, ready).await.status, 503, "not ready while a required secret cannot load");
    let r = serve(&svc, event("function_url", &list, &[("authorization", "Bearer anything")])).await;
    assert_eq!(r.status, 503, "{}", r.body);
    assert!(r.body.contains("AUTH_TOKEN") && r.body.contains("aws-ext:prod/absent"), "{}", r.body);
    // The secret appears: a later invocation (after the retry back-off) loads it.
    ext.values.lock().unwrap().insert("prod/absent".into(), r#"{"token":"late-tok"}"#.into());
    let late = [("authorization", "Bearer late-tok")];
    mcp_handler_tests::eventually(async || {
        (serve(&svc, event("function_url", &list, &late)).await.status == 200).then_some(())
    })
    .await;
}

/// A `Write` into a shared buffer, for a subscriber set on this thread.
#[derive(Clone, Default)]
struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl std::io::Write for Captured {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn each_invocation_is_one_access_line_with_its_request_id() {
    let log = Captured::default();
    let writer = log.clone();
    let subscriber = tracing_subscriber::fmt().json().flatten_event(true).with_writer(move || writer.clone()).finish();
    let _guard = tracing::subscriber::set_default(subscriber);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let svc = shell(LambdaConfig::buffered());
        let call = json!({"jsonrpc":"2.0","id":9,"method":"tools/call","params":{"name":"whoami","arguments":{}}});
        let headers = [("mcp-protocol-version", "2025-06-18")];
        assert_eq!(serve(&svc, event("function_url", &call, &headers)).await.status, 200);
        assert_eq!(serve(&svc, event("apigw_http_v2", &call, &headers)).await.status, 200);
        let evil = [("mcp-protocol-version", "2025-06-18"), ("host", "evil.example")];
        assert_eq!(serve(&svc, event("apigw_http_v2", &call, &evil)).await.status, 403);
        let quiet = shell(LambdaConfig::buffered().with_access_log(false));
        assert_eq!(serve(&quiet, event("function_url", &call, &headers)).await.status, 200);
    });
    let text = String::from_utf8(log.0.lock().unwrap().clone()).unwrap();
    let lines: Vec<Value> = text
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["target"] == "mcp_handler::access")
        .collect();
    assert_eq!(lines.len(), 3, "the calls and the refusal; the quiet shell writes none: {text}");
    assert_eq!(lines[1]["principal"], "user-42", "the JWT's sub names the caller: {}", lines[1]);
    assert!(lines[0].get("principal").is_none(), "a Function URL without auth names none: {}", lines[0]);
    let call = &lines[0];
    assert_eq!(call["lambda_request_id"], "req-function_url", "{call}");
    assert_eq!((call["mcp_method"].as_str(), call["name"].as_str()), (Some("tools/call"), Some("whoami")), "{call}");
    assert_eq!((call["status"].as_u64(), call["outcome"].as_str()), (Some(200), Some("ok")), "{call}");
    assert!(call["client"].as_str().is_some(), "the front door's source IP: {call}");
    let refused = &lines[2];
    assert_eq!((refused["status"].as_u64(), refused["refusal"].as_str()), (Some(403), Some("host")), "{refused}");
    assert!(refused["hint"].as_str().unwrap().contains("front door"), "{refused}");
}

#[tokio::test]
async fn each_invocation_writes_one_emf_line_and_only_the_first_is_cold() {
    let lines = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let sink = lines.clone();
    let svc = LambdaApp::new(router())
        .with_config(LambdaConfig::buffered().with_access_log(false))
        .with_emf_sink(std::sync::Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned())))
        .into_service()
        .unwrap();
    let headers = [("mcp-protocol-version", "2025-06-18")];
    let call = json!({"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"whoami","arguments":{}}});
    assert_eq!(serve(&svc, event("function_url", &call, &headers)).await.status, 200);
    let unknown = json!({"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"invented","arguments":{}}});
    assert_eq!(serve(&svc, event("apigw_http_v2", &unknown, &headers)).await.status, 200);
    let evil = [("mcp-protocol-version", "2025-06-18"), ("host", "evil.example")];
    assert_eq!(serve(&svc, event("apigw_http_v2", &call, &evil)).await.status, 403);
    let lines: Vec<Value> = lines.lock().unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect();
    assert_eq!(lines.len(), 3, "{lines:#?}");
    let spec = &lines[0]["_aws"]["CloudWatchMetrics"][0];
    assert_eq!(spec["Namespace"], "mcp-handler");
    assert!(lines[0]["_aws"]["Timestamp"].as_u64().unwrap() > 1_700_000_000_000);
    assert_eq!((lines[0]["Tool"].as_str(), lines[0]["ColdStart"].as_u64()), (Some("whoami"), Some(1)), "{}", lines[0]);
    assert_eq!(lines[0]["RequestId"], "req-function_url");
    assert_eq!((lines[1]["ColdStart"].as_u64(), lines[1]["Errors"].as_u64()), (Some(0), Some(1)), "{}", lines[1]);
    assert!(lines[1].get("Tool").is_none(), "a client's tool name is no dimension: {}", lines[1]);
    assert_eq!(
        (lines[2]["Outcome"].as_str(), lines[2]["Status"].as_u64()),
        (Some("refused"), Some(403)),
        "{}",
        lines[2]
    );
}
