//! The time limit of a tool call: the tool's own, else the router's,
//! capped by the platform's deadline less a margin (Lambda), so a slow tool
//! is answered with a tool error instead of the function timing out with no
//! answer at all.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

use crate::context::RequestContext;

/// What the answer needs after the limit: writing it and sending it back
/// through the platform.
pub(super) const DEADLINE_MARGIN: Duration = Duration::from_millis(500);

/// The limit of a call: the smaller of `configured` and the time the
/// platform leaves, less [`DEADLINE_MARGIN`]. A deadline that leaves less
/// than the margin when the call starts is not used: no answer could meet
/// it, and local emulators (`cargo lambda watch`) send deadlines that have
/// already passed.
pub(super) fn limit(configured: Option<Duration>, ctx: &RequestContext) -> Option<Duration> {
    let platform = ctx.time_remaining().and_then(|left| left.checked_sub(DEADLINE_MARGIN)).filter(|d| !d.is_zero());
    match (configured, platform) {
        (Some(a), Some(b)) => Some(a.min(b)),
        (a, b) => a.or(b),
    }
}

pin_project_lite::pin_project! {
    /// `fut`, or `Err(limit)` once it has run `limit`. The timer is made
    /// only when `fut` first waits: a call that answers at once (nearly
    /// every one) costs no timer registration.
    pub(super) struct TimeLimited<F> {
        #[pin]
        fut: F,
        limit: Duration,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<F> TimeLimited<F> {
    pub(super) fn new(fut: F, limit: Duration) -> Self {
        Self { fut, limit, sleep: None }
    }
}

impl<F: Future> Future for TimeLimited<F> {
    type Output = Result<F::Output, Duration>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        let this = self.project();
        if let Poll::Ready(out) = this.fut.poll(cx) {
            return Poll::Ready(Ok(out));
        }
        let limit = *this.limit;
        let sleep = this.sleep.get_or_insert_with(|| Box::pin(tokio::time::sleep(limit)));
        match sleep.as_mut().poll(cx) {
            Poll::Ready(()) => Poll::Ready(Err(limit)),
            Poll::Pending => Poll::Pending,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn a_slow_future_is_cut_at_its_limit_and_a_quick_one_is_not() {
        let started = tokio::time::Instant::now();
        let slow = TimeLimited::new(tokio::time::sleep(Duration::from_secs(10)), Duration::from_secs(2));
        assert_eq!(slow.await, Err(Duration::from_secs(2)));
        assert_eq!(started.elapsed(), Duration::from_secs(2));
        assert_eq!(TimeLimited::new(async { 7 }, Duration::from_secs(2)).await, Ok(7));
    }

    #[test]
    fn the_platform_deadline_caps_the_configured_limit() {
        let ctx = RequestContext::detached(crate::RequestId::Number(1));
        assert_eq!(limit(Some(Duration::from_secs(5)), &ctx), Some(Duration::from_secs(5)));
        assert_eq!(limit(None, &ctx), None);
        let invoked = |left: Duration| {
            let mut parts = http::Request::new(()).into_parts().0;
            let deadline = std::time::SystemTime::now() + left;
            parts.extensions.insert(crate::Invocation::new("r").with_deadline(deadline));
            let mut env = crate::env::RequestEnv::new(
                crate::ProtocolVersion::LATEST_2025,
                std::sync::Arc::default(),
                Duration::from_secs(60),
            );
            env.http = Some(parts);
            RequestContext::new(crate::RequestId::Number(1), env, None, None)
        };
        let capped = limit(Some(Duration::from_secs(300)), &invoked(Duration::from_secs(10))).unwrap();
        assert!(capped <= Duration::from_millis(9_500) && capped > Duration::from_secs(9), "{capped:?}");
        // A deadline already (nearly) past is no cap: no answer could meet it.
        assert_eq!(limit(Some(Duration::from_secs(300)), &invoked(Duration::ZERO)), Some(Duration::from_secs(300)));
        assert_eq!(limit(None, &invoked(Duration::from_millis(200))), None);
    }
}
