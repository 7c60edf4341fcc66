//! Server-sent events back to JSON-RPC messages: the endpoint answers a
//! request that emits with `text/event-stream`; over stdio each event's
//! `data` is one line.

use bytes::{Bytes, BytesMut};

/// An incremental SSE reader: push body frames, take whole messages.
#[derive(Default)]
pub(crate) struct Events {
    pending: BytesMut,
    data: Vec<u8>,
}

impl Events {
    /// Adds `chunk` and returns the data of every event it completes.
    /// Events without data (priming events, keep-alive comments) yield
    /// nothing.
    pub(crate) fn push(&mut self, chunk: &[u8]) -> Vec<Bytes> {
        self.pending.extend_from_slice(chunk);
        let mut out = Vec::new();
        while let Some(end) = self.pending.iter().position(|&b| b == b'\n') {
            let line = self.pending.split_to(end + 1);
            let line = line.strip_suffix(b"\n").unwrap_or(&line);
            let line = line.strip_suffix(b"\r").unwrap_or(line);
            if line.is_empty() {
                if !self.data.is_empty() {
                    out.push(Bytes::from(std::mem::take(&mut self.data)));
                }
                continue;
            }
            if let Some(value) = line.strip_prefix(b"data:") {
                let value = value.strip_prefix(b" ").unwrap_or(value);
                if !self.data.is_empty() {
                    self.data.push(b'\n');
                }
                self.data.extend_from_slice(value);
            }
            // `id:`, `retry:`, `event:` and `:` comments say nothing a
            // stdio client needs.
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn events_split_across_chunks_become_messages() {
        let mut e = Events::default();
        let stream = b"id: a-1\nretry: 1000\ndata: \n\nid: a-2\ndata: {\"x\":1}\n\n: keep-alive\n\ndata: {\"y\"\r\ndata: :2}\r\n\r\n";
        let mut got = Vec::new();
        for chunk in stream.chunks(5) {
            got.extend(e.push(chunk));
        }
        assert_eq!(got, vec![Bytes::from_static(b"{\"x\":1}"), Bytes::from_static(b"{\"y\"\n:2}")]);
    }
}
