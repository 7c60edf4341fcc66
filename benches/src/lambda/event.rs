//! The invocation event: a Lambda Function URL request (payload format 2.0,
//! the shape `lambda_http` parses and the project's `tests/data/lambda/`
//! fixtures hold) POSTing one MCP `tools/call` of `echo` to `/mcp`.

use bytes::Bytes;
use serde_json::json;

use crate::payload;

/// Which MCP request the event carries (the `mcp-bench` scenarios' shapes).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum EventKind {
    /// The 2025-06-18 shape: a `tools/call` with the version header only.
    Call,
    /// The 2026-07-28 shape: `_meta` in the params and the routing headers.
    Call2026,
}

impl EventKind {
    /// `call` or `call-2026`, as on the command line.
    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "call" => Some(Self::Call),
            "call-2026" => Some(Self::Call2026),
            _ => None,
        }
    }

    /// The command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Call => "call",
            Self::Call2026 => "call-2026",
        }
    }
}

/// The JSON-RPC id every event's request carries (and the answer must).
pub const REQUEST_ID: u64 = 1;

/// The JSON-RPC body of the MCP request.
pub fn mcp_body(kind: EventKind) -> String {
    let mut params = json!({ "name": payload::TOOL, "arguments": { "text": payload::SMALL_TEXT } });
    if kind == EventKind::Call2026 {
        params["_meta"] = json!({
            "io.modelcontextprotocol/protocolVersion": payload::VERSION_2026,
            "io.modelcontextprotocol/clientCapabilities": {},
            "io.modelcontextprotocol/clientInfo": { "name": "bench-lambda", "version": env!("CARGO_PKG_VERSION") },
        });
    }
    json!({ "jsonrpc": "2.0", "id": REQUEST_ID, "method": "tools/call", "params": params }).to_string()
}

/// The whole Function URL event, serialized once and handed out unchanged.
pub fn function_url_event(kind: EventKind) -> Bytes {
    const DOMAIN: &str = "b3nchm4rkfunct10nur1xxxxxxxxxxxx.lambda-url.us-east-1.on.aws";
    let mut headers = json!({
        "accept": "application/json, text/event-stream",
        "content-type": "application/json",
        "host": DOMAIN,
        "user-agent": "bench-lambda",
        "x-amzn-tls-cipher-suite": "TLS_AES_128_GCM_SHA256",
        "x-amzn-tls-version": "TLSv1.3",
        "x-amzn-trace-id": "Root=1-00000000-000000000000000000000001",
        "x-forwarded-for": "192.0.2.1",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    });
    match kind {
        EventKind::Call => headers["mcp-protocol-version"] = json!(payload::VERSION_2025),
        EventKind::Call2026 => {
            headers["mcp-protocol-version"] = json!(payload::VERSION_2026);
            headers["mcp-method"] = json!("tools/call");
            headers["mcp-name"] = json!(payload::TOOL);
        }
    }
    let event = json!({
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": "/mcp",
        "rawQueryString": "",
        "headers": headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": "b3nchm4rkfunct10nur1xxxxxxxxxxxx",
            "domainName": DOMAIN,
            "domainPrefix": "b3nchm4rkfunct10nur1xxxxxxxxxxxx",
            "http": {
                "method": "POST",
                "path": "/mcp",
                "protocol": "HTTP/1.1",
                "sourceIp": "192.0.2.1",
                "userAgent": "bench-lambda",
            },
            "requestId": "0b3c5d7e-0000-4000-8000-000000000001",
            "routeKey": "$default",
            "stage": "$default",
            "time": "01/Jan/2026:00:00:00 +0000",
            "timeEpoch": 1_767_225_600_000_u64,
        },
        "body": mcp_body(kind),
        "isBase64Encoded": false,
    });
    Bytes::from(event.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_event_carries_the_mcp_request_as_its_body() {
        for kind in [EventKind::Call, EventKind::Call2026] {
            let event: serde_json::Value = serde_json::from_slice(&function_url_event(kind)).unwrap_or_default();
            assert_eq!(event["requestContext"]["http"]["method"], "POST");
            assert_eq!(event["headers"]["content-type"], "application/json");
            let body: serde_json::Value =
                serde_json::from_str(event["body"].as_str().unwrap_or_default()).unwrap_or_default();
            assert_eq!(body["params"]["arguments"]["text"], payload::SMALL_TEXT);
            assert_eq!(body["id"], REQUEST_ID);
            let is_2026 = kind == EventKind::Call2026;
            assert_eq!(body["params"]["_meta"]["io.modelcontextprotocol/protocolVersion"].is_string(), is_2026);
            assert_eq!(event["headers"]["mcp-name"].is_string(), is_2026);
        }
    }

    #[test]
    fn kinds_round_trip_through_their_names() {
        for kind in [EventKind::Call, EventKind::Call2026] {
            assert_eq!(EventKind::parse(kind.name()), Some(kind));
        }
        assert_eq!(EventKind::parse("list"), None);
    }
}
