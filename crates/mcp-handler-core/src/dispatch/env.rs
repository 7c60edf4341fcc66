//! What dispatch takes and gives: the request's environment (`CallEnv`)
//! and the finished answer or running handler it returns. A leaf: the
//! rest of `dispatch` and the endpoint read these types.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use futures_util::future::BoxFuture;
use http::StatusCode;
use serde_json::value::RawValue;

use crate::context::{LogPolicy, RequestContext};
use crate::hub::Notifier;
use crate::outbox::{Outbox, PendingRequests};
use crate::stateless::RequestStateKey;
use crate::version::ProtocolVersion;

/// What a 2026 request needs for input-required results.
pub(crate) struct StatelessEnv {
    pub(crate) key: RequestStateKey,
    pub(crate) ttl: Duration,
}

/// What a handler may need from the transport and the session.
pub(crate) struct CallEnv {
    pub(crate) protocol_version: ProtocolVersion,
    pub(crate) session_id: Option<Arc<str>>,
    pub(crate) log: LogPolicy,
    pub(crate) client_capabilities: crate::context::ClientCaps,
    pub(crate) http: Option<http::request::Parts>,
    pub(crate) outbox: Option<Outbox>,
    pub(crate) pending: Option<Arc<PendingRequests>>,
    pub(crate) client_request_timeout: Duration,
    pub(crate) notifier: Option<Notifier>,
    /// Present for 2026-07-28 requests.
    pub(crate) stateless: Option<StatelessEnv>,
    /// The request's `_meta` (an object), when the endpoint already read it.
    pub(crate) meta: Option<Box<RawValue>>,
    /// The router's shared state (`RouterBuilder::state`).
    pub(crate) state: Arc<http::Extensions>,
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
