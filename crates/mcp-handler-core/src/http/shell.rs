//! What every shell answers around the endpoint, written once: the health
//! probes, the Host check against a front door's domain, and the JSON-RPC
//! refusals a shell gives before the endpoint runs.
//!
//! These are functions, not a tower layer, on purpose: the server shell
//! returns the endpoint's future unboxed and unwrapped (its hot path), and a
//! layer would wrap every request to route the few that are probes. A shell
//! checks [`Probe::of`] beside its own routing and calls the endpoint
//! directly otherwise.

use std::fmt::Display;

use http::header::{self, HeaderValue};
use http::{Method, Response, StatusCode};

use super::body::McpBody;
use super::guard;
use super::responses::refuse;
use crate::error::McpError;

/// A health probe, or a metrics scrape. Probes skip the Host, Origin and
/// credential checks: the platform sends them with whatever `Host` it likes
/// and no token.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Probe {
    /// `/healthz`: the process answers HTTP. Never depends on anything
    /// else, so a platform does not restart a process that is only waiting.
    Live,
    /// `/readyz`: the process can serve (what it depends on is there).
    Ready,
    /// `/metrics`: a scrape of the shell's metrics. Read by a monitoring
    /// system with its own `Host` and no token, like the probes; a shell
    /// without metrics routes it like any other path.
    Metrics,
}

impl Probe {
    /// The probe `method path` asks for, if any. Probes are reads, `GET`
    /// or `HEAD`; any other method is left to the shell's routing.
    pub fn of(method: &Method, path: &str) -> Option<Self> {
        if method != Method::GET && method != Method::HEAD {
            return None;
        }
        match path {
            "/healthz" => Some(Self::Live),
            "/readyz" => Some(Self::Ready),
            "/metrics" => Some(Self::Metrics),
            _ => None,
        }
    }
}

/// A `text/plain` answer. Plain text, not JSON-RPC: probes and a shell's
/// own 404 are read by platforms and people, not by MCP clients.
pub fn plain_text(status: StatusCode, text: &'static str) -> Response<McpBody> {
    let mut r = Response::new(McpBody::full(text));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

/// The answer to [`Probe::Live`]: `200 ok`.
pub fn live() -> Response<McpBody> {
    plain_text(StatusCode::OK, "ok\n")
}

/// The answer to [`Probe::Ready`] given the shell's readiness: `200 ready`,
/// or `503 not ready`. Why it is not ready is logged, not sent: a probe
/// is often reachable from outside, and the reason may name a secret.
pub fn ready<E: Display>(readiness: Result<(), E>) -> Response<McpBody> {
    match readiness {
        Ok(()) => plain_text(StatusCode::OK, "ready\n"),
        Err(why) => {
            tracing::debug!(reason = %why, "not ready");
            plain_text(StatusCode::SERVICE_UNAVAILABLE, "not ready\n")
        }
    }
}

/// DNS-rebinding defence where the platform routes by host (API Gateway,
/// Lambda Function URLs): whether the `Host` a client sent names the
/// domain the front door was invoked on. Ports, ASCII case and surrounding
/// blanks are ignored, and loopback names are one machine (a local emulator
/// says `localhost` where the client dialled `127.0.0.1`). Nothing to
/// compare, no `Host` or an empty domain, is allowed: no browser sends a
/// request without `Host`, and an empty domain names no front door.
pub fn host_matches(host: Option<&str>, domain: &str) -> bool {
    let Some(host) = host else { return true };
    domain.is_empty() || guard::same_host(host, domain)
}

/// `403` with JSON-RPC `-32600`: the `Host` header is not allowed (the
/// same refusal the endpoint's own Host check gives).
/// Marked as a `host` refusal for the access log.
pub fn forbidden_host() -> Response<McpBody> {
    let mut r = refuse(StatusCode::FORBIDDEN, None, &McpError::invalid_request(guard::HOST_REFUSED));
    let hint = "the Host is not the front door's domain (API Gateway or Function URL)";
    super::exchange::refused(&mut r, "host", Some(hint));
    r
}

/// `503` with JSON-RPC `-32603` and `Retry-After: 1`: something the
/// request needs is missing right now (a secret not loaded yet), and a
/// retry soon may succeed. `why` is sent: it names what is missing.
pub fn unavailable(why: &str) -> Response<McpBody> {
    let mut r =
        refuse(StatusCode::SERVICE_UNAVAILABLE, None, &McpError::internal(format!("Service Unavailable: {why}")));
    r.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("1"));
    super::exchange::refused(
        &mut r,
        "unavailable",
        Some("something the request needs is not there yet (a secret: see /readyz)"),
    );
    r
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt as _;

    async fn body_of(r: Response<McpBody>) -> String {
        String::from_utf8(r.into_body().collect().await.unwrap().to_bytes().to_vec()).unwrap()
    }

    #[test]
    fn probes_are_reads_of_three_paths() {
        assert_eq!(Probe::of(&Method::GET, "/healthz"), Some(Probe::Live));
        assert_eq!(Probe::of(&Method::HEAD, "/healthz"), Some(Probe::Live));
        assert_eq!(Probe::of(&Method::GET, "/readyz"), Some(Probe::Ready));
        assert_eq!(Probe::of(&Method::GET, "/metrics"), Some(Probe::Metrics));
        assert_eq!(Probe::of(&Method::POST, "/metrics"), None);
        assert_eq!(Probe::of(&Method::POST, "/healthz"), None);
        assert_eq!(Probe::of(&Method::GET, "/mcp"), None);
        assert_eq!(Probe::of(&Method::GET, "/healthz/"), None);
    }

    #[tokio::test]
    async fn probe_answers_are_plain_text() {
        let r = live();
        assert_eq!(r.status(), 200);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "text/plain; charset=utf-8");
        assert_eq!(body_of(r).await, "ok\n");
        assert_eq!(body_of(ready(Ok::<(), &str>(()))).await, "ready\n");
        let r = ready(Err("secret AUTH_TOKEN"));
        assert_eq!(r.status(), 503);
        assert_eq!(body_of(r).await, "not ready\n", "the reason is logged, not sent");
    }

    #[test]
    fn host_matches_ignoring_port_case_and_blanks() {
        assert!(host_matches(Some("abc.lambda-url.us-east-1.on.aws"), "abc.lambda-url.us-east-1.on.aws"));
        assert!(host_matches(Some("ABC.Example.com:443"), "abc.example.com"));
        assert!(host_matches(Some("abc.example.com"), "abc.example.com:8443"));
        assert!(host_matches(Some(" abc.example.com "), "abc.example.com"));
        assert!(!host_matches(Some("evil.example.com"), "abc.example.com"));
        assert!(!host_matches(Some("abc.example.com.evil.com"), "abc.example.com"));
        assert!(!host_matches(Some("abc.example.com:bad"), "abc.example.com"));
    }

    #[test]
    fn ipv6_brackets_keep_their_port_apart() {
        assert!(host_matches(Some("[2001:db8::1]:443"), "[2001:db8::1]"));
        assert!(!host_matches(Some("[2001:db8::2]:443"), "[2001:db8::1]"));
        // A bare IPv6 literal is not split at its last colon.
        assert!(!host_matches(Some("2001:db8::1"), "2001:db8::"));
    }

    #[test]
    fn loopback_names_are_one_machine() {
        assert!(host_matches(Some("127.0.0.1:9000"), "localhost"));
        assert!(host_matches(Some("[::1]:9000"), "LOCALHOST"));
        assert!(host_matches(Some("localhost"), "127.0.0.1"));
        assert!(!host_matches(Some("localhost"), "abc.example.com"));
        assert!(!host_matches(Some("abc.example.com"), "localhost"));
    }

    #[test]
    fn nothing_to_compare_is_allowed() {
        assert!(host_matches(None, "abc.example.com"));
        assert!(host_matches(Some("evil.example.com"), ""));
    }

    #[tokio::test]
    async fn refusals_are_json_rpc_errors() {
        let r = forbidden_host();
        assert_eq!(r.status(), 403);
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            body_of(r).await,
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32600,"message":"Forbidden: Host header is not allowed"}}"#
        );
        let r = unavailable("secret AUTH_TOKEN (aws-ext:prod/mcp) is missing");
        assert_eq!(r.status(), 503);
        assert_eq!(r.headers()[header::RETRY_AFTER], "1");
        assert_eq!(r.headers()[header::CONTENT_TYPE], "application/json");
        assert_eq!(
            body_of(r).await,
            r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32603,"message":"Service Unavailable: secret AUTH_TOKEN (aws-ext:prod/mcp) is missing"}}"#
        );
    }
}
