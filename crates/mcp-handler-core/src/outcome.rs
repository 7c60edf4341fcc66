//! The outcome of a JSON-RPC response this crate serialized, read back
//! from its bytes without parsing them: for the access log and metrics,
//! which need "ok", "tool error" or "error -32602" per request, and must
//! cost next to nothing beside the request itself.
//!
//! Only our own writers' layout is read (`jsonrpc::result_bytes`,
//! `raw_result_bytes`, `error_bytes`): `{"jsonrpc":"2.0","id":<id>,` then
//! `"result":` or `"error":{"code":<n>`. Anything else is `Unknown`, never
//! a guess.

/// What a response says about its request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// A result.
    Ok,
    /// A `tools/call` result with `"isError":true`: the call ran, the tool
    /// reported a failure.
    ToolError,
    /// A JSON-RPC error with this code.
    Error(i32),
    /// Not a single response in our layout (a batch, an SSE stream, none).
    Unknown,
}

impl Outcome {
    /// A short label for logs and metric labels: `ok`, `tool_error`,
    /// `error`, `unknown`.
    pub fn label(self) -> &'static str {
        match self {
            Self::Ok => "ok",
            Self::ToolError => "tool_error",
            Self::Error(_) => "error",
            Self::Unknown => "unknown",
        }
    }

    /// The JSON-RPC error code, when there is one.
    pub fn code(self) -> Option<i32> {
        match self {
            Self::Error(c) => Some(c),
            _ => None,
        }
    }
}

const PREFIX: &[u8] = br#"{"jsonrpc":"2.0","id":"#;

/// Reads the outcome of one serialized response.
pub fn of_response(bytes: &[u8]) -> Outcome {
    let Some(rest) = bytes.strip_prefix(PREFIX) else { return Outcome::Unknown };
    let Some(rest) = skip_id(rest) else { return Outcome::Unknown };
    if let Some(result) = rest.strip_prefix(br#","result":"#) {
        return if is_tool_error(result) { Outcome::ToolError } else { Outcome::Ok };
    }
    let Some(error) = rest.strip_prefix(br#","error":{"code":"#) else { return Outcome::Unknown };
    let end = error.iter().position(|b| !(b.is_ascii_digit() || *b == b'-')).unwrap_or(error.len());
    std::str::from_utf8(&error[..end]).ok().and_then(|s| s.parse().ok()).map_or(Outcome::Unknown, Outcome::Error)
}

/// Past the id: a number, `null`, or a string with escapes.
fn skip_id(rest: &[u8]) -> Option<&[u8]> {
    match rest.first()? {
        b'"' => {
            let mut i = 1;
            while i < rest.len() {
                match rest[i] {
                    b'\\' => i += 2,
                    b'"' => return rest.get(i + 1..),
                    _ => i += 1,
                }
            }
            None
        }
        _ => {
            let end = rest.iter().position(|b| *b == b',')?;
            Some(&rest[end..])
        }
    }
}

/// Whether a result object carries `"isError":true` among its own
/// members (not inside content, where a tool's text may say anything).
/// The tool-result writer puts it last, so that is looked at first; other
/// layouts (a `_meta` after it) are scanned, skipping strings and nested
/// values.
fn is_tool_error(result: &[u8]) -> bool {
    const MEMBER: &[u8] = br#""isError":true"#;
    if result.ends_with(br#","isError":true}}"#) {
        return true;
    }
    // Our writers put `isError` after `content` (and `structuredContent`),
    // followed at most by `_meta`: a result whose last member is an array
    // has none. That is most results, told in a few instructions.
    if result.ends_with(b"]}}") {
        return false;
    }
    // Others rarely hold the text at all: ruled out by the standard
    // library's vectorised search, a fraction of the scan's cost per byte.
    if !std::str::from_utf8(result).is_ok_and(|s| s.contains(r#""isError":true"#)) {
        return false;
    }
    let (mut depth, mut i) = (0usize, 0usize);
    while i < result.len() {
        match result[i] {
            b'"' => {
                if depth == 1 && result[i..].starts_with(MEMBER) {
                    return true;
                }
                // Skip the string, escapes included.
                i += 1;
                while i < result.len() && result[i] != b'"' {
                    i += if result[i] == b'\\' { 2 } else { 1 };
                }
            }
            b'{' | b'[' => depth += 1,
            b'}' | b']' => depth = depth.saturating_sub(1),
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{McpError, RequestId, jsonrpc};

    #[test]
    fn results_errors_and_tool_errors_are_told_apart() {
        for id in [RequestId::Number(7), RequestId::String("a,\"b\\\"c".into())] {
            let ok = jsonrpc::raw_result_bytes(&id, br#"{"content":[{"type":"text","text":"\"isError\":true}"}]}"#);
            assert_eq!(of_response(&ok), Outcome::Ok, "{}", String::from_utf8_lossy(&ok));
            let tool = jsonrpc::raw_result_bytes(&id, br#"{"content":[],"isError":true}"#);
            assert_eq!(of_response(&tool), Outcome::ToolError);
            let meta_after = jsonrpc::raw_result_bytes(&id, br#"{"content":[],"isError":true,"_meta":{"k":"}"}}"#);
            assert_eq!(of_response(&meta_after), Outcome::ToolError);
            let nested = jsonrpc::raw_result_bytes(&id, br#"{"structuredContent":{"isError":true},"content":[]}"#);
            assert_eq!(of_response(&nested), Outcome::Ok);
            let err = jsonrpc::error_bytes(Some(&id), &McpError::invalid_params("bad"));
            assert_eq!(of_response(&err), Outcome::Error(-32602));
            assert_eq!(of_response(&err).code(), Some(-32602));
        }
        let null_id = jsonrpc::error_bytes(None, &McpError::parse_error("x"));
        assert_eq!(of_response(&null_id), Outcome::Error(-32700));
    }

    #[test]
    fn anything_else_is_unknown_not_a_guess() {
        for other in [&b""[..], b"[]", b"event: message\n", br#"{"jsonrpc":"2.0","id":"open"#, br#"{"id":1}"#] {
            assert_eq!(of_response(other), Outcome::Unknown, "{}", String::from_utf8_lossy(other));
        }
        assert_eq!(Outcome::Unknown.label(), "unknown");
    }
}
