//! The endpoint guard on the real `demo` binary over loopback: a bearer
//! token (or `X-API-Key`) whose expected value is a secret from a file or
//! from Secrets Manager (moto), rotation without a restart, health
//! endpoints exempt, fail-closed when the secret is gone, start-up errors
//! that name the secret but never show a value, and the official Python
//! SDK client with and without the token.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::path::PathBuf;
use std::process::Stdio;

use http::StatusCode;
use mcp_handler_tests::{MCP_HEADERS, Moto, Running, TempDir, demo_bin, eventually, http, replace_file};

const LIST: &str = r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;

async fn list(server: &Running, auth: &[(&str, &str)]) -> mcp_handler_tests::Reply {
    let mut h = MCP_HEADERS.to_vec();
    h.extend_from_slice(auth);
    http(server.addr, "POST", "/mcp", &h, LIST).await.unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_file_token_guards_the_endpoint_and_rotates_without_a_restart() {
    let dir = TempDir::new("guard");
    let token = dir.join("token");
    std::fs::write(&token, "tok-first-0123456789\n").unwrap();
    let reference = format!("file:{}?ttl=200ms", token.display());
    let log = dir.join("server.log");
    // Every log line at TRACE, the access log and the tool-call audit included.
    let env = [("MCP_SECRET_AUTH_TOKEN", reference.as_str()), ("RUST_LOG", "trace"), ("MCP_AUDIT", "on")];
    let server = Running::start_logged(demo_bin(), &[], &env, &log).await;

    let none = list(&server, &[]).await;
    assert_eq!(none.status, StatusCode::UNAUTHORIZED);
    assert_eq!(none.header("www-authenticate"), Some("Bearer realm=\"mcp\""));
    assert_eq!(none.error_code(), -32600);
    let wrong = list(&server, &[("authorization", "Bearer tok-wrong")]).await;
    assert_eq!(wrong.status, StatusCode::UNAUTHORIZED);
    assert!(wrong.header("www-authenticate").unwrap().contains("error=\"invalid_token\""));
    assert!(!wrong.text().contains("tok-"), "the refusal echoes no token: {}", wrong.text());

    let ok = list(&server, &[("authorization", "Bearer tok-first-0123456789")]).await;
    assert_eq!(ok.status, StatusCode::OK, "{}", ok.text());
    assert!(ok.json()["result"]["tools"].as_array().is_some_and(|t| !t.is_empty()));
    assert_eq!(list(&server, &[("x-api-key", "tok-first-0123456789")]).await.status, StatusCode::OK);
    let call =
        r#"{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"text_stats","arguments":{"text":"x"}}}"#;
    let mut h = MCP_HEADERS.to_vec();
    h.push(("authorization", "Bearer tok-first-0123456789"));
    assert_eq!(http(server.addr, "POST", "/mcp", &h, call).await.unwrap().status, StatusCode::OK);

    // Health endpoints stay open to the platform's probes.
    assert_eq!(http(server.addr, "GET", "/healthz", &[], "").await.unwrap().status, StatusCode::OK);
    assert_eq!(http(server.addr, "GET", "/readyz", &[], "").await.unwrap().status, StatusCode::OK);

    // Rotation: the new token works and the old one stops, no restart.
    replace_file(&token, "tok-second-9876543210");
    eventually(async || {
        (list(&server, &[("authorization", "Bearer tok-second-9876543210")]).await.status == 200).then_some(())
    })
    .await;
    assert_eq!(list(&server, &[("authorization", "Bearer tok-first-0123456789")]).await.status, 401);

    // The server logged at TRACE throughout, and never a token. The log is
    // read once the server has exited: a line can land after the answer
    // the client already saw.
    let logs = server.stop_and_read_log(&log).await;
    assert!(logs.contains("secret rotated"), "{logs}");
    assert!(
        logs.contains("refusal=\"auth\"") && logs.contains("tool call"),
        "access and audit lines were written: {logs}"
    );
    for t in ["tok-first-0123456789", "tok-second-9876543210", "tok-wrong"] {
        assert!(!logs.contains(t), "{t} appeared in the server's logs");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_secrets_manager_token_fails_closed_when_aws_is_gone() {
    let mut moto = Moto::start().await;
    moto.client().create_secret().name("prod/mcp").secret_string(r#"{"token":"sm-tok-1"}"#).send().await.unwrap();
    let env: Vec<(&str, String)> = moto
        .env()
        .into_iter()
        .chain([("MCP_SECRET_AUTH_TOKEN", "aws-sm:prod/mcp?ttl=1s&max-stale=2s#token".to_owned())])
        .collect();
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let server = Running::start_with(demo_bin(), &[], &env).await;
    assert_eq!(list(&server, &[("authorization", "Bearer sm-tok-1")]).await.status, StatusCode::OK);
    assert_eq!(list(&server, &[]).await.status, StatusCode::UNAUTHORIZED);

    // Rotation in Secrets Manager is seen after the TTL.
    moto.client()
        .put_secret_value()
        .secret_id("prod/mcp")
        .secret_string(r#"{"token":"sm-tok-2"}"#)
        .send()
        .await
        .unwrap();
    eventually(async || (list(&server, &[("authorization", "Bearer sm-tok-2")]).await.status == 200).then_some(()))
        .await;

    // AWS goes away: the last good token keeps working for the bound...
    moto.stop();
    assert_eq!(list(&server, &[("authorization", "Bearer sm-tok-2")]).await.status, StatusCode::OK);
    // ...then the endpoint refuses with 503 (never lets requests through)
    // and readiness turns false, while liveness stays true.
    eventually(async || (list(&server, &[("authorization", "Bearer sm-tok-2")]).await.status == 503).then_some(()))
        .await;
    assert_eq!(http(server.addr, "GET", "/readyz", &[], "").await.unwrap().status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(http(server.addr, "GET", "/healthz", &[], "").await.unwrap().status, StatusCode::OK);
}

/// Runs `demo` expecting it to stop at start-up; returns its exit code and
/// everything it printed.
fn failed_start(env: &[(&str, &str)]) -> (Option<i32>, String) {
    let out = std::process::Command::new(demo_bin())
        .args(["--bind", &format!("127.0.0.1:{}", mcp_handler_tests::free_port())])
        .env("RUST_LOG", "trace")
        .envs(env.iter().copied())
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&out.stdout), String::from_utf8_lossy(&out.stderr));
    (out.status.code(), text)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn start_up_errors_name_the_secret_and_never_a_value() {
    let (code, text) = failed_start(&[("MCP_SECRET_AUTH_TOKEN", "file:/nonexistent/mcp-token")]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("AUTH_TOKEN") && text.contains("file:/nonexistent/mcp-token"), "{text}");

    // A value pasted where a reference belongs: refused without echoing it.
    let (code, text) = failed_start(&[("MCP_SECRET_AUTH_TOKEN", "hunter2:pasted-by-mistake")]);
    assert_eq!(code, Some(2), "{text}");
    assert!(text.contains("MCP_SECRET_AUTH_TOKEN") && !text.contains("hunter2"), "{text}");

    // A request-state key from a secret that is not a usable key.
    let dir = TempDir::new("bad-key");
    std::fs::write(dir.join("k"), "short-key-value").unwrap();
    let reference = format!("file:{}", dir.join("k").display());
    let (code, text) = failed_start(&[("MCP_SECRET_REQUEST_STATE_KEY", &reference)]);
    assert_eq!(code, Some(1), "{text}");
    assert!(text.contains("REQUEST_STATE_KEY") && !text.contains("short-key-value"), "{text}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_python_sdk_client_needs_the_token() {
    let python = PathBuf::from(concat!(env!("CARGO_MANIFEST_DIR"), "/../.tools/py/bin/python"));
    assert!(python.exists(), "{} is missing: run `cargo xtask tools`", python.display());
    let dir = TempDir::new("py-guard");
    std::fs::write(dir.join("token"), "py-token-abcdef").unwrap();
    let reference = format!("file:{}", dir.join("token").display());
    let server = Running::start_with(demo_bin(), &[], &[("MCP_SECRET_AUTH_TOKEN", &reference)]).await;
    let url = format!("http://{}/mcp", server.addr);
    let script = concat!(env!("CARGO_MANIFEST_DIR"), "/clients/python_auth_client.py");
    let out = tokio::task::spawn_blocking(move || {
        std::process::Command::new(python).arg(script).arg(url).arg("py-token-abcdef").output().unwrap()
    })
    .await
    .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(out.status.success(), "{stdout}\n{}", String::from_utf8_lossy(&out.stderr));
    assert!(!stdout.contains("FAIL"), "{stdout}");
}
