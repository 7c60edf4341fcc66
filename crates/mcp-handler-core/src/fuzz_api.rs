//! **Unstable, for the fuzz targets only** (feature `fuzzing`): thin public
//! wrappers over this crate's private parsers, so that `fuzz/` (cargo-fuzz,
//! outside the workspace) and the regression test that replays its corpus
//! call exactly the functions the endpoint calls. Hidden from the docs,
//! outside semver: it may change or vanish in any release.
//!
//! Each wrapper hands back plain owned values rather than the borrowed
//! internal types, so that nothing private leaks into a signature; the
//! copies cost nothing that matters to a fuzzer. The whole-request round
//! (parse → dispatch → serialize) is `bench_api::Dispatcher`, which this
//! feature turns on too.

use std::collections::HashMap;

use http::request::Parts;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::McpError;
use crate::jsonrpc::params::{Members, Slot};
use crate::jsonrpc::{Incoming, Params, RawJson, RequestId};
use crate::model::LogLevel;
use crate::router::uri_template;
use crate::v2026::{headers, meta};

/// What `Incoming::parse` made of one message body.
#[derive(Debug, Clone, PartialEq)]
pub enum Message {
    /// A request, with the id the answer must echo.
    Request {
        /// The id.
        id: RequestId,
        /// The method name, unescaped.
        method: String,
        /// The text of `params` as the decoder found it in the body.
        params: Option<String>,
    },
    /// A notification.
    Notification {
        /// The method name, unescaped.
        method: String,
        /// The text of `params` as the decoder found it in the body.
        params: Option<String>,
    },
    /// A response to a server-to-client request.
    Response {
        /// The id it answers.
        id: RequestId,
        /// Whether it carries `result` (else `error`).
        is_result: bool,
    },
    /// Not a valid message: the error the endpoint would send.
    Invalid {
        /// The id the error response echoes, when one was readable.
        id: Option<RequestId>,
        /// The error.
        error: McpError,
    },
}

/// The JSON-RPC decoder the endpoint runs on every POST body (and on every
/// member of a batch).
pub fn parse_message(body: &[u8]) -> Message {
    let mut slot = Slot::default();
    match Incoming::parse(body, &mut slot) {
        Ok(Incoming::Request { id, method, params }) => {
            Message::Request { id, method: method.into_owned(), params: params.map(|p| p.text.to_owned()) }
        }
        Ok(Incoming::Notification { method, params }) => {
            Message::Notification { method: method.into_owned(), params: params.map(|p| p.text.to_owned()) }
        }
        Ok(Incoming::Response { id, outcome }) => Message::Response { id, is_result: outcome.is_ok() },
        Err(bad) => Message::Invalid { id: bad.id, error: bad.error },
    }
}

/// Whether the hand-written reader of common messages reads `body` as
/// serde_json does, where it reads it at all: `Err` with both readings.
pub fn fast_reader_agrees(body: &[u8]) -> Result<(), String> {
    let Ok(text) = std::str::from_utf8(body) else { return Ok(()) };
    crate::jsonrpc::fast::check::agreement(text)
        .map(drop)
        .map_err(|(fast, serde)| format!("fast: {fast}\nserde: {serde}"))
}

/// The members of a 2026 `_meta` the endpoint acts on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Meta {
    /// `io.modelcontextprotocol/protocolVersion`, unescaped.
    pub version: String,
    /// `io.modelcontextprotocol/logLevel`, when sent.
    pub log_level: Option<LogLevel>,
    /// The raw `name` member of params, when present.
    pub name: Option<String>,
    /// The raw `uri` member of params, when present.
    pub uri: Option<String>,
    /// The raw `arguments` member of params, when present.
    pub arguments: Option<String>,
}

/// `RequestMeta::parse` on a request's raw `params` (`None`: no params).
/// Fails with the error the endpoint would send.
pub fn parse_meta(params: Option<&str>) -> Result<Meta, McpError> {
    let mut slot = Slot::default();
    let params = match params {
        Some(text) => Some(Params::read(text, &mut slot).map_err(|e| McpError::parse_error(e.to_string()))?),
        None => None,
    };
    let m = meta::RequestMeta::parse(params.as_ref())?;
    let members = params.map_or(Members::NONE, |p| p.members);
    let text = |r: Option<RawJson<'_>>| r.map(|r| r.get().to_owned());
    Ok(Meta {
        version: m.version.into_owned(),
        log_level: m.log_level,
        name: text(members.name),
        uri: text(members.uri),
        arguments: text(members.arguments),
    })
}

/// The text of a raw JSON string member as the endpoint reads it before
/// comparing it with `Mcp-Name`; `None` when it is not a string.
pub fn raw_str(raw: &str) -> Option<String> {
    let raw: &RawValue = serde_json::from_str(raw).ok()?;
    crate::jsonrpc::raw_str(RawJson::of(raw)).map(std::borrow::Cow::into_owned)
}

/// `Mcp-Method` must be present and equal the body's method.
pub fn check_method(parts: &Parts, method: &str) -> Result<(), McpError> {
    headers::check_method(&headers::Routing::scan(&parts.headers), method)
}

/// `Mcp-Name` must be present and equal `params.name` / `params.uri`.
pub fn check_name(parts: &Parts, expected: &str) -> Result<(), McpError> {
    headers::check_name(&headers::Routing::scan(&parts.headers), expected)
}

/// The `x-mcp-header` parameters of a tool's input schema, as the router
/// builder finds them.
#[derive(Debug, Clone)]
pub struct HeaderParams(Vec<headers::HeaderParam>);

impl HeaderParams {
    /// Reads the annotations of `schema`; the error a router build reports.
    pub fn of_schema(schema: &Value) -> Result<Self, String> {
        headers::header_params(schema).map(Self)
    }

    /// Every `Mcp-Param-*` must mirror its argument in `arguments`.
    pub fn check(&self, parts: &Parts, arguments: Option<&Value>) -> Result<(), McpError> {
        headers::check_params(parts, &self.0, arguments)
    }
}

/// A resource template as the router compiles and matches it.
#[derive(Debug, Clone)]
pub struct UriTemplate(uri_template::UriTemplate);

impl UriTemplate {
    /// Compiles `template`; the error a router build reports.
    pub fn parse(template: &str) -> Result<Self, String> {
        uri_template::UriTemplate::parse(template).map(Self)
    }

    /// The variable names, in order.
    pub fn variables(&self) -> Vec<String> {
        self.0.variables().map(str::to_owned).collect()
    }

    /// The variables' (percent-decoded) values when `uri` matches.
    pub fn matches(&self, uri: &str) -> Option<HashMap<String, String>> {
        self.0.matches(uri)
    }
}
