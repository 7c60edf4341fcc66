//! JSON-RPC 2.0 framing: parsing one incoming message without copying its
//! parameters, and writing responses straight into a byte buffer.

use std::borrow::Cow;
use std::fmt;
use std::sync::Arc;

use bytes::Bytes;
use serde::de::{self, Deserializer, Visitor};
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

use crate::error::McpError;

pub(crate) mod fast;
mod incoming;
pub(crate) mod params;

pub(crate) use incoming::{Incoming, classify_json_error, object_params};
pub(crate) use params::Params;

/// The JSON text of one value as sent, borrowed from the body: valid JSON
/// (the reader that found it checked it), without surrounding whitespace.
/// What `serde_json`'s `&RawValue` is, made by either reader of a message
/// (`fast.rs` cannot make a `&RawValue` without reading the text again).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct RawJson<'a>(&'a str);

impl<'a> RawJson<'a> {
    /// The text.
    pub(crate) fn get(self) -> &'a str {
        self.0
    }

    /// A value `serde_json` read.
    pub(crate) fn of(raw: &'a RawValue) -> Self {
        Self(raw.get())
    }
}

/// A JSON-RPC request id: a string or an integer (MCP forbids `null`).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum RequestId {
    /// An integer id.
    Number(i64),
    /// A string id.
    String(Arc<str>),
}

impl fmt::Display for RequestId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Number(n) => write!(f, "{n}"),
            Self::String(s) => f.write_str(s),
        }
    }
}

impl Serialize for RequestId {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Self::Number(n) => s.serialize_i64(*n),
            Self::String(v) => s.serialize_str(v),
        }
    }
}

impl<'de> Deserialize<'de> for RequestId {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match IdField::deserialize(d)? {
            IdField::Valid(id) => Ok(id),
            _ => Err(de::Error::custom("request id must be a string or an integer")),
        }
    }
}

/// What the `id` member of an incoming message held.
#[derive(Debug, Default)]
enum IdField {
    #[default]
    Absent,
    Null,
    Invalid,
    Valid(RequestId),
}

impl<'de> Deserialize<'de> for IdField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = IdField;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a string or integer id")
            }
            fn visit_i64<E>(self, v: i64) -> Result<IdField, E> {
                Ok(IdField::Valid(RequestId::Number(v)))
            }
            fn visit_u64<E>(self, v: u64) -> Result<IdField, E> {
                Ok(i64::try_from(v).map_or(IdField::Invalid, |n| IdField::Valid(RequestId::Number(n))))
            }
            fn visit_f64<E>(self, _: f64) -> Result<IdField, E> {
                Ok(IdField::Invalid)
            }
            fn visit_str<E>(self, v: &str) -> Result<IdField, E> {
                Ok(IdField::Valid(RequestId::String(v.into())))
            }
            fn visit_bool<E>(self, _: bool) -> Result<IdField, E> {
                Ok(IdField::Invalid)
            }
            fn visit_unit<E>(self) -> Result<IdField, E> {
                Ok(IdField::Null)
            }
            fn visit_none<E>(self) -> Result<IdField, E> {
                Ok(IdField::Null)
            }
            fn visit_seq<A: de::SeqAccess<'de>>(self, mut a: A) -> Result<IdField, A::Error> {
                while a.next_element::<de::IgnoredAny>()?.is_some() {}
                Ok(IdField::Invalid)
            }
            fn visit_map<A: de::MapAccess<'de>>(self, mut a: A) -> Result<IdField, A::Error> {
                while a.next_entry::<de::IgnoredAny, de::IgnoredAny>()?.is_some() {}
                Ok(IdField::Invalid)
            }
        }
        d.deserialize_any(V)
    }
}

/// An optional string borrowed from the body when it has no escapes.
///
/// serde's `Cow<str>` always copies, and `#[serde(borrow)]` only reaches a
/// `Cow` that is the field's whole type, not one inside an `Option`: without
/// this, `jsonrpc` and `method` cost two allocations on every request.
pub(crate) fn opt_cow<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Cow<'de, str>>, D::Error> {
    struct Str;
    impl<'de> Visitor<'de> for Str {
        type Value = Cow<'de, str>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string")
        }
        fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Self::Value, E> {
            Ok(Cow::Borrowed(v))
        }
        fn visit_str<E>(self, v: &str) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v.to_owned()))
        }
        fn visit_string<E>(self, v: String) -> Result<Self::Value, E> {
            Ok(Cow::Owned(v))
        }
    }
    struct Opt;
    impl<'de> Visitor<'de> for Opt {
        type Value = Option<Cow<'de, str>>;
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("a string or null")
        }
        fn visit_none<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_unit<E>(self) -> Result<Self::Value, E> {
            Ok(None)
        }
        fn visit_some<D2: Deserializer<'de>>(self, d: D2) -> Result<Self::Value, D2::Error> {
            d.deserialize_str(Str).map(Some)
        }
    }
    d.deserialize_option(Opt)
}

/// The text of a JSON string value, borrowed when it has no escapes;
/// `None` when `raw` is not a string.
pub(crate) fn raw_str(raw: RawJson<'_>) -> Option<Cow<'_, str>> {
    let text = raw.get();
    let inner = text.strip_prefix('"')?.strip_suffix('"')?;
    // Valid JSON (the parser checked it): without a backslash, the content
    // between the quotes is the string itself.
    if !inner.contains('\\') {
        return Some(Cow::Borrowed(inner));
    }
    serde_json::from_str::<String>(text).ok().map(Cow::Owned)
}

const RESULT_PREFIX: &[u8] = br#"{"jsonrpc":"2.0","id":"#;

/// Writes `{"jsonrpc":"2.0","id":..,"result":..}`; on a serialization
/// failure of `result` writes an internal error instead.
pub(crate) fn result_bytes<T: Serialize + ?Sized>(id: &RequestId, result: &T) -> Bytes {
    result_bytes_by(id, &[], |buf| serde_json::to_writer(buf, result).is_ok())
}

/// Writes `{"jsonrpc":"2.0","id":..,"result":..}` with `write` producing the
/// result. With `fields` (complete members such as `"a":1`, no braces), the
/// result must be an object: the fields come first and its own members
/// follow, its opening brace overwritten in place, so nothing is serialized
/// twice or copied. A failing `write` gives an internal error instead.
pub(crate) fn result_bytes_by(id: &RequestId, fields: &[&[u8]], write: impl FnOnce(&mut Vec<u8>) -> bool) -> Bytes {
    let mut buf = Vec::with_capacity(256);
    buf.extend_from_slice(RESULT_PREFIX);
    write_id(&mut buf, Some(id));
    buf.extend_from_slice(br#","result":"#);
    if fields.is_empty() {
        if !write(&mut buf) {
            tracing::error!("result did not serialize");
            return error_bytes(Some(id), &McpError::internal("Internal error: result did not serialize"));
        }
        buf.push(b'}');
        return Bytes::from(buf);
    }
    buf.push(b'{');
    for (i, f) in fields.iter().enumerate() {
        if i > 0 {
            buf.push(b',');
        }
        buf.extend_from_slice(f);
    }
    let mark = buf.len();
    if !write(&mut buf) || buf.get(mark) != Some(&b'{') {
        tracing::error!("result did not serialize as an object");
        return error_bytes(Some(id), &McpError::internal("Internal error: result did not serialize"));
    }
    if buf.len() - mark == 2 {
        // `{}`: no members to add.
        buf.truncate(mark);
        buf.push(b'}');
    } else {
        buf[mark] = b',';
    }
    buf.push(b'}');
    Bytes::from(buf)
}

/// Writes a result whose JSON is already serialized (cached lists).
pub(crate) fn raw_result_bytes(id: &RequestId, result_json: &[u8]) -> Bytes {
    let mut buf = Vec::with_capacity(RESULT_PREFIX.len() + result_json.len() + 32);
    buf.extend_from_slice(RESULT_PREFIX);
    write_id(&mut buf, Some(id));
    buf.extend_from_slice(br#","result":"#);
    buf.extend_from_slice(result_json);
    buf.push(b'}');
    Bytes::from(buf)
}

/// Writes `{"jsonrpc":"2.0","id":..,"error":..}` (`id` null when unknown).
pub(crate) fn error_bytes(id: Option<&RequestId>, error: &McpError) -> Bytes {
    let mut buf = Vec::with_capacity(128);
    buf.extend_from_slice(RESULT_PREFIX);
    write_id(&mut buf, id);
    buf.extend_from_slice(br#","error":"#);
    let mark = buf.len();
    if serde_json::to_writer(&mut buf, error).is_err() {
        // Only `data` can fail; drop it rather than lose the error.
        buf.truncate(mark);
        let bare = McpError::new(error.code, error.message.clone());
        let _ = serde_json::to_writer(&mut buf, &bare);
    }
    buf.push(b'}');
    Bytes::from(buf)
}

/// Writes a notification `{"jsonrpc":"2.0","method":..,"params":..}`.
pub(crate) fn notification_bytes<T: Serialize + ?Sized>(method: &str, params: &T) -> Bytes {
    #[derive(Serialize)]
    struct N<'a, T: ?Sized> {
        jsonrpc: &'static str,
        method: &'a str,
        params: &'a T,
    }
    serialize_or_log(&N { jsonrpc: "2.0", method, params })
}

/// Writes a server-to-client request.
pub(crate) fn request_bytes<T: Serialize + ?Sized>(id: &RequestId, method: &str, params: &T) -> Bytes {
    #[derive(Serialize)]
    struct R<'a, T: ?Sized> {
        jsonrpc: &'static str,
        id: &'a RequestId,
        method: &'a str,
        params: &'a T,
    }
    serialize_or_log(&R { jsonrpc: "2.0", id, method, params })
}

fn serialize_or_log<T: Serialize>(v: &T) -> Bytes {
    match serde_json::to_vec(v) {
        Ok(b) => Bytes::from(b),
        Err(e) => {
            tracing::error!(error = %e, "outgoing message did not serialize");
            Bytes::from_static(b"")
        }
    }
}

fn write_id(buf: &mut Vec<u8>, id: Option<&RequestId>) {
    match id {
        None => buf.extend_from_slice(b"null"),
        Some(RequestId::Number(n)) => {
            // On every answer: digits without the formatter.
            if *n < 0 {
                buf.push(b'-');
            }
            buf.extend_from_slice(crate::log_format::Decimal::new(n.unsigned_abs(), 1).as_bytes());
        }
        Some(RequestId::String(s)) => {
            // Strings need JSON escaping; serde_json does it right.
            let _ = serde_json::to_writer(&mut *buf, &**s);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn result_members_follow_the_written_fields() {
        let id = RequestId::Number(7);
        let v = serde_json::json!({ "content": [1] });
        let with = |fields: &[&[u8]], v: &serde_json::Value| {
            result_bytes_by(&id, fields, |b| serde_json::to_writer(b, v).is_ok())
        };
        let both = with(&[&br#""resultType":"complete""#[..], &br#""x":1"#[..]], &v);
        assert_eq!(&both[..], br#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete","x":1,"content":[1]}}"#);
        let empty = with(&[&br#""resultType":"complete""#[..]], &serde_json::json!({}));
        assert_eq!(&empty[..], br#"{"jsonrpc":"2.0","id":7,"result":{"resultType":"complete"}}"#);
        let none = with(&[], &v);
        assert_eq!(&none[..], br#"{"jsonrpc":"2.0","id":7,"result":{"content":[1]}}"#);
        let not_object = with(&[&br#""x":1"#[..]], &serde_json::json!([1]));
        assert!(not_object.starts_with(br#"{"jsonrpc":"2.0","id":7,"error":"#));
    }

    #[test]
    fn number_ids_are_written_as_display_writes_them() {
        for n in [0, 7, -1, 10, -10, 1234567890, i64::MAX, i64::MIN] {
            let mut buf = Vec::new();
            write_id(&mut buf, Some(&RequestId::Number(n)));
            assert_eq!(String::from_utf8(buf).unwrap(), n.to_string());
        }
    }

    #[test]
    fn ids_are_echoed_exactly() {
        let s = String::from_utf8(result_bytes(&RequestId::String("x\"y".into()), &serde_json::json!({})).to_vec())
            .unwrap();
        assert_eq!(s, r#"{"jsonrpc":"2.0","id":"x\"y","result":{}}"#);
        let e = String::from_utf8(error_bytes(None, &McpError::parse_error("bad")).to_vec()).unwrap();
        assert_eq!(e, r#"{"jsonrpc":"2.0","id":null,"error":{"code":-32700,"message":"bad"}}"#);
    }
}
