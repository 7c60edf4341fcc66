//! A local stand-in of the AWS Lambda Runtime API: the loopback HTTP server a
//! function's runtime client talks to (`AWS_LAMBDA_RUNTIME_API`), speaking
//! the 2018-06-01 protocol as `lambda_runtime` and `awslambdaric` use it.
//!
//! It hands out a fixed number of copies of one event (or a list of events,
//! in order), each the moment the function asks for it (`GET
//! .../invocation/next`; with none left the call blocks, as it does in a
//! frozen sandbox), and reports to its owner when the first `/next` arrived
//! (the end of init) and when each response was read whole, buffered or
//! streamed. The instants are taken here, next to the socket, so the figures
//! hold only what the function and the protocol cost.
//!
//! For SnapStart it also plays the snapshot: `GET .../restore/next` (the
//! runtime's "init is done, snapshot me") is reported and answered only when
//! the owner calls [`RuntimeApi::restore`], and `POST .../restore/error` is
//! reported. What happens to the process's memory in between is not played:
//! the same process goes on, as one restored environment would.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full, Limited};
use hyper::body::Incoming;
use hyper::header::{CONTENT_TYPE, HeaderMap, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;
use tokio::sync::{Semaphore, mpsc};
use tokio::task::{JoinHandle, JoinSet};

use super::ack::{AckPolicy, AckStream};

/// Largest response or error body read (Lambda's streamed limit is 20 MiB,
/// its buffered one 6 MB; the benchmark's answers are a few hundred bytes).
const BODY_LIMIT: usize = 16 * 1024 * 1024;
/// Connections served at once (a runtime client keeps one or two).
const MAX_CONNECTIONS: usize = 32;
/// What `Lambda-Runtime-Deadline-Ms` grants each invocation.
const INVOCATION_DEADLINE: Duration = Duration::from_secs(60);
const PREFIX: &str = "/2018-06-01/runtime/";
/// The header a streaming response carries (`lambda_runtime` and the
/// custom-runtime documentation spell it so).
const RESPONSE_MODE: &str = "lambda-runtime-function-response-mode";
const ERROR_TYPE: &str = "lambda-runtime-function-error-type";

/// What the stand-in saw, in the order it saw it.
#[derive(Debug)]
pub enum Report {
    /// The function's first `GET /next`: its init phase is over.
    FirstNext(Instant),
    /// One invocation's response, read whole.
    Response(Completed),
    /// `POST .../invocation/{id}/error`.
    InvocationError {
        /// Which invocation (0 is the first).
        index: usize,
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: String,
        /// The error document the function sent.
        body: Bytes,
    },
    /// `GET .../restore/next`: init is done and the runtime waits for the
    /// snapshot to be restored ([`RuntimeApi::restore`]).
    RestoreNext(Instant),
    /// `POST .../restore/error`: an after-restore hook failed.
    RestoreError {
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: String,
        /// The error document the function sent.
        body: Bytes,
    },
    /// `POST .../init/error`.
    InitError {
        /// The `Lambda-Runtime-Function-Error-Type` header.
        error_type: String,
        /// The error document the function sent.
        body: Bytes,
    },
    /// A call the Runtime API would refuse (an unknown request id, an unknown
    /// path, a body over the limit): the function does not speak the protocol.
    Protocol(String),
}

/// One invocation's response as the stand-in read it.
#[derive(Debug)]
pub struct Completed {
    /// Which invocation (0 is the first).
    pub index: usize,
    /// When the event was handed out (the `/next` answer was ready).
    pub handed_out: Instant,
    /// When the response's last byte (and trailers) had been read.
    pub done: Instant,
    /// Sent with `Lambda-Runtime-Function-Response-Mode: streaming`.
    pub streaming: bool,
    /// The response body (buffered: the function's JSON result; streamed:
    /// the metadata prelude, eight NUL bytes, then the HTTP body).
    pub body: Bytes,
    /// The trailers of a streamed response (an error arrives in them).
    pub trailers: Option<HeaderMap>,
}

/// The running stand-in; dropping it closes every connection.
#[derive(Debug)]
pub struct RuntimeApi {
    addr: SocketAddr,
    shared: Arc<Shared>,
    reports: mpsc::Receiver<Report>,
    server: JoinHandle<()>,
}

impl RuntimeApi {
    /// Listens on `127.0.0.1:0` and will hand out `count` copies of `event`,
    /// acknowledging what it reads per `ack`.
    pub async fn start(event: Bytes, count: usize, ack: AckPolicy) -> std::io::Result<Self> {
        Self::start_with(vec![event; count], ack).await
    }

    /// Listens on `127.0.0.1:0` and will hand out `events` in order.
    pub async fn start_with(events: Vec<Bytes>, ack: AckPolicy) -> std::io::Result<Self> {
        let listener = TcpListener::bind("127.0.0.1:0").await?;
        let addr = listener.local_addr()?;
        let (tx, reports) = mpsc::channel(64);
        let shared = Arc::new(Shared {
            events,
            restored: tokio::sync::watch::channel(false).0,
            next_index: AtomicUsize::new(0),
            first_next_seen: AtomicBool::new(false),
            in_flight: Mutex::new(HashMap::new()),
            reports: tx,
            arn: HeaderValue::from_static("arn:aws:lambda:us-east-1:123456789012:function:bench"),
        });
        let server = tokio::spawn(accept_loop(listener, shared.clone(), ack));
        Ok(Self { addr, shared, reports, server })
    }

    /// The `host:port` to put in `AWS_LAMBDA_RUNTIME_API`.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Answers the runtime's `/restore/next` (now, or as soon as it asks):
    /// the snapshot has been restored.
    pub fn restore(&self) {
        self.shared.restored.send_replace(true);
    }

    /// The next `count` responses, in invocation order, waiting at most
    /// `within`. Any report but a response or the first `/next` is an
    /// error naming it (the function broke the protocol or failed a phase).
    pub async fn responses(&mut self, count: usize, within: Duration) -> Result<Vec<Completed>, String> {
        let mut done = Vec::with_capacity(count);
        let all = async {
            while done.len() < count {
                match self.reports.recv().await {
                    Some(Report::Response(c)) => done.push(c),
                    Some(Report::FirstNext(_)) => {}
                    Some(other) => return Err(format!("unexpected report: {other:?}")),
                    None => return Err("the stand-in stopped".to_owned()),
                }
            }
            Ok(())
        };
        tokio::time::timeout(within, all)
            .await
            .map_err(|_| format!("{} of {count} responses within {within:?}", done.len()))??;
        done.sort_by_key(|c| c.index);
        Ok(done)
    }

    /// The next report; `None` once the server has stopped.
    pub async fn report(&mut self) -> Option<Report> {
        self.reports.recv().await
    }
}

impl Drop for RuntimeApi {
    fn drop(&mut self) {
        // Aborting the accept loop drops its JoinSet, which aborts every
        // connection task (and any `/next` blocked in it).
        self.server.abort();
    }
}

#[derive(Debug)]
struct Shared {
    events: Vec<Bytes>,
    /// Set by [`RuntimeApi::restore`].
    restored: tokio::sync::watch::Sender<bool>,
    next_index: AtomicUsize,
    first_next_seen: AtomicBool,
    /// Request id → (invocation index, when it was handed out).
    in_flight: Mutex<HashMap<String, (usize, Instant)>>,
    reports: mpsc::Sender<Report>,
    arn: HeaderValue,
}

async fn accept_loop(listener: TcpListener, shared: Arc<Shared>, ack: AckPolicy) {
    let permits = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let mut connections = JoinSet::new();
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(_) => {
                // Out of descriptors, say: wait rather than spin.
                tokio::time::sleep(Duration::from_millis(10)).await;
                continue;
            }
        };
        let Ok(permit) = permits.clone().try_acquire_owned() else { continue };
        let _ = stream.set_nodelay(true);
        let shared = shared.clone();
        connections.spawn(async move {
            let _permit = permit;
            let service = hyper::service::service_fn(move |req| handle(shared.clone(), req));
            let io = TokioIo::new(AckStream::new(stream, ack));
            let _ = hyper::server::conn::http1::Builder::new().serve_connection(io, service).await;
        });
        while connections.try_join_next().is_some() {}
    }
}

async fn handle(shared: Arc<Shared>, req: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let path = req.uri().path().strip_prefix(PREFIX).unwrap_or_default().to_owned();
    let method = req.method().clone();
    let segments: Vec<&str> = path.split('/').collect();
    let response = match (&method, segments.as_slice()) {
        (&Method::GET, ["invocation", "next"]) => next(&shared).await,
        (&Method::POST, ["invocation", id, "response"]) => response(&shared, id, req).await,
        (&Method::POST, ["invocation", id, "error"]) => invocation_error(&shared, id, req).await,
        (&Method::GET, ["restore", "next"]) => {
            let _ = shared.reports.send(Report::RestoreNext(Instant::now())).await;
            let mut restored = shared.restored.subscribe();
            let _ = restored.wait_for(|r| *r).await;
            Response::new(Full::new(Bytes::new()))
        }
        (&Method::POST, ["restore", "error"]) => {
            phase_error(&shared, "restore/error", req, |error_type, body| Report::RestoreError { error_type, body })
                .await
        }
        (&Method::POST, ["init", "error"]) => {
            phase_error(&shared, "init/error", req, |error_type, body| Report::InitError { error_type, body }).await
        }
        _ => refuse(&shared, StatusCode::NOT_FOUND, format!("{method} {} is not a Runtime API call", req.uri())).await,
    };
    Ok(response)
}

/// `POST .../init/error` or `.../restore/error`: the error document and its
/// type, reported as `report` makes them.
async fn phase_error(
    shared: &Shared,
    what: &str,
    req: Request<Incoming>,
    report: impl FnOnce(String, Bytes) -> Report,
) -> Response<Full<Bytes>> {
    let error_type = header_text(req.headers(), ERROR_TYPE);
    match read_body(req).await {
        Ok((body, _)) => {
            let _ = shared.reports.send(report(error_type, body)).await;
            accepted()
        }
        Err(e) => refuse(shared, StatusCode::PAYLOAD_TOO_LARGE, format!("{what}: {e}")).await,
    }
}

async fn next(shared: &Shared) -> Response<Full<Bytes>> {
    if !shared.first_next_seen.swap(true, Ordering::SeqCst) {
        let _ = shared.reports.send(Report::FirstNext(Instant::now())).await;
    }
    let index = shared.next_index.fetch_add(1, Ordering::SeqCst);
    let Some(event) = shared.events.get(index) else {
        // No more events: the call waits, as in a sandbox that is frozen
        // between invocations, until the function is stopped.
        return std::future::pending().await;
    };
    let id = request_id(index);
    let deadline = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default() + INVOCATION_DEADLINE;
    let mut response = Response::new(Full::new(event.clone()));
    let headers = response.headers_mut();
    headers.insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    headers.insert("lambda-runtime-deadline-ms", HeaderValue::from(deadline.as_millis() as u64));
    headers.insert("lambda-runtime-invoked-function-arn", shared.arn.clone());
    if let Ok(v) = HeaderValue::from_str(&format!("Root=1-00000000-{index:024x};Parent={index:016x};Sampled=0")) {
        headers.insert("lambda-runtime-trace-id", v);
    }
    if let Ok(v) = HeaderValue::from_str(&id) {
        headers.insert("lambda-runtime-aws-request-id", v);
    }
    // The clock starts when the event is ready to go out.
    let handed_out = Instant::now();
    if let Ok(mut map) = shared.in_flight.lock() {
        map.insert(id, (index, handed_out));
    }
    response
}

async fn response(shared: &Shared, id: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let streaming = req.headers().get(RESPONSE_MODE).is_some_and(|v| v.as_bytes().eq_ignore_ascii_case(b"streaming"));
    let (body, trailers) = match read_body(req).await {
        Ok(b) => b,
        Err(e) => return refuse(shared, StatusCode::PAYLOAD_TOO_LARGE, format!("response of {id}: {e}")).await,
    };
    let done = Instant::now();
    let Some((index, handed_out)) = take_in_flight(shared, id) else {
        return refuse(shared, StatusCode::BAD_REQUEST, format!("a response for unknown request id {id:?}")).await;
    };
    let completed = Completed { index, handed_out, done, streaming, body, trailers };
    let _ = shared.reports.send(Report::Response(completed)).await;
    accepted()
}

async fn invocation_error(shared: &Shared, id: &str, req: Request<Incoming>) -> Response<Full<Bytes>> {
    let error_type = header_text(req.headers(), ERROR_TYPE);
    let body = match read_body(req).await {
        Ok((b, _)) => b,
        Err(e) => return refuse(shared, StatusCode::PAYLOAD_TOO_LARGE, format!("error of {id}: {e}")).await,
    };
    let Some((index, _)) = take_in_flight(shared, id) else {
        return refuse(shared, StatusCode::BAD_REQUEST, format!("an error for unknown request id {id:?}")).await;
    };
    let _ = shared.reports.send(Report::InvocationError { index, error_type, body }).await;
    accepted()
}

fn take_in_flight(shared: &Shared, id: &str) -> Option<(usize, Instant)> {
    shared.in_flight.lock().ok()?.remove(id)
}

/// A request id shaped like Lambda's (a UUID), unique within the run: the
/// one invocation `index` is handed out with.
pub fn request_id(index: usize) -> String {
    format!("8d6f1c2e-0000-4000-8000-{index:012x}")
}

async fn read_body(req: Request<Incoming>) -> Result<(Bytes, Option<HeaderMap>), String> {
    let collected = Limited::new(req.into_body(), BODY_LIMIT).collect().await.map_err(|e| e.to_string())?;
    let trailers = collected.trailers().cloned();
    Ok((collected.to_bytes(), trailers))
}

fn header_text(headers: &HeaderMap, name: &str) -> String {
    headers.get(name).map(|v| String::from_utf8_lossy(v.as_bytes()).into_owned()).unwrap_or_default()
}

/// The Runtime API's answer to an accepted response or error.
fn accepted() -> Response<Full<Bytes>> {
    let mut r = Response::new(Full::new(Bytes::from_static(br#"{"status":"OK"}"#)));
    *r.status_mut() = StatusCode::ACCEPTED;
    r.headers_mut().insert(CONTENT_TYPE, HeaderValue::from_static("application/json"));
    r
}

async fn refuse(shared: &Shared, status: StatusCode, why: String) -> Response<Full<Bytes>> {
    let body = serde_json::json!({ "errorType": "InvalidRequest", "errorMessage": why }).to_string();
    let _ = shared.reports.send(Report::Protocol(why)).await;
    let mut r = Response::new(Full::new(Bytes::from(body)));
    *r.status_mut() = status;
    r
}
