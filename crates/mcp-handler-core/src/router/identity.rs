//! The server's identity as a 2026 result carries it (`_meta`'s
//! `io.modelcontextprotocol/serverInfo`), held by each 2026 request's
//! result writer until its answer is written.
//!
//! The writer used to hold a clone of the router for it: every 2026
//! request of every core then wrote the router's one reference count
//! twice, a cache line all cores share. Each thread keeps its own copy of
//! the identity instead (as it does of the request-state key,
//! `http/state_key.rs`), so a request clones an `Arc` no other thread
//! touches, unless its future moves to another worker.

use std::cell::RefCell;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use serde_json::Value;

use super::Router;

/// What a 2026 result says of the server.
#[derive(Debug, Clone)]
pub(crate) struct ServerIdentity {
    /// The `Implementation` as JSON, for a result with its own `_meta`.
    pub(crate) info: Value,
    /// `"_meta":{"io.modelcontextprotocol/serverInfo":{...}}`, serialized.
    pub(crate) meta: Box<[u8]>,
}

/// Tells routers apart in the threads' caches (an address could be reused).
static NEXT_ROUTER: AtomicU64 = AtomicU64::new(1);

/// A router's id, never given to another router of this process.
pub(crate) fn next_id() -> u64 {
    NEXT_ROUTER.fetch_add(1, Ordering::Relaxed)
}

thread_local! {
    /// This thread's copy of the last router's identity it used.
    static CACHED: RefCell<Option<(u64, Arc<ServerIdentity>)>> = const { RefCell::new(None) };
}

impl Router {
    /// The server's identity, from this thread's copy.
    pub(crate) fn identity(&self) -> Arc<ServerIdentity> {
        let r = &*self.inner;
        let copy = || Arc::new(r.identity.clone());
        CACHED
            .try_with(|cell| {
                let mut cached = cell.borrow_mut();
                match &*cached {
                    Some((id, identity)) if *id == r.id => identity.clone(),
                    _ => {
                        let identity = copy();
                        *cached = Some((r.id, identity.clone()));
                        identity
                    }
                }
            })
            // A thread whose locals are gone: a copy of its own.
            .unwrap_or_else(|_| copy())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn router(name: &str) -> Router {
        Router::builder(name, "1.0.0").build().unwrap()
    }

    #[test]
    fn each_router_gets_its_own_identity_and_a_thread_reuses_its_copy() {
        let (a, b) = (router("a"), router("b"));
        let first = a.identity();
        assert!(Arc::ptr_eq(&first, &a.identity()), "the thread's copy, not a new one");
        assert_eq!(first.info["name"], "a");
        assert_eq!(first.meta, a.inner.identity.meta);
        assert_eq!(b.identity().info["name"], "b", "another router is not served from the cache");
        assert_eq!(a.identity().info["name"], "a");
        let other = std::thread::spawn(move || a.identity()).join().unwrap();
        assert!(!Arc::ptr_eq(&first, &other), "another thread makes its own copy");
        assert_eq!(other.info, first.info);
    }
}
