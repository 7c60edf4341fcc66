//! The secret value: redacted when printed, zeroized when dropped.

use std::fmt;
use std::sync::Arc;

use sha2::{Digest as _, Sha256};
use subtle::ConstantTimeEq as _;
use zeroize::Zeroizing;

/// A secret value. `Debug` and `Display` print `[REDACTED]`; the bytes are
/// overwritten when the last clone is dropped; it implements neither
/// `Serialize` nor `PartialEq`, so it cannot be logged or compared by
/// accident. Read it with [`expose`](Self::expose) where it is used, and
/// compare it with [`matches`](Self::matches).
///
/// Clones share one allocation (cheap, and one copy to wipe). Copies made
/// before the value reached this type (an HTTP response buffer, the
/// process environment) are outside its control.
#[derive(Clone)]
pub struct Secret(Arc<Zeroizing<String>>);

impl Secret {
    /// Wraps `value`; its buffer is wiped when the last clone drops.
    pub fn new(value: String) -> Self {
        Self(Arc::new(Zeroizing::new(value)))
    }

    /// The value. Keep the borrow short and do not log it.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Compares with `presented` in constant time, independent of where
    /// the two differ and of their lengths (both are hashed first).
    pub fn matches(&self, presented: &[u8]) -> bool {
        let a = Sha256::digest(self.0.as_bytes());
        let b = Sha256::digest(presented);
        bool::from(a.ct_eq(&b))
    }

    /// Whether two secrets hold the same value (constant time).
    pub fn same_value(&self, other: &Secret) -> bool {
        Arc::ptr_eq(&self.0, &other.0) || self.matches(other.0.as_bytes())
    }

    /// The value's length in bytes (not secret in practice, and useful in
    /// diagnostics).
    pub fn len(&self) -> usize {
        self.0.len()
    }

    /// Whether the value is empty.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret([REDACTED])")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[REDACTED]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn printing_never_shows_the_value() {
        let s = Secret::new("hunter2-value".into());
        assert_eq!(format!("{s}"), "[REDACTED]");
        assert_eq!(format!("{s:?}"), "Secret([REDACTED])");
        assert_eq!(format!("{s:#?}"), "Secret([REDACTED])");
        assert!(!format!("{:?}", Some(s.clone())).contains("hunter2"));
        assert_eq!(s.expose(), "hunter2-value");
    }

    #[test]
    fn matches_is_exact() {
        let s = Secret::new("abc".into());
        assert!(s.matches(b"abc"));
        assert!(!s.matches(b"ab"));
        assert!(!s.matches(b"abcd"));
        assert!(!s.matches(b""));
        assert!(s.same_value(&Secret::new("abc".into())));
        assert!(!s.same_value(&Secret::new("abd".into())));
    }
}
