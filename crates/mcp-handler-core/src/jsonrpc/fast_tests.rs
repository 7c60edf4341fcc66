//! The fast reader against the serde reader: whatever it accepts, serde
//! reads the same way, member for member; what it declines serde decides.

use proptest::prelude::*;

/// Accepted by the fast reader, and read as serde reads it.
fn agrees(text: &str) -> bool {
    match super::check::agreement(text) {
        Ok(accepted) => accepted,
        Err((fast, serde)) => panic!("{text}\nfast:  {fast}\nserde: {serde}"),
    }
}

#[test]
fn the_common_messages_are_read_by_hand_as_serde_reads_them() {
    let meta = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{},"io.modelcontextprotocol/clientInfo":{"name":"c","version":"1"},"io.modelcontextprotocol/logLevel":"debug","traceparent":"00-a-b-01"}"#;
    for text in [
        r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo","arguments":{"text":"hello"}}}"#,
        &format!(
            r#"{{"jsonrpc":"2.0","id":7,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"hi"}},{meta}}}}}"#
        ),
        &format!(r#"{{"jsonrpc":"2.0","id":"s-1","method":"tools/list","params":{{{meta}}}}}"#),
        r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"roots":{"listChanged":true}},"clientInfo":{"name":"c","version":"1"}}}"#,
        r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#,
        r#" { "jsonrpc" : "2.0" , "id" : 2 , "method" : "ping" , "params" : null } "#,
        "{\n\t\"method\": \"x\",\r\n \"id\": 123456789012345678, \"jsonrpc\": \"2.0\", \"params\": {}\n}",
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":[1,-2.5e+3,0.0,true,false,null,"\u00e9\n\"",{"b":[[],{}]}],"_meta":{ }}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"name":"a","name":"b","_meta":null,"_meta":{}}}"#,
        r#"{"jsonrpc":"1.0","id":null,"method":null,"x":{"\u0000":"\ud800"}}"#,
        r#"{}"#,
    ] {
        assert!(agrees(text), "declined: {text}");
    }
}

#[test]
fn large_bodies_are_read_by_hand_as_serde_reads_them() {
    // Long strings: clean, escaped, non-ASCII, with a special at every
    // offset of a sixteen-byte step.
    let text = "abcdefghijklmnopqrstuvwxyz0123456789 ".repeat(300);
    let escaped = r#"say \"hi\"\\n\t\u00e9 中文 ✓ "#.repeat(400);
    let mut shifted = String::new();
    for at in 0..80 {
        shifted.push_str(&"x".repeat(at));
        shifted.push_str([r"\\", r#"\""#, r"\n", r"\u0001"][at % 4]);
    }
    for s in [&text, &escaped, &shifted] {
        let body = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{s}"}}}}}}"#
        );
        assert!(body.len() > 2048);
        assert!(agrees(&body), "declined a body of {} bytes", body.len());
    }
    // What serde refuses stays refused at any length.
    let unterminated = format!(r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{{"a":"{text}}}}}"#);
    assert!(!agrees(&unterminated));
    let control =
        format!("{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"m\",\"params\":{{\"a\":\"{text}\u{1}{text}\"}}}}");
    assert!(!agrees(&control));
}

#[test]
fn what_serde_reads_differently_or_refuses_is_declined() {
    let deep =
        format!(r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{{"a":{}1{}}}}}"#, "[".repeat(65), "]".repeat(65));
    for text in [
        // Kept strings and keys with escapes: serde decodes them.
        r#"{"jsonrpc":"2.0","id":1,"method":"tools\/list"}"#,
        r#"{"jsonrpc":"2.0","id":"\ud800","method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":1,"me\u0074hod":"m"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"n\u0061me":"x"}}"#,
        // Ids serde reads in its own way.
        r#"{"jsonrpc":"2.0","id":-0,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":-1,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":1.0,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":1e2,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":1234567890123456789,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":true,"method":"m"}"#,
        // Responses, params that are no object, a `_meta` serde reads whole.
        r#"{"jsonrpc":"2.0","id":1,"result":{}}"#,
        r#"{"jsonrpc":"2.0","id":1,"error":{"code":1,"message":"m"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":[1]}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"_meta":1e400}}"#,
        // Duplicates serde refuses.
        r#"{"jsonrpc":"2.0","id":1,"id":2,"method":"m"}"#,
        // Not JSON.
        r#"{"jsonrpc":"2.0","id":1,"method":"m",}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m"} x"#,
        r#"{"jsonrpc":"2.0","id":01,"method":"m"}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"tab	here"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":"\x"}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":1.}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":[1,]}}"#,
        r#"{"jsonrpc":"2.0","id":1,"method":"m","params":{"a":tru}}"#,
        "[1]",
        &deep,
    ] {
        assert!(!agrees(text), "accepted: {text}");
    }
}

/// Pieces of messages: names the readers act on and others, values of
/// every kind; now and then one that is not valid JSON, or that serde
/// reads its own way.
fn key() -> impl Strategy<Value = &'static str> {
    let names = prop::sample::select(vec![
        "jsonrpc",
        "id",
        "method",
        "params",
        "name",
        "uri",
        "arguments",
        "_meta",
        "inputResponses",
        "requestState",
        "traceparent",
        "tracestate",
        "x",
        "",
        "é",
        "io.modelcontextprotocol/protocolVersion",
        "io.modelcontextprotocol/clientCapabilities",
        "io.modelcontextprotocol/clientInfo",
        "io.modelcontextprotocol/logLevel",
    ]);
    let odd = prop::sample::select(vec!["result", "error", "na\\u006de", "a\u{1}b", "a\tb"]);
    prop_oneof![20 => names, 1 => odd]
}

fn leaf() -> impl Strategy<Value = &'static str> {
    let valid = prop::sample::select(vec![
        "null",
        "true",
        "false",
        "0",
        "1",
        "7",
        "1.5",
        "-2.5E-3",
        "-1",
        "123456789012345678",
        r#""2.0""#,
        r#""tools/call""#,
        r#""echo""#,
        r#""""#,
        r#""a\"b""#,
        r#""\u00e9""#,
        r#""é""#,
        r#""debug""#,
        r#""2026-07-28""#,
        r#""\ud800""#,
        "-0",
        "1e400",
        "9223372036854775808",
    ]);
    let invalid = prop::sample::select(vec![
        "01",
        "1.",
        ".5",
        "-",
        "1e",
        r#""\x""#,
        "\"tab\there\"",
        "\"unit\u{1f}sep\"",
        "\"nul\u{0}\"",
        r#""\u12""#,
        "tru",
        "nul",
        "\"open",
        "+1",
        "NaN",
    ]);
    prop_oneof![40 => valid, 1 => invalid]
}

fn space() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec!["", "", "", " ", "\n\t", "\r\n  "])
}

fn json() -> impl Strategy<Value = String> {
    leaf().prop_map(str::to_owned).prop_recursive(4, 24, 4, |inner| {
        prop_oneof![
            prop::collection::vec((inner.clone(), space()), 0..4).prop_map(|v| format!(
                "[{}]",
                v.iter().map(|(x, s)| format!("{s}{x}{s}")).collect::<Vec<_>>().join(",")
            )),
            prop::collection::vec((key(), inner, space()), 0..4).prop_map(|m| object(&m)),
        ]
    })
}

fn object<V: std::fmt::Display>(m: &[(&str, V, &str)]) -> String {
    let members: Vec<_> = m.iter().map(|(k, v, s)| format!("{s}\"{k}\"{s}:{s}{v}{s}")).collect();
    format!("{{{}}}", members.join(","))
}

/// Edits at char indexes: delete, double, insert or overwrite with a
/// structural character.
fn mutate(text: &str, edits: &[(usize, u8)]) -> String {
    const PUT: [char; 12] = ['{', '}', '[', ']', ',', ':', '"', '\\', ' ', '0', 'e', '.'];
    let mut chars: Vec<char> = text.chars().collect();
    for &(at, how) in edits {
        let at = at % (chars.len() + 1);
        let put = PUT[usize::from(how / 4) % PUT.len()];
        match how % 4 {
            0 if at < chars.len() => {
                chars.remove(at);
            }
            1 if at < chars.len() => chars.insert(at, chars[at]),
            2 if at < chars.len() => chars[at] = put,
            _ => chars.insert(at, put),
        }
    }
    chars.into_iter().collect()
}

/// A message: `jsonrpc` first, members, `params` with members and maybe
/// `_meta` last; a third of them edited once or twice.
fn message() -> impl Strategy<Value = String> {
    let members = prop::collection::vec((key(), json(), space()), 0..5);
    let params = prop::collection::vec((key(), json(), space()), 0..5);
    let meta = prop::option::of(prop::collection::vec((key(), json(), space()), 0..5));
    let edits = prop_oneof![2 => Just(Vec::new()), 1 => prop::collection::vec((0usize..400, any::<u8>()), 1..3)];
    (members, params, meta, edits).prop_map(|(members, mut params, meta, edits)| {
        if let Some(meta) = meta {
            params.push(("_meta", object(&meta), ""));
        }
        let mut members = members;
        members.insert(0, ("jsonrpc", r#""2.0""#.to_owned(), ""));
        members.push(("params", object(&params), " "));
        mutate(&object(&members), &edits)
    })
}

#[test]
fn whatever_the_fast_reader_accepts_serde_reads_the_same_way() {
    use proptest::test_runner::{Config, TestRunner};
    let mut runner = TestRunner::new(Config { cases: 4096, ..Config::default() });
    let (accepted, cases) = (std::cell::Cell::new(0u32), std::cell::Cell::new(0u32));
    runner
        .run(&message(), |text| {
            cases.set(cases.get() + 1);
            if agrees(&text) {
                accepted.set(accepted.get() + 1);
            }
            Ok(())
        })
        .unwrap();
    // Many messages are read by hand (about a third; the edits and odd
    // members decline the rest), so the comparison above is made.
    assert!(accepted.get() * 5 > cases.get(), "accepted {} of {}", accepted.get(), cases.get());
}

/// Whether `serde_json` takes `text` as one value it skips.
fn serde_skips(text: &str) -> bool {
    serde_json::from_str::<serde::de::IgnoredAny>(text).is_ok()
}

/// Whether the fast reader takes `text` whole as one value.
fn fast_skips(text: &str) -> bool {
    let mut s = super::Scan { text, i: 0 };
    s.value().is_some_and(|v| v.get() == text)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 4096, ..ProptestConfig::default() })]

    /// Strings and numbers, the tokens with a grammar of their own, are
    /// taken exactly when serde_json takes them.
    #[test]
    fn a_token_is_taken_exactly_when_serde_takes_it(
        quoted in any::<bool>(),
        body in prop::collection::vec(prop::sample::select(vec![
            '"', '\\', 'a', 'u', 'b', 'f', 'n', 'r', 't', '/', 'x', '0', '1', '9', 'A', 'F', 'g', ' ', '\u{1f}',
            '\u{7f}', 'é', '.', 'e', 'E', '-', '+',
        ]), 0..24),
    ) {
        let body: String = body.into_iter().collect();
        let text = if quoted { format!("\"{body}\"") } else { body };
        let text = text.trim_matches([' ', '\t', '\n', '\r']);
        prop_assert_eq!(fast_skips(text), serde_skips(text), "{:?}", text);
    }

    /// Any value within the depth the fast reader takes is taken exactly
    /// when serde_json takes it, edited or not.
    #[test]
    fn a_value_is_taken_exactly_when_serde_takes_it(
        value in json(),
        edits in prop::collection::vec((0usize..200, any::<u8>()), 0..3),
    ) {
        let text = mutate(&value, &edits);
        let text = text.trim_matches([' ', '\t', '\n', '\r']);
        prop_assert_eq!(fast_skips(text), serde_skips(text), "{:?}", text);
    }
}
