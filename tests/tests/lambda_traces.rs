//! Traces on Lambda, in-process: a real API Gateway v2 event served by the
//! Lambda shell with an exporter to a loopback OTLP/HTTP stand-in
//! (`mcp_handler_tests::otlp`). The SERVER span joins the invocation's
//! X-Ray trace, a W3C header wins over it, and the span is exported before
//! the invocation returns (a frozen sandbox exports nothing).

#![allow(clippy::unwrap_used)]

use http_body_util::BodyExt as _;
use lambda_http::RequestExt as _;
use mcp_handler::lambda::{LambdaApp, LambdaConfig};
use mcp_handler::logging::{LogSetup, install_logging_with};
use mcp_handler::{NoArgs, Router, Tool};
use mcp_handler_tests::otlp::{OtlpStandIn, attr, hex};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::{Value, json};
use tower::ServiceExt as _;

const XRAY: &str = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";

fn event(body: &Value, headers: &[(&str, &str)]) -> lambda_http::Request {
    let path = format!("{}/data/lambda/apigw_http_v2.json", env!("CARGO_MANIFEST_DIR"));
    let mut ev: Value = serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
    ev["body"] = Value::String(body.to_string());
    for (k, v) in headers {
        ev["headers"][*k] = json!(v);
    }
    let req = lambda_http::request::from_str(&ev.to_string()).unwrap();
    let mut ctx = lambda_http::Context::default();
    ctx.request_id = "req-traced".into();
    ctx.xray_trace_id = Some(XRAY.into());
    req.with_lambda_context(ctx)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_invocation_span_joins_its_xray_trace_and_is_exported_before_returning() {
    let receiver = OtlpStandIn::start().await;
    let otel = mcp_handler_otel::Otel::to_endpoint(&format!("{}/v1/traces", receiver.endpoint())).unwrap();
    let setup = LogSetup { filter: Some("warn".into()), json: false, timestamps: false, audit: false };
    assert!(install_logging_with(setup, Some(otel.layer())), "this test process installs the subscriber once");
    let router = Router::builder("lambda-traces", "1.0.0")
        .tool(Tool::builder("ping").description("pong").handler(|_: NoArgs| async { "pong" }))
        .build()
        .unwrap();
    let svc = LambdaApp::new(router).with_config(LambdaConfig::default()).with_otel(otel).into_service().unwrap();
    let call = json!({"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"ping","arguments":{}}});

    let resp = svc.clone().oneshot(event(&call, &[])).await.unwrap();
    assert_eq!(resp.status(), 200);
    // Exported before the invocation returned: no waiting here.
    assert!(receiver.received_any(), "the invocation returned before its spans were exported");
    drop(resp.into_body().collect().await.unwrap());
    let root = receiver.span("the invocation's SERVER span", |s| s.kind == SpanKind::Server as i32).await;
    assert_eq!(hex(&root.trace_id), "5759e988bd862e3fe1be46a994272793");
    assert_eq!(hex(&root.parent_span_id), "53995c3f42cd8ad8");
    assert_eq!(root.name, "tools/call ping");
    assert_eq!(attr(&root, "gen_ai.tool.name").as_deref(), Some("ping"));
    assert_eq!(attr(&root, "jsonrpc.request.id").as_deref(), Some("3"));
    let child = receiver.span("the handler's span", |s| hex(&s.parent_span_id) == hex(&root.span_id)).await;
    assert_eq!(child.name, "tools/call ping");

    // A W3C parent sent by the client wins over the invocation's.
    let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
    let call = json!({"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"ping","arguments":{}}});
    let resp = svc.clone().oneshot(event(&call, &[("traceparent", tp)])).await.unwrap();
    assert_eq!(resp.status(), 200);
    let w3c = receiver.span("id 4", |s| attr(s, "jsonrpc.request.id").as_deref() == Some("4")).await;
    assert_eq!(hex(&w3c.trace_id), "0af7651916cd43dd8448eb211c80319c");
    assert_eq!(hex(&w3c.parent_span_id), "b7ad6b7169203331");
}
