//! Protocol errors: the JSON-RPC error object and the codes MCP uses.

use std::borrow::Cow;
use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::Value;

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
    /// -32601 for `method`.
    pub fn method_not_found(method: &str) -> Self {
        Self::new(ErrorCode::METHOD_NOT_FOUND, format!("Method not found: {method}"))
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

impl From<String> for McpError {
    fn from(message: String) -> Self {
        Self::internal(message)
    }
}

impl From<&'static str> for McpError {
    fn from(message: &'static str) -> Self {
        Self::internal(message)
    }
}

impl From<serde_json::Error> for McpError {
    fn from(err: serde_json::Error) -> Self {
        Self::internal(format!("serialization failed: {err}"))
    }
}

impl From<std::io::Error> for McpError {
    fn from(err: std::io::Error) -> Self {
        Self::internal(format!("I/O error: {err}"))
    }
}
