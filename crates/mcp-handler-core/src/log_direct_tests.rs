use tracing_subscriber::prelude::*;

use super::*;

/// `message` and one more field.
struct Two(u64);

impl Fields for Two {
    fn record<R: Record>(&self, r: &mut R) {
        r.str("message", "m");
        r.u64("status", self.0);
    }
}

fn layer(
    direct: Option<Direct>,
) -> impl tracing_subscriber::Layer<
    tracing_subscriber::layer::Layered<tracing_subscriber::filter::Targets, tracing_subscriber::Registry>,
> {
    tracing_subscriber::fmt::layer()
        .with_ansi(false)
        .with_writer(StderrLines { direct })
        .with_timer(CachedTime)
        .with_target(false)
        .fmt_fields(crate::log_format::PlainFields)
}

#[test]
fn another_subscriber_gets_the_event_through_tracing() {
    let sub = tracing_subscriber::fmt().with_ansi(false).without_time().finish();
    assert!(!tracing::subscriber::with_default(sub, || info("t", &Two(1))));
    let sub = tracing_subscriber::registry().with(crate::logging::parse_filter(None)).with(layer(None));
    assert!(tracing::subscriber::with_default(sub, installed).is_none(), "colours: the writer says nothing");
}

#[test]
fn the_installed_layer_is_recognised_outside_spans_only() {
    for direct in [Direct::Text { timestamps: true }, Direct::Json] {
        let sub = tracing_subscriber::registry().with(crate::logging::parse_filter(None)).with(layer(Some(direct)));
        tracing::subscriber::with_default(sub, || {
            assert_eq!(format!("{:?}", installed()), format!("{:?}", Some(direct)));
            let span = tracing::info_span!("outer");
            let _in = span.enter();
            assert!(installed().is_none(), "the layer would print the span");
        });
    }
}

#[test]
fn lines_have_the_layers_frame() {
    let mut line = String::new();
    format_info(&mut line, Direct::Text { timestamps: false }, "t", &Two(200)).unwrap();
    assert_eq!(line, " INFO m status=200\n");
    line.clear();
    format_info(&mut line, Direct::Text { timestamps: true }, "t", &Two(200)).unwrap();
    let (time, rest) = line.split_once(' ').unwrap();
    assert!(time.ends_with('Z') && time.len() == "2026-12-05T10:15:02.123456Z".len(), "{line:?}");
    assert_eq!(rest, " INFO m status=200\n");
    line.clear();
    format_info(&mut line, Direct::Json, "a::b", &Two(7)).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert!(line.ends_with("}\n") && line.starts_with(r#"{"timestamp":""#), "{line:?}");
    assert_eq!(v["level"], "INFO");
    assert_eq!(v["message"], "m");
    assert_eq!(v["status"], 7);
    assert_eq!(v["target"], "a::b");
}

#[test]
fn json_values_are_escaped_as_serde_json_escapes_them() {
    struct Odd;
    impl Fields for Odd {
        fn record<R: Record>(&self, r: &mut R) {
            r.str("a", "quote \" back \\ nl \n tab \t del \u{7f} é \u{1b}");
            r.i64("b", i64::MIN);
            r.f64("c", 1.0 / 3.0);
            r.f64("d", f64::NAN);
            r.f64("e", 0.031);
            r.display("f", &"x\ny");
        }
    }
    let mut line = String::new();
    format_info(&mut line, Direct::Json, "t", &Odd).unwrap();
    let v: serde_json::Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["a"], "quote \" back \\ nl \n tab \t del \u{7f} é \u{1b}");
    assert_eq!(v["b"], i64::MIN);
    assert!(line.contains(r#""c":0.3333333333333333,"d":null,"e":0.031,"f":"x\ny""#), "{line}");
}
