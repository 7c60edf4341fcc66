//! Checks one invocation's answer as a Function URL would turn it into an
//! HTTP response, then as an MCP client would read that response: status
//! 200, a JSON-RPC result for id 1 (a JSON body, or the matching `data:`
//! event of an SSE body), echoing the text sent. A wrong answer fails the
//! run; it is never counted as a fast one.

use base64::Engine as _;
use serde_json::Value;

use super::event::REQUEST_ID;

/// What a streamed response puts between its metadata prelude and its body.
const PRELUDE_DELIMITER: &[u8] = &[0; 8];

/// The HTTP response a Function URL would send for one invocation.
#[derive(Debug, PartialEq)]
pub struct HttpAnswer {
    /// `statusCode`.
    pub status: u64,
    /// `content-type` (lower-cased), if any.
    pub content_type: Option<String>,
    /// The body, base64-decoded where the function marked it so.
    pub body: Vec<u8>,
}

/// A buffered answer: the function's JSON result in the Function URL
/// response shape (`statusCode`, `headers`, `body`, `isBase64Encoded`).
pub fn buffered(raw: &[u8]) -> Result<HttpAnswer, String> {
    let v: Value = serde_json::from_slice(raw).map_err(|e| format!("the result is not JSON ({e})"))?;
    let status = v["statusCode"].as_u64().ok_or("the result has no numeric statusCode")?;
    let body = match &v["body"] {
        Value::Null => Vec::new(),
        Value::String(s) if v["isBase64Encoded"] == Value::Bool(true) => {
            base64::engine::general_purpose::STANDARD.decode(s).map_err(|e| format!("body is not base64 ({e})"))?
        }
        Value::String(s) => s.clone().into_bytes(),
        _ => return Err("the result's body is not a string".into()),
    };
    Ok(HttpAnswer { status, content_type: content_type(&v["headers"]), body })
}

/// A streamed answer: a JSON metadata prelude (`statusCode`, `headers`,
/// `cookies`), eight NUL bytes, then the HTTP body as the client gets it.
pub fn streamed(raw: &[u8]) -> Result<HttpAnswer, String> {
    let split = raw
        .windows(PRELUDE_DELIMITER.len())
        .position(|w| w == PRELUDE_DELIMITER)
        .ok_or("the stream has no metadata prelude (no 8 NUL bytes)")?;
    let prelude: Value =
        serde_json::from_slice(&raw[..split]).map_err(|e| format!("the metadata prelude is not JSON ({e})"))?;
    let status = prelude["statusCode"].as_u64().ok_or("the metadata prelude has no numeric statusCode")?;
    let body = raw[split + PRELUDE_DELIMITER.len()..].to_vec();
    Ok(HttpAnswer { status, content_type: content_type(&prelude["headers"]), body })
}

fn content_type(headers: &Value) -> Option<String> {
    let map = headers.as_object()?;
    map.iter()
        .find(|(k, _)| k.eq_ignore_ascii_case("content-type"))
        .and_then(|(_, v)| v.as_str())
        .map(str::to_ascii_lowercase)
}

/// Checks that `answer` is a 200 carrying the `echo` result for id 1 with
/// `text`.
pub fn echo(answer: &HttpAnswer, text: &str) -> Result<(), String> {
    if answer.status != 200 {
        return Err(format!("HTTP status {} (expected 200)", answer.status));
    }
    let body = std::str::from_utf8(&answer.body).map_err(|_| "the body is not UTF-8".to_owned())?;
    let is_sse = answer.content_type.as_deref().is_some_and(|t| t.starts_with("text/event-stream"));
    let message = if is_sse { sse_response(body)? } else { parse(body)? };
    if message["jsonrpc"] != "2.0" {
        return Err("the answer is not JSON-RPC 2.0".into());
    }
    if message["id"] != REQUEST_ID {
        return Err(format!("the answer's id is {} (expected {REQUEST_ID})", message["id"]));
    }
    if let Some(error) = message.get("error") {
        return Err(format!("a JSON-RPC error: {error}"));
    }
    let result = message.get("result").ok_or("the answer has no result")?;
    if result["isError"] == Value::Bool(true) {
        return Err(format!("the tool failed: {result}"));
    }
    match result["content"][0]["text"].as_str() {
        Some(t) if t == text => Ok(()),
        Some(t) => Err(format!("the echoed text is {t:?} (expected {text:?})")),
        None => Err("the result has no text content".into()),
    }
}

fn parse(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| format!("the body is not JSON ({e})"))
}

/// The JSON-RPC response among an SSE body's events (notifications that
/// precede it are skipped).
fn sse_response(body: &str) -> Result<Value, String> {
    let body = body.replace("\r\n", "\n");
    for event in body.split("\n\n") {
        let data: Vec<&str> =
            event.lines().filter_map(|l| l.strip_prefix("data:")).map(|d| d.strip_prefix(' ').unwrap_or(d)).collect();
        if data.is_empty() {
            continue;
        }
        let message = parse(&data.join("\n"))?;
        if message.get("id").is_some() {
            return Ok(message);
        }
    }
    Err("the SSE body holds no JSON-RPC response".into())
}

#[cfg(test)]
mod tests {
    use super::*;

    const OK: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hi"}]}}"#;

    fn function_url(body: &str) -> Vec<u8> {
        serde_json::json!({ "statusCode": 200, "headers": {"Content-Type": "application/json"}, "body": body })
            .to_string()
            .into_bytes()
    }

    #[test]
    fn a_buffered_echo_passes_and_a_wrong_one_fails() {
        assert_eq!(buffered(&function_url(OK)).and_then(|a| echo(&a, "hi")), Ok(()));
        let wrong = echo(&buffered(&function_url(OK)).unwrap_or_else(|e| panic!("{e}")), "other");
        assert!(wrong.is_err_and(|e| e.contains("\"hi\"")));
        let err = r#"{"jsonrpc":"2.0","id":1,"error":{"code":-32601,"message":"nope"}}"#;
        assert!(buffered(&function_url(err)).and_then(|a| echo(&a, "hi")).is_err_and(|e| e.contains("JSON-RPC error")));
        let bad_id = OK.replace("\"id\":1", "\"id\":2");
        assert!(buffered(&function_url(&bad_id)).and_then(|a| echo(&a, "hi")).is_err_and(|e| e.contains("id")));
    }

    #[test]
    fn base64_bodies_and_statuses_are_honoured() {
        let b64 = base64::engine::general_purpose::STANDARD.encode(OK);
        let raw = serde_json::json!({ "statusCode": 200, "body": b64, "isBase64Encoded": true }).to_string();
        assert_eq!(buffered(raw.as_bytes()).and_then(|a| echo(&a, "hi")), Ok(()));
        let raw = serde_json::json!({ "statusCode": 400, "body": OK }).to_string();
        assert!(buffered(raw.as_bytes()).and_then(|a| echo(&a, "hi")).is_err_and(|e| e.contains("400")));
        assert!(buffered(b"\"just a string\"").is_err());
    }

    #[test]
    fn a_streamed_sse_answer_is_split_at_the_prelude_and_read_as_events() {
        let sse = format!(
            "event: message\ndata: {{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\"}}\n\nevent: message\ndata: {OK}\n\n"
        );
        let mut raw = br#"{"statusCode":200,"headers":{"content-type":"text/event-stream"},"cookies":[]}"#.to_vec();
        raw.extend_from_slice(&[0; 8]);
        raw.extend_from_slice(sse.as_bytes());
        let answer = streamed(&raw);
        assert_eq!(answer.as_ref().map(|a| a.status), Ok(200));
        assert_eq!(answer.and_then(|a| echo(&a, "hi")), Ok(()));
        assert!(streamed(OK.as_bytes()).is_err_and(|e| e.contains("prelude")));
    }
}
