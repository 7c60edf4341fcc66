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
            let mut v = Visitor::new(out);
            fields.record(&mut v);
            v.finish()?;
            writer.write_str(out)
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

/// Where an event's fields are written: by name, as `tracing` records
/// each type. The subscriber's [`Visitor`] is one; a line written without
/// the subscriber ([`crate::log_direct`]) uses it, or a JSON writer.
pub(crate) trait Record {
    fn str(&mut self, name: &str, value: &str);
    fn u64(&mut self, name: &str, value: u64);
    fn i64(&mut self, name: &str, value: i64);
    fn f64(&mut self, name: &str, value: f64);
    /// A `%value` field whose `Display` writes `value`.
    fn unquoted(&mut self, name: &str, value: &str);
    /// A `%value` field: its `Display`, as `tracing` records it (through
    /// `Debug`).
    fn display(&mut self, name: &str, value: &dyn fmt::Display);
}

/// Writes one line's fields by the rules above, by field name: as the
/// subscriber's visitor, and for a line written without the subscriber
/// ([`crate::log_direct`]), so that the two cannot differ.
pub(crate) struct Visitor<'a> {
    out: &'a mut String,
    first: bool,
    result: fmt::Result,
}

impl<'a> Visitor<'a> {
    /// Fields appended to `out`, the first without a separator.
    pub(crate) fn new(out: &'a mut String) -> Self {
        Self { out, first: true, result: Ok(()) }
    }

    /// Whether every field was written (a `Debug` or `Display` can fail).
    pub(crate) fn finish(self) -> fmt::Result {
        self.result
    }

    /// The separator, then `name=` (nothing before a message).
    // Inlined: a caller that names its fields writes each name as a constant.
    #[inline(always)]
    fn start(&mut self, name: &str) -> bool {
        if self.result.is_err() {
            return false;
        }
        if !std::mem::take(&mut self.first) {
            self.out.push(' ');
        }
        if name != "message" {
            self.out.push_str(name.strip_prefix("r#").unwrap_or(name));
            self.out.push('=');
        }
        true
    }

    fn bool(&mut self, name: &str, value: bool) {
        if self.start(name) {
            self.out.push_str(if value { "true" } else { "false" });
        }
    }

    fn debug(&mut self, name: &str, value: &dyn fmt::Debug) {
        if self.start(name) {
            self.result = write!(Escaping(self.out), "{value:?}");
        }
    }
}

impl Record for Visitor<'_> {
    #[inline(always)]
    fn str(&mut self, name: &str, value: &str) {
        if !self.start(name) {
            return;
        }
        if name == "message" {
            Escaping(self.out).push(value);
        } else if needs_no_escape(value) {
            // What `{:?}` would write.
            self.out.push('"');
            self.out.push_str(value);
            self.out.push('"');
        } else {
            self.result = write!(self.out, "{value:?}");
        }
    }

    #[inline(always)]
    fn u64(&mut self, name: &str, value: u64) {
        if self.start(name) {
            Decimal::new(value, 1).push_to(self.out);
        }
    }

    #[inline(always)]
    fn i64(&mut self, name: &str, value: i64) {
        if self.start(name) {
            push_i64(self.out, value);
        }
    }

    #[inline(always)]
    fn f64(&mut self, name: &str, value: f64) {
        // As the default (`record_debug` of the value), without the
        // escaping pass: a float's `Debug` is printable ASCII.
        if self.start(name) && !push_thousandths(self.out, value) {
            self.result = write!(self.out, "{value:?}");
        }
    }

    #[inline(always)]
    fn unquoted(&mut self, name: &str, value: &str) {
        if self.start(name) {
            Escaping(self.out).push(value);
        }
    }

    fn display(&mut self, name: &str, value: &dyn fmt::Display) {
        if self.start(name) {
            self.result = write!(Escaping(self.out), "{value}");
        }
    }
}

/// Printable ASCII without a quote or a backslash: a string that both
/// `{:?}` and `serde_json` write as it is, between quotes.
pub(crate) fn needs_no_escape(value: &str) -> bool {
    value.bytes().all(|b| (0x20..0x7f).contains(&b) && b != b'"' && b != b'\\')
}

/// `value` in decimal, as `{value}` writes it.
pub(crate) fn push_i64(out: &mut String, value: i64) {
    if value < 0 {
        out.push('-');
    }
    Decimal::new(value.unsigned_abs(), 1).push_to(out);
}

impl Visit for Visitor<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.str(field.name(), value);
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.u64(field.name(), value);
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.i64(field.name(), value);
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        self.f64(field.name(), value);
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.bool(field.name(), value);
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.debug(field.name(), value);
    }
}

/// Appends `value` to `out` as its `Debug` writes it, without the float
/// formatter, when it is a whole number of thousandths below 1e9 (the
/// access log's `duration_ms`, in microseconds): `0.031`, `12.5`, `3.0`.
/// Returns false, writing nothing, for any other value.
pub(crate) fn push_thousandths(out: &mut String, value: f64) -> bool {
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
    Decimal::new(m / 1000, 1).push_to(out);
    out.push('.');
    // The thousandths without their trailing zeros; `0` for none.
    let (mut fraction, mut width) = (m % 1000, 3);
    while fraction % 10 == 0 && width > 1 {
        fraction /= 10;
        width -= 1;
    }
    Decimal::new(fraction, width).push_to(out);
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

    /// The digits, ASCII.
    pub(crate) fn as_bytes(&self) -> &[u8] {
        &self.digits[self.at..]
    }

    /// Appends the digits to `out` (no UTF-8 check to pay, as `as_str` has).
    pub(crate) fn push_to(&self, out: &mut String) {
        out.extend(self.as_bytes().iter().map(|&d| char::from(d)));
    }

    #[cfg(test)]
    pub(crate) fn as_str(&self) -> &str {
        std::str::from_utf8(self.as_bytes()).unwrap_or_default()
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

impl CachedTime {
    /// Appends the time now to `out`.
    pub(crate) fn push(out: &mut String) -> fmt::Result {
        with_now(|text| out.push_str(text))
    }
}

impl FormatTime for CachedTime {
    fn format_time(&self, w: &mut Writer<'_>) -> fmt::Result {
        with_now(|text| w.write_str(text))?
    }
}

/// Calls `f` with the time now, written in this thread's buffer after
/// the cached date and time of day.
fn with_now<R>(f: impl FnOnce(&str) -> R) -> Result<R, fmt::Error> {
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = now.as_secs();
    SECOND.with_borrow_mut(|(cached, text)| {
        if *cached != secs {
            text.clear();
            *cached = u64::MAX;
            write_date_time(text, secs)?;
            *cached = secs;
        }
        let second = text.len();
        text.push('.');
        Decimal::new(u64::from(now.subsec_micros()), 6).push_to(text);
        text.push('Z');
        let r = f(text);
        text.truncate(second);
        Ok(r)
    })
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
#[path = "log_format_tests.rs"]
pub(crate) mod tests;
