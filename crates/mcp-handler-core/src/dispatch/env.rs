//! What dispatch takes and gives: the request's environment (`CallEnv`)
//! and the finished answer or running handler it returns. The rest of
//! `dispatch` and the endpoint read these types.

use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::StatusCode;

use crate::context::RequestContext;
use crate::env::RequestEnv;
use crate::v2026::RequestStateKey;

/// What dispatch takes: the request's environment, and for a 2026
/// request what only that generation has.
pub(crate) struct CallEnv {
    pub(crate) env: RequestEnv,
    /// Present for 2026-generation requests.
    pub(crate) v2026: Option<V2026Env>,
}

impl CallEnv {
    /// A 2025-generation request's environment.
    pub(crate) fn v2025(env: RequestEnv) -> Self {
        Self { env, v2026: None }
    }

    /// A 2026-generation request's environment with what that generation adds.
    pub(crate) fn v2026(env: RequestEnv, v2026: V2026Env) -> Self {
        Self { env, v2026: Some(v2026) }
    }
}

/// What a 2026 request adds: its `_meta` (an object, already checked by
/// the endpoint) and the key that seals input-required request state.
pub(crate) struct V2026Env {
    /// The request's `params`, which hold its `_meta` object and what a
    /// state is bound to (a slice of the body when they lie in it: no copy).
    pub(crate) params: Bytes,
    pub(crate) key: RequestStateKey,
    pub(crate) ttl: Duration,
}

impl V2026Env {
    /// `params` (text within `body`, the request body the message was
    /// read from; empty where there is none) and what only 2026 requests
    /// have.
    pub(crate) fn new(body: &Bytes, params: &str, key: RequestStateKey, ttl: Duration) -> Self {
        Self { params: share(body, params), key, ttl }
    }
}

/// `part` of `body` as bytes that share its buffer (a copy when `part` is
/// not within it).
fn share(body: &Bytes, part: &str) -> Bytes {
    let (start, len) = (body.as_ptr() as usize, body.len());
    let at = part.as_ptr() as usize;
    if !part.is_empty() && at >= start && at + part.len() <= start + len {
        body.slice_ref(part.as_bytes())
    } else {
        Bytes::copy_from_slice(part.as_bytes())
    }
}

/// A finished answer: HTTP status and the JSON-RPC message.
pub(crate) struct Output {
    pub(crate) status: StatusCode,
    pub(crate) body: Bytes,
}

impl Output {
    pub(super) fn ok(body: Bytes) -> Self {
        Self { status: StatusCode::OK, body }
    }
}

/// The outcome of dispatching one request.
pub(crate) enum Dispatched {
    /// The full response message.
    Done(Bytes),
    /// A handler is running; its future yields the response message.
    Call(HandlerCall),
}

pub(crate) struct HandlerCall {
    pub(crate) fut: BoxFuture<'static, Output>,
    pub(crate) ctx: RequestContext,
}
