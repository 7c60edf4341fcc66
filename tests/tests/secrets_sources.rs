//! Secrets from env vars and files (with rotation), the resolver's rules,
//! secrets in handlers, and the Lambda extension source against a
//! loopback stand-in of its HTTP API.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::collections::HashMap;
use std::time::Duration;

use mcp_handler::secrets::{
    ConfigError, ContextSecrets as _, EnvSource, LambdaExtensionSource, SecretError, Secrets, SourceError,
};
use mcp_handler::{EndpointConfig, McpService, NoArgs, RequestContext, Router, Tool};
use mcp_handler_tests::{ExtensionStandIn, TempDir, eventually, post_json, replace_file};

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> + Send + Sync + 'static {
    let map: HashMap<String, String> = pairs.iter().map(|(k, v)| ((*k).to_owned(), (*v).to_owned())).collect();
    move |k| map.get(k).cloned()
}

#[tokio::test]
async fn env_references_resolve_and_missing_ones_are_named() {
    let deployment = env_of(&[("MCP_SECRET_API_KEY", "env:UPSTREAM_KEY"), ("UPSTREAM_KEY", "k-123")]);
    let secrets = Secrets::builder()
        .required("API_KEY")
        .optional("UNUSED")
        .source("env", EnvSource::with_lookup(env_of(&[("UPSTREAM_KEY", "k-123")])))
        .with_env(deployment)
        .build()
        .unwrap();
    secrets.load().await.unwrap();
    assert_eq!(secrets.current("API_KEY").unwrap().expose(), "k-123");
    assert_eq!(secrets.current("UNUSED").unwrap_err(), SecretError::NotConfigured("UNUSED".into()));
    assert_eq!(secrets.current("OTHER").unwrap_err(), SecretError::Undeclared("OTHER".into()));
    assert!(secrets.is_ready());

    // A required secret without a reference stops the build, naming the variable.
    let err = Secrets::builder().required("API_KEY").with_env(env_of(&[])).build().unwrap_err();
    assert_eq!(err, ConfigError::Missing { name: "API_KEY".into(), var: "MCP_SECRET_API_KEY".into() });
    assert!(err.to_string().contains("MCP_SECRET_API_KEY"));

    // A reference to an unset variable fails loading, naming secret and source.
    let secrets = Secrets::builder()
        .required("API_KEY")
        .source("env", EnvSource::with_lookup(env_of(&[])))
        .with_env(env_of(&[("MCP_SECRET_API_KEY", "env:UPSTREAM_KEY")]))
        .build()
        .unwrap();
    let err = secrets.load().await.unwrap_err().to_string();
    assert!(err.contains("API_KEY") && err.contains("env:UPSTREAM_KEY") && err.contains("not set"), "{err}");
    assert!(!secrets.is_ready());

    // A declared default applies when the deployment says nothing.
    let secrets = Secrets::builder()
        .required("API_KEY")
        .default_reference("env:UPSTREAM_KEY")
        .source("env", EnvSource::with_lookup(env_of(&[("UPSTREAM_KEY", "dflt")])))
        .with_env(env_of(&[]))
        .build()
        .unwrap();
    secrets.load().await.unwrap();
    assert_eq!(secrets.current("API_KEY").unwrap().expose(), "dflt");
}

#[tokio::test]
async fn bad_references_and_names_are_refused_without_echoing_them() {
    for value in ["hunter2-literal", "vault:hunter2", "file:/x?colour=hunter2", "aws-sm:x#"] {
        let err = Secrets::builder()
            .required("API_KEY")
            .with_env(env_of(&[("MCP_SECRET_API_KEY", value)]))
            .build()
            .unwrap_err()
            .to_string();
        assert!(err.starts_with("MCP_SECRET_API_KEY: "), "{err}");
        assert!(!err.contains("hunter2"), "{err}");
    }
    assert!(matches!(
        Secrets::builder().required("api-key").with_env(env_of(&[])).build(),
        Err(ConfigError::BadName(_))
    ));
    assert!(matches!(
        Secrets::builder().optional("A").optional("A").with_env(env_of(&[])).build(),
        Err(ConfigError::Duplicate(_))
    ));
}

#[tokio::test]
async fn a_rewritten_file_is_picked_up_without_a_restart() {
    let dir = TempDir::new("file-rotation");
    let path = dir.join("api_key");
    std::fs::write(&path, "first-value\n").unwrap();
    let reference = format!("file:{}?ttl=100ms", path.display());
    let secrets =
        Secrets::builder().required("API_KEY").with_env(env_of(&[("MCP_SECRET_API_KEY", &reference)])).build().unwrap();
    secrets.load().await.unwrap();
    assert_eq!(secrets.get("API_KEY").await.unwrap().expose(), "first-value", "trailing newline trimmed");
    assert_eq!(secrets.version("API_KEY"), Some(0));

    // Rotation by rewriting the file in place, then by renaming over it.
    std::fs::write(&path, "second-value\n").unwrap();
    eventually(async || (secrets.get("API_KEY").await.unwrap().expose() == "second-value").then_some(())).await;
    assert_eq!(secrets.version("API_KEY"), Some(1));
    replace_file(&path, "third-value");
    eventually(async || (secrets.get("API_KEY").await.unwrap().expose() == "third-value").then_some(())).await;

    // The background refresher keeps `current` (no I/O) fresh too.
    let _task = secrets.spawn_refresher();
    replace_file(&path, "fourth-value");
    eventually(async || (secrets.current("API_KEY").unwrap().expose() == "fourth-value").then_some(())).await;
}

#[tokio::test]
async fn a_vanished_file_is_served_stale_within_the_bound_then_fails_clearly() {
    let dir = TempDir::new("file-stale");
    let path = dir.join("token");
    std::fs::write(&path, "still-good").unwrap();
    let reference = format!("file:{}?ttl=100ms&max-stale=1s", path.display());
    let secrets =
        Secrets::builder().required("TOKEN").with_env(env_of(&[("MCP_SECRET_TOKEN", &reference)])).build().unwrap();
    secrets.load().await.unwrap();
    let s = &secrets.status()[0];
    assert_eq!((s.name.as_str(), s.refreshes_ok, s.refreshes_failed, s.servable), ("TOKEN", 1, 0, true));
    assert_eq!(s.stale_for, Duration::ZERO);
    std::fs::remove_file(&path).unwrap();
    tokio::time::sleep(Duration::from_millis(150)).await;
    // Past the TTL, the refresh fails: the last good value is still served.
    assert_eq!(secrets.get("TOKEN").await.unwrap().expose(), "still-good");
    assert!(secrets.is_ready());
    // The metrics see the failure and the staleness.
    let s = &secrets.status()[0];
    assert_eq!((s.refreshes_ok, s.refreshes_failed, s.servable), (1, 1, true));
    assert!(s.stale_for > Duration::ZERO && s.since_refresh.is_some_and(|d| d >= Duration::from_millis(150)));
    // Past TTL + max-stale: a clear error naming the secret and its source.
    let err = eventually(async || secrets.get("TOKEN").await.err()).await;
    assert!(matches!(err, SecretError::Stale { cause: SourceError::NotFound(_), .. }), "{err:?}");
    let text = err.to_string();
    assert!(text.contains("TOKEN") && text.contains(&path.display().to_string()), "{text}");
    assert!(!text.contains("still-good"));
    assert!(!secrets.is_ready());
    assert!(!secrets.status()[0].servable);
    // The file comes back: served again.
    std::fs::write(&path, "back-again").unwrap();
    let v = eventually(async || secrets.get("TOKEN").await.ok()).await;
    assert_eq!(v.expose(), "back-again");
    let s = &secrets.status()[0];
    assert_eq!((s.refreshes_ok, s.servable, s.stale_for), (2, true, Duration::ZERO));
}

#[tokio::test]
async fn a_secrets_dir_and_json_keys() {
    let dir = TempDir::new("secrets-dir");
    std::fs::write(dir.join("db_password"), "pw-from-dir\n").unwrap();
    std::fs::write(dir.join("bundle.json"), r#"{"api_key":"k-\u0041","port":5432,"nested":{"a":1}}"#).unwrap();
    let bundle = dir.join("bundle.json").display().to_string();
    let env = env_of(&[
        ("MCP_SECRETS_DIR", &dir.0.display().to_string()),
        ("MCP_SECRET_API_KEY", &format!("file:{bundle}#api_key")),
        ("MCP_SECRET_PORT", &format!("file:{bundle}#port")),
        ("MCP_SECRET_NESTED", &format!("file:{bundle}#nested")),
        ("MCP_SECRET_ABSENT", &format!("file:{bundle}#absent")),
    ]);
    let secrets = Secrets::builder()
        .required("DB_PASSWORD")
        .required("API_KEY")
        .required("PORT")
        .optional("NESTED")
        .optional("ABSENT")
        .with_env(env)
        .build()
        .unwrap();
    secrets.load().await.unwrap();
    assert_eq!(secrets.current("DB_PASSWORD").unwrap().expose(), "pw-from-dir");
    assert_eq!(secrets.current("API_KEY").unwrap().expose(), "k-A", "JSON escapes decoded");
    assert_eq!(secrets.current("PORT").unwrap().expose(), "5432");
    let nested = secrets.current("NESTED").unwrap_err().to_string();
    assert!(nested.contains("no text or number"), "{nested}");
    let absent = secrets.current("ABSENT").unwrap_err().to_string();
    assert!(absent.contains("no key \"absent\""), "{absent}");
}

fn probe_router(secrets: Secrets) -> Router {
    Router::builder("secret-probe", "1.0.0")
        .state(secrets)
        .tool(Tool::builder("uses_key").description("Says whether the key matches").handler(
            |ctx: RequestContext, _: NoArgs| async move {
                match ctx.secret("API_KEY").await {
                    Ok(k) if k.matches(b"expected-key") => "key ok".to_owned(),
                    Ok(_) => "key differs".to_owned(),
                    Err(e) => format!("no key: {e}"),
                }
            },
        ))
        .build()
        .unwrap()
}

#[tokio::test]
async fn handlers_reach_secrets_through_their_context() {
    let dir = TempDir::new("ctx");
    let path = dir.join("k");
    std::fs::write(&path, "expected-key").unwrap();
    let reference = format!("file:{}?ttl=100ms", path.display());
    let secrets =
        Secrets::builder().required("API_KEY").with_env(env_of(&[("MCP_SECRET_API_KEY", &reference)])).build().unwrap();
    secrets.load().await.unwrap();
    let svc = McpService::new(probe_router(secrets), EndpointConfig::default());
    let call = r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"uses_key","arguments":{}}}"#;
    let text = |r: mcp_handler_tests::Reply| r.json()["result"]["content"][0]["text"].as_str().unwrap().to_owned();
    assert_eq!(text(post_json(&svc, call, &[]).await), "key ok");
    replace_file(&path, "rotated-key");
    eventually(async || (text(post_json(&svc, call, &[]).await) == "key differs").then_some(())).await;

    // A router without shared secrets: a clear error, not a panic.
    let bare = Router::builder("bare", "1")
        .tool(Tool::builder("t").description("d").handler(|ctx: RequestContext, _: NoArgs| async move {
            ctx.secret("API_KEY").await.map(|_| "found").unwrap_or_else(|_| "no resolver")
        }))
        .build()
        .unwrap();
    let svc = McpService::new(bare, EndpointConfig::default());
    let r = post_json(&svc, r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"t"}}"#, &[]).await;
    assert_eq!(r.json()["result"]["content"][0]["text"], "no resolver");
}

#[tokio::test]
async fn the_extension_source_loads_on_first_invocation_not_at_init() {
    let ext = ExtensionStandIn::start("session-token-1").await;
    ext.values.lock().unwrap().insert("prod/mcp".into(), r#"{"api_key":"from-extension"}"#.into());
    let port = ext.port.to_string();
    let source = LambdaExtensionSource::with_lookup(env_of(&[
        ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", &port),
        ("AWS_SESSION_TOKEN", "session-token-1"),
    ]));
    let secrets = Secrets::builder()
        .required("API_KEY")
        .optional("MISSING")
        .source("aws-ext", source)
        .with_env(env_of(&[
            ("MCP_SECRET_API_KEY", "aws-ext:prod/mcp#api_key"),
            ("MCP_SECRET_MISSING", "aws-ext:prod/nothing"),
        ]))
        .build()
        .unwrap();
    // Init: the extension is not asked (it would not answer yet).
    secrets.load().await.unwrap();
    assert!(ext.hits.lock().unwrap().is_empty());
    assert!(matches!(secrets.current("API_KEY"), Err(SecretError::NotLoaded { .. })));
    assert!(secrets.any_due());
    // First invocation: the shell's hook loads it.
    secrets.refresh_due().await;
    assert_eq!(secrets.current("API_KEY").unwrap().expose(), "from-extension");
    let missing = secrets.current("MISSING").unwrap_err();
    assert!(matches!(missing, SecretError::Failed { cause: SourceError::NotFound(_), .. }), "{missing:?}");
    assert!(ext.hits.lock().unwrap().iter().any(|q| q == "secretId=prod%2Fmcp"));

    // A wrong session token is refused by the extension: a clear error.
    let bad = Secrets::builder()
        .required("API_KEY")
        .source(
            "aws-ext",
            LambdaExtensionSource::with_lookup(env_of(&[
                ("PARAMETERS_SECRETS_EXTENSION_HTTP_PORT", &port),
                ("AWS_SESSION_TOKEN", "wrong"),
            ])),
        )
        .with_env(env_of(&[("MCP_SECRET_API_KEY", "aws-ext:prod/mcp#api_key")]))
        .build()
        .unwrap();
    let err = bad.load_all().await.unwrap_err().to_string();
    assert!(err.contains("API_KEY") && err.contains("401"), "{err}");
}
