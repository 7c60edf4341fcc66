//! An `info` line written by the code that logs it, byte for byte as the
//! installed log layer would write it, without the event going through
//! `tracing`: for the access log, one line per request, whose 19 fields
//! cost a quarter of a small call's throughput when each went through the
//! subscriber's dynamic field visitor.
//!
//! Only where the result is the same: the current subscriber is the one
//! [`install_logging`](crate::logging::install_logging) built, writing
//! text or JSON without colours and with no other layer (no exporter could
//! miss the event), and no span is current (the layer would print it).
//! Anywhere else the caller logs through `tracing`.

use std::cell::RefCell;
use std::fmt;
use std::io::Write as _;

pub(crate) use crate::log_format::Record;
use crate::log_format::{CachedTime, Decimal, Visitor, needs_no_escape, push_i64, push_thousandths};
use crate::log_lines::{Line, StderrLines};

/// How the installed layer writes its lines, where a caller may write
/// them itself.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Direct {
    /// Text, with or without a timestamp first.
    Text { timestamps: bool },
    /// One JSON object per line, its fields flattened.
    Json,
}

/// An event's fields, message first, as `tracing` records them.
pub(crate) trait Fields {
    fn record<R: Record>(&self, r: &mut R);
}

thread_local! {
    /// The line being written, kept between lines.
    static LINE: RefCell<String> = const { RefCell::new(String::new()) };
}

/// What [`LINE`] may keep between lines.
const LINE_KEPT: usize = 4 * 1024;

/// Writes an `info` line on `target` with `fields` when the installed
/// layer would write it the same way; `false`, writing nothing, where the
/// caller must log through `tracing`. The caller checked that the level
/// and target are enabled.
pub(crate) fn info(target: &str, fields: &impl Fields) -> bool {
    let Some(direct) = installed() else { return false };
    LINE.try_with(|cell| {
        // A field that logs while it is written: that line goes the usual way.
        let Ok(mut line) = cell.try_borrow_mut() else { return false };
        line.clear();
        if format_info(&mut line, direct, target, fields).is_err() {
            return false;
        }
        // As the layer: a line stderr does not take is lost, not reported.
        let _ = Line.write_all(line.as_bytes());
        if line.capacity() > LINE_KEPT {
            *line = String::new();
        }
        true
    })
    .unwrap_or(false)
}

/// How the installed layer writes, when the current subscriber is the one
/// `install_logging` built without colours or other layers and no span
/// is current.
fn installed() -> Option<Direct> {
    tracing::dispatcher::get_default(|d| {
        let direct = d.downcast_ref::<StderrLines>()?.direct?;
        // Known to be no span: `None` (none) is known, `Unknown` is not.
        let current = d.current_span();
        (current.is_known() && current.id().is_none()).then_some(direct)
    })
}

/// The line as `tracing-subscriber`'s formats write an `info` event
/// without colours or span: the full text format without the target
/// (timestamp, ` INFO `, fields), or the JSON one flattened (timestamp,
/// level, fields, target).
pub(crate) fn format_info(out: &mut String, direct: Direct, target: &str, fields: &impl Fields) -> fmt::Result {
    match direct {
        Direct::Text { timestamps } => {
            if timestamps {
                CachedTime::push(out)?;
                out.push(' ');
            }
            out.push_str(" INFO ");
            let mut v = Visitor::new(out);
            fields.record(&mut v);
            v.finish()?;
        }
        Direct::Json => {
            out.push_str(r#"{"timestamp":""#);
            CachedTime::push(out)?;
            out.push_str(r#"","level":"INFO""#);
            let mut j = JsonFields { out, result: Ok(()) };
            fields.record(&mut j);
            j.result?;
            out.push_str(r#","target":"#);
            json_str(out, target)?;
            out.push('}');
        }
    }
    out.push('\n');
    Ok(())
}

/// Fields as `tracing-serde` writes them into the JSON object: `,"name":`
/// then the value as `serde_json` serializes it (a `%value` as its text).
struct JsonFields<'a> {
    out: &'a mut String,
    result: fmt::Result,
}

impl JsonFields<'_> {
    #[inline(always)]
    fn key(&mut self, name: &str) {
        self.out.push_str(",\"");
        self.out.push_str(name);
        self.out.push_str("\":");
    }
}

impl Record for JsonFields<'_> {
    #[inline(always)]
    fn str(&mut self, name: &str, value: &str) {
        self.key(name);
        if self.result.is_ok() {
            self.result = json_str(self.out, value);
        }
    }
    #[inline(always)]
    fn u64(&mut self, name: &str, value: u64) {
        self.key(name);
        Decimal::new(value, 1).push_to(self.out);
    }
    fn i64(&mut self, name: &str, value: i64) {
        self.key(name);
        push_i64(self.out, value);
    }
    fn f64(&mut self, name: &str, value: f64) {
        self.key(name);
        // `serde_json` writes the shortest decimal that reads back, as
        // `push_thousandths` does for its values; others go through it.
        if !push_thousandths(self.out, value) {
            match serde_json::to_string(&value) {
                Ok(text) => self.out.push_str(&text),
                Err(_) => self.result = Err(fmt::Error),
            }
        }
    }
    #[inline(always)]
    fn unquoted(&mut self, name: &str, value: &str) {
        self.str(name, value);
    }
    fn display(&mut self, name: &str, value: &dyn fmt::Display) {
        self.str(name, &value.to_string());
    }
}

/// `value` as a JSON string, as `serde_json` escapes it.
fn json_str(out: &mut String, value: &str) -> fmt::Result {
    if needs_no_escape(value) {
        out.push('"');
        out.push_str(value);
        out.push('"');
        return Ok(());
    }
    let text = serde_json::to_string(value).map_err(|_| fmt::Error)?;
    out.push_str(&text);
    Ok(())
}

#[cfg(test)]
#[path = "log_direct_tests.rs"]
mod tests;
