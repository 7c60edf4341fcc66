//! The official SDK clients against the real `everything` binary: the
//! Python SDK (mcp 2.x, which speaks 2026-07-28 after `server/discover`)
//! and the TypeScript SDK 1.32 (the 2025 generation). Both are
//! installed into `.tools/` by `cargo xtask test`; without them these tests
//! fail and say how to install them.

use std::path::PathBuf;
use std::process::Command;

use mcp_handler_tests::Running;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

fn tool(relative: &str) -> PathBuf {
    let path = root().join(relative);
    assert!(path.exists(), "{} is missing: run `cargo xtask tools` (the test command installs it)", path.display());
    path
}

fn run(mut cmd: Command) {
    let out = cmd.output().expect("the client starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "client failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(!stdout.contains("FAIL"), "{stdout}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_sdk_client_speaks_2026_including_an_input_required_round_trip() {
    let python = tool(".tools/py/bin/python");
    let server = Running::start(&[]).await;
    let url = format!("http://{}/mcp", server.addr);
    let mut cmd = Command::new(python);
    cmd.arg(root().join("tests/clients/python_client.py")).arg(&url);
    tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn typescript_sdk_client_speaks_2025_including_an_elicitation() {
    let node = tool(".tools/node/node_modules/node/bin/node");
    let modules = tool(".tools/node/node_modules/@modelcontextprotocol/sdk").join("../..");
    let server = Running::start(&[]).await;
    let url = format!("http://{}/mcp", server.addr);
    let mut cmd = Command::new(node);
    cmd.arg(root().join("tests/clients/ts_client.cjs")).arg(&url).env("NODE_PATH", modules);
    tokio::task::spawn_blocking(move || run(cmd)).await.unwrap();
}
