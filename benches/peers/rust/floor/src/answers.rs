//! The floor's precomputed answers: byte for byte what `bench-server`
//! answers to the same 2025-shape requests with `"id":1`
//! (`cargo xtask bench` checks this before every run).

use bytes::Bytes;

/// Copy of `SMALL_TEXT` in `benches/src/payload.rs` (this workspace cannot
/// depend on the benches crate); the xtask's peer smoke check compares the
/// floor's answers with bench-server's, so a drift fails there.
const SMALL_TEXT: &str = "hello from mcp-bench";

/// Same result as `big_text()` in `benches/src/payload.rs` (see above).
fn big_text() -> String {
    const ALPHABET: &[u8] = b"abcdefghijklmnopqrstuvwxyz0123456789 ";
    ALPHABET.iter().cycle().take(10 * 1024).map(|&b| char::from(b)).collect()
}

/// Bodies longer than this are the `big` scenario's 10 KiB call.
const BIG_BODY: usize = 4 * 1024;

const TOOLS_LIST: &str = concat!(
    r#"{"jsonrpc":"2.0","id":1,"result":{"tools":[{"description":"Returns its text argument unchanged","#,
    r#""inputSchema":{"properties":{"text":{"description":"The text to send back.","type":"string"}},"#,
    r#""required":["text"],"type":"object"},"name":"echo"}]}}"#
);

pub(crate) struct Answers {
    list: Bytes,
    small: Bytes,
    big: Bytes,
}

impl Answers {
    pub(crate) fn new() -> Self {
        Self { list: Bytes::from_static(TOOLS_LIST.as_bytes()), small: echo(SMALL_TEXT), big: echo(&big_text()) }
    }

    /// The answer for a request body, by the cheapest test that tells the
    /// load's requests apart: length first (a `tools/list` body is never
    /// 4 KiB long), so the 10 KiB body is never scanned.
    pub(crate) fn pick(&self, body: &[u8]) -> &Bytes {
        if body.len() > BIG_BODY {
            &self.big
        } else if body.windows(b"tools/list".len()).any(|w| w == b"tools/list") {
            &self.list
        } else {
            &self.small
        }
    }
}

/// Both texts are plain ASCII without characters JSON escapes
/// (`payload.rs` guarantees it), so they are pasted in as they are.
fn echo(text: &str) -> Bytes {
    Bytes::from(format!(r#"{{"jsonrpc":"2.0","id":1,"result":{{"content":[{{"type":"text","text":"{text}"}}]}}}}"#))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_request_kind_gets_its_answer() {
        let a = Answers::new();
        let list = br#"{"jsonrpc":"2.0","id":1,"method":"tools/list"}"#;
        assert_eq!(a.pick(list), &a.list);
        let small = format!(
            r#"{{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{{"name":"echo","arguments":{{"text":"{SMALL_TEXT}"}}}}}}"#
        );
        assert_eq!(a.pick(small.as_bytes()), &a.small);
        let big = small.replace(SMALL_TEXT, &big_text());
        assert_eq!(a.pick(big.as_bytes()), &a.big);
        assert_eq!(a.big.len(), a.small.len() - SMALL_TEXT.len() + 10 * 1024);
    }
}
