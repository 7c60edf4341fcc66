//! The per-request `_meta` of the stateless generation.

use std::sync::Arc;

use serde::Deserialize;
use serde_json::value::RawValue;
use serde_json::{Map, Value};

use crate::error::McpError;
use crate::model::LogLevel;

pub(crate) const PROTOCOL_VERSION: &str = "io.modelcontextprotocol/protocolVersion";
pub(crate) const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";
pub(crate) const CLIENT_INFO: &str = "io.modelcontextprotocol/clientInfo";
pub(crate) const LOG_LEVEL: &str = "io.modelcontextprotocol/logLevel";
pub(crate) const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub(crate) const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";

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
    let p: P = serde_json::from_str(params?.get()).ok()?;
    match p.meta?.version? {
        Value::String(s) => Some(s),
        other => Some(other.to_string()),
    }
}

/// The validated `_meta` of a stateless request.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta {
    /// The whole `_meta` object, handed to handlers as `ctx.meta()`.
    pub(crate) all: Map<String, Value>,
    pub(crate) client_capabilities: Arc<Value>,
    pub(crate) log_level: Option<LogLevel>,
}

impl RequestMeta {
    /// Requires `_meta` with a protocol version and a capabilities object
    /// (`-32602` otherwise); `clientInfo` is optional.
    pub(crate) fn parse(params: Option<&RawValue>) -> Result<Self, McpError> {
        #[derive(Deserialize)]
        struct P {
            #[serde(rename = "_meta", default)]
            meta: Option<Map<String, Value>>,
        }
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        let p: P = match params {
            Some(raw) => serde_json::from_str(raw.get()).map_err(|e| invalid(&e.to_string()))?,
            None => P { meta: None },
        };
        let all = p.meta.ok_or_else(|| invalid("_meta is required in protocol version 2026-07-28"))?;
        if !all.get(PROTOCOL_VERSION).is_some_and(Value::is_string) {
            return Err(invalid("_meta[\"io.modelcontextprotocol/protocolVersion\"] is required"));
        }
        let caps = match all.get(CLIENT_CAPABILITIES) {
            Some(v @ Value::Object(_)) => v.clone(),
            Some(_) => return Err(invalid("_meta[\"io.modelcontextprotocol/clientCapabilities\"] must be an object")),
            None => return Err(invalid("_meta[\"io.modelcontextprotocol/clientCapabilities\"] is required")),
        };
        if all.get(CLIENT_INFO).is_some_and(|v| !v.is_object()) {
            return Err(invalid("_meta[\"io.modelcontextprotocol/clientInfo\"] must be an object"));
        }
        let log_level = match all.get(LOG_LEVEL) {
            None => None,
            Some(v) => Some(
                serde_json::from_value(v.clone())
                    .map_err(|_| invalid("_meta[\"io.modelcontextprotocol/logLevel\"] is not a log level"))?,
            ),
        };
        Ok(Self { all, client_capabilities: Arc::new(caps), log_level })
    }
}
