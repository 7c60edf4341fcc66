//! The access log both shells write: one line per request on target
//! `mcp_handler::access` at `info`, from what the shell saw (method, path,
//! status, time, client) and what the endpoint recorded ([`Exchange`]).
//! Names and codes only: no header value but the session id, no argument.

use std::fmt;
use std::net::IpAddr;
use std::time::Duration;

use http::{Response, StatusCode, header};

use super::exchange::Exchange;
use crate::log_direct::{Fields, Record};

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
    let line = Line::new(seen, resp, x);
    if !crate::log_direct::info(TARGET, &line) {
        line.emit();
    }
}

/// One access line's values, in the order they are written.
struct Line<'a> {
    seen: Seen<'a>,
    status: u16,
    mode: &'static str,
    x: Option<&'a Exchange>,
    dotted: Option<Dotted>,
}

impl<'a> Line<'a> {
    fn new<B>(seen: Seen<'a>, resp: &Response<B>, x: Option<&'a Exchange>) -> Self {
        let mode = match resp.headers().get(header::CONTENT_TYPE).map(|v| v.as_bytes()) {
            Some(t) if t.starts_with(b"text/event-stream") => "sse",
            Some(t) if t.starts_with(b"application/json") => "json",
            _ if resp.status() == StatusCode::ACCEPTED => "accepted",
            _ => "other",
        };
        let dotted = seen.client.and_then(Dotted::of);
        Self { seen, status: resp.status().as_u16(), mode, x, dotted }
    }

    /// Through `tracing`: what any subscriber sees.
    fn emit(&self) {
        let (seen, x) = (&self.seen, self.x);
        let outcome = x.and_then(|x| x.outcome);
        let refusal = x.and_then(|x| x.refusal);
        let client: Option<&dyn fmt::Display> = match (&self.dotted, &seen.client) {
            (Some(d), _) => Some(d),
            (None, Some(ip)) => Some(ip),
            (None, None) => None,
        };
        tracing::info!(
            target: TARGET,
            http_method = %seen.method,
            path = seen.path,
            status = self.status,
            // Whole microseconds: `0.031`, not `0.031238000000000002`.
            duration_ms = millis(seen.elapsed),
            mode = self.mode,
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
}

impl Fields for Line<'_> {
    /// The same fields, in the same order, written as the log layer
    /// writes them (`log_direct`); absent ones are left out, as `tracing`
    /// leaves out a `None`.
    fn record<R: Record>(&self, v: &mut R) {
        let (seen, x) = (&self.seen, self.x);
        let outcome = x.and_then(|x| x.outcome);
        let refusal = x.and_then(|x| x.refusal);
        // Each name a constant at its call, for `Visitor`'s inlined writes.
        macro_rules! opt_str {
            ($($name:literal: $value:expr),+) => {$(
                if let Some(value) = $value {
                    v.str($name, value);
                }
            )+};
        }
        v.str("message", "request");
        v.unquoted("http_method", seen.method.as_str());
        v.str("path", seen.path);
        v.u64("status", u64::from(self.status));
        v.f64("duration_ms", millis(seen.elapsed));
        v.str("mode", self.mode);
        opt_str!(
            "mcp_method": x.and_then(|x| x.method),
            "name": x.and_then(|x| x.name.as_deref()),
            "outcome": outcome.map(|o| o.label())
        );
        if let Some(code) = outcome.and_then(|o| o.code()) {
            v.i64("error_code", i64::from(code));
        }
        opt_str!(
            "protocol_version": x.and_then(|x| x.protocol_version),
            "session": x.and_then(|x| x.session.as_deref()),
            "principal": x.and_then(|x| x.principal.as_deref()),
            "request_id": x.and_then(|x| x.request_id.as_deref())
        );
        match (&self.dotted, seen.client) {
            (Some(d), _) => v.unquoted("client", d.as_str()),
            (None, Some(ip)) => v.display("client", &ip),
            (None, None) => {}
        }
        opt_str!(
            "lambda_request_id": seen.lambda_request_id,
            "refusal": refusal.map(|r| r.reason),
            "hint": refusal.and_then(|r| r.hint)
        );
    }
}

/// `elapsed` in milliseconds, to the microsecond.
#[allow(clippy::cast_precision_loss, reason = "exact below 2^53 µs (285 years)")]
fn millis(elapsed: Duration) -> f64 {
    // Through u64: a u128 converts to a float in software.
    u64::try_from(elapsed.as_micros()).unwrap_or(u64::MAX) as f64 / 1000.0
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
            if octet >= 100 {
                d.push(b'0' + octet / 100);
            }
            if octet >= 10 {
                d.push(b'0' + octet / 10 % 10);
            }
            d.push(b'0' + octet % 10);
        }
        Some(d)
    }

    fn push(&mut self, b: u8) {
        // At most 15 bytes: four octets of three digits and three dots.
        if let Some(slot) = self.text.get_mut(self.len) {
            *slot = b;
            self.len += 1;
        }
    }
}

impl Dotted {
    fn as_str(&self) -> &str {
        std::str::from_utf8(&self.text[..self.len]).unwrap_or_default()
    }
}

impl fmt::Display for Dotted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::exchange::Refusal;
    use crate::log_direct::{Direct, format_info};
    use crate::log_format::tests::Captured;
    use crate::outcome::Outcome;

    /// The line the installed layer writes for `line`: text without time,
    /// or JSON.
    fn through_tracing(line: &Line<'_>, json: bool) -> String {
        use tracing_subscriber::layer::SubscriberExt as _;
        let buf = Captured::default();
        let layer = tracing_subscriber::fmt::layer()
            .with_ansi(false)
            .with_writer(buf.clone())
            .with_timer(crate::log_format::CachedTime);
        if json {
            let sub = tracing_subscriber::registry().with(layer.json().flatten_event(true).with_current_span(false));
            tracing::subscriber::with_default(sub, || line.emit());
        } else {
            let layer = layer.with_target(false).without_time().fmt_fields(crate::log_format::PlainFields);
            tracing::subscriber::with_default(tracing_subscriber::registry().with(layer), || line.emit());
        }
        buf.text()
    }

    /// A JSON line with its timestamp's value taken out.
    fn untimed(line: &str) -> String {
        let rest = line.strip_prefix(r#"{"timestamp":""#).unwrap();
        rest.split_once('"').unwrap().1.to_owned()
    }

    #[test]
    fn a_line_written_directly_is_the_line_tracing_writes() {
        let full = Exchange {
            method: Some("tools/call"),
            name: Some("has \"quotes\", é and \u{1b}[31m".into()),
            registered: Some(0),
            request_id: Some("7".into()),
            outcome: Some(Outcome::Error(-32602)),
            protocol_version: Some("2025-11-25"),
            session: Some("abc\ndef".into()),
            refusal: Some(Refusal { reason: "host", hint: Some("set MCP_ALLOWED_HOSTS") }),
            principal: Some("user@example.com".into()),
        };
        let ok = Exchange { method: Some("initialize"), outcome: Some(Outcome::Ok), ..Exchange::default() };
        let tool = Exchange { outcome: Some(Outcome::ToolError), refusal: None, ..full.clone() };
        let exchanges = [None, Some(&full), Some(&ok), Some(&tool)];
        let clients: [Option<IpAddr>; 3] = [None, Some([10, 0, 0, 255].into()), Some("2001:db8::1".parse().unwrap())];
        let methods = [http::Method::POST, http::Method::GET, http::Method::DELETE];
        let types = [Some("application/json"), Some("text/event-stream"), None];
        let elapsed = [Duration::ZERO, Duration::from_micros(31), Duration::from_secs_f64(1.234_567_8)];
        let mut checked = 0;
        for (i, x) in exchanges.into_iter().enumerate() {
            for (j, client) in clients.into_iter().enumerate() {
                let k = i + j;
                let seen = Seen {
                    method: &methods[k % 3],
                    path: if k % 2 == 0 { "/mcp" } else { "/a \"b\"\tc" },
                    elapsed: elapsed[k % 3],
                    client,
                    lambda_request_id: (k % 2 == 1).then_some("3f2a-11"),
                };
                let mut resp = Response::new(());
                if let Some(t) = types[k % 3] {
                    resp.headers_mut().insert(header::CONTENT_TYPE, http::HeaderValue::from_static(t));
                } else if k % 2 == 0 {
                    *resp.status_mut() = StatusCode::ACCEPTED;
                }
                let line = Line::new(seen, &resp, x);
                let mut text = String::new();
                format_info(&mut text, Direct::Text { timestamps: false }, TARGET, &line).unwrap();
                assert_eq!(text, through_tracing(&line, false));
                let mut json = String::new();
                format_info(&mut json, Direct::Json, TARGET, &line).unwrap();
                assert_eq!(untimed(&json), untimed(&through_tracing(&line, true)));
                checked += 1;
            }
        }
        assert_eq!(checked, 12);
    }

    #[test]
    fn dotted_addresses_read_as_display_writes_them() {
        for ip in ["0.0.0.0", "127.0.0.1", "10.20.100.255", "255.255.255.255", "1.10.100.9"] {
            let ip: IpAddr = ip.parse().unwrap();
            assert_eq!(Dotted::of(ip).unwrap().to_string(), ip.to_string());
        }
        assert!(Dotted::of("::1".parse().unwrap()).is_none());
    }
}
