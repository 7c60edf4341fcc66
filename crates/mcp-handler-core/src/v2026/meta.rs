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
/// Read in one pass over `params`: only the members the endpoint acts on
/// are taken; the object itself stays JSON text (inside `params`) until a
/// handler asks for it (`ctx.meta()`), since building a map of it costs a
/// dozen allocations that most calls never use.
#[derive(Debug, Clone)]
pub(crate) struct RequestMeta<'a> {
    /// The request's `params`, which hold `_meta`.
    pub(crate) params: &'a RawValue,
    /// `io.modelcontextprotocol/protocolVersion` (checked to be a string).
    pub(crate) version: std::borrow::Cow<'a, str>,
    pub(crate) log_level: Option<LogLevel>,
    /// W3C trace context carried in `_meta` (`traceparent`, `tracestate`),
    /// as sent: read only when a trace exporter listens.
    pub(crate) trace: (Option<&'a RawValue>, Option<&'a RawValue>),
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

/// The members of `_meta` the endpoint reads, as sent.
#[derive(Deserialize, Default)]
struct M<'a> {
    #[serde(rename = "io.modelcontextprotocol/protocolVersion", borrow, default)]
    version: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/clientCapabilities", borrow, default)]
    capabilities: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/clientInfo", borrow, default)]
    info: Option<&'a RawValue>,
    #[serde(rename = "io.modelcontextprotocol/logLevel", borrow, default)]
    log_level: Option<&'a RawValue>,
    #[serde(borrow, default)]
    traceparent: Option<&'a RawValue>,
    #[serde(borrow, default)]
    tracestate: Option<&'a RawValue>,
}

/// `_meta` read in the pass over `params`: its members when it is an
/// object; any other value is consumed and remembered as not one.
enum MetaField<'a> {
    Object(M<'a>),
    NotObject,
}

impl<'de: 'a, 'a> Deserialize<'de> for MetaField<'a> {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V<'a>(std::marker::PhantomData<&'a ()>);
        impl<'de: 'a, 'a> serde::de::Visitor<'de> for V<'a> {
            type Value = MetaField<'a>;
            fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str("any JSON value")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                M::deserialize(serde::de::value::MapAccessDeserializer::new(map)).map(MetaField::Object)
            }
            fn visit_seq<A: serde::de::SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                while seq.next_element::<serde::de::IgnoredAny>()?.is_some() {}
                Ok(MetaField::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
                Ok(MetaField::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
                Ok(MetaField::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
                Ok(MetaField::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
                Ok(MetaField::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
                Ok(MetaField::NotObject)
            }
            fn visit_unit<E>(self) -> Result<Self::Value, E> {
                Ok(MetaField::NotObject)
            }
        }
        d.deserialize_any(V(std::marker::PhantomData))
    }
}

impl<'a> RequestMeta<'a> {
    /// Requires `_meta` with a protocol version and a capabilities object
    /// (`-32602` otherwise); `clientInfo` is optional.
    pub(crate) fn parse(params: Option<&'a RawValue>) -> Result<Self, McpError> {
        #[derive(Deserialize)]
        struct P<'a> {
            #[serde(rename = "_meta", borrow, default)]
            meta: Option<MetaField<'a>>,
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
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        crate::jsonrpc::object_params(params)?;
        let required = || invalid("_meta is required in protocol version 2026-07-28");
        let params = params.ok_or_else(required)?;
        let p: P<'a> = serde_json::from_str(params.get()).map_err(|e| invalid(&e.to_string()))?;
        let Some(MetaField::Object(m)) = p.meta else { return Err(required()) };
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
            params,
            version,
            log_level,
            trace: (m.traceparent, m.tracestate),
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

#[cfg(test)]
mod tests {
    use super::*;

    const META: &str = r#"{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}},"traceparent":"t"}"#;

    fn parse(params: &str) -> Result<RequestMeta<'_>, String> {
        let raw: &RawValue = serde_json::from_str(params).unwrap();
        RequestMeta::parse(Some(raw)).map_err(|e| e.message.into_owned())
    }

    #[test]
    fn meta_is_read_in_the_pass_over_params() {
        let params = format!(r#"{{"name":"echo","_meta":{META},"arguments":{{"text":"hi"}}}}"#);
        let m = parse(&params).unwrap();
        assert_eq!(m.version, "2026-07-28");
        assert_eq!(m.params.get(), params);
        assert_eq!(m.named.name.map(RawValue::get), Some(r#""echo""#));
        assert_eq!(m.named.arguments.map(RawValue::get), Some(r#"{"text":"hi"}"#));
        assert_eq!(m.trace.0.map(RawValue::get), Some(r#""t""#));
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
