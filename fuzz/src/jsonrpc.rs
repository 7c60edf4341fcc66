//! Target `jsonrpc`: any bytes as one POST body. The decoder
//! (`Incoming::parse`) must classify them without panicking, agree with a
//! plain JSON parse on the id and on the text of `params` (which it finds
//! in the body rather than capturing), and the whole round through dispatch (both
//! protocol generations) must answer with one well-formed JSON-RPC response
//! that echoes the request's id, or `null` when no id could be read.

use mcp_handler_core::fuzz_api::{self, Message};
use mcp_handler_core::{ErrorCode, ProtocolVersion, RequestId};
use serde_json::Value;

use crate::router::{DISPATCHER, RUNTIME};

/// Panics when `data` breaks a property (see the module docs).
pub fn check(data: &[u8]) {
    // The hand-written reader of common messages reads what it reads as
    // serde_json does (whatever it declines, serde reads).
    if let Err(both) = fuzz_api::fast_reader_agrees(data) {
        panic!("the two readers differ on {:?}\n{both}", String::from_utf8_lossy(data));
    }
    let parsed = fuzz_api::parse_message(data);
    // serde_json's own reading of the body, when it has one (a lone
    // surrogate in a skipped string is refused by `Value` only).
    let plain: Option<Value> = serde_json::from_slice(data).ok();
    let echoed = match &parsed {
        Message::Request { id, .. } | Message::Response { id, .. } => {
            if let Some(plain) = &plain {
                assert_eq!(plain["id"], id_json(Some(id)), "the decoder read another id than the JSON holds");
            }
            Some(id.clone())
        }
        Message::Notification { .. } => {
            assert!(plain.as_ref().is_none_or(|v| v.get("id").is_none()), "a notification with an id");
            None
        }
        Message::Invalid { id, error } => {
            let codes = [ErrorCode::PARSE_ERROR, ErrorCode::INVALID_REQUEST];
            assert!(codes.contains(&error.code), "an invalid message got {}", error.code.0);
            if error.code == ErrorCode::PARSE_ERROR {
                assert!(id.is_none(), "an id read from a body that does not parse");
            }
            id.clone()
        }
    };
    if let Message::Request { params: Some(text), .. } | Message::Notification { params: Some(text), .. } = &parsed {
        check_params(data, text);
    }
    let answers_id = match &parsed {
        Message::Request { .. } | Message::Invalid { .. } => echoed,
        // The round answers requests only; what it sends back carries no id.
        Message::Notification { .. } | Message::Response { .. } => None,
    };
    for version in [ProtocolVersion::V2025_06_18, ProtocolVersion::V2026_07_28] {
        let answer = RUNTIME.block_on(DISPATCHER.handle(version, data));
        check_answer(&answer, answers_id.as_ref(), version);
    }
}

/// One JSON-RPC response object echoing `id` (`null` when `None`).
fn check_answer(answer: &[u8], id: Option<&RequestId>, version: ProtocolVersion) {
    let text = String::from_utf8_lossy(answer);
    let v: Value =
        serde_json::from_slice(answer).unwrap_or_else(|e| panic!("{version}: answer is not JSON ({e}): {text}"));
    assert_eq!(v["jsonrpc"], "2.0", "{version}: {text}");
    assert_eq!(v["id"], id_json(id), "{version}: the answer does not echo the id: {text}");
    match (v.get("result"), v.get("error")) {
        (Some(_), None) => {}
        (None, Some(e)) => {
            assert!(e["code"].is_i64() && e["message"].is_string(), "{version}: malformed error object: {text}");
        }
        _ => panic!("{version}: an answer has exactly one of result and error: {text}"),
    }
}

/// The params text found equals serde_json's capture of it; an empty
/// object may be found as `{}` without its inner spacing.
fn check_params(data: &[u8], found: &str) {
    #[derive(serde::Deserialize)]
    struct Plain<'a> {
        #[serde(borrow)]
        params: &'a serde_json::value::RawValue,
    }
    let Ok(text) = std::str::from_utf8(data) else { return };
    let Ok(plain) = serde_json::from_str::<Plain<'_>>(text) else { return };
    let expected = plain.params.get();
    let empty = serde_json::from_str::<serde_json::Map<String, Value>>(expected).is_ok_and(|m| m.is_empty());
    assert!(found == expected || (empty && found == "{}"), "params found as {found:?}, sent as {expected:?}");
}

fn id_json(id: Option<&RequestId>) -> Value {
    serde_json::to_value(id).expect("an id serializes")
}
