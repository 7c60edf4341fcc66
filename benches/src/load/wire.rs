//! A request as bytes: serialized once, up to the parts each request adds
//! (its id, its length, the session, a signature), so that sending one is a
//! copy and a number, not a JSON serialization.

/// A request body.
#[derive(Debug, Clone)]
pub(crate) enum Body {
    /// DELETE: none, and no `Content-Length`.
    None,
    /// The same bytes every time (the notification).
    Fixed(&'static [u8]),
    /// A JSON-RPC request; the id goes between `head` and `tail`.
    WithId { head: &'static [u8], tail: Vec<u8>, fixed: Vec<u8> },
}

impl Body {
    /// `rest` follows the id: `"method":...}`.
    pub(crate) fn with_id(rest: &str) -> Self {
        let head: &'static [u8] = br#"{"jsonrpc":"2.0","id":"#;
        let tail = format!(",{rest}").into_bytes();
        let fixed = [head, b"1", &tail[..]].concat();
        Self::WithId { head, tail, fixed }
    }

    /// Appends the body of request `id` (`"id": 1` with `fixed_id`).
    pub(crate) fn write(&self, id: u64, fixed_id: bool, out: &mut Vec<u8>) {
        match self {
            Self::None => {}
            Self::Fixed(b) => out.extend_from_slice(b),
            Self::WithId { fixed, .. } if fixed_id => out.extend_from_slice(fixed),
            Self::WithId { head, tail, .. } => {
                out.extend_from_slice(head);
                out.extend_from_slice(itoa::Buffer::new().format(id).as_bytes());
                out.extend_from_slice(tail);
            }
        }
    }
}

/// One kind of request, serialized once up to its per-request parts.
#[derive(Debug)]
pub(crate) struct Wire {
    pub(crate) method: &'static str,
    /// Request line and every fixed header line.
    pub(crate) head: Vec<u8>,
    /// The same headers as pairs, for signing.
    pub(crate) headers: Vec<(String, String)>,
    pub(crate) body: Body,
}

impl Wire {
    pub(crate) fn new(method: &'static str, path: &str, headers: Vec<(String, String)>, body: Body) -> Self {
        let mut head = format!("{method} {path} HTTP/1.1\r\n").into_bytes();
        for (name, value) in &headers {
            head.extend_from_slice(name.as_bytes());
            head.extend_from_slice(b": ");
            head.extend_from_slice(value.as_bytes());
            head.extend_from_slice(b"\r\n");
        }
        Self { method, head, headers, body }
    }
}
