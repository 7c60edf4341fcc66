//! Lambda Managed Instances: with `AWS_LAMBDA_MAX_CONCURRENCY=N` the real
//! `everything` binary serves N invocations at once in one process, each
//! seeing its own invocation; unset, one at a time as on classic Lambda.
//! Driven by the benchmark's local **stand-in** of the Lambda Runtime API
//! (not AWS): it hands out events as the function asks for them and reads
//! the responses back by request id.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use mcp_handler_benches::lambda::AckPolicy;
use mcp_handler_benches::lambda::event::{EventKind, function_url_event};
use mcp_handler_benches::lambda::runtime_api::{Completed, RuntimeApi, request_id};
use mcp_handler_tests::everything_bin;
use serde_json::{Value, json};

const CALLS: usize = 4;
const CALL_MS: u64 = 500;

/// A Function URL event calling `slow_invocation`.
fn event() -> Bytes {
    let mut ev: Value = serde_json::from_slice(&function_url_event(EventKind::Call)).unwrap();
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "slow_invocation", "arguments": {"ms": CALL_MS}}});
    ev["body"] = Value::String(call.to_string());
    ev["isBase64Encoded"] = json!(false);
    Bytes::from(ev.to_string())
}

/// Runs `everything` against the stand-in until every call is answered.
async fn serve(max_concurrency: Option<&str>) -> Vec<Completed> {
    let mut api = RuntimeApi::start(event(), CALLS, AckPolicy::default()).await.unwrap();
    let mut cmd = tokio::process::Command::new(everything_bin());
    cmd.env("AWS_LAMBDA_RUNTIME_API", api.addr().to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "everything")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "$LATEST")
        .env("AWS_LAMBDA_LOG_LEVEL", "warn")
        .env("MCP_LAMBDA_METRICS", "off")
        .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
        .stdout(Stdio::null())
        .kill_on_drop(true);
    if let Some(n) = max_concurrency {
        cmd.env("AWS_LAMBDA_MAX_CONCURRENCY", n);
    }
    let _function = cmd.spawn().unwrap();
    api.responses(CALLS, Duration::from_secs(60)).await.unwrap_or_else(|e| panic!("every invocation answered: {e}"))
}

/// The text the tool answered, from a buffered Function URL response.
fn answer(c: &Completed) -> String {
    let response: Value = serde_json::from_slice(&c.body).unwrap();
    assert_eq!(response["statusCode"], 200, "{response}");
    let rpc: Value = serde_json::from_str(response["body"].as_str().unwrap()).unwrap();
    rpc["result"]["content"][0]["text"].as_str().unwrap_or_else(|| panic!("{rpc}")).to_owned()
}

#[tokio::test]
async fn managed_instances_run_invocations_at_once_each_with_its_own_facts() {
    let done = serve(Some("4")).await;
    for c in &done {
        assert_eq!(answer(c), request_id(c.index), "invocation {} saw its own request id", c.index);
    }
    // Every event went out before any answer came back: they overlapped.
    let last_out = done.iter().map(|c| c.handed_out).max().unwrap();
    let first_back = done.iter().map(|c| c.done).min().unwrap();
    assert!(last_out < first_back, "all {CALLS} calls ran at once");
    let span = done.iter().map(|c| c.done).max().unwrap() - done.iter().map(|c| c.handed_out).min().unwrap();
    println!("{CALLS} calls of {CALL_MS} ms with AWS_LAMBDA_MAX_CONCURRENCY=4: {span:?}");
}

#[tokio::test]
async fn classic_lambda_still_serves_one_invocation_at_a_time() {
    let done = serve(None).await;
    for pair in done.windows(2) {
        assert_eq!(answer(&pair[0]), request_id(pair[0].index));
        assert!(pair[1].handed_out >= pair[0].done, "the next event waits for the last answer");
    }
}
