//! How a text log line is written, cheaper than `tracing-subscriber`'s
//! defaults with the same look: `name=value` fields without the styling
//! machinery the default visitor runs for every field even with colours
//! off, strings quoted and escaped only when they need it, control
//! characters in messages and values escaped (no terminal injection), and
//! an RFC 3339 timestamp whose date and time of day are formatted once a
//! second per thread. An access line per request (18 fields) is the
//! reason: with the defaults, writing it cost more than serving the call.

use std::cell::RefCell;
use std::fmt::{self, Write as _};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::FormatFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::time::FormatTime;

/// `message name=value name="text" ...`.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct PlainFields;

impl<'w> FormatFields<'w> for PlainFields {
    fn format_fields<R: RecordFields>(&self, writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut v = Visitor { writer, first: true, result: Ok(()) };
        fields.record(&mut v);
        v.result
    }
}

struct Visitor<'w> {
    writer: Writer<'w>,
    first: bool,
    result: fmt::Result,
}

impl Visitor<'_> {
    /// The separator, then `name=` (nothing before a message).
    fn start(&mut self, field: &Field) -> bool {
        if self.result.is_err() {
            return false;
        }
        if !std::mem::take(&mut self.first) {
            self.result = self.writer.write_char(' ');
        }
        let name = field.name();
        if name != "message" {
            let name = name.strip_prefix("r#").unwrap_or(name);
            self.result =
                self.result.and_then(|()| self.writer.write_str(name)).and_then(|()| self.writer.write_char('='));
        }
        self.result.is_ok()
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.start(field) {
            return;
        }
        self.result = if field.name() == "message" {
            Escaping(&mut self.writer).write_str(value)
        } else if value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
            // Printable ASCII needing no escape: what `{:?}` would write.
            self.writer
                .write_char('"')
                .and_then(|()| self.writer.write_str(value))
                .and_then(|()| self.writer.write_char('"'))
        } else {
            write!(self.writer, "{value:?}")
        };
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field) {
            self.result = write!(self.writer, "{value}");
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field) {
            self.result = write!(self.writer, "{value}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field) {
            self.result = self.writer.write_str(if value { "true" } else { "false" });
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.start(field) {
            self.result = write!(Escaping(&mut self.writer), "{value:?}");
        }
    }
}

/// Passes text through, control characters escaped (`\n`, `\u{1b}`).
struct Escaping<'a, 'w>(&'a mut Writer<'w>);

impl fmt::Write for Escaping<'_, '_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        // Printable ASCII, what nearly every message and value is.
        if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return self.0.write_str(s);
        }
        let mut rest = s;
        while let Some(i) = rest.find(|c: char| c.is_control()) {
            self.0.write_str(&rest[..i])?;
            let c = rest[i..].chars().next().unwrap_or_default();
            for e in c.escape_debug() {
                self.0.write_char(e)?;
            }
            rest = &rest[i + c.len_utf8()..];
        }
        self.0.write_str(rest)
    }
}

/// `2026-12-05T10:15:02.123456Z`, as `tracing-subscriber`'s `SystemTime`
/// writes it, the part up to the second kept per thread.
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct CachedTime;

thread_local! {
    static SECOND: RefCell<(u64, String)> = const { RefCell::new((u64::MAX, String::new())) };
}

impl FormatTime for CachedTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
        let secs = now.as_secs();
        SECOND.with_borrow_mut(|(cached, text)| {
            if *cached != secs {
                text.clear();
                write_date_time(text, secs)?;
                *cached = secs;
            }
            write!(w, "{text}.{:06}Z", now.subsec_micros())
        })
    }
}

/// `YYYY-MM-DDTHH:MM:SS` of a Unix time (UTC), by the civil-from-days
/// algorithm (Howard Hinnant's).
fn write_date_time(out: &mut String, secs: u64) -> fmt::Result {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    write!(out, "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}", rem / 3600, rem % 3600 / 60, rem % 60)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date_time(secs: u64) -> String {
        let mut s = String::new();
        write_date_time(&mut s, secs).unwrap();
        s
    }

    #[test]
    fn civil_dates_match_known_instants() {
        assert_eq!(date_time(0), "1970-01-01T00:00:00");
        assert_eq!(date_time(951_782_400), "2000-02-29T00:00:00");
        assert_eq!(date_time(1_798_761_599), "2026-12-31T23:59:59");
        assert_eq!(date_time(1_709_164_800), "2024-02-29T00:00:00");
        assert_eq!(date_time(4_107_542_400), "2100-03-01T00:00:00");
    }

    /// The line `tracing-subscriber`'s defaults would write (no ANSI) and
    /// ours, for the same event.
    fn lines(emit: impl Fn()) -> (String, String) {
        use std::sync::{Arc, Mutex};
        use tracing_subscriber::fmt::MakeWriter;

        #[derive(Clone, Default)]
        struct Buf(Arc<Mutex<Vec<u8>>>);
        impl std::io::Write for Buf {
            fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
                self.0.lock().unwrap().extend_from_slice(b);
                Ok(b.len())
            }
            fn flush(&mut self) -> std::io::Result<()> {
                Ok(())
            }
        }
        impl MakeWriter<'_> for Buf {
            type Writer = Buf;
            fn make_writer(&self) -> Buf {
                self.clone()
            }
        }
        let text = |b: &Buf| String::from_utf8(b.0.lock().unwrap().clone()).unwrap();
        let (theirs, ours) = (Buf::default(), Buf::default());
        let sub = tracing_subscriber::fmt().with_ansi(false).without_time().with_writer(theirs.clone()).finish();
        tracing::subscriber::with_default(sub, &emit);
        let sub = tracing_subscriber::fmt()
            .with_ansi(false)
            .without_time()
            .fmt_fields(PlainFields)
            .with_writer(ours.clone())
            .finish();
        tracing::subscriber::with_default(sub, &emit);
        (text(&theirs), text(&ours))
    }

    #[test]
    fn lines_look_as_they_did() {
        let (theirs, ours) = lines(|| {
            let ip: std::net::IpAddr = [127, 0, 0, 1].into();
            tracing::info!(
                http_method = %http::Method::POST,
                path = "/mcp",
                status = 200u16,
                duration_ms = 0.25,
                error_code = -32602i64,
                ok = true,
                name = "has \"quotes\" and é",
                client = %ip,
                missing = Option::<&str>::None,
                "request"
            );
        });
        assert_eq!(ours, theirs);
    }

    #[test]
    fn control_characters_never_reach_the_line() {
        let (_, ours) = lines(|| {
            tracing::warn!(session = "a\nb\u{1b}[31m", shown = %"x\u{1b}[2Jy", "line\nbreak \u{1b}[0m");
        });
        assert_eq!(ours.matches('\n').count(), 1, "{ours:?}");
        assert!(!ours.contains('\u{1b}'), "{ours:?}");
        assert!(ours.contains(r#"session="a\nb\u{1b}[31m""#), "{ours:?}");
        assert!(ours.contains(r"line\nbreak \u{1b}[0m"), "{ours:?}");
    }
}
