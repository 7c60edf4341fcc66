//! The SERVER span of one request: made by the shell before the endpoint
//! runs, parented on the client's trace context, and completed from the
//! endpoint's [`Exchange`] record once the response is ready.

use mcp_handler_core::trace::{TARGET, TraceContextHook};
use mcp_handler_core::{Exchange, outcome::Outcome};
use tracing::Span;
use tracing::field::Empty;
use tracing_opentelemetry::OpenTelemetrySpanExt as _;

/// The request's span. Its name (`otel.name`) and MCP attributes are
/// recorded by [`finish`]; `transport` is `network.transport` (`tcp`, or
/// `None` where the platform's front door hides it).
pub fn request_span(method: &http::Method, transport: Option<&'static str>) -> Span {
    tracing::info_span!(
        target: TARGET, "request",
        otel.name = "mcp",
        otel.kind = "server",
        otel.status_code = Empty,
        mcp.method.name = Empty,
        mcp.protocol.version = Empty,
        mcp.session.id = Empty,
        mcp.resource.uri = Empty,
        jsonrpc.request.id = Empty,
        jsonrpc.protocol.version = "2.0",
        gen_ai.tool.name = Empty,
        gen_ai.prompt.name = Empty,
        gen_ai.operation.name = Empty,
        error.type = Empty,
        rpc.response.status_code = Empty,
        http.request.method = method.as_str(),
        http.response.status_code = Empty,
        network.transport = transport,
        network.protocol.name = "http",
    )
}

/// Parents `span` on the W3C headers, else on `xray` (a Lambda
/// invocation's trace header). Does nothing without a valid one.
pub fn set_parent(span: &Span, headers: &http::HeaderMap, xray: Option<&str>) {
    let cx = crate::from_headers(headers).or_else(|| xray.and_then(crate::from_xray));
    if let Some(cx) = cx {
        // Fails only when no exporter sees the span: nothing to parent.
        let _ = span.set_parent(cx);
    }
}

/// The hook the endpoint calls with `_meta`'s trace context
/// (`EndpointConfig::with_trace_context_hook`): it parents the current
/// span, the request's, which has not started yet.
pub fn hook() -> TraceContextHook {
    TraceContextHook::new(|traceparent, tracestate| {
        if let Some(cx) = crate::from_traceparent(traceparent, tracestate) {
            let _ = Span::current().set_parent(cx);
        }
    })
}

/// Records what the response and its exchange record say: the span's name
/// (`{mcp.method.name} {target}`), the MCP attributes, and `error.type`
/// (the JSON-RPC error code, `tool_error`, a refusal's reason, or the HTTP
/// status of a 5xx).
pub fn finish<B>(span: &Span, resp: &http::Response<B>) {
    finish_with(span, resp, Exchange::of(resp));
}

/// [`finish`] with the record handed over separately (the server shell's
/// `McpService::handle_then` gives it instead of the response extensions).
pub fn finish_with<B>(span: &Span, resp: &http::Response<B>, record: Option<&Exchange>) {
    let status = resp.status();
    span.record("http.response.status_code", status.as_u16());
    let mut error: Option<String> = None;
    if let Some(x) = record {
        if let Some(method) = x.method {
            span.record("mcp.method.name", method);
            match (method, x.name.as_deref()) {
                (m, Some(name)) => {
                    rename(span, format!("{m} {name}"));
                    match m {
                        "tools/call" => {
                            span.record("gen_ai.tool.name", name);
                            span.record("gen_ai.operation.name", "execute_tool");
                        }
                        "prompts/get" => {
                            span.record("gen_ai.prompt.name", name);
                        }
                        _ => {
                            span.record("mcp.resource.uri", name);
                        }
                    }
                }
                (m, None) => rename(span, m.to_owned()),
            }
        }
        if let Some(id) = x.request_id.as_deref() {
            span.record("jsonrpc.request.id", id);
        }
        if let Some(v) = x.protocol_version {
            span.record("mcp.protocol.version", v);
        }
        if let Some(s) = x.session.as_deref() {
            span.record("mcp.session.id", s);
        }
        match x.outcome {
            Some(Outcome::Error(code)) => {
                span.record("rpc.response.status_code", code.to_string());
                error = Some(code.to_string());
            }
            Some(Outcome::ToolError) => error = Some("tool_error".into()),
            _ => {}
        }
        if let Some(r) = x.refusal {
            error = error.or_else(|| Some(r.reason.into()));
        }
    }
    if error.is_none() && status.is_server_error() {
        error = Some(status.as_u16().to_string());
    }
    if let Some(e) = error {
        span.record("error.type", e);
        span.record("otel.status_code", "error");
    }
}

/// Names the span. The OpenTelemetry span has usually started already (its
/// handler's child started it), and then `otel.name` is no longer read:
/// the started span is renamed through the OpenTelemetry API.
fn rename(span: &Span, name: String) {
    use opentelemetry::trace::TraceContextExt as _;
    span.context().span().update_name(name);
}
