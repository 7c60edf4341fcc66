//! Header checks that run before a body is read.

use http::header::{ACCEPT, CONTENT_LENGTH, CONTENT_TYPE, HOST, ORIGIN};
use http::{HeaderMap, HeaderValue, Uri};

use super::config::{EndpointConfig, HostPolicy, OriginPolicy};
use super::negotiate::{self, VERSION_HEADER};
use crate::version::ProtocolVersion;

const LOCAL_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The refusal of a `Host` that is not allowed, here and in the shells.
pub(crate) const HOST_REFUSED: &str = "Forbidden: Host header is not allowed";

/// The host part of `host[:port]`, keeping IPv6 brackets (and leaving a
/// bare IPv6 literal whole rather than splitting it at its last colon).
fn strip_port(authority: &str) -> &str {
    if authority.starts_with('[') {
        return authority.find(']').map_or(authority, |i| &authority[..=i]);
    }
    // Back over the port's digits to its colon: a byte scan, as this runs
    // on every request (`rsplit_once` searches for the colon first).
    let b = authority.as_bytes();
    let digits = b.iter().rev().take_while(|c| c.is_ascii_digit()).count();
    match b.len().checked_sub(digits + 1) {
        Some(colon) if b[colon] == b':' && !b[..colon].contains(&b':') => &authority[..colon],
        _ => authority,
    }
}

/// Whether two `host[:port]` values name the same host: ports, ASCII case
/// and surrounding blanks ignored, loopback names equal. The shells' check
/// against a front door's domain (`shell::host_matches`).
pub(crate) fn same_host(a: &str, b: &str) -> bool {
    let (a, b) = (strip_port(a.trim()), strip_port(b.trim()));
    a.eq_ignore_ascii_case(b) || (is_local(a) && is_local(b))
}

fn is_local(host: &str) -> bool {
    LOCAL_HOSTS.iter().any(|l| l.eq_ignore_ascii_case(host))
}

/// The request headers the checks before the body read, found in one pass
/// over the map. A lookup by name hashes the name and probes the map, about
/// 110 instructions for a standard name and 240 for `MCP-Protocol-Version`,
/// and a POST reads six; the pass costs about as much as one.
pub(crate) struct Head<'a> {
    headers: &'a HeaderMap,
    host: Option<&'a HeaderValue>,
    origin: Option<&'a HeaderValue>,
    content_type: Option<&'a HeaderValue>,
    content_length: Option<&'a HeaderValue>,
    /// The first `Accept`, and whether there are more.
    accept: Option<&'a HeaderValue>,
    more_accept: bool,
    version: Option<&'a HeaderValue>,
}

impl<'a> Head<'a> {
    /// Finds each header's first value: what `HeaderMap::get` returns, as
    /// the map yields a name's values in order.
    pub(crate) fn scan(headers: &'a HeaderMap) -> Self {
        let mut head = Head {
            headers,
            host: None,
            origin: None,
            content_type: None,
            content_length: None,
            accept: None,
            more_accept: false,
            version: None,
        };
        for (name, value) in headers {
            let slot = if *name == HOST {
                &mut head.host
            } else if *name == CONTENT_TYPE {
                &mut head.content_type
            } else if *name == CONTENT_LENGTH {
                &mut head.content_length
            } else if *name == ACCEPT {
                head.more_accept |= head.accept.is_some();
                &mut head.accept
            } else if *name == ORIGIN {
                &mut head.origin
            } else if *name == VERSION_HEADER {
                &mut head.version
            } else {
                continue;
            };
            slot.get_or_insert(value);
        }
        head
    }

    /// The `MCP-Protocol-Version` header: `Ok(None)` when absent,
    /// `Err(text)` when it names a revision this server does not serve.
    pub(crate) fn version(&self) -> Result<Option<ProtocolVersion>, String> {
        negotiate::version_of(self.version)
    }

    /// The `Content-Length` a client declared, when it is a number.
    pub(crate) fn declared_length(&self) -> Option<u64> {
        self.content_length?.to_str().ok()?.parse().ok()
    }
}

/// `Err(reason)` when the `Host` or `Origin` header is not allowed; `uri`
/// gives the host when no `Host` header does (HTTP/2's `:authority`).
pub(crate) fn check_host_and_origin(head: &Head<'_>, uri: &Uri, config: &EndpointConfig) -> Result<(), &'static str> {
    let host = head.host.and_then(|v| v.to_str().ok()).or_else(|| uri.authority().map(|a| a.as_str()));
    match &config.hosts {
        HostPolicy::Any => {}
        HostPolicy::Localhost => match host {
            Some(h) if is_local(strip_port(h)) => {}
            _ => return Err(HOST_REFUSED),
        },
        HostPolicy::List(list) => match host {
            Some(h) if list.iter().any(|a| a.eq_ignore_ascii_case(strip_port(h)) || a.eq_ignore_ascii_case(h)) => {}
            _ => return Err(HOST_REFUSED),
        },
    }
    let Some(origin) = head.origin else { return Ok(()) };
    let Ok(origin) = origin.to_str() else { return Err("Forbidden: Origin header is not allowed") };
    let ok = match &config.origins {
        OriginPolicy::Any => true,
        OriginPolicy::List(list) => list.iter().any(|o| o.eq_ignore_ascii_case(origin.trim_end_matches('/'))),
        OriginPolicy::SameHostOrLocalhost => match origin_authority(origin) {
            Some(auth) => is_local(strip_port(auth)) || host.is_some_and(|h| h.eq_ignore_ascii_case(auth)),
            None => false,
        },
    };
    if ok { Ok(()) } else { Err("Forbidden: Origin header is not allowed") }
}

/// `host[:port]` of an `http(s)://` origin; `None` for `null` and others.
fn origin_authority(origin: &str) -> Option<&str> {
    let rest = origin.strip_prefix("http://").or_else(|| origin.strip_prefix("https://"))?;
    let auth = rest.trim_end_matches('/');
    (!auth.is_empty() && !auth.contains('/')).then_some(auth)
}

/// Whether the request's body is declared as JSON.
pub(crate) fn is_json_content(head: &Head<'_>) -> bool {
    let Some(value) = head.content_type else { return false };
    // What nearly every client sends, recognised without splitting.
    if value.as_bytes() == b"application/json" {
        return true;
    }
    value
        .to_str()
        .ok()
        .and_then(|v| v.split(';').next())
        .is_some_and(|m| m.trim().eq_ignore_ascii_case("application/json"))
}

/// What the client's `Accept` allows.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Accepts {
    pub(crate) json: bool,
    pub(crate) sse: bool,
}

/// The values clients send nearly always, recognised without splitting.
fn common_accept(value: &[u8]) -> Option<Accepts> {
    Some(match value {
        b"application/json, text/event-stream"
        | b"text/event-stream, application/json"
        | b"application/json,text/event-stream"
        | b"*/*" => Accepts { json: true, sse: true },
        b"application/json" => Accepts { json: true, sse: false },
        b"text/event-stream" => Accepts { json: false, sse: true },
        _ => return None,
    })
}

pub(crate) fn accepts(head: &Head<'_>) -> Accepts {
    if let (Some(only), false) = (head.accept, head.more_accept)
        && let Some(known) = common_accept(only.as_bytes())
    {
        return known;
    }
    parse_accept(head.headers.get_all(ACCEPT))
}

/// The general parse of every `Accept` header: lists, parameters, `q=0`.
fn parse_accept<'a>(values: impl IntoIterator<Item = &'a http::HeaderValue>) -> Accepts {
    let mut out = Accepts { json: false, sse: false };
    let mut any_header = false;
    for value in values {
        any_header = true;
        let Ok(value) = value.to_str() else { continue };
        for item in value.split(',') {
            let mut params = item.split(';');
            let media = params.next().unwrap_or("").trim();
            // `q=0` means "not acceptable".
            let refused = params.any(|p| {
                let p = p.trim();
                p.strip_prefix("q=").is_some_and(|q| q.trim().parse::<f32>().is_ok_and(|q| q <= 0.0))
            });
            if refused {
                continue;
            }
            // Compared without lowercasing a copy: this runs on every POST.
            let is = |name: &str| media.eq_ignore_ascii_case(name);
            if is("*/*") {
                out.json = true;
                out.sse = true;
            } else if is("application/json") || is("application/*") {
                out.json = true;
            } else if is("text/event-stream") || is("text/*") {
                out.sse = true;
            }
        }
    }
    if !any_header {
        // No Accept header means anything goes (RFC 9110).
        return Accepts { json: true, sse: true };
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn strip_port_drops_only_a_numeric_port() {
        for (authority, host) in [
            ("127.0.0.1:8080", "127.0.0.1"),
            ("localhost", "localhost"),
            ("localhost:", "localhost"),
            ("example.com:80", "example.com"),
            ("example.com:8a0", "example.com:8a0"),
            ("8080", "8080"),
            ("[::1]:8080", "[::1]"),
            ("[::1]", "[::1]"),
            ("::1", "::1"),
            ("a:b:80", "a:b:80"),
            ("ünï.example:443", "ünï.example"),
            ("", ""),
            (":", ""),
        ] {
            assert_eq!(strip_port(authority), host, "{authority}");
        }
    }

    fn parts(headers: &[(&str, &str)]) -> http::request::Parts {
        let mut b = http::Request::builder().uri("/mcp");
        for (k, v) in headers {
            b = b.header(*k, *v);
        }
        b.body(()).unwrap().into_parts().0
    }

    fn check(headers: &[(&str, &str)], config: &EndpointConfig) -> Result<(), &'static str> {
        let parts = parts(headers);
        check_host_and_origin(&Head::scan(&parts.headers), &parts.uri, config)
    }

    fn accepts_of(headers: &[(&str, &str)]) -> Accepts {
        accepts(&Head::scan(&parts(headers).headers))
    }

    #[test]
    fn localhost_policy_refuses_rebound_hosts() {
        let c = EndpointConfig::default();
        assert!(check(&[("host", "127.0.0.1:8080")], &c).is_ok());
        assert!(check(&[("host", "[::1]:80")], &c).is_ok());
        assert!(check(&[("host", "LOCALHOST")], &c).is_ok());
        assert!(check(&[("host", "evil.example.com")], &c).is_err());
        assert!(check(&[("host", "localhost.evil.com")], &c).is_err());
        assert!(check(&[], &c).is_err());
    }

    #[test]
    fn without_a_host_header_the_authority_is_checked() {
        let c = EndpointConfig::default();
        let check_uri = |uri: &str| {
            let parts = http::Request::builder().uri(uri).body(()).unwrap().into_parts().0;
            check_host_and_origin(&Head::scan(&parts.headers), &parts.uri, &c)
        };
        assert!(check_uri("http://localhost:3000/mcp").is_ok());
        assert!(check_uri("http://evil.example/mcp").is_err());
    }

    #[test]
    fn the_scan_finds_what_get_finds() {
        let p = parts(&[
            ("x-first", "1"),
            ("host", "localhost"),
            ("mcp-protocol-version", "2025-06-18"),
            ("accept", "text/event-stream"),
            ("Host", "evil.example"),
            ("content-length", "12"),
            ("MCP-Protocol-Version", "1999-01-01"),
            ("accept", "application/json"),
            ("origin", "http://localhost"),
            ("content-type", "application/json"),
        ]);
        let head = Head::scan(&p.headers);
        for (found, name) in [
            (head.host, HOST),
            (head.origin, ORIGIN),
            (head.content_type, CONTENT_TYPE),
            (head.content_length, CONTENT_LENGTH),
            (head.accept, ACCEPT),
            (head.version, VERSION_HEADER),
        ] {
            assert_eq!(found, p.headers.get(&name), "{name}");
        }
        assert!(head.more_accept);
        assert_eq!(head.declared_length(), Some(12));
        assert_eq!(head.version(), Ok(Some(ProtocolVersion::V2025_06_18)));
        assert!(check_host_and_origin(&head, &p.uri, &EndpointConfig::default()).is_ok());
        let none = HeaderMap::new();
        let empty = Head::scan(&none);
        assert!(empty.host.is_none() && empty.accept.is_none() && !empty.more_accept);
        assert_eq!((empty.declared_length(), empty.version()), (None, Ok(None)));
    }

    #[test]
    fn origins_must_be_local_or_same_host() {
        let c = EndpointConfig::default().with_host_policy(HostPolicy::Any);
        let ok = |h: &str, o: &str| check(&[("host", h), ("origin", o)], &c).is_ok();
        assert!(ok("api.example.com", "https://api.example.com"));
        assert!(ok("api.example.com", "http://localhost:3000"));
        assert!(!ok("api.example.com", "https://evil.example.com"));
        assert!(!ok("api.example.com", "null"));
    }

    #[test]
    fn accept_is_parsed_with_wildcards_and_q_zero() {
        let a = accepts_of(&[("accept", "application/json, text/event-stream")]);
        assert!(a.json && a.sse);
        let a = accepts_of(&[("accept", "text/event-stream;q=0, application/json")]);
        assert!(a.json && !a.sse);
        let a = accepts_of(&[("accept", "Application/JSON, TEXT/Event-Stream")]);
        assert!(a.json && a.sse);
        let a = accepts_of(&[("accept", "text/html")]);
        assert!(!a.json && !a.sse);
        let a = accepts_of(&[]);
        assert!(a.json && a.sse);
    }

    #[test]
    fn json_content_types() {
        let json = |v: &str| is_json_content(&Head::scan(&parts(&[("content-type", v)]).headers));
        assert!(json("application/json"));
        assert!(json("Application/JSON; charset=utf-8"));
        assert!(json(" application/json ;charset=UTF-8"));
        assert!(!json("application/jsonx"));
        assert!(!json("text/plain"));
        assert!(!is_json_content(&Head::scan(&HeaderMap::new())));
    }

    #[test]
    fn common_values_agree_with_the_full_parse() {
        for v in [
            "application/json, text/event-stream",
            "text/event-stream, application/json",
            "application/json,text/event-stream",
            "*/*",
            "application/json",
            "text/event-stream",
        ] {
            let fast = common_accept(v.as_bytes()).expect("a common value");
            let slow = parse_accept([&http::HeaderValue::from_static(v)]);
            assert_eq!((fast.json, fast.sse), (slow.json, slow.sse), "{v}");
        }
        // Two headers are never taken by the fast path.
        let a = accepts_of(&[("accept", "application/json"), ("accept", "text/event-stream")]);
        assert!(a.json && a.sse);
    }
}
