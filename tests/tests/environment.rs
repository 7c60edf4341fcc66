//! One table of environment variables (`mcp_handler::environment`): the
//! README's table, the code that reads variables and the binaries' `--help`
//! all agree with it.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use mcp_handler::environment::ENVIRONMENT;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn table() -> BTreeSet<String> {
    ENVIRONMENT.iter().map(|v| v.name.to_owned()).collect()
}

fn is_var_name(s: &str) -> bool {
    s.starts_with(|c: char| c.is_ascii_uppercase())
        && s.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || matches!(c, '_' | '<' | '>'))
}

/// The variables named in the first column of the README's
/// "flag / variable" table.
fn readme_variables() -> BTreeSet<String> {
    let readme = std::fs::read_to_string(root().join("README.md")).expect("README.md");
    let mut lines = readme.lines().skip_while(|l| !l.starts_with("| flag / variable |"));
    assert!(lines.next().is_some(), "the README has no `| flag / variable |` table");
    lines
        .take_while(|l| l.starts_with('|'))
        .filter_map(|l| l.split('|').nth(1))
        .flat_map(|cell| cell.split('`').skip(1).step_by(2).map(str::to_owned).collect::<Vec<_>>())
        .filter(|s| is_var_name(s))
        .collect()
}

/// A readable difference of two sets, empty when they are equal.
fn difference(left: (&str, &BTreeSet<String>), right: (&str, &BTreeSet<String>)) -> String {
    let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| a.difference(b).cloned().collect::<Vec<_>>().join(", ");
    let (l, r) = (only(left.1, right.1), only(right.1, left.1));
    let mut out = String::new();
    if !l.is_empty() {
        out += &format!("only in {}: {l}\n", left.0);
    }
    if !r.is_empty() {
        out += &format!("only in {}: {r}\n", right.0);
    }
    out
}

#[test]
fn the_readme_table_names_exactly_the_variables_of_the_table_in_code() {
    let readme = readme_variables();
    assert!(readme.contains("MCP_BIND") && readme.contains("MCP_SECRET_<NAME>"), "{readme:?}");
    let diff = difference(("README.md", &readme), ("mcp_handler::environment::ENVIRONMENT", &table()));
    assert!(diff.is_empty(), "{diff}");
}

fn rust_files(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in std::fs::read_dir(dir).expect("readable folder").flatten() {
        let path = entry.path();
        if path.is_dir() {
            rust_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Names in string literals of the library and binary sources that look
/// like the variables this project reads: `"MCP_..."`, `"AWS_..."`,
/// `"RUST_LOG"`.
fn variables_in_code() -> BTreeSet<String> {
    let mut files = Vec::new();
    for krate in std::fs::read_dir(root().join("crates")).expect("crates/").flatten() {
        let src = krate.path().join("src");
        if src.is_dir() {
            rust_files(&src, &mut files);
        }
    }
    let mut found = BTreeSet::new();
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable source");
        for literal in text.split('"').skip(1).step_by(2) {
            let ours = ["MCP_", "AWS_"].iter().any(|p| literal.starts_with(p)) || literal == "RUST_LOG";
            if ours && is_var_name(literal) {
                found.insert(literal.to_owned());
            }
        }
    }
    found
}

#[test]
fn every_variable_the_code_reads_is_in_the_table() {
    let code = variables_in_code();
    assert!(code.contains("MCP_BIND") && code.contains("MCP_SECRETS_DIR"), "the scan found {code:?}");
    let missing: Vec<_> = code.difference(&table()).cloned().collect();
    assert!(missing.is_empty(), "read by the code but not in mcp_handler::environment::ENVIRONMENT: {missing:?}");
}

#[test]
fn help_of_the_server_binaries_lists_every_variable() {
    for bin in [mcp_handler_tests::demo_bin(), mcp_handler_tests::everything_bin()] {
        let out = std::process::Command::new(&bin).arg("--help").output().expect("the binary runs");
        assert!(out.status.success(), "{} --help: {:?}", bin.display(), out.status);
        let help = String::from_utf8_lossy(&out.stdout);
        let listed: BTreeSet<String> = help
            .lines()
            .skip_while(|l| !l.starts_with("ENVIRONMENT:"))
            // Names start at column 4; wrapped meanings are indented further.
            .filter(|l| l.starts_with("    ") && !l.starts_with("     "))
            .filter_map(|l| l.split_whitespace().next())
            .filter(|w| is_var_name(w))
            .map(str::to_owned)
            .collect();
        let diff = difference((&format!("{} --help", bin.display()), &listed), ("the table", &table()));
        assert!(diff.is_empty(), "{diff}\n{help}");
    }
}
