//! The params of each dispatched method, read from the request body.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::McpError;
use crate::jsonrpc::Params;
use crate::jsonrpc::params::{Members, Meta};
use crate::jsonrpc::{self, RawJson};
use crate::model::CompletionReference;

pub(super) fn parse_params<'a, T: Deserialize<'a>>(params: Option<&Params<'a>>) -> Result<T, McpError> {
    jsonrpc::object_params(params)?;
    let raw = params.map_or("{}", |p| p.text);
    serde_json::from_str(raw).map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))
}

/// A member that may be absent, `null`, or a value.
#[derive(Default)]
pub(super) enum Present<T> {
    #[default]
    Absent,
    Null,
    Value(T),
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Present<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        Ok(Option::<T>::deserialize(d)?.map_or(Self::Null, Self::Value))
    }
}

/// The MRTR members of a retried request (`inputResponses`, `requestState`).
#[derive(Default)]
pub(super) struct Retry {
    pub(super) input_responses: Present<Value>,
    pub(super) request_state: Present<Value>,
}

#[derive(Deserialize)]
pub(super) struct CursorParams<'a> {
    #[serde(borrow, default, deserialize_with = "jsonrpc::opt_cow")]
    pub(super) cursor: Option<Cow<'a, str>>,
}

/// A `tools/call`'s params, from the members read with the message.
pub(super) struct CallToolParams<'a> {
    pub(super) name: Cow<'a, str>,
    /// `None` when absent or `null`.
    pub(super) arguments: Option<RawJson<'a>>,
    /// A 2025 request's `_meta` object as sent (a 2026 one's is in
    /// `V2026Env::meta`).
    pub(super) meta: Option<&'a str>,
    pub(super) input_responses: Present<Value>,
    pub(super) request_state: Present<Value>,
}

impl<'a> CallToolParams<'a> {
    /// From the members read with the message: the checks deserializing
    /// params would make, without reading them again. A 2026 request's
    /// `_meta` is in `V2026Env` already; a 2025 one is checked here.
    pub(super) fn read(params: Option<&Params<'a>>, is_2026: bool) -> Result<Self, McpError> {
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        let m = params.map_or(Members::NONE, |p| p.members);
        m.check_unique()?;
        let name = match m.name {
            None => return Err(invalid("missing field `name`")),
            Some(raw) => jsonrpc::raw_str(raw).ok_or_else(|| invalid("name must be a string"))?,
        };
        let present = |raw: Option<RawJson<'_>>| -> Result<Present<Value>, McpError> {
            match raw {
                None => Ok(Present::Absent),
                Some(r) => serde_json::from_str(r.get()).map_err(|e| invalid(&e.to_string())),
            }
        };
        let meta = match (is_2026, m.meta()) {
            (true, _) | (false, Meta::Absent | Meta::Null) => None,
            (false, Meta::NotObject) => return Err(invalid("_meta must be an object")),
            (false, Meta::Object(o)) => Some(o.text.map_or_else(|| meta_text(params), Ok)?),
        };
        Ok(Self {
            name,
            arguments: m.arguments.filter(|a| a.get() != "null"),
            meta,
            input_responses: present(m.input_responses)?,
            request_state: present(m.request_state)?,
        })
    }
}

/// `_meta`'s text read again from params, when it could not be found in
/// the body in the first pass (an escaped first key).
fn meta_text<'a>(params: Option<&Params<'a>>) -> Result<&'a str, McpError> {
    #[derive(Deserialize)]
    struct P<'a> {
        #[serde(rename = "_meta", borrow)]
        meta: &'a RawValue,
    }
    let text = params.map_or("{}", |p| p.text);
    serde_json::from_str::<P<'a>>(text)
        .map(|p| p.meta.get())
        .map_err(|e| McpError::invalid_params(format!("Invalid params: {e}")))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct ReadParams<'a> {
    pub(super) uri: String,
    #[serde(rename = "_meta", borrow, default)]
    pub(super) meta: Option<&'a RawValue>,
    #[serde(default)]
    pub(super) input_responses: Present<Value>,
    #[serde(default)]
    pub(super) request_state: Present<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct GetPromptParams<'a> {
    pub(super) name: String,
    #[serde(default)]
    pub(super) arguments: Option<HashMap<String, String>>,
    #[serde(rename = "_meta", borrow, default)]
    pub(super) meta: Option<&'a RawValue>,
    #[serde(default)]
    pub(super) input_responses: Present<Value>,
    #[serde(default)]
    pub(super) request_state: Present<Value>,
}

#[derive(Deserialize)]
pub(super) struct CompleteParams<'a> {
    #[serde(rename = "ref")]
    pub(super) reference: CompletionReference,
    pub(super) argument: CompleteArgument,
    #[serde(default)]
    pub(super) context: Option<CompleteContext>,
    #[serde(rename = "_meta", borrow, default)]
    pub(super) meta: Option<&'a RawValue>,
}

#[derive(Deserialize)]
pub(super) struct CompleteArgument {
    pub(super) name: String,
    pub(super) value: String,
}

#[derive(Deserialize)]
pub(super) struct CompleteContext {
    #[serde(default)]
    pub(super) arguments: Option<HashMap<String, String>>,
}
