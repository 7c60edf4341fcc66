//! Where a request's parent span comes from: the W3C trace context
//! (`traceparent`, `tracestate`) of the HTTP headers or of `_meta`, or the
//! AWS X-Ray trace header of a Lambda invocation.

use opentelemetry::Context;
use opentelemetry::propagation::{Extractor, TextMapPropagator as _};
use opentelemetry::trace::{SpanContext, SpanId, TraceContextExt as _, TraceFlags, TraceId, TraceState};
use opentelemetry_sdk::propagation::TraceContextPropagator;

struct Headers<'a>(&'a http::HeaderMap);

impl Extractor for Headers<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        self.0.get(key).and_then(|v| v.to_str().ok())
    }
    fn keys(&self) -> Vec<&str> {
        self.0.keys().map(http::HeaderName::as_str).collect()
    }
}

struct Pair<'a>(&'a str, Option<&'a str>);

impl Extractor for Pair<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        match key {
            "traceparent" => Some(self.0),
            "tracestate" => self.1,
            _ => None,
        }
    }
    fn keys(&self) -> Vec<&str> {
        vec!["traceparent", "tracestate"]
    }
}

/// The valid remote parent of `cx`, if it has one.
fn valid(cx: Context) -> Option<Context> {
    cx.span().span_context().is_valid().then_some(cx)
}

/// The parent the W3C headers name; `None` when absent or malformed.
pub fn from_headers(headers: &http::HeaderMap) -> Option<Context> {
    if !headers.contains_key("traceparent") {
        return None;
    }
    valid(TraceContextPropagator::new().extract(&Headers(headers)))
}

/// The parent a `traceparent` (and `tracestate`) value names, as `_meta`
/// carries them; `None` when malformed.
pub fn from_traceparent(traceparent: &str, tracestate: Option<&str>) -> Option<Context> {
    valid(TraceContextPropagator::new().extract(&Pair(traceparent, tracestate)))
}

/// The parent an X-Ray trace header names
/// (`Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1`:
/// the root's two hex parts are the 128-bit trace id, `Parent` the span);
/// `None` without a root and a parent, or when either is malformed.
pub fn from_xray(header: &str) -> Option<Context> {
    let (mut root, mut parent, mut sampled) = (None, None, false);
    for part in header.split(';') {
        match part.trim().split_once('=') {
            Some(("Root", v)) => root = Some(v),
            Some(("Parent", v)) => parent = Some(v),
            Some(("Sampled", v)) => sampled = v == "1",
            _ => {}
        }
    }
    let mut fields = root?.split('-');
    let (version, time, rest) = (fields.next()?, fields.next()?, fields.next()?);
    if version != "1" || time.len() != 8 || rest.len() != 24 || fields.next().is_some() {
        return None;
    }
    let hex = |s: &str| s.bytes().all(|b| b.is_ascii_hexdigit());
    let parent = parent?;
    if !(hex(time) && hex(rest) && parent.len() == 16 && hex(parent)) {
        return None;
    }
    let trace_id = TraceId::from_hex(&format!("{time}{rest}")).ok()?;
    let span_id = SpanId::from_hex(parent).ok()?;
    let flags = if sampled { TraceFlags::SAMPLED } else { TraceFlags::default() };
    let sc = SpanContext::new(trace_id, span_id, flags, true, TraceState::default());
    sc.is_valid().then(|| Context::new().with_remote_span_context(sc))
}

/// The remote span context `cx` carries (for tests and logs).
pub fn remote_parent(cx: &Context) -> SpanContext {
    cx.span().span_context().clone()
}

#[cfg(test)]
mod tests {
    use super::*;

    const TP: &str = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";

    #[test]
    fn headers_give_the_w3c_parent_with_its_state() {
        let mut h = http::HeaderMap::new();
        assert!(from_headers(&h).is_none());
        h.insert("traceparent", TP.parse().unwrap());
        h.insert("tracestate", "vendor=x".parse().unwrap());
        let sc = remote_parent(&from_headers(&h).unwrap());
        assert_eq!(sc.trace_id().to_string(), "0af7651916cd43dd8448eb211c80319c");
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
        assert!(sc.is_sampled() && sc.is_remote());
        assert_eq!(sc.trace_state().get("vendor"), Some("x"));
        h.insert("traceparent", "00-zz-b7ad6b7169203331-01".parse().unwrap());
        assert!(from_headers(&h).is_none());
    }

    #[test]
    fn meta_values_give_the_same_parent_and_bad_ones_none() {
        let sc = remote_parent(&from_traceparent(TP, None).unwrap());
        assert_eq!(sc.span_id().to_string(), "b7ad6b7169203331");
        for bad in ["", "00", "00-00000000000000000000000000000000-b7ad6b7169203331-01", "é-x-y-z"] {
            assert!(from_traceparent(bad, Some("a=b")).is_none(), "{bad}");
        }
    }

    #[test]
    fn xray_headers_link_to_the_invocation() {
        let h = "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=1";
        let sc = remote_parent(&from_xray(h).unwrap());
        assert_eq!(sc.trace_id().to_string(), "5759e988bd862e3fe1be46a994272793");
        assert_eq!(sc.span_id().to_string(), "53995c3f42cd8ad8");
        assert!(sc.is_sampled() && sc.is_remote());
        let unsampled = from_xray("Root=1-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8;Sampled=0");
        assert!(!remote_parent(&unsampled.unwrap()).is_sampled());
        for bad in [
            "",
            "Root=1-5759e988-bd862e3fe1be46a994272793",
            "Root=2-5759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e98-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a99427279z;Parent=53995c3f42cd8ad8",
            "Root=1-5759e988-bd862e3fe1be46a994272793;Parent=0000000000000000",
            "Root=1-é759e988-bd862e3fe1be46a994272793;Parent=53995c3f42cd8ad8",
        ] {
            assert!(from_xray(bad).is_none(), "{bad}");
        }
    }
}
