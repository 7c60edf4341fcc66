//! The shell driven through an in-memory pipe: the 2025 handshake, a call,
//! an elicitation answered on the same pipe, refusals, and end of input.

use std::time::Duration;

use mcp_handler_core::model::ElicitRequest;
use mcp_handler_core::{EndpointConfig, NoArgs, RequestContext, Router, Tool};
use mcp_handler_stdio::{StdioError, StdioServer};
use serde_json::{Value, json};
use tokio::io::{AsyncBufReadExt as _, AsyncWriteExt as _, BufReader, DuplexStream, Lines};
use tokio::task::JoinHandle;

fn router() -> Router {
    Router::builder("pipe", "1.0.0")
        .tool(
            Tool::builder("ping")
                .description("Answers pong")
                .handler(|_ctx: RequestContext, _: NoArgs| async { "pong" }),
        )
        .tool(Tool::builder("ask").description("Asks the user for a name").handler(
            |ctx: RequestContext, _: NoArgs| async move {
                let schema = json!({ "type": "object", "properties": { "name": { "type": "string" } } });
                let answer = ctx.elicit(ElicitRequest::new("Your name?", schema)).await.map_err(|e| e.to_string())?;
                Ok::<_, String>(format!("hello {}", json!(answer.content)["name"].as_str().unwrap_or("?")))
            },
        ))
        .build()
        .expect("valid router")
}

struct Pipe {
    to_server: DuplexStream,
    from_server: Lines<BufReader<DuplexStream>>,
    server: JoinHandle<Result<(), StdioError>>,
}

impl Pipe {
    fn start(endpoint: EndpointConfig) -> Self {
        let (client_in, server_out) = tokio::io::duplex(1 << 16);
        let (server_in, client_out) = tokio::io::duplex(1 << 16);
        let server = tokio::spawn(
            StdioServer::new(router()).with_endpoint_config(endpoint).serve(BufReader::new(server_in), server_out),
        );
        Pipe { to_server: client_out, from_server: BufReader::new(client_in).lines(), server }
    }

    async fn send(&mut self, line: &str) {
        self.to_server.write_all(line.as_bytes()).await.expect("pipe open");
        self.to_server.write_all(b"\n").await.expect("pipe open");
    }

    async fn recv(&mut self) -> Value {
        let line = tokio::time::timeout(Duration::from_secs(10), self.from_server.next_line())
            .await
            .expect("a line within 10 s")
            .expect("pipe open")
            .expect("a line before the end");
        serde_json::from_str(&line).unwrap_or_else(|e| panic!("not one JSON message per line ({e}): {line}"))
    }

    async fn initialize(&mut self) -> Value {
        self.send(
            r#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}"#,
        )
        .await;
        let init = self.recv().await;
        self.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).await;
        init
    }

    /// Closes stdin and returns what the server still wrote, and how it ended.
    async fn close(mut self) -> (Vec<String>, Result<(), StdioError>) {
        drop(self.to_server);
        let mut rest = Vec::new();
        while let Ok(Some(line)) = self.from_server.next_line().await {
            rest.push(line);
        }
        let end = tokio::time::timeout(Duration::from_secs(10), self.server).await.expect("ends").expect("no panic");
        (rest, end)
    }
}

#[tokio::test]
async fn handshake_list_and_call_over_the_pipe_then_a_clean_end() {
    let mut p = Pipe::start(EndpointConfig::default());
    let init = p.initialize().await;
    assert_eq!(init["id"], 0);
    assert_eq!(init["result"]["protocolVersion"], "2025-06-18");
    p.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    let list = p.recv().await;
    assert_eq!(list["id"], 1);
    assert_eq!(list["result"]["tools"].as_array().map(Vec::len), Some(2));
    p.send(r#"{"jsonrpc":"2.0","id":"c","method":"tools/call","params":{"name":"ping","arguments":{}}}"#).await;
    let call = p.recv().await;
    assert_eq!(call["id"], "c");
    assert_eq!(call["result"]["content"][0]["text"], "pong");
    let (rest, end) = p.close().await;
    assert!(rest.is_empty(), "nothing more was written: {rest:?}");
    assert!(end.is_ok(), "{end:?}");
}

#[tokio::test]
async fn an_elicitation_goes_out_as_a_line_and_its_answer_comes_back_as_one() {
    let mut p = Pipe::start(EndpointConfig::default());
    p.initialize().await;
    p.send(r#"{"jsonrpc":"2.0","id":5,"method":"tools/call","params":{"name":"ask","arguments":{}}}"#).await;
    let ask = p.recv().await;
    assert_eq!(ask["method"], "elicitation/create", "{ask}");
    assert_eq!(ask["params"]["message"], "Your name?");
    // The pipe stays usable while the handler waits.
    p.send(r#"{"jsonrpc":"2.0","id":6,"method":"ping"}"#).await;
    assert_eq!(p.recv().await["id"], 6);
    let answer = json!({"jsonrpc": "2.0", "id": ask["id"], "result": {"action": "accept", "content": {"name": "Ada"}}});
    p.send(&answer.to_string()).await;
    let done = p.recv().await;
    assert_eq!(done["id"], 5, "{done}");
    assert_eq!(done["result"]["content"][0]["text"], "hello Ada");
    let (rest, end) = p.close().await;
    assert!(rest.is_empty() && end.is_ok(), "{rest:?} {end:?}");
}

#[tokio::test]
async fn bad_lines_get_errors_with_a_null_id_and_the_pipe_goes_on() {
    let mut p = Pipe::start(EndpointConfig::default().with_max_body_bytes(1024));
    p.initialize().await;
    p.send("{this is not json").await;
    let bad = p.recv().await;
    assert_eq!((bad["id"].clone(), bad["error"]["code"].clone()), (Value::Null, json!(-32700)), "{bad}");
    p.send(&format!(r#"{{"jsonrpc":"2.0","id":9,"method":"ping","params":{{"pad":"{}"}}}}"#, "x".repeat(5000))).await;
    let long = p.recv().await;
    assert_eq!((long["id"].clone(), long["error"]["code"].clone()), (Value::Null, json!(-32600)), "{long}");
    // A notification is never answered.
    p.send(r#"{"jsonrpc":"2.0","method":"notifications/unknown"}"#).await;
    p.send("").await;
    p.send(r#"{"jsonrpc":"2.0","id":10,"method":"ping"}"#).await;
    let ping = p.recv().await;
    assert_eq!(ping["id"], 10, "{ping}");
    assert!(ping.get("result").is_some(), "{ping}");
    let (rest, end) = p.close().await;
    assert!(rest.is_empty() && end.is_ok(), "{rest:?} {end:?}");
}

#[tokio::test]
async fn a_request_before_initialize_is_refused_not_dropped() {
    let mut p = Pipe::start(EndpointConfig::default());
    // Refused too (no session), but a notification is never answered: the
    // first line out is the request's error.
    p.send(r#"{"jsonrpc":"2.0","method":"notifications/initialized"}"#).await;
    p.send(r#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#).await;
    let r = p.recv().await;
    assert_eq!(r["id"], 1, "{r}");
    assert_eq!(r["error"]["code"], -32600, "{r}");
    assert!(r["error"]["message"].as_str().is_some_and(|m| m.contains("initialize")), "{r}");
    // A 2026 client's probe gets the same answer, and falls back to initialize.
    p.send(r#"{"jsonrpc":"2.0","id":"d","method":"server/discover","params":{"_meta":{"io.modelcontextprotocol/protocolVersion":"2026-07-28"}}}"#).await;
    let r = p.recv().await;
    assert_eq!((r["id"].clone(), r["error"]["code"].clone()), (json!("d"), json!(-32600)), "{r}");
    assert_eq!(p.initialize().await["result"]["protocolVersion"], "2025-06-18");
    let (_, end) = p.close().await;
    assert!(end.is_ok(), "{end:?}");
}

#[tokio::test]
async fn a_request_left_waiting_at_end_of_input_is_abandoned_after_the_drain() {
    let (client_in, server_out) = tokio::io::duplex(1 << 16);
    let (server_in, mut client_out) = tokio::io::duplex(1 << 16);
    let server = tokio::spawn(
        StdioServer::new(router())
            .with_drain_timeout(Duration::from_millis(200))
            .serve(BufReader::new(server_in), server_out),
    );
    let mut from = BufReader::new(client_in).lines();
    client_out.write_all(br#"{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{"elicitation":{}},"clientInfo":{"name":"t","version":"1"}}}
{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"ask","arguments":{}}}
"#).await.expect("pipe");
    drop(client_out);
    let mut lines = Vec::new();
    while let Ok(Some(l)) = from.next_line().await {
        lines.push(l);
    }
    let end =
        tokio::time::timeout(Duration::from_secs(5), server).await.expect("ends after the drain").expect("no panic");
    assert!(end.is_ok(), "{end:?}");
    assert_eq!(lines.len(), 2, "the initialize result and the elicitation: {lines:?}");
}

#[tokio::test]
async fn an_endpoint_with_a_credential_is_refused_at_start() {
    struct Any;
    impl mcp_handler_core::TokenVerifier for Any {
        fn verify(&self, _: &[u8]) -> mcp_handler_core::TokenVerdict {
            mcp_handler_core::TokenVerdict::Accept
        }
    }
    let verifier = mcp_handler_core::EndpointAuth::bearer(Any);
    let end = StdioServer::new(router())
        .with_endpoint_config(EndpointConfig::default().with_auth(verifier))
        .serve(BufReader::new(tokio::io::empty()), tokio::io::sink())
        .await;
    assert!(matches!(end, Err(StdioError::AuthConfigured)), "{end:?}");
}

#[test]
fn stdio_is_chosen_by_flag_or_environment() {
    use mcp_handler_stdio::requested_by;
    let args = |a: &[&str]| a.iter().map(std::ffi::OsString::from).collect::<Vec<_>>();
    assert!(requested_by(args(&["--stdio"]), |_| None));
    assert!(requested_by(args(&[]), |k| (k == "MCP_TRANSPORT").then(|| "STDIO".to_owned())));
    assert!(!requested_by(args(&["--bind", "127.0.0.1:0"]), |_| None));
    assert!(!requested_by(args(&[]), |k| (k == "MCP_TRANSPORT").then(|| "http".to_owned())));
}
