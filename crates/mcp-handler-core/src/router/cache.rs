//! Caching hints for 2026-07-28 clients.

use serde::Serialize;

/// Who may cache a result (2026-07-28 `cacheScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum CacheScope {
    /// The same for every caller: shared caches may keep it.
    Public,
    /// Caller-specific: only that caller's cache may keep it.
    Private,
}

/// Caching hints on cacheable results (`ttlMs`, `cacheScope`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CacheHint {
    /// How long the result may be considered fresh.
    pub ttl_ms: u64,
    /// Who may cache it.
    pub scope: CacheScope,
}

impl CacheHint {
    /// Fresh for `ttl_ms` milliseconds for anyone.
    pub const fn public(ttl_ms: u64) -> Self {
        Self { ttl_ms, scope: CacheScope::Public }
    }
    /// Fresh for `ttl_ms` milliseconds for this caller only.
    pub const fn private(ttl_ms: u64) -> Self {
        Self { ttl_ms, scope: CacheScope::Private }
    }
    pub(crate) fn json_fields(self) -> String {
        let scope = match self.scope {
            CacheScope::Public => "public",
            CacheScope::Private => "private",
        };
        format!(r#""ttlMs":{},"cacheScope":"{scope}""#, self.ttl_ms)
    }
}
