//! The JSON-RPC messages the ceiling understands, parsed and answered with
//! serde (borrowing from the body where it can, as a hand-written server
//! would).

use std::borrow::Cow;

use axum::http::StatusCode;
use serde::{Deserialize, Serialize};
use serde_json::value::RawValue;

/// Versions `initialize` echoes back; any other gets the first.
const VERSIONS: &[&str] = &["2025-06-18", "2025-11-25", "2025-03-26", "2024-11-05"];

pub(crate) enum Answer {
    /// A JSON-RPC response with its HTTP status.
    Json(StatusCode, Vec<u8>),
    /// A notification (or a response): `202`, no body.
    Accepted,
}

#[derive(Deserialize)]
struct Request<'a> {
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    params: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CallParams<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
    #[serde(borrow)]
    arguments: EchoArgs<'a>,
}

#[derive(Deserialize)]
struct EchoArgs<'a> {
    #[serde(borrow)]
    text: Cow<'a, str>,
}

#[derive(Deserialize)]
struct InitParams<'a> {
    #[serde(borrow, rename = "protocolVersion")]
    protocol_version: Cow<'a, str>,
}

#[derive(Serialize)]
struct Response<'a, R> {
    jsonrpc: &'static str,
    id: &'a RawValue,
    result: R,
}

#[derive(Serialize)]
struct ErrorResponse<'a> {
    jsonrpc: &'static str,
    id: Option<&'a RawValue>,
    error: Error,
}

#[derive(Serialize)]
struct Error {
    code: i32,
    message: &'static str,
}

#[derive(Serialize)]
struct CallResult<'a> {
    content: [Text<'a>; 1],
}

#[derive(Serialize)]
struct Text<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
}

#[derive(Serialize)]
struct ListResult {
    tools: [Tool; 1],
}

#[derive(Serialize)]
struct Tool {
    name: &'static str,
    description: &'static str,
    #[serde(rename = "inputSchema")]
    input_schema: Schema,
}

#[derive(Serialize)]
struct Schema {
    #[serde(rename = "type")]
    kind: &'static str,
    properties: Properties,
    required: [&'static str; 1],
}

#[derive(Serialize)]
struct Properties {
    text: Property,
}

#[derive(Serialize)]
struct Property {
    #[serde(rename = "type")]
    kind: &'static str,
    description: &'static str,
}

#[derive(Serialize)]
struct InitResult<'a> {
    #[serde(rename = "protocolVersion")]
    protocol_version: &'a str,
    capabilities: Capabilities,
    #[serde(rename = "serverInfo")]
    server_info: ServerInfo,
}

#[derive(Serialize)]
struct Capabilities {
    tools: Empty,
}

#[derive(Serialize)]
struct Empty {}

#[derive(Serialize)]
struct ServerInfo {
    name: &'static str,
    version: &'static str,
}

/// The answer to one POSTed body.
pub(crate) fn answer(body: &[u8]) -> Answer {
    let Ok(req) = serde_json::from_slice::<Request<'_>>(body) else {
        return error(StatusCode::BAD_REQUEST, None, -32700, "Parse error");
    };
    let (Some(id), Some(method)) = (req.id, req.method.as_deref()) else {
        return Answer::Accepted;
    };
    let params = req.params.map_or("{}", RawValue::get);
    match method {
        "tools/call" => match serde_json::from_str::<CallParams<'_>>(params) {
            Ok(p) if p.name == "echo" => {
                ok(id, CallResult { content: [Text { kind: "text", text: &p.arguments.text }] })
            }
            _ => error(StatusCode::OK, Some(id), -32602, "Invalid params"),
        },
        "tools/list" => ok(id, ListResult { tools: [echo_tool()] }),
        "initialize" => {
            let asked = serde_json::from_str::<InitParams<'_>>(params).ok();
            let version = asked
                .as_ref()
                .and_then(|p| VERSIONS.iter().find(|v| **v == p.protocol_version))
                .unwrap_or(&VERSIONS[0]);
            ok(
                id,
                InitResult {
                    protocol_version: version,
                    capabilities: Capabilities { tools: Empty {} },
                    server_info: ServerInfo { name: "peer-axum", version: env!("CARGO_PKG_VERSION") },
                },
            )
        }
        _ => error(StatusCode::OK, Some(id), -32601, "Method not found"),
    }
}

fn echo_tool() -> Tool {
    Tool {
        name: "echo",
        description: "Returns its text argument unchanged",
        input_schema: Schema {
            kind: "object",
            properties: Properties { text: Property { kind: "string", description: "The text to send back." } },
            required: ["text"],
        },
    }
}

fn ok<R: Serialize>(id: &RawValue, result: R) -> Answer {
    let res = Response { jsonrpc: "2.0", id, result };
    match serde_json::to_vec(&res) {
        Ok(bytes) => Answer::Json(StatusCode::OK, bytes),
        Err(_) => error(StatusCode::INTERNAL_SERVER_ERROR, Some(id), -32603, "Internal error"),
    }
}

fn error(status: StatusCode, id: Option<&RawValue>, code: i32, message: &'static str) -> Answer {
    let res = ErrorResponse { jsonrpc: "2.0", id, error: Error { code, message } };
    // Serializing these fixed fields cannot fail; an empty body would still
    // carry the status.
    Answer::Json(status, serde_json::to_vec(&res).unwrap_or_default())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn json(a: Answer) -> (StatusCode, serde_json::Value) {
        match a {
            Answer::Json(s, b) => (s, serde_json::from_slice(&b).expect("a JSON answer")),
            Answer::Accepted => panic!("expected a JSON answer"),
        }
    }

    #[test]
    fn echo_returns_the_text_with_the_id() {
        let body = br#"{"jsonrpc":"2.0","id":"a\"b","method":"tools/call","params":{"name":"echo","arguments":{"text":"x\ny"}}}"#;
        let (s, v) = json(answer(body));
        assert_eq!(s, StatusCode::OK);
        assert_eq!(v["id"], "a\"b");
        assert_eq!(v["result"]["content"][0]["text"], "x\ny");
    }

    #[test]
    fn notifications_are_accepted_and_unknown_methods_refused() {
        assert!(matches!(answer(br#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#), Answer::Accepted));
        let (_, v) = json(answer(br#"{"jsonrpc":"2.0","id":3,"method":"nope"}"#));
        assert_eq!(v["error"]["code"], -32601);
        let (s, v) = json(answer(b"{"));
        assert_eq!((s, v["error"]["code"].as_i64()), (StatusCode::BAD_REQUEST, Some(-32700)));
    }

    #[test]
    fn initialize_echoes_a_known_version() {
        let body = br#"{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-03-26"}}"#;
        let (_, v) = json(answer(body));
        assert_eq!(v["result"]["protocolVersion"], "2025-03-26");
        assert_eq!(v["result"]["capabilities"]["tools"], serde_json::json!({}));
    }
}
