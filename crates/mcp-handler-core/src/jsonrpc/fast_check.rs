//! The fast reader compared with the serde reader on one body, for the
//! tests and the fuzz target (`fuzz_api::fast_reader_agrees`).

use std::collections::BTreeMap;

use serde_json::value::RawValue;

use super::read;
use crate::jsonrpc::incoming::InvalidMessage;
use crate::jsonrpc::params::{Meta, Slot};
use crate::jsonrpc::{Incoming, Params, RawJson};

/// `Ok(true)`: the fast reader read `text` as serde does; `Ok(false)`: it
/// declined; `Err`: both readings, which differ.
pub(crate) fn agreement(text: &str) -> Result<bool, (String, String)> {
    let Some(fast) = fast(text) else { return Ok(false) };
    let serde = serde(text);
    if fast == serde { Ok(true) } else { Err((fast, serde)) }
}

/// The fast reader's message, `None` when it declines.
fn fast(text: &str) -> Option<String> {
    let mut slot = Slot::default();
    let (msg, params) = read(text, &mut slot)?;
    Some(render(Incoming::from_raw(msg, text, params, slot.members())))
}

/// The serde reader's message.
fn serde(text: &str) -> String {
    let mut slot = Slot::default();
    render(Incoming::parse_with_serde(text, &mut slot))
}

/// What the endpoint acts on of a message, in one string: every member
/// `Members` holds, the text of `params` and of `_meta` (found again the
/// slow way where a reader could not find it), the error sent.
fn render(r: Result<Incoming<'_>, InvalidMessage>) -> String {
    match r {
        Err(e) => format!("invalid id={:?} {} {}", e.id, e.error.code.0, e.error.message),
        Ok(Incoming::Request { id, method, params }) => format!("request {id:?} {method:?} {}", params_of(params)),
        Ok(Incoming::Notification { method, params }) => format!("notification {method:?} {}", params_of(params)),
        Ok(Incoming::Response { id, outcome }) => {
            format!("response {id:?} {:?}", outcome.map(RawValue::get).map_err(RawValue::get))
        }
    }
}

/// `{` and `}` around nothing but whitespace are one empty object.
fn object_text(t: &str) -> &str {
    if t.strip_prefix('{').and_then(|t| t.strip_suffix('}')).is_some_and(|t| t.trim().is_empty()) { "{}" } else { t }
}

fn params_of(p: Option<Params<'_>>) -> String {
    let Some(p) = p else { return "no params".into() };
    let m = p.members;
    fn text(r: Option<RawJson<'_>>) -> Option<&str> {
        r.map(RawJson::get)
    }
    let meta = match m.meta() {
        Meta::Absent => "absent".into(),
        Meta::Null => "null".into(),
        Meta::NotObject => "not an object".into(),
        Meta::Object(o) => {
            let found = o.text.map(str::to_owned).or_else(|| {
                let all: BTreeMap<String, &RawValue> = serde_json::from_str(p.text).ok()?;
                Some(all.get("_meta")?.get().to_owned())
            });
            format!(
                "{:?} v={:?} c={:?} i={:?} l={:?} tp={:?} ts={:?} dup={:?}",
                found.as_deref().map(object_text),
                text(o.version),
                text(o.capabilities),
                text(o.info),
                text(o.log_level),
                text(o.traceparent),
                text(o.tracestate),
                o.duplicate
            )
        }
    };
    format!(
        "params={:?} name={:?} uri={:?} args={:?} ir={:?} rs={:?} dup={:?} meta: {meta}",
        object_text(p.text),
        text(m.name),
        text(m.uri),
        text(m.arguments),
        text(m.input_responses),
        text(m.request_state),
        m.duplicate
    )
}
