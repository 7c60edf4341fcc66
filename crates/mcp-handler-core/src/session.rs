//! Optional sessions (`Mcp-Session-Id`), behind a store trait so that a
//! fleet can keep them in a shared database. The endpoint is stateless
//! unless a store is configured.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::future::BoxFuture;
use serde_json::Value;

use crate::model::LogLevel;
use crate::outbox::lock;
use crate::version::ProtocolVersion;

/// What a session remembers between requests.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub struct SessionData {
    /// The negotiated revision.
    pub protocol_version: ProtocolVersion,
    /// The client's `capabilities` from `initialize`.
    pub client_capabilities: Arc<Value>,
    /// The client's `clientInfo`.
    pub client_info: Arc<Value>,
    /// The level set by `logging/setLevel`.
    pub log_level: Option<LogLevel>,
    /// Resource URIs the client subscribed to.
    pub subscriptions: BTreeSet<String>,
}

impl SessionData {
    /// A fresh session after `initialize`.
    pub fn new(protocol_version: ProtocolVersion, client_capabilities: Value, client_info: Value) -> Self {
        Self {
            protocol_version,
            client_capabilities: Arc::new(client_capabilities),
            client_info: Arc::new(client_info),
            log_level: None,
            subscriptions: BTreeSet::new(),
        }
    }
}

/// A store failure (e.g. a database that is down). Answered with 503.
#[derive(Debug, Clone, thiserror::Error)]
#[error("session store: {0}")]
pub struct StoreError(pub String);

/// Where sessions live. Ids are created by the endpoint (128 random bits).
pub trait SessionStore: Send + Sync + 'static {
    /// Stores a new session under `id`.
    fn insert(&self, id: &str, data: SessionData) -> BoxFuture<'_, Result<(), StoreError>>;
    /// Loads a session; `None` when unknown or expired.
    fn get(&self, id: &str) -> BoxFuture<'_, Result<Option<SessionData>, StoreError>>;
    /// Replaces a session's data; `false` when it no longer exists.
    fn update(&self, id: &str, data: SessionData) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// Ends a session; `false` when it did not exist.
    fn remove(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>>;
    /// How many sessions the store holds now, when it can tell without I/O
    /// (a metrics scrape reads it). `None`, the default, for a store that
    /// cannot (one shared by a fleet counts them elsewhere).
    fn count(&self) -> Option<usize> {
        None
    }
}

/// Sessions in this process's memory: right for one long-lived container,
/// wrong for Lambda or a fleet behind a load balancer without stickiness.
///
/// Idle sessions expire (default 1 hour) and the count is capped (default
/// 10,000; the oldest idle session is evicted) so that clients cannot grow
/// memory without bound.
#[derive(Debug)]
pub struct InMemorySessionStore {
    map: Mutex<HashMap<String, (SessionData, Instant)>>,
    idle_ttl: Duration,
    max_sessions: usize,
}

impl Default for InMemorySessionStore {
    fn default() -> Self {
        Self::new()
    }
}

impl InMemorySessionStore {
    /// A store with the default limits.
    pub fn new() -> Self {
        Self { map: Mutex::new(HashMap::new()), idle_ttl: Duration::from_secs(3600), max_sessions: 10_000 }
    }
    /// Idle time after which a session is forgotten.
    #[must_use]
    pub fn with_idle_ttl(mut self, ttl: Duration) -> Self {
        self.idle_ttl = ttl;
        self
    }
    /// Upper bound on live sessions.
    #[must_use]
    pub fn with_max_sessions(mut self, n: usize) -> Self {
        self.max_sessions = n.max(1);
        self
    }
    /// Live sessions now.
    pub fn len(&self) -> usize {
        lock(&self.map).len()
    }
    /// Whether no session is live.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl SessionStore for InMemorySessionStore {
    fn insert(&self, id: &str, data: SessionData) -> BoxFuture<'_, Result<(), StoreError>> {
        let mut map = lock(&self.map);
        let now = Instant::now();
        if map.len() >= self.max_sessions {
            map.retain(|_, (_, seen)| now.duration_since(*seen) < self.idle_ttl);
        }
        if map.len() >= self.max_sessions
            && let Some(oldest) = map.iter().min_by_key(|(_, (_, seen))| *seen).map(|(k, _)| k.clone())
        {
            map.remove(&oldest);
        }
        map.insert(id.to_owned(), (data, now));
        Box::pin(std::future::ready(Ok(())))
    }

    fn get(&self, id: &str) -> BoxFuture<'_, Result<Option<SessionData>, StoreError>> {
        let mut map = lock(&self.map);
        let now = Instant::now();
        let found = match map.get_mut(id) {
            Some((data, seen)) if now.duration_since(*seen) < self.idle_ttl => {
                *seen = now;
                Some(data.clone())
            }
            Some(_) => {
                map.remove(id);
                None
            }
            None => None,
        };
        Box::pin(std::future::ready(Ok(found)))
    }

    fn update(&self, id: &str, data: SessionData) -> BoxFuture<'_, Result<bool, StoreError>> {
        let mut map = lock(&self.map);
        let found = match map.get_mut(id) {
            Some(entry) => {
                *entry = (data, Instant::now());
                true
            }
            None => false,
        };
        Box::pin(std::future::ready(Ok(found)))
    }

    fn remove(&self, id: &str) -> BoxFuture<'_, Result<bool, StoreError>> {
        let found = lock(&self.map).remove(id).is_some();
        Box::pin(std::future::ready(Ok(found)))
    }

    fn count(&self) -> Option<usize> {
        Some(self.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn data() -> SessionData {
        SessionData::new(ProtocolVersion::V2025_11_25, Value::Null, Value::Null)
    }

    #[tokio::test]
    async fn sessions_expire_and_are_capped() {
        let store = InMemorySessionStore::new().with_idle_ttl(Duration::from_millis(30)).with_max_sessions(2);
        store.insert("a", data()).await.unwrap();
        store.insert("b", data()).await.unwrap();
        store.insert("c", data()).await.unwrap();
        assert_eq!(store.len(), 2, "the cap holds");
        assert!(store.get("a").await.unwrap().is_none(), "the oldest was evicted");
        tokio::time::sleep(Duration::from_millis(40)).await;
        assert!(store.get("c").await.unwrap().is_none(), "idle sessions expire");
        assert!(!store.remove("c").await.unwrap());
    }
}
