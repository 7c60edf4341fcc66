//! The endpoint guard's verifier: the expected token is a secret, read
//! from the cache on every request and compared in constant time.

use mcp_handler_core::{TokenVerdict, TokenVerifier};

use crate::Secrets;

/// Accepts the value of secret `name` (and, during a rotation, of any
/// further names, e.g. `AUTH_TOKEN_PREVIOUS` bound to `AWSPREVIOUS`).
/// Fails closed: when the main secret cannot be served the request gets
/// 503, never a pass.
#[derive(Clone, Debug)]
pub struct SecretToken {
    secrets: Secrets,
    names: Vec<String>,
}

impl SecretToken {
    /// Checks presented tokens against secret `name` of `secrets`.
    pub fn new(secrets: Secrets, name: &str) -> Self {
        Self { secrets, names: vec![name.to_owned()] }
    }

    /// Also accepts secret `name` (when configured and loaded).
    #[must_use]
    pub fn or(mut self, name: &str) -> Self {
        self.names.push(name.to_owned());
        self
    }
}

impl TokenVerifier for SecretToken {
    fn verify(&self, presented: &[u8]) -> TokenVerdict {
        let mut names = self.names.iter();
        let Some(main) = names.next() else { return TokenVerdict::Unavailable };
        let Ok(expected) = self.secrets.current(main) else { return TokenVerdict::Unavailable };
        // Every candidate is compared, so timing does not say which matched.
        let mut ok = expected.matches(presented);
        for name in names {
            if let Ok(other) = self.secrets.current(name) {
                ok |= other.matches(presented);
            }
        }
        if ok { TokenVerdict::Accept } else { TokenVerdict::Reject }
    }
}
