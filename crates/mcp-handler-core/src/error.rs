//! Protocol errors: the JSON-RPC error object and the codes MCP uses.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

/// How much of a client's name for something unknown (a method, tool,
/// prompt) an error message repeats: a name is short, and a message that
/// echoed a megabyte back would be as large as the request that sent it.
pub(crate) const NAMED_BYTES: usize = 128;

/// `name`, cut to at most [`NAMED_BYTES`] (at a character boundary) with
/// `…` after it when cut, for an error message that names what a client
/// asked for.
pub(crate) fn clip(name: &str) -> Cow<'_, str> {
    if name.len() <= NAMED_BYTES {
        return Cow::Borrowed(name);
    }
    let end = (0..=NAMED_BYTES).rev().find(|&i| name.is_char_boundary(i)).unwrap_or(0);
    Cow::Owned(format!("{}…", &name[..end]))
}

/// JSON-RPC and MCP error codes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ErrorCode(pub i32);

impl ErrorCode {
    /// Invalid JSON was received.
    pub const PARSE_ERROR: Self = Self(-32700);
    /// The JSON sent is not a valid request object.
    pub const INVALID_REQUEST: Self = Self(-32600);
    /// The method does not exist or is not available.
    pub const METHOD_NOT_FOUND: Self = Self(-32601);
    /// Invalid method parameters.
    pub const INVALID_PARAMS: Self = Self(-32602);
    /// Internal JSON-RPC error.
    pub const INTERNAL_ERROR: Self = Self(-32603);
    /// MCP: the requested resource does not exist (2025 generation).
    pub const RESOURCE_NOT_FOUND: Self = Self(-32002);
    /// The request was cancelled before it completed.
    pub const REQUEST_CANCELLED: Self = Self(-32800);
    /// 2026-07-28: HTTP headers do not match the body, or are missing.
    pub const HEADER_MISMATCH: Self = Self(-32020);
    /// 2026-07-28: the request needs a client capability the client did not declare.
    pub const MISSING_REQUIRED_CLIENT_CAPABILITY: Self = Self(-32021);
    /// 2026-07-28: the requested protocol version is not served here.
    pub const UNSUPPORTED_PROTOCOL_VERSION: Self = Self(-32022);
}

/// A JSON-RPC error object, as sent on the wire.
///
/// Handlers return it (through `Into<McpError>`) to choose the code a client
/// sees; messages must not contain secrets: they travel to the client.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, thiserror::Error)]
#[non_exhaustive]
pub struct McpError {
    /// The error code.
    pub code: ErrorCode,
    /// A short description.
    pub message: Cow<'static, str>,
    /// Optional structured detail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Value>,
}

impl fmt::Display for McpError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.message, self.code.0)
    }
}

impl McpError {
    /// An error with any code.
    pub fn new(code: ErrorCode, message: impl Into<Cow<'static, str>>) -> Self {
        Self { code, message: message.into(), data: None }
    }
    /// Attaches structured detail.
    #[must_use]
    pub fn with_data(mut self, data: Value) -> Self {
        self.data = Some(data);
        self
    }
    /// -32700.
    pub fn parse_error(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::PARSE_ERROR, message)
    }
    /// -32600.
    pub fn invalid_request(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INVALID_REQUEST, message)
    }
    /// -32601 for `method` (named in the message up to its first 128 bytes).
    pub fn method_not_found(method: &str) -> Self {
        Self::new(ErrorCode::METHOD_NOT_FOUND, format!("Method not found: {}", clip(method)))
    }
    /// -32602.
    pub fn invalid_params(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INVALID_PARAMS, message)
    }
    /// -32603.
    pub fn internal(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::INTERNAL_ERROR, message)
    }
    /// -32002 with the URI in `data`.
    pub fn resource_not_found(uri: &str) -> Self {
        Self::new(ErrorCode::RESOURCE_NOT_FOUND, "Resource not found").with_data(serde_json::json!({ "uri": uri }))
    }
}

impl McpError {
    /// -32020: a routing header disagrees with the body.
    pub fn header_mismatch(message: impl Into<Cow<'static, str>>) -> Self {
        Self::new(ErrorCode::HEADER_MISMATCH, message)
    }
    /// -32021 naming the missing capability (`{"requiredCapabilities": {name: {}}}`).
    pub fn missing_client_capability(name: &str) -> Self {
        Self::new(
            ErrorCode::MISSING_REQUIRED_CLIENT_CAPABILITY,
            format!("Server requires the {name} capability for this request"),
        )
        .with_data(serde_json::json!({ "requiredCapabilities": { name: {} } }))
    }
    /// -32022 listing what is supported and echoing what was asked.
    pub fn unsupported_protocol_version(requested: &str) -> Self {
        let supported: Vec<&str> = crate::ProtocolVersion::SUPPORTED.iter().map(|v| v.as_str()).collect();
        Self::new(ErrorCode::UNSUPPORTED_PROTOCOL_VERSION, "Unsupported protocol version")
            .with_data(serde_json::json!({ "supported": supported, "requested": requested }))
    }
}

/// The message a client gets for an error converted implicitly (`?` on an
/// internal error): the detail is logged, never sent.
const GENERIC: &str = "Internal error";

/// Conversions of internal errors (`?` on an I/O, serialization or any
/// run-time `String` error) answer with a generic message: their text
/// names files, hosts and OS detail that belong in the server's log, and
/// it is logged here at `warn`. To choose what a client reads, build the
/// error with a constructor ([`McpError::internal`],
/// [`McpError::invalid_params`], ...): constructors keep their text.
fn internal_detail(kind: &'static str, detail: &dyn fmt::Display) -> McpError {
    tracing::warn!(kind, error = %detail, "internal error answered with a generic message");
    McpError::internal(GENERIC)
}

/// A run-time `String` may carry anything (`e.to_string()` of an I/O
/// error, say): generic for the client, logged. Use
/// `McpError::internal(message)` to send the text on purpose.
impl From<String> for McpError {
    fn from(message: String) -> Self {
        internal_detail("message", &message)
    }
}

/// A `'static` string is a literal the author wrote for the client: it
/// cannot carry run-time detail, so it is sent as is.
impl From<&'static str> for McpError {
    fn from(message: &'static str) -> Self {
        Self::internal(message)
    }
}

/// Generic for the client, logged: outgoing serialization failures are the
/// server's fault and their text describes its types. (Errors in a
/// client's input are answered with `McpError::invalid_params` and the
/// parser's text, which describes only what the client sent.)
impl From<serde_json::Error> for McpError {
    fn from(err: serde_json::Error) -> Self {
        internal_detail("serialization", &err)
    }
}

/// Generic for the client, logged: the text names paths and OS errors.
impl From<std::io::Error> for McpError {
    fn from(err: std::io::Error) -> Self {
        internal_detail("io", &err)
    }
}

/// Any boxed error (what `?` produces in a handler returning
/// `Result<_, Box<dyn Error + Send + Sync>>`): generic for the client,
/// logged.
impl From<Box<dyn std::error::Error + Send + Sync>> for McpError {
    fn from(err: Box<dyn std::error::Error + Send + Sync>) -> Self {
        internal_detail("error", &err)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_name_is_cut_at_a_character_boundary() {
        assert_eq!(clip("tools/list"), "tools/list");
        let exact = "a".repeat(NAMED_BYTES);
        assert_eq!(clip(&exact), exact.as_str());
        let long = "a".repeat(1_000_000);
        let err = McpError::method_not_found(&long);
        assert_eq!(err.message, format!("Method not found: {}…", "a".repeat(NAMED_BYTES)));
        // 127 ASCII bytes, then a 3-byte character across the limit.
        let mixed = format!("{}€€", "a".repeat(NAMED_BYTES - 1));
        assert_eq!(clip(&mixed), format!("{}…", "a".repeat(NAMED_BYTES - 1)));
    }

    #[test]
    fn implicit_conversions_hide_detail_and_constructors_keep_text() {
        let io = std::io::Error::new(std::io::ErrorKind::NotFound, "/etc/secret/key.pem: No such file");
        for e in [
            McpError::from(io),
            McpError::from(String::from("open /var/lib/app.db failed")),
            McpError::from(serde_json::from_str::<u8>("\"/home/x\"").unwrap_err()),
        ] {
            assert_eq!((e.code, &*e.message), (ErrorCode::INTERNAL_ERROR, GENERIC));
        }
        assert_eq!(McpError::from("a literal for the client").message, "a literal for the client");
        assert_eq!(McpError::internal(String::from("on purpose")).message, "on purpose");
        assert_eq!(McpError::invalid_params("bad x").message, "bad x");
    }
}
