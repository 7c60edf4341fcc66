//! The key that seals 2026 request state, as the endpoint holds it: the
//! configured one, or one generated at start. A Lambda SnapStart restore
//! replaces a generated key (it was made before the snapshot, so every
//! environment restored from it would share it) and a key re-read from a
//! rotated secret; nothing else changes it while the endpoint serves.

use std::sync::RwLock;

use super::service::McpService;
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

    fn set(&self, key: RequestStateKey, generated: bool) {
        *self.0.write().unwrap_or_else(std::sync::PoisonError::into_inner) = (key, generated);
    }

    fn generated_id(&self) -> Option<String> {
        let slot = self.0.read().unwrap_or_else(std::sync::PoisonError::into_inner);
        slot.1.then(|| slot.0.id())
    }
}

impl McpService {
    /// The [`id`](RequestStateKey::id) of the request-state key generated
    /// at start, or `None` when the configuration gave one. For logs that
    /// must tell apart the keys of two processes (never the key itself).
    pub fn generated_state_key_id(&self) -> Option<String> {
        self.shared.state_key.generated_id()
    }

    /// Generates a new request-state key if the current one was generated
    /// here (a configured key is kept), and returns the new key's id.
    /// State sealed with the old key is refused from then on, as if it
    /// came from another process. For a process whose memory is copied
    /// into many (a Lambda SnapStart restore): each copy then seals with a
    /// key of its own, as separately started processes do.
    pub fn regenerate_state_key(&self) -> Result<Option<String>, RandomUnavailable> {
        if self.shared.state_key.generated_id().is_none() {
            return Ok(None);
        }
        let key = RequestStateKey::generate()?;
        let id = key.id();
        self.shared.state_key.set(key, true);
        Ok(Some(id))
    }

    /// Seals and opens request state with `key` from now on (a configured
    /// key re-read from its secret store, rotated since start).
    pub fn replace_state_key(&self, key: RequestStateKey) {
        self.shared.state_key.set(key, false);
    }
}
