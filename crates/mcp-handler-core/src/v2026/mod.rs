//! The 2026 generation (2026-07-28): per-request `_meta`, routing headers, and
//! input-required results (MRTR) with integrity-protected request state.
//!
//! The generation of a request is decided once, in the HTTP endpoint
//! (`http::negotiate::generation`); everything here runs only for 2026 requests.

pub(crate) mod headers;
pub(crate) mod meta;
pub(crate) mod mrtr;
pub(crate) mod state;

pub use state::{Principal, RequestStateKey, RequestStateKeyError};

use crate::error::McpError;

/// The refusal of a method this generation does not have or this server
/// does not offer (404/-32601). A client that sends `initialize` with the
/// 2026 header has mixed the generations: the message says what to send.
pub(crate) fn method_not_found(method: &str) -> McpError {
    match method {
        "initialize" => McpError::new(
            crate::error::ErrorCode::METHOD_NOT_FOUND,
            "Method not found: initialize does not exist in protocol version 2026-07-28; send server/discover \
             instead (or initialize with a 2025 MCP-Protocol-Version header)",
        ),
        other => McpError::method_not_found(other),
    }
}
