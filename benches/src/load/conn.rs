//! One HTTP/1.1 keep-alive connection: prebuilt request bytes out, one
//! response in, read into a buffer the connection keeps.
//!
//! The load tool writes its own requests and frames responses itself
//! ([`super::h1`]) instead of using hyper's client: hyper's handle/driver
//! split costs a channel send, a oneshot, a body channel and a few waker
//! hand-offs per request, which together cost more CPU than the syscalls;
//! here a request is one `write` and (usually) one `read`, with no
//! allocation, so one load core can keep up with a fast server.

use std::io;
use std::net::SocketAddr;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt, ReadBuf};
use tokio::net::TcpStream;
use tokio_rustls::TlsConnector;
use tokio_rustls::client::TlsStream;

use super::check::ErrorKind;
use super::h1::{self, Framing, Head};

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

/// TLS settings and the server's name, when the target is `https://`.
#[derive(Clone)]
pub(crate) struct Tls {
    pub(crate) connector: TlsConnector,
    pub(crate) name: rustls::pki_types::ServerName<'static>,
}

/// Why an exchange failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Failure {
    /// The server had closed this reused connection before reading the
    /// request (nothing came back): send it again on a new connection.
    Stale,
    Error(ErrorKind),
}

impl From<ErrorKind> for Failure {
    fn from(k: ErrorKind) -> Self {
        Self::Error(k)
    }
}

/// An open connection.
pub(crate) struct Connection {
    stream: Stream,
    /// Bytes read and not yet consumed; the last answer borrows from it.
    buf: Vec<u8>,
    /// How much of `buf` the last answer used.
    used: usize,
    /// A chunked body, decoded.
    chunked: Vec<u8>,
    /// The server said it closes, or the connection failed.
    closed: bool,
    exchanges: u64,
}

/// What the checker reads of an answer, borrowed from the connection.
#[derive(Debug)]
pub(crate) struct Answer<'a> {
    pub(crate) status: u16,
    pub(crate) content_type: Option<&'a [u8]>,
    pub(crate) session_id: Option<&'a [u8]>,
    pub(crate) body: &'a [u8],
}

impl Connection {
    /// Connects to the first of `addrs` that accepts.
    pub(crate) async fn open(addrs: &[SocketAddr], tls: Option<&Tls>) -> io::Result<Self> {
        let mut last = io::Error::new(io::ErrorKind::NotFound, "no address");
        for addr in addrs {
            match TcpStream::connect(addr).await {
                Ok(tcp) => return Self::start(tcp, tls).await,
                Err(e) => last = e,
            }
        }
        Err(last)
    }

    async fn start(tcp: TcpStream, tls: Option<&Tls>) -> io::Result<Self> {
        // Small requests must leave at once, not wait for Nagle's timer.
        tcp.set_nodelay(true)?;
        let stream = match tls {
            None => Stream::Plain(tcp),
            Some(tls) => Stream::Tls(Box::new(tls.connector.connect(tls.name.clone(), tcp).await?)),
        };
        Ok(Self {
            stream,
            buf: Vec::with_capacity(16 * 1024),
            used: 0,
            chunked: Vec::new(),
            closed: false,
            exchanges: 0,
        })
    }

    /// Whether a new request can still go out on this connection.
    pub(crate) fn is_open(&self) -> bool {
        !self.closed
    }

    /// Writes `request` (a whole HTTP/1.1 request) and reads its answer.
    pub(crate) async fn exchange(&mut self, request: &[u8]) -> Result<Answer<'_>, Failure> {
        self.buf.drain(..self.used);
        self.used = 0;
        let reused = self.exchanges > 0;
        self.exchanges += 1;
        let r = self.exchange_inner(request, reused).await;
        if r.is_err() {
            self.closed = true;
        }
        let head = r?;
        let len = head.len;
        let body = match head.framing {
            Framing::Chunked => &self.chunked[..],
            Framing::Empty => &[][..],
            Framing::Length(n) => &self.buf[len..len + n],
            Framing::UntilClose => &self.buf[len..],
        };
        if head.close {
            self.closed = true;
        }
        Ok(Answer {
            status: head.status,
            content_type: head.content_type.map(|r| &self.buf[r]),
            session_id: head.session_id.map(|r| &self.buf[r]),
            body,
        })
    }

    async fn exchange_inner(&mut self, request: &[u8], reused: bool) -> Result<Head, Failure> {
        if let Err(e) = self.write(request).await {
            return Err(if reused && stale(&e) { Failure::Stale } else { Failure::Error(ErrorKind::Io) });
        }
        let head = loop {
            match h1::parse_head(&self.buf)? {
                // An interim answer (100 Continue, 103 Early Hints): the real one follows.
                Some(h) if h.framing == Framing::Empty && h.status < 200 => {
                    self.buf.drain(..h.len);
                }
                Some(h) => break h,
                None => match self.fill().await {
                    Ok(0) if reused && self.buf.is_empty() => return Err(Failure::Stale),
                    Ok(0) => return Err(Failure::Error(ErrorKind::Io)),
                    Ok(_) => {}
                    Err(e) if reused && self.buf.is_empty() && stale(&e) => return Err(Failure::Stale),
                    Err(_) => return Err(Failure::Error(ErrorKind::Io)),
                },
            }
        };
        let len = head.len;
        match head.framing {
            Framing::Empty => self.used = len,
            Framing::Length(n) => {
                if n > MAX_BODY {
                    return Err(ErrorKind::Parse.into());
                }
                while self.buf.len() < len + n {
                    self.fill_some().await?;
                }
                self.used = len + n;
            }
            Framing::Chunked => loop {
                if let Some(n) = h1::decode_chunked(&self.buf[len..], &mut self.chunked, MAX_BODY)? {
                    self.used = len + n;
                    break;
                }
                self.fill_some().await?;
            },
            Framing::UntilClose => loop {
                if self.buf.len() - len > MAX_BODY {
                    return Err(ErrorKind::Parse.into());
                }
                match self.fill().await {
                    Ok(0) => {}
                    Ok(_) => continue,
                    // TLS peers that close without close_notify (Python's
                    // ssl module, many proxies) still ended the body.
                    Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => {}
                    Err(_) => return Err(ErrorKind::Io.into()),
                }
                self.used = self.buf.len();
                break;
            },
        }
        Ok(head)
    }

    async fn write(&mut self, request: &[u8]) -> io::Result<()> {
        self.stream.write_all(request).await?;
        // TLS keeps written bytes in the session until flushed; TCP's flush is free.
        self.stream.flush().await
    }

    /// Reads what is there into `buf`; 0 at the end of the stream.
    async fn fill(&mut self) -> io::Result<usize> {
        if self.buf.capacity() - self.buf.len() < 4096 {
            self.buf.reserve(16 * 1024);
        }
        self.stream.read_buf(&mut self.buf).await
    }

    /// [`fill`](Self::fill) where the answer is incomplete: the end of the stream is an error.
    async fn fill_some(&mut self) -> Result<(), ErrorKind> {
        match self.fill().await {
            Ok(0) | Err(_) => Err(ErrorKind::Io),
            Ok(_) => Ok(()),
        }
    }
}

/// The errors of a connection the server had already closed.
fn stale(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::ConnectionReset
            | io::ErrorKind::BrokenPipe
            | io::ErrorKind::ConnectionAborted
            | io::ErrorKind::UnexpectedEof
    )
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
