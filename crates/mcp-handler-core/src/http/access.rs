//! The access log both shells write: one line per request on target
//! `mcp_handler::access` at `info`, from what the shell saw (method, path,
//! status, time, client) and what the endpoint recorded ([`Exchange`]).
//! Names and codes only: no header value but the session id, no argument.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use http::{Response, StatusCode, header};

use super::exchange::Exchange;
use crate::log_format::Decimal;

/// The log target, to route or filter access lines on their own
/// (`RUST_LOG=info,mcp_handler::access=off`).
pub const TARGET: &str = "mcp_handler::access";

/// What the shell saw of one request.
#[derive(Debug, Clone, Copy)]
pub struct Seen<'a> {
    /// The HTTP method.
    pub method: &'a http::Method,
    /// The request path.
    pub path: &'a str,
    /// From the request's arrival to the response head.
    pub elapsed: Duration,
    /// The peer's address (or the trusted proxy's word for it).
    pub client: Option<IpAddr>,
    /// On Lambda, the invocation's request id.
    pub lambda_request_id: Option<&'a str>,
}

/// Writes the line for `resp`, with the record in its extensions.
pub fn log<B>(seen: Seen<'_>, resp: &Response<B>) {
    log_exchange(seen, resp, Exchange::of(resp));
}

/// Writes the line for `resp` with `x`, the request's record as
/// [`McpService::handle_then`](crate::McpService::handle_then) hands it.
pub fn log_exchange<B>(seen: Seen<'_>, resp: &Response<B>, x: Option<&Exchange>) {
    if !tracing::enabled!(target: TARGET, tracing::Level::INFO) {
        return;
    }
    let mode = match resp.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()) {
        Some(t) if t.starts_with(b"text/event-stream") => "sse",
        Some(t) if t.starts_with(b"application/json") => "json",
        _ if resp.status() == StatusCode::ACCEPTED => "accepted",
        _ => "other",
    };
    let outcome = x.and_then(|x| x.outcome);
    let refusal = x.and_then(|x| x.refusal);
    let dotted = seen.client.and_then(Dotted::of);
    let client: Option<&dyn fmt::Display> = match (&dotted, &seen.client) {
        (Some(d), _) => Some(d),
        (None, Some(ip)) => Some(ip),
        (None, None) => None,
    };
    tracing::info!(
        target: TARGET,
        http_method = %seen.method,
        path = seen.path,
        status = resp.status().as_u16(),
        // Whole microseconds: `0.031`, not `0.031238000000000002`.
        duration_ms = millis(seen.elapsed),
        mode,
        mcp_method = x.and_then(|x| x.method),
        name = x.and_then(|x| x.name.as_deref()),
        outcome = outcome.map(|o| o.label()),
        error_code = outcome.and_then(|o| o.code()),
        protocol_version = x.and_then(|x| x.protocol_version),
        session = x.and_then(|x| x.session.as_deref()),
        principal = x.and_then(|x| x.principal.as_deref()),
        request_id = x.and_then(|x| x.request_id.as_deref()),
        client = client.map(tracing::field::display),
        lambda_request_id = seen.lambda_request_id,
        refusal = refusal.map(|r| r.reason),
        hint = refusal.and_then(|r| r.hint),
        "request"
    );
}

/// `elapsed` in milliseconds, to the microsecond.
#[allow(clippy::cast_precision_loss, reason = "exact below 2^53 µs (285 years)")]
fn millis(elapsed: Duration) -> f64 {
    elapsed.as_micros() as f64 / 1000.0
}

/// An IPv4 address as text, written without the formatter (an address is
/// on every access line, and `Ipv4Addr`'s `Display` formats four numbers
/// through it); IPv6 addresses keep their own `Display`.
struct Dotted {
    text: [u8; 15],
    len: usize,
}

impl Dotted {
    fn of(ip: IpAddr) -> Option<Self> {
        let IpAddr::V4(v4) = ip else { return None };
        let mut d = Self { text: [0; 15], len: 0 };
        for (i, octet) in v4.octets().into_iter().enumerate() {
            if i > 0 {
                d.push(b'.');
            }
            for &digit in Decimal::new(u64::from(octet), 1).as_str().as_bytes() {
                d.push(digit);
            }
        }
        Some(d)
    }

    fn push(&mut self, b: u8) {
        self.text[self.len] = b;
        self.len += 1;
    }
}

impl fmt::Display for Dotted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(std::str::from_utf8(&self.text[..self.len]).map_err(|_| fmt::Error)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dotted_addresses_read_as_display_writes_them() {
        for ip in ["0.0.0.0", "127.0.0.1", "10.20.100.255", "255.255.255.255", "1.10.100.9"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(Dotted::of(ip).unwrap().to_string(), ip.to_string());
        }
        assert!(Dotted::of("::1".parse().unwrap()).is_none());
    }
}
