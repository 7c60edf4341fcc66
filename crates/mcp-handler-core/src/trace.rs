//! What the core offers a trace exporter without knowing OpenTelemetry:
//! the target its spans use, one child span per handler call, and a hook
//! for the W3C trace context a 2026 request carries in `_meta`.
//!
//! The spans are plain `tracing` spans under [`TARGET`]. The log
//! subscriber turns that target off unless an exporter's layer is installed
//! (`logging::install_logging_with`), so without one each handler pays a
//! cached callsite check and nothing else: no span, no allocation.
//! `mcp-handler-otel` maps the fields, named after the OpenTelemetry MCP
//! semantic conventions, to span attributes.

use std::sync::Arc;

use tracing::Level;

use crate::jsonrpc::RawJson;
use crate::method::Method;

/// The `tracing` target of the request and handler spans.
pub const TARGET: &str = "mcp_handler::otel";

/// The longest `traceparent` / `tracestate` read from `_meta`: the W3C
/// limits (55 characters; 32 members of at most 256) with room to spare.
const MAX_TRACESTATE: usize = 8192;

/// Called with `_meta.traceparent` (and `tracestate`) of a 2026 request
/// that has no `traceparent` header, inside the request's span and before
/// any handler span is made, so that the exporter can parent the request
/// span on it. Set with
/// [`EndpointConfig::with_trace_context_hook`](crate::EndpointConfig::with_trace_context_hook).
#[derive(Clone)]
pub struct TraceContextHook(Arc<HookFn>);

/// `f(traceparent, tracestate)`.
type HookFn = dyn Fn(&str, Option<&str>) + Send + Sync;

impl TraceContextHook {
    /// A hook calling `f(traceparent, tracestate)`.
    pub fn new(f: impl Fn(&str, Option<&str>) + Send + Sync + 'static) -> Self {
        Self(Arc::new(f))
    }
}

impl std::fmt::Debug for TraceContextHook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TraceContextHook")
    }
}

/// Hands `_meta`'s trace context to `hook`, when it has one: its two
/// members as the endpoint read them (raw JSON). A value that is not a
/// string, or is oversized, is ignored: a client's bad trace context never
/// fails its request.
pub(crate) fn from_carrier(hook: &TraceContextHook, traceparent: Option<RawJson<'_>>, tracestate: Option<RawJson<'_>>) {
    fn text(v: Option<RawJson<'_>>) -> Option<std::borrow::Cow<'_, str>> {
        v.filter(|v| v.get().starts_with('"')).and_then(crate::jsonrpc::raw_str)
    }
    parent_on(hook, text(traceparent).as_deref(), text(tracestate).as_deref());
}

fn parent_on(hook: &TraceContextHook, traceparent: Option<&str>, tracestate: Option<&str>) {
    let Some(parent) = traceparent.filter(|p| p.len() <= 64) else { return };
    let state = tracestate.filter(|s| s.len() <= MAX_TRACESTATE);
    (hook.0)(parent, state);
}

/// The child span of one handler call: `tools/call {tool}`,
/// `prompts/get {prompt}`, `resources/read {uri}`; `None` unless an
/// exporter listens to [`TARGET`].
pub(crate) fn handler_span(method: Method, name: &str) -> Option<tracing::Span> {
    if !tracing::enabled!(target: TARGET, Level::INFO) {
        return None;
    }
    let m = method.as_str();
    let span = match method {
        Method::ToolsCall => tracing::info_span!(
            target: TARGET, "handler",
            otel.name = %format_args!("{m} {name}"),
            mcp.method.name = m,
            gen_ai.operation.name = "execute_tool",
            gen_ai.tool.name = name,
        ),
        Method::PromptsGet => tracing::info_span!(
            target: TARGET, "handler",
            otel.name = %format_args!("{m} {name}"),
            mcp.method.name = m,
            gen_ai.prompt.name = name,
        ),
        _ => {
            // Cut as the exchange record cuts it.
            let uri = crate::util::first_chars(name, crate::http::MAX_TEXT);
            tracing::info_span!(
                target: TARGET, "handler",
                otel.name = %format_args!("{m} {uri}"),
                mcp.method.name = m,
                mcp.resource.uri = uri,
            )
        }
    };
    Some(span)
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    use serde_json::value::RawValue;

    fn seen(meta: &str) -> Option<(String, Option<String>)> {
        let got = Arc::new(Mutex::new(None));
        let sink = got.clone();
        let hook = TraceContextHook::new(move |p, s| {
            *sink.lock().unwrap() = Some((p.to_owned(), s.map(str::to_owned)));
        });
        #[derive(serde::Deserialize)]
        struct Carrier<'a> {
            #[serde(borrow)]
            traceparent: Option<&'a RawValue>,
            #[serde(borrow)]
            tracestate: Option<&'a RawValue>,
        }
        let c: Carrier<'_> = serde_json::from_str(meta).unwrap();
        from_carrier(&hook, c.traceparent.map(RawJson::of), c.tracestate.map(RawJson::of));
        got.lock().unwrap().take()
    }

    #[test]
    fn meta_trace_context_reaches_the_hook_and_bad_values_are_ignored() {
        let tp = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
        let meta = format!(r#"{{"traceparent":"{tp}","tracestate":"a=b","x":1}}"#);
        assert_eq!(seen(&meta), Some((tp.to_owned(), Some("a=b".to_owned()))));
        assert_eq!(seen(r#"{"traceparent":"x"}"#), Some(("x".to_owned(), None)));
        assert_eq!(seen(r#"{"traceparent":7}"#), None);
        assert_eq!(seen(&format!(r#"{{"traceparent":"{}"}}"#, "0".repeat(100))), None);
        assert_eq!(seen(r#"{"other":true}"#), None);
    }

    #[test]
    fn no_handler_span_without_a_listener() {
        assert!(handler_span(Method::ToolsCall, "echo").is_none());
    }
}
