//! Target `meta_2026`: a 2026 request as its method, routing headers and
//! params. The input is written like an HTTP message:
//!
//! ```text
//! tools/call                      <- the body's method
//! Mcp-Method: tools/call          <- header lines, any names and values
//! Mcp-Name: echo
//!                                 <- a blank line
//! {"name":"echo","_meta":{...}}   <- the raw params (empty: none)
//! ```
//!
//! `_meta` parsing and the header checks must not panic, must refuse with
//! the codes the endpoint sends (`-32602` for params, `-32020` for
//! headers), and must agree with a direct reading of the rule each states:
//! a check passes exactly when the header mirrors the body.

use std::sync::LazyLock;

use base64::Engine as _;
use http::request::Parts;
use http::{HeaderName, HeaderValue};
use mcp_handler_core::ErrorCode;
use mcp_handler_core::fuzz_api::{self, HeaderParams};
use serde_json::{Value, json};

/// A tool schema with one mirrored parameter of each kind allowed.
static PARAMS: LazyLock<HeaderParams> = LazyLock::new(|| {
    let schema = json!({"type": "object", "properties": {
        "region": {"type": "string", "x-mcp-header": "Region"},
        "opts": {"type": "object", "properties": {"n": {"type": "integer", "x-mcp-header": "N"}}},
        "flag": {"type": "boolean", "x-mcp-header": "Flag"}}});
    HeaderParams::of_schema(&schema).expect("a valid annotated schema")
});

/// Panics when `data` breaks a property (see the module docs).
pub fn check(data: &[u8]) {
    let (head, params) = crate::split_head(data);
    let mut lines = head.split(|b| *b == b'\n');
    let method = String::from_utf8_lossy(lines.next().unwrap_or_default()).into_owned();
    let parts = parts(lines);
    let params = String::from_utf8_lossy(params);
    let params = Some(params.trim()).filter(|p| !p.is_empty());

    let by_method = fuzz_api::check_method(&parts, &method);
    let expected = single(&parts, "mcp-method").is_some_and(|h| h == method);
    assert_eq!(by_method.is_ok(), expected, "Mcp-Method check disagrees with the rule: {by_method:?}");
    if let Err(e) = by_method {
        assert_eq!(e.code, ErrorCode::HEADER_MISMATCH, "{e}");
    }

    let meta = match fuzz_api::parse_meta(params) {
        Ok(meta) => meta,
        Err(e) => {
            // The wrapper's own -32700 stands for a body the endpoint refused earlier.
            assert!([ErrorCode::INVALID_PARAMS, ErrorCode::PARSE_ERROR].contains(&e.code), "_meta refused with {e}");
            return;
        }
    };
    let named = match method.as_str() {
        "tools/call" | "prompts/get" => meta.name.as_deref(),
        "resources/read" => meta.uri.as_deref(),
        _ => None,
    };
    if let Some(expected) = named.and_then(fuzz_api::raw_str) {
        let by_name = fuzz_api::check_name(&parts, &expected);
        let mirrors = single(&parts, "mcp-name").and_then(|h| decode(&h)).is_some_and(|h| h == expected);
        assert_eq!(by_name.is_ok(), mirrors, "Mcp-Name check disagrees with the rule: {by_name:?}");
        if let Err(e) = by_name {
            assert_eq!(e.code, ErrorCode::HEADER_MISMATCH, "{e}");
        }
    }
    let arguments: Option<Value> = meta.arguments.as_deref().and_then(|a| serde_json::from_str(a).ok());
    match PARAMS.check(&parts, arguments.as_ref()) {
        Err(e) => assert_eq!(e.code, ErrorCode::HEADER_MISMATCH, "{e}"),
        Ok(()) => {
            // A string argument passed only with a header that mirrors it.
            if let Some(Value::String(region)) = arguments.as_ref().and_then(|a| a.get("region")) {
                let header = single(&parts, "mcp-param-region").and_then(|h| decode(&h));
                assert_eq!(header.as_deref(), Some(region.as_str()), "Mcp-Param-Region passed without mirroring");
            }
        }
    }
}

/// The request head of the header lines (`Name: value`); lines that no
/// HTTP stack would deliver (bad name or value bytes) are left out, as a
/// server never sees them.
fn parts<'a>(lines: impl Iterator<Item = &'a [u8]>) -> Parts {
    let mut req = http::Request::new(());
    for line in lines {
        let Some(colon) = line.iter().position(|b| *b == b':') else { continue };
        let (name, value) = (&line[..colon], &line[colon + 1..]);
        let value = value.strip_prefix(b" ").unwrap_or(value);
        if let (Ok(n), Ok(v)) = (HeaderName::from_bytes(name), HeaderValue::from_bytes(value)) {
            req.headers_mut().append(n, v);
        }
    }
    req.into_parts().0
}

/// The rule's reading of a header: sent exactly once, as text, trimmed of
/// spaces and tabs.
fn single(parts: &Parts, name: &str) -> Option<String> {
    let mut all = parts.headers.get_all(name).iter();
    let (Some(v), None) = (all.next(), all.next()) else { return None };
    Some(v.to_str().ok()?.trim_matches([' ', '\t']).to_owned())
}

/// SEP-2243's `=?base64?...?=` form decoded (strict padding, UTF-8);
/// anything else is literal.
fn decode(value: &str) -> Option<String> {
    match value.strip_prefix("=?base64?").and_then(|v| v.strip_suffix("?=")) {
        None => Some(value.to_owned()),
        Some(b64) => String::from_utf8(base64::engine::general_purpose::STANDARD.decode(b64).ok()?).ok(),
    }
}
