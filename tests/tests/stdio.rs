//! The real binaries over stdio, as a desktop host launches them: the
//! official Python SDK's stdio client (handshake, list, call, elicitation,
//! sampling), and the pipe's own rules (only JSON-RPC lines on stdout, a
//! parse error with a null id, exit 0 at end of input, plain-text logs on
//! stderr).

use std::io::Write as _;
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

use mcp_handler_tests::{demo_bin, everything_bin};
use serde_json::Value;

fn root() -> PathBuf {
    PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/.."))
}

/// Runs `demo` with `args` and `env`, writes `input` to its stdin, closes
/// it, and waits for the exit.
fn demo_with(args: &[&str], env: &[(&str, &str)], input: &str) -> Output {
    let mut cmd = Command::new(demo_bin());
    cmd.args(args)
        .env_remove("AWS_LAMBDA_RUNTIME_API")
        .env_remove("MCP_TRANSPORT")
        .env_remove("RUST_LOG")
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("demo starts");
    let mut stdin = child.stdin.take().expect("piped stdin");
    let input = input.to_owned();
    // Written from another thread so that a full stdout pipe cannot stall
    // both sides; dropping stdin at the end is the end of input.
    let writer = std::thread::spawn(move || stdin.write_all(input.as_bytes()));
    let out = child.wait_with_output().expect("demo exits");
    writer.join().expect("writer thread").expect("demo reads all of stdin");
    out
}

/// Every stdout line, each required to be one JSON-RPC 2.0 object.
fn messages(out: &Output) -> Vec<Value> {
    let stdout = String::from_utf8(out.stdout.clone()).expect("stdout is UTF-8");
    assert!(stdout.is_empty() || stdout.ends_with('\n'), "the last message ends its line: {stdout:?}");
    stdout
        .lines()
        .map(|line| {
            let v: Value =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("stdout line is not JSON ({e}): {line}"));
            assert_eq!(v["jsonrpc"], "2.0", "stdout line is not JSON-RPC: {line}");
            v
        })
        .collect()
}

fn by_id<'a>(msgs: &'a [Value], id: &Value) -> Vec<&'a Value> {
    msgs.iter().filter(|m| &m["id"] == id && m.get("method").is_none()).collect()
}

const INIT: &str = r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"tests","version":"1"}}}"#;

#[test]
fn end_of_input_is_a_clean_exit() {
    let out = demo_with(&["--stdio"], &[], "");
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    assert!(out.stdout.is_empty(), "nothing on stdout: {:?}", String::from_utf8_lossy(&out.stdout));
}

#[test]
fn stdout_carries_only_json_rpc_lines_each_answer_once() {
    let input = [
        INIT,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#,
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"unix_time","arguments":{"unix_seconds":0},"_meta":{"progressToken":"p"}}}"#,
        "this is not JSON",
        r#"{"jsonrpc":"2.0","id":3,"method":"no/such/method"}"#,
        "",
    ]
    .join("\n");
    let out = demo_with(&["--stdio"], &[], &input);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    let msgs = messages(&out);
    for id in [0, 1, 2, 3] {
        assert_eq!(by_id(&msgs, &Value::from(id)).len(), 1, "request {id} answered exactly once: {msgs:#?}");
    }
    assert_eq!(by_id(&msgs, &Value::from(1))[0]["result"]["tools"].as_array().map(Vec::len), Some(3));
    let call = by_id(&msgs, &Value::from(2))[0];
    assert_eq!(call["result"]["content"][0]["text"], "1970-01-01T00:00:00Z", "{call}");
    assert!(
        msgs.iter().any(|m| m["method"] == "notifications/progress" && m["params"]["progressToken"] == "p"),
        "the tool's progress came through as lines: {msgs:#?}"
    );
    assert_eq!(by_id(&msgs, &Value::from(3))[0]["error"]["code"], -32601);
    let parse_errors: Vec<_> = by_id(&msgs, &Value::Null);
    assert_eq!(parse_errors.len(), 1, "{msgs:#?}");
    assert_eq!(parse_errors[0]["error"]["code"], -32700);
    // Logs went to stderr, as plain text: stderr is a pipe, not a terminal.
    assert!(stderr.contains("serving MCP over stdio"), "{stderr}");
    assert!(!stderr.contains('\u{1b}'), "no ANSI escapes when stderr is not a terminal: {stderr:?}");
}

#[test]
fn a_message_longer_than_the_body_limit_is_refused_and_the_pipe_goes_on() {
    let big = format!(r#"{{"jsonrpc":"2.0","id":7,"method":"ping","params":{{"pad":"{}"}}}}"#, "x".repeat(5 << 20));
    let input = [INIT, &big, r#"{"jsonrpc":"2.0","id":8,"method":"ping"}"#, ""].join("\n");
    let out = demo_with(&["--stdio"], &[], &input);
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let msgs = messages(&out);
    let refused = by_id(&msgs, &Value::Null);
    assert_eq!(refused.len(), 1, "{msgs:#?}");
    assert_eq!(refused[0]["error"]["code"], -32600);
    assert!(by_id(&msgs, &Value::from(8))[0].get("result").is_some(), "{msgs:#?}");
}

#[test]
fn the_environment_chooses_stdio_too() {
    let out = demo_with(&[], &[("MCP_TRANSPORT", "stdio")], &format!("{INIT}\n"));
    assert_eq!(out.status.code(), Some(0), "{}", String::from_utf8_lossy(&out.stderr));
    let msgs = messages(&out);
    assert_eq!(msgs.len(), 1, "{msgs:#?}");
    assert_eq!(msgs[0]["result"]["serverInfo"]["name"], "mcp-handler-demo");
}

#[test]
fn python_sdk_stdio_client_lists_calls_and_answers_an_elicitation() {
    let python = root().join(".tools/py/bin/python");
    assert!(python.exists(), "{} is missing: run `cargo xtask tools` (the test command installs it)", python.display());
    let out = Command::new(python)
        .arg(root().join("tests/clients/python_stdio_client.py"))
        .arg(demo_bin())
        .arg(everything_bin())
        .output()
        .expect("the client starts");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    println!("{stdout}");
    assert!(out.status.success(), "client failed ({}):\n{stdout}\n{stderr}", out.status);
    assert!(stdout.contains("ok: elicitation round trip"), "{stdout}");
    assert!(!stdout.contains("FAIL"), "{stdout}");
}
