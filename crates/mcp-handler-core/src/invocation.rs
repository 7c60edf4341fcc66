//! What the hosting platform knows about the current invocation. The
//! Lambda shell fills it from the Lambda context and the API Gateway
//! request context; the core only reads it, so it knows no Lambda type.

use std::time::{Duration, SystemTime};

use serde_json::Value;

/// Facts about the invocation serving a request, put into the request's
/// extensions by a shell (see `RequestContext::invocation`).
#[derive(Debug, Clone, Default, PartialEq)]
#[non_exhaustive]
pub struct Invocation {
    /// The platform's id of this invocation (the Lambda request id).
    pub request_id: String,
    /// When the platform will stop this invocation.
    pub deadline: Option<SystemTime>,
    /// What an authorizer in front of the function established (API Gateway
    /// authorizer context, IAM identity, JWT claims), as JSON.
    pub authorizer: Option<Value>,
    /// The ARN of the function serving the request.
    pub function_arn: Option<String>,
}

impl Invocation {
    /// An invocation with `request_id`.
    pub fn new(request_id: impl Into<String>) -> Self {
        Self { request_id: request_id.into(), ..Self::default() }
    }
    /// Sets the deadline.
    #[must_use]
    pub fn with_deadline(mut self, deadline: SystemTime) -> Self {
        self.deadline = Some(deadline);
        self
    }
    /// Sets the authorizer context.
    #[must_use]
    pub fn with_authorizer(mut self, authorizer: Value) -> Self {
        self.authorizer = Some(authorizer);
        self
    }
    /// Sets the function ARN.
    #[must_use]
    pub fn with_function_arn(mut self, arn: impl Into<String>) -> Self {
        self.function_arn = Some(arn.into());
        self
    }
    /// Time left before the deadline (zero once passed).
    pub fn time_remaining(&self) -> Option<Duration> {
        self.deadline.map(|d| d.duration_since(SystemTime::now()).unwrap_or(Duration::ZERO))
    }
}
