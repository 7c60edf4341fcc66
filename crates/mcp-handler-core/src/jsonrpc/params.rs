//! A request's `params`, read in the same pass as the message around it
//! (by serde_json here; `fast.rs` fills the same [`Slot`] by hand).
//!
//! The endpoint acts on a few members of `params` (`name`, `uri`,
//! `arguments`, the MRTR members, the 2026 `_meta`); reading them while the
//! message is parsed, instead of skipping `params` and reading it again,
//! saves a pass over the biggest part of every body. The text of `params`
//! is still wanted (the other methods' own params, `ctx.meta()`), and a
//! `RawValue` cannot both be captured and read: it is found again in the
//! body from where its first key and last value lie ([`Anchors`]), which
//! costs no pass at all. Where that is not possible (an escaped first key,
//! an empty `_meta` at the end, params that are no object), the message is
//! read again the old way: the same answer, slower.

use std::fmt;

use serde::Deserialize;
use serde::de::{self, DeserializeSeed, IgnoredAny, MapAccess, SeqAccess, Visitor};
use serde_json::value::RawValue;

use super::RawJson;

/// A request's `params`: the text as sent and the members read from it.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Params<'a> {
    /// The whole `params` value as sent (an object, or an array that
    /// methods refuse with `-32602`).
    pub(crate) text: &'a str,
    /// The members the endpoint acts on (all absent unless an object),
    /// kept where the pass wrote them ([`Slot`]).
    pub(crate) members: &'a Members<'a>,
}

/// The members of `params` the endpoint acts on, each as sent (`null`
/// included, unlike a plain `Option<&RawValue>`).
#[derive(Debug, Default)]
pub(crate) struct Members<'a> {
    pub(crate) name: Option<RawJson<'a>>,
    pub(crate) uri: Option<RawJson<'a>>,
    pub(crate) arguments: Option<RawJson<'a>>,
    pub(crate) input_responses: Option<RawJson<'a>>,
    pub(crate) request_state: Option<RawJson<'a>>,
    pub(super) meta_kind: MetaKind,
    pub(super) meta: MetaMembers<'a>,
    /// A member that came twice (invalid params).
    pub(crate) duplicate: Option<&'static str>,
}

/// What `_meta` held.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub(super) enum MetaKind {
    #[default]
    Absent,
    Null,
    NotObject,
    Object,
}

/// What `_meta` held, its members when an object.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Meta<'m, 'a> {
    Absent,
    Null,
    /// Some other value than an object or `null`.
    NotObject,
    Object(&'m MetaMembers<'a>),
}

/// The members of `_meta` the endpoint reads, as sent.
#[derive(Debug, Default)]
pub(crate) struct MetaMembers<'a> {
    /// The object's text, when it could be found in the body.
    pub(crate) text: Option<&'a str>,
    pub(crate) version: Option<RawJson<'a>>,
    pub(crate) capabilities: Option<RawJson<'a>>,
    pub(crate) info: Option<RawJson<'a>>,
    pub(crate) log_level: Option<RawJson<'a>>,
    pub(crate) traceparent: Option<RawJson<'a>>,
    pub(crate) tracestate: Option<RawJson<'a>>,
    /// One of these that came twice (invalid in a 2026 request).
    pub(crate) duplicate: Option<&'static str>,
}

impl<'a> Members<'a> {
    /// No params: every member absent.
    pub(crate) const NONE: &'static Members<'static> = &Members {
        name: None,
        uri: None,
        arguments: None,
        input_responses: None,
        request_state: None,
        meta_kind: MetaKind::Absent,
        meta: MetaMembers {
            text: None,
            version: None,
            capabilities: None,
            info: None,
            log_level: None,
            traceparent: None,
            tracestate: None,
            duplicate: None,
        },
        duplicate: None,
    };

    /// `-32602` when a member the endpoint acts on came twice, as serde's
    /// derive refused it.
    pub(crate) fn check_unique(&self) -> Result<(), crate::error::McpError> {
        match self.duplicate {
            None => Ok(()),
            Some(name) => {
                Err(crate::error::McpError::invalid_params(format!("Invalid params: duplicate field `{name}`")))
            }
        }
    }

    /// What `_meta` held.
    pub(crate) fn meta(&self) -> Meta<'_, 'a> {
        match self.meta_kind {
            MetaKind::Absent => Meta::Absent,
            MetaKind::Null => Meta::Null,
            MetaKind::NotObject => Meta::NotObject,
            MetaKind::Object => Meta::Object(&self.meta),
        }
    }
}

impl<'a> Params<'a> {
    /// Reads `text` alone (a request's params, as a test or the fuzz
    /// target has it) into `slot`.
    #[cfg(any(test, feature = "fuzzing"))]
    pub(crate) fn read(text: &'a str, slot: &'a mut Slot<'a>) -> Result<Self, serde_json::Error> {
        use serde::de::DeserializeSeed as _;
        let mut de = serde_json::Deserializer::from_str(text);
        ParamsSeed(&mut *slot).deserialize(&mut de)?;
        de.end()?;
        slot.finish(text);
        // serde_json allows whitespace only around the value.
        Ok(Self { text: text.trim(), members: &slot.members })
    }
}

/// Where the pass over the message writes what it reads of `params`. The
/// caller keeps it (in the endpoint's future, which is not moved once it
/// runs), so that nothing this size is returned or moved along with the
/// message.
#[derive(Default)]
pub(crate) struct Slot<'a> {
    pub(super) members: Members<'a>,
    pub(super) object: bool,
    anchors: Anchors<'a>,
    meta_anchors: Anchors<'a>,
}

impl<'a> Slot<'a> {
    /// Finds `_meta`'s text in `body`, and returns that of `params`;
    /// `None` when it must be read again (not an object, or no anchors).
    pub(crate) fn finish(&mut self, body: &'a str) -> Option<&'a str> {
        if self.members.meta_kind == MetaKind::Object {
            self.members.meta.text = self.meta_anchors.find(body);
        }
        self.object.then(|| self.anchors.find(body)).flatten()
    }

    /// The members, once [`finish`](Self::finish)ed.
    pub(crate) fn members(&self) -> &Members<'a> {
        &self.members
    }
}

/// Where an object lies in the text it was read from: its first key (when
/// it had no escapes, so is borrowed from the text), and its last value
/// with the number of objects that value closes before this one ends (one
/// when the last member is `_meta` and its own last value is known).
#[derive(Default, Clone, Copy)]
struct Anchors<'a> {
    empty: bool,
    first_key: Option<&'a str>,
    last_value: Option<(&'a str, u8)>,
}

impl<'a> Anchors<'a> {
    /// An object whose members are still to come.
    const OPEN: Self = Self { empty: true, first_key: None, last_value: None };

    /// A member's key: the first one anchors the object's start.
    fn key(&mut self, key: &Key<'a>) {
        if self.empty {
            *self = Self { empty: false, first_key: key.borrowed, last_value: None };
        }
    }

    /// A member's value, read whole: the last one anchors the object's end.
    fn value<'de: 'a, A: MapAccess<'de>>(&mut self, map: &mut A) -> Result<RawJson<'a>, A::Error> {
        let value: &'de RawValue = map.next_value()?;
        self.last_value = Some((value.get(), 0));
        Ok(RawJson::of(value))
    }

    /// The object's text, from the `{` before its first key to the `}`
    /// after its last value. `body` is valid JSON (it was parsed), so only
    /// whitespace lies between the anchors and the braces; anything else
    /// (a pointer from elsewhere) gives `None`.
    fn find(&self, body: &'a str) -> Option<&'a str> {
        if self.empty {
            return Some("{}");
        }
        let bytes = body.as_bytes();
        let offset = |s: &str| (s.as_ptr() as usize).checked_sub(body.as_ptr() as usize);
        let key = offset(self.first_key?)?;
        if key == 0 || bytes.get(key - 1) != Some(&b'"') {
            return None;
        }
        let mut start = key - 1;
        loop {
            start = start.checked_sub(1)?;
            match bytes[start] {
                b' ' | b'\t' | b'\n' | b'\r' => {}
                b'{' => break,
                _ => return None,
            }
        }
        let (last, closes) = self.last_value?;
        let mut end = offset(last)? + last.len();
        for _ in 0..=closes {
            loop {
                match bytes.get(end)? {
                    b' ' | b'\t' | b'\n' | b'\r' => end += 1,
                    b'}' => break,
                    _ => return None,
                }
            }
            end += 1;
        }
        body.get(start..end)
    }
}

/// The names the readers act on, matched once per key.
#[derive(Clone, Copy, PartialEq)]
pub(super) enum Field {
    Name,
    Uri,
    Arguments,
    InputResponses,
    RequestState,
    Meta,
    Version,
    Capabilities,
    Info,
    LogLevel,
    Traceparent,
    Tracestate,
    Other,
}

impl Field {
    pub(super) fn of(key: &str) -> Self {
        match key {
            "name" => Self::Name,
            "uri" => Self::Uri,
            "arguments" => Self::Arguments,
            "inputResponses" => Self::InputResponses,
            "requestState" => Self::RequestState,
            "_meta" => Self::Meta,
            "io.modelcontextprotocol/protocolVersion" => Self::Version,
            "io.modelcontextprotocol/clientCapabilities" => Self::Capabilities,
            "io.modelcontextprotocol/clientInfo" => Self::Info,
            "io.modelcontextprotocol/logLevel" => Self::LogLevel,
            "traceparent" => Self::Traceparent,
            "tracestate" => Self::Tracestate,
            _ => Self::Other,
        }
    }

    fn wire_name(self) -> &'static str {
        match self {
            Self::Name => "name",
            Self::Uri => "uri",
            Self::Arguments => "arguments",
            Self::InputResponses => "inputResponses",
            Self::RequestState => "requestState",
            Self::Meta => "_meta",
            Self::Version => "io.modelcontextprotocol/protocolVersion",
            Self::Capabilities => "io.modelcontextprotocol/clientCapabilities",
            Self::Info => "io.modelcontextprotocol/clientInfo",
            Self::LogLevel => "io.modelcontextprotocol/logLevel",
            Self::Traceparent => "traceparent",
            Self::Tracestate => "tracestate",
            Self::Other => "",
        }
    }
}

/// A key: which name it is, and the key itself when borrowed from the text.
struct Key<'a> {
    field: Field,
    borrowed: Option<&'a str>,
}

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: de::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("a member name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key { field: Field::of(v), borrowed: Some(v) })
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key { field: Field::of(v), borrowed: None })
            }
        }
        d.deserialize_str(V)
    }
}

/// Stores `value` in `slot`, remembering the first name that came twice.
fn put<'a>(slot: &mut Option<RawJson<'a>>, value: RawJson<'a>, field: Field, dup: &mut Option<&'static str>) {
    if slot.is_some() && dup.is_none() {
        *dup = Some(field.wire_name());
    }
    *slot = Some(value);
}

impl<'a> Members<'a> {
    /// Keeps `value` when `field` is one of the members kept as text
    /// (both readers store them here).
    pub(super) fn keep(&mut self, field: Field, value: RawJson<'a>) {
        let member = match field {
            Field::Name => &mut self.name,
            Field::Uri => &mut self.uri,
            Field::Arguments => &mut self.arguments,
            Field::InputResponses => &mut self.input_responses,
            Field::RequestState => &mut self.request_state,
            _ => return,
        };
        put(member, value, field, &mut self.duplicate);
    }

    /// Starts a `_meta` member (both readers): a second one is a duplicate,
    /// and only the last one's members count. The members to fill.
    pub(super) fn start_meta(&mut self) -> &mut MetaMembers<'a> {
        if self.meta_kind != MetaKind::Absent && self.duplicate.is_none() {
            self.duplicate = Some("_meta");
        }
        self.meta = MetaMembers::default();
        &mut self.meta
    }
}

impl<'a> MetaMembers<'a> {
    /// [`Members::keep`] for `_meta`'s members.
    pub(super) fn keep(&mut self, field: Field, value: RawJson<'a>) {
        let member = match field {
            Field::Version => &mut self.version,
            Field::Capabilities => &mut self.capabilities,
            Field::Info => &mut self.info,
            Field::LogLevel => &mut self.log_level,
            Field::Traceparent => &mut self.traceparent,
            Field::Tracestate => &mut self.tracestate,
            _ => return,
        };
        put(member, value, field, &mut self.duplicate);
    }
}

/// Reads `_meta` into the slot's members and anchors.
struct MetaSeed<'s, 'a> {
    members: &'s mut MetaMembers<'a>,
    anchors: &'s mut Anchors<'a>,
}

/// A seed that is its own visitor of any JSON value.
macro_rules! any_value_seed {
    ($seed:ident, $ty:ty) => {
        impl<'de: 'a, 'a> DeserializeSeed<'de> for $seed<'_, 'a> {
            type Value = $ty;
            fn deserialize<D: de::Deserializer<'de>>(self, d: D) -> Result<$ty, D::Error> {
                d.deserialize_any(self)
            }
        }
    };
}

/// A value other than an object, in a visitor: consumed, and remembered
/// as `$value`.
macro_rules! not_object {
    ($value:expr) => {
        fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
            f.write_str("any JSON value")
        }
        fn visit_bool<E>(self, _: bool) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_i64<E>(self, _: i64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_u64<E>(self, _: u64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_f64<E>(self, _: f64) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_str<E>(self, _: &str) -> Result<Self::Value, E> {
            Ok($value)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
            while seq.next_element::<IgnoredAny>()?.is_some() {}
            Ok($value)
        }
    };
}

any_value_seed!(MetaSeed, MetaKind);

impl<'de: 'a, 'a> Visitor<'de> for MetaSeed<'_, 'a> {
    type Value = MetaKind;
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<MetaKind, A::Error> {
        let m = self.members;
        *self.anchors = Anchors::OPEN;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            self.anchors.key(&key);
            let value = self.anchors.value(&mut map)?;
            m.keep(key.field, value);
        }
        Ok(MetaKind::Object)
    }
    fn visit_unit<E>(self) -> Result<MetaKind, E> {
        Ok(MetaKind::Null)
    }
    not_object!(MetaKind::NotObject);
}

/// Reads `params` into the slot; `false` when it was `null` (absent).
pub(crate) struct ParamsSeed<'s, 'a>(pub(crate) &'s mut Slot<'a>);

any_value_seed!(ParamsSeed, bool);

impl<'de: 'a, 'a> Visitor<'de> for ParamsSeed<'_, 'a> {
    type Value = bool;
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<bool, A::Error> {
        let slot = self.0;
        slot.object = true;
        slot.anchors = Anchors::OPEN;
        let m = &mut slot.members;
        while let Some(key) = map.next_key::<Key<'de>>()? {
            slot.anchors.key(&key);
            if key.field == Field::Meta {
                let members = m.start_meta();
                m.meta_kind = map.next_value_seed(MetaSeed { members, anchors: &mut slot.meta_anchors })?;
                // The end of `_meta` is known when its last value is.
                slot.anchors.last_value = match m.meta_kind {
                    MetaKind::Object => slot.meta_anchors.last_value.map(|(v, closes)| (v, closes + 1)),
                    _ => None,
                };
                continue;
            }
            let value = slot.anchors.value(&mut map)?;
            m.keep(key.field, value);
        }
        Ok(true)
    }
    fn visit_unit<E>(self) -> Result<bool, E> {
        Ok(false)
    }
    not_object!(true);
}

#[cfg(test)]
#[path = "params_tests.rs"]
mod tests;
