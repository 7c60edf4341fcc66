//! The Lambda floor: a bare `lambda_runtime` function, written as the
//! runtime's own hello example is, that answers every Function URL event with
//! the same bytes a correct MCP server sends for the benchmark's `echo` call
//! (JSON-RPC id 1). It parses nothing it does not need (the event is only
//! checked to be JSON), so its init and invocation times are the limit for
//! any function on this runtime; `bench-lambda` measures it beside
//! mcp-handler's Lambda shell.
//!
//! `MCP_LAMBDA_RESPONSE_MODE=streaming` answers with lambda_runtime's
//! response streaming (a metadata prelude, then the body), as a Function URL
//! in `RESPONSE_STREAM` mode expects; anything else answers buffered.

use bytes::Bytes;
use lambda_runtime::{Error, LambdaEvent, MetadataPrelude, StreamResponse, service_fn};
use serde::de::IgnoredAny;
use serde_json::value::RawValue;

/// The echo tool's answer to `tools/call` id 1 with the benchmark's small text
/// (`mcp_handler_benches::payload::SMALL_TEXT`).
const BODY: &str = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"hello from mcp-bench"}]}}"#;

#[tokio::main]
async fn main() -> Result<(), Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let streaming = std::env::var("MCP_LAMBDA_RESPONSE_MODE").is_ok_and(|m| m.eq_ignore_ascii_case("streaming"));
    if streaming {
        lambda_runtime::run(service_fn(|_: LambdaEvent<IgnoredAny>| async {
            let mut prelude = MetadataPrelude::default();
            prelude.headers.insert("content-type", "application/json".parse()?);
            let body = tokio_stream::once(Ok::<_, Error>(Bytes::from_static(BODY.as_bytes())));
            Ok::<_, Error>(StreamResponse { metadata_prelude: prelude, stream: body })
        }))
        .await
    } else {
        // The whole Function URL response, serialized once: every invocation
        // hands lambda_runtime the same bytes.
        let response = serde_json::json!({
            "statusCode": 200,
            "headers": { "content-type": "application/json" },
            "body": BODY,
            "isBase64Encoded": false,
        });
        let response: &'static RawValue = Box::leak(RawValue::from_string(response.to_string())?);
        lambda_runtime::run(service_fn(move |_: LambdaEvent<IgnoredAny>| async move { Ok::<_, Error>(response) })).await
    }
}
