//! The responses the endpoint builds: refusals (an HTTP status with a
//! JSON-RPC error body), JSON answers, SSE, `202 Accepted`. A leaf: it
//! knows the body type and what the client accepts, nothing of requests.

use bytes::Bytes;
use http::header::{self, HeaderValue};
use http::{Response, StatusCode};

use super::body::{EventIds, McpBody, sse_complete};
use super::guard::Accepts;
use crate::dispatch::Output;
use crate::error::McpError;
use crate::jsonrpc::{self, RequestId};
use crate::outbox::Outbox;
use crate::util::random_token;

/// A transport-level refusal: status plus a JSON-RPC error body.
pub(super) fn refuse(status: StatusCode, id: Option<&RequestId>, error: &McpError) -> Response<McpBody> {
    let mut resp = Response::new(McpBody::full(jsonrpc::error_bytes(id, error)));
    *resp.status_mut() = status;
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

pub(super) fn bad_request(msg: &'static str) -> Response<McpBody> {
    refuse(StatusCode::BAD_REQUEST, None, &McpError::invalid_request(msg))
}

pub(super) fn json_response(bytes: Bytes) -> Response<McpBody> {
    let mut resp = Response::new(McpBody::full(bytes));
    resp.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    resp
}

/// A finished answer to request `id` in the form the client accepts:
/// JSON, or a one-event SSE body for a client that only takes
/// `text/event-stream` (503 if its event ids cannot be made).
pub(super) fn answer(bytes: Bytes, accepts: Accepts, id: &RequestId) -> Response<McpBody> {
    if accepts.json {
        return json_response(bytes);
    }
    let Ok(prefix) = random_token(6) else { return random_unavailable(Some(id)) };
    let mut ids = EventIds::new(prefix.into());
    sse_response(McpBody::full(sse_complete(&mut ids, None, &Outbox::new(false), &bytes)))
}

/// [`answer`] with the handler's status (400 for a missing client
/// capability in the 2026 generation, 200 otherwise).
pub(super) fn answer_output(out: Output, accepts: Accepts, id: &RequestId) -> Response<McpBody> {
    let mut resp = answer(out.body, accepts, id);
    if resp.status() == StatusCode::OK {
        *resp.status_mut() = out.status;
    }
    resp
}

/// `503`: a token this request needs (a session id, event ids) could not
/// be made because the OS random source failed (logged where it failed).
/// Nothing weaker is used instead; the client may retry.
pub(super) fn random_unavailable(id: Option<&RequestId>) -> Response<McpBody> {
    let err = McpError::internal("Service Unavailable: the server cannot make a secure token now; retry later");
    refuse(StatusCode::SERVICE_UNAVAILABLE, id, &err)
}

pub(super) fn accepted() -> Response<McpBody> {
    let mut resp = Response::new(McpBody::empty());
    *resp.status_mut() = StatusCode::ACCEPTED;
    resp
}

pub(super) fn sse_response(body: McpBody) -> Response<McpBody> {
    let mut resp = Response::new(body);
    let h = resp.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("text/event-stream"));
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    resp
}

pub(super) fn too_large(limit: usize) -> Response<McpBody> {
    let err = McpError::invalid_request(format!("Payload Too Large: the body exceeds {limit} bytes"));
    refuse(StatusCode::PAYLOAD_TOO_LARGE, None, &err)
}

/// `408`: the body stalled past the timeout. The connection is closed: the
/// rest of the body may still be on its way, and nobody will read it.
pub(super) fn body_timed_out(timeout: std::time::Duration) -> Response<McpBody> {
    let err = McpError::invalid_request(format!(
        "Request Timeout: the body did not arrive within {} s",
        timeout.as_secs_f64()
    ));
    let mut resp = refuse(StatusCode::REQUEST_TIMEOUT, None, &err);
    resp.headers_mut().insert(header::CONNECTION, HeaderValue::from_static("close"));
    resp
}

/// `503`: the session store failed (logged here, once for every caller);
/// the client may retry.
pub(super) fn store_unavailable(id: Option<&RequestId>, error: &dyn std::fmt::Display) -> Response<McpBody> {
    tracing::error!(error = %error, "session store failed");
    refuse(StatusCode::SERVICE_UNAVAILABLE, id, &store_error())
}

/// The JSON-RPC error of a failed session store, for callers that answer
/// inside a result rather than with a status.
pub(super) fn store_error() -> McpError {
    McpError::internal("Session store unavailable")
}
