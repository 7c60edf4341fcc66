//! Reading a request body into one buffer, bounded.
//!
//! A JSON-RPC body almost always arrives as one frame (hyper hands over the
//! bytes it already read with the head). That frame is kept as it is, with
//! no copy and no queue; only a body in several frames is joined, once.
//! `http_body_util`'s `collect` would allocate a frame queue per request.

use std::future::poll_fn;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Body;

use crate::time_limited::TimeLimited;

/// How much of a body over the limit is still read, and thrown away,
/// before the `413` is sent. A client that writes its whole body before it
/// reads (most HTTP libraries) would otherwise meet a reset connection
/// instead of the answer, as the kernel resets a socket closed with unread
/// data. Past this, or past the body timeout, the connection is closed.
pub(crate) const DISCARD_LIMIT: u64 = 64 * 1024 * 1024;

/// The most reserved for a body in several frames on its declared length.
const RESERVE_LIMIT: usize = 256 * 1024;

/// Why a body could not be read.
pub(crate) enum ReadError {
    /// More than the limit (the rest read and dropped, up to
    /// [`DISCARD_LIMIT`] and the timeout).
    TooLarge,
    /// The body stalled for longer than the timeout.
    TimedOut,
    /// The transport failed.
    Failed(Box<dyn std::error::Error + Send + Sync>),
}

/// The whole body, at most `limit` bytes, within `timeout` of the first
/// time it makes the reader wait (no timer for a body that arrived with
/// its head). Trailers are ignored.
pub(crate) async fn read_body<B>(body: B, limit: usize, timeout: Duration) -> Result<Bytes, ReadError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    let over = AtomicBool::new(false);
    match TimeLimited::new(read_all(body, limit, &over), timeout).await {
        Ok(r) => r,
        // Timed out while dropping the excess: the size is the answer.
        Err(_) if over.load(Ordering::Relaxed) => Err(ReadError::TooLarge),
        Err(_) => Err(ReadError::TimedOut),
    }
}

async fn read_all<B>(body: B, limit: usize, over: &AtomicBool) -> Result<Bytes, ReadError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
    // The declared length (hyper's, from `Content-Length`), so that a body
    // in several frames is joined into one buffer that need not grow. It is
    // the client's word: what is reserved on it alone is bounded, and a
    // larger body grows its buffer as its bytes arrive.
    let declared = usize::try_from(body.size_hint().lower()).unwrap_or(usize::MAX).min(limit).min(RESERVE_LIMIT);
    let mut body = std::pin::pin!(body);
    let mut first: Option<Bytes> = None;
    let mut joined: Option<BytesMut> = None;
    let mut total = 0usize;
    while let Some(frame) = poll_fn(|cx| body.as_mut().poll_frame(cx)).await {
        let frame = frame.map_err(|e| ReadError::Failed(e.into()))?;
        let Ok(mut data) = frame.into_data() else { continue };
        let len = data.remaining();
        total = total.saturating_add(len);
        if total > limit {
            break;
        }
        if let Some(buf) = joined.as_mut() {
            buf.put(data);
        } else if let Some(head) = first.take() {
            let mut buf = BytesMut::with_capacity(total.max(declared));
            buf.extend_from_slice(&head);
            buf.put(data);
            joined = Some(buf);
        } else if len > 0 {
            // Zero-copy when the frame is already `Bytes` (hyper, Lambda).
            first = Some(data.copy_to_bytes(len));
        }
    }
    if total > limit {
        // Outside the loop: its frame (and the body's error type, which
        // need not be `Send`) is gone before this await.
        over.store(true, Ordering::Relaxed);
        drop((first, joined));
        return discard_rest(body, total as u64).await;
    }
    Ok(joined.map(BytesMut::freeze).or(first).unwrap_or_default())
}

/// Reads and drops a body declared over the limit, up to
/// [`DISCARD_LIMIT`] and within `timeout`.
pub(crate) async fn discard<B: Body>(body: B, timeout: Duration) {
    let body = std::pin::pin!(body);
    let _ = TimeLimited::new(discard_rest(body, 0), timeout).await;
}

/// Reads and drops the rest of a body already over the limit, up to
/// [`DISCARD_LIMIT`] in all; always `TooLarge`.
async fn discard_rest<B>(mut body: std::pin::Pin<&mut B>, mut total: u64) -> Result<Bytes, ReadError>
where
    B: Body,
{
    while total <= DISCARD_LIMIT {
        // The error type need not be `Send`: it is dropped inside the poll.
        let next = poll_fn(|cx| body.as_mut().poll_frame(cx).map(|f| f.map(Result::ok))).await;
        // The end, or a transport failure: nothing more to drop.
        let Some(Some(frame)) = next else { break };
        if let Ok(data) = frame.into_data() {
            total = total.saturating_add(data.remaining() as u64);
        }
    }
    Err(ReadError::TooLarge)
}

#[cfg(test)]
mod tests {
    use std::convert::Infallible;

    use http_body::Frame;
    use http_body_util::StreamBody;

    use super::*;

    type Frames = futures_util::stream::Iter<std::vec::IntoIter<Result<Frame<Bytes>, Infallible>>>;

    fn body(chunks: &[&'static str]) -> StreamBody<Frames> {
        let frames: Vec<_> = chunks.iter().map(|c| Ok(Frame::data(Bytes::from_static(c.as_bytes())))).collect();
        StreamBody::new(futures_util::stream::iter(frames))
    }

    fn read(chunks: &[&'static str], limit: usize) -> Result<Bytes, ReadError> {
        futures_util::FutureExt::now_or_never(read_body(body(chunks), limit, Duration::from_secs(1)))
            .unwrap_or(Err(ReadError::TooLarge))
    }

    #[test]
    fn one_frame_is_kept_and_several_are_joined_in_order() {
        assert!(matches!(read(&["{\"a\":1}"], 100), Ok(b) if b == "{\"a\":1}"));
        assert!(matches!(read(&["{\"a\"", "", ":1", "}"], 100), Ok(b) if b == "{\"a\":1}"));
        assert!(matches!(read(&[], 100), Ok(b) if b.is_empty()));
    }

    /// Frames with a declared length, as hyper's body for `Content-Length`.
    struct Declared(StreamBody<Frames>, u64);

    impl Body for Declared {
        type Data = Bytes;
        type Error = Infallible;
        fn poll_frame(
            mut self: std::pin::Pin<&mut Self>,
            cx: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Result<Frame<Bytes>, Infallible>>> {
            std::pin::Pin::new(&mut self.0).poll_frame(cx)
        }
        fn size_hint(&self) -> http_body::SizeHint {
            http_body::SizeHint::with_exact(self.1)
        }
    }

    #[test]
    fn a_declared_length_sizes_the_join_whether_it_is_true_or_not() {
        let read = |chunks: &[&'static str], declared: u64, limit: usize| {
            futures_util::FutureExt::now_or_never(read_body(
                Declared(body(chunks), declared),
                limit,
                Duration::from_secs(1),
            ))
            .unwrap_or(Err(ReadError::TooLarge))
        };
        let parts = ["{\"a\"", ":", "1}"];
        for declared in [7, 0, 3, 100, u64::MAX] {
            assert!(matches!(read(&parts, declared, 100), Ok(b) if b == "{\"a\":1}"), "declared {declared}");
        }
        assert!(matches!(read(&["12345", "678901"], 11, 10), Err(ReadError::TooLarge)));
    }

    #[test]
    fn the_limit_counts_every_frame() {
        assert!(matches!(read(&["12345", "67890"], 10), Ok(b) if b.len() == 10));
        assert!(matches!(read(&["12345", "678901"], 10), Err(ReadError::TooLarge)));
        assert!(matches!(read(&["12345678901"], 10), Err(ReadError::TooLarge)));
    }

    #[test]
    fn a_body_over_the_limit_is_read_to_its_end_then_refused() {
        let chunks: Vec<&'static str> = vec!["0123456789"; 50];
        let frames: Vec<_> =
            chunks.iter().map(|c| Ok::<_, Infallible>(Frame::data(Bytes::from_static(c.as_bytes())))).collect();
        let mut stream = futures_util::StreamExt::fuse(futures_util::stream::iter(frames));
        let body = StreamBody::new(futures_util::StreamExt::by_ref(&mut stream));
        let r = futures_util::FutureExt::now_or_never(read_body(body, 15, Duration::from_secs(1)));
        assert!(matches!(r, Some(Err(ReadError::TooLarge))));
        assert!(
            futures_util::FutureExt::now_or_never(futures_util::StreamExt::next(&mut stream)).flatten().is_none(),
            "every frame was read"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_stalled_body_times_out_and_a_prompt_one_does_not() {
        let first = futures_util::stream::iter([Ok::<_, Infallible>(Frame::data(Bytes::from_static(b"{")))]);
        let stalled = StreamBody::new(futures_util::StreamExt::chain(first, futures_util::stream::pending()));
        let started = tokio::time::Instant::now();
        let r = read_body(stalled, 100, Duration::from_secs(3)).await;
        assert!(matches!(r, Err(ReadError::TimedOut)));
        assert_eq!(started.elapsed(), Duration::from_secs(3));
        assert!(matches!(read_body(body(&["{}"]), 100, Duration::from_secs(3)).await, Ok(b) if b == "{}"));
    }
}
