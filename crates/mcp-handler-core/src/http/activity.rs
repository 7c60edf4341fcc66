//! What the endpoint is doing right now, for a shell's gauges: counts the
//! endpoint keeps anyway (places of running calls, the listener registry,
//! the session store), read on demand. Nothing is counted for it on the
//! request path.

use super::service::McpService;

/// A snapshot of the endpoint's open work.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
#[non_exhaustive]
pub struct Activity {
    /// Handler calls running (what `MCP_MAX_IN_FLIGHT` bounds), streamed
    /// answers included.
    pub calls_in_flight: usize,
    /// POST answers being streamed as SSE (of `calls_in_flight`).
    pub post_streams: usize,
    /// Open GET streams of 2025 sessions.
    pub get_streams: usize,
    /// Open `subscriptions/listen` streams (2026).
    pub listen_streams: usize,
    /// Sessions the store holds, when it can tell
    /// ([`SessionStore::count`](crate::SessionStore::count)); `None` without
    /// sessions or with a store that cannot.
    pub sessions: Option<usize>,
}

impl McpService {
    /// What the endpoint is doing now: a few locked reads, for a scrape,
    /// not for every request.
    pub fn activity(&self) -> Activity {
        let shared = &self.shared;
        Activity {
            calls_in_flight: shared.admission.running(),
            post_streams: shared.admission.streaming(),
            get_streams: shared.hub.session_streams(),
            listen_streams: shared.hub.listen_streams(),
            sessions: shared.config.sessions.as_ref().and_then(|s| s.count()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use crate::{EndpointConfig, InMemorySessionStore, McpService, Router};

    #[test]
    fn an_idle_endpoint_reports_nothing_open() {
        let router = Router::builder("t", "1").build().unwrap();
        let plain = McpService::new(router.clone(), EndpointConfig::default());
        assert_eq!(plain.activity(), super::Activity::default());
        let store = Arc::new(InMemorySessionStore::new());
        let with_sessions = McpService::new(router, EndpointConfig::default().with_session_store(store));
        assert_eq!(with_sessions.activity().sessions, Some(0));
    }
}
