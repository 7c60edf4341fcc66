//! `McpService`'s operations on its request-state key (held in
//! `state_key.rs`): its public id, a new key after a SnapStart restore, a
//! rotated one from a secret.

use super::service::McpService;
use crate::util::RandomUnavailable;
use crate::v2026::RequestStateKey;

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
