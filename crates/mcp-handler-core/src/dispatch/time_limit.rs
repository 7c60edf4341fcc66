//! The time limit of a tool call: the tool's own, else the router's,
//! capped by the platform's deadline less a margin (Lambda), so a slow tool
//! is answered with a tool error instead of the function timing out with no
//! answer at all.

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_platform_deadline_caps_the_configured_limit() {
        let ctx = RequestContext::detached(crate::RequestId::Number(1));
        assert_eq!(limit(Some(Duration::from_secs(5)), &ctx), Some(Duration::from_secs(5)));
        assert_eq!(limit(None, &ctx), None);
        let invoked = |left: Duration| {
            let mut parts = http::Request::new(()).into_parts().0;
            let deadline = std::time::SystemTime::now() + left;
            parts.extensions.insert(crate::Invocation::new("r").with_deadline(deadline));
            let mut env =
                crate::env::RequestEnv::new(crate::ProtocolVersion::LATEST_2025, crate::env::Served::detached());
            env.http = Some(parts);
            RequestContext::new(crate::RequestId::Number(1), env, crate::context::MetaCell::none(), None)
        };
        let capped = limit(Some(Duration::from_secs(300)), &invoked(Duration::from_secs(10))).unwrap();
        assert!(capped <= Duration::from_millis(9_500) && capped > Duration::from_secs(9), "{capped:?}");
        // A deadline already (nearly) past is no cap: no answer could meet it.
        assert_eq!(limit(Some(Duration::from_secs(300)), &invoked(Duration::ZERO)), Some(Duration::from_secs(300)));
        assert_eq!(limit(None, &invoked(Duration::from_millis(200))), None);
    }
}
