//! OpenTelemetry traces of the real `demo` binary, exported over OTLP/HTTP
//! to a loopback receiver (a stand-in decoding with the official protobuf
//! definitions: see `mcp_handler_tests::otlp`): the SERVER span of a
//! `tools/call` parented on the `traceparent` header, a 2026 call parented
//! on `_meta.traceparent`, and the handler's child span.

use mcp_handler_tests::otlp::{OtlpStandIn, attr, hex};
use mcp_handler_tests::{MCP_HEADERS, Running, demo_bin, http};
use opentelemetry_proto::tonic::trace::v1::span::SpanKind;
use serde_json::json;

const TRACE: &str = "0af7651916cd43dd8448eb211c80319c";
const META_TRACE: &str = "4bf92f3577b34da6a3ce929d0e0e4736";

#[tokio::test(flavor = "multi_thread")]
async fn server_and_handler_spans_reach_an_otlp_receiver_with_their_parents() {
    let receiver = OtlpStandIn::start().await;
    let endpoint = receiver.endpoint();
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SERVICE_NAME", "demo-under-test"),
        // Exported at once rather than every 5 s.
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    let server = Running::start_with(demo_bin(), &[], &env).await;

    // 2025 generation, W3C parent in the headers.
    let call = json!({"jsonrpc": "2.0", "id": 7, "method": "tools/call",
        "params": {"name": "text_stats", "arguments": {"text": "a b c"}}});
    let parent = format!("00-{TRACE}-b7ad6b7169203331-01");
    let mut headers = MCP_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    headers.push(("traceparent", &parent));
    let r = http(server.addr, "POST", "/mcp", &headers, &call.to_string()).await.unwrap();
    assert_eq!(r.status, 200, "{}", r.text());

    let root = receiver
        .span("tools/call text_stats (header parent)", |s| {
            hex(&s.trace_id) == TRACE && s.kind == SpanKind::Server as i32
        })
        .await;
    assert_eq!(root.name, "tools/call text_stats");
    assert_eq!(hex(&root.parent_span_id), "b7ad6b7169203331");
    assert_eq!(attr(&root, "mcp.method.name").as_deref(), Some("tools/call"));
    assert_eq!(attr(&root, "gen_ai.tool.name").as_deref(), Some("text_stats"));
    assert_eq!(attr(&root, "gen_ai.operation.name").as_deref(), Some("execute_tool"));
    assert_eq!(attr(&root, "jsonrpc.request.id").as_deref(), Some("7"));
    assert_eq!(attr(&root, "mcp.protocol.version").as_deref(), Some("2025-06-18"));
    assert_eq!(attr(&root, "network.transport").as_deref(), Some("tcp"));
    assert_eq!(attr(&root, "error.type"), None);
    let child = receiver.span("the handler's child span", |s| hex(&s.parent_span_id) == hex(&root.span_id)).await;
    assert_eq!(child.name, "tools/call text_stats");
    assert_eq!(hex(&child.trace_id), TRACE);
    assert_eq!(attr(&child, "gen_ai.tool.name").as_deref(), Some("text_stats"));
    assert_eq!(attr(&child, "gen_ai.operation.name").as_deref(), Some("execute_tool"));

    // 2026 generation, W3C parent in `_meta`, and an unknown tool: an error.
    let meta = json!({
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientInfo": {"name": "traces-test", "version": "1"},
        "io.modelcontextprotocol/clientCapabilities": {},
        "traceparent": format!("00-{META_TRACE}-00f067aa0ba902b7-01"),
    });
    for (id, tool) in [(8, "text_stats"), (9, "invented")] {
        let call = json!({"jsonrpc": "2.0", "id": id, "method": "tools/call",
            "params": {"name": tool, "arguments": {"text": "x"}, "_meta": meta}});
        let mut headers = MCP_HEADERS.to_vec();
        headers.extend([("mcp-protocol-version", "2026-07-28"), ("mcp-method", "tools/call"), ("mcp-name", tool)]);
        http(server.addr, "POST", "/mcp", &headers, &call.to_string()).await.unwrap();
    }
    let ok = receiver.span("id 8 (_meta parent)", |s| attr(s, "jsonrpc.request.id").as_deref() == Some("8")).await;
    assert_eq!(hex(&ok.trace_id), META_TRACE);
    assert_eq!(hex(&ok.parent_span_id), "00f067aa0ba902b7");
    assert_eq!(ok.kind, SpanKind::Server as i32);
    assert_eq!(attr(&ok, "mcp.protocol.version").as_deref(), Some("2026-07-28"));
    let child = receiver.span("id 8's child", |s| hex(&s.parent_span_id) == hex(&ok.span_id)).await;
    assert_eq!(hex(&child.trace_id), META_TRACE);
    let failed = receiver.span("id 9 (unknown tool)", |s| attr(s, "jsonrpc.request.id").as_deref() == Some("9")).await;
    assert_eq!(failed.name, "tools/call invented");
    assert_eq!(attr(&failed, "error.type").as_deref(), Some("-32602"));
    assert_eq!(failed.status.as_ref().map(|s| s.code), Some(2), "status ERROR");
}

#[tokio::test(flavor = "multi_thread")]
async fn without_an_endpoint_nothing_is_exported_and_sdk_disabled_wins() {
    let receiver = OtlpStandIn::start().await;
    let endpoint = receiver.endpoint();
    let env = [
        ("OTEL_EXPORTER_OTLP_ENDPOINT", endpoint.as_str()),
        ("OTEL_SDK_DISABLED", "true"),
        ("OTEL_BSP_SCHEDULE_DELAY", "50"),
    ];
    let server = Running::start_with(demo_bin(), &[], &env).await;
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "text_stats", "arguments": {"text": "a"}}});
    let mut headers = MCP_HEADERS.to_vec();
    headers.push(("mcp-protocol-version", "2025-06-18"));
    let r = http(server.addr, "POST", "/mcp", &headers, &call.to_string()).await.unwrap();
    assert_eq!(r.status, 200);
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(!receiver.received_any(), "OTEL_SDK_DISABLED=true must export nothing");
}
