//! The scenarios: which requests a connection sends, in which order, and
//! what each answer must hold. Requests are serialized once; a request
//! only adds its id (between two prebuilt halves of the body), its length,
//! the session and, with SigV4, its signature.

use http::HeaderValue;

use super::check::{ErrorKind, Expect};
use super::config::{Config, Scenario};
use super::mixed::{self, Fixture};
use super::sigv4::Signer;
use super::wire::{Body, Wire};
use crate::payload;

/// One request of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Initialize,
    Initialized,
    List,
    Call,
    Delete,
    /// Request `i` of a `mixed` round.
    Fixture(usize),
}

/// A connection's place in its scenario (only `session` and `mixed` have
/// more than one step).
#[derive(Debug)]
pub(crate) struct Script {
    scenario: Scenario,
    calls: u32,
    next: Step,
    calls_done: u32,
    session: Option<HeaderValue>,
}

impl Script {
    pub(crate) fn new(scenario: Scenario, calls: u32) -> Self {
        let next = match scenario {
            Scenario::Call | Scenario::Call2026 | Scenario::Big => Step::Call,
            Scenario::List => Step::List,
            Scenario::Session | Scenario::Mixed => Step::Initialize,
        };
        Self { scenario, calls, next, calls_done: 0, session: None }
    }

    /// The step to send now.
    pub(crate) fn current(&self) -> Step {
        self.next
    }

    /// The session the server gave at `initialize`, sent on every later request.
    pub(crate) fn session(&self) -> Option<&HeaderValue> {
        self.session.as_ref()
    }

    /// The current step was answered correctly; `session` is the answer's
    /// `Mcp-Session-Id` (read only after `initialize`).
    pub(crate) fn advance(&mut self, session: Option<&HeaderValue>) {
        if !self.has_sessions() {
            return;
        }
        self.next = match self.next {
            Step::Initialize => {
                self.session = session.cloned();
                Step::Initialized
            }
            Step::Initialized if self.scenario == Scenario::Mixed => Step::Fixture(0),
            Step::Initialized => Step::List,
            Step::Fixture(i) if i + 1 < mixed::LEN => Step::Fixture(i + 1),
            // A round is done: `calls` rounds per session.
            Step::Fixture(_) => {
                self.calls_done += 1;
                match () {
                    () if self.calls_done < self.calls => Step::Fixture(0),
                    () if self.session.is_some() => Step::Delete,
                    () => self.restart(),
                }
            }
            Step::List | Step::Call if self.calls_done < self.calls => {
                self.calls_done += 1;
                Step::Call
            }
            Step::List | Step::Call if self.session.is_some() => Step::Delete,
            Step::List | Step::Call | Step::Delete => self.restart(),
        };
    }

    /// A step failed: the session may be gone, start a new one (no DELETE).
    pub(crate) fn fail(&mut self) {
        if self.has_sessions() {
            self.next = self.restart();
        }
    }

    fn has_sessions(&self) -> bool {
        matches!(self.scenario, Scenario::Session | Scenario::Mixed)
    }

    fn restart(&mut self) -> Step {
        self.calls_done = 0;
        self.session = None;
        Step::Initialize
    }
}

/// Everything a connection needs to write its requests, shared read-only.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) scenario: Scenario,
    pub(crate) fixed_id: bool,
    pub(crate) session_calls: u32,
    text: String,
    call: Wire,
    list: Wire,
    initialize: Wire,
    initialized: Wire,
    delete: Wire,
    /// The `mixed` round (empty for the other scenarios).
    fixtures: Vec<Fixture>,
    /// Origin-form target, for signing.
    path: String,
}

const CLIENT_INFO: &str = concat!(r#"{"name":"mcp-bench","version":""#, env!("CARGO_PKG_VERSION"), r#""}"#);

impl Plan {
    pub(crate) fn new(config: &Config) -> anyhow::Result<Self> {
        let scenario = config.scenario;
        let text = match scenario {
            Scenario::Big => payload::big_text(),
            _ => payload::SMALL_TEXT.to_owned(),
        };
        let args = format!(r#""arguments":{{"text":{}}}"#, serde_json::to_string(&text)?);
        let tool = payload::TOOL;
        let call_body = match scenario {
            Scenario::Call2026 => Body::with_id(&format!(
                r#""method":"tools/call","params":{{"name":"{tool}",{args},"_meta":{{"io.modelcontextprotocol/protocolVersion":"{v}","io.modelcontextprotocol/clientCapabilities":{{}},"io.modelcontextprotocol/clientInfo":{CLIENT_INFO}}}}}}}"#,
                v = payload::VERSION_2026,
            )),
            _ => Body::with_id(&format!(r#""method":"tools/call","params":{{"name":"{tool}",{args}}}}}"#)),
        };
        let initialize_body = Body::with_id(&format!(
            r#""method":"initialize","params":{{"protocolVersion":"{v}","capabilities":{{}},"clientInfo":{CLIENT_INFO}}}}}"#,
            v = payload::VERSION_2025,
        ));

        // The user's headers replace the defaults of the same name.
        let user: Vec<(String, String)> = config
            .headers
            .iter()
            .map(|(k, v)| Ok((k.as_str().to_owned(), v.to_str()?.to_owned())))
            .collect::<Result<_, http::header::ToStrError>>()?;
        let headers = |extra: &[(&str, &str)], post: bool| {
            let host = ("host", config.target.authority.to_str().unwrap_or_default());
            let types: &[(&str, &str)] = if post {
                &[("content-type", "application/json"), ("accept", "application/json, text/event-stream")]
            } else {
                &[]
            };
            let mut all: Vec<(String, String)> = std::iter::once(&host)
                .chain(types)
                .chain(extra)
                .filter(|(k, _)| !user.iter().any(|(u, _)| u == k))
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
                .collect();
            all.extend(user.iter().cloned());
            all
        };
        let v2025 = ("mcp-protocol-version", payload::VERSION_2025);
        let call_extra: &[(&str, &str)] = match scenario {
            Scenario::Call2026 => &[
                ("mcp-protocol-version", payload::VERSION_2026),
                ("mcp-method", "tools/call"),
                ("mcp-name", payload::TOOL),
            ],
            _ => &[v2025],
        };
        let path = config.target.path.to_string();
        let list_body = Body::with_id(r#""method":"tools/list","params":{}}"#);
        let notification = Body::Fixed(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#);
        Ok(Self {
            scenario,
            fixed_id: config.fixed_id,
            session_calls: config.session_calls,
            text,
            call: Wire::new("POST", &path, headers(call_extra, true), call_body),
            list: Wire::new("POST", &path, headers(&[v2025], true), list_body),
            // The version header comes after initialization (the answer negotiates it).
            initialize: Wire::new("POST", &path, headers(&[], true), initialize_body),
            initialized: Wire::new("POST", &path, headers(&[v2025], true), notification),
            delete: Wire::new("DELETE", &path, headers(&[v2025], false), Body::None),
            fixtures: match scenario {
                Scenario::Mixed => mixed::round(&path, |extra| headers(extra, true)),
                _ => Vec::new(),
            },
            path,
        })
    }

    /// Writes the whole request for `step` with `id` into `out` (`body` is
    /// scratch space) and returns what its answer must hold.
    pub(crate) fn write(
        &self,
        step: Step,
        id: u64,
        mut session: Option<&HeaderValue>,
        signer: Option<&Signer>,
        out: &mut Vec<u8>,
        body: &mut Vec<u8>,
    ) -> Result<Expect<'_>, ErrorKind> {
        let (wire, expect) = match step {
            Step::Call => {
                (&self.call, Expect::Echo { text: &self.text, stateless: self.scenario == Scenario::Call2026 })
            }
            Step::List => (&self.list, Expect::Tools { name: payload::TOOL }),
            Step::Initialize => (&self.initialize, Expect::Initialized),
            Step::Initialized => (&self.initialized, Expect::Accepted),
            Step::Delete => (&self.delete, Expect::Deleted),
            Step::Fixture(i) => {
                // Only a `mixed` script steps here, and only below `mixed::LEN`.
                let f = self.fixtures.get(i).ok_or(ErrorKind::Parse)?;
                if f.stateless {
                    session = None;
                }
                (&f.wire, f.expect)
            }
        };
        body.clear();
        wire.body.write(id, self.fixed_id, body);
        out.clear();
        out.extend_from_slice(&wire.head);
        let header = |out: &mut Vec<u8>, name: &str, value: &[u8]| {
            out.extend_from_slice(name.as_bytes());
            out.extend_from_slice(b": ");
            out.extend_from_slice(value);
            out.extend_from_slice(b"\r\n");
        };
        if let Some(session) = session {
            header(out, "mcp-session-id", session.as_bytes());
        }
        if let Some(signer) = signer {
            let session = session.and_then(|s| s.to_str().ok()).map(|s| ("mcp-session-id", s));
            let fixed = wire.headers.iter().map(|(k, v)| (k.as_str(), v.as_str()));
            signer.sign(wire.method, &self.path, fixed.chain(session), body, |k, v| header(out, k, v.as_bytes()))?;
        }
        if !matches!(wire.body, Body::None) {
            header(out, "content-length", itoa::Buffer::new().format(body.len()).as_bytes());
        }
        out.extend_from_slice(b"\r\n");
        out.extend_from_slice(body);
        Ok(expect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The request `plan` writes, parsed back: headers and JSON body.
    fn written(plan: &Plan, step: Step, id: u64) -> anyhow::Result<(Vec<(String, String)>, serde_json::Value)> {
        let (mut out, mut body) = (Vec::new(), Vec::new());
        plan.write(step, id, None, None, &mut out, &mut body).map_err(|k| anyhow::anyhow!("{k:?}"))?;
        let mut headers = [httparse::EMPTY_HEADER; 32];
        let mut req = httparse::Request::new(&mut headers);
        let httparse::Status::Complete(len) = req.parse(&out)? else { anyhow::bail!("partial request") };
        let pairs: Vec<(String, String)> =
            req.headers.iter().map(|h| (h.name.to_owned(), String::from_utf8_lossy(h.value).into_owned())).collect();
        let length: usize = pairs.iter().find(|(k, _)| k == "content-length").map_or(Ok(0), |(_, v)| v.parse())?;
        assert_eq!(out.len() - len, length, "Content-Length matches the body");
        Ok((pairs, serde_json::from_slice(&out[len..])?))
    }

    fn get<'a>(headers: &'a [(String, String)], name: &str) -> Option<&'a str> {
        headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_str())
    }

    #[test]
    fn call_2026_carries_meta_and_routing_headers() -> anyhow::Result<()> {
        let config = Config::new("http://127.0.0.1:9/mcp")?.with_scenario(Scenario::Call2026);
        let plan = Plan::new(&config)?;
        let (h, v) = written(&plan, Step::Call, 42)?;
        assert_eq!(get(&h, "mcp-protocol-version"), Some(payload::VERSION_2026));
        assert_eq!(get(&h, "mcp-method"), Some("tools/call"));
        assert_eq!(get(&h, "mcp-name"), Some("echo"));
        assert_eq!(get(&h, "host"), Some("127.0.0.1:9"));
        assert_eq!(v["id"], 42);
        assert_eq!(v["params"]["arguments"]["text"], payload::SMALL_TEXT);
        assert_eq!(v["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], payload::VERSION_2026);
        assert_eq!(v["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]["name"], "mcp-bench");
        Ok(())
    }

    #[test]
    fn fixed_id_big_bodies_and_user_headers() -> anyhow::Result<()> {
        let config = Config::new("http://127.0.0.1:9/")?
            .with_scenario(Scenario::Big)
            .with_fixed_id()
            .with_header("Authorization: Bearer t")?
            .with_header("Host: example.com")?;
        let plan = Plan::new(&config)?;
        let (h, v) = written(&plan, Step::Call, 42)?;
        assert_eq!(v["id"], 1);
        assert_eq!(v["params"]["arguments"]["text"], payload::big_text());
        assert_eq!(get(&h, "authorization"), Some("Bearer t"));
        assert_eq!(h.iter().filter(|(k, _)| k == "host").count(), 1);
        assert_eq!(get(&h, "host"), Some("example.com"));
        Ok(())
    }

    #[test]
    fn session_requests_carry_the_session() -> anyhow::Result<()> {
        let plan = Plan::new(&Config::new("http://127.0.0.1:9/mcp")?.with_scenario(Scenario::Session))?;
        let (h, v) = written(&plan, Step::Initialize, 1)?;
        assert_eq!(v["method"], "initialize");
        assert_eq!(get(&h, "mcp-protocol-version"), None);
        let (mut out, mut body) = (Vec::new(), Vec::new());
        let sid = HeaderValue::from_static("s-1");
        assert_eq!(plan.write(Step::Delete, 9, Some(&sid), None, &mut out, &mut body), Ok(Expect::Deleted));
        let text = String::from_utf8(out)?;
        assert!(text.starts_with("DELETE /mcp HTTP/1.1\r\n"), "{text}");
        assert!(text.contains("mcp-session-id: s-1\r\n") && text.ends_with("\r\n\r\n"), "{text}");
        assert!(!text.contains("content-length"), "{text}");
        Ok(())
    }

    #[test]
    fn a_session_loop_lists_calls_deletes_and_starts_over() {
        let mut s = Script::new(Scenario::Session, 2);
        let id = HeaderValue::from_static("abc");
        let mut seen = Vec::new();
        for _ in 0..7 {
            seen.push(s.current());
            s.advance(Some(&id));
        }
        use Step::*;
        assert_eq!(seen, [Initialize, Initialized, List, Call, Call, Delete, Initialize]);
        // A server without sessions gets no DELETE.
        let mut s = Script::new(Scenario::Session, 1);
        let mut seen = Vec::new();
        for _ in 0..5 {
            seen.push(s.current());
            s.advance(None);
        }
        assert_eq!(seen, [Initialize, Initialized, List, Call, Initialize]);
        s.advance(None);
        s.fail();
        assert_eq!(s.current(), Initialize);
    }

    #[test]
    fn a_mixed_session_runs_its_rounds_then_deletes() {
        let mut s = Script::new(Scenario::Mixed, 2);
        let id = HeaderValue::from_static("abc");
        let mut seen = Vec::new();
        for _ in 0..(3 + 2 * mixed::LEN + 1) {
            seen.push(s.current());
            s.advance(Some(&id));
        }
        use Step::*;
        let round: Vec<Step> = (0..mixed::LEN).map(Fixture).collect();
        let expected: Vec<Step> = [Initialize, Initialized]
            .into_iter()
            .chain(round.clone())
            .chain(round)
            .chain([Delete, Initialize])
            .collect();
        assert_eq!(seen, expected);
    }

    #[test]
    fn mixed_requests_are_the_fixtures_in_both_shapes() -> anyhow::Result<()> {
        let plan = Plan::new(&Config::new("http://127.0.0.1:9/mcp")?.with_scenario(Scenario::Mixed))?;
        let sid = HeaderValue::from_static("s-1");
        let mut methods = Vec::new();
        for i in 0..mixed::LEN {
            let (mut out, mut body) = (Vec::new(), Vec::new());
            plan.write(Step::Fixture(i), 5, Some(&sid), None, &mut out, &mut body)
                .map_err(|k| anyhow::anyhow!("{k:?}"))?;
            let text = String::from_utf8(out)?;
            let (h, v) = written(&plan, Step::Fixture(i), 5)?;
            assert_eq!(v["id"], 5);
            let stateless = get(&h, "mcp-protocol-version") == Some(payload::VERSION_2026);
            assert_eq!(text.contains("mcp-session-id: s-1"), !stateless, "{text}");
            if stateless {
                assert_eq!(v["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], payload::VERSION_2026);
                assert_eq!(get(&h, "mcp-method"), v["method"].as_str());
            }
            if v["params"]["name"] == "slow" {
                assert_eq!(v["params"]["_meta"]["progressToken"], 1, "the streamed call asks for progress");
            }
            methods.push((stateless, v["method"].as_str().unwrap_or_default().to_owned()));
        }
        let kinds = ["tools/list", "tools/call", "resources/read", "tools/call"];
        for stateless in [false, true] {
            let of: Vec<&str> = methods.iter().filter(|(s, _)| *s == stateless).map(|(_, m)| m.as_str()).collect();
            assert_eq!(of, kinds);
        }
        Ok(())
    }
}
