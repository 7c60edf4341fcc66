//! Property test: random and mutated bodies never panic the endpoint and
//! always get a well-formed answer.

// Helpers outside #[test] fns are test code too.
#![allow(clippy::unwrap_used)]

use std::sync::Arc;

use bytes::Bytes;
use http::StatusCode;
use http_body_util::Full;
use mcp_handler::{EndpointConfig, InMemorySessionStore, McpService};
use mcp_handler_tests::{call, post};
use proptest::prelude::*;

const SEEDS: &[&str] = &[
    r#"{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"test_simple_text","arguments":{}}}"#,
    r#"{"jsonrpc":"2.0","id":"a","method":"resources/read","params":{"uri":"test://template/1/data"}}"#,
    r#"{"jsonrpc":"2.0","id":2,"method":"prompts/get","params":{"name":"test_prompt_with_arguments","arguments":{"arg1":"x","arg2":"y"}}}"#,
    r#"{"jsonrpc":"2.0","id":3,"method":"completion/complete","params":{"ref":{"type":"ref/prompt","name":"test_prompt_with_arguments"},"argument":{"name":"arg1","value":"p"}}}"#,
    r#"{"jsonrpc":"2.0","id":4,"method":"initialize","params":{"protocolVersion":"2025-11-25","capabilities":{},"clientInfo":{"name":"c","version":"1"}}}"#,
    r#"[{"jsonrpc":"2.0","id":5,"method":"ping"},{"jsonrpc":"2.0","method":"notifications/initialized"}]"#,
    r#"{"jsonrpc":"2.0","id":6,"result":{"action":"accept"}}"#,
    r#"{"jsonrpc":"2.0","method":"notifications/cancelled","params":{"requestId":1}}"#,
];

const META: &str = r#""_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28","io.modelcontextprotocol/clientCapabilities":{"elicitation":{}}}"#;

static SEEDS_2026: std::sync::LazyLock<Vec<(&'static str, &'static str)>> = std::sync::LazyLock::new(|| {
    let leak = |s: String| -> &'static str { Box::leak(s.into_boxed_str()) };
    vec![
        (
            "tools/call",
            leak(format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"test_input_required_result_multi_round","arguments":{{}},{META}}}}}"#
            )),
        ),
        (
            "tools/call",
            leak(format!(
                r#"{{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{{"name":"test_input_required_result_multi_round","arguments":{{}},"inputResponses":{{"step1":{{"action":"accept","content":{{"name":"x"}}}}}},"requestState":"e30.AAAA",{META}}}}}"#
            )),
        ),
        (
            "server/discover",
            leak(format!(r#"{{"jsonrpc":"2.0","id":3,"method":"server/discover","params":{{{META}}}}}"#)),
        ),
        (
            "prompts/get",
            leak(format!(
                r#"{{"jsonrpc":"2.0","id":4,"method":"prompts/get","params":{{"name":"test_input_required_result_prompt",{META}}}}}"#
            )),
        ),
    ]
});

// No subscriptions/listen seed: a valid one rightly opens a stream that
// never ends, which this harness reads to the end.
fn mutate(seed: &[u8], edits: &[(usize, u8, u8)]) -> Vec<u8> {
    let mut out = seed.to_vec();
    for &(pos, op, byte) in edits {
        if out.is_empty() {
            out.push(byte);
            continue;
        }
        let i = pos % out.len();
        match op % 4 {
            0 => out[i] = byte,
            1 => out.insert(i, byte),
            2 => {
                out.remove(i);
            }
            _ => out.truncate(i),
        }
    }
    out
}

fn check(svc: &McpService, rt: &tokio::runtime::Runtime, body: Vec<u8>) -> Result<(), TestCaseError> {
    check_as(svc, rt, body, "2025-03-26", "tools/call")
}

fn check_as(
    svc: &McpService,
    rt: &tokio::runtime::Runtime,
    body: Vec<u8>,
    version: &str,
    method: &str,
) -> Result<(), TestCaseError> {
    let req = post()
        .header("mcp-protocol-version", version)
        .header("mcp-method", method)
        .header("mcp-name", "test_input_required_result_multi_round")
        .body(Full::new(Bytes::from(body)))
        .unwrap();
    let r = rt.block_on(async {
        tokio::time::timeout(std::time::Duration::from_secs(5), call(svc, req)).await.expect("answered, no hang")
    });
    prop_assert!(
        [StatusCode::OK, StatusCode::ACCEPTED, StatusCode::BAD_REQUEST, StatusCode::NOT_FOUND].contains(&r.status),
        "unexpected status {}",
        r.status
    );
    if r.status == StatusCode::ACCEPTED {
        prop_assert!(r.body.is_empty());
    } else if r.header("content-type") == Some("application/json") {
        let v: serde_json::Value = serde_json::from_slice(&r.body).expect("JSON body");
        prop_assert!(v.is_object() || v.is_array());
    } else {
        prop_assert_eq!(r.header("content-type"), Some("text/event-stream"));
    }
    Ok(())
}

fn services() -> (McpService, McpService, tokio::runtime::Runtime) {
    let router = mcp_handler_examples::everything::router().unwrap();
    let no_sessions = McpService::new(router.clone(), EndpointConfig::default());
    let sessions =
        McpService::new(router, EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new())));
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    (no_sessions, sessions, rt)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    #[test]
    fn random_bytes_never_panic(body in proptest::collection::vec(any::<u8>(), 0..512)) {
        let (a, b, rt) = services();
        check(&a, &rt, body.clone())?;
        check(&b, &rt, body)?;
    }

    #[test]
    fn mutated_messages_never_panic(
        seed in 0..SEEDS.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let (a, b, rt) = services();
        let body = mutate(SEEDS[seed].as_bytes(), &edits);
        check(&a, &rt, body.clone())?;
        check(&b, &rt, body)?;
    }

    #[test]
    fn mutated_2026_requests_never_panic(
        seed in 0..SEEDS_2026.len(),
        edits in proptest::collection::vec((any::<usize>(), any::<u8>(), any::<u8>()), 1..6),
    ) {
        let (a, _, rt) = services();
        let (method, seed) = SEEDS_2026[seed];
        check_as(&a, &rt, mutate(seed.as_bytes(), &edits), "2026-07-28", method)?;
    }

    #[test]
    fn arbitrary_json_values_never_panic(v in arb_json()) {
        let (a, _, rt) = services();
        check(&a, &rt, serde_json::to_vec(&v).unwrap())?;
    }
}

fn arb_json() -> impl Strategy<Value = serde_json::Value> {
    use serde_json::{Value, json};
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        any::<i64>().prop_map(|n| json!(n)),
        any::<f64>().prop_filter("finite", |f| f.is_finite()).prop_map(|f| json!(f)),
        "[a-z/_.]{0,12}".prop_map(Value::String),
        prop_oneof![Just("2.0"), Just("tools/call"), Just("initialize"), Just("ping")].prop_map(|s| json!(s)),
    ];
    leaf.prop_recursive(4, 32, 6, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::Array),
            proptest::collection::vec(
                (
                    prop_oneof![
                        Just("jsonrpc"),
                        Just("id"),
                        Just("method"),
                        Just("params"),
                        Just("name"),
                        Just("arguments"),
                        Just("_meta"),
                        Just("result")
                    ],
                    inner
                ),
                0..6
            )
            .prop_map(|kv| Value::Object(kv.into_iter().map(|(k, v)| (k.to_owned(), v)).collect())),
        ]
    })
}
