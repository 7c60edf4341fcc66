//! What one load run does: the target, the scenario, how the load is offered.

use std::net::{SocketAddr, ToSocketAddrs};
use std::time::Duration;

use anyhow::{Context, bail};
use http::{HeaderName, HeaderValue, Uri};

use super::sigv4::SigV4;

/// Most connections one run opens: each is a socket (a file descriptor) and
/// a task, so a typo must not exhaust the machine.
pub const MAX_CONNECTIONS: u32 = 10_000;

/// Most `tools/call`s per `session` loop.
pub const MAX_SESSION_CALLS: u32 = 1_000_000;

/// When a run stops taking new requests.
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum Stop {
    /// After this long (warm-up excluded).
    After(Duration),
    /// After this many counted requests.
    Requests(u64),
}

/// One load run. Build it with [`Config::new`] and the `with_*` setters
/// (what the `mcp-bench` command line does), then hand it to [`super::run`].
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Config {
    pub(crate) target: Target,
    pub(crate) scenario: Scenario,
    pub(crate) connections: u32,
    pub(crate) stop: Stop,
    pub(crate) warmup: Duration,
    pub(crate) rate: Option<f64>,
    pub(crate) headers: Vec<(HeaderName, HeaderValue)>,
    pub(crate) sigv4: Option<SigV4>,
    pub(crate) fixed_id: bool,
    pub(crate) timeout: Duration,
    pub(crate) threads: usize,
    pub(crate) session_calls: u32,
}

impl Config {
    /// A closed-loop `call` run against `url` with the command line's
    /// defaults: 50 connections, 10 s after a 1 s warm-up, 5 s timeout, one
    /// thread per CPU this process may run on.
    pub fn new(url: &str) -> anyhow::Result<Self> {
        Ok(Self {
            target: Target::parse(url)?,
            scenario: Scenario::Call,
            connections: 50,
            stop: Stop::After(Duration::from_secs(10)),
            warmup: Duration::from_secs(1),
            rate: None,
            headers: Vec::new(),
            sigv4: None,
            fixed_id: false,
            timeout: Duration::from_secs(5),
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
            session_calls: 10,
        })
    }

    /// The request shape and sequence.
    pub fn with_scenario(mut self, scenario: Scenario) -> Self {
        self.scenario = scenario;
        self
    }

    /// Connections (closed loop: the concurrency; open loop: the pool).
    pub fn with_connections(mut self, n: u32) -> anyhow::Result<Self> {
        if n == 0 || n > MAX_CONNECTIONS {
            bail!("connections must be between 1 and {MAX_CONNECTIONS}, not {n}");
        }
        self.connections = n;
        Ok(self)
    }

    /// When to stop.
    pub fn with_stop(mut self, stop: Stop) -> anyhow::Result<Self> {
        match stop {
            Stop::After(d) if d.is_zero() => bail!("the duration must be positive"),
            Stop::Requests(0) => bail!("the request count must be positive"),
            _ => {}
        }
        self.stop = stop;
        Ok(self)
    }

    /// Load offered before the counted part (its answers are checked but not counted).
    pub fn with_warmup(mut self, warmup: Duration) -> Self {
        self.warmup = warmup;
        self
    }

    /// Open loop at `per_second` intended arrivals; latency then counts
    /// from each request's intended send time.
    pub fn with_rate(mut self, per_second: f64) -> anyhow::Result<Self> {
        if !per_second.is_finite() || per_second <= 0.0 || per_second > 1e9 {
            bail!("the rate must be a positive number of requests per second, not {per_second}");
        }
        self.rate = Some(per_second);
        Ok(self)
    }

    /// An extra header on every request, from `Name: value`.
    pub fn with_header(mut self, line: &str) -> anyhow::Result<Self> {
        let (name, value) = line.split_once(':').with_context(|| format!("header {line:?} is not `Name: value`"))?;
        let name = HeaderName::try_from(name.trim()).with_context(|| format!("bad header name in {line:?}"))?;
        let value = HeaderValue::try_from(value.trim()).with_context(|| format!("bad header value for {name}"))?;
        self.headers.push((name, value));
        Ok(self)
    }

    /// Sign every request with SigV4.
    pub fn with_sigv4(mut self, sigv4: SigV4) -> Self {
        self.sigv4 = Some(sigv4);
        self
    }

    /// Send `"id": 1` on every request (for servers that answer fixed bytes).
    pub fn with_fixed_id(mut self) -> Self {
        self.fixed_id = true;
        self
    }

    /// Per-request limit, counted from where latency counts (the intended
    /// send time in the open loop); connecting has its own, equal, limit.
    pub fn with_timeout(mut self, timeout: Duration) -> anyhow::Result<Self> {
        if timeout.is_zero() {
            bail!("the timeout must be positive");
        }
        self.timeout = timeout;
        Ok(self)
    }

    /// Worker threads (each runs its own single-threaded runtime).
    pub fn with_threads(mut self, n: usize) -> anyhow::Result<Self> {
        if n == 0 || n > 1024 {
            bail!("threads must be between 1 and 1024, not {n}");
        }
        self.threads = n;
        Ok(self)
    }

    /// `tools/call`s per `session` loop.
    pub fn with_session_calls(mut self, n: u32) -> anyhow::Result<Self> {
        if n > MAX_SESSION_CALLS {
            bail!("calls per session must be at most {MAX_SESSION_CALLS}, not {n}");
        }
        self.session_calls = n;
        Ok(self)
    }

    /// The URL as given.
    pub fn url(&self) -> &str {
        &self.target.url
    }
}

/// Where the load goes, resolved once before the run.
#[derive(Debug, Clone)]
pub(crate) struct Target {
    pub(crate) url: String,
    pub(crate) tls: bool,
    /// Host name for TLS (SNI) and for finding a Function URL's region.
    pub(crate) host: String,
    pub(crate) addrs: Vec<SocketAddr>,
    /// `Host` header value.
    pub(crate) authority: HeaderValue,
    /// Origin-form request target (`/mcp?x=y`).
    pub(crate) path: Uri,
}

impl Target {
    fn parse(url: &str) -> anyhow::Result<Self> {
        let uri: Uri = url.parse().with_context(|| format!("{url:?} is not a URL"))?;
        let tls = match uri.scheme_str() {
            Some("http") => false,
            Some("https") => true,
            _ => bail!("{url:?}: only http:// and https:// URLs are supported"),
        };
        let authority = uri.authority().with_context(|| format!("{url:?} has no host"))?;
        let host = authority.host().trim_start_matches('[').trim_end_matches(']').to_owned();
        let port = authority.port_u16().unwrap_or(if tls { 443 } else { 80 });
        let addrs: Vec<SocketAddr> =
            (host.as_str(), port).to_socket_addrs().with_context(|| format!("cannot resolve {host}"))?.collect();
        if addrs.is_empty() {
            bail!("{host} resolves to no address");
        }
        let path = uri.path_and_query().map_or("/", |p| p.as_str()).parse()?;
        Ok(Self { url: url.to_owned(), tls, host, addrs, authority: HeaderValue::from_str(authority.as_str())?, path })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn target_splits_what_the_connection_and_the_request_need() -> anyhow::Result<()> {
        let t = Target::parse("http://127.0.0.1:8080/mcp?x=1")?;
        assert!(!t.tls);
        assert_eq!(t.addrs, vec![SocketAddr::from(([127, 0, 0, 1], 8080))]);
        assert_eq!(t.authority, "127.0.0.1:8080");
        assert_eq!(t.path, "/mcp?x=1");
        let t = Target::parse("https://[::1]")?;
        assert!(t.tls);
        assert_eq!(t.host, "::1");
        assert_eq!(t.addrs[0].port(), 443);
        assert_eq!(t.path, "/");
        assert!(Target::parse("ftp://127.0.0.1/").is_err());
        assert!(Target::parse("/mcp").is_err());
        Ok(())
    }

    #[test]
    fn headers_and_bounds_are_checked() -> anyhow::Result<()> {
        let c = Config::new("http://127.0.0.1:1/")?.with_header("Authorization:  Bearer abc ")?;
        assert_eq!(c.headers[0].0, "authorization");
        assert_eq!(c.headers[0].1, "Bearer abc");
        assert!(Config::new("http://127.0.0.1:1/")?.with_header("no colon").is_err());
        assert!(Config::new("http://127.0.0.1:1/")?.with_connections(0).is_err());
        assert!(Config::new("http://127.0.0.1:1/")?.with_connections(MAX_CONNECTIONS + 1).is_err());
        assert!(Config::new("http://127.0.0.1:1/")?.with_rate(f64::NAN).is_err());
        assert!(Config::new("http://127.0.0.1:1/")?.with_stop(Stop::Requests(0)).is_err());
        Ok(())
    }
}

/// The request shape and sequence of a run.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
#[non_exhaustive]
pub enum Scenario {
    /// `tools/call echo` in the 2025-06-18 shape, no `initialize` first.
    Call,
    /// `tools/call echo` in the 2026-07-28 shape: `_meta` and routing headers.
    #[value(name = "call-2026")]
    Call2026,
    /// `tools/list`; the answer must list `echo`.
    List,
    /// `call` with a 10 KiB argument that must come back unchanged.
    Big,
    /// Per connection: initialize, initialized, list, N calls, DELETE; again.
    Session,
    /// Per connection: a 2025 session of N rounds of list, call, read and a
    /// streamed call in both generations, then DELETE; again. Needs the
    /// `everything` example server's fixtures.
    Mixed,
}

impl Scenario {
    /// The name the command line and the results use.
    pub fn name(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Call2026 => "call-2026",
            Self::List => "list",
            Self::Big => "big",
            Self::Session => "session",
            Self::Mixed => "mixed",
        }
    }
}
