//! `env:VAR` — a process environment variable (also how ECS task
//! definition `secrets` and Kubernetes `secretKeyRef` hand values over).

use std::sync::Arc;
use std::time::Duration;

use crate::reference::Location;
use crate::secret::Secret;
use crate::source::{SecretSource, SourceError};

/// Reads environment variables (read once: a process's environment does
/// not change under it).
#[derive(Clone)]
pub struct EnvSource {
    lookup: crate::Lookup,
}

impl std::fmt::Debug for EnvSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("EnvSource")
    }
}

impl Default for EnvSource {
    fn default() -> Self {
        Self::new()
    }
}

impl EnvSource {
    /// The process environment.
    pub fn new() -> Self {
        Self::with_lookup(|k| std::env::var(k).ok())
    }

    /// Another environment (tests, layered configuration).
    pub fn with_lookup(lookup: impl Fn(&str) -> Option<String> + Send + Sync + 'static) -> Self {
        Self { lookup: Arc::new(lookup) }
    }
}

impl SecretSource for EnvSource {
    async fn fetch(&self, location: &Location) -> Result<Secret, SourceError> {
        match (self.lookup)(&location.id) {
            Some(v) => Ok(Secret::new(v)),
            None => Err(SourceError::NotFound(format!("environment variable {} is not set", location.id))),
        }
    }

    fn default_ttl(&self) -> Option<Duration> {
        None
    }
}
