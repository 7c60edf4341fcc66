//! What the endpoint learned about one request, handed to the shell for
//! its access log, metrics and traces: an [`Exchange`] in the response's
//! extensions. Recorded only when the shell asks
//! ([`EndpointConfig::with_exchange_records`](super::EndpointConfig::with_exchange_records));
//! otherwise nothing here runs and nothing is allocated.
//!
//! Only names and codes are recorded, never argument values, and each text
//! a client controls is cut to [`MAX_TEXT`] characters.

use http::Response;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::McpBody;
use crate::jsonrpc::{Incoming, RequestId};
use crate::method::Method;
use crate::outcome::Outcome;
use crate::version::ProtocolVersion;

/// The most characters kept of a name or an id a client sent.
pub(crate) const MAX_TEXT: usize = 128;

/// One request as the endpoint saw it.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Exchange {
    /// The JSON-RPC method (`tools/call`); `unknown` for one this server
    /// does not know (the client's text is not recorded), `notification`
    /// or `response` for those messages, `batch` for a batch.
    pub method: Option<&'static str>,
    /// The tool, prompt or resource URI the request names.
    pub name: Option<Box<str>>,
    /// The JSON-RPC id, as text.
    pub request_id: Option<Box<str>>,
    /// What the answer says, when it is one JSON message.
    pub outcome: Option<Outcome>,
    /// The protocol version the request was served under.
    pub protocol_version: Option<&'static str>,
    /// The 2025 session (`Mcp-Session-Id` of the request, or of the
    /// answer to `initialize`).
    pub session: Option<Box<str>>,
    /// Why the request was refused before any handler ran.
    pub refusal: Option<Refusal>,
}

/// A refusal: a short reason (a stable label) and what to change, when the
/// deployment can change it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Refusal {
    /// One of [`Refusal::REASONS`].
    pub reason: &'static str,
    /// A hint for the operator, e.g. which variable widens the Host allow-list.
    pub hint: Option<&'static str>,
}

impl Refusal {
    /// Every reason the endpoint gives: a closed set of stable labels.
    pub const REASONS: &'static [&'static str] =
        &["host", "origin", "auth", "content_type", "accept", "too_large", "body_timeout", "rate_limited", "busy"];
}

impl Exchange {
    /// Every value [`method`](Self::method) takes: the methods this server
    /// knows, then `unknown`, `notification` and `response`. A closed set,
    /// so a metrics shell can give each its own counters up front.
    pub const METHODS: &'static [&'static str] = &[
        Method::Initialize.as_str(),
        Method::Ping.as_str(),
        Method::ServerDiscover.as_str(),
        Method::SubscriptionsListen.as_str(),
        Method::LoggingSetLevel.as_str(),
        Method::ToolsList.as_str(),
        Method::ToolsCall.as_str(),
        Method::ResourcesList.as_str(),
        Method::ResourcesTemplatesList.as_str(),
        Method::ResourcesRead.as_str(),
        Method::ResourcesSubscribe.as_str(),
        Method::ResourcesUnsubscribe.as_str(),
        Method::PromptsList.as_str(),
        Method::PromptsGet.as_str(),
        Method::CompletionComplete.as_str(),
        "unknown",
        "notification",
        "response",
    ];

    /// The record of `resp`, if the endpoint attached one.
    pub fn of<B>(resp: &Response<B>) -> Option<&Self> {
        resp.extensions().get::<Self>()
    }

    /// Takes from `other` what this record does not know yet.
    pub(crate) fn fill(&mut self, other: Exchange) {
        let Exchange { method, name, request_id, outcome, protocol_version, session, refusal } = other;
        self.method = self.method.or(method);
        self.name = self.name.take().or(name);
        self.request_id = self.request_id.take().or(request_id);
        self.outcome = self.outcome.or(outcome);
        self.protocol_version = self.protocol_version.or(protocol_version);
        self.session = self.session.take().or(session);
        self.refusal = self.refusal.or(refusal);
    }
}

/// What a single message says about itself, before it is served.
pub(crate) fn of_message(
    msg: &Incoming<'_>,
    method: Option<Method>,
    version: Option<ProtocolVersion>,
    headers: &http::HeaderMap,
) -> Exchange {
    let (label, name, id) = match msg {
        Incoming::Request { id, params, .. } => (method_label(method), target_name(method, *params), Some(id_text(id))),
        Incoming::Notification { .. } => ("notification", None, None),
        Incoming::Response { id, .. } => ("response", None, Some(id_text(id))),
    };
    Exchange {
        method: Some(label),
        name,
        request_id: id,
        protocol_version: version.map(ProtocolVersion::as_str),
        session: session_header(headers),
        ..Exchange::default()
    }
}

fn session_header(headers: &http::HeaderMap) -> Option<Box<str>> {
    headers.get("mcp-session-id").and_then(|v| v.to_str().ok()).map(bounded)
}

/// Cuts client text to [`MAX_TEXT`] characters.
pub(crate) fn bounded(text: &str) -> Box<str> {
    match text.char_indices().nth(MAX_TEXT) {
        Some((cut, _)) => text[..cut].into(),
        None => text.into(),
    }
}

/// The method's label: its wire name when known.
pub(crate) fn method_label(method: Option<Method>) -> &'static str {
    method.map_or("unknown", Method::as_str)
}

/// The name a request targets, read from its params only for the methods
/// that carry one (`name` of a tool or prompt, `uri` of a resource).
pub(crate) fn target_name(method: Option<Method>, params: Option<&RawValue>) -> Option<Box<str>> {
    #[derive(Deserialize)]
    struct Target<'a> {
        #[serde(borrow)]
        name: Option<std::borrow::Cow<'a, str>>,
        #[serde(borrow)]
        uri: Option<std::borrow::Cow<'a, str>>,
    }
    let by_uri = match method? {
        Method::ToolsCall | Method::PromptsGet => false,
        Method::ResourcesRead | Method::ResourcesSubscribe | Method::ResourcesUnsubscribe => true,
        _ => return None,
    };
    let t: Target<'_> = serde_json::from_str(params?.get()).ok()?;
    let name = if by_uri { t.uri } else { t.name };
    name.map(|n| bounded(&n))
}

/// The id as text, bounded.
pub(crate) fn id_text(id: &RequestId) -> Box<str> {
    bounded(&id.to_string())
}

/// Fills the record attached to `resp` (attaching one first).
pub(crate) fn note(resp: &mut Response<McpBody>, fill: impl FnOnce(&mut Exchange)) {
    let ext = resp.extensions_mut();
    if let Some(x) = ext.get_mut::<Exchange>() {
        fill(x);
    } else {
        let mut x = Exchange::default();
        fill(&mut x);
        ext.insert(x);
    }
}

/// Serves `served` and adds `record` (what the message said about itself)
/// to what the serving noted.
pub(crate) async fn recorded(
    record: Exchange,
    served: impl std::future::Future<Output = Response<McpBody>>,
) -> Response<McpBody> {
    let mut resp = served.await;
    note(&mut resp, |x| x.fill(record));
    resp
}

/// Marks `resp` as a refusal.
pub(crate) fn refused(resp: &mut Response<McpBody>, reason: &'static str, hint: Option<&'static str>) {
    note(resp, |x| x.refusal = Some(Refusal { reason, hint }));
}

/// Completes the record: the outcome read from a one-message body.
pub(crate) fn finish(resp: &mut Response<McpBody>) {
    let outcome = resp.body().bytes().map(|b| crate::outcome::of_response(b));
    let session = session_header(resp.headers());
    note(resp, |x| {
        x.outcome = x.outcome.or(outcome);
        x.session = x.session.take().or(session);
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_come_from_the_methods_that_carry_them_bounded() {
        let params = RawValue::from_string(r#"{"name":"echo","arguments":{"secret":"x"}}"#.into()).unwrap();
        assert_eq!(target_name(Some(Method::ToolsCall), Some(&params)).as_deref(), Some("echo"));
        assert_eq!(target_name(Some(Method::ToolsList), Some(&params)), None);
        assert_eq!(target_name(None, Some(&params)), None);
        let uri = RawValue::from_string(r#"{"uri":"file:///a\"b"}"#.into()).unwrap();
        assert_eq!(target_name(Some(Method::ResourcesRead), Some(&uri)).as_deref(), Some("file:///a\"b"));
        let long = RawValue::from_string(format!(r#"{{"name":"{}"}}"#, "é".repeat(500))).unwrap();
        assert_eq!(target_name(Some(Method::PromptsGet), Some(&long)).unwrap().chars().count(), MAX_TEXT);
        assert_eq!(method_label(None), "unknown");
    }

    #[test]
    fn a_record_is_attached_once_and_completed_from_the_body() {
        let body = crate::jsonrpc::error_bytes(None, &crate::McpError::invalid_params("x"));
        let mut resp = Response::new(McpBody::full(body));
        refused(&mut resp, "version", None);
        note(&mut resp, |x| x.method = Some("tools/call"));
        finish(&mut resp);
        let x = Exchange::of(&resp).unwrap();
        assert_eq!((x.method, x.refusal.map(|r| r.reason)), (Some("tools/call"), Some("version")));
        assert_eq!(x.outcome, Some(Outcome::Error(-32602)));
    }

    #[test]
    fn the_closed_sets_name_every_label_the_endpoint_records() {
        for m in Method::ALL {
            assert!(Exchange::METHODS.contains(&method_label(Some(m))), "{m:?}");
        }
        assert!(Exchange::METHODS.contains(&method_label(None)));
        // Every `refusal(resp, "reason", ..)` call of the endpoint's sources
        // names a reason of the list.
        let sources = [include_str!("service.rs"), include_str!("throttle.rs"), include_str!("v2026.rs")];
        let mut seen = 0;
        for src in sources {
            for call in src.split(".refusal(").skip(1) {
                let call = &call[..call.find(';').unwrap_or(call.len())];
                let reason = call.split('"').nth(1).unwrap();
                assert!(Refusal::REASONS.contains(&reason), "{reason:?} is not in Refusal::REASONS");
                seen += 1;
            }
        }
        assert!(seen >= 9, "found only {seen} refusals");
    }
}
