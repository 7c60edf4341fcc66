//! `<binary> healthcheck` and `healthcheck --deep` on the real `demo`
//! binary, as a container platform runs them: a separate process with the
//! server's environment. The deep check is a real MCP round trip, so it
//! fails where clients would fail (wrong token, Host not allowed, nothing
//! listening) with a one-line reason, and never prints the token.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::net::SocketAddr;

use mcp_handler_tests::{Running, TempDir, demo_bin, free_port};

/// Runs `demo healthcheck <args> --bind addr` with `env`; exit success and
/// stderr.
async fn probe(addr: SocketAddr, args: &[&str], env: &[(&str, &str)]) -> (bool, String) {
    let out = tokio::process::Command::new(demo_bin())
        .arg("healthcheck")
        .args(args)
        .args(["--bind", &addr.to_string()])
        .env_remove("MCP_SECRET_AUTH_TOKEN")
        .env_remove("MCP_ALLOWED_HOSTS")
        .envs(env.iter().copied())
        .output()
        .await
        .unwrap();
    (out.status.success(), String::from_utf8_lossy(&out.stderr).into_owned())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deep_check_is_an_mcp_round_trip_with_the_configured_token() {
    let dir = TempDir::new("healthcheck");
    let token = dir.join("token");
    std::fs::write(&token, "probe-token-0123456789\n").unwrap();
    let reference = format!("file:{}", token.display());
    let env = [("MCP_SECRET_AUTH_TOKEN", reference.as_str())];
    let server = Running::start_with(demo_bin(), &[], &env).await;

    assert_eq!(probe(server.addr, &[], &[]).await, (true, String::new()), "liveness needs no token");
    let (ok, err) = probe(server.addr, &["--deep"], &env).await;
    assert!(ok, "the deep check with the server's token reference passes: {err}");

    // Without the token the endpoint refuses it; the reason is one line.
    let (ok, err) = probe(server.addr, &["--deep"], &[]).await;
    assert!(!ok);
    assert!(err.starts_with("healthcheck failed: the MCP endpoint answered HTTP 401"), "{err}");
    assert_eq!(err.trim_end().lines().count(), 1, "{err}");

    // A wrong token: refused, and the token is not printed.
    let wrong_file = dir.join("wrong");
    std::fs::write(&wrong_file, "wrong-token-abcdef\n").unwrap();
    let wrong = format!("file:{}", wrong_file.display());
    let (ok, err) = probe(server.addr, &["--deep"], &[("MCP_SECRET_AUTH_TOKEN", &wrong)]).await;
    assert!(!ok && err.contains("401") && !err.contains("wrong-token"), "{err}");

    // A token that cannot load: the reason names the secret.
    let (ok, err) = probe(server.addr, &["--deep"], &[("MCP_SECRET_AUTH_TOKEN", "file:/nonexistent/token")]).await;
    assert!(!ok && err.contains("auth token"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_deep_check_sends_an_allowed_host() {
    let env = [("MCP_ALLOWED_HOSTS", "mcp.example.com,localhost")];
    let server = Running::start_with(demo_bin(), &[], &env).await;
    let (ok, err) = probe(server.addr, &["--deep"], &env).await;
    assert!(ok, "the probe presents the first allowed host: {err}");
    // A server whose allow-list the probe does not know refuses it, as it
    // would refuse a client: the check reports what clients would see.
    let (ok, err) = probe(server.addr, &["--deep"], &[("MCP_ALLOWED_HOSTS", "other.example.com")]).await;
    assert!(!ok && err.contains("HTTP 403"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_checks_fail_clearly_when_nothing_listens() {
    let addr: SocketAddr = ([127, 0, 0, 1], free_port()).into();
    for args in [&[][..], &["--deep"][..]] {
        let (ok, err) = probe(addr, args, &[]).await;
        assert!(!ok, "{args:?}");
        assert!(err.starts_with("healthcheck failed: connect 127.0.0.1:"), "{args:?}: {err}");
    }
}
