//! The connection loop: read lines, hand them to the bridge, write what
//! comes back, and end cleanly at end of input.

use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use mcp_handler_core::McpService;
use tokio::io::{AsyncBufRead, AsyncWrite, AsyncWriteExt as _};
use tokio::sync::mpsc;
use tokio::task::JoinSet;

use crate::StdioError;
use crate::bridge::{Bridge, Kind, classify};
use crate::lines::{Line, Lines};

/// Lines waiting for stdout; a host that stops reading slows handlers down
/// instead of growing memory.
const OUT_QUEUE: usize = 64;

/// Serves one client on `input`/`output` until `input` ends.
pub(crate) async fn serve<R, W>(
    service: McpService,
    input: R,
    output: W,
    max_line: usize,
    drain: Duration,
) -> Result<(), StdioError>
where
    R: AsyncBufRead + Unpin,
    W: AsyncWrite + Unpin + Send + 'static,
{
    let (tx, rx) = mpsc::channel(OUT_QUEUE);
    let writer = tokio::spawn(write_lines(output, rx));
    let bridge = Arc::new(Bridge::new(service.clone(), tx));
    let mut lines = Lines::new(input, max_line);
    let mut running = JoinSet::new();
    let read = loop {
        while running.try_join_next().is_some() {}
        let line = match lines.next().await {
            Ok(Some(Line::Message(line))) => line,
            Ok(Some(Line::TooLong)) => {
                bridge.send(too_long(max_line)).await;
                continue;
            }
            Ok(None) => break Ok(()),
            Err(e) => break Err(StdioError::Read(e)),
        };
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        match classify(&line) {
            // Requests run side by side: one may wait for the client's
            // answer to an elicitation, which arrives on a later line.
            kind @ (Kind::Request | Kind::Other) => {
                let bridge = bridge.clone();
                running.spawn(async move { bridge.handle(line, kind).await });
            }
            // In order, before the next line: the session must exist before
            // the client's next message, and answers and notifications
            // (cancellation) must not overtake each other.
            kind => bridge.handle(line, kind).await,
        }
    };
    tracing::debug!(in_flight = running.len(), "end of input");
    if tokio::time::timeout(drain, async { while running.join_next().await.is_some() {} }).await.is_err() {
        tracing::warn!(abandoned = running.len(), "requests still running at end of input were abandoned");
        running.shutdown().await;
    }
    bridge.close();
    service.begin_shutdown();
    drop(bridge);
    let wrote = writer.await.unwrap_or_else(|e| Err(std::io::Error::other(e)));
    read?;
    wrote.map_err(StdioError::Write)
}

/// The only code that touches the output: one message, one `\n`, one flush.
async fn write_lines<W: AsyncWrite + Unpin>(mut out: W, mut rx: mpsc::Receiver<Bytes>) -> std::io::Result<()> {
    while let Some(message) = rx.recv().await {
        let written = async {
            out.write_all(&message).await?;
            out.write_all(b"\n").await?;
            out.flush().await
        };
        if let Err(e) = written.await {
            tracing::error!(error = %e, "cannot write to stdout");
            return Err(e);
        }
    }
    out.shutdown().await
}

/// -32600 for a line over the limit: its id is unknown (it was never
/// buffered), so the id is null, as JSON-RPC asks.
fn too_long(limit: usize) -> Bytes {
    let error = serde_json::json!({
        "jsonrpc": "2.0",
        "id": null,
        "error": { "code": -32600, "message": format!("Invalid Request: the message exceeds {limit} bytes") },
    });
    Bytes::from(error.to_string())
}
