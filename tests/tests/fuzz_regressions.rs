//! The fuzz corpora as a regression test: every committed seed
//! (`fuzz/seeds/<target>/`) and every input that once broke a target
//! (`fuzz/regressions/<target>/`) goes through the same check the cargo-fuzz
//! binary runs, on stable, on every `cargo nextest run --workspace`. A
//! missing or empty folder fails, so the test cannot pass by finding nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};
use std::path::{Path, PathBuf};

use mcp_handler_fuzz::{TARGETS, Target};

fn fuzz_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz")
}

/// The files of `fuzz/<kind>/<target>/`, sorted; fails when there are none.
fn inputs(kind: &str, target: &Target) -> Vec<PathBuf> {
    let dir = fuzz_dir().join(kind).join(target.name);
    let entries = std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display()));
    let mut files: Vec<PathBuf> = entries.flatten().map(|e| e.path()).filter(|p| p.is_file()).collect();
    files.sort();
    assert!(!files.is_empty(), "{} holds no inputs: a target without them is not tested", dir.display());
    files
}

/// Runs every input of `kind` through its target's check and names each
/// one that fails (all of them, not only the first).
fn replay(kind: &str) {
    let mut failed = Vec::new();
    let mut count = 0;
    for target in TARGETS {
        for file in inputs(kind, &target) {
            let data = std::fs::read(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
            count += 1;
            if catch_unwind(AssertUnwindSafe(|| (target.check)(&data))).is_err() {
                failed.push(format!("{} ({})", file.display(), target.name));
            }
        }
    }
    assert!(
        failed.is_empty(),
        "{} of {count} {kind} inputs fail their target's check:\n  {}",
        failed.len(),
        failed.join("\n  ")
    );
}

#[test]
fn every_seed_passes_its_target() {
    replay("seeds");
}

#[test]
fn every_past_crash_stays_fixed() {
    replay("regressions");
}

/// A folder named after no target would never be replayed.
#[test]
fn every_corpus_folder_belongs_to_a_target() {
    for kind in ["seeds", "regressions"] {
        let dir = fuzz_dir().join(kind);
        for entry in std::fs::read_dir(&dir).unwrap_or_else(|e| panic!("{}: {e}", dir.display())).flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            assert!(TARGETS.iter().any(|t| t.name == name), "{kind}/{name} is not a fuzz target (known: {TARGETS:?})");
        }
    }
}
