//! The checks every fuzz input must pass, one module per target. The
//! cargo-fuzz binaries (`fuzz_targets/`) call them on libFuzzer's inputs;
//! `tests/tests/fuzz_regressions.rs` calls the same functions on every
//! committed seed (`seeds/<target>/`) and past crash (`regressions/<target>/`).
//!
//! A check panics when a property fails; returning is passing. Each input
//! format is plain text a person can write and read (see each module), so
//! that seeds are real messages and a crash file explains itself.

pub mod jsonrpc;
pub mod meta_2026;
mod router;
pub mod secret_ref;
pub mod uri_template;

/// A fuzz target: its name (the binary, and the folder of its corpora) and
/// its check.
#[derive(Debug, Clone, Copy)]
pub struct Target {
    /// The cargo-fuzz target and the folder name under `seeds/` and `regressions/`.
    pub name: &'static str,
    /// Panics when `data` breaks a property.
    pub check: fn(&[u8]),
}

/// Every target, as `cargo fuzz list` names them.
pub const TARGETS: [Target; 4] = [
    Target { name: "jsonrpc", check: jsonrpc::check },
    Target { name: "meta_2026", check: meta_2026::check },
    Target { name: "uri_template", check: uri_template::check },
    Target { name: "secret_ref", check: secret_ref::check },
];

/// Splits `data` at its first blank line (`\n\n`): a head of lines and a
/// body, as an HTTP message is written. Without a blank line, all is head.
pub(crate) fn split_head(data: &[u8]) -> (&[u8], &[u8]) {
    match data.windows(2).position(|w| w == b"\n\n") {
        Some(at) => (&data[..at], &data[at + 2..]),
        None => (data, &[]),
    }
}
