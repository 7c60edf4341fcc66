//! The key that seals 2026 request state, as the endpoint holds it: the
//! configured one, or one generated at start. A Lambda SnapStart restore
//! replaces a generated key (it was made before the snapshot, so every
//! environment restored from it would share it) and a key re-read from a
//! rotated secret; nothing else changes it while the endpoint serves.
//! `McpService`'s methods over it are in `rekey.rs`.
//!
//! Every 2026 request takes the key, on whichever worker thread serves it.
//! A lock and one shared reference count would make every request of every
//! core write the same two cache lines; instead each thread keeps its own
//! copy, checked against the slot's epoch (a plain load of a line written
//! only when the key changes).

use std::cell::RefCell;
use std::sync::RwLock;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::util::RandomUnavailable;
use crate::v2026::RequestStateKey;

/// Tells slots apart in the threads' caches (an address could be reused).
static NEXT_SLOT: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// This thread's copy of the last slot's key it used: slot, epoch, key.
    static CACHED: RefCell<Option<(u64, u64, RequestStateKey)>> = const { RefCell::new(None) };
}

/// The current key and whether it was generated here.
pub(super) struct StateKeySlot {
    slot: RwLock<(RequestStateKey, bool)>,
    /// Bumped, under the write lock, on every change.
    epoch: AtomicU64,
    id: u64,
}

impl StateKeySlot {
    /// `configured`, or a key generated now.
    pub(super) fn new(configured: Option<RequestStateKey>) -> Result<Self, RandomUnavailable> {
        let slot = match configured {
            Some(k) => (k, false),
            None => (RequestStateKey::generate()?, true),
        };
        Ok(Self { slot: RwLock::new(slot), epoch: AtomicU64::new(0), id: NEXT_SLOT.fetch_add(1, Ordering::Relaxed) })
    }

    /// The key requests seal and open state with: this thread's copy while
    /// the slot's epoch is the one it was copied at.
    pub(super) fn get(&self) -> RequestStateKey {
        let epoch = self.epoch.load(Ordering::Acquire);
        let hit = CACHED.with_borrow(|c| match c {
            Some((id, e, key)) if *id == self.id && *e == epoch => Some(key.clone()),
            _ => None,
        });
        if let Some(key) = hit {
            return key;
        }
        // Read under the lock: `set` bumps the epoch while holding it.
        let (key, epoch) = {
            let slot = self.slot.read().unwrap_or_else(std::sync::PoisonError::into_inner);
            (slot.0.own_copy(), self.epoch.load(Ordering::Acquire))
        };
        CACHED.with_borrow_mut(|c| *c = Some((self.id, epoch, key.clone())));
        key
    }

    pub(super) fn set(&self, key: RequestStateKey, generated: bool) {
        let mut slot = self.slot.write().unwrap_or_else(std::sync::PoisonError::into_inner);
        *slot = (key, generated);
        self.epoch.fetch_add(1, Ordering::AcqRel);
    }

    pub(super) fn generated_id(&self) -> Option<String> {
        let slot = self.slot.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.1.then(|| slot.0.id())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_thread_sees_a_new_key_at_once_and_two_slots_keep_their_own() {
        let a = StateKeySlot::new(None).unwrap();
        let b = StateKeySlot::new(None).unwrap();
        let first = a.get().id();
        assert_eq!(a.get().id(), first, "the cached copy is the same key");
        assert_ne!(b.get().id(), first, "another slot's key is not the cached one");
        assert_eq!(a.get().id(), first);
        let next = RequestStateKey::generate().unwrap();
        let next_id = next.id();
        a.set(next, false);
        assert_eq!(a.get().id(), next_id, "the change is seen by a thread that cached the old key");
        let seen = std::thread::scope(|s| s.spawn(|| a.get().id()).join().unwrap());
        assert_eq!(seen, next_id, "and by another thread");
        assert_eq!(a.generated_id(), None);
    }
}
