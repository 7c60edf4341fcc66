//! How [`run`](crate::run) wires secrets into either shell: the app's
//! `Secrets` (found in the router's state) and the platform's own
//! (`AUTH_TOKEN`, `REQUEST_STATE_KEY`), loaded at start, kept fresh,
//! reported by readiness.

use std::sync::Arc;

use futures_util::future::BoxFuture;
use mcp_handler_core::{EndpointConfig, Router};
pub use mcp_handler_secrets::*;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

/// Every `Secrets` of a program.
#[derive(Clone, Default)]
pub(crate) struct Wiring {
    all: Arc<Vec<Secrets>>,
    platform: Option<Secrets>,
}

impl Wiring {
    pub(crate) fn new(router: &Router) -> Result<Self, ConfigError> {
        let platform = platform::platform_secrets(|k| std::env::var(k).ok())?;
        let all: Vec<Secrets> = router.state::<Secrets>().cloned().into_iter().chain(platform.clone()).collect();
        Ok(Self { all: Arc::new(all), platform })
    }

    /// Loads what answers at start-up (required failures stop it), and
    /// applies the platform secrets to the endpoint.
    pub(crate) async fn init(self, mut endpoint: EndpointConfig) -> Result<EndpointConfig, BoxError> {
        for s in self.all.iter() {
            s.load().await?;
        }
        if let Some(p) = &self.platform {
            if let Some(auth) = platform::endpoint_auth(p) {
                endpoint = endpoint.with_auth(auth);
            }
            if let Some(key) = platform::request_state_key(p)? {
                endpoint = endpoint.with_request_state_key(key);
            }
        }
        Ok(endpoint)
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.all.is_empty()
    }

    /// Servers: a background refresher per `Secrets`.
    pub(crate) fn spawn_refreshers(&self) {
        for s in self.all.iter() {
            drop(s.spawn_refresher());
        }
    }

    pub(crate) fn ready(&self) -> bool {
        self.all.iter().all(Secrets::is_ready)
    }

    /// Lambda: before an invocation, load what only loads then and refresh
    /// what expired; a required secret that cannot be served fails it.
    pub(crate) fn before_invocation(&self) -> Option<BoxFuture<'static, Result<(), String>>> {
        if !self.all.iter().any(Secrets::any_due) {
            return None;
        }
        let all = self.all.clone();
        Some(Box::pin(async move {
            for s in all.iter() {
                s.refresh_due().await;
                s.readiness().map_err(|e| e.to_string())?;
            }
            Ok(())
        }))
    }
}
