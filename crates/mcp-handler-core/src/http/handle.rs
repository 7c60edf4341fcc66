//! The endpoint's parts (`Endpoint`), and what a request holds them by:
//! a handle, `Shared`, that the request's future, its handler's context
//! and a streamed answer each keep a reference to while they run.
//!
//! Every such reference is a count written twice per request. Were it the
//! endpoint's own count, every request on every core would write one
//! cache line, and the cores would pass that line between them on every
//! request (the contention probe, `benches/examples/contention.rs`, shows
//! what that costs). `McpService::connection_handle` makes a new handle
//! on the same endpoint: the server shell takes one per accepted
//! connection, so the requests of one connection write one count, which
//! the core serving that connection keeps (an HTTP/1.1 connection is one
//! task; an HTTP/2 connection's streams are tasks of their own, and share
//! its count across the cores they run on). Clones of an `McpService`
//! share its handle, as before.

use std::collections::HashMap;
use std::ops::Deref;
use std::sync::{Arc, Mutex};

use tokio_util::sync::CancellationToken;

use super::admission::InFlight;
use super::config::EndpointConfig;
use super::rate::Limiter;
use super::state_key::StateKeySlot;
use crate::env::{HoldsServed, Served};
use crate::hub::Hub;
use crate::jsonrpc::RequestId;
use crate::outbox::PendingRequests;
use crate::router::Router;

/// The endpoint itself, behind each handle.
pub(super) struct Endpoint {
    pub(super) router: Router,
    pub(super) config: EndpointConfig,
    pub(super) pending: Arc<PendingRequests>,
    /// In-flight requests of sessions, for `notifications/cancelled`.
    pub(super) inflight: Mutex<HashMap<(Arc<str>, RequestId), CancellationToken>>,
    /// Listening clients of both generations.
    pub(super) hub: Arc<Hub>,
    /// Seals 2026 request state (configured, or generated at start).
    pub(super) state_key: StateKeySlot,
    pub(super) shutdown: CancellationToken,
    /// Places for handler calls, in all and per client (`inflight` above
    /// is the cancellation map of session requests).
    pub(super) admission: Arc<InFlight>,
    /// Rate-limit buckets (empty unless a limit is configured).
    pub(super) limiter: Limiter,
    /// What requests share with their handlers: the router, the notifier
    /// and `pending` again, reached through the handle a request holds.
    pub(super) served: Served,
}

/// A handle on an endpoint (see the module's documentation).
pub(super) struct Shared {
    endpoint: Arc<Endpoint>,
}

impl Shared {
    pub(super) fn new(endpoint: Endpoint) -> Arc<Self> {
        Arc::new(Self { endpoint: Arc::new(endpoint) })
    }

    /// Another handle on the same endpoint.
    pub(super) fn another(&self) -> Arc<Self> {
        Arc::new(Self { endpoint: self.endpoint.clone() })
    }
}

impl Deref for Shared {
    type Target = Endpoint;

    fn deref(&self) -> &Endpoint {
        &self.endpoint
    }
}

impl HoldsServed for Shared {
    fn served(&self) -> &Served {
        &self.endpoint.served
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{EndpointConfig, McpService, Router};

    #[test]
    fn a_connection_handle_is_the_same_endpoint_counted_apart() {
        let router = Router::builder("t", "1").build().unwrap();
        let service = McpService::new(router, EndpointConfig::default());
        let handle = service.connection_handle();
        assert!(Arc::ptr_eq(&service.shared.endpoint, &handle.shared.endpoint), "one endpoint");
        assert!(!Arc::ptr_eq(&service.shared, &handle.shared), "two handles");
        let clone = handle.clone();
        assert_eq!(Arc::strong_count(&handle.shared), 2, "clones count on their handle");
        assert_eq!(Arc::strong_count(&service.shared), 1, "not on the service's");
        drop((service, handle));
        assert_eq!(Arc::strong_count(&clone.shared.endpoint), 1, "the endpoint lives while a handle does");
    }
}
