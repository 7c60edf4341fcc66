//! The scenarios: which requests a connection sends, in which order, and
//! what each answer must hold. Bodies are built once; a request only splices
//! its id between two prebuilt halves.

use bytes::{Bytes, BytesMut};
use http::header::{ACCEPT, CONTENT_TYPE, HOST};
use http::{HeaderMap, HeaderName, HeaderValue, Method, Request};

use super::config::Config;
use crate::payload;

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
        }
    }
}

/// One request of a scenario.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Step {
    Initialize,
    Initialized,
    List,
    Call,
    Delete,
}

/// A connection's place in its scenario (only `session` has more than one step).
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
            Scenario::Session => Step::Initialize,
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
        if self.scenario != Scenario::Session {
            return;
        }
        self.next = match self.next {
            Step::Initialize => {
                self.session = session.cloned();
                Step::Initialized
            }
            Step::Initialized => Step::List,
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
        if self.scenario == Scenario::Session {
            self.next = self.restart();
        }
    }

    fn restart(&mut self) -> Step {
        self.calls_done = 0;
        self.session = None;
        Step::Initialize
    }
}

/// What a correct answer to a step holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect<'a> {
    /// 200, `result.content[0].text` equal to this; `complete` when the shape is 2026.
    Echo { text: &'a str, stateless: bool },
    /// 200, `result.tools` lists `echo`.
    Tools,
    /// 200, `result.protocolVersion` present.
    Initialized,
    /// 202 (the notification).
    Accepted,
    /// 2xx, or 405 from a server that does not let clients end sessions.
    Deleted,
}

/// A JSON-RPC request body with the id left out.
#[derive(Debug, Clone)]
struct Template {
    head: Bytes,
    tail: Bytes,
    /// The whole body with `"id":1`, shared by every `--fixed-id` request.
    fixed: Bytes,
}

impl Template {
    /// `rest` follows the id: `"method":...}`.
    fn new(rest: &str) -> Self {
        let head = Bytes::from_static(br#"{"jsonrpc":"2.0","id":"#);
        let tail = Bytes::from(format!(",{rest}"));
        let fixed = Bytes::from([&head[..], b"1", &tail[..]].concat());
        Self { head, tail, fixed }
    }

    fn body(&self, id: u64, fixed_id: bool) -> Bytes {
        if fixed_id {
            return self.fixed.clone();
        }
        let mut digits = itoa::Buffer::new();
        let digits = digits.format(id).as_bytes();
        let mut b = BytesMut::with_capacity(self.head.len() + digits.len() + self.tail.len());
        b.extend_from_slice(&self.head);
        b.extend_from_slice(digits);
        b.extend_from_slice(&self.tail);
        b.freeze()
    }
}

/// Everything a connection needs to build its requests, shared read-only.
#[derive(Debug)]
pub(crate) struct Plan {
    pub(crate) scenario: Scenario,
    pub(crate) fixed_id: bool,
    pub(crate) session_calls: u32,
    text: String,
    call: Template,
    list: Template,
    initialize: Template,
    initialized: Bytes,
    /// Headers of every POST: host, content types, the user's.
    post: HeaderMap,
    /// Extra headers of a call (protocol version; 2026 routing headers).
    call_headers: HeaderMap,
    /// The 2025 version header on list, the notification and DELETE.
    version_2025: HeaderMap,
    delete: HeaderMap,
    path: http::Uri,
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
        let call = match scenario {
            Scenario::Call2026 => Template::new(&format!(
                r#""method":"tools/call","params":{{"name":"{tool}",{args},"_meta":{{"io.modelcontextprotocol/protocolVersion":"{v}","io.modelcontextprotocol/clientCapabilities":{{}},"io.modelcontextprotocol/clientInfo":{CLIENT_INFO}}}}}}}"#,
                v = payload::VERSION_2026,
            )),
            _ => Template::new(&format!(r#""method":"tools/call","params":{{"name":"{tool}",{args}}}}}"#)),
        };
        let initialize = Template::new(&format!(
            r#""method":"initialize","params":{{"protocolVersion":"{v}","capabilities":{{}},"clientInfo":{CLIENT_INFO}}}}}"#,
            v = payload::VERSION_2025,
        ));

        let mut common = HeaderMap::new();
        common.insert(HOST, config.target.authority.clone());
        for (name, value) in &config.headers {
            common.append(name.clone(), value.clone());
        }
        let mut post = common.clone();
        post.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
        post.insert(ACCEPT, HeaderValue::from_static("application/json, text/event-stream"));
        let version = HeaderName::from_static("mcp-protocol-version");
        let mut version_2025 = HeaderMap::new();
        version_2025.insert(version.clone(), HeaderValue::from_static(payload::VERSION_2025));
        let mut call_headers = version_2025.clone();
        if scenario == Scenario::Call2026 {
            call_headers.insert(version, HeaderValue::from_static(payload::VERSION_2026));
            call_headers.insert("mcp-method", HeaderValue::from_static("tools/call"));
            call_headers.insert("mcp-name", HeaderValue::from_static(payload::TOOL));
        }
        let mut delete = common;
        delete.extend(version_2025.clone());

        Ok(Self {
            scenario,
            fixed_id: config.fixed_id,
            session_calls: config.session_calls,
            text,
            call,
            list: Template::new(r#""method":"tools/list","params":{}}"#),
            initialize,
            initialized: Bytes::from_static(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#),
            post,
            call_headers,
            version_2025,
            delete,
            path: config.target.path.clone(),
        })
    }

    /// The request for `step` with `id`, and what its answer must hold.
    pub(crate) fn request(&self, step: Step, id: u64, session: Option<&HeaderValue>) -> (Request<Bytes>, Expect<'_>) {
        let (method, body, extra, expect) = match step {
            Step::Call => (
                Method::POST,
                self.call.body(id, self.fixed_id),
                Some(&self.call_headers),
                Expect::Echo { text: &self.text, stateless: self.scenario == Scenario::Call2026 },
            ),
            Step::List => (Method::POST, self.list.body(id, self.fixed_id), Some(&self.version_2025), Expect::Tools),
            Step::Initialize => (Method::POST, self.initialize.body(id, self.fixed_id), None, Expect::Initialized),
            Step::Initialized => (Method::POST, self.initialized.clone(), Some(&self.version_2025), Expect::Accepted),
            Step::Delete => (Method::DELETE, Bytes::new(), None, Expect::Deleted),
        };
        let mut headers = if method == Method::DELETE { self.delete.clone() } else { self.post.clone() };
        if let Some(extra) = extra {
            headers.extend(extra.iter().map(|(k, v)| (k.clone(), v.clone())));
        }
        if let Some(session) = session {
            headers.insert("mcp-session-id", session.clone());
        }
        let mut req = Request::new(body);
        *req.method_mut() = method;
        *req.uri_mut() = self.path.clone();
        *req.headers_mut() = headers;
        (req, expect)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body_json(req: Request<Bytes>) -> anyhow::Result<serde_json::Value> {
        Ok(serde_json::from_slice(req.body())?)
    }

    #[test]
    fn call_2026_carries_meta_and_routing_headers() -> anyhow::Result<()> {
        let config = Config::new("http://127.0.0.1:9/mcp")?.with_scenario(Scenario::Call2026);
        let plan = Plan::new(&config)?;
        let (req, expect) = plan.request(Step::Call, 42, None);
        assert_eq!(expect, Expect::Echo { text: payload::SMALL_TEXT, stateless: true });
        assert_eq!(req.uri(), "/mcp");
        assert_eq!(req.headers()["mcp-protocol-version"], payload::VERSION_2026);
        assert_eq!(req.headers()["mcp-method"], "tools/call");
        assert_eq!(req.headers()["mcp-name"], "echo");
        assert_eq!(req.headers()["host"], "127.0.0.1:9");
        let v = body_json(req)?;
        assert_eq!(v["id"], 42);
        assert_eq!(v["params"]["arguments"]["text"], payload::SMALL_TEXT);
        assert_eq!(v["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"], payload::VERSION_2026);
        assert_eq!(v["params"]["_meta"]["io.modelcontextprotocol/clientInfo"]["name"], "mcp-bench");
        Ok(())
    }

    #[test]
    fn fixed_id_and_big_bodies_are_valid_json() -> anyhow::Result<()> {
        let config = Config::new("http://127.0.0.1:9/")?.with_scenario(Scenario::Big).with_fixed_id();
        let plan = Plan::new(&config)?;
        let (req, _) = plan.request(Step::Call, 42, None);
        let v = body_json(req)?;
        assert_eq!(v["id"], 1);
        assert_eq!(v["params"]["arguments"]["text"], payload::big_text());
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
}
