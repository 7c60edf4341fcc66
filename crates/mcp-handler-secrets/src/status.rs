//! How each secret's refreshes are going, for a shell's metrics: counts and
//! ages only, never a value or a reference's contents.

use std::time::Duration;

/// One configured secret's refresh history and freshness.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct SecretStatus {
    /// The declared name (`AUTH_TOKEN`), never the value.
    pub name: String,
    /// Whether the app cannot serve without it.
    pub required: bool,
    /// Fetches from its source that succeeded (the first load included).
    pub refreshes_ok: u64,
    /// Fetches that failed (an error, a timeout, an unusable value).
    pub refreshes_failed: u64,
    /// Time since the last successful fetch; `None` before the first.
    pub since_refresh: Option<Duration>,
    /// How long past its TTL the value being served is (refreshes are
    /// failing); zero while it is fresh or never expires.
    pub stale_for: Duration,
    /// Whether it can be served now (loaded, and within its staleness bound).
    pub servable: bool,
}
