//! The key that seals 2026 request state, as the endpoint holds it: the
//! configured one, or one generated at start. A Lambda SnapStart restore
//! replaces a generated key (it was made before the snapshot, so every
//! environment restored from it would share it) and a key re-read from a
//! rotated secret; nothing else changes it while the endpoint serves.
//! `McpService`'s methods over it are in `rekey.rs`.

use std::sync::RwLock;

use crate::util::RandomUnavailable;
use crate::v2026::RequestStateKey;

/// The current key and whether it was generated here.
pub(super) struct StateKeySlot(RwLock<(RequestStateKey, bool)>);

impl StateKeySlot {
    /// `configured`, or a key generated now.
    pub(super) fn new(configured: Option<RequestStateKey>) -> Result<Self, RandomUnavailable> {
        let slot = match configured {
            Some(k) => (k, false),
            None => (RequestStateKey::generate()?, true),
        };
        Ok(Self(RwLock::new(slot)))
    }

    /// The key requests seal and open state with (a pointer copy).
    pub(super) fn get(&self) -> RequestStateKey {
        self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner).0.clone()
    }

    pub(super) fn set(&self, key: RequestStateKey, generated: bool) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = (key, generated);
    }

    pub(super) fn generated_id(&self) -> Option<String> {
        let slot = self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.1.then(|| slot.0.id())
    }
}
