//! JSON string writing without serde's byte-at-a-time escaping loop.
//!
//! Tool results are mostly text, and the text is mostly clean: this writer
//! skips eight clean bytes at a time and copies runs whole, escaping exactly
//! as serde_json does (so answers are byte-for-byte the same either way).

/// Writes `text` as a JSON string literal (quotes included).
pub(crate) fn write_str(buf: &mut Vec<u8>, text: &str) {
    let bytes = text.as_bytes();
    buf.reserve(bytes.len() + 2);
    buf.push(b'"');
    let mut start = 0;
    let mut i = 0;
    while i < bytes.len() {
        if let Some(word) = bytes.get(i..i + 8).and_then(|w| <[u8; 8]>::try_from(w).ok())
            && !needs_escape(u64::from_le_bytes(word))
        {
            i += 8;
            continue;
        }
        let b = bytes[i];
        let escape: &[u8] = match b {
            b'"' => b"\\\"",
            b'\\' => b"\\\\",
            b'\n' => b"\\n",
            b'\r' => b"\\r",
            b'\t' => b"\\t",
            0x08 => b"\\b",
            0x0c => b"\\f",
            0x00..=0x1f => &[],
            _ => {
                i += 1;
                continue;
            }
        };
        buf.extend_from_slice(&bytes[start..i]);
        if escape.is_empty() {
            const HEX: &[u8; 16] = b"0123456789abcdef";
            buf.extend_from_slice(&[b'\\', b'u', b'0', b'0', HEX[usize::from(b >> 4)], HEX[usize::from(b & 0xf)]]);
        } else {
            buf.extend_from_slice(escape);
        }
        i += 1;
        start = i;
    }
    buf.extend_from_slice(&bytes[start..]);
    buf.push(b'"');
}

/// Whether any of the eight bytes is a control character, `"` or `\`
/// (the classic "has zero byte" / "has byte less than" word tricks).
fn needs_escape(w: u64) -> bool {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    let has_zero = |x: u64| x.wrapping_sub(ONES) & !x & HIGH != 0;
    let below_space = w.wrapping_sub(ONES * 0x20) & !w & HIGH != 0;
    below_space || has_zero(w ^ (ONES * u64::from(b'"'))) || has_zero(w ^ (ONES * u64::from(b'\\')))
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
        for special in ['"', '\\', '\n', '\u{0}', '\u{1f}'] {
            for at in 0..20 {
                let s: String = (0..20).map(|i| if i == at { special } else { 'a' }).collect();
                assert_eq!(ours(&s), serde_json::to_string(&s).unwrap_or_default());
            }
        }
    }
}
