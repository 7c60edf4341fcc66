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

/// What a subscriber wrote, kept for a test to read.
#[derive(Clone, Default)]
pub(crate) struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    pub(crate) fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).unwrap()
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl tracing_subscriber::fmt::MakeWriter<'_> for Captured {
    type Writer = Captured;
    fn make_writer(&self) -> Captured {
        self.clone()
    }
}

/// The line `tracing-subscriber`'s defaults would write (no ANSI) and
/// ours, for the same event.
fn lines(emit: impl Fn()) -> (String, String) {
    let text = Captured::text;
    let (theirs, ours) = (Captured::default(), Captured::default());
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
