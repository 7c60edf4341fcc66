//! Rate limiting: a token bucket per client (its session, else the
//! principal an auth layer set, else its address), for every JSON-RPC
//! request and, where a tool has its own limit, for that tool's calls.
//!
//! State lives in this process's memory: a fleet of N instances lets a
//! client through up to N times the limit (put a shared limiter in front
//! when that matters). The table of buckets is bounded: buckets that have
//! refilled are forgotten first, and a table still full is cleared rather
//! than allowed to grow with every address a flood can forge.

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use http::header::{self, HeaderName, HeaderValue};
use http::{Response, StatusCode};

use super::admission::ClientKey;
use super::body::McpBody;
use super::responses::refuse;
use crate::error::{ErrorCode, McpError};
use crate::jsonrpc::RequestId;
use crate::outbox::lock;

/// Buckets kept at most (one per client and limited tool).
const MAX_BUCKETS: usize = 65_536;

/// The address of the client a request came from, as the shell saw it (the
/// TCP peer, or the platform's source IP). Shells add it to the request's
/// extensions when a rate limit needs it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct ClientAddress(pub IpAddr);

/// A token bucket's shape: `rate` requests a second on average, `burst` at
/// once.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    per_second: f64,
    burst: u32,
}

impl RateLimit {
    /// `n` requests a second, with a burst of `n`.
    pub fn per_second(n: u32) -> Self {
        Self { per_second: f64::from(n.max(1)), burst: n.max(1) }
    }
    /// `n` requests a minute, with a burst of `n`.
    pub fn per_minute(n: u32) -> Self {
        Self { per_second: f64::from(n.max(1)) / 60.0, burst: n.max(1) }
    }
    /// Sets how many requests may come at once after a quiet spell.
    #[must_use]
    pub fn with_burst(mut self, burst: u32) -> Self {
        self.burst = burst.max(1);
        self
    }
    /// `100/s`, `600/m`, optionally `:BURST` (`10/s:50`); `None` otherwise.
    pub fn parse(text: &str) -> Option<Self> {
        let (rate, burst) = match text.trim().split_once(':') {
            Some((r, b)) => (r, Some(b.trim().parse::<u32>().ok().filter(|b| *b > 0)?)),
            None => (text.trim(), None),
        };
        let (n, unit) = rate.split_once('/')?;
        let n = n.trim().parse::<u32>().ok().filter(|n| *n > 0)?;
        let limit = match unit.trim() {
            "s" => Self::per_second(n),
            "m" => Self::per_minute(n),
            _ => return None,
        };
        Some(burst.map_or(limit, |b| limit.with_burst(b)))
    }
    /// The window the `RateLimit` headers describe: how long a full burst
    /// takes to refill, in whole seconds.
    fn window_secs(self) -> u64 {
        (f64::from(self.burst) / self.per_second).ceil().max(1.0) as u64
    }
}

/// Who a bucket belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub(crate) enum RateKey {
    Client(ClientKey),
    Address(IpAddr),
}

impl RateKey {
    /// The session or principal, else the address: the trusted proxy's
    /// header (its last entry, the one the proxy itself appended), else
    /// the shell's [`ClientAddress`].
    pub(crate) fn of(
        client: Option<ClientKey>,
        parts: &http::request::Parts,
        trusted_header: Option<&HeaderName>,
    ) -> Option<Self> {
        if let Some(c) = client {
            return Some(Self::Client(c));
        }
        let forwarded = trusted_header.and_then(|name| forwarded(&parts.headers, name));
        forwarded.or_else(|| parts.extensions.get::<ClientAddress>().map(|a| a.0)).map(Self::Address)
    }
}

/// The client a trusted proxy names in `name`: its last entry, the one the
/// proxy itself appended (earlier ones are the client's to forge).
pub(crate) fn forwarded(headers: &http::HeaderMap, name: &HeaderName) -> Option<IpAddr> {
    let last = headers.get_all(name).iter().next_back()?.to_str().ok()?;
    last.rsplit(',').next()?.trim().parse::<IpAddr>().ok()
}

/// A bucket's owner: the client, and the tool for a tool's own limit.
type BucketKey = (RateKey, Option<Arc<str>>);

struct Bucket {
    tokens: f64,
    updated: Instant,
}

/// Every bucket of one endpoint.
#[derive(Default)]
pub(crate) struct Limiter {
    buckets: Mutex<HashMap<BucketKey, Bucket>>,
}

/// A request over its limit: when the next one may come.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Limited {
    pub(crate) limit: RateLimit,
    pub(crate) retry_after: Duration,
}

impl Limiter {
    /// Takes `n` tokens from the bucket of `key` (and `tool`, for a tool's
    /// own limit), or says when there will be enough.
    pub(crate) fn take(&self, key: &RateKey, tool: Option<&Arc<str>>, limit: RateLimit, n: u32) -> Result<(), Limited> {
        let now = Instant::now();
        let mut buckets = lock(&self.buckets);
        if buckets.len() >= MAX_BUCKETS && !buckets.contains_key(&(key.clone(), tool.cloned())) {
            let full = |b: &Bucket| b.tokens + now.duration_since(b.updated).as_secs_f64() * limit.per_second;
            buckets.retain(|_, b| full(b) < f64::from(limit.burst));
            if buckets.len() >= MAX_BUCKETS {
                tracing::warn!("rate-limit table full; clearing it");
                buckets.clear();
            }
        }
        let burst = f64::from(limit.burst);
        let bucket = buckets.entry((key.clone(), tool.cloned())).or_insert(Bucket { tokens: burst, updated: now });
        let refilled = now.duration_since(bucket.updated).as_secs_f64() * limit.per_second;
        bucket.tokens = (bucket.tokens + refilled).min(burst);
        bucket.updated = now;
        let want = f64::from(n);
        if bucket.tokens >= want {
            bucket.tokens -= want;
            return Ok(());
        }
        let missing = want.min(burst) - bucket.tokens;
        Err(Limited { limit, retry_after: Duration::from_secs_f64(missing / limit.per_second) })
    }
}

impl Limited {
    /// Whole seconds until a retry may pass (at least one).
    fn retry_secs(self) -> u64 {
        self.retry_after.as_secs_f64().ceil().max(1.0) as u64
    }

    /// The JSON-RPC error: the body of the `429`, and what a batch member
    /// gets in its place.
    pub(crate) fn error(self) -> McpError {
        let secs = self.retry_secs();
        McpError::new(ErrorCode(-32000), format!("Too Many Requests: rate limit reached; retry in {secs} s"))
    }
}

/// `429` with `Retry-After`, the `RateLimit-Policy` and `RateLimit` headers
/// (draft-ietf-httpapi-ratelimit-headers) and a JSON-RPC error.
pub(crate) fn too_many(limited: Limited, id: Option<&RequestId>) -> Response<McpBody> {
    let secs = limited.retry_secs();
    let mut resp = refuse(StatusCode::TOO_MANY_REQUESTS, id, &limited.error());
    let h = resp.headers_mut();
    let policy = format!("\"mcp\";q={};w={}", limited.limit.burst, limited.limit.window_secs());
    for (name, value) in [
        (header::RETRY_AFTER, secs.to_string()),
        (HeaderName::from_static("ratelimit-policy"), policy),
        (HeaderName::from_static("ratelimit"), format!("\"mcp\";r=0;t={secs}")),
    ] {
        if let Ok(v) = HeaderValue::from_str(&value) {
            h.insert(name, v);
        }
    }
    resp
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_parse_from_text() {
        assert_eq!(RateLimit::parse("100/s"), Some(RateLimit::per_second(100)));
        assert_eq!(RateLimit::parse(" 600/m "), Some(RateLimit::per_minute(600)));
        assert_eq!(RateLimit::parse("10/s:50"), Some(RateLimit::per_second(10).with_burst(50)));
        for bad in ["", "10", "0/s", "10/h", "10/s:0", "x/s", "10/s:y"] {
            assert_eq!(RateLimit::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn a_bucket_lets_a_burst_through_then_refuses_with_the_wait() {
        let l = Limiter::default();
        let key = RateKey::Address([10, 0, 0, 1].into());
        let limit = RateLimit::per_second(2).with_burst(3);
        assert!(l.take(&key, None, limit, 3).is_ok());
        let refused = l.take(&key, None, limit, 1).unwrap_err();
        assert!(refused.retry_after > Duration::from_millis(400) && refused.retry_after <= Duration::from_millis(500));
        // Another client, and the same client's limited tool, have their own buckets.
        assert!(l.take(&RateKey::Address([10, 0, 0, 2].into()), None, limit, 1).is_ok());
        assert!(l.take(&key, Some(&Arc::from("t")), limit, 1).is_ok());
    }

    #[test]
    fn the_trusted_header_s_last_entry_names_the_client() {
        let (mut parts, ()) = http::Request::new(()).into_parts();
        parts.headers.append("x-forwarded-for", HeaderValue::from_static("6.6.6.6, 203.0.113.7"));
        parts.extensions.insert(ClientAddress([10, 0, 0, 9].into()));
        let name = HeaderName::from_static("x-forwarded-for");
        assert_eq!(RateKey::of(None, &parts, Some(&name)), Some(RateKey::Address([203, 0, 113, 7].into())));
        assert_eq!(RateKey::of(None, &parts, None), Some(RateKey::Address([10, 0, 0, 9].into())));
        let session = Some(ClientKey::Session("s".into()));
        assert!(matches!(RateKey::of(session, &parts, Some(&name)), Some(RateKey::Client(_))));
    }
}
