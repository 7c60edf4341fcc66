//! Small helpers shared across modules: unguessable tokens from the OS
//! random source, and the error when it fails; client text cut to a bound.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// The operating system's random source failed.
///
/// Session ids, event ids and request-state keys must be unguessable, so
/// nothing falls back to weaker entropy (the clock, addresses): building a
/// service fails ([`McpService::try_new`](crate::McpService::try_new)), and
/// a request that needs a fresh token is answered 503.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("the operating system's random source failed: {detail}")]
#[non_exhaustive]
pub struct RandomUnavailable {
    detail: String,
}

#[cfg(test)]
thread_local! {
    /// Set by tests to make the random source fail on this thread.
    static FAIL: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes the random source fail (or work again) on this thread, so that
/// tests can reach the paths a failing OS source takes.
#[cfg(test)]
pub(crate) fn fail_random_on_this_thread(fail: bool) {
    FAIL.with(|f| f.set(fail));
}

/// Fills `buf` from the OS random source (logged when it fails).
pub(crate) fn fill_random(buf: &mut [u8]) -> Result<(), RandomUnavailable> {
    #[cfg(test)]
    if FAIL.with(std::cell::Cell::get) {
        return Err(RandomUnavailable { detail: "failure injected by a test".into() });
    }
    getrandom::fill(buf).map_err(|e| {
        tracing::error!(error = %e, "the OS random source failed");
        RandomUnavailable { detail: e.to_string() }
    })
}

/// `bytes` random bytes from the OS, URL-safe base64 (visible ASCII only).
pub(crate) fn random_token(bytes: usize) -> Result<String, RandomUnavailable> {
    let mut buf = vec![0u8; bytes];
    fill_random(&mut buf)?;
    Ok(URL_SAFE_NO_PAD.encode(buf))
}

/// The first `max` characters of `text` (all of it when shorter): how the
/// exchange record, the handler span and the audit line bound the text a
/// client controls.
pub(crate) fn first_chars(text: &str, max: usize) -> &str {
    text.char_indices().nth(max).map_or(text, |(cut, _)| &text[..cut])
}
