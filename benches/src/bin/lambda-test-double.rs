//! A TEST DOUBLE of a Lambda function, for `bench-lambda`'s own tests: a
//! few lines of raw HTTP against `AWS_LAMBDA_RUNTIME_API` that misbehave on
//! purpose, so the tests can show each misbehaviour fails the run with a
//! clear message. `LAMBDA_TEST_DOUBLE` picks what it does:
//!
//! - `echo`: answers every event correctly, buffered (the happy path, from a
//!   client that shares no code with `lambda_runtime`);
//! - `wrong-text`: answers 200 with a JSON-RPC result echoing other text;
//! - `invocation-error`: posts `/invocation/{id}/error` for each event;
//! - `init-error`: posts `/init/error` and exits 1;
//! - `exit`: exits 3 before asking for an event.

use std::io::{Read as _, Write as _};
use std::net::TcpStream;
use std::process::ExitCode;

use anyhow::{Context as _, bail};

const GOOD: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello from mcp-bench"}]}}"#;

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("lambda-test-double: {e:#}");
            ExitCode::FAILURE
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let api = std::env::var("AWS_LAMBDA_RUNTIME_API").context("AWS_LAMBDA_RUNTIME_API is not set")?;
    let mode = std::env::var("LAMBDA_TEST_DOUBLE").unwrap_or_else(|_| "echo".into());
    match mode.as_str() {
        "exit" => return Ok(ExitCode::from(3)),
        "init-error" => {
            let body = r#"{"errorType":"Runtime.TestDouble","errorMessage":"the test double fails its init"}"#;
            post(&api, "/2018-06-01/runtime/init/error", body, "Runtime.TestDouble")?;
            return Ok(ExitCode::FAILURE);
        }
        "echo" | "wrong-text" | "invocation-error" => {}
        other => bail!("unknown LAMBDA_TEST_DOUBLE {other:?}"),
    }
    loop {
        let head = exchange(&api, "GET /2018-06-01/runtime/invocation/next HTTP/1.1\r\n", "")?;
        let id = head
            .lines()
            .find_map(|l| l.split_once(':').filter(|(k, _)| k.eq_ignore_ascii_case("lambda-runtime-aws-request-id")))
            .map(|(_, v)| v.trim().to_owned())
            .context("the event has no request id")?;
        if mode == "invocation-error" {
            let body = r#"{"errorType":"TestDoubleError","errorMessage":"the test double fails every invocation"}"#;
            post(&api, &format!("/2018-06-01/runtime/invocation/{id}/error"), body, "TestDoubleError")?;
            continue;
        }
        let answer =
            if mode == "wrong-text" { GOOD.replace("hello from mcp-bench", "something else") } else { GOOD.into() };
        let response =
            serde_json::json!({ "statusCode": 200, "headers": {"content-type": "application/json"}, "body": answer });
        post(&api, &format!("/2018-06-01/runtime/invocation/{id}/response"), &response.to_string(), "")?;
    }
}

fn post(api: &str, path: &str, body: &str, error_type: &str) -> anyhow::Result<()> {
    let error_header = if error_type.is_empty() {
        String::new()
    } else {
        format!("Lambda-Runtime-Function-Error-Type: {error_type}\r\n")
    };
    let head = format!("POST {path} HTTP/1.1\r\n{error_header}Content-Length: {}\r\n", body.len());
    let answer = exchange(api, &head, body)?;
    if !answer.starts_with("HTTP/1.1 202") {
        bail!("POST {path} was answered {}", answer.lines().next().unwrap_or_default());
    }
    Ok(())
}

/// One request on its own connection; the answer's head (status line and
/// headers) as text.
fn exchange(api: &str, request_line_and_headers: &str, body: &str) -> anyhow::Result<String> {
    let mut s = TcpStream::connect(api).with_context(|| format!("connecting to {api}"))?;
    write!(s, "{request_line_and_headers}Host: {api}\r\nConnection: close\r\n\r\n{body}")?;
    let mut answer = Vec::new();
    s.read_to_end(&mut answer)?;
    let text = String::from_utf8_lossy(&answer);
    Ok(text.split("\r\n\r\n").next().unwrap_or_default().to_owned())
}
