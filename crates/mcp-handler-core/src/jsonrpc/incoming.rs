//! One incoming JSON-RPC message, read in one pass over the body: by hand
//! where `fast.rs` can, by serde_json otherwise.

use std::borrow::Cow;

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, Visitor};
use serde_json::value::RawValue;

use super::params::{Members, Params, ParamsSeed, Slot};
use super::{IdField, RequestId, opt_cow};
use crate::error::McpError;

/// The members of a JSON-RPC message, borrowed from the request body;
/// `params` went into the [`Slot`].
#[derive(Default)]
pub(super) struct RawMessage<'a> {
    pub(super) jsonrpc: Option<Cow<'a, str>>,
    pub(super) id: IdField,
    pub(super) method: Option<Cow<'a, str>>,
    /// Present and not `null`.
    pub(super) params: bool,
    result: Option<&'a RawValue>,
    error: Option<&'a RawValue>,
}

/// Reads a message, `params` into the slot it holds.
struct MessageSeed<'s, 'a>(&'s mut Slot<'a>);

impl<'de: 'a, 'a> DeserializeSeed<'de> for MessageSeed<'_, 'a> {
    type Value = RawMessage<'a>;
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<RawMessage<'a>, D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de: 'a, 'a> Visitor<'de> for MessageSeed<'_, 'a> {
    type Value = RawMessage<'a>;
    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a JSON-RPC message object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<RawMessage<'a>, A::Error> {
        /// A member of the message; `seen` tells duplicates, as serde's
        /// derive does.
        fn once<E: de::Error>(seen: &mut u8, bit: u8, name: &'static str) -> Result<(), E> {
            if *seen & bit != 0 {
                return Err(E::duplicate_field(name));
            }
            *seen |= bit;
            Ok(())
        }
        let mut msg = RawMessage::default();
        let mut seen = 0u8;
        while let Some(key) = map.next_key::<MessageKey>()? {
            match key {
                MessageKey::Jsonrpc => {
                    once(&mut seen, 1, "jsonrpc")?;
                    msg.jsonrpc = map.next_value::<OptCow<'a>>()?.0;
                }
                MessageKey::Id => {
                    once(&mut seen, 2, "id")?;
                    msg.id = map.next_value()?;
                }
                MessageKey::Method => {
                    once(&mut seen, 4, "method")?;
                    msg.method = map.next_value::<OptCow<'a>>()?.0;
                }
                MessageKey::Params => {
                    once(&mut seen, 8, "params")?;
                    msg.params = map.next_value_seed(ParamsSeed(&mut *self.0))?;
                }
                MessageKey::Result => {
                    once(&mut seen, 16, "result")?;
                    msg.result = map.next_value()?;
                }
                MessageKey::Error => {
                    once(&mut seen, 32, "error")?;
                    msg.error = map.next_value()?;
                }
                MessageKey::Other => {
                    map.next_value::<de::IgnoredAny>()?;
                }
            }
        }
        Ok(msg)
    }
}

/// The names of a message's members.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum MessageKey {
    Jsonrpc,
    Id,
    Method,
    Params,
    Result,
    Error,
    Other,
}

impl<'de> Deserialize<'de> for MessageKey {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl Visitor<'_> for V {
            type Value = MessageKey;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_str<E>(self, v: &str) -> Result<MessageKey, E> {
                Ok(MessageKey::of(v))
            }
        }
        d.deserialize_identifier(V)
    }
}

impl MessageKey {
    /// The member `name` is, for both readers.
    pub(super) fn of(name: &str) -> Self {
        match name {
            "jsonrpc" => Self::Jsonrpc,
            "id" => Self::Id,
            "method" => Self::Method,
            "params" => Self::Params,
            "result" => Self::Result,
            "error" => Self::Error,
            _ => Self::Other,
        }
    }
}

/// [`opt_cow`] as a type, for `next_value`.
struct OptCow<'a>(Option<Cow<'a, str>>);

impl<'de: 'a, 'a> Deserialize<'de> for OptCow<'a> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        opt_cow(d).map(OptCow)
    }
}

/// The message read again for the text of `params` alone, when the first
/// pass could not find it in the body (see [`Slot::finish`]).
#[derive(Deserialize)]
struct ParamsText<'a> {
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

/// One incoming JSON-RPC message, its parameters as sent and the members
/// the endpoint acts on.
#[derive(Debug)]
pub(crate) enum Incoming<'a> {
    /// A request: expects a response.
    Request {
        /// The id to echo.
        id: RequestId,
        /// The method name.
        method: Cow<'a, str>,
        /// The parameters, read further by the method's handler.
        params: Option<Params<'a>>,
    },
    /// A notification: no response.
    Notification {
        /// The method name.
        method: Cow<'a, str>,
        /// The parameters.
        params: Option<Params<'a>>,
    },
    /// A response to a server-to-client request.
    Response {
        /// The id of the request it answers.
        id: RequestId,
        /// `Ok(result)` or `Err(error object)`.
        outcome: Result<&'a RawValue, &'a RawValue>,
    },
}

/// Why a body is not one valid message, with the id when it was readable.
#[derive(Debug)]
pub(crate) struct InvalidMessage {
    /// The id to echo in the error response, when one could be read.
    pub(crate) id: Option<RequestId>,
    /// The error to send.
    pub(crate) error: McpError,
}

impl<'a> Incoming<'a> {
    /// The id to answer: a request's; notifications and responses have none
    /// to answer.
    pub(crate) fn id(&self) -> Option<&RequestId> {
        match self {
            Self::Request { id, .. } => Some(id),
            Self::Notification { .. } | Self::Response { .. } => None,
        }
    }

    /// Parses one JSON-RPC message from `raw` (already known to be an object
    /// or, for batch members, any JSON value), the members of its `params`
    /// into `slot`. UTF-8 is checked once, whole: from a `&str`, serde_json
    /// borrows strings unchecked.
    pub(crate) fn parse(raw: &'a [u8], slot: &'a mut Slot<'a>) -> Result<Self, InvalidMessage> {
        let not_utf8 = |e: std::str::Utf8Error| format!("Parse error: not UTF-8 at byte {}", e.valid_up_to());
        let text = std::str::from_utf8(raw)
            .map_err(|e| InvalidMessage { id: None, error: McpError::parse_error(not_utf8(e)) })?;
        // The common message by hand (`fast.rs`); whatever it declines,
        // and every error, from serde_json.
        if let Some((msg, params)) = super::fast::read(text, slot) {
            let slot: &'a Slot<'a> = slot;
            return Self::from_raw(msg, text, params, slot.members());
        }
        // Whatever the fast pass wrote before it declined is forgotten.
        *slot = Slot::default();
        Self::parse_with_serde(text, slot)
    }

    /// [`parse`](Self::parse) by serde_json alone.
    pub(super) fn parse_with_serde(text: &'a str, slot: &'a mut Slot<'a>) -> Result<Self, InvalidMessage> {
        let mut de = serde_json::Deserializer::from_str(text);
        let msg = MessageSeed(&mut *slot)
            .deserialize(&mut de)
            .and_then(|msg| de.end().map(|()| msg))
            .map_err(|e| InvalidMessage { id: None, error: classify_json_error(&e) })?;
        let found = slot.finish(text);
        let slot: &'a Slot<'a> = slot;
        Self::from_raw(msg, text, found, slot.members())
    }

    pub(super) fn from_raw(
        msg: RawMessage<'a>,
        text: &'a str,
        found: Option<&'a str>,
        members: &'a Members<'a>,
    ) -> Result<Self, InvalidMessage> {
        let invalid =
            |id: Option<RequestId>, why: &'static str| InvalidMessage { id, error: McpError::invalid_request(why) };
        let known_id = match &msg.id {
            IdField::Valid(id) => Some(id.clone()),
            _ => None,
        };
        if msg.jsonrpc.as_deref() != Some("2.0") {
            return Err(invalid(known_id, "Invalid Request: \"jsonrpc\" must be \"2.0\""));
        }
        let params = || -> Result<Option<Params<'a>>, McpError> {
            if !msg.params {
                return Ok(None);
            }
            let text = match found {
                Some(found) => found,
                None => match serde_json::from_str::<ParamsText<'a>>(text) {
                    Ok(ParamsText { params: Some(p) }) => p.get(),
                    Ok(ParamsText { params: None }) => return Ok(None),
                    Err(e) => return Err(classify_json_error(&e)),
                },
            };
            Ok(Some(Params { text, members }))
        };
        match (msg.id, msg.method) {
            (IdField::Valid(id), Some(method)) => {
                if msg.result.is_some() || msg.error.is_some() {
                    return Err(invalid(Some(id), "Invalid Request: a request has no result or error"));
                }
                let params = params().map_err(|error| InvalidMessage { id: Some(id.clone()), error })?;
                check_params(params.as_ref()).map_err(|e| invalid(Some(id.clone()), e))?;
                Ok(Self::Request { id, method, params })
            }
            (IdField::Absent, Some(method)) => {
                let params = params().map_err(|error| InvalidMessage { id: None, error })?;
                check_params(params.as_ref()).map_err(|e| invalid(None, e))?;
                Ok(Self::Notification { method, params })
            }
            (IdField::Valid(id), None) => match (msg.result, msg.error) {
                (Some(r), None) => Ok(Self::Response { id, outcome: Ok(r) }),
                (None, Some(e)) => Ok(Self::Response { id, outcome: Err(e) }),
                _ => Err(invalid(Some(id), "Invalid Request: a response has exactly one of result or error")),
            },
            (IdField::Null, _) => Err(invalid(None, "Invalid Request: id must not be null")),
            (IdField::Invalid, _) => Err(invalid(None, "Invalid Request: id must be a string or an integer")),
            (IdField::Absent, None) => Err(invalid(None, "Invalid Request: missing \"method\"")),
        }
    }
}

/// JSON-RPC 2.0 allows `params` by name (an object) or by position (an
/// array); anything else makes the message no Request object at all.
/// Whether the method accepts the shape is the method's business: see
/// [`object_params`].
fn check_params(params: Option<&Params<'_>>) -> Result<(), &'static str> {
    match params.map(|p| p.text.as_bytes().first()) {
        None | Some(Some(b'{' | b'[')) => Ok(()),
        _ => Err("Invalid Request: \"params\" must be an object or an array"),
    }
}

/// MCP defines every method's params as an object: by-position params are
/// a valid JSON-RPC request with invalid params (`-32602`), refused before
/// anything deserializes them (serde would read a struct from an array by
/// position, and so accept `["name"]` for `{"name": ...}`).
pub(crate) fn object_params(params: Option<&Params<'_>>) -> Result<(), McpError> {
    match params {
        Some(p) if !p.text.starts_with('{') => {
            Err(McpError::invalid_params("Invalid params: \"params\" must be an object"))
        }
        _ => Ok(()),
    }
}

/// Maps a serde_json failure on a body to -32700 (not JSON) or -32600 (JSON,
/// but not a message).
pub(crate) fn classify_json_error(e: &serde_json::Error) -> McpError {
    use serde_json::error::Category;
    match e.classify() {
        Category::Syntax | Category::Eof | Category::Io => McpError::parse_error(format!("Parse error: {e}")),
        Category::Data => McpError::invalid_request(format!("Invalid Request: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::jsonrpc::RequestId;

    /// A test's message, its slot leaked.
    fn parse(body: &'static [u8]) -> Result<Incoming<'static>, InvalidMessage> {
        Incoming::parse(body, Box::leak(Box::default()))
    }

    #[test]
    fn method_and_version_are_borrowed_unless_escaped() {
        let plain = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert!(matches!(parse(plain), Ok(Incoming::Request { method: Cow::Borrowed("tools/list"), .. })));
        let escaped = br#"{"jsonrpc":"2.0","id":1,"method":"tools\/list"}"#;
        assert!(matches!(parse(escaped), Ok(Incoming::Request { method: Cow::Owned(ref m), .. }) if m == "tools/list"));
        let null_method = br#"{"jsonrpc":"2.0","id":1,"method":null}"#;
        assert!(parse(null_method).is_err());
    }

    #[test]
    fn request_notification_response_are_told_apart() {
        let r = parse(br#"{"jsonrpc":"2.0","id":"a","method":"ping"}"#).unwrap();
        assert!(matches!(r, Incoming::Request { id: RequestId::String(ref s), .. } if &**s == "a"));
        let n = parse(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).unwrap();
        assert!(matches!(n, Incoming::Notification { .. }));
        let s = parse(br#"{"jsonrpc":"2.0","id":7,"result":{}}"#).unwrap();
        assert!(matches!(s, Incoming::Response { id: RequestId::Number(7), outcome: Ok(_) }));
    }

    #[test]
    fn bad_messages_get_the_right_codes() {
        let code = |b: &'static [u8]| parse(b).unwrap_err().error.code.0;
        assert_eq!(code(b"{not json"), -32700);
        assert_eq!(code(br#"{"jsonrpc":"1.0","id":1,"method":"ping"}"#), -32600);
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":null,"method":"ping"}"#), -32600);
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1.5,"method":"ping"}"#), -32600);
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":1}"#), -32600);
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":"ping","params":"x"}"#), -32600);
        assert_eq!(code(br#"{"jsonrpc":"2.0","id":1,"method":7}"#), -32600);
        assert_eq!(code(br#"{"jsonrpc":"2.0"}"#), -32600);
    }

    #[test]
    fn by_position_params_are_a_request_whose_params_are_invalid() {
        let r = parse(br#"{"jsonrpc":"2.0","id":3,"method":"tools/call","params":[1,2]}"#).unwrap();
        let Incoming::Request { id, params, .. } = r else { panic!("a request") };
        assert_eq!(id, RequestId::Number(3));
        assert_eq!(object_params(params.as_ref()).unwrap_err().code.0, -32602);
        let n = parse(br#"{"jsonrpc":"2.0","method":"notifications/x","params":[1]}"#).unwrap();
        assert!(matches!(n, Incoming::Notification { .. }));
        let obj = Params::read("{}", Box::leak(Box::default())).unwrap();
        assert!(object_params(Some(&obj)).is_ok() && object_params(None).is_ok());
    }
}
