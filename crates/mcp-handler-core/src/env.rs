//! What every request carries to its handler, whichever shell, generation
//! or method serves it: one struct that the endpoint fills, dispatch hands
//! on and the handler's `RequestContext` keeps, and what all requests of
//! one endpoint share with it.

use std::sync::Arc;
use std::time::Duration;

use serde_json::Value;

use crate::hub::Notifier;
use crate::model::LogLevel;
use crate::outbox::{Outbox, PendingRequests};
use crate::router::Router;
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

/// What every request of one endpoint shares with its handlers, made
/// once with the endpoint and reached through a [`HoldsServed`].
pub(crate) struct Served {
    /// Names the tools (`dispatch::run::Label`) and holds the state
    /// (`RouterBuilder::state`) handlers read; absent for a detached
    /// context.
    pub(crate) router: Option<Router>,
    pub(crate) notifier: Option<Notifier>,
    /// Where the answers to 2025 server-to-client requests are awaited.
    pub(crate) pending: Option<Arc<PendingRequests>>,
    pub(crate) client_request_timeout: Duration,
}

/// What a request holds [`Served`] by: the endpoint's handle the request
/// came through (`http/handle.rs`), rather than a reference of its own to
/// `Served` or to each of its parts. Each reference a request takes is a
/// count written twice per request; a count that requests on every core
/// write is a cache line the cores pass between them, and the handle's
/// count is one the request wrote already (and one only its connection's
/// requests write, where the shell takes a handle per connection).
pub(crate) trait HoldsServed: Send + Sync {
    fn served(&self) -> &Served;
}

impl HoldsServed for Served {
    fn served(&self) -> &Served {
        self
    }
}

impl std::fmt::Debug for Served {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Served").field("router", &self.router).finish_non_exhaustive()
    }
}

impl Served {
    /// Nothing shared but `router`; the endpoint adds what it has.
    pub(crate) fn new(router: Option<Router>, client_request_timeout: Duration) -> Self {
        Self { router, notifier: None, pending: None, client_request_timeout }
    }

    /// What a context outside any endpoint shares: nothing (one value for
    /// all of them).
    pub(crate) fn detached() -> Arc<dyn HoldsServed> {
        static DETACHED: std::sync::OnceLock<Arc<Served>> = std::sync::OnceLock::new();
        DETACHED.get_or_init(|| Arc::new(Self::new(None, Duration::from_secs(60)))).clone()
    }

    /// The router's state (`RouterBuilder::state`), if it holds a `T`.
    pub(crate) fn state<T: Send + Sync + 'static>(&self) -> Option<&T> {
        self.router.as_ref()?.inner.state.get::<T>()
    }
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
    /// What the endpoint's requests share.
    pub(crate) served: Arc<dyn HoldsServed>,
}

impl RequestEnv {
    /// The one constructor: a request of `protocol_version` that knows
    /// nothing yet beyond what the endpoint shares, with everything the
    /// transport adds (session, HTTP head, outbox) absent and every log
    /// message passing. The endpoint sets what it knows.
    pub(crate) fn new(protocol_version: ProtocolVersion, served: Arc<dyn HoldsServed>) -> Self {
        Self {
            protocol_version,
            session_id: None,
            log: LogPolicy::All,
            client_capabilities: ClientCaps::Unknown,
            http: None,
            outbox: None,
            served,
        }
    }
}
