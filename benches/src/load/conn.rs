//! One HTTP/1.1 keep-alive connection, driven inside the task that uses it.
//!
//! hyper's client connection is two halves: a `SendRequest` handle and the
//! `Connection` future doing the I/O. Polling both from the one task that
//! sends (instead of spawning the connection) keeps every wake-up inside
//! that task: no cross-task hand-off per request, which matters at the
//! 100k+ requests/s one load core must offer.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use bytes::Bytes;
use http::Request;
use http::response::Parts;
use http_body_util::{BodyExt, Full, Limited};
use hyper::client::conn::http1;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::check::ErrorKind;

/// Largest answer body read: a server must not make the load tool hold
/// unbounded memory (the `big` answer is ~10 KiB).
pub(crate) const MAX_BODY: usize = 16 * 1024 * 1024;

/// Plain TCP or TLS, one type so the connection future is one type.
enum Stream {
    Plain(TcpStream),
    Tls(Box<TlsStream<TcpStream>>),
}

impl AsyncRead for Stream {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_read(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_read(cx, buf),
        }
    }
}

impl AsyncWrite for Stream {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write(cx, buf),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write(cx, buf),
        }
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_write_vectored(cx, bufs),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_write_vectored(cx, bufs),
        }
    }

    fn is_write_vectored(&self) -> bool {
        match self {
            Self::Plain(s) => s.is_write_vectored(),
            Self::Tls(s) => s.is_write_vectored(),
        }
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_flush(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_flush(cx),
        }
    }

    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        match self.get_mut() {
            Self::Plain(s) => Pin::new(s).poll_shutdown(cx),
            Self::Tls(s) => Pin::new(s.as_mut()).poll_shutdown(cx),
        }
    }
}

type Driver = Pin<Box<http1::Connection<TokioIo<Stream>, Full<Bytes>>>>;

/// TLS settings and the server's name, when the target is `https://`.
#[derive(Clone)]
pub(crate) struct Tls {
    pub(crate) connector: TlsConnector,
    pub(crate) name: rustls::pki_types::ServerName<'static>,
}

/// An open connection.
pub(crate) struct Connection {
    sender: http1::SendRequest<Full<Bytes>>,
    driver: Driver,
    /// The I/O half has finished (the peer closed): never poll it again.
    ended: bool,
}

/// What the checker reads of an answer.
pub(crate) struct Answer {
    pub(crate) parts: Parts,
    pub(crate) body: Bytes,
}

impl Connection {
    /// Connects to the first of `addrs` that accepts.
    pub(crate) async fn open(addrs: &[SocketAddr], tls: Option<&Tls>) -> io::Result<Self> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(tcp) => return Self::handshake(tcp, tls).await,
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn handshake(tcp: TcpStream, tls: Option<&Tls>) -> io::Result<Self> {
        // Small requests must leave at once, not wait for Nagle's timer.
        tcp.set_nodelay(true)?;
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(tls) => Stream::Tls(Box::new(tls.connector.connect(tls.name.clone(), tcp).await?)),
        };
        let (sender, driver) = http1::handshake(TokioIo::new(stream)).await.map_err(io::Error::other)?;
        Ok(Self { sender, driver: Box::pin(driver), ended: false })
    }

    /// Whether a new request can still go out on this connection.
    pub(crate) fn is_open(&self) -> bool {
        !self.ended && !self.sender.is_closed()
    }

    /// Waits until the connection can take a request (the previous answer
    /// fully read); an error means it closed and a new one is needed.
    pub(crate) async fn ready(&mut self) -> Result<(), ErrorKind> {
        let Self { sender, driver, ended } = self;
        if *ended {
            return Err(ErrorKind::Io);
        }
        tokio::select! {
            biased;
            r = sender.ready() => r.map_err(|_| ErrorKind::Io),
            _ = driver.as_mut() => {
                *ended = true;
                Err(ErrorKind::Io)
            }
        }
    }

    /// Sends `req` and reads the whole answer.
    pub(crate) async fn exchange(&mut self, req: Request<Full<Bytes>>) -> Result<Answer, ErrorKind> {
        let Self { sender, driver, ended } = self;
        let response = async {
            let resp = sender.send_request(req).await.map_err(|_| ErrorKind::Io)?;
            let (parts, body) = resp.into_parts();
            let body = Limited::new(body, MAX_BODY).collect().await.map_err(|e| {
                if e.downcast_ref::<http_body_util::LengthLimitError>().is_some() {
                    ErrorKind::Parse
                } else {
                    ErrorKind::Io
                }
            })?;
            Ok(Answer { parts, body: body.to_bytes() })
        };
        tokio::pin!(response);
        if *ended {
            return Err(ErrorKind::Io);
        }
        tokio::select! {
            biased;
            r = &mut response => return r,
            _ = driver.as_mut() => *ended = true,
        }
        // The I/O half ended (e.g. `Connection: close` after the answer):
        // what it delivered before ending is still a complete answer.
        response.await
    }
}

/// The TLS settings for `host`: the system's root certificates (and
/// `SSL_CERT_FILE`), HTTP/1.1 by ALPN.
pub(crate) fn tls_for(host: &str) -> anyhow::Result<Tls> {
    use anyhow::Context as _;
    let found = rustls_native_certs::load_native_certs();
    let mut roots = rustls::RootCertStore::empty();
    let (added, _ignored) = roots.add_parsable_certificates(found.certs);
    if added == 0 {
        anyhow::bail!("no usable root certificate in the system store ({:?})", found.errors);
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .context("TLS versions")?
        .with_root_certificates(roots)
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    let name = rustls::pki_types::ServerName::try_from(host.to_owned()).context("TLS server name")?;
    Ok(Tls { connector: TlsConnector::from(Arc::new(config)), name })
}
