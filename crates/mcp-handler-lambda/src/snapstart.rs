//! Lambda SnapStart: the init phase runs once, when a version is
//! published; Lambda snapshots the microVM and restores the snapshot into
//! every environment it starts for that version. What init made is then
//! in all of them, so around the snapshot the shell:
//!
//! - before it, runs the app's hooks (the secrets wiring drops every cached
//!   value and the clients' connections and credentials);
//! - after each restore, first regenerates the request-state key if this
//!   process generated it (a key the configuration gives is the fleet's and
//!   stays), re-arms the cold-start metric, then runs the app's hooks in the
//!   order they were added (the secrets are read again).
//!
//! Nothing else made at init needs to be unique: session ids, event ids
//! and other tokens are read from the OS random source when they are made,
//! never from a seed kept in memory. The trace exporter holds no connection
//! at the snapshot (it exports after invocations, and none ran). `lambda_runtime` runs the hooks when
//! `AWS_LAMBDA_INITIALIZATION_TYPE` is `snap-start`, and never otherwise.

use std::sync::Arc;
use std::time::Instant;

use futures_util::future::BoxFuture;
use lambda_http::{Error, SnapStartResource};
use mcp_handler_core::McpService;

use crate::emf::Emf;

/// Work before the snapshot.
pub(crate) type Before = Arc<dyn Fn() -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;
/// Work after a restore, given the endpoint.
pub(crate) type After = Arc<dyn Fn(McpService) -> BoxFuture<'static, Result<(), Error>> + Send + Sync>;

/// One app's hooks, by name (for the logs).
#[derive(Clone)]
pub(crate) struct Hooks {
    pub(crate) name: String,
    pub(crate) before: Before,
    pub(crate) after: After,
}

/// Whether this environment runs with SnapStart.
pub(crate) fn enabled() -> bool {
    std::env::var("AWS_LAMBDA_INITIALIZATION_TYPE").is_ok_and(|v| v == "snap-start")
}

/// The shell's own SnapStart resource, registered first.
pub(crate) struct Snapshot {
    pub(crate) mcp: McpService,
    pub(crate) emf: Option<Emf>,
    pub(crate) hooks: Vec<Hooks>,
}

impl SnapStartResource for Snapshot {
    fn before_snapshot(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            for h in self.hooks.iter().rev() {
                (h.before)().await.map_err(|e| format!("before the snapshot: {} failed: {e}", h.name))?;
            }
            tracing::info!("init done; waiting for the SnapStart snapshot");
            Ok(())
        })
    }

    fn after_restore(&self) -> BoxFuture<'_, Result<(), Error>> {
        Box::pin(async move {
            let started = Instant::now();
            // Without a random source the restored environment must not
            // serve with the snapshot's key: the restore fails.
            let state_key = self.mcp.regenerate_state_key().map_err(|e| format!("after the restore: {e}"))?;
            for h in &self.hooks {
                (h.after)(self.mcp.clone()).await.map_err(|e| format!("after the restore: {} failed: {e}", h.name))?;
            }
            let took = started.elapsed();
            if let Some(emf) = &self.emf {
                emf.restored(took);
            }
            tracing::info!(
                restore_ms = took.as_secs_f64() * 1000.0,
                state_key = state_key.as_deref(),
                "restored from a SnapStart snapshot"
            );
            Ok(())
        })
    }
}
