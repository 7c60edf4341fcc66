//! Wrong answers are errors of their kind, never fast requests: `mcp-bench`
//! against a server whose every answer is wrong in one way.

mod load_common;

use std::time::Duration;

use load_common::{FakeServer, Reply, Seen, echo_body, quick, run};
use mcp_handler_benches::load::Scenario;
use mcp_handler_benches::payload::SMALL_TEXT;

/// Runs 20 `call`s against a server answering with `reply` and returns the
/// error counts by kind.
fn errors_of(reply: impl Fn(&Seen) -> Reply + Send + Sync + 'static) -> anyhow::Result<Vec<(String, u64)>> {
    let server = FakeServer::start(reply)?;
    let outcome = run(&quick(&server.url(), 20)?.with_timeout(Duration::from_millis(300))?)?;
    assert_eq!(outcome.run.ok + outcome.run.error_count(), 20);
    Ok(outcome.run.errors.into_iter().collect())
}

fn only(kind: &str) -> Vec<(String, u64)> {
    vec![(kind.to_owned(), 20)]
}

#[test]
fn each_wrong_answer_is_counted_under_its_kind() -> anyhow::Result<()> {
    assert_eq!(errors_of(|s| Reply::echo(s, "something else"))?, only("wrong-echo"));
    assert_eq!(errors_of(|s| Reply::json(echo_body(s.id() + 1, SMALL_TEXT)))?, only("bad-id"));
    assert_eq!(
        errors_of(|s| Reply::json(format!(
            r#"{{"jsonrpc":"2.0","id":{},"error":{{"code":-32602,"message":"no"}}}}"#,
            s.id()
        )))?,
        only("jsonrpc-error")
    );
    assert_eq!(errors_of(|s| Reply { status: 500, ..Reply::echo(s, SMALL_TEXT) })?, only("status"));
    assert_eq!(
        errors_of(|s| Reply::json(format!(
            r#"{{"jsonrpc":"2.0","id":{},"result":{{"content":[{{"type":"text","text":"{SMALL_TEXT}"}}],"isError":true}}}}"#,
            s.id()
        )))?,
        only("tool-error")
    );
    assert_eq!(errors_of(|s| Reply::json(format!(r#"{{"jsonrpc":"2.0","id":{}}}"#, s.id())))?, only("no-result"));
    assert_eq!(errors_of(|_| Reply::json("<html>".into()))?, only("parse"));
    Ok(())
}

#[test]
fn a_slow_server_times_out() -> anyhow::Result<()> {
    let errors = errors_of(|s| Reply { delay: Some(Duration::from_secs(2)), ..Reply::echo(s, SMALL_TEXT) })?;
    assert_eq!(errors, only("timeout"));
    Ok(())
}

#[test]
fn a_closed_port_is_a_connect_error() -> anyhow::Result<()> {
    let addr = std::net::TcpListener::bind("127.0.0.1:0")?.local_addr()?;
    let outcome = run(&quick(&format!("http://{addr}/mcp"), 5)?)?;
    assert_eq!(outcome.run.ok, 0);
    assert_eq!(outcome.run.errors.get("connect"), Some(&5));
    Ok(())
}

#[test]
fn sse_answers_and_closing_servers_are_fine() -> anyhow::Result<()> {
    // An SSE stream with a notification before the answer, and a server that
    // closes the connection after every answer: all correct, with reconnects.
    let server = FakeServer::start(|s| Reply {
        content_type: "text/event-stream",
        body: format!(
            "event: message\ndata: {{\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{{}}}}\n\n\
             event: message\ndata: {}\n\n",
            echo_body(s.id(), SMALL_TEXT)
        ),
        close: true,
        ..Reply::echo(s, SMALL_TEXT)
    })?;
    let outcome = run(&quick(&server.url(), 20)?)?;
    assert_eq!(outcome.run.ok, 20, "{:?}", outcome.run.errors);
    assert!(outcome.reconnects >= 18, "{}", outcome.reconnects);
    Ok(())
}

#[test]
fn ids_count_up_per_connection_unless_fixed() -> anyhow::Result<()> {
    let server = FakeServer::start(|s| Reply::echo(s, SMALL_TEXT))?;
    run(&quick(&server.url(), 10)?.with_connections(1)?)?;
    let ids: Vec<u64> = server.seen().iter().map(Seen::id).collect();
    assert_eq!(ids, (1..=10).collect::<Vec<_>>());

    let server = FakeServer::start(|s| Reply::echo(s, SMALL_TEXT))?;
    let outcome = run(&quick(&server.url(), 10)?.with_fixed_id())?;
    assert_eq!(outcome.run.ok, 10);
    assert!(server.seen().iter().all(|s| s.id() == 1));
    Ok(())
}

#[test]
fn the_list_must_name_echo_and_requests_carry_the_headers() -> anyhow::Result<()> {
    let server = FakeServer::start(|s| {
        Reply::json(format!(r#"{{"jsonrpc":"2.0","id":{},"result":{{"tools":[{{"name":"other"}}]}}}}"#, s.id()))
    })?;
    let config = quick(&server.url(), 4)?.with_scenario(Scenario::List).with_header("Authorization: Bearer abc")?;
    let outcome = run(&config)?;
    assert_eq!(outcome.run.errors.get("wrong-result"), Some(&4));
    let seen = server.seen();
    assert!(seen.iter().all(|s| s.method == "POST" && s.header("authorization") == Some("Bearer abc")));
    assert!(seen.iter().all(|s| s.header("mcp-protocol-version") == Some("2025-06-18")));
    assert!(seen.iter().all(|s| s.header("accept") == Some("application/json, text/event-stream")));
    Ok(())
}

/// A server with sessions: initialize gives one, later requests must carry it.
fn session_server(s: &Seen) -> Reply {
    let v: serde_json::Value = serde_json::from_slice(&s.body).unwrap_or_default();
    let method = v["method"].as_str().unwrap_or_default();
    if s.method == "DELETE" {
        return Reply { status: 204, ..Reply::json(String::new()) };
    }
    if method == "initialize" {
        let body = format!(r#"{{"jsonrpc":"2.0","id":{},"result":{{"protocolVersion":"2025-06-18"}}}}"#, s.id());
        return Reply { headers: vec![("mcp-session-id", "sess-1".to_owned())], ..Reply::json(body) };
    }
    if s.header("mcp-session-id") != Some("sess-1") {
        return Reply { status: 400, ..Reply::json(String::new()) };
    }
    match method {
        "notifications/initialized" => Reply { status: 202, ..Reply::json(String::new()) },
        "tools/list" => {
            Reply::json(format!(r#"{{"jsonrpc":"2.0","id":{},"result":{{"tools":[{{"name":"echo"}}]}}}}"#, s.id()))
        }
        _ => Reply::echo(s, SMALL_TEXT),
    }
}

#[test]
fn a_session_loop_initializes_lists_calls_and_deletes() -> anyhow::Result<()> {
    let server = FakeServer::start(session_server)?;
    let config =
        quick(&server.url(), 12)?.with_connections(1)?.with_scenario(Scenario::Session).with_session_calls(2)?;
    let outcome = run(&config)?;
    assert_eq!(outcome.run.ok, 12, "{:?}", outcome.run.errors);
    let steps: Vec<String> = server
        .seen()
        .iter()
        .map(|s| {
            let v: serde_json::Value = serde_json::from_slice(&s.body).unwrap_or_default();
            let what = v["method"].as_str().unwrap_or(&s.method).to_owned();
            format!("{what} {}", s.header("mcp-session-id").unwrap_or("-"))
        })
        .collect();
    let one_loop = [
        "initialize -",
        "notifications/initialized sess-1",
        "tools/list sess-1",
        "tools/call sess-1",
        "tools/call sess-1",
        "DELETE sess-1",
    ];
    assert_eq!(steps, [one_loop, one_loop].concat());
    Ok(())
}

#[test]
fn a_keep_alive_connection_closed_while_idle_is_replaced_not_failed() -> anyhow::Result<()> {
    use std::io::{BufRead, BufReader, Read, Write};
    // Answers one request per connection, then closes it without saying so
    // (as a server does when its keep-alive timeout passes).
    let listener = std::net::TcpListener::bind("127.0.0.1:0")?;
    let addr = listener.local_addr()?;
    let server = std::thread::spawn(move || -> std::io::Result<()> {
        for _ in 0..5 {
            let (stream, _) = listener.accept()?;
            let mut reader = BufReader::new(stream.try_clone()?);
            let mut length = 0;
            loop {
                let mut line = String::new();
                reader.read_line(&mut line)?;
                if let Some(v) = line.to_ascii_lowercase().strip_prefix("content-length:") {
                    length = v.trim().parse().unwrap_or(0);
                }
                if line == "\r\n" || line.is_empty() {
                    break;
                }
            }
            let mut body = vec![0; length];
            reader.read_exact(&mut body)?;
            let id = serde_json::from_slice::<serde_json::Value>(&body)?["id"].as_u64().unwrap_or(0);
            let answer = echo_body(id, SMALL_TEXT);
            write!(
                &stream,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\n\r\n{answer}",
                answer.len()
            )?;
            stream.shutdown(std::net::Shutdown::Both)?;
        }
        Ok(())
    });
    let outcome = run(&quick(&format!("http://{addr}/mcp"), 5)?.with_connections(1)?)?;
    assert_eq!(outcome.run.ok, 5, "{:?}", outcome.run.errors);
    assert_eq!(outcome.reconnects, 4);
    server.join().map_err(|_| anyhow::anyhow!("server thread panicked"))??;
    Ok(())
}

#[test]
fn an_open_loop_the_server_cannot_follow_times_out_instead_of_queueing() -> anyhow::Result<()> {
    // 200 requests/s on one connection to a server taking 50 ms each: the
    // backlog grows by 9 requests every 50 ms. The timeout counts from each
    // request's intended time, so the backlog turns into timeouts instead of
    // answers that are 50 ms long each but seconds late.
    let server = FakeServer::start(|s| Reply { delay: Some(Duration::from_millis(50)), ..Reply::echo(s, SMALL_TEXT) })?;
    let config =
        quick(&server.url(), 100)?.with_connections(1)?.with_rate(200.0)?.with_timeout(Duration::from_millis(150))?;
    let outcome = run(&config)?;
    let timeouts = outcome.run.errors.get("timeout").copied().unwrap_or(0);
    assert_eq!(outcome.run.ok + timeouts, 100, "{:?}", outcome.run.errors);
    assert!(timeouts >= 50, "{timeouts}");
    assert!(outcome.late.is_some_and(|l| l > 0));
    Ok(())
}
