//! Installs the test tools into `.tools/` (ignored by git), idempotently:
//! Node 22 (the suite crashes on Node 20) and the official MCP conformance
//! suite, both from the npm registry with exact versions.

use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};

/// Versions the tests run against. Changing one reinstalls.
pub(crate) const NODE_VERSION: &str = "22.23.3";
pub(crate) const CONFORMANCE_VERSION: &str = "0.1.16";

/// What the installed tools are.
pub(crate) struct Node {
    /// The Node 22 binary.
    pub(crate) node: PathBuf,
    /// The conformance suite's entry point.
    pub(crate) conformance: PathBuf,
}

fn package_json() -> String {
    format!(
        r#"{{
  "name": "mcp-handler-test-tools",
  "private": true,
  "description": "Installed by cargo xtask; do not edit",
  "dependencies": {{
    "node": "{NODE_VERSION}",
    "@modelcontextprotocol/conformance": "{CONFORMANCE_VERSION}"
  }}
}}
"#
    )
}

/// Installs (when needed) and returns the tools.
pub(crate) fn ensure_node() -> anyhow::Result<Node> {
    let dir = crate::root().join(".tools").join("node");
    let tools = Node {
        node: dir.join("node_modules/node/bin/node"),
        conformance: dir.join("node_modules/@modelcontextprotocol/conformance/dist/index.js"),
    };
    let manifest = package_json();
    let stamp = dir.join(".installed");
    let current = std::fs::read_to_string(&stamp).unwrap_or_default();
    if current == manifest && tools.node.exists() && tools.conformance.exists() && node_version(&tools.node).is_ok() {
        println!("==> tools: Node {NODE_VERSION} and conformance {CONFORMANCE_VERSION} already in .tools/node");
        return Ok(tools);
    }
    println!("==> tools: installing Node {NODE_VERSION} and @modelcontextprotocol/conformance@{CONFORMANCE_VERSION}");
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
    if !tools.conformance.exists() {
        bail!("the conformance suite is missing after install: {}", tools.conformance.display());
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
