//! Small helpers shared across modules.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// `bytes` random bytes from the OS, URL-safe base64 (visible ASCII only).
pub(crate) fn random_token(bytes: usize) -> String {
    let mut buf = vec![0u8; bytes];
    if let Err(e) = getrandom::fill(&mut buf) {
        // The OS RNG failing is not recoverable in a meaningful way, but a
        // panic here would take a request down; fall back to time + address
        // entropy and say so.
        tracing::error!(error = %e, "OS random source failed; using a weaker fallback");
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| d.as_nanos())
            .unwrap_or_default()
            ^ (buf.as_ptr() as usize as u128);
        for (i, b) in buf.iter_mut().enumerate() {
            *b = (seed >> ((i % 16) * 8)) as u8;
        }
    }
    URL_SAFE_NO_PAD.encode(buf)
}
