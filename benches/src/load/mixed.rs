//! The `mixed` scenario: the traffic of a soak test, against the
//! `everything` example server (the conformance fixtures, whose names and
//! answers the official suite fixes, and its `slow` tool). Each round
//! sends every kind of request a client sends in a session's life, in both
//! generations: `tools/list`, `tools/call`, `resources/read`, and a call
//! that reports progress, so its answer streams as SSE. The 2025 requests
//! ride the connection's session; the 2026 ones carry none.

use super::check::Expect;
use super::wire::{Body, Wire};
use crate::payload::{VERSION_2025, VERSION_2026};

/// Requests in one round.
pub(crate) const LEN: usize = 8;

/// The answer of `test_simple_text`.
const SIMPLE_TEXT: &str = "This is a simple text response for testing.";
/// The contents of `test://static-text`.
const STATIC_TEXT: &str = "This is the content of the static text resource.";
/// The answer of `slow` with `ms: 0`: progress 0 and 1 first, then this.
const SLOW_TEXT: &str = "slept 0 ms";

const CLIENT_INFO: &str = concat!(r#"{"name":"mcp-bench","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#);

/// One request of a round, serialized once.
#[derive(Debug)]
pub(crate) struct Fixture {
    pub(super) wire: Wire,
    pub(super) expect: Expect<'static>,
    /// A 2026-generation request: sent without the session.
    pub(super) stateless: bool,
}

/// What the target must answer, per request.
struct Request {
    method: &'static str,
    /// `Mcp-Name` in the 2026 shape (the tool or the URI).
    name: Option<&'static str>,
    /// `params` members, without `_meta`.
    params: &'static str,
    /// `_meta` members of the 2025 shape (the 2026 shape adds its own).
    meta: Option<&'static str>,
    expect: fn(bool) -> Expect<'static>,
}

const ROUND: [Request; LEN / 2] = [
    Request { method: "tools/list", name: None, params: "", meta: None, expect: |_| Expect::Tools { name: "slow" } },
    Request {
        method: "tools/call",
        name: Some("test_simple_text"),
        params: r#""name":"test_simple_text","arguments":{}"#,
        meta: None,
        expect: |stateless| Expect::Echo { text: SIMPLE_TEXT, stateless },
    },
    Request {
        method: "resources/read",
        name: Some("test://static-text"),
        params: r#""uri":"test://static-text""#,
        meta: None,
        expect: |stateless| Expect::Read { text: STATIC_TEXT, stateless },
    },
    Request {
        method: "tools/call",
        name: Some("slow"),
        params: r#""name":"slow","arguments":{"ms":0}"#,
        meta: Some(r#""progressToken":1"#),
        expect: |stateless| Expect::Streamed { text: SLOW_TEXT, stateless },
    },
];

/// The round: each request in the 2025 shape, then each in the 2026 shape.
/// `headers` gives a POST's full header list with these extra ones.
pub(crate) fn round(path: &str, headers: impl Fn(&[(&str, &str)]) -> Vec<(String, String)>) -> Vec<Fixture> {
    let v2025 = ROUND.iter().map(|r| {
        let params = match (r.params, r.meta) {
            (p, Some(m)) => format!(r#"{p},"_meta":{{{m}}}"#),
            (p, None) => p.to_owned(),
        };
        let body = Body::with_id(&format!(r#""method":"{}","params":{{{params}}}}}"#, r.method));
        let wire = Wire::new("POST", path, headers(&[("mcp-protocol-version", VERSION_2025)]), body);
        Fixture { wire, expect: (r.expect)(false), stateless: false }
    });
    let v2026 = ROUND.iter().map(|r| {
        let mut meta = format!(
            r#""io.modelcontextprotocol/protocolVersion":"{VERSION_2026}","io.modelcontextprotocol/clientCapabilities":{{}},"io.modelcontextprotocol/clientInfo":{CLIENT_INFO}"#
        );
        if let Some(m) = r.meta {
            meta = format!("{meta},{m}");
        }
        let sep = if r.params.is_empty() { "" } else { "," };
        let body = Body::with_id(&format!(r#""method":"{}","params":{{{}{sep}"_meta":{{{meta}}}}}}}"#, r.method, r.params));
        let mut extra = vec![("mcp-protocol-version", VERSION_2026), ("mcp-method", r.method)];
        extra.extend(r.name.map(|n| ("mcp-name", n)));
        let wire = Wire::new("POST", path, headers(&extra), body);
        Fixture { wire, expect: (r.expect)(true), stateless: true }
    });
    v2025.chain(v2026).collect()
}
