//! Installs the test tools into `.tools/` (ignored by git), idempotently:
//! Node 22 (the suite crashes on Node 20), the official MCP conformance
//! suite (stable and the alpha that tests 2026-07-28) and the TypeScript
//! SDK from npm; a Python virtualenv with the Python SDK from PyPI. Exact
//! versions throughout.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// Versions the tests run against. Changing one reinstalls.
pub(crate) const NODE_VERSION: &str = "22.23.3";
pub(crate) const CONFORMANCE_VERSION: &str = "0.1.16";
pub(crate) const CONFORMANCE_ALPHA_VERSION: &str = "0.2.0-alpha.12";
const TS_SDK_VERSION: &str = "1.32.2";
const PY_SDK_VERSION: &str = "2.3.0";
/// The local Lambda runtime emulator and builder (a prebuilt wheel; the
/// crates.io build takes ~15 minutes).
const CARGO_LAMBDA_VERSION: &str = "1.9.2";
/// The local Secrets Manager endpoint (`moto_server`) the secrets tests run against.
const MOTO_VERSION: &str = "5.2.5";

/// What the installed tools are.
pub(crate) struct Node {
    /// The Node 22 binary.
    pub(crate) node: PathBuf,
    /// The conformance suite's entry point.
    pub(crate) conformance: PathBuf,
    /// The alpha suite's entry point (2026-07-28 requirements).
    pub(crate) conformance_alpha: PathBuf,
}

fn package_json() -> String {
    format!(
        r#"{{
  "name": "mcp-handler-test-tools",
  "private": true,
  "description": "Installed by cargo xtask; do not edit",
  "dependencies": {{
    "node": "{NODE_VERSION}",
    "@modelcontextprotocol/conformance": "{CONFORMANCE_VERSION}",
    "conformance-alpha": "npm:@modelcontextprotocol/conformance@{CONFORMANCE_ALPHA_VERSION}",
    "@modelcontextprotocol/sdk": "{TS_SDK_VERSION}"
  }}
}}
"#
    )
}

/// Installs (when needed) and returns the tools.
pub(crate) fn ensure_node() -> anyhow::Result<Node> {
    let _installing = crate::pytools::install_lock("node");
    let dir = crate::root().join(".tools").join("node");
    let tools = Node {
        node: dir.join("node_modules/node/bin/node"),
        conformance: dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js"),
        conformance_alpha: dir.join("node_modules/conformance-alpha/dist/index.js"),
    };
    ensure_python()?;
    let manifest = package_json();
    let stamp = dir.join(".installed");
    let current = std::fs::read_to_string(&stamp).unwrap_or_default();
    let present = [&tools.node, &tools.conformance, &tools.conformance_alpha].iter().all(|p| p.exists());
    if current == manifest && present && node_version(&tools.node).is_ok() {
        println!(
            "==> tools: Node {NODE_VERSION}, conformance {CONFORMANCE_VERSION} + {CONFORMANCE_ALPHA_VERSION}, TS SDK {TS_SDK_VERSION} already in .tools/node"
        );
        return Ok(tools);
    }
    println!(
        "==> tools: installing Node {NODE_VERSION}, conformance {CONFORMANCE_VERSION} + {CONFORMANCE_ALPHA_VERSION}, TS SDK {TS_SDK_VERSION}"
    );
    std::fs::create_dir_all(&dir).context("creating .tools/node")?;
    std::fs::write(dir.join("package.json"), &manifest).context("writing .tools/node/package.json")?;
    let cache = crate::root().join(".cache").join("npm");
    let mut npm = Command::new("npm");
    npm.args(["install", "--no-audit", "--no-fund", "--no-package-lock", "--loglevel=error", "--cache"])
        .arg(&cache)
        .current_dir(&dir);
    crate::run::step("npm install", npm).context("npm (from the machine's Node.js) is required")?;
    let version = node_version(&tools.node)?;
    if !version.starts_with("v22.") {
        bail!("expected Node 22 in {}, found {version}", tools.node.display());
    }
    for p in [&tools.conformance, &tools.conformance_alpha] {
        if !p.exists() {
            bail!("the conformance suite is missing after install: {}", p.display());
        }
    }
    std::fs::write(&stamp, &manifest).context("writing the install stamp")?;
    Ok(tools)
}

fn node_version(node: &Path) -> anyhow::Result<String> {
    let out = Command::new(node).arg("--version").output().with_context(|| format!("running {}", node.display()))?;
    if !out.status.success() {
        bail!("{} --version failed", node.display());
    }
    Ok(String::from_utf8_lossy(&out.stdout).trim().to_owned())
}

/// A virtualenv in `.tools/py` with the official Python SDK, cargo-lambda
/// and moto (a local Secrets Manager endpoint). The stamp names the venv's
/// path: one restored to another checkout is rebuilt (its scripts name
/// their interpreter by absolute path).
pub(crate) fn ensure_python() -> anyhow::Result<()> {
    let _installing = crate::pytools::install_lock("py");
    let dir = crate::root().join(".tools").join("py");
    let python = dir.join("bin/python");
    let stamp = dir.join(".installed");
    let want = format!(
        "{}\nmcp=={PY_SDK_VERSION}\ncargo-lambda=={CARGO_LAMBDA_VERSION}\nmoto=={MOTO_VERSION}\n",
        dir.display()
    );
    if python.exists()
        && dir.join("bin/cargo-lambda").exists()
        && dir.join("bin/moto_server").exists()
        && std::fs::read_to_string(&stamp).is_ok_and(|s| s == want)
    {
        println!(
            "==> tools: Python SDK mcp {PY_SDK_VERSION}, cargo-lambda {CARGO_LAMBDA_VERSION} and moto {MOTO_VERSION} already in .tools/py"
        );
        return Ok(());
    }
    println!(
        "==> tools: installing the Python SDK mcp {PY_SDK_VERSION}, cargo-lambda {CARGO_LAMBDA_VERSION} and moto {MOTO_VERSION} into .tools/py"
    );
    let mut venv = Command::new("python3");
    venv.args(["-m", "venv", "--clear"]).arg(&dir);
    crate::run::step("python venv", venv).context("python3 with the venv module is required")?;
    let mut pip = Command::new(dir.join("bin/pip"));
    pip.args(["install", "--quiet", "--disable-pip-version-check"])
        .arg(format!("mcp=={PY_SDK_VERSION}"))
        .arg(format!("cargo-lambda=={CARGO_LAMBDA_VERSION}"))
        .arg(format!("moto[server]=={MOTO_VERSION}"));
    pip.env("PIP_CACHE_DIR", crate::root().join(".cache").join("pip"));
    crate::run::step("pip install mcp cargo-lambda moto", pip)?;
    let mut probe = Command::new(dir.join("bin/cargo-lambda"));
    probe.args(["lambda", "--version"]);
    crate::run::step("cargo-lambda version", probe)?;
    let mut probe = Command::new(&python);
    probe.args(["-c", "import mcp; from mcp import Client"]);
    crate::run::step("python sdk import", probe)?;
    let mut probe = Command::new(dir.join("bin/moto_server"));
    probe.arg("--help");
    crate::run::step("moto_server", probe)?;
    std::fs::write(&stamp, want).context("writing the install stamp")?;
    Ok(())
}
