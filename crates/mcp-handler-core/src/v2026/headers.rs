//! Routing headers of the 2026 generation (SEP-2243): `Mcp-Method`,
//! `Mcp-Name` and `Mcp-Param-*` mirror body fields so that gateways can
//! route without parsing JSON; the server checks they agree with the body.

use std::borrow::Cow;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use http::header::AsHeaderName;
use http::request::Parts;
use http::{HeaderMap, HeaderName, HeaderValue};
use serde_json::Value;

use crate::error::{McpError, clip};

/// The JSON type of a mirrored parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ParamKind {
    String,
    Integer,
    Boolean,
}

/// A tool parameter marked `x-mcp-header`, mirrored as `Mcp-Param-{name}`.
#[derive(Debug, Clone)]
pub(crate) struct HeaderParam {
    /// `Mcp-Param-{name}` as given in the schema.
    pub(crate) header: String,
    /// The chain of `properties` keys leading to the value.
    pub(crate) path: Vec<String>,
    pub(crate) kind: ParamKind,
}

fn is_tchar(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+-.^_`|~".contains(c)
}

/// Finds the `x-mcp-header` parameters of an input schema and checks the
/// rules of SEP-2243 (token syntax, unique names, primitive non-`number`
/// types, reachable through `properties` only). A violation makes the tool
/// invalid, so it is reported at router build time.
pub(crate) fn header_params(schema: &Value) -> Result<Vec<HeaderParam>, String> {
    let mut found = Vec::new();
    collect(schema, &mut Vec::new(), &mut found)?;
    let total = count_annotations(schema);
    if total != found.len() {
        return Err("x-mcp-header may only mark properties reachable through `properties` keys".into());
    }
    for (i, p) in found.iter().enumerate() {
        if found[..i].iter().any(|q| q.header.eq_ignore_ascii_case(&p.header)) {
            return Err(format!("x-mcp-header {:?} is used twice", p.header));
        }
    }
    Ok(found)
}

fn collect(node: &Value, path: &mut Vec<String>, out: &mut Vec<HeaderParam>) -> Result<(), String> {
    let Some(props) = node.get("properties").and_then(Value::as_object) else { return Ok(()) };
    for (name, prop) in props {
        path.push(name.clone());
        if let Some(h) = prop.get("x-mcp-header") {
            let h = h.as_str().ok_or("x-mcp-header must be a string")?;
            if h.is_empty() || !h.chars().all(is_tchar) {
                return Err(format!("x-mcp-header {h:?} is not an HTTP token"));
            }
            let kind = match prop.get("type").and_then(Value::as_str) {
                Some("string") => ParamKind::String,
                Some("integer") => ParamKind::Integer,
                Some("boolean") => ParamKind::Boolean,
                other => {
                    return Err(format!(
                        "x-mcp-header {h:?} marks a parameter of type {other:?}; only string, integer and boolean are allowed"
                    ));
                }
            };
            out.push(HeaderParam { header: h.to_owned(), path: path.clone(), kind });
        }
        collect(prop, path, out)?;
        path.pop();
    }
    Ok(())
}

fn count_annotations(node: &Value) -> usize {
    match node {
        Value::Object(map) => {
            usize::from(map.contains_key("x-mcp-header")) + map.values().map(count_annotations).sum::<usize>()
        }
        Value::Array(items) => items.iter().map(count_annotations).sum(),
        _ => 0,
    }
}

/// How often a header appears, and its value when once.
#[derive(Clone, Copy)]
enum Found<'a> {
    Absent,
    Once(&'a HeaderValue),
    Repeated,
}

/// `Mcp-Method` and `Mcp-Name`, found in one pass over the request's
/// headers: a lookup by name hashes the name and probes the map, about 350
/// instructions for each of these, more than a pass over a request's
/// headers costs.
pub(crate) struct Routing<'a> {
    method: Found<'a>,
    name: Found<'a>,
}

impl<'a> Routing<'a> {
    pub(crate) fn scan(headers: &'a HeaderMap) -> Self {
        let mut routing = Routing { method: Found::Absent, name: Found::Absent };
        for (name, value) in headers {
            let slot = if *name == MCP_METHOD {
                &mut routing.method
            } else if *name == MCP_NAME {
                &mut routing.name
            } else {
                continue;
            };
            *slot = match slot {
                Found::Absent => Found::Once(value),
                Found::Once(_) | Found::Repeated => Found::Repeated,
            };
        }
        routing
    }
}

/// A header's value with optional whitespace removed; `-32020` when it
/// holds characters a header may not.
pub(crate) fn header<N>(parts: &Parts, name: N) -> Result<Option<&str>, McpError>
where
    N: AsHeaderName + std::fmt::Display + Copy,
{
    let mut values = parts.headers.get_all(name).iter();
    let found = match (values.next(), values.next()) {
        (None, _) => Found::Absent,
        (Some(v), None) => Found::Once(v),
        (Some(_), Some(_)) => Found::Repeated,
    };
    checked(found, name)
}

/// What [`header`] answers for a header found `found`.
fn checked(found: Found<'_>, name: impl std::fmt::Display) -> Result<Option<&str>, McpError> {
    let v = match found {
        Found::Absent => return Ok(None),
        Found::Once(v) => v,
        Found::Repeated => {
            return Err(McpError::header_mismatch(format!("Header mismatch: {name} appears more than once")));
        }
    };
    let s = v
        .to_str()
        .map_err(|_| McpError::header_mismatch(format!("Header mismatch: {name} contains invalid characters")))?;
    Ok(Some(s.trim_matches([' ', '\t'])))
}

/// Decodes the `=?base64?...?=` sentinel form; other values are literal.
pub(crate) fn decode<'a>(name: &str, value: &'a str) -> Result<Cow<'a, str>, McpError> {
    let Some(inner) = value.strip_prefix("=?base64?").and_then(|v| v.strip_suffix("?=")) else {
        return Ok(Cow::Borrowed(value));
    };
    let bytes = STANDARD
        .decode(inner)
        .map_err(|_| McpError::header_mismatch(format!("Header mismatch: {name} is not valid base64")))?;
    String::from_utf8(bytes)
        .map(Cow::Owned)
        .map_err(|_| McpError::header_mismatch(format!("Header mismatch: {name} does not decode to UTF-8")))
}

/// Parsed once: a lookup by `&str` parses the name on every request.
const MCP_METHOD: HeaderName = HeaderName::from_static("mcp-method");
const MCP_NAME: HeaderName = HeaderName::from_static("mcp-name");

/// `Mcp-Method` must be present and equal the body's method.
pub(crate) fn check_method(routing: &Routing<'_>, method: &str) -> Result<(), McpError> {
    match checked(routing.method, &MCP_METHOD)? {
        None => Err(McpError::header_mismatch("Header mismatch: the Mcp-Method header is required")),
        Some(h) if h == method => Ok(()),
        Some(h) => Err(McpError::header_mismatch(format!(
            "Header mismatch: Mcp-Method header value '{}' does not match body value '{}'",
            clip(h),
            clip(method)
        ))),
    }
}

/// `Mcp-Name` must be present and equal `params.name` / `params.uri`.
pub(crate) fn check_name(routing: &Routing<'_>, expected: &str) -> Result<(), McpError> {
    let Some(raw) = checked(routing.name, &MCP_NAME)? else {
        return Err(McpError::header_mismatch("Header mismatch: the Mcp-Name header is required for this method"));
    };
    let h = decode("Mcp-Name", raw)?;
    if h == expected {
        Ok(())
    } else {
        Err(McpError::header_mismatch(format!(
            "Header mismatch: Mcp-Name header value '{}' does not match body value '{}'",
            clip(&h),
            clip(expected)
        )))
    }
}

/// Every `Mcp-Param-*` of the tool must mirror its argument exactly.
pub(crate) fn check_params(parts: &Parts, params: &[HeaderParam], arguments: Option<&Value>) -> Result<(), McpError> {
    for p in params {
        let name = format!("Mcp-Param-{}", p.header);
        let body = p.path.iter().try_fold(arguments, |v, key| Some(v?.get(key))).flatten().filter(|v| !v.is_null());
        let header = header(parts, name.as_str())?;
        match (header, body) {
            (None, None) => {}
            (None, Some(_)) => {
                return Err(McpError::header_mismatch(format!("Header mismatch: {name} is required for this call")));
            }
            (Some(_), None) => {
                return Err(McpError::header_mismatch(format!(
                    "Header mismatch: {name} is present but the argument is absent"
                )));
            }
            (Some(raw), Some(value)) => {
                let h = decode(&name, raw)?;
                let same = match (p.kind, value) {
                    (ParamKind::String, Value::String(s)) => *s == h,
                    (ParamKind::Boolean, Value::Bool(b)) => h == if *b { "true" } else { "false" },
                    (ParamKind::Integer, Value::Number(n)) => {
                        h.parse::<f64>().ok().zip(n.as_f64()).is_some_and(|(a, b)| a == b)
                    }
                    // The argument has the wrong type; the tool reports that.
                    _ => true,
                };
                if !same {
                    return Err(McpError::header_mismatch(format!(
                        "Header mismatch: {name} header value does not match the argument"
                    )));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn parts(h: &[(&str, &str)]) -> Parts {
        let mut b = http::Request::builder();
        for (k, v) in h {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[test]
    fn sentinel_values_decode_strictly() {
        assert_eq!(decode("x", "=?base64?SGVsbG8sIOS4lueVjA==?=").unwrap(), "Hello, 世界");
        assert!(decode("x", "=?base64?SGVsbG8?=").is_err(), "missing padding");
        assert!(decode("x", "=?base64?SGVs!!!bG8=?=").is_err());
        assert_eq!(decode("x", "SGVsbG8=").unwrap(), "SGVsbG8=", "no sentinel: literal");
    }

    #[test]
    fn params_must_mirror_arguments() {
        let schema = json!({"type":"object","properties":{
            "region":{"type":"string","x-mcp-header":"Region"},
            "opts":{"type":"object","properties":{"n":{"type":"integer","x-mcp-header":"N"}}},
            "flag":{"type":"boolean","x-mcp-header":"Flag"}}});
        let ps = header_params(&schema).unwrap();
        assert_eq!(ps.len(), 3);
        let args = json!({"region":"us-west1","opts":{"n":42},"flag":true});
        let ok = parts(&[("mcp-param-region", " us-west1 "), ("mcp-param-n", "42.0"), ("mcp-param-flag", "true")]);
        assert!(check_params(&ok, &ps, Some(&args)).is_ok());
        let wrong = parts(&[("mcp-param-region", "eu"), ("mcp-param-n", "42"), ("mcp-param-flag", "true")]);
        assert_eq!(check_params(&wrong, &ps, Some(&args)).unwrap_err().code.0, -32020);
        let missing = parts(&[("mcp-param-n", "42"), ("mcp-param-flag", "true")]);
        assert!(check_params(&missing, &ps, Some(&args)).is_err());
        assert!(check_params(&parts(&[]), &ps, Some(&json!({}))).is_ok(), "absent argument, absent header");
    }

    #[test]
    fn routing_headers_are_found_in_one_pass() {
        let check = |h: &[(&str, &str)]| {
            let p = parts(h);
            let routing = Routing::scan(&p.headers);
            (
                check_method(&routing, "tools/call").map_err(|e| e.message),
                check_name(&routing, "echo").map_err(|e| e.message),
            )
        };
        let ok = check(&[("x-a", "1"), ("Mcp-Name", "\techo "), ("accept", "*/*"), ("MCP-METHOD", "tools/call")]);
        assert_eq!(ok, (Ok(()), Ok(())));
        let (method, name) = check(&[("mcp-method", "tools/call"), ("mcp-name", "echo"), ("Mcp-Method", "tools/call")]);
        assert_eq!(method.unwrap_err(), "Header mismatch: mcp-method appears more than once");
        assert!(name.is_ok());
        let (method, name) = check(&[("mcp-method", "tools/list"), ("mcp-name", "=?base64?ZWNobw==?=")]);
        assert!(method.unwrap_err().contains("does not match body value 'tools/call'"));
        assert!(name.is_ok(), "a sentinel value is decoded");
        let (method, name) = check(&[]);
        assert!(method.unwrap_err().contains("the Mcp-Method header is required"));
        assert!(name.unwrap_err().contains("the Mcp-Name header is required"));
    }

    #[test]
    fn misplaced_or_bad_annotations_are_refused() {
        let in_items =
            json!({"type":"object","properties":{"xs":{"type":"array","items":{"type":"string","x-mcp-header":"X"}}}});
        assert!(header_params(&in_items).is_err());
        let number = json!({"type":"object","properties":{"x":{"type":"number","x-mcp-header":"X"}}});
        assert!(header_params(&number).is_err());
        let dup = json!({"type":"object","properties":{"a":{"type":"string","x-mcp-header":"X"},"b":{"type":"string","x-mcp-header":"x"}}});
        assert!(header_params(&dup).is_err());
        let bad_token = json!({"type":"object","properties":{"a":{"type":"string","x-mcp-header":"a b"}}});
        assert!(header_params(&bad_token).is_err());
    }
}
