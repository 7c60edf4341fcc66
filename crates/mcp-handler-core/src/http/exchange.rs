//! What the endpoint learned about one request, handed to the shell for
//! its access log, metrics and traces: an [`Exchange`], given to the hook
//! of [`McpService::handle_then`](super::McpService::handle_then) or put in
//! the response's extensions. Recorded only when the shell asks
//! ([`EndpointConfig::with_exchange_records`](super::EndpointConfig::with_exchange_records),
//! or [`with_exchange_counts`](super::EndpointConfig::with_exchange_counts)
//! for the allocation-free part counting needs); otherwise nothing here
//! runs and nothing is allocated.
//!
//! Only names and codes are recorded, never argument values, and each text
//! a client controls is cut to [`MAX_TEXT`] characters.

use std::borrow::Cow;

use http::Response;
use http::header::HeaderName;

use super::McpBody;
use crate::jsonrpc::{self, Incoming, Params, RequestId};
use crate::method::Method;
use crate::outcome::Outcome;
use crate::router::Router;
use crate::version::ProtocolVersion;

/// How much is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Detail {
    /// Method, registered target, outcome, refusal: no text, no allocation.
    Counts,
    /// Everything, texts included (name, id, session).
    Full,
}

const SESSION_ID: HeaderName = HeaderName::from_static("mcp-session-id");

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
    /// For `tools/call` and `prompts/get`, the index of the tool or prompt
    /// named in [`Router::tool_names`](crate::Router::tool_names) or
    /// [`Router::prompt_names`](crate::Router::prompt_names); `None` for a
    /// name the router does not have. Recorded at either detail: a metric
    /// can label by it without ever taking a client's text.
    pub registered: Option<usize>,
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
    /// The authenticated caller, when an auth layer put a
    /// [`Principal`](crate::Principal) in the request (the Lambda shell
    /// does from an API Gateway authorizer). Full detail only.
    pub principal: Option<Box<str>>,
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
    pub const REASONS: &'static [&'static str] = &[
        "host",
        "origin",
        "auth",
        "content_type",
        "accept",
        "too_large",
        "body_timeout",
        "rate_limited",
        "busy",
        "unavailable",
    ];
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
        let Exchange { method, name, registered, request_id, outcome, protocol_version, session, refusal, principal } =
            other;
        self.method = self.method.or(method);
        self.name = self.name.take().or(name);
        self.registered = self.registered.or(registered);
        self.request_id = self.request_id.take().or(request_id);
        self.outcome = self.outcome.or(outcome);
        self.protocol_version = self.protocol_version.or(protocol_version);
        self.session = self.session.take().or(session);
        self.refusal = self.refusal.or(refusal);
        self.principal = self.principal.take().or(principal);
    }
}

/// What a single message says about itself, before it is served.
pub(crate) fn of_message(
    msg: &Incoming<'_>,
    method: Option<Method>,
    version: Option<ProtocolVersion>,
    parts: &http::request::Parts,
    router: &Router,
    detail: Detail,
) -> Exchange {
    let full = detail == Detail::Full;
    let (label, id) = match msg {
        Incoming::Request { id, .. } => (method_label(method), full.then(|| id_text(id))),
        Incoming::Notification { .. } => ("notification", None),
        Incoming::Response { id, .. } => ("response", full.then(|| id_text(id))),
    };
    let params = match msg {
        Incoming::Request { params, .. } => params.as_ref(),
        _ => None,
    };
    let target = method.zip(params).and_then(|(m, p)| target(m, p));
    let r = &*router.inner;
    let registered = match (method, &target) {
        (Some(Method::ToolsCall), Some(name)) => r.tools.get_index_of(&**name),
        (Some(Method::PromptsGet), Some(name)) => r.prompts.get_index_of(&**name),
        _ => None,
    };
    Exchange {
        method: Some(label),
        name: target.filter(|_| full).map(|n| bounded(&n)),
        registered,
        request_id: id,
        protocol_version: version.map(ProtocolVersion::as_str),
        session: if full { session_header(&parts.headers) } else { None },
        principal: parts.extensions.get::<crate::Principal>().filter(|_| full).map(|p| bounded(&p.0)),
        ..Exchange::default()
    }
}

fn session_header(headers: &http::HeaderMap) -> Option<Box<str>> {
    headers.get(SESSION_ID).and_then(|v| v.to_str().ok()).map(bounded)
}

/// Cuts client text to [`MAX_TEXT`] characters.
pub(crate) fn bounded(text: &str) -> Box<str> {
    crate::util::first_chars(text, MAX_TEXT).into()
}

/// The method's label: its wire name when known.
pub(crate) fn method_label(method: Option<Method>) -> &'static str {
    method.map_or("unknown", Method::as_str)
}

/// The name a request targets, for the methods that carry one (`name` of
/// a tool or prompt, `uri` of a resource), as read with the message:
/// borrowed from the body when it holds no escapes.
pub(crate) fn target<'a>(method: Method, params: &Params<'a>) -> Option<Cow<'a, str>> {
    let member = match method {
        Method::ToolsCall | Method::PromptsGet => params.members.name,
        Method::ResourcesRead | Method::ResourcesSubscribe | Method::ResourcesUnsubscribe => params.members.uri,
        _ => return None,
    };
    jsonrpc::raw_str(member?)
}

/// The id as text, bounded.
pub(crate) fn id_text(id: &RequestId) -> Box<str> {
    match id {
        RequestId::Number(n) => n.to_string().into_boxed_str(),
        RequestId::String(s) => bounded(s),
    }
}

/// Fills the record attached to `resp` (attaching one first): how code
/// deep in the endpoint (a refusal) adds to the record.
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

/// Puts `record` in `resp`'s extensions, where [`Exchange::of`] finds it
/// (what [`McpService::handle`](super::McpService::handle) does with it).
pub(crate) fn attach(resp: &mut Response<McpBody>, record: &mut Option<Exchange>) {
    if let Some(x) = record.take() {
        resp.extensions_mut().insert(x);
    }
}

/// Marks `resp` as a refusal.
pub(crate) fn refused(resp: &mut Response<McpBody>, reason: &'static str, hint: Option<&'static str>) {
    note(resp, |x| x.refusal = Some(Refusal { reason, hint }));
}

/// Completes `record` from the answer: what was noted on `resp` (a
/// refusal), the outcome read from a one-message body, and at full detail a
/// session the answer opened (`initialize`).
pub(crate) fn finish(resp: &mut Response<McpBody>, record: &mut Option<Exchange>, detail: Detail) {
    let record = record.get_or_insert_with(Exchange::default);
    if let Some(noted) = resp.extensions_mut().remove::<Exchange>() {
        record.fill(noted);
    }
    if record.outcome.is_none() {
        record.outcome = resp.body().bytes().map(|b| crate::outcome::of_response(b));
    }
    if detail == Detail::Full && record.session.is_none() && record.method == Some(Method::Initialize.as_str()) {
        record.session = session_header(resp.headers());
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn target_of(method: Method, params: &str) -> Option<String> {
        let params = Params::read(params, Box::leak(Box::default())).unwrap();
        target(method, &params).map(Cow::into_owned)
    }

    #[test]
    fn names_come_from_the_methods_that_carry_them() {
        let call = r#"{"name":"echo","arguments":{"secret":"x"}}"#;
        assert_eq!(target_of(Method::ToolsCall, call).as_deref(), Some("echo"));
        assert_eq!(target_of(Method::ToolsList, call), None);
        let uri = r#"{"uri":"file:///a\"b"}"#;
        assert_eq!(target_of(Method::ResourcesRead, uri).as_deref(), Some("file:///a\"b"));
        // Not first, spaced, escaped, absent, or a name member nested in the
        // arguments: each read as serde reads it.
        for (params, name) in [
            (r#"{"arguments":{"name":"inner"},"name":"outer"}"#, Some("outer")),
            (r#" { "name" : "spaced" , "arguments" : {} }"#, Some("spaced")),
            (r#"{"name":"a\u0062c"}"#, Some("abc")),
            (r#"{"names":"x","name":"y"}"#, Some("y")),
            (r#"{"arguments":{"name":"inner"}}"#, None),
            (r#"{"name":7}"#, None),
        ] {
            assert_eq!(target_of(Method::ToolsCall, params).as_deref(), name, "{params}");
        }
        assert_eq!(method_label(None), "unknown");
    }

    #[test]
    fn counts_copy_no_text_and_full_records_bound_it() {
        let router = Router::builder("t", "1")
            .tool(crate::Tool::builder("echo").description("e").handler(|| async { "x" }))
            .build()
            .unwrap();
        let long = format!(
            r#"{{"jsonrpc":"2.0","id":"{}","method":"tools/call","params":{{"name":"{}"}}}}"#,
            "i".repeat(300),
            "é".repeat(500)
        );
        let echo = r#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"echo"}}"#;
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.headers.insert(SESSION_ID, http::HeaderValue::from_static("s-1"));
        parts.extensions.insert(crate::Principal("user-1".into()));
        for (body, registered) in [(echo.to_owned(), Some(0)), (long, None)] {
            let mut slot = crate::jsonrpc::params::Slot::default();
            let msg = Incoming::parse(body.as_bytes(), &mut slot).unwrap();
            let m = Method::of_request(&msg);
            let counts = of_message(&msg, m, None, &parts, &router, Detail::Counts);
            assert_eq!((counts.method, counts.registered), (Some("tools/call"), registered));
            assert!(counts.name.is_none() && counts.request_id.is_none() && counts.session.is_none());
            assert!(counts.principal.is_none(), "counting copies no text");
            let full = of_message(&msg, m, None, &parts, &router, Detail::Full);
            assert!(full.name.unwrap().chars().count() <= MAX_TEXT);
            assert!(full.request_id.unwrap().chars().count() <= MAX_TEXT);
            assert_eq!(full.session.as_deref(), Some("s-1"));
            assert_eq!(full.principal.as_deref(), Some("user-1"));
        }
    }

    #[test]
    fn a_record_is_completed_from_what_was_noted_and_the_body() {
        let body = crate::jsonrpc::error_bytes(None, &crate::McpError::invalid_params("x"));
        let mut resp = Response::new(McpBody::full(body));
        refused(&mut resp, "busy", None);
        let mut record = Some(Exchange { method: Some("tools/call"), ..Exchange::default() });
        finish(&mut resp, &mut record, Detail::Counts);
        let x = record.unwrap();
        assert_eq!((x.method, x.refusal.map(|r| r.reason)), (Some("tools/call"), Some("busy")));
        assert_eq!(x.outcome, Some(Outcome::Error(-32602)));
        assert!(Exchange::of(&resp).is_none(), "taken out of the response, not copied");
    }

    #[test]
    fn the_closed_sets_name_every_label_the_endpoint_records() {
        for m in Method::ALL {
            assert!(Exchange::METHODS.contains(&method_label(Some(m))), "{m:?}");
        }
        assert!(Exchange::METHODS.contains(&method_label(None)));
        // Every `refusal(resp, "reason", ..)` call of the endpoint's sources
        // names a reason of the list.
        let sources = [
            include_str!("service.rs"),
            include_str!("respond.rs"),
            include_str!("throttle.rs"),
            include_str!("v2026.rs"),
        ];
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
