//! Secrets Manager faults (moto on loopback behind a fault proxy, the one
//! stand-in here: see `mcp_handler_tests::faulty`): a store that hangs is
//! bounded by the fetch timeout, at start-up and during a run; a store
//! that is down at start-up stops the server with a clear error, or, with
//! `MCP_SECRETS_AT_START=wait`, starts it unready until the store answers.

#![allow(clippy::unwrap_used)]

use std::process::Stdio;
use std::time::{Duration, Instant};

use http::StatusCode;
use mcp_handler::secrets::{Secrets, SecretsManagerSource};
use mcp_handler_tests::faulty::{FaultyProxy, Mode};
use mcp_handler_tests::{Moto, Running, demo_bin, eventually, free_port, http};

/// The bound given to fetches here, and the most a bounded fetch may take
/// (the timeout, plus scheduling on a loaded two-core machine).
const TIMEOUT: Duration = Duration::from_secs(1);
const BOUNDED: Duration = Duration::from_secs(6);

async fn moto_with(name: &str, value: &str) -> Moto {
    let moto = Moto::start().await;
    moto.client().create_secret().name(name).secret_string(value).send().await.expect("create_secret");
    moto
}

fn secrets_via(moto: &Moto, proxy: &FaultyProxy, reference: &str) -> Secrets {
    let reference = reference.to_owned();
    Secrets::builder()
        .required("TOKEN")
        .source("aws-sm", SecretsManagerSource::with_client(moto.client_at(&proxy.url())))
        .fetch_timeout(TIMEOUT)
        .with_env(move |k| (k == "MCP_SECRET_TOKEN").then(|| reference.clone()))
        .build()
        .unwrap()
}

#[tokio::test]
async fn a_hanging_store_fails_the_load_within_the_timeout() {
    let moto = moto_with("prod/hang", "hang-1").await;
    let proxy = FaultyProxy::new(moto.addr(), Mode::Hang).await;
    let secrets = secrets_via(&moto, &proxy, "aws-sm:prod/hang");
    let started = Instant::now();
    let err = secrets.load().await.unwrap_err().to_string();
    assert!(started.elapsed() < BOUNDED, "the load took {:?}", started.elapsed());
    assert!(err.contains("TOKEN") && err.contains("aws-sm:prod/hang") && err.contains("no answer within 1s"), "{err}");
    assert!(!secrets.is_ready());
}

#[tokio::test]
async fn a_store_that_hangs_mid_run_leaves_the_last_good_value_served() {
    let moto = moto_with("prod/slow", "slow-1").await;
    let proxy = FaultyProxy::new(moto.addr(), Mode::Up).await;
    let secrets = secrets_via(&moto, &proxy, "aws-sm:prod/slow?ttl=1s&max-stale=60s");
    secrets.load().await.unwrap();
    proxy.set(Mode::Hang).await;
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // The TTL has passed: the refresh meets a store that never answers.
    let started = Instant::now();
    let value = secrets.get("TOKEN").await.unwrap();
    assert!(started.elapsed() < BOUNDED, "the refresh took {:?}", started.elapsed());
    assert_eq!(value.expose(), "slow-1");
    assert!(secrets.is_ready(), "stale within the bound is still ready");
    // The store answers again: the next refresh after the back-off loads.
    proxy.set(Mode::Up).await;
    moto.client().put_secret_value().secret_id("prod/slow").secret_string("slow-2").send().await.unwrap();
    eventually(async || (secrets.get("TOKEN").await.unwrap().expose() == "slow-2").then_some(())).await;
}

/// `demo` guarded by `AUTH_TOKEN` from Secrets Manager behind `proxy`.
fn guarded_env(moto: &Moto, proxy: &FaultyProxy, extra: &[(&'static str, &'static str)]) -> Vec<(String, String)> {
    let mut env: Vec<(String, String)> = moto.env().into_iter().map(|(k, v)| (k.to_owned(), v)).collect();
    env.retain(|(k, _)| k != "AWS_ENDPOINT_URL_SECRETS_MANAGER");
    env.push(("AWS_ENDPOINT_URL_SECRETS_MANAGER".into(), proxy.url()));
    env.push(("MCP_SECRET_AUTH_TOKEN".into(), "aws-sm:prod/token".into()));
    env.push(("MCP_SECRETS_TIMEOUT_SECS".into(), "1".into()));
    env.extend(extra.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())));
    env
}

/// Runs `demo` until it exits (at most 30 s): its exit code and stderr.
async fn start_fails(env: &[(String, String)]) -> (Option<i32>, String, Duration) {
    let bin = demo_bin();
    let started = Instant::now();
    let child = tokio::process::Command::new(bin)
        .args(["--bind", &format!("127.0.0.1:{}", free_port())])
        .env("RUST_LOG", "warn")
        .envs(env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("demo starts");
    let out = tokio::time::timeout(Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("demo gave up within 30 s")
        .expect("demo's output");
    (out.status.code(), String::from_utf8_lossy(&out.stderr).into_owned(), started.elapsed())
}

#[tokio::test]
async fn a_store_down_or_hanging_at_start_stops_the_server_with_a_clear_error() {
    let moto = moto_with("prod/token", "tok-1").await;
    for mode in [Mode::Down, Mode::Hang] {
        let proxy = FaultyProxy::new(moto.addr(), mode).await;
        let (code, stderr, took) = start_fails(&guarded_env(&moto, &proxy, &[])).await;
        assert_eq!(code, Some(1), "{mode:?}: {stderr}");
        assert!(stderr.contains("AUTH_TOKEN") && stderr.contains("aws-sm:prod/token"), "{mode:?}: {stderr}");
        assert!(!stderr.contains("tok-1"), "{stderr}");
        assert!(took < Duration::from_secs(20), "{mode:?}: gave up after {took:?}: {stderr}");
        if mode == Mode::Hang {
            assert!(stderr.contains("no answer within 1s"), "{stderr}");
        }
    }
}

#[tokio::test]
async fn with_wait_a_store_down_at_start_leaves_the_server_unready_until_it_answers() {
    let moto = moto_with("prod/token", "tok-1").await;
    let proxy = FaultyProxy::new(moto.addr(), Mode::Down).await;
    let env = guarded_env(&moto, &proxy, &[("MCP_SECRETS_AT_START", "wait")]);
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let server = Running::start_with(demo_bin(), &[], &env).await;
    let addr = server.addr;
    let init = mcp_handler_tests::initialize_body("2025-11-25");
    let json = [("content-type", "application/json"), ("accept", "application/json, text/event-stream")];
    let with_token = [json[0], json[1], ("authorization", "Bearer tok-1")];

    let ready = http(addr, "GET", "/readyz", &[], "").await.unwrap();
    assert_eq!(ready.status, StatusCode::SERVICE_UNAVAILABLE, "{}", ready.text());
    // The guard fails closed: no token can be checked, none passes.
    let r = http(addr, "POST", "/mcp", &with_token, &init).await.unwrap();
    assert_eq!(r.status, StatusCode::SERVICE_UNAVAILABLE, "{}", r.text());

    proxy.set(Mode::Up).await;
    let mut ok = false;
    for _ in 0..80 {
        if http(addr, "GET", "/readyz", &[], "").await.unwrap().status == StatusCode::OK {
            ok = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    assert!(ok, "/readyz did not turn 200 within 20 s of the store answering");
    let r = http(addr, "POST", "/mcp", &with_token, &init).await.unwrap();
    assert_eq!(r.status, StatusCode::OK, "{}", r.text());
    let r = http(addr, "POST", "/mcp", &json, &init).await.unwrap();
    assert_eq!(r.status, StatusCode::UNAUTHORIZED);
}
