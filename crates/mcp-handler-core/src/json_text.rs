//! JSON string text: finding the bytes a string cannot hold as they are
//! ([`find_special`], which the hand-written reader scans with too), and
//! writing without serde's byte-at-a-time escaping loop.
//!
//! Tool results are mostly text, and the text is mostly clean: this writer
//! skips sixteen clean bytes at a time and copies runs whole, escaping
//! exactly as serde_json does (so answers are byte-for-byte the same either
//! way).

/// Writes `text` as a JSON string literal (quotes included).
pub(crate) fn write_str(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    loop {
        let i = start + find_special(&bytes[start..]);
        buf.extend_from_slice(&bytes[start..i]);
        let Some(&b) = bytes.get(i) else { break };
        match b {
            b'"' => buf.extend_from_slice(b"\\\""),
            b'\\' => buf.extend_from_slice(b"\\\\"),
            b'\n' => buf.extend_from_slice(b"\\n"),
            b'\r' => buf.extend_from_slice(b"\\r"),
            b'\t' => buf.extend_from_slice(b"\\t"),
            0x08 => buf.extend_from_slice(b"\\b"),
            0x0c => buf.extend_from_slice(b"\\f"),
            _ => {
                const HEX: &[u8; 16] = b"0123456789abcdef";
                buf.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
            }
        }
        start = i + 1;
    }
    buf.push(b'"');
}

/// The index of the first byte of `bytes` that a JSON string cannot hold
/// as it is (`"`, `\\` or a control character), or `bytes.len()`: sixteen
/// bytes a step, as two words tested with the classic "has zero byte" and
/// "has byte less than" tricks. Strings are most of a body, and this scan
/// serves both the hand-written reader (`jsonrpc/fast.rs`) and the writer
/// above.
#[inline]
pub(crate) fn find_special(bytes: &[u8]) -> usize {
    // Escapes one after another (`\u4e2d\u6587`): no step to set up.
    if bytes.first().is_some_and(|&c| is_special(c)) {
        return 0;
    }
    let mut chunks = bytes.chunks_exact(16);
    let mut at = 0;
    for pair in chunks.by_ref() {
        let (lo, hi) = pair.split_at(8);
        let (lo, hi) = (flags(word(lo)), flags(word(hi)));
        if lo | hi != 0 {
            let first = if lo != 0 { lo.trailing_zeros() } else { 64 + hi.trailing_zeros() };
            return at + (first / 8) as usize;
        }
        at += 16;
    }
    let rest = chunks.remainder();
    if let Some(w) = rest.get(..8) {
        let f = flags(word(w));
        if f != 0 {
            return at + (f.trailing_zeros() / 8) as usize;
        }
        at += 8;
    }
    let tail = &bytes[at..];
    at + tail.iter().position(|&c| is_special(c)).unwrap_or(tail.len())
}

#[inline(always)]
fn is_special(c: u8) -> bool {
    c == b'"' || c == b'\\' || c < 0x20
}

/// Eight bytes as one little-endian word (`w` is eight bytes long).
#[inline(always)]
fn word(w: &[u8]) -> u64 {
    u64::from_le_bytes(w.try_into().unwrap_or_default())
}

/// The high bit of each byte of `w` that is `"`, `\\` or under 0x20.
/// A flag above a flagged byte may be false (a borrow carries into it);
/// the lowest flag is exact.
#[inline(always)]
fn flags(w: u64) -> u64 {
    const ONES: u64 = u64::from_ne_bytes([1; 8]);
    let zero = |x: u64| x.wrapping_sub(ONES) & !x;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w;
    (below_space | zero(w ^ (ONES * u64::from(b'"'))) | zero(w ^ (ONES * u64::from(b'\\')))) & (ONES << 7)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ours(s: &str) -> String {
        let mut buf = Vec::new();
        write_str(&mut buf, s);
        String::from_utf8(buf).unwrap_or_default()
    }

    #[test]
    fn escapes_exactly_as_serde_json_does() {
        let samples = [
            String::new(),
            "hello from mcp-bench".into(),
            "quote \" backslash \\ slash / tab \t nl \n cr \r bs \u{8} ff \u{c} nul \u{0} us \u{1f} del \u{7f}".into(),
            "ünïcödé → 日本語 🎉 and \"quotes\" at the end\"".into(),
            "abcdefghijklmnopqrstuvwxyz0123456789 ".repeat(300),
            (0u8..=127).map(char::from).collect::<String>(),
            format!("{}\u{1}{}", "x".repeat(15), "y".repeat(9)),
        ];
        for s in &samples {
            assert_eq!(ours(s), serde_json::to_string(s).unwrap_or_default(), "{s:?}");
        }
    }

    #[test]
    fn every_single_byte_position_of_a_special_is_found() {
        // 20: a step and a tail; 29: a step, a word and a tail; 40: two
        // steps and a word. Clean bytes either side of the special: ASCII
        // and the high bytes of `é`.
        for len in [20, 29, 40] {
            for special in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
                for at in 0..len {
                    for clean in ['a', 'é'] {
                        let s: String = (0..len).map(|i| if i == at { special } else { clean }).collect();
                        assert_eq!(ours(&s), serde_json::to_string(&s).unwrap_or_default());
                        let first = s.char_indices().nth(at).map(|(i, _)| i);
                        assert_eq!(Some(find_special(s.as_bytes())), first, "{s:?}");
                    }
                }
            }
            assert_eq!(find_special("a".repeat(len).as_bytes()), len);
        }
    }
}
