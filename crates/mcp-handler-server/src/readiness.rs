//! Liveness and readiness.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use futures_util::future::BoxFuture;

type Check = Arc<dyn Fn() -> BoxFuture<'static, bool> + Send + Sync>;

/// Readiness: false while shutting down or while any registered check fails.
#[derive(Clone, Default)]
pub struct Readiness {
    shutting_down: Arc<AtomicBool>,
    checks: Vec<(Arc<str>, Check)>,
}

impl std::fmt::Debug for Readiness {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self.checks.iter().map(|(n, _)| &**n).collect();
        f.debug_struct("Readiness")
            .field("shutting_down", &self.shutting_down.load(Ordering::Relaxed))
            .field("checks", &names)
            .finish()
    }
}

impl Readiness {
    /// Adds a named check; `/readyz` fails while it returns `false`.
    pub fn add_check<F, Fut>(&mut self, name: impl Into<Arc<str>>, check: F)
    where
        F: Fn() -> Fut + Send + Sync + 'static,
        Fut: std::future::Future<Output = bool> + Send + 'static,
    {
        self.checks.push((name.into(), Arc::new(move || Box::pin(check()))));
    }

    pub(crate) fn set_shutting_down(&self) {
        self.shutting_down.store(true, Ordering::SeqCst);
    }

    /// Ready, or the name of what is not.
    pub async fn check(&self) -> Result<(), Arc<str>> {
        if self.shutting_down.load(Ordering::SeqCst) {
            return Err("shutting down".into());
        }
        for (name, check) in &self.checks {
            if !check().await {
                return Err(name.clone());
            }
        }
        Ok(())
    }
}
