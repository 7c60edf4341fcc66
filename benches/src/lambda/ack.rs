//! How the stand-in's sockets acknowledge what they read.
//!
//! `lambda_runtime`'s Runtime API client leaves Nagle's algorithm on, and a
//! streamed response goes out in several small writes (headers and the
//! metadata prelude, the delimiter, the body, the last chunk). Nagle holds
//! each small write until the previous one is acknowledged, and a Linux
//! receiver that is not itself sending delays its ACK by ~40 ms: every
//! streamed invocation then waits ~40 ms in the kernels, whatever the
//! function costs. A plain socket ([`AckPolicy::Delayed`], the default) shows
//! that, as any ordinary HTTP server would; [`AckPolicy::Quick`] re-arms
//! `TCP_QUICKACK` before every read so each segment is acknowledged at once,
//! which leaves only what the function and the protocol cost.

use std::io;
use std::pin::Pin;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;

/// When the stand-in acknowledges the segments it receives.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum AckPolicy {
    /// The kernel's default (delayed ACKs), as an ordinary server socket.
    #[default]
    Delayed,
    /// Every segment acknowledged at once (`TCP_QUICKACK` before each read).
    Quick,
}

/// A connection of the stand-in, acknowledging per its [`AckPolicy`].
#[derive(Debug)]
pub(super) struct AckStream {
    inner: TcpStream,
    policy: AckPolicy,
}

impl AckStream {
    pub(super) fn new(inner: TcpStream, policy: AckPolicy) -> Self {
        Self { inner, policy }
    }
}

impl AsyncRead for AckStream {
    fn poll_read(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        if self.policy == AckPolicy::Quick {
            // The kernel leaves quick-ACK mode on its own, so it is set again
            // before every read (one setsockopt, about a microsecond).
            let _ = socket2::SockRef::from(&self.inner).set_tcp_quickack(true);
        }
        Pin::new(&mut self.inner).poll_read(cx, buf)
    }
}

impl AsyncWrite for AckStream {
    fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.inner).poll_write(cx, buf)
    }

    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_flush(cx)
    }

    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.inner).poll_shutdown(cx)
    }
}
