//! The members read with the message, and the text of `params` found in
//! the body, agree with serde_json reading `params` on its own.

use proptest::prelude::*;
use serde::Deserialize;
use serde_json::value::RawValue;

use super::{Meta, Params};
use crate::jsonrpc::{Incoming, RawJson};

/// `params` and its members as serde_json reads them, the old way.
#[derive(Deserialize)]
struct Plain<'a> {
    #[serde(borrow)]
    params: Option<&'a RawValue>,
}

/// A test's message (body and slot leaked) as the endpoint reads it.
fn found(body: &str) -> Option<Params<'static>> {
    let body: &'static str = Box::leak(body.to_owned().into_boxed_str());
    match Incoming::parse(body.as_bytes(), Box::leak(Box::default())).expect("a valid message") {
        Incoming::Request { params, .. } | Incoming::Notification { params, .. } => params,
        Incoming::Response { .. } => panic!("a request"),
    }
}

/// `text` read alone, its slot leaked.
fn read(text: &str) -> Result<Params<'static>, serde_json::Error> {
    Params::read(Box::leak(text.to_owned().into_boxed_str()), Box::leak(Box::default()))
}

fn plain(body: &str) -> Option<&str> {
    serde_json::from_str::<Plain<'_>>(body).unwrap().params.map(RawValue::get)
}

fn message(params: &str) -> String {
    format!(r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{params},"x":[]}}"#)
}

#[test]
fn the_text_is_found_in_the_body_or_read_again() {
    for params in [
        r#"{"name":"echo","arguments":{"text":"hi"}}"#,
        r#" {  "name" : "echo" ,"arguments": { "a" : [1, {"b":null}] }  } "#,
        r#"{"name":"echo","_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","x":{}}}"#,
        "{\"name\":\"echo\",\n\t\"_meta\" : {\"progressToken\" : 1 }\r\n }",
        r#"{"_meta":{},"name":"e"}"#,
        // The fallbacks: `_meta` empty or no object at the end, an
        // escaped first key, params that are no object.
        r#"{"name":"e","_meta":{}}"#,
        r#"{"name":"e","_meta":7}"#,
        r#"{"\u006eame":"e","uri":"u"}"#,
        r#"{"name":"e","_meta":{"\u0074raceparent":"t"}}"#,
        "[1,2]",
        "{}",
        "{ }",
    ] {
        let body = message(params);
        let text = found(&body).expect("params").text;
        let expected = plain(&body).unwrap();
        let empty = expected.trim_start_matches('{').trim_start().starts_with('}');
        assert!(text == expected || (empty && text == "{}"), "{params}: found {text:?}");
    }
    assert!(found(r#"{"jsonrpc":"2.0","id":1,"method":"ping","params":null}"#).is_none());
}

#[test]
fn members_are_read_as_sent() {
    let body = message(
        r#"{"name":"a\"b","uri":null,"arguments":{"k":1},"requestState":"s","_meta":{"traceparent":"t","io.modelcontextprotocol/protocolVersion":"2026-07-28"}}"#,
    );
    let p = found(&body).unwrap();
    let m = p.members;
    assert_eq!(m.name.map(RawJson::get), Some(r#""a\"b""#));
    assert_eq!(m.uri.map(RawJson::get), Some("null"), "null is kept as sent");
    assert_eq!(m.arguments.map(RawJson::get), Some(r#"{"k":1}"#));
    assert_eq!(m.request_state.map(RawJson::get), Some(r#""s""#));
    assert!(m.input_responses.is_none() && m.duplicate.is_none());
    let Meta::Object(meta) = m.meta() else { panic!("an object") };
    assert_eq!(meta.traceparent.map(RawJson::get), Some(r#""t""#));
    assert_eq!(meta.text, Some(r#"{"traceparent":"t","io.modelcontextprotocol/protocolVersion":"2026-07-28"}"#));
    for (meta, expected) in [("null", "Null"), ("\"x\"", "NotObject"), ("[{}]", "NotObject")] {
        let text = format!(r#"{{"_meta":{meta}}}"#);
        let p = read(&text).unwrap();
        assert_eq!(format!("{:?}", p.members.meta()), expected);
    }
}

#[test]
fn a_member_sent_twice_is_remembered() {
    let p = read(r#"{"name":"a","arguments":{},"name":"b"}"#).unwrap();
    assert_eq!(p.members.duplicate, Some("name"));
    assert_eq!(p.members.name.map(RawJson::get), Some(r#""b""#));
    let p = read(r#"{"_meta":{"traceparent":"a","traceparent":"b"}}"#).unwrap();
    let Meta::Object(meta) = p.members.meta() else { panic!("an object") };
    assert_eq!((p.members.duplicate, meta.duplicate), (None, Some("traceparent")));
    // A duplicate of a member the reader does not act on is no matter.
    assert_eq!(read(r#"{"cursor":"a","cursor":"b"}"#).unwrap().members.duplicate, None);
}

/// A JSON value of a few levels, written with random spacing.
fn value() -> impl Strategy<Value = String> {
    let leaf = prop_oneof![
        Just("null".to_owned()),
        Just("true".to_owned()),
        any::<i32>().prop_map(|n| n.to_string()),
        "[a-z\"\\\\/ é]{0,6}".prop_map(|s| serde_json::to_string(&s).unwrap()),
        Just(r#""\u00e9\n""#.to_owned()),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec((inner.clone(), space()), 0..4).prop_map(|items| {
                let items: Vec<String> = items.into_iter().map(|(v, s)| format!("{s}{v}{s}")).collect();
                format!("[{}]", items.join(","))
            }),
            prop::collection::vec((key(), inner, space()), 0..4).prop_map(|m| object(&m)),
        ]
    })
}

fn space() -> impl Strategy<Value = &'static str> {
    prop_oneof![Just(""), Just(" "), Just("\n\t"), Just("\r\n  ")]
}

/// The names the reader acts on, escaped or not, and others.
fn key() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("name"),
        Just("uri"),
        Just("arguments"),
        Just("_meta"),
        Just("requestState"),
        Just("traceparent"),
        Just("io.modelcontextprotocol/protocolVersion"),
        Just("n\\u0061me"),
        Just("other"),
        Just(""),
    ]
    .prop_map(|k| format!("\"{k}\""))
}

fn object(members: &[(String, String, &str)]) -> String {
    let items: Vec<String> = members.iter().map(|(k, v, s)| format!("{s}{k}{s}:{s}{v}{s}")).collect();
    format!("{{{}}}", items.join(","))
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn found_text_and_members_agree_with_serde(
        members in prop::collection::vec((key(), value(), space()), 0..6),
        meta in prop::option::of(prop::collection::vec((key(), value(), space()), 0..4)),
        at in 0usize..6,
    ) {
        let mut members = members;
        if let Some(meta) = meta {
            members.insert(at.min(members.len()), ("\"_meta\"".to_owned(), object(&meta), " "));
        }
        let params = object(&members);
        let body = message(&params);
        let p = found(&body).expect("params");
        let expected = plain(&body).unwrap();
        let empty = serde_json::from_str::<serde_json::Map<String, serde_json::Value>>(expected)
            .is_ok_and(|m| m.is_empty());
        prop_assert!(p.text == expected || (empty && p.text == "{}"), "found {:?} for {}", p.text, expected);
        // The members agree with reading them from the text: the last
        // value of a name (serde_json's `Value` keeps the last).
        let v: serde_json::Value = serde_json::from_str(expected).unwrap();
        let raw = |r: Option<RawJson<'_>>| r.map(|r| serde_json::from_str::<serde_json::Value>(r.get()).unwrap());
        prop_assert_eq!(raw(p.members.name), v.get("name").cloned());
        prop_assert_eq!(raw(p.members.arguments), v.get("arguments").cloned());
        if let Meta::Object(m) = p.members.meta() {
            let sent = v.get("_meta").unwrap();
            prop_assert_eq!(raw(m.traceparent), sent.get("traceparent").cloned());
            if let Some(text) = m.text {
                prop_assert_eq!(&serde_json::from_str::<serde_json::Value>(text).unwrap(), sent);
            }
        }
    }
}
