//! The service `lambda_http` calls: health endpoints, then the core's
//! endpoint with the invocation's facts in the request extensions.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::{Duration, UNIX_EPOCH};

use http::{Response, StatusCode, header};
use lambda_http::request::RequestContext;
use lambda_http::{Request, RequestExt as _};
use mcp_handler_core::{Invocation, McpBody, McpService};
use tower_service::Service;

/// `McpService` behind `lambda_http`, unchanged but for what the shell
/// adds to each request.
#[derive(Clone, Debug)]
pub struct LambdaService {
    mcp: McpService,
}

impl LambdaService {
    pub(crate) fn new(mcp: McpService) -> Self {
        Self { mcp }
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

fn plain(status: StatusCode, text: &'static str) -> Response<McpBody> {
    let mut r = Response::new(McpBody::full(text));
    *r.status_mut() = status;
    r.headers_mut().insert(header::CONTENT_TYPE, header::HeaderValue::from_static("text/plain; charset=utf-8"));
    r
}

impl Service<Request> for LambdaService {
    type Response = Response<McpBody>;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response<McpBody>, Infallible>> + Send>>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Infallible>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, mut req: Request) -> Self::Future {
        // ALB and uptime checks probe these without MCP headers.
        if req.method() == http::Method::GET && matches!(req.uri().path(), "/healthz" | "/readyz") {
            return Box::pin(std::future::ready(Ok(plain(StatusCode::OK, "ok\n"))));
        }
        if let Some(inv) = invocation(&req) {
            tracing::debug!(request_id = %inv.request_id, "invocation");
            req.extensions_mut().insert(inv);
        }
        let mut mcp = self.mcp.clone();
        Box::pin(async move { mcp.call(req).await })
    }
}
