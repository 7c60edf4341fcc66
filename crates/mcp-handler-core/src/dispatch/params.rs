//! The params of each dispatched method, read from the request body.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::McpError;
use crate::jsonrpc::{self};
use crate::model::CompletionReference;
use crate::v2026::meta::Named;

pub(super) fn parse_params<'a, T: Deserialize<'a>>(params: Option<&'a RawValue>) -> Result<T, McpError> {
    jsonrpc::object_params(params)?;
    let raw = params.map_or("{}", RawValue::get);
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

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct CallToolParams<'a> {
    #[serde(borrow)]
    pub(super) name: Cow<'a, str>,
    #[serde(borrow, default)]
    pub(super) arguments: Option<&'a RawValue>,
    /// Left unparsed: a 2026 request's `_meta` was already parsed (and
    /// arrives in `V2026Env::meta`); a 2025 one is parsed only here.
    #[serde(rename = "_meta", borrow, default)]
    pub(super) meta: Option<&'a RawValue>,
    #[serde(default)]
    pub(super) input_responses: Present<Value>,
    #[serde(default)]
    pub(super) request_state: Present<Value>,
}

impl<'a> CallToolParams<'a> {
    /// From the members the endpoint already read with `_meta` (2026): the
    /// same checks as deserializing params, without reading them again.
    pub(super) fn from_named(n: Named<'a>) -> Result<Self, McpError> {
        let invalid = |why: &str| McpError::invalid_params(format!("Invalid params: {why}"));
        let name = match n.name {
            None => return Err(invalid("missing field `name`")),
            Some(raw) => jsonrpc::raw_str(raw).ok_or_else(|| invalid("name must be a string"))?,
        };
        let present = |raw: Option<&RawValue>| -> Result<Present<Value>, McpError> {
            match raw {
                None => Ok(Present::Absent),
                Some(r) => serde_json::from_str(r.get()).map_err(|e| invalid(&e.to_string())),
            }
        };
        Ok(Self {
            name,
            arguments: n.arguments,
            // Already in `V2026Env::meta`.
            meta: None,
            input_responses: present(n.input_responses)?,
            request_state: present(n.request_state)?,
        })
    }
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
