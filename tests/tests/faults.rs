//! A fault in one handler stays in that handler: a tool that panics is
//! answered -32603 and a tool that hangs holds only its own call, while
//! other calls on the same endpoint are answered as usual, at once.

use std::time::{Duration, Instant};

use http::StatusCode;
use mcp_handler::{EndpointConfig, McpService, Router, Tool};
use mcp_handler_tests::post_json;
use serde_json::json;

fn router() -> Router {
    Router::builder("faults", "1")
        .tool(Tool::builder("hang").description("Never answers").handler(std::future::pending::<String>))
        .tool(Tool::builder("panic").description("Panics after a wait").handler(|| async {
            tokio::time::sleep(Duration::from_millis(50)).await;
            if true {
                panic!("the tool broke");
            }
            "unreachable"
        }))
        .tool(Tool::builder("quick").description("Answers at once").handler(|| async { "done" }))
        .tool_timeout(None)
        .build()
        .expect("router")
}

fn call(id: u64, tool: &str) -> String {
    json!({"jsonrpc": "2.0", "id": id, "method": "tools/call", "params": {"name": tool, "arguments": {}}}).to_string()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hanging_and_panicking_tools_do_not_delay_other_calls() {
    let svc = McpService::new(router(), EndpointConfig::default());
    let hanging: Vec<_> = (0..20)
        .map(|i| {
            let svc = svc.clone();
            tokio::spawn(async move { post_json(&svc, &call(100 + i, "hang"), &[]).await })
        })
        .collect();
    let panicking: Vec<_> = (0..20)
        .map(|i| {
            let svc = svc.clone();
            tokio::spawn(async move { post_json(&svc, &call(200 + i, "panic"), &[]).await })
        })
        .collect();
    tokio::time::sleep(Duration::from_millis(20)).await;
    let started = Instant::now();
    for id in 0..50 {
        let r = post_json(&svc, &call(id, "quick"), &[]).await;
        assert_eq!(r.json()["result"]["content"][0]["text"], "done");
    }
    assert!(started.elapsed() < Duration::from_secs(2), "50 quick calls took {:?}", started.elapsed());
    for p in panicking {
        let r = p.await.expect("the task");
        assert_eq!(r.status, StatusCode::OK);
        assert_eq!(r.error_code(), -32603);
        assert!(!r.text().contains("the tool broke"), "a panic's payload stays in the log");
    }
    for h in &hanging {
        assert!(!h.is_finished(), "a hanging call is still hanging, alone");
    }
    for h in hanging {
        h.abort();
    }
}
