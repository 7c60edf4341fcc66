//! A STAND-IN for an OpenTelemetry Collector: no real OTLP receiver
//! installs from the registries this project uses (the Collector is a Go
//! binary outside them). It accepts OTLP/HTTP `POST /v1/traces` on
//! loopback and decodes each body with the official protobuf definitions
//! (the `opentelemetry-proto` crate), so what the tests read is exactly
//! what a collector would.

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use bytes::Bytes;
use http_body_util::{BodyExt as _, Full};
use opentelemetry_proto::tonic::collector::trace::v1::ExportTraceServiceRequest;
use opentelemetry_proto::tonic::common::v1::any_value::Value as AnyValue;
use opentelemetry_proto::tonic::trace::v1::Span;
use prost::Message as _;

/// The receiver: where it listens and what it received.
pub struct OtlpStandIn {
    /// Its loopback address.
    pub addr: SocketAddr,
    spans: Arc<Mutex<Vec<Span>>>,
    task: tokio::task::JoinHandle<()>,
}

impl OtlpStandIn {
    /// Listens on `127.0.0.1:0`.
    pub async fn start() -> Self {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.expect("a loopback port");
        let addr = listener.local_addr().expect("its address");
        let spans: Arc<Mutex<Vec<Span>>> = Arc::default();
        let sink = spans.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                let sink = sink.clone();
                let svc = hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let sink = sink.clone();
                    async move {
                        let path_ok = req.uri().path() == "/v1/traces";
                        let body = req.into_body().collect().await.map(|b| b.to_bytes()).unwrap_or_default();
                        let status = match ExportTraceServiceRequest::decode(body) {
                            Ok(export) if path_ok => {
                                let mut all = sink.lock().expect("not poisoned");
                                for rs in export.resource_spans {
                                    for ss in rs.scope_spans {
                                        all.extend(ss.spans);
                                    }
                                }
                                200
                            }
                            _ => 400,
                        };
                        let resp = http::Response::builder()
                            .status(status)
                            .header("content-type", "application/x-protobuf")
                            .body(Full::new(Bytes::new()))
                            .expect("a response");
                        Ok::<_, std::convert::Infallible>(resp)
                    }
                });
                tokio::spawn(
                    hyper::server::conn::http1::Builder::new()
                        .serve_connection(hyper_util::rt::TokioIo::new(stream), svc),
                );
            }
        });
        Self { addr, spans, task }
    }

    /// `OTEL_EXPORTER_OTLP_ENDPOINT` for it.
    pub fn endpoint(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Whether any span arrived.
    pub fn received_any(&self) -> bool {
        !self.spans.lock().expect("not poisoned").is_empty()
    }

    /// Waits (at most 10 s) until a span satisfies `pick`, and returns it;
    /// panics naming what arrived otherwise.
    pub async fn span(&self, what: &str, pick: impl Fn(&Span) -> bool) -> Span {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        loop {
            if let Some(s) = self.spans.lock().expect("not poisoned").iter().find(|s| pick(s)) {
                return s.clone();
            }
            if tokio::time::Instant::now() > deadline {
                let names: Vec<String> =
                    self.spans.lock().expect("not poisoned").iter().map(|s| s.name.clone()).collect();
                panic!("no span {what} arrived within 10 s; received {names:?}");
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for OtlpStandIn {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// A string, integer or boolean attribute of `span`, as text.
pub fn attr(span: &Span, key: &str) -> Option<String> {
    let v = span.attributes.iter().find(|kv| kv.key == key)?.value.as_ref()?.value.as_ref()?;
    Some(match v {
        AnyValue::StringValue(s) => s.clone(),
        AnyValue::IntValue(i) => i.to_string(),
        AnyValue::BoolValue(b) => b.to_string(),
        AnyValue::DoubleValue(d) => d.to_string(),
        other => format!("{other:?}"),
    })
}

/// Lower-case hex of an id.
pub fn hex(id: &[u8]) -> String {
    id.iter().map(|b| format!("{b:02x}")).collect()
}
