//! Which protocol generation a request speaks, decided once: the
//! `MCP-Protocol-Version` header, or without one the body's `_meta`.

// Refusals travel as `Err(Response)`: the cold path (see `service.rs`).
#![allow(clippy::result_large_err)]

use http::{Response, StatusCode};

use super::body::McpBody;
use super::responses::refuse;
use crate::error::McpError;
use crate::jsonrpc::{Incoming, RequestId};
use crate::version::ProtocolVersion;

// Parsed once: a lookup by `&str` parses the name on every request.
pub(super) const VERSION_HEADER: http::HeaderName = http::HeaderName::from_static("mcp-protocol-version");

/// The generation of a request, decided once from the version header (and,
/// without one, from the body's `_meta`).
pub(super) enum Negotiated {
    /// The 2025 generation; the header's revision, `None` when none was sent.
    V2025(Option<ProtocolVersion>),
    /// The 2026 generation.
    V2026,
}

/// The version header's value: `Ok(None)` when absent, `Err(text)` when
/// it names a revision this server does not serve.
pub(super) fn version_of(value: Option<&http::HeaderValue>) -> Result<Option<ProtocolVersion>, String> {
    let Some(v) = value else { return Ok(None) };
    let text = v.to_str().unwrap_or("<non-ASCII>").trim();
    ProtocolVersion::parse(text).map(Some).ok_or_else(|| text.to_owned())
}

/// `-32022` (400) for a version header this server does not serve.
pub(super) fn unsupported(id: Option<&RequestId>, requested: &str) -> Response<McpBody> {
    refuse(StatusCode::BAD_REQUEST, id, &McpError::unsupported_protocol_version(requested))
}

/// Whether a version header (as [`version_of`] read it) names the 2026
/// generation: GET and DELETE are 405 for 2026 clients (no streams, no
/// sessions).
pub(super) fn names_2026(version: &Result<Option<ProtocolVersion>, String>) -> bool {
    version.as_ref().is_ok_and(|v| v.is_some_and(ProtocolVersion::is_2026))
}

/// [`names_2026`] of the request's version header.
pub(super) fn is_2026_header(parts: &http::request::Parts) -> bool {
    names_2026(&version_of(parts.headers.get(VERSION_HEADER)))
}

/// Decides the generation of a POSTed message, once, before anything
/// else looks at it.
pub(super) fn generation(header: Option<ProtocolVersion>, msg: &Incoming<'_>) -> Result<Negotiated, Response<McpBody>> {
    match header {
        Some(v) if v.is_2026() => Ok(Negotiated::V2026),
        Some(v) => Ok(Negotiated::V2025(Some(v))),
        None => {
            // A 2026 client must send the header; tell it so rather than
            // treating it as a 2025-03-26 client.
            let params = match msg {
                Incoming::Request { params, .. } | Incoming::Notification { params, .. } => params.as_ref(),
                Incoming::Response { .. } => None,
            };
            if crate::v2026::meta::protocol_version(params).is_some() {
                let err = McpError::header_mismatch("Header mismatch: the MCP-Protocol-Version header is required");
                return Err(refuse(StatusCode::BAD_REQUEST, msg.id(), &err));
            }
            Ok(Negotiated::V2025(None))
        }
    }
}
