//! The service `lambda_http` calls: health endpoints, then the core's
//! endpoint with the invocation's facts in the request extensions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::{Duration, Instant, UNIX_EPOCH};

use futures_util::future::BoxFuture;
use http::{Response, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt as _};
use mcp_handler_core::shell::{self, Probe};
use mcp_handler_core::{ClientAddress, Exchange, Invocation, McpBody, McpService, Principal, access};

use crate::emf::{Emf, Invoked};
use tower_service::Service;

/// The longest an invocation waits for its spans to be exported.
#[cfg(feature = "otel")]
const FLUSH_BOUND: Duration = Duration::from_secs(1);

/// A check run before each invocation: `None` when there is nothing to
/// do, else work whose failure answers the invocation 503.
pub type BeforeInvocation = Arc<dyn Fn() -> Option<BoxFuture<'static, Result<(), String>>> + Send + Sync>;

/// `McpService` behind `lambda_http`, unchanged but for what the shell
/// adds to each request.
#[derive(Clone)]
pub struct LambdaService {
    /// Invocations begun, for the runtime loop's restart rule.
    served: Arc<std::sync::atomic::AtomicU64>,
    /// One invocation at a time (classic Lambda): process-wide facts such
    /// as `_X_AMZN_TRACE_ID` then name the invocation running.
    one_at_a_time: bool,
    mcp: McpService,
    before: Arc<[BeforeInvocation]>,
    access_log: bool,
    emf: Option<Emf>,
    #[cfg(feature = "otel")]
    otel: Option<mcp_handler_otel::Otel>,
}

impl std::fmt::Debug for LambdaService {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LambdaService").field("mcp", &self.mcp).field("before", &self.before.len()).finish()
    }
}

impl LambdaService {
    pub(crate) fn new(mcp: McpService, before: Vec<BeforeInvocation>, access_log: bool, emf: Option<Emf>) -> Self {
        Self {
            served: Arc::default(),
            one_at_a_time: crate::max_concurrency() <= 1,
            mcp,
            before: before.into(),
            access_log,
            emf,
            #[cfg(feature = "otel")]
            otel: None,
        }
    }

    /// A SERVER span per invocation, exported (bounded) before the
    /// response is returned: a frozen sandbox exports nothing.
    #[cfg(feature = "otel")]
    pub(crate) fn with_otel(mut self, otel: Option<mcp_handler_otel::Otel>) -> Self {
        self.otel = otel;
        self
    }

    fn traced(&self) -> bool {
        #[cfg(feature = "otel")]
        return self.otel.is_some();
        #[cfg(not(feature = "otel"))]
        false
    }

    /// The before-invocation work due now, run in order; the first
    /// failure ends it. (Collecting allocates nothing when none is due.)
    fn before_invocation(&self) -> impl Future<Output = Result<(), String>> + Send + 'static {
        let work: Vec<_> = self.before.iter().filter_map(|check| check()).collect();
        async move {
            for w in work {
                w.await?;
            }
            Ok(())
        }
    }

    /// Whether `AWS_LAMBDA_MAX_CONCURRENCY` lets invocations overlap
    /// (Lambda Managed Instances).
    pub(crate) fn concurrent(&self) -> bool {
        !self.one_at_a_time
    }

    /// Invocations this service (and its clones) began.
    pub(crate) fn served(&self) -> u64 {
        self.served.load(std::sync::atomic::Ordering::Relaxed)
    }

    /// The EMF writer, when the metrics are on.
    pub(crate) fn emf(&self) -> Option<&Emf> {
        self.emf.as_ref()
    }

    /// The endpoint service inside.
    pub fn mcp(&self) -> &McpService {
        &self.mcp
    }
}

/// The invocation's facts, from the Lambda context and the API Gateway
/// request context that `lambda_http` put into the extensions.
fn invocation(req: &Request) -> Option<Invocation> {
    let lambda = req.lambda_context_ref()?;
    let mut inv = Invocation::new(lambda.request_id.clone()).with_function_arn(lambda.invoked_function_arn.clone());
    if lambda.deadline > 0 {
        inv = inv.with_deadline(UNIX_EPOCH + Duration::from_millis(lambda.deadline));
    }
    let authorizer = match req.request_context_ref() {
        // REST APIs put a custom authorizer's context in `fields`.
        Some(RequestContext::ApiGatewayV1(ctx)) => serde_json::to_value(&ctx.authorizer.fields).ok(),
        Some(RequestContext::ApiGatewayV2(ctx)) => ctx.authorizer.as_ref().and_then(|a| serde_json::to_value(a).ok()),
        _ => None,
    };
    if let Some(a) = authorizer.filter(|a| !a.is_null() && a.as_object().is_none_or(|o| !o.is_empty())) {
        inv = inv.with_authorizer(a);
    }
    Some(inv)
}

/// The caller as the front door's authorizer named it: a REST API custom
/// authorizer's `principalId`, an HTTP API JWT's `sub`, an IAM caller's
/// ARN, or a Lambda authorizer's `principalId`. In the request it binds
/// 2026 request state to that caller and names them in the access log
/// and the audit.
fn principal(authorizer: &serde_json::Value) -> Option<Principal> {
    let paths: [&[&str]; 4] =
        [&["principalId"], &["jwt", "claims", "sub"], &["iam", "userArn"], &["lambda", "principalId"]];
    paths.iter().find_map(|path| {
        let v = path.iter().try_fold(authorizer, |v, k| v.get(k))?;
        v.as_str().filter(|s| !s.is_empty()).map(|s| Principal(s.to_owned()))
    })
}

/// The client's address as the front door saw it (API Gateway, Function
/// URLs); ALB events carry it only in `X-Forwarded-For`, which a trusted
/// proxy header setting reads.
fn source_address(req: &Request) -> Option<ClientAddress> {
    let ip = match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.identity.source_ip.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx.http.source_ip.as_deref(),
        _ => None,
    }?;
    ip.parse().ok().map(ClientAddress)
}

/// The domain the front door was invoked on (API Gateway, Function URL),
/// when it says; ALB events do not.
fn front_door_domain(req: &Request) -> Option<&str> {
    match req.request_context_ref()? {
        RequestContext::ApiGatewayV1(ctx) => ctx.domain_name.as_deref(),
        RequestContext::ApiGatewayV2(ctx) => ctx.domain_name.as_deref(),
        _ => None,
    }
}

/// DNS-rebinding defence that works on Lambda: the `Host` a browser sent
/// must be the domain the front door was invoked on. (The core's own Host
/// check is opened on Lambda, where the platform routes by host.)
fn host_matches_front_door(req: &Request) -> bool {
    let host = req.headers().get(header::HOST).and_then(|h| h.to_str().ok());
    front_door_domain(req).is_none_or(|domain| shell::host_matches(host, domain))
}

impl Service<Request> for LambdaService {
    type Response = Response<McpBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: Request) -> Self::Future {
        self.served.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        if !(self.access_log || self.emf.is_some() || self.traced())
            || Probe::of(req.method(), req.uri().path()).is_some()
        {
            return self.serve(req);
        }
        // The access line (the same one the server writes, with the
        // invocation's request id and the front door's word for the
        // client) and the invocation's EMF metrics.
        let (access_log, emf) = (self.access_log, self.emf.clone());
        let (method, path) = (req.method().clone(), req.uri().path().to_owned());
        // ALB events name the client only in the header a trusted proxy
        // setting reads (`MCP_TRUSTED_PROXY_HEADER=x-forwarded-for`).
        let client = self.mcp.client_address(req.headers(), source_address(&req).map(|a| a.0));
        let request_id = req.lambda_context_ref().map(|c| c.request_id.clone());
        let started = Instant::now();
        #[cfg(feature = "otel")]
        let traced = self.otel.clone().map(|otel| {
            // Linked to the invocation by its X-Ray trace header, unless
            // the client sent a W3C parent.
            let span = mcp_handler_otel::request_span(req.method(), None);
            let xray = req.lambda_context_ref().and_then(|c| c.xray_trace_id.clone());
            // The process-wide variable names this invocation only while one
            // runs at a time: under Managed Instances it may be another's.
            let xray = xray.or_else(|| self.one_at_a_time.then(|| std::env::var("_X_AMZN_TRACE_ID").ok()).flatten());
            mcp_handler_otel::set_parent(&span, req.headers(), xray.as_deref());
            (otel, span)
        });
        let fut = self.serve(req);
        Box::pin(async move {
            #[cfg(feature = "otel")]
            let resp = match traced {
                None => fut.await,
                Some((otel, span)) => {
                    let resp = tracing::Instrument::instrument(fut, span.clone()).await;
                    if let Ok(r) = &resp {
                        mcp_handler_otel::finish(&span, r);
                    }
                    drop(span);
                    otel.flush(FLUSH_BOUND).await;
                    resp
                }
            };
            #[cfg(not(feature = "otel"))]
            let resp = fut.await;
            let Ok(r) = &resp else { return resp };
            let elapsed = started.elapsed();
            if access_log {
                let seen = access::Seen {
                    method: &method,
                    path: &path,
                    elapsed,
                    client,
                    lambda_request_id: request_id.as_deref(),
                };
                access::log(seen, r);
            }
            if let Some(emf) = emf {
                let record = Exchange::of(r);
                let status = r.status().as_u16();
                emf.write(&Invoked { record, status, elapsed, request_id: request_id.as_deref() });
            }
            resp
        })
    }
}

impl LambdaService {
    fn serve(&mut self, mut req: Request) -> <Self as Service<Request>>::Future {
        // ALB and uptime checks probe these without MCP headers.
        match Probe::of(req.method(), req.uri().path()) {
            Some(Probe::Live) => return Box::pin(std::future::ready(Ok(shell::live()))),
            // Ready once the before-invocation work (secrets the extension
            // serves only now) succeeds; running it here also warms them.
            Some(Probe::Ready) => {
                let before = self.before_invocation();
                return Box::pin(async move { Ok(shell::ready(before.await)) });
            }
            _ => {}
        }
        if !host_matches_front_door(&req) {
            tracing::debug!(domain = ?front_door_domain(&req), "Host does not match the front door's domain");
            return Box::pin(std::future::ready(Ok(shell::forbidden_host())));
        }
        if self.mcp.wants_client_address()
            && let Some(addr) = source_address(&req)
        {
            req.extensions_mut().insert(addr);
        }
        if let Some(inv) = invocation(&req) {
            tracing::debug!(request_id = %inv.request_id, "invocation");
            if let Some(p) = inv.authorizer.as_ref().and_then(principal) {
                req.extensions_mut().insert(p);
            }
            req.extensions_mut().insert(inv);
        }
        let mut mcp = self.mcp.clone();
        let before = self.before_invocation();
        Box::pin(async move {
            if let Err(why) = before.await {
                tracing::error!(error = %why, "before-invocation work failed");
                return Ok(shell::unavailable(&why));
            }
            mcp.call(req).await
        })
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    #[test]
    fn the_principal_comes_from_each_authorizer_shape() {
        let p = |v| principal(&v).map(|p| p.0);
        assert_eq!(p(json!({"principalId": "user-1"})).as_deref(), Some("user-1"));
        assert_eq!(p(json!({"jwt": {"claims": {"sub": "abc"}}})).as_deref(), Some("abc"));
        assert_eq!(p(json!({"iam": {"userArn": "arn:aws:iam::1:user/x"}})).as_deref(), Some("arn:aws:iam::1:user/x"));
        assert_eq!(p(json!({"lambda": {"principalId": "p"}})).as_deref(), Some("p"));
        assert_eq!(p(json!({"lambda": {"other": 1}})), None);
        assert_eq!(p(json!({"principalId": ""})), None);
    }
}
