//! The per-request `_meta` of the 2026 generation.

use std::borrow::Cow;

use crate::error::McpError;
use crate::jsonrpc::params::Meta;
use crate::jsonrpc::{Params, RawJson};
use crate::model::LogLevel;

pub(crate) const SERVER_INFO: &str = "io.modelcontextprotocol/serverInfo";
pub(crate) const SUBSCRIPTION_ID: &str = "io.modelcontextprotocol/subscriptionId";
pub(crate) const CLIENT_CAPABILITIES: &str = "io.modelcontextprotocol/clientCapabilities";

/// Only the protocol version, as read with the message, to decide the
/// generation.
pub(crate) fn protocol_version(params: Option<&Params<'_>>) -> Option<String> {
    let Meta::Object(m) = params?.members.meta() else { return None };
    let version = m.version?;
    Some(crate::jsonrpc::raw_str(version).map_or_else(|| version.get().to_owned(), Cow::into_owned))
}

/// The validated `_meta` of a 2026 request, borrowed from the body.
///
/// Its members were read with the message ([`Params`]): only those the
/// endpoint acts on are taken; the object itself stays JSON text (inside
/// `params`) until a handler asks for it (`ctx.meta()`), since building a
/// map of it costs a dozen allocations that most calls never use.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta<'a> {
    /// The request's `params`, which hold `_meta`.
    pub(crate) params: &'a str,
    /// `io.modelcontextprotocol/protocolVersion` (checked to be a string).
    pub(crate) version: Cow<'a, str>,
    pub(crate) log_level: Option<LogLevel>,
    /// W3C trace context carried in `_meta` (`traceparent`, `tracestate`),
    /// as sent: read only when a trace exporter listens.
    pub(crate) trace: (Option<RawJson<'a>>, Option<RawJson<'a>>),
}

impl<'a> RequestMeta<'a> {
    /// Requires `_meta` with a protocol version and a capabilities object
    /// (`-32602` otherwise); `clientInfo` is optional.
    pub(crate) fn parse(params: Option<&Params<'a>>) -> Result<Self, McpError> {
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        crate::jsonrpc::object_params(params)?;
        let required = || invalid("_meta is required in protocol version 2026-07-28");
        let params = params.ok_or_else(required)?;
        params.members.check_unique()?;
        let Meta::Object(m) = params.members.meta() else { return Err(required()) };
        if let Some(name) = m.duplicate {
            return Err(invalid(&format!("duplicate field `{name}` in _meta")));
        }
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
        Ok(Self { params: params.text, version, log_level, trace: (m.traceparent, m.tracestate) })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"traceparent":"t"}"#;

    fn parse(params: &str) -> Result<RequestMeta<'_>, String> {
        let params = Params::read(params, Box::leak(Box::default())).map_err(|e| e.to_string())?;
        RequestMeta::parse(Some(&params)).map_err(|e| e.message.into_owned())
    }

    #[test]
    fn meta_is_read_in_the_pass_over_params() {
        let params = format!(r#"{{"name":"echo","_meta":{META},"arguments":{{"text":"hi"}}}}"#);
        let m = parse(&params).unwrap();
        assert_eq!(m.version, "2026-07-28");
        assert_eq!(m.params, params);
        assert_eq!(m.trace.0.map(RawJson::get), Some(r#""t""#));
        assert!(m.trace.1.is_none());
    }

    #[test]
    fn a_meta_that_is_not_an_object_is_refused_as_missing() {
        for bad in ["null", "\"x\"", "3", "-1", "1.5", "true", "[1,[2],{\"a\":3}]", "{}"] {
            let e = parse(&format!(r#"{{"_meta":{bad},"name":"echo"}}"#)).unwrap_err();
            let expected = match bad {
                "{}" => "protocolVersion\"] is required",
                _ => "_meta is required in protocol version 2026-07-28",
            };
            assert!(e.contains(expected), "{bad}: {e}");
        }
        assert!(parse(r#"{"name":"echo"}"#).unwrap_err().contains("_meta is required"));
    }
}
