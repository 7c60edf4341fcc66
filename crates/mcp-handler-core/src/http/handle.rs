//! What a request holds the endpoint by: a handle, `Shared`, that the
//! request's future, its handler's context and a streamed answer each
//! keep a reference to while they run.
//!
//! Every such reference is a count written twice per request. Were it the
//! endpoint's own count, every request on every core would write one
//! cache line, and the cores would pass that line between them on every
//! request (the contention probe, `benches/examples/contention.rs`, shows
//! what that costs). [`McpService::connection_handle`] makes a new handle
//! on the same endpoint: the server shell takes one per accepted
//! connection, so the requests of one connection write one count, which
//! the core serving that connection keeps. Clones of an `McpService`
//! share its handle, as before.

use std::ops::Deref;
use std::sync::Arc;

use super::service::{Endpoint, McpService};
use crate::env::{HoldsServed, Served};

/// A handle on an endpoint (see the module's documentation).
pub(super) struct Shared {
    endpoint: Arc<Endpoint>,
}

impl Shared {
    pub(super) fn new(endpoint: Endpoint) -> Arc<Self> {
        Arc::new(Self { endpoint: Arc::new(endpoint) })
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

impl McpService {
    /// The same endpoint (router, sessions, limits, everything), through
    /// a handle of its own: requests served through it, and its clones,
    /// keep their references to it, not to `self`'s handle. A shell that
    /// serves many connections on many cores takes one per connection, so
    /// that a request writes a count only its own connection's requests
    /// share. Use it where a clone per connection would be made anyway.
    #[must_use]
    pub fn connection_handle(&self) -> Self {
        Self { shared: Arc::new(Shared { endpoint: self.shared.endpoint.clone() }) }
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
