//! The little of `text/event-stream` a JSON-RPC answer needs: each event's
//! `data:` lines, joined with newlines.

/// Calls `f` with the data of each event in `body`, in order, until it
/// returns `false`. An event of one `data:` line (the usual case) is handed
/// over in place; only multi-line data is copied.
pub(crate) fn for_each_data(body: &[u8], mut f: impl FnMut(&[u8]) -> bool) {
    let mut first: Option<&[u8]> = None;
    let mut joined: Vec<u8> = Vec::new();
    let mut lines = body.split(|&b| b == b'\n').map(|l| l.strip_suffix(b"\r").unwrap_or(l)).peekable();
    while let Some(line) = lines.next() {
        let last = lines.peek().is_none();
        if let Some(value) = data_value(line) {
            match first {
                None => first = Some(value),
                Some(f0) => {
                    if joined.is_empty() {
                        joined.extend_from_slice(f0);
                    }
                    joined.push(b'\n');
                    joined.extend_from_slice(value);
                }
            }
        }
        // A blank line ends an event; the end of the body ends the last one
        // (lenient: the stream is already complete when it is checked).
        if (line.is_empty() || last)
            && let Some(f0) = first.take()
        {
            let data = if joined.is_empty() { f0 } else { &joined[..] };
            if !f(data) {
                return;
            }
            joined.clear();
        }
    }
}

fn data_value(line: &[u8]) -> Option<&[u8]> {
    let rest = line.strip_prefix(b"data")?;
    match rest.first() {
        None => Some(rest),
        Some(b':') => Some(rest[1..].strip_prefix(b" ").unwrap_or(&rest[1..])),
        Some(_) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(body: &str) -> Vec<String> {
        let mut out = Vec::new();
        for_each_data(body.as_bytes(), |d| {
            out.push(String::from_utf8_lossy(d).into_owned());
            true
        });
        out
    }

    #[test]
    fn events_split_on_blank_lines_and_join_data_lines() {
        assert_eq!(events("data: a\n\ndata:b\ndata: c\n\n"), ["a", "b\nc"]);
        assert_eq!(events("id: 1\r\nevent: message\r\ndata: x\r\n\r\n"), ["x"]);
        assert_eq!(events(": comment\n\nretry: 10\n\ndata: y"), ["y"]);
        assert_eq!(events("database: no\n\n"), Vec::<String>::new());
    }

    #[test]
    fn stops_when_asked() {
        let mut n = 0;
        for_each_data(b"data: a\n\ndata: b\n\n", |_| {
            n += 1;
            false
        });
        assert_eq!(n, 1);
    }
}
