//! SigV4: with fixed credentials every request carries a signature over
//! its own time and body, in the form Function URLs with `AuthType:
//! AWS_IAM` check. (The server here only records; no AWS is reached.)
#![cfg(feature = "sigv4")]

mod load_common;

use load_common::{FakeServer, Reply, Seen, quick, run};
use mcp_handler_benches::load::SigV4;
use mcp_handler_benches::payload::SMALL_TEXT;
use sha2::{Digest, Sha256};

fn signed_run(n: u64, token: Option<&str>, fixed_id: bool) -> anyhow::Result<Vec<Seen>> {
    let server = FakeServer::start(|s| Reply::echo(s, SMALL_TEXT))?;
    let sigv4 = SigV4::new().with_region("eu-west-1").with_static_credentials("AKID", "SECRET", token.map(Into::into));
    let mut config = quick(&server.url(), n)?.with_connections(1)?.with_sigv4(sigv4);
    if fixed_id {
        config = config.with_fixed_id();
    }
    let outcome = run(&config)?;
    assert_eq!(outcome.run.ok, n, "{:?}", outcome.run.errors);
    Ok(server.seen())
}

fn signature(s: &Seen) -> &str {
    s.header("authorization").and_then(|a| a.rsplit_once("Signature=")).map_or("", |(_, sig)| sig)
}

#[test]
fn every_request_is_signed_for_lambda_with_its_body_hash() -> anyhow::Result<()> {
    let seen = signed_run(5, Some("TOKEN"), false)?;
    assert_eq!(seen.len(), 5);
    for s in &seen {
        let date = s.header("x-amz-date").unwrap_or_default();
        assert_eq!(date.len(), 16, "X-Amz-Date is YYYYMMDD'T'HHMMSS'Z': {date}");
        let auth = s.header("authorization").unwrap_or_default();
        let scope = format!("AWS4-HMAC-SHA256 Credential=AKID/{}/eu-west-1/lambda/aws4_request, ", &date[..8]);
        assert!(auth.starts_with(&scope), "{auth}");
        let signed = auth.split("SignedHeaders=").nth(1).and_then(|r| r.split(',').next()).unwrap_or_default();
        for h in ["host", "content-type", "mcp-protocol-version", "x-amz-content-sha256", "x-amz-date"] {
            assert!(signed.split(';').any(|x| x == h), "{h} is not signed: {signed}");
        }
        assert_eq!(signature(s).len(), 64);
        assert_eq!(s.header("x-amz-security-token"), Some("TOKEN"));
        let hash: String = Sha256::digest(&s.body).iter().map(|b| format!("{b:02x}")).collect();
        assert_eq!(s.header("x-amz-content-sha256"), Some(hash.as_str()));
    }
    Ok(())
}

#[test]
fn the_signature_follows_the_body() -> anyhow::Result<()> {
    // Bodies differ by their id: requests signed in the same second still
    // carry different signatures...
    let seen = signed_run(6, None, false)?;
    assert!(seen.iter().all(|s| s.header("x-amz-security-token").is_none()));
    let same_second: Vec<&Seen> =
        seen.iter().filter(|s| s.header("x-amz-date") == seen[0].header("x-amz-date")).collect();
    assert!(same_second.len() >= 2, "six quick requests span at most two seconds");
    for pair in same_second.windows(2) {
        assert_ne!(pair[0].body, pair[1].body);
        assert_ne!(signature(pair[0]), signature(pair[1]));
    }
    // ...while the same body at the same time signs the same (no hidden randomness).
    let seen = signed_run(6, None, true)?;
    let same: Vec<&Seen> = seen.iter().filter(|s| s.header("x-amz-date") == seen[0].header("x-amz-date")).collect();
    assert!(same.len() >= 2);
    assert!(same.windows(2).all(|p| signature(p[0]) == signature(p[1])));
    Ok(())
}
