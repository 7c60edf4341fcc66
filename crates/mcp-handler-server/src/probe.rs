//! The `healthcheck` subcommand: a distroless image has no curl.

use std::net::SocketAddr;
use std::time::Duration;

use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// GETs `/healthz` on `addr`; `Ok` on a 200 within `timeout`.
pub async fn probe(addr: SocketAddr, timeout: Duration) -> Result<(), String> {
    // A server bound to 0.0.0.0 is probed on loopback.
    let target = if addr.ip().is_unspecified() {
        SocketAddr::new(
            if addr.is_ipv4() { [127, 0, 0, 1].into() } else { std::net::Ipv6Addr::LOCALHOST.into() },
            addr.port(),
        )
    } else {
        addr
    };
    let work = async {
        let mut stream = tokio::net::TcpStream::connect(target).await.map_err(|e| format!("connect {target}: {e}"))?;
        let req = format!("GET /healthz HTTP/1.1\r\nHost: {target}\r\nConnection: close\r\n\r\n");
        stream.write_all(req.as_bytes()).await.map_err(|e| e.to_string())?;
        let mut buf = Vec::with_capacity(256);
        stream.read_to_end(&mut buf).await.map_err(|e| e.to_string())?;
        let status_line = buf.split(|b| *b == b'\n').next().unwrap_or_default();
        let status_line = String::from_utf8_lossy(status_line);
        if status_line.split_whitespace().nth(1) == Some("200") {
            Ok(())
        } else {
            Err(format!("unhealthy: {}", status_line.trim()))
        }
    };
    tokio::time::timeout(timeout, work).await.map_err(|_| format!("no answer within {timeout:?}"))?
}
