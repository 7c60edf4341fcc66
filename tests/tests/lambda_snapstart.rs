//! Lambda SnapStart: the real `everything` binary, started with
//! `AWS_LAMBDA_INITIALIZATION_TYPE=snap-start`, initializes, drops its
//! cached secrets and waits for the snapshot; while it waits the secret is
//! rotated in moto; after the restore the rotated value is the one served,
//! the request-state key it generated is a new one, and the first
//! invocation is counted as a cold start after a restore.
//!
//! Driven by the benchmark's local **stand-in** of the Lambda Runtime API
//! (not AWS): it answers `/restore/next` when the test says the snapshot
//! was restored. Memory is not copied between processes here: each run is
//! one restored environment, and what the test checks in it is that values
//! made before the snapshot are not the ones in use after it.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::Duration;

use bytes::Bytes;
use mcp_handler_benches::lambda::AckPolicy;
use mcp_handler_benches::lambda::event::{EventKind, function_url_event};
use mcp_handler_benches::lambda::runtime_api::{Completed, Report, RuntimeApi, request_id};
use mcp_handler_tests::{Moto, TempDir, everything_bin};
use serde_json::{Value, json};

const SECRET: &str = "prod/mcp-auth";
const OLD_TOKEN: &str = "token-in-place-at-init";
const NEW_TOKEN: &str = "token-rotated-while-the-snapshot-waited";

/// A Function URL event calling `slow_invocation` (it answers with the
/// invocation's request id) with `token` as the bearer.
fn call_with(token: &str) -> Bytes {
    let mut ev: Value = serde_json::from_slice(&function_url_event(EventKind::Call)).unwrap();
    let call = json!({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
        "params": {"name": "slow_invocation", "arguments": {"ms": 0}}});
    ev["body"] = Value::String(call.to_string());
    ev["isBase64Encoded"] = json!(false);
    ev["headers"]["authorization"] = json!(format!("Bearer {token}"));
    Bytes::from(ev.to_string())
}

/// One SnapStart environment: init, snapshot, `between` (moto changes),
/// restore, then `events` served. Returns the responses and the log.
async fn environment<F: AsyncFnOnce()>(
    moto_env: Vec<(&'static str, String)>,
    events: Vec<Bytes>,
    between: F,
) -> (Vec<Completed>, String) {
    let count = events.len();
    let mut api = RuntimeApi::start_with(events, AckPolicy::default()).await.unwrap();
    let dir = TempDir::new("snapstart");
    let log_path = dir.join("function.log");
    let log = std::fs::File::create(&log_path).unwrap();
    let mut cmd = tokio::process::Command::new(everything_bin());
    cmd.env("AWS_LAMBDA_RUNTIME_API", api.addr().to_string())
        .env("AWS_LAMBDA_FUNCTION_NAME", "everything")
        .env("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "512")
        .env("AWS_LAMBDA_FUNCTION_VERSION", "1")
        .env("AWS_LAMBDA_INITIALIZATION_TYPE", "snap-start")
        .env("AWS_LAMBDA_LOG_FORMAT", "json")
        .env("AWS_LAMBDA_LOG_LEVEL", "info")
        .env("MCP_SECRET_AUTH_TOKEN", format!("aws-sm:{SECRET}#token"))
        .env("MCP_SECRETS_TIMEOUT_SECS", "3")
        .env_remove("AWS_LAMBDA_MAX_CONCURRENCY")
        .env_remove("MCP_REQUEST_STATE_KEY")
        .envs(moto_env)
        .stdout(Stdio::from(log.try_clone().unwrap()))
        .stderr(Stdio::from(log))
        .kill_on_drop(true);
    let mut function = cmd.spawn().unwrap();
    let snapshot = async {
        match api.report().await.unwrap() {
            Report::RestoreNext(_) => {}
            other => panic!("expected the snapshot handshake first, got {other:?}"),
        }
    };
    tokio::time::timeout(Duration::from_secs(60), snapshot).await.expect("init ends in /restore/next within 60 s");
    between().await;
    api.restore();
    let done = api
        .responses(count, Duration::from_secs(60))
        .await
        .unwrap_or_else(|e| panic!("every invocation answered after the restore: {e}"));
    function.kill().await.unwrap();
    (done, std::fs::read_to_string(&log_path).unwrap())
}

/// The HTTP status and JSON-RPC body of a buffered Function URL response.
fn answer(c: &Completed) -> (u64, Value) {
    let response: Value = serde_json::from_slice(&c.body).unwrap();
    let body = serde_json::from_str(response["body"].as_str().unwrap_or("null")).unwrap_or(Value::Null);
    (response["statusCode"].as_u64().unwrap(), body)
}

/// The JSON log line whose message is `message`.
fn line<'a>(lines: &'a [Value], message: &str) -> &'a Value {
    lines.iter().find(|l| l["message"] == message).unwrap_or_else(|| panic!("no log line {message:?}"))
}

fn json_lines(log: &str) -> Vec<Value> {
    log.lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
}

async fn put(moto: &Moto, token: &str) {
    let value = json!({ "token": token }).to_string();
    moto.client().put_secret_value().secret_id(SECRET).secret_string(value).send().await.unwrap();
}

#[tokio::test]
async fn after_a_restore_the_rotated_secret_is_served_and_the_generated_key_is_new() {
    let moto = Moto::start().await;
    let value = json!({ "token": OLD_TOKEN }).to_string();
    moto.client().create_secret().name(SECRET).secret_string(value).send().await.unwrap();

    let mut restored_keys = Vec::new();
    for round in 0..2 {
        let token_at_init = if round == 0 { OLD_TOKEN } else { NEW_TOKEN };
        let token_after = format!("{NEW_TOKEN}-{round}");
        put(&moto, token_at_init).await;
        let events = vec![call_with(&token_after), call_with(token_at_init)];
        let (done, log) = environment(moto.env(), events, async || put(&moto, &token_after).await).await;

        let (status, body) = answer(&done[0]);
        assert_eq!(status, 200, "the token rotated before the restore is accepted: {body}");
        assert_eq!(body["result"]["content"][0]["text"], request_id(0), "{body}");
        let (status, body) = answer(&done[1]);
        assert_eq!(status, 401, "the token of the snapshot's time is refused: {body}");

        let lines = json_lines(&log);
        let dropped = line(&lines, "secrets dropped before the snapshot; they are read again after each restore");
        assert!(dropped["dropped"].as_u64().unwrap() >= 1, "{dropped}");
        let at_init = line(&lines, "MCP server ready for invocations")["state_key"].as_str().unwrap().to_owned();
        let restored = line(&lines, "restored from a SnapStart snapshot")["state_key"].as_str().unwrap().to_owned();
        assert_ne!(at_init, restored, "the request-state key generated at init is replaced after the restore");
        restored_keys.push(restored);

        // The first invocation is this environment's cold start, timed by
        // the restore, not by the snapshot's init.
        let emf: Vec<&Value> = lines.iter().filter(|l| l.get("_aws").is_some()).collect();
        assert_eq!(emf.len(), 2, "an EMF line per invocation");
        assert_eq!(emf[0]["ColdStart"], 1, "{}", emf[0]);
        assert!(emf[0]["RestoreDurationMs"].is_number() && emf[0].get("InitDurationMs").is_none(), "{}", emf[0]);
        assert_eq!(emf[1]["ColdStart"], 0, "{}", emf[1]);
        for secret in [OLD_TOKEN, NEW_TOKEN] {
            assert!(!log.contains(secret), "no token in the log");
        }
    }
    assert_ne!(restored_keys[0], restored_keys[1], "two restores, two keys");
}

#[tokio::test]
async fn a_required_secret_unreadable_after_the_restore_fails_invocations_with_503() {
    let mut moto = Moto::start().await;
    let value = json!({ "token": OLD_TOKEN }).to_string();
    moto.client().create_secret().name(SECRET).secret_string(value).send().await.unwrap();
    let events = vec![call_with(OLD_TOKEN), call_with(OLD_TOKEN)];
    // The store goes away while the snapshot waits: the restore succeeds
    // (no /restore/error, which would end the environment) and each
    // invocation says why it cannot be served.
    let (done, log) = environment(moto.env(), events, async || moto.stop()).await;
    for c in &done {
        let (status, body) = answer(c);
        assert_eq!(status, 503, "{body}");
        let message = body["error"]["message"].as_str().unwrap_or_default();
        assert!(message.contains("AUTH_TOKEN") && message.contains(SECRET), "names the secret and its source: {body}");
        assert!(!message.contains(OLD_TOKEN), "never the value");
    }
    let lines = json_lines(&log);
    line(&lines, "after the restore a secret could not be read; invocations answer 503 until it loads");
}
