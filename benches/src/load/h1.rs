//! The HTTP/1.1 response framing the load tool reads (RFC 9112 §6): a head
//! parsed by `httparse` in place, then a body delimited by
//! `Content-Length`, chunked coding, or the end of the connection.
//! Pure functions over buffers, so the connection keeps one read buffer and
//! a response is checked without being copied.

use std::ops::Range;

use super::check::ErrorKind;

/// Most headers a response may carry.
const MAX_HEADERS: usize = 64;

/// Largest response head read.
pub(crate) const MAX_HEAD: usize = 64 * 1024;

/// How the body after a head ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Framing {
    /// No body (1xx, 204, 304).
    Empty,
    Length(usize),
    Chunked,
    /// Until the server closes the connection.
    UntilClose,
}

/// A parsed response head; ranges index the buffer it was parsed from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Head {
    pub(crate) status: u16,
    pub(crate) len: usize,
    pub(crate) framing: Framing,
    /// The server will close the connection after this response.
    pub(crate) close: bool,
    pub(crate) content_type: Option<Range<usize>>,
    pub(crate) session_id: Option<Range<usize>>,
}

fn range_in(buf: &[u8], part: &[u8]) -> Range<usize> {
    // `part` is a sub-slice of `buf` (httparse borrows from it).
    let start = part.as_ptr() as usize - buf.as_ptr() as usize;
    start..start + part.len()
}

/// Parses the head at the start of `buf`; `Ok(None)` when more bytes are needed.
pub(crate) fn parse_head(buf: &[u8]) -> Result<Option<Head>, ErrorKind> {
    let mut headers = [httparse::EMPTY_HEADER; MAX_HEADERS];
    let mut resp = httparse::Response::new(&mut headers);
    let len = match resp.parse(buf) {
        Ok(httparse::Status::Complete(n)) => n,
        Ok(httparse::Status::Partial) if buf.len() > MAX_HEAD => return Err(ErrorKind::Parse),
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(_) => return Err(ErrorKind::Parse),
    };
    let status = resp.code.ok_or(ErrorKind::Parse)?;
    let mut close = resp.version == Some(0);
    let mut length: Option<usize> = None;
    let mut chunked = false;
    let mut content_type = None;
    let mut session_id = None;
    for h in resp.headers.iter() {
        let name = h.name;
        if name.eq_ignore_ascii_case("content-length") {
            let n = std::str::from_utf8(h.value).ok().and_then(|v| v.trim().parse::<usize>().ok());
            match (n, length) {
                (Some(n), None) => length = Some(n),
                (Some(n), Some(m)) if n == m => {}
                _ => return Err(ErrorKind::Parse),
            }
        } else if name.eq_ignore_ascii_case("transfer-encoding") {
            // Only the last coding decides whether the body is chunked.
            let last = h.value.rsplit(|&b| b == b',').next().unwrap_or_default();
            chunked = last.trim_ascii().eq_ignore_ascii_case(b"chunked");
            if !chunked {
                return Err(ErrorKind::Parse);
            }
        } else if name.eq_ignore_ascii_case("connection") {
            for token in h.value.split(|&b| b == b',').map(<[u8]>::trim_ascii) {
                if token.eq_ignore_ascii_case(b"close") {
                    close = true;
                } else if token.eq_ignore_ascii_case(b"keep-alive") {
                    close = false;
                }
            }
        } else if name.eq_ignore_ascii_case("content-type") {
            content_type = Some(range_in(buf, h.value));
        } else if name.eq_ignore_ascii_case("mcp-session-id") {
            session_id = Some(range_in(buf, h.value));
        }
    }
    let framing = if (100..200).contains(&status) || status == 204 || status == 304 {
        Framing::Empty
    } else if chunked {
        Framing::Chunked
    } else if let Some(n) = length {
        Framing::Length(n)
    } else {
        close = true;
        Framing::UntilClose
    };
    Ok(Some(Head { status, len, framing, close, content_type, session_id }))
}

/// Decodes the chunked body at the start of `buf` into `out` (cleared first);
/// `Ok(Some(n))`: complete, `n` bytes of `buf` used (trailers included);
/// `Ok(None)`: more bytes are needed.
pub(crate) fn decode_chunked(buf: &[u8], out: &mut Vec<u8>, max: usize) -> Result<Option<usize>, ErrorKind> {
    out.clear();
    let mut pos = 0;
    loop {
        let (start, size) = match httparse::parse_chunk_size(&buf[pos..]) {
            Ok(httparse::Status::Complete((n, size))) => (pos + n, size),
            Ok(httparse::Status::Partial) => return Ok(None),
            Err(_) => return Err(ErrorKind::Parse),
        };
        let size = usize::try_from(size).map_err(|_| ErrorKind::Parse)?;
        if size == 0 {
            // Trailer section: header lines, then an empty line.
            let mut p = start;
            loop {
                let Some(eol) = buf[p..].windows(2).position(|w| w == b"\r\n") else {
                    return Ok(None);
                };
                if eol == 0 {
                    return Ok(Some(p + 2));
                }
                p += eol + 2;
            }
        }
        if out.len() + size > max {
            return Err(ErrorKind::Parse);
        }
        let end = start.checked_add(size).ok_or(ErrorKind::Parse)?;
        if buf.len() < end + 2 {
            return Ok(None);
        }
        if &buf[end..end + 2] != b"\r\n" {
            return Err(ErrorKind::Parse);
        }
        out.extend_from_slice(&buf[start..end]);
        pos = end + 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heads_give_status_framing_and_the_headers_checked() -> Result<(), ErrorKind> {
        let raw = b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nmcp-session-id: abc\r\ncontent-length: 5\r\n\r\nhello";
        let h = parse_head(raw)?.ok_or(ErrorKind::Parse)?;
        assert_eq!(h.status, 200);
        assert_eq!(h.framing, Framing::Length(5));
        assert!(!h.close);
        assert_eq!(&raw[h.content_type.clone().ok_or(ErrorKind::Parse)?], b"text/event-stream");
        assert_eq!(&raw[h.session_id.clone().ok_or(ErrorKind::Parse)?], b"abc");
        assert_eq!(&raw[h.len..], b"hello");

        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Le")?, None);
        let h = parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\nConnection: close\r\n\r\n")?;
        assert_eq!(h.as_ref().map(|h| (h.framing, h.close)), Some((Framing::Chunked, true)));
        let h = parse_head(b"HTTP/1.0 200 OK\r\n\r\n")?;
        assert_eq!(h.as_ref().map(|h| (h.framing, h.close)), Some((Framing::UntilClose, true)));
        let h = parse_head(b"HTTP/1.1 202 Accepted\r\ncontent-length: 0\r\n\r\n")?;
        assert_eq!(h.map(|h| h.framing), Some(Framing::Length(0)));
        let h = parse_head(b"HTTP/1.1 204 No Content\r\n\r\n")?;
        assert_eq!(h.map(|h| h.framing), Some(Framing::Empty));
        Ok(())
    }

    #[test]
    fn bad_heads_are_parse_errors() {
        assert_eq!(
            parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"),
            Err(ErrorKind::Parse)
        );
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n"), Err(ErrorKind::Parse));
        assert_eq!(parse_head(b"HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n"), Err(ErrorKind::Parse));
        assert_eq!(parse_head(b"SSH-2.0-OpenSSH\r\n\r\n"), Err(ErrorKind::Parse));
        let endless = [b'a'; MAX_HEAD + 1];
        assert_eq!(parse_head(&endless), Err(ErrorKind::Parse));
    }

    #[test]
    fn chunked_bodies_decode_across_partial_reads() -> Result<(), ErrorKind> {
        let raw = b"5\r\nhello\r\n7;ext=1\r\n, world\r\n0\r\nx-trailer: 1\r\n\r\nNEXT";
        let mut out = Vec::new();
        assert_eq!(decode_chunked(raw, &mut out, 1024)?, Some(raw.len() - 4));
        assert_eq!(out, b"hello, world");
        for cut in 0..raw.len() - 4 {
            assert_eq!(decode_chunked(&raw[..cut], &mut out, 1024)?, None, "cut at {cut}");
        }
        assert_eq!(decode_chunked(b"5\r\nhelloXX", &mut out, 1024), Err(ErrorKind::Parse));
        assert_eq!(decode_chunked(b"zz\r\n", &mut out, 1024), Err(ErrorKind::Parse));
        assert_eq!(decode_chunked(b"800\r\n", &mut out, 1024), Err(ErrorKind::Parse));
        Ok(())
    }
}
