//! `McpService::handle_then`: the answer and the request's record handed to
//! a shell's closure inside the endpoint's own future, for an access log
//! and metrics that cost the request path no wrapper future, no extra move
//! of the endpoint's (large) future and no extension map.

use http::{Request, Response};

use super::body::McpBody;
use super::exchange::Exchange;
use super::service::McpService;

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl McpService {
    /// [`handle`](Self::handle), calling `then` with the answer as soon as
    /// its head is ready, and with the request's [`Exchange`] when the
    /// configuration records them (it is then not put in the response's
    /// extensions).
    pub fn handle_then<B, F>(
        &self,
        req: Request<B>,
        then: F,
    ) -> impl Future<Output = Response<McpBody>> + Send + use<B, F>
    where
        B: http_body::Body + Send + 'static,
        B::Data: Send,
        B::Error: Into<BoxError>,
        F: FnOnce(&Response<McpBody>, Option<&Exchange>) + Send + 'static,
    {
        self.shared.clone().handle(req, move |resp: &mut Response<McpBody>, record: &mut Option<Exchange>| {
            then(resp, record.as_ref());
        })
    }
}
