//! A future with a time limit whose timer is made only when the future
//! first waits: a body that arrived with its head, or a handler that
//! answers at once (nearly every one), costs no timer registration. The
//! endpoint's body read and a tool call's limit both use it.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;

pin_project_lite::pin_project! {
    /// `fut`, or `Err(limit)` once it has run `limit`. The timer is made
    /// only when `fut` first waits: a call that answers at once (nearly
    /// every one) costs no timer registration.
    pub(crate) struct TimeLimited<F> {
        #[pin]
        fut: F,
        limit: Duration,
        sleep: Option<Pin<Box<tokio::time::Sleep>>>,
    }
}

impl<F> TimeLimited<F> {
    pub(crate) fn new(fut: F, limit: Duration) -> Self {
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
}
