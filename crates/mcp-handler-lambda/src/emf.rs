//! Per-invocation metrics as CloudWatch Embedded Metric Format lines: one
//! JSON object on stdout per invocation, which CloudWatch Logs turns into
//! metrics with no agent and no API call from the function.
//!
//! Metrics: `Invocations`, `Duration` (ms, to the response head), `Errors`
//! (JSON-RPC errors and refusals), `ToolErrors`, `ColdStart`; dimensions
//! `FunctionName`, `Method` and, for a call whose tool, prompt or resource
//! answered (so the name is one the server registered, never a client's
//! invention that would mint a custom metric per request), `Tool`.
//! Properties that are not metrics: `Outcome`, `Status`, `RequestId` and,
//! on a cold start, `InitDurationMs` (or, for the first invocation after a
//! SnapStart restore, `RestoreDurationMs`).

use std::io::Write as _;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mcp_handler_core::Exchange;
use mcp_handler_core::outcome::Outcome;
use serde_json::{Value, json};

/// Where the lines go: stdout in Lambda, a buffer in tests.
pub type EmfSink = Arc<dyn Fn(&str) + Send + Sync>;

/// The EMF writer of one function.
#[derive(Clone)]
pub(crate) struct Emf {
    namespace: Arc<str>,
    function: Arc<str>,
    sink: EmfSink,
    /// Set until the first invocation (of the process, or since a
    /// SnapStart restore) has been written.
    cold: Arc<AtomicBool>,
    /// How this environment started, for the cold line.
    start: Arc<Mutex<Start>>,
}

/// How the environment of the next cold invocation came to be.
#[derive(Clone, Copy, Debug)]
enum Start {
    /// Started and initialized (the init phase took this long, if known).
    Init(Option<Duration>),
    /// Restored from a SnapStart snapshot (the restore hooks took this long).
    Restore(Duration),
}

/// One invocation as the shell saw it.
pub(crate) struct Invoked<'a> {
    pub(crate) record: Option<&'a Exchange>,
    pub(crate) status: u16,
    pub(crate) elapsed: Duration,
    pub(crate) request_id: Option<&'a str>,
}

impl Emf {
    pub(crate) fn new(namespace: &str, function: &str, sink: Option<EmfSink>, init: Option<Duration>) -> Self {
        Self {
            namespace: namespace.into(),
            function: function.into(),
            sink: sink.unwrap_or_else(|| Arc::new(stdout_line)),
            cold: Arc::new(AtomicBool::new(true)),
            start: Arc::new(Mutex::new(Start::Init(init))),
        }
    }

    /// The environment was restored from a SnapStart snapshot: the next
    /// invocation is its cold start (the snapshot's own init is not this
    /// environment's).
    pub(crate) fn restored(&self, took: Duration) {
        *self.start.lock().unwrap_or_else(std::sync::PoisonError::into_inner) = Start::Restore(took);
        self.cold.store(true, Ordering::Relaxed);
    }

    /// Writes the line of one invocation.
    pub(crate) fn write(&self, invoked: &Invoked<'_>) {
        let cold = self.cold.swap(false, Ordering::Relaxed).then(|| {
            let start = *self.start.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
            match start {
                Start::Init(d) => tracing::info!(init_ms = d.map(millis), "cold start"),
                Start::Restore(d) => tracing::info!(restore_ms = millis(d), "cold start after a SnapStart restore"),
            }
            start
        });
        (self.sink)(&self.line(invoked, cold, SystemTime::now()).to_string());
    }

    fn line(&self, invoked: &Invoked<'_>, cold: Option<Start>, now: SystemTime) -> Value {
        let x = invoked.record;
        let outcome = x.and_then(|x| x.outcome);
        let refused = x.is_some_and(|x| x.refusal.is_some());
        let method = x.and_then(|x| x.method).unwrap_or("none");
        // Only a name the server answered for: an unknown tool is an error.
        let tool = x
            .and_then(|x| x.name.as_deref())
            .filter(|_| matches!(outcome, Some(Outcome::Ok | Outcome::ToolError)) && !refused);
        let errors = refused || invoked.status >= 400 || matches!(outcome, Some(Outcome::Error(_)));
        let label = match outcome {
            _ if refused => "refused",
            Some(o) => o.label(),
            None if invoked.status >= 400 => "error",
            None => "ok",
        };
        let mut dimensions = vec![json!(["FunctionName"]), json!(["FunctionName", "Method"])];
        if tool.is_some() {
            dimensions.push(json!(["FunctionName", "Tool"]));
        }
        let timestamp = now.duration_since(UNIX_EPOCH).map_or(0, |d| d.as_millis() as u64);
        let mut line = json!({
            "_aws": {
                "Timestamp": timestamp,
                "CloudWatchMetrics": [{
                    "Namespace": &*self.namespace,
                    "Dimensions": dimensions,
                    "Metrics": [
                        {"Name": "Invocations", "Unit": "Count"},
                        {"Name": "Duration", "Unit": "Milliseconds"},
                        {"Name": "Errors", "Unit": "Count"},
                        {"Name": "ToolErrors", "Unit": "Count"},
                        {"Name": "ColdStart", "Unit": "Count"},
                    ],
                }],
            },
            "FunctionName": &*self.function,
            "Method": method,
            "Outcome": label,
            "Status": invoked.status,
            "Invocations": 1,
            "Duration": invoked.elapsed.as_secs_f64() * 1000.0,
            "Errors": u8::from(errors),
            "ToolErrors": u8::from(outcome == Some(Outcome::ToolError)),
            "ColdStart": u8::from(cold.is_some()),
        });
        let obj = line.as_object_mut().expect("a JSON object literal");
        if let Some(tool) = tool {
            obj.insert("Tool".into(), tool.into());
        }
        if let Some(id) = invoked.request_id {
            obj.insert("RequestId".into(), id.into());
        }
        match cold {
            Some(Start::Init(Some(d))) => drop(obj.insert("InitDurationMs".into(), json!(millis(d)))),
            Some(Start::Restore(d)) => drop(obj.insert("RestoreDurationMs".into(), json!(millis(d)))),
            Some(Start::Init(None)) | None => {}
        }
        line
    }
}

fn millis(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

/// One line on stdout, written whole (the log capture reads lines).
fn stdout_line(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[cfg(test)]
mod tests {
    use super::*;

    fn emf() -> Emf {
        Emf::new("mcp-handler", "fn", Some(Arc::new(|_: &str| {})), Some(Duration::from_millis(12)))
    }

    fn record(method: &'static str, name: Option<&str>, outcome: Option<Outcome>) -> Exchange {
        let mut x = Exchange::default();
        x.method = Some(method);
        x.name = name.map(Into::into);
        x.outcome = outcome;
        x
    }

    fn line(emf: &Emf, x: &Exchange, status: u16, cold: bool) -> Value {
        let invoked = Invoked { record: Some(x), status, elapsed: Duration::from_micros(1500), request_id: Some("r1") };
        let start = cold.then_some(Start::Init(Some(Duration::from_millis(12))));
        emf.line(&invoked, start, UNIX_EPOCH + Duration::from_secs(1))
    }

    #[test]
    fn a_tool_call_is_counted_under_its_tool_and_method() {
        let x = record("tools/call", Some("echo"), Some(Outcome::Ok));
        let l = line(&emf(), &x, 200, true);
        let spec = &l["_aws"]["CloudWatchMetrics"][0];
        assert_eq!(spec["Namespace"], "mcp-handler");
        // An array of dimension sets, each naming members of the line.
        let sets = spec["Dimensions"].as_array().unwrap();
        assert_eq!(sets.len(), 3, "{spec}");
        for key in sets.iter().flat_map(|set| set.as_array().unwrap()) {
            assert!(l[key.as_str().unwrap()].is_string(), "dimension {key} in the line: {l}");
        }
        assert_eq!(l["_aws"]["Timestamp"], 1000);
        assert_eq!((l["Method"].as_str(), l["Tool"].as_str()), (Some("tools/call"), Some("echo")));
        assert_eq!(
            (l["Invocations"].as_u64(), l["Errors"].as_u64(), l["ColdStart"].as_u64()),
            (Some(1), Some(0), Some(1))
        );
        assert_eq!(l["Duration"], 1.5);
        assert_eq!(l["InitDurationMs"], 12.0);
        assert_eq!(l["RequestId"], "r1");
        // Every metric named in the spec is a member of the line.
        for m in spec["Metrics"].as_array().unwrap() {
            assert!(l[m["Name"].as_str().unwrap()].is_number(), "{m}");
        }
    }

    #[test]
    fn an_unknown_tool_mints_no_dimension_and_counts_as_an_error() {
        let x = record("tools/call", Some("made-up-by-a-client"), Some(Outcome::Error(-32602)));
        let l = line(&emf(), &x, 200, false);
        assert!(l.get("Tool").is_none(), "{l}");
        assert_eq!(l["_aws"]["CloudWatchMetrics"][0]["Dimensions"].as_array().unwrap().len(), 2);
        assert_eq!((l["Errors"].as_u64(), l["Outcome"].as_str()), (Some(1), Some("error")));
        assert!(l.get("InitDurationMs").is_none() && l["ColdStart"] == 0, "{l}");
    }

    #[test]
    fn tool_errors_and_refusals_are_told_apart() {
        let x = record("tools/call", Some("echo"), Some(Outcome::ToolError));
        let l = line(&emf(), &x, 200, false);
        assert_eq!(
            (l["ToolErrors"].as_u64(), l["Errors"].as_u64(), l["Tool"].as_str()),
            (Some(1), Some(0), Some("echo"))
        );
        let mut refused = Exchange::default();
        refused.refusal = Some(mcp_handler_core::Refusal { reason: "host", hint: None });
        let l = line(&emf(), &refused, 403, false);
        assert_eq!(
            (l["Outcome"].as_str(), l["Errors"].as_u64(), l["Method"].as_str()),
            (Some("refused"), Some(1), Some("none"))
        );
    }

    #[test]
    fn the_first_invocation_after_a_restore_is_cold_again() {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let init = Some(Duration::from_millis(40));
        let emf = Emf::new("ns", "fn", Some(Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned()))), init);
        let x = record("tools/list", None, Some(Outcome::Ok));
        let once = || emf.write(&Invoked { record: Some(&x), status: 200, elapsed: Duration::ZERO, request_id: None });
        once();
        once();
        emf.restored(Duration::from_millis(3));
        once();
        once();
        let lines: Vec<Value> = lines.lock().unwrap().iter().map(|l| serde_json::from_str(l).unwrap()).collect();
        let cold: Vec<u64> = lines.iter().map(|l| l["ColdStart"].as_u64().unwrap()).collect();
        assert_eq!(cold, [1, 0, 1, 0]);
        assert_eq!((lines[0]["InitDurationMs"].as_f64(), lines[0].get("RestoreDurationMs")), (Some(40.0), None));
        assert_eq!((lines[2]["RestoreDurationMs"].as_f64(), lines[2].get("InitDurationMs")), (Some(3.0), None));
    }

    #[test]
    fn only_the_first_invocation_is_cold() {
        let lines = Arc::new(std::sync::Mutex::new(Vec::new()));
        let sink = lines.clone();
        let emf = Emf::new("ns", "fn", Some(Arc::new(move |l: &str| sink.lock().unwrap().push(l.to_owned()))), None);
        let x = record("tools/list", None, Some(Outcome::Ok));
        for _ in 0..3 {
            emf.clone().write(&Invoked { record: Some(&x), status: 200, elapsed: Duration::ZERO, request_id: None });
        }
        let cold: Vec<u64> = lines
            .lock()
            .unwrap()
            .iter()
            .map(|l| serde_json::from_str::<Value>(l).unwrap()["ColdStart"].as_u64().unwrap())
            .collect();
        assert_eq!(cold, [1, 0, 0]);
    }
}
