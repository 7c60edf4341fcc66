//! The per-request `_meta` of the 2026 generation.

use serde::Deserialize;
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::McpError;
use crate::model::LogLevel;

pub(crate) const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub(crate) const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
pub(crate) const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Only the protocol version, read cheaply to decide the generation.
pub(crate) fn protocol_version(params: Option<&RawValue>) -> Option<String> {
    #[derive(Deserialize)]
    struct P {
        #[serde(rename = "_meta", default)]
        meta: Option<M>,
    }
    #[derive(Deserialize)]
    struct M {
        #[serde(rename = "io.modelcontextprotocol/protocolVersion", default)]
        version: Option<Value>,
    }
    // Only an object can hold `_meta` (serde would read `P` from an array).
    let p: P = serde_json::from_str(params.filter(|p| p.get().starts_with('{'))?.get()).ok()?;
    match p.meta?.version? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// The validated `_meta` of a 2026 request, borrowed from the body.
///
/// Only the members the endpoint acts on are read; the whole object stays
/// JSON text until a handler asks for it (`ctx.meta()`), since building a
/// map of it costs a dozen allocations that most calls never use.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta<'a> {
    /// The whole `_meta` object, as sent.
    pub(crate) raw: &'a RawValue,
    /// `io.modelcontextprotocol/protocolVersion` (checked to be a string).
    pub(crate) version: std::borrow::Cow<'a, str>,
    pub(crate) log_level: Option<LogLevel>,
    /// What the routing headers must mirror, read in the same pass.
    pub(crate) named: Named<'a>,
}

/// The params members read in the same pass as `_meta`, as sent: what
/// routing headers mirror (`Mcp-Name`, `Mcp-Param-*`), and the rest of
/// what `tools/call` needs, so that dispatch does not read params again.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Named<'a> {
    pub(crate) name: Option<&'a RawValue>,
    pub(crate) uri: Option<&'a RawValue>,
    pub(crate) arguments: Option<&'a RawValue>,
    pub(crate) input_responses: Option<&'a RawValue>,
    pub(crate) request_state: Option<&'a RawValue>,
}

/// A present member as its raw text, `null` included (a plain
/// `Option<&RawValue>` reads `null` as absent).
fn some_raw<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(d).map(Some)
}

impl<'a> RequestMeta<'a> {
    /// Requires `_meta` with a protocol version and a capabilities object
    /// (`-32602` otherwise); `clientInfo` is optional.
    pub(crate) fn parse(params: Option<&'a RawValue>) -> Result<Self, McpError> {
        #[derive(Deserialize)]
        struct P<'a> {
            #[serde(rename = "_meta", borrow, default)]
            meta: Option<&'a RawValue>,
            #[serde(borrow, default)]
            name: Option<&'a RawValue>,
            #[serde(borrow, default)]
            uri: Option<&'a RawValue>,
            #[serde(borrow, default)]
            arguments: Option<&'a RawValue>,
            // `null` is kept as sent: dispatch tells it from absent.
            #[serde(rename = "inputResponses", borrow, default, deserialize_with = "some_raw")]
            input_responses: Option<&'a RawValue>,
            #[serde(rename = "requestState", borrow, default, deserialize_with = "some_raw")]
            request_state: Option<&'a RawValue>,
        }
        #[derive(Deserialize)]
        struct M<'a> {
            #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow, default)]
            version: Option<&'a RawValue>,
            #[serde(rename = "io.modelcontextprotocol/clientCapabilities", borrow, default)]
            capabilities: Option<&'a RawValue>,
            #[serde(rename = "io.modelcontextprotocol/clientInfo", borrow, default)]
            info: Option<&'a RawValue>,
            #[serde(rename = "io.modelcontextprotocol/logLevel", borrow, default)]
            log_level: Option<&'a RawValue>,
        }
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        crate::jsonrpc::object_params(params)?;
        let p: P<'a> = match params {
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| invalid(&e.to_string()))?,
            None => {
                P { meta: None, name: None, uri: None, arguments: None, input_responses: None, request_state: None }
            }
        };
        let raw = p
            .meta
            .filter(|m| m.get().starts_with('{'))
            .ok_or_else(|| invalid("_meta is required in protocol version 2026-07-28"))?;
        let m: M<'a> = serde_json::from_str(raw.get()).map_err(|e| invalid(&format!("_meta: {e}")))?;
        let version = m
            .version
            .filter(|v| v.get().starts_with('"'))
            .and_then(crate::jsonrpc::raw_str)
            .ok_or_else(|| invalid("_meta[\"io.modelcontextprotocol/protocolVersion\"] is required"))?;
        // Checked here, read from `_meta` only when a handler asks
        // (`RequestContext::client_capabilities`).
        match m.capabilities {
            Some(v) if v.get().starts_with('{') => {}
            Some(_) => return Err(invalid("_meta[\"io.modelcontextprotocol/clientCapabilities\"] must be an object")),
            None => return Err(invalid("_meta[\"io.modelcontextprotocol/clientCapabilities\"] is required")),
        }
        if m.info.is_some_and(|v| !v.get().starts_with('{')) {
            return Err(invalid("_meta[\"io.modelcontextprotocol/clientInfo\"] must be an object"));
        }
        let log_level = match m.log_level {
            None => None,
            Some(v) => Some(
                serde_json::from_str(v.get())
                    .map_err(|_| invalid("_meta[\"io.modelcontextprotocol/logLevel\"] is not a log level"))?,
            ),
        };
        Ok(Self {
            raw,
            version,
            log_level,
            named: Named {
                name: p.name,
                uri: p.uri,
                arguments: p.arguments,
                input_responses: p.input_responses,
                request_state: p.request_state,
            },
        })
    }
}
