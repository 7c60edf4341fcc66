//! Newline framing of stdin, bounded: a line longer than the limit is
//! skipped to its end and reported, never buffered whole.

use bytes::Bytes;
use tokio::io::{AsyncBufRead, AsyncBufReadExt as _};

/// One line of input, without its `\n` (and `\r`).
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum Line {
    /// A line within the limit.
    Message(Bytes),
    /// A line over the limit; its bytes were discarded.
    TooLong,
}

/// Reads lines of at most `limit` bytes from `inner`.
pub(crate) struct Lines<R> {
    inner: R,
    limit: usize,
    buf: Vec<u8>,
}

impl<R: AsyncBufRead + Unpin> Lines<R> {
    pub(crate) fn new(inner: R, limit: usize) -> Self {
        Self { inner, limit, buf: Vec::new() }
    }

    /// The next line; `None` at end of input. A last line without a
    /// newline still counts (a host may close stdin right after writing).
    pub(crate) async fn next(&mut self) -> std::io::Result<Option<Line>> {
        self.buf.clear();
        let mut too_long = false;
        loop {
            let available = self.inner.fill_buf().await?;
            if available.is_empty() {
                if too_long {
                    return Ok(Some(Line::TooLong));
                }
                if self.buf.is_empty() {
                    return Ok(None);
                }
                return Ok(Some(self.finish()));
            }
            let (chunk, used, ends) = match available.iter().position(|&b| b == b'\n') {
                Some(i) => (&available[..i], i + 1, true),
                None => (available, available.len(), false),
            };
            if !too_long {
                if self.buf.len() + chunk.len() > self.limit + 1 {
                    // +1: a `\r` before the newline is not part of the message.
                    too_long = true;
                    self.buf = Vec::new();
                } else {
                    self.buf.extend_from_slice(chunk);
                }
            }
            self.inner.consume(used);
            if ends {
                if too_long {
                    return Ok(Some(Line::TooLong));
                }
                return Ok(Some(self.finish()));
            }
        }
    }

    fn finish(&mut self) -> Line {
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if self.buf.len() > self.limit {
            self.buf.clear();
            return Line::TooLong;
        }
        Line::Message(Bytes::from(std::mem::take(&mut self.buf)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use tokio::io::BufReader;

    async fn all(input: &[u8], limit: usize, capacity: usize) -> Vec<Line> {
        let mut lines = Lines::new(BufReader::with_capacity(capacity, input), limit);
        let mut out = Vec::new();
        while let Some(l) = lines.next().await.expect("in-memory input") {
            out.push(l);
        }
        out
    }

    fn msg(s: &str) -> Line {
        Line::Message(Bytes::copy_from_slice(s.as_bytes()))
    }

    #[tokio::test]
    async fn splits_on_newlines_and_strips_carriage_returns() {
        let got = all(b"{\"a\":1}\r\n{\"b\":2}\n\nlast", 64, 3).await;
        assert_eq!(got, vec![msg("{\"a\":1}"), msg("{\"b\":2}"), msg(""), msg("last")]);
    }

    #[tokio::test]
    async fn a_line_over_the_limit_is_skipped_and_the_next_one_read() {
        let long = "x".repeat(100);
        let input = format!("{long}\nok\n{long}");
        let got = all(input.as_bytes(), 10, 7).await;
        assert_eq!(got, vec![Line::TooLong, msg("ok"), Line::TooLong]);
    }

    #[tokio::test]
    async fn a_line_of_exactly_the_limit_passes() {
        let got = all(b"0123456789\r\n01234567890\n", 10, 4).await;
        assert_eq!(got, vec![msg("0123456789"), Line::TooLong]);
    }
}
