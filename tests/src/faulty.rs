//! A TCP proxy on loopback in front of a real dependency (moto), switched
//! between the faults a network gives: down (connection refused), hanging
//! (the connection is accepted and nothing ever comes back) and up (bytes
//! forwarded both ways). This is the one stand-in of these tests: a real
//! Secrets Manager cannot be made to hang on demand.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

use tokio::net::{TcpListener, TcpStream};
use tokio::task::JoinHandle;

/// What the proxy does with connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Not listening: connections are refused.
    Down,
    /// Accepts connections and reads them, but never answers.
    Hang,
    /// Forwards to the upstream.
    Up,
}

/// The proxy; its address stays the same across modes.
pub struct FaultyProxy {
    /// Where clients connect.
    pub addr: SocketAddr,
    upstream: SocketAddr,
    task: Mutex<Option<JoinHandle<()>>>,
    /// Connections taken in, aborted with the proxy.
    held: Arc<Mutex<Vec<JoinHandle<()>>>>,
}

impl FaultyProxy {
    /// A proxy for `upstream` on a free loopback port, starting in `mode`.
    pub async fn new(upstream: SocketAddr, mode: Mode) -> Self {
        let addr = SocketAddr::from(([127, 0, 0, 1], crate::free_port()));
        let proxy = Self { addr, upstream, task: Mutex::new(None), held: Arc::default() };
        proxy.set(mode).await;
        proxy
    }

    /// The URL clients use (`http://127.0.0.1:<port>`).
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Switches to `mode`; connections already taken in are dropped.
    pub async fn set(&self, mode: Mode) {
        self.stop();
        if mode == Mode::Down {
            return;
        }
        let listener = bind(self.addr).await;
        let (upstream, held) = (self.upstream, self.held.clone());
        let task = tokio::spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                let job = tokio::spawn(async move {
                    match mode {
                        Mode::Up => forward(conn, upstream).await,
                        _ => swallow(conn).await,
                    }
                });
                lock(&held).push(job);
            }
        });
        *self.task.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Some(task);
    }

    fn stop(&self) {
        if let Some(t) = self.task.lock().unwrap_or_else(std::sync::PoisonError::into_inner).take() {
            t.abort();
        }
        for job in lock(&self.held).drain(..) {
            job.abort();
        }
    }
}

impl Drop for FaultyProxy {
    fn drop(&mut self) {
        self.stop();
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

/// Binds `addr` again after a switch (the aborted listener's socket may
/// take a moment to close).
async fn bind(addr: SocketAddr) -> TcpListener {
    for _ in 0..100 {
        if let Ok(l) = TcpListener::bind(addr).await {
            return l;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the proxy could not bind {addr} again");
}

async fn forward(mut conn: TcpStream, upstream: SocketAddr) {
    if let Ok(mut up) = TcpStream::connect(upstream).await {
        let _ = tokio::io::copy_bidirectional(&mut conn, &mut up).await;
    }
}

async fn swallow(mut conn: TcpStream) {
    let _ = tokio::io::copy(&mut conn, &mut tokio::io::sink()).await;
    std::future::pending::<()>().await;
}
