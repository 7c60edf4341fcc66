//! AWS Secrets Manager against `moto_server` on loopback (installed by
//! the test command; no real AWS is contacted): plain and JSON-key
//! secrets, a missing one, a rotation seen after the TTL, moto stopped
//! mid-run, and no value in any log line or error along the way.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::io::Write as _;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use mcp_handler::secrets::{SecretError, Secrets, SecretsManagerSource, SourceError};
use mcp_handler_tests::{Moto, eventually};

async fn create(moto: &Moto, name: &str, value: &str) {
    moto.client().create_secret().name(name).secret_string(value).send().await.expect("create_secret");
}

async fn put(moto: &Moto, name: &str, value: &str) {
    moto.client().put_secret_value().secret_id(name).secret_string(value).send().await.expect("put_secret_value");
}

fn secrets_for(moto: &Moto, refs: &[(&'static str, bool, String)]) -> Secrets {
    let env: Vec<(String, String)> = refs.iter().map(|(n, _, r)| (format!("MCP_SECRET_{n}"), r.clone())).collect();
    let mut b = Secrets::builder();
    for (name, required, _) in refs {
        b = if *required { b.required(name) } else { b.optional(name) };
    }
    b.source("aws-sm", SecretsManagerSource::with_client(moto.client()))
        .with_env(move |k| env.iter().find(|(n, _)| n == k).map(|(_, v)| v.clone()))
        .build()
        .expect("valid declarations")
}

#[tokio::test]
async fn plain_json_key_and_missing_secrets() {
    let moto = Moto::start().await;
    create(&moto, "prod/plain", "plain-value-1").await;
    create(&moto, "prod/bundle", r#"{"api_key":"bundle-key-1","user":"svc"}"#).await;
    let arn = moto.client().describe_secret().secret_id("prod/bundle").send().await.unwrap().arn.unwrap();
    let secrets = secrets_for(
        &moto,
        &[
            ("PLAIN", true, "aws-sm:prod/plain".into()),
            ("API_KEY", true, "aws-sm:prod/bundle#api_key".into()),
            ("BY_ARN", true, format!("aws-sm:{arn}?version-stage=AWSCURRENT#user")),
            ("MISSING", false, "aws-sm:prod/nope".into()),
        ],
    );
    secrets.load().await.expect("required secrets load");
    assert_eq!(secrets.current("PLAIN").unwrap().expose(), "plain-value-1");
    assert_eq!(secrets.current("API_KEY").unwrap().expose(), "bundle-key-1");
    assert_eq!(secrets.current("BY_ARN").unwrap().expose(), "svc");
    let missing = secrets.current("MISSING").unwrap_err();
    assert!(matches!(missing, SecretError::Failed { cause: SourceError::NotFound(_), .. }), "{missing:?}");
    assert!(missing.to_string().contains("ResourceNotFoundException"), "{missing}");

    // Required and missing: start-up fails naming the secret and its source.
    let strict = secrets_for(&moto, &[("MISSING", true, "aws-sm:prod/nope".into())]);
    let err = strict.load().await.unwrap_err().to_string();
    assert!(err.contains("MISSING") && err.contains("aws-sm:prod/nope") && err.contains("not found"), "{err}");

    // AWSPREVIOUS after a rotation.
    put(&moto, "prod/plain", "plain-value-2").await;
    let prev = secrets_for(&moto, &[("PREV", true, "aws-sm:prod/plain?version-stage=AWSPREVIOUS".into())]);
    prev.load().await.unwrap();
    assert_eq!(prev.current("PREV").unwrap().expose(), "plain-value-1");
}

#[tokio::test]
async fn rotation_is_seen_after_the_ttl_without_a_restart() {
    let moto = Moto::start().await;
    create(&moto, "prod/rotating", r#"{"token":"rot-1"}"#).await;
    let secrets = secrets_for(&moto, &[("TOKEN", true, "aws-sm:prod/rotating?ttl=1s#token".into())]);
    secrets.load().await.unwrap();
    assert_eq!(secrets.get("TOKEN").await.unwrap().expose(), "rot-1");
    put(&moto, "prod/rotating", r#"{"token":"rot-2"}"#).await;
    // Within the TTL the cache answers (no call to AWS per read)...
    assert_eq!(secrets.get("TOKEN").await.unwrap().expose(), "rot-1");
    // ...after it, the new version.
    eventually(async || (secrets.get("TOKEN").await.unwrap().expose() == "rot-2").then_some(())).await;
    assert_eq!(secrets.version("TOKEN"), Some(1));
}

#[tokio::test]
async fn moto_stopped_mid_run_serves_stale_within_the_bound_then_fails() {
    let mut moto = Moto::start().await;
    create(&moto, "prod/fragile", "fragile-1").await;
    // The bound covers the refresh the first read past the TTL waits on:
    // with moto gone, the AWS SDK's standard retries back off for up to
    // ~3 s (two jittered sleeps, ≤ 1 s and ≤ 2 s) before the fetch fails,
    // and staleness is judged when the read completes. With a 3 s bound,
    // a slow draw of that jitter made the first read already stale.
    let secrets = secrets_for(&moto, &[("FRAGILE", true, "aws-sm:prod/fragile?ttl=1s&max-stale=6s".into())]);
    secrets.load().await.unwrap();
    moto.stop();
    tokio::time::sleep(Duration::from_millis(1100)).await;
    // Past the TTL: the refresh fails, the last good value is served.
    assert_eq!(secrets.get("FRAGILE").await.unwrap().expose(), "fragile-1");
    assert!(secrets.is_ready());
    // Past TTL + bound: a clear error, and not ready.
    let err = eventually(async || secrets.get("FRAGILE").await.err()).await;
    assert!(matches!(err, SecretError::Stale { cause: SourceError::Unavailable(_), .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("FRAGILE") && text.contains("aws-sm:prod/fragile"), "{text}");
    assert!(!secrets.is_ready());
}

/// Collects every log line at every level, from every crate (ours, the
/// AWS SDK, hyper).
#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Capture {
    type Writer = Capture;
    fn make_writer(&'a self) -> Capture {
        self.clone()
    }
}

#[tokio::test]
async fn values_never_reach_logs_or_errors_across_load_rotate_and_failure() {
    let capture = Capture::default();
    tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(capture.clone())
        .with_ansi(false)
        .try_init()
        .expect("the only subscriber in this test process");

    const VALUES: [&str; 5] =
        ["sm-value-AAA111", "sm-value-BBB222", "json-value-CCC333", "file-value-DDD444", "file-value-EEE555"];
    let mut moto = Moto::start().await;
    create(&moto, "prod/leak", VALUES[0]).await;
    create(&moto, "prod/leak-json", &format!(r#"{{"k":"{}"}}"#, VALUES[2])).await;
    let dir = mcp_handler_tests::TempDir::new("leak");
    let file = dir.join("token");
    std::fs::write(&file, VALUES[3]).unwrap();
    let mut secrets = secrets_for(
        &moto,
        &[
            ("SM", true, "aws-sm:prod/leak?ttl=1s&max-stale=1s".into()),
            ("JSON", true, "aws-sm:prod/leak-json?ttl=1s&max-stale=1s#k".into()),
            ("FILE", true, format!("file:{}?ttl=100ms&max-stale=500ms", file.display())),
            ("NOPE", false, "aws-sm:prod/absent".into()),
        ],
    );
    let mut seen_errors = Vec::new();
    secrets.load().await.unwrap();
    // Rotate both kinds and observe the new values.
    put(&moto, "prod/leak", VALUES[1]).await;
    mcp_handler_tests::replace_file(&file, VALUES[4]);
    eventually(async || (secrets.get("SM").await.unwrap().expose() == VALUES[1]).then_some(())).await;
    eventually(async || (secrets.get("FILE").await.unwrap().expose() == VALUES[4]).then_some(())).await;
    seen_errors.push(format!("{:?} {}", secrets.current("NOPE"), secrets.current("NOPE").unwrap_err()));
    // Fail: moto gone, file gone; stale, then errors.
    moto.stop();
    std::fs::remove_file(&file).unwrap();
    for name in ["SM", "JSON", "FILE"] {
        let err = eventually(async || secrets.get(name).await.err()).await;
        seen_errors.push(format!("{err:?} {err}"));
    }
    seen_errors.push(format!("{:?}", secrets.readiness()));
    seen_errors.push(format!("{secrets:?}"));
    seen_errors.push(format!("{:?}", secrets.current("SM")));
    // A fresh start against the dead endpoint: the start-up error.
    secrets = secrets_for(&moto, &[("SM", true, "aws-sm:prod/leak".into())]);
    let start = secrets.load().await.unwrap_err();
    seen_errors.push(format!("{start:?} {start}"));

    let _ = std::io::stdout().flush();
    let logs = String::from_utf8_lossy(&capture.0.lock().unwrap()).into_owned();
    assert!(logs.contains("secret rotated"), "the run did rotate (and logged it):\n{logs}");
    assert!(logs.contains("TRACE") && logs.contains("aws_smithy"), "the SDK's trace logs were captured too");
    eprintln!("captured {} bytes of logs", logs.len());
    for v in VALUES {
        assert!(!logs.contains(v), "value {v} appeared in the logs");
        for e in &seen_errors {
            assert!(!e.contains(v), "value {v} appeared in an error: {e}");
        }
    }
}

#[tokio::test]
async fn forgotten_values_are_gone_until_read_again_and_count_as_a_new_version() {
    let moto = Moto::start().await;
    create(&moto, "prod/snap", r#"{"token":"snap-1"}"#).await;
    let secrets = secrets_for(&moto, &[("TOKEN", true, "aws-sm:prod/snap#token".into())]);
    secrets.load().await.unwrap();
    assert_eq!((secrets.current("TOKEN").unwrap().expose(), secrets.version("TOKEN")), ("snap-1", Some(0)));
    // Before a snapshot: nothing cached is left, and the secret is due.
    assert_eq!(secrets.forget(), 1);
    let gone = secrets.current("TOKEN").unwrap_err();
    assert!(matches!(gone, SecretError::NotLoaded { .. }), "{gone:?}");
    assert!(secrets.any_due() && !secrets.is_ready());
    // Rotated meanwhile, read again: the new value, a new version (also
    // when the value did not change, since there is nothing to compare).
    put(&moto, "prod/snap", r#"{"token":"snap-2"}"#).await;
    secrets.refresh_due().await;
    assert_eq!((secrets.current("TOKEN").unwrap().expose(), secrets.version("TOKEN")), ("snap-2", Some(1)));
    assert_eq!(secrets.forget(), 1);
    secrets.load().await.unwrap();
    assert_eq!((secrets.current("TOKEN").unwrap().expose(), secrets.version("TOKEN")), ("snap-2", Some(2)));
}
