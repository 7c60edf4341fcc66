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

thread_local! {
    /// The fields of the line being written: gathered here with plain
    /// `String` pushes, then handed to the line's writer in one call,
    /// rather than a dynamic `fmt::Write` call per separator, name, quote
    /// and value (an access line has 18 fields).
    static FIELDS: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What [`FIELDS`] may keep between lines.
const FIELDS_KEPT: usize = 4 * 1024;

impl<'w> FormatFields<'w> for PlainFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'w>, fields: R) -> fmt::Result {
        let mut write = |out: &mut String| {
            let mut v = Visitor { out, first: true, result: Ok(()) };
            fields.record(&mut v);
            v.result.and_then(|()| writer.write_str(v.out))
        };
        // A field whose `Debug` logs comes back here while the buffer is
        // in use (and a thread's last lines may come after its locals are
        // gone): those lines get a buffer of their own.
        let mut fresh = String::new();
        FIELDS
            .try_with(|cell| match cell.try_borrow_mut() {
                Ok(mut out) => {
                    out.clear();
                    let r = write(&mut out);
                    if out.capacity() > FIELDS_KEPT {
                        *out = String::new();
                    }
                    r
                }
                Err(_) => write(&mut fresh),
            })
            .unwrap_or_else(|_| write(&mut fresh))
    }
}

struct Visitor<'a> {
    out: &'a mut String,
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
            self.out.push(' ');
        }
        let name = field.name();
        if name != "message" {
            self.out.push_str(name.strip_prefix("r#").unwrap_or(name));
            self.out.push('=');
        }
        true
    }
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if !self.start(field) {
            return;
        }
        if field.name() == "message" {
            Escaping(self.out).push(value);
        } else if value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\') {
            // Printable ASCII needing no escape: what `{:?}` would write.
            self.out.push('"');
            self.out.push_str(value);
            self.out.push('"');
        } else {
            self.result = write!(self.out, "{value:?}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if self.start(field) {
            self.out.push_str(Decimal::new(value, 1).as_str());
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if self.start(field) {
            if value < 0 {
                self.out.push('-');
            }
            self.out.push_str(Decimal::new(value.unsigned_abs(), 1).as_str());
        }
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // As the default (`record_debug` of the value), without the
        // escaping pass: a float's `Debug` is printable ASCII.
        if self.start(field) && !push_thousandths(self.out, value) {
            self.result = write!(self.out, "{value:?}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if self.start(field) {
            self.out.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if self.start(field) {
            self.result = write!(Escaping(self.out), "{value:?}");
        }
    }
}

/// Appends `value` to `out` as its `Debug` writes it, without the float
/// formatter, when it is a whole number of thousandths below 1e9 (the
/// access log's `duration_ms`, in microseconds): `0.031`, `12.5`, `3.0`.
/// Returns false, writing nothing, for any other value.
fn push_thousandths(out: &mut String, value: f64) -> bool {
    // Below 1e9 the value has at most 12 significant digits, so the
    // shortest decimal that reads back as it (what `Debug` prints) is the
    // thousandths themselves, trailing zeros trimmed.
    if !(0.0..1e9).contains(&value) || value.is_sign_negative() {
        return false;
    }
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss, reason = "0 <= value * 1000 < 1e12")]
    let m = (value * 1000.0).round() as u64;
    #[allow(clippy::cast_precision_loss, reason = "m < 1e12 < 2^53: exact")]
    if m as f64 / 1000.0 != value {
        return false;
    }
    out.push_str(Decimal::new(m / 1000, 1).as_str());
    out.push('.');
    let fraction = Decimal::new(m % 1000, 3);
    let digits = fraction.as_str().trim_end_matches('0');
    out.push_str(if digits.is_empty() { "0" } else { digits });
    true
}

/// `value` in decimal, at least `width` digits (zero-padded, as
/// `{value:0width$}` writes it), without the formatter: the log lines'
/// numbers, the timestamp's microseconds and the access line's address.
pub(crate) struct Decimal {
    digits: [u8; 20],
    at: usize,
}

impl Decimal {
    pub(crate) fn new(mut value: u64, width: usize) -> Self {
        let mut d = Self { digits: [b'0'; 20], at: 20 };
        let last = 20 - width.clamp(1, 20);
        loop {
            d.at -= 1;
            d.digits[d.at] = b'0' + (value % 10) as u8;
            value /= 10;
            if value == 0 && d.at <= last {
                break;
            }
        }
        d
    }

    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(&self.digits[self.at..]).unwrap_or_default()
    }
}

/// Passes text through, control characters escaped (`\n`, `\u{1b}`).
struct Escaping<'a>(&'a mut String);

impl Escaping<'_> {
    fn push(&mut self, s: &str) {
        // Printable ASCII, what nearly every message and value is.
        if s.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            self.0.push_str(s);
            return;
        }
        let mut rest = s;
        while let Some(i) = rest.find(|c: char| c.is_control()) {
            self.0.push_str(&rest[..i]);
            let c = rest[i..].chars().next().unwrap_or_default();
            self.0.extend(c.escape_debug());
            rest = &rest[i + c.len_utf8()..];
        }
        self.0.push_str(rest);
    }
}

impl fmt::Write for Escaping<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.push(s);
        Ok(())
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
            w.write_str(text)?;
            w.write_char('.')?;
            w.write_str(Decimal::new(u64::from(now.subsec_micros()), 6).as_str())?;
            w.write_char('Z')
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
    fn timestamps_have_microseconds_and_a_zone() {
        let mut text = String::new();
        CachedTime.format_time(&mut Writer::new(&mut text)).unwrap();
        let (date_time, fraction) = text.split_once('.').unwrap();
        assert_eq!(date_time.len(), "2026-12-05T10:15:02".len(), "{text}");
        assert!(date_time.as_bytes()[10] == b'T' && date_time.starts_with("20"), "{text}");
        assert_eq!(fraction.len(), 7, "{text}");
        assert!(fraction.ends_with('Z') && fraction[..6].bytes().all(|b| b.is_ascii_digit()), "{text}");
    }

    #[test]
    fn decimals_read_as_the_formatter_writes_them() {
        for (value, width) in [(0, 1), (7, 1), (10, 1), (255, 1), (u64::MAX, 1), (0, 6), (42, 6), (999_999, 6)] {
            assert_eq!(Decimal::new(value, width).as_str(), format!("{value:0width$}"));
        }
    }

    #[test]
    fn thousandths_read_as_debug_writes_them() {
        for micros in [0_u64, 1, 10, 31, 100, 999, 1000, 1001, 12_500, 3_000_000, 123_456_789, 999_999_999_999] {
            let v = micros as f64 / 1000.0;
            let mut out = String::new();
            assert!(push_thousandths(&mut out, v), "{v}");
            assert_eq!(out, format!("{v:?}"), "{micros} µs");
        }
        for other in [0.031238000000000002, 1.0 / 3.0, -1.0, 1e9, f64::NAN, f64::INFINITY, 1e-4, -0.0] {
            let mut out = String::new();
            assert!(!push_thousandths(&mut out, other) && out.is_empty(), "{other:?} goes through Debug");
        }
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
                zero = 0u64,
                largest = u64::MAX,
                smallest = i64::MIN,
                tiny = 1e-7,
                "request"
            );
        });
        assert_eq!(ours, theirs);
    }

    #[test]
    fn a_field_that_logs_while_it_is_written_does_not_break_the_line() {
        struct Logs;
        impl fmt::Debug for Logs {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                tracing::info!(inner = 7u64, "nested");
                f.write_str("value")
            }
        }
        let (theirs, ours) = lines(|| tracing::info!(field = ?Logs, after = 1u64, "outer"));
        assert_eq!(ours, theirs);
        assert!(ours.contains("outer field=value after=1"), "{ours:?}");
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
