//! What every request carries to its handler, whichever shell, generation
//! or method serves it: one struct that the endpoint fills, dispatch hands
//! on and the handler's `RequestContext` keeps. A leaf.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::hub::Notifier;
use crate::model::LogLevel;
use crate::outbox::{Outbox, PendingRequests};
use crate::version::ProtocolVersion;

/// Which log messages reach the client.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LogPolicy {
    /// 2025 generation without `logging/setLevel`: everything.
    All,
    /// At least this level (set by `logging/setLevel` or `_meta`).
    AtLeast(LogLevel),
    /// 2026 request without `io.modelcontextprotocol/logLevel`: nothing.
    Off,
}

/// Where a request's client capabilities come from.
#[derive(Clone, Default)]
pub(crate) enum ClientCaps {
    /// Not known: a 2025 client without a session.
    #[default]
    Unknown,
    /// Declared at `initialize`, kept by the session.
    Session(Arc<Value>),
    /// In the request's own `_meta` (2026 generation), checked to be an
    /// object and read from there when a handler first asks.
    InMeta,
}

/// The request's environment: what a handler may use of the transport,
/// the session and the router.
pub(crate) struct RequestEnv {
    pub(crate) protocol_version: ProtocolVersion,
    pub(crate) session_id: Option<Arc<str>>,
    pub(crate) log: LogPolicy,
    pub(crate) client_capabilities: ClientCaps,
    /// The HTTP request's head (absent outside HTTP and in batches).
    pub(crate) http: Option<http::request::Parts>,
    /// Where notifications and 2025 client requests go, when the response
    /// can stream. Inline rather than its own allocation: the response
    /// that polls the handler holds a clone of the context to drain it.
    pub(crate) outbox: Option<Outbox>,
    pub(crate) pending: Option<Arc<PendingRequests>>,
    pub(crate) client_request_timeout: Duration,
    pub(crate) notifier: Option<Notifier>,
    /// The router's shared state (`RouterBuilder::state`).
    pub(crate) state: Arc<http::Extensions>,
}

impl RequestEnv {
    /// The one constructor: a request of `protocol_version` that knows
    /// nothing yet beyond the router's state, with everything the transport
    /// adds (session, HTTP head, outbox, notifier) absent and every log
    /// message passing. The endpoint sets what it knows.
    pub(crate) fn new(
        protocol_version: ProtocolVersion,
        state: Arc<http::Extensions>,
        client_request_timeout: Duration,
    ) -> Self {
        Self {
            protocol_version,
            session_id: None,
            log: LogPolicy::All,
            client_capabilities: ClientCaps::Unknown,
            http: None,
            outbox: None,
            pending: None,
            client_request_timeout,
            notifier: None,
            state,
        }
    }
}
