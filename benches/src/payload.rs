//! The one tool every system in the benchmark serves, and the exact texts the
//! load sends, so that `mcp-bench` can check each answer and the fixed-bytes
//! HTTP floor can answer what a correct server would.

/// The tool every benchmarked server exposes: `echo {text}` returns one text
/// content block holding `text` unchanged.
pub const TOOL: &str = "echo";

/// The argument of the small calls (`call`, `call-2026`, `session`).
pub const SMALL_TEXT: &str = "hello from mcp-bench";

/// Length of the `big` scenario's argument (and so of its echoed result).
pub const BIG_LEN: usize = 10 * 1024;

/// The `big` scenario's argument: [`BIG_LEN`] bytes of printable ASCII that
/// JSON carries without escapes, so every system moves the same bytes.
pub fn big_text() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";
    ALPHABET.iter().cycle().take(BIG_LEN).map(|&b| char::from(b)).collect()
}

/// The 2025-generation version the load sends (the newest one every peer speaks).
pub const VERSION_2025: &str = "2025-06-18";

/// The 2026 generation's version.
pub const VERSION_2026: &str = "2026-07-28";

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn big_text_is_exactly_10_kib_of_plain_ascii() {
        let t = big_text();
        assert_eq!(t.len(), BIG_LEN);
        assert!(t.bytes().all(|b| b.is_ascii_alphanumeric() || b == b' '));
        assert_eq!(serde_json::to_string(&t).map(|s| s.len()).ok(), Some(BIG_LEN + 2));
    }
}
