//! The shape of the code, checked: no Rust source file in the workspace is
//! longer than 500 lines, and within each crate no two modules import each
//! other (`use` paths resolved to modules; a parent and its own child may
//! see each other, siblings and cousins may not go both ways). Each failure
//! lists every offender.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

const MAX_LINES: usize = 500;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().expect("the workspace root").to_path_buf()
}

/// Every `.rs` file under `dir`, skipping build output and tool folders.
fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else { return };
    for entry in entries.flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if path.is_dir() {
            if !name.starts_with('.') && name != "target" && name != "node_modules" {
                rust_files(&path, out);
            }
        } else if name.ends_with(".rs") {
            out.push(path);
        }
    }
}

#[test]
fn no_source_file_is_longer_than_500_lines() {
    let root = root();
    let mut files = Vec::new();
    for dir in ["crates", "benches", "tests", "xtask", "fuzz"] {
        rust_files(&root.join(dir), &mut files);
    }
    assert!(files.len() > 50, "found only {} source files under {}", files.len(), root.display());
    let mut long: Vec<String> = files
        .iter()
        .filter_map(|f| {
            let lines = std::fs::read_to_string(f).ok()?.lines().count();
            (lines > MAX_LINES).then(|| format!("{} ({lines} lines)", f.strip_prefix(&root).unwrap_or(f).display()))
        })
        .collect();
    long.sort();
    assert!(long.is_empty(), "files over {MAX_LINES} lines:\n  {}", long.join("\n  "));
}

/// `a::b::c` of a file under a crate's `src` (`lib.rs`/`main.rs` is `crate`).
fn module_of(src: &Path, file: &Path) -> String {
    let rel = file.strip_prefix(src).expect("under src").with_extension("");
    let mut parts: Vec<String> = rel.components().map(|c| c.as_os_str().to_string_lossy().into_owned()).collect();
    if parts.last().is_some_and(|p| p == "mod") {
        parts.pop();
    }
    if parts == ["lib"] || parts == ["main"] || parts.is_empty() {
        return "crate".to_owned();
    }
    parts.join("::")
}

/// The paths a `use` tree names: `a::{b, c::{d}}` → `a::b`, `a::c::d`.
fn expand(tree: &str) -> Vec<String> {
    let tree: String = tree.chars().filter(|c| !c.is_whitespace()).collect();
    let Some(open) = tree.find('{') else { return vec![tree] };
    let close = tree.rfind('}').unwrap_or(tree.len());
    let (prefix, inner) = (&tree[..open], &tree[open + 1..close]);
    let (mut parts, mut depth, mut cur) = (Vec::new(), 0, String::new());
    for ch in inner.chars() {
        match ch {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(std::mem::take(&mut cur));
                continue;
            }
            _ => {}
        }
        cur.push(ch);
    }
    parts.push(cur);
    parts.iter().filter(|p| !p.is_empty()).flat_map(|p| expand(p)).map(|p| format!("{prefix}{p}")).collect()
}

/// The module a `use` path of module `from` lands in, if it is one of `mods`.
fn resolve(mods: &BTreeSet<String>, from: &str, path: &str) -> Option<String> {
    let mut parts: Vec<&str> = path.split("::").filter(|p| !p.is_empty()).collect();
    let here: Vec<&str> = if from == "crate" { Vec::new() } else { from.split("::").collect() };
    let mut base: Vec<&str> = match parts.first().copied() {
        Some("crate") => {
            parts.remove(0);
            Vec::new()
        }
        Some("super") => {
            let mut b = here.clone();
            while parts.first() == Some(&"super") {
                parts.remove(0);
                b.pop();
            }
            b
        }
        Some("self") => {
            parts.remove(0);
            here.clone()
        }
        Some(first) if mods.contains(&[here.clone(), vec![first]].concat().join("::")) => here.clone(),
        _ => return None,
    };
    base.extend(parts);
    (1..=base.len()).rev().map(|i| base[..i].join("::")).find(|m| mods.contains(m))
}

/// `a as b, c` → `a, c`: an alias does not change the module imported.
fn strip_aliases(tree: &str) -> String {
    let mut out = String::new();
    let mut tokens = tree.split_whitespace();
    while let Some(token) = tokens.next() {
        if token == "as" {
            // Keep what follows the alias name (`,` or `}`).
            if let Some(alias) = tokens.next() {
                out.extend(alias.chars().filter(|c| !(c.is_alphanumeric() || *c == '_')));
            }
        } else {
            out.push_str(token);
        }
    }
    out
}

fn is_ancestor(a: &str, b: &str) -> bool {
    a == "crate" || b.starts_with(&format!("{a}::"))
}

#[test]
fn no_two_modules_import_each_other() {
    let root = root();
    let mut crates: Vec<PathBuf> = std::fs::read_dir(root.join("crates"))
        .expect("crates/")
        .flatten()
        .map(|e| e.path().join("src"))
        .filter(|p| p.is_dir())
        .collect();
    crates.extend(["benches/src", "xtask/src", "fuzz/src"].map(|p| root.join(p)));
    let mut offenders = Vec::new();
    for src in crates {
        let mut files = Vec::new();
        rust_files(&src, &mut files);
        let sources: BTreeMap<String, String> = files
            .iter()
            .filter(|f| !f.starts_with(src.join("bin")))
            .map(|f| (module_of(&src, f), std::fs::read_to_string(f).unwrap_or_default()))
            .collect();
        let mods: BTreeSet<String> = sources.keys().cloned().collect();
        let mut edges = BTreeSet::new();
        for (module, text) in &sources {
            // Unit tests may reach anywhere.
            let text = text.split("#[cfg(test)]").next().unwrap_or(text);
            for (at, _) in text.match_indices("use ") {
                let line_start = text[..at].rfind('\n').map_or(0, |n| n + 1);
                let before = text[line_start..at].trim();
                if !(before.is_empty() || before.starts_with("pub")) {
                    continue;
                }
                let Some(end) = text[at..].find(';') else { continue };
                for path in expand(&strip_aliases(&text[at + 4..at + end])) {
                    if let Some(target) = resolve(&mods, module, &path)
                        && target != *module
                        && !is_ancestor(&target, module)
                        && !is_ancestor(module, &target)
                    {
                        edges.insert((module.clone(), target));
                    }
                }
            }
        }
        for (a, b) in &edges {
            if a < b && edges.contains(&(b.clone(), a.clone())) {
                offenders.push(format!("{}: {a} <-> {b}", src.strip_prefix(&root).unwrap_or(&src).display()));
            }
        }
    }
    assert!(offenders.is_empty(), "modules that import each other:\n  {}", offenders.join("\n  "));
}

#[test]
fn the_import_check_sees_a_cycle() {
    let mods: BTreeSet<String> = ["http", "http::service", "http::sessions", "dispatch"].map(String::from).into();
    assert_eq!(resolve(&mods, "http::sessions", "super::service::{Caller, Shared}"), Some("http::service".into()));
    assert_eq!(
        expand("super::{service::Shared, responses::{a, b}}"),
        ["super::service::Shared", "super::responses::a", "super::responses::b"]
    );
    assert_eq!(resolve(&mods, "http::service", "crate::dispatch::{self, CallEnv}"), Some("dispatch".into()));
    assert_eq!(resolve(&mods, "http::service", "std::sync::Arc"), None);
    assert_eq!(expand(&strip_aliases("super::{base as b, dispatch::{X as Y}}")), ["super::base", "super::dispatch::X"]);
}
