//! The example binaries the end-to-end tests launch, built once per test
//! process, and the target folder they are built into.

use std::path::PathBuf;
use std::sync::OnceLock;

/// The workspace's target directory.
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..").join("target"))
}

/// Builds (once per test process) and returns the `everything` binary.
pub fn everything_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| example_bin("everything")).clone()
}

/// Builds (once per test process) and returns the `demo` binary.
pub fn demo_bin() -> PathBuf {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| example_bin("demo")).clone()
}

/// Built with the whole workspace's tests selected, so with the features
/// `cargo test --workspace` (and nextest) unify: the crates under the binary
/// are the ones the test run just compiled. `-p mcp-handler-examples` alone
/// resolves other features and compiled the facade and shells again.
///
/// The variables cargo set for this test process (`CARGO_PKG_*`,
/// `CARGO_MANIFEST_*`, ...) are not passed on: build scripts that read them
/// (ring's) would see this package's values, rerun, and rebuild all above
/// them, twice per test run (here, then in the next build from a clean
/// shell): the tests that need a binary waited 25–35 s for it.
fn example_bin(name: &str) -> PathBuf {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut build = std::process::Command::new(cargo);
    for (k, _) in std::env::vars_os() {
        let k = k.to_string_lossy();
        if k.starts_with("CARGO_PKG_")
            || k.starts_with("CARGO_MANIFEST_")
            || matches!(
                &*k,
                "CARGO_CRATE_NAME" | "CARGO_BIN_NAME" | "CARGO_PRIMARY_PACKAGE" | "CARGO_RUSTC_CURRENT_DIR"
            )
        {
            build.env_remove(&*k);
        }
    }
    let status = build
        .args(["build", "--quiet", "--workspace", "--tests", "--bin", name])
        .current_dir(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
        .status()
        .expect("cargo runs");
    assert!(status.success(), "building the {name} binary failed");
    target_dir().join("debug").join(name)
}
