//! Reading a request body into one buffer, bounded.
//!
//! A JSON-RPC body almost always arrives as one frame (hyper hands over the
//! bytes it already read with the head). That frame is kept as it is, with
//! no copy and no queue; only a body in several frames is joined, once.
//! `http_body_util`'s `collect` would allocate a frame queue per request.

use std::future::poll_fn;
use std::time::Duration;

use bytes::{Buf, BufMut, Bytes, BytesMut};
use http_body::Body;

use crate::time_limited::TimeLimited;

/// Why a body could not be read.
pub(crate) enum ReadError {
    /// More than the limit: refused without reading the rest.
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
    TimeLimited::new(read_all(body, limit), timeout).await.unwrap_or(Err(ReadError::TimedOut))
}

async fn read_all<B>(body: B, limit: usize) -> Result<Bytes, ReadError>
where
    B: Body,
    B::Error: Into<Box<dyn std::error::Error + Send + Sync>>,
{
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
            return Err(ReadError::TooLarge);
        }
        if let Some(buf) = joined.as_mut() {
            buf.put(data);
        } else if let Some(head) = first.take() {
            let mut buf = BytesMut::with_capacity(total);
            buf.extend_from_slice(&head);
            buf.put(data);
            joined = Some(buf);
        } else if len > 0 {
            // Zero-copy when the frame is already `Bytes` (hyper, Lambda).
            first = Some(data.copy_to_bytes(len));
        }
    }
    Ok(joined.map(BytesMut::freeze).or(first).unwrap_or_default())
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

    #[test]
    fn the_limit_counts_every_frame() {
        assert!(matches!(read(&["12345", "67890"], 10), Ok(b) if b.len() == 10));
        assert!(matches!(read(&["12345", "678901"], 10), Err(ReadError::TooLarge)));
        assert!(matches!(read(&["12345678901"], 10), Err(ReadError::TooLarge)));
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
