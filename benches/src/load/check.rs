//! Every answer is checked: a wrong answer is an error of some kind, never a
//! fast request. Answers are parsed into borrowed structs; the parts the
//! check does not read are skipped as raw JSON.

use std::borrow::Cow;

use serde::Deserialize;
use serde_json::value::RawValue;

use super::sse;

/// What a correct answer to a step holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Expect<'a> {
    /// 200, `result.content[0].text` equal to this; `complete` when the shape is 2026.
    Echo { text: &'a str, stateless: bool },
    /// 200, `result.tools` lists a tool of this name.
    Tools { name: &'a str },
    /// 200, `result.contents[0].text` equal to this; `complete` when the shape is 2026.
    Read { text: &'a str, stateless: bool },
    /// As `Echo`, answered with `text/event-stream` carrying at least one
    /// `notifications/progress` before the response.
    Streamed { text: &'a str, stateless: bool },
    /// 200, `result.protocolVersion` present.
    Initialized,
    /// 202 (the notification).
    Accepted,
    /// 2xx, or 405 from a server that does not let clients end sessions.
    Deleted,
}

/// Why a request did not count as answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum ErrorKind {
    /// TCP or TLS connection could not be opened.
    Connect,
    /// The connection broke while the request was in flight.
    Io,
    /// No complete answer within the timeout.
    Timeout,
    /// An unexpected HTTP status.
    Status,
    /// The body is not JSON-RPC (nor SSE holding our response), or too large.
    Parse,
    /// A JSON-RPC `error` member.
    JsonRpcError,
    /// The response's id is not the request's.
    BadId,
    /// Neither `result` nor `error`.
    NoResult,
    /// The echoed text differs from what was sent (or is missing).
    WrongEcho,
    /// A `result` of the wrong shape (no `echo` in `tools/list`, no
    /// `protocolVersion`, a 2026 `resultType` other than `complete`), or a
    /// call that should have streamed its progress and did not.
    WrongResult,
    /// The tool answered `isError: true`.
    ToolError,
    /// SigV4 signing failed (credentials could not be read).
    Sign,
}

impl ErrorKind {
    /// Every kind, in the order reports list them.
    pub const ALL: [Self; 12] = [
        Self::Connect,
        Self::Io,
        Self::Timeout,
        Self::Status,
        Self::Parse,
        Self::JsonRpcError,
        Self::BadId,
        Self::NoResult,
        Self::WrongEcho,
        Self::WrongResult,
        Self::ToolError,
        Self::Sign,
    ];

    /// The name in reports and in `LoadRun::errors`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Connect => "connect",
            Self::Io => "io",
            Self::Timeout => "timeout",
            Self::Status => "status",
            Self::Parse => "parse",
            Self::JsonRpcError => "jsonrpc-error",
            Self::BadId => "bad-id",
            Self::NoResult => "no-result",
            Self::WrongEcho => "wrong-echo",
            Self::WrongResult => "wrong-result",
            Self::ToolError => "tool-error",
            Self::Sign => "sign",
        }
    }

    pub(crate) fn index(self) -> usize {
        Self::ALL.iter().position(|k| *k == self).unwrap_or(0)
    }
}

#[derive(Deserialize)]
struct Message<'a> {
    #[serde(borrow, default)]
    jsonrpc: Option<Cow<'a, str>>,
    #[serde(borrow, default)]
    id: Option<&'a RawValue>,
    #[serde(borrow, default)]
    method: Option<&'a RawValue>,
    #[serde(borrow, default)]
    result: Option<&'a RawValue>,
    #[serde(borrow, default)]
    error: Option<&'a RawValue>,
}

#[derive(Deserialize)]
struct CallResult<'a> {
    #[serde(borrow, default)]
    content: Vec<Content<'a>>,
    #[serde(rename = "isError", default)]
    is_error: bool,
    #[serde(rename = "resultType", borrow, default)]
    result_type: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ReadResult<'a> {
    #[serde(borrow, default)]
    contents: Vec<Content<'a>>,
    #[serde(rename = "resultType", borrow, default)]
    result_type: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct Content<'a> {
    #[serde(borrow, default)]
    text: Option<Cow<'a, str>>,
}

#[derive(Deserialize)]
struct ListResult<'a> {
    #[serde(borrow)]
    tools: Vec<ToolEntry<'a>>,
}

#[derive(Deserialize)]
struct ToolEntry<'a> {
    #[serde(borrow)]
    name: Cow<'a, str>,
}

#[derive(Deserialize)]
struct InitializeResult<'a> {
    #[serde(rename = "protocolVersion", borrow)]
    _protocol_version: Cow<'a, str>,
}

/// Checks one answer to the request with `id` (the notification and DELETE
/// are judged by their status alone).
pub(crate) fn check(
    expect: Expect<'_>,
    id: u64,
    status: u16,
    content_type: Option<&[u8]>,
    body: &[u8],
) -> Result<(), ErrorKind> {
    match expect {
        Expect::Accepted => return if status == 202 { Ok(()) } else { Err(ErrorKind::Status) },
        Expect::Deleted => {
            return if (200..300).contains(&status) || status == 405 { Ok(()) } else { Err(ErrorKind::Status) };
        }
        _ if status != 200 => return Err(ErrorKind::Status),
        _ => {}
    }
    let is_sse = content_type.is_some_and(|v| v.trim_ascii_start().starts_with(b"text/event-stream"));
    let streamed = matches!(expect, Expect::Streamed { .. });
    if streamed && !is_sse {
        return Err(ErrorKind::WrongResult);
    }
    if !is_sse {
        return match check_message(expect, id, body) {
            Verdict::Ours(r) => r,
            Verdict::OtherId => Err(ErrorKind::BadId),
            Verdict::NotResponse => Err(ErrorKind::Parse),
        };
    }
    // The stream may carry the server's notifications and requests first.
    let mut answer = None;
    let mut other_id = false;
    let mut progress = false;
    sse::for_each_data(body, |data| match check_message(expect, id, data) {
        Verdict::Ours(r) => {
            answer = Some(r);
            false
        }
        Verdict::OtherId => {
            other_id = true;
            true
        }
        Verdict::NotResponse => {
            progress |= is_progress(data);
            true
        }
    });
    match answer {
        Some(Ok(())) if streamed && !progress => Err(ErrorKind::WrongResult),
        Some(r) => r,
        None => Err(if other_id { ErrorKind::BadId } else { ErrorKind::Parse }),
    }
}

/// What one JSON-RPC message is to the request being checked.
enum Verdict {
    /// The answer to it (or unreadable, which is an answer too).
    Ours(Result<(), ErrorKind>),
    /// A response to some other id.
    OtherId,
    /// A request or notification from the server.
    NotResponse,
}

fn check_message(expect: Expect<'_>, id: u64, data: &[u8]) -> Verdict {
    let Ok(msg) = serde_json::from_slice::<Message<'_>>(data) else {
        return Verdict::Ours(Err(ErrorKind::Parse));
    };
    if msg.jsonrpc.as_deref() != Some("2.0") {
        return Verdict::Ours(Err(ErrorKind::Parse));
    }
    if msg.method.is_some() {
        return Verdict::NotResponse;
    }
    if msg.error.is_some() {
        return Verdict::Ours(Err(ErrorKind::JsonRpcError));
    }
    match msg.id {
        Some(raw) if raw.get().parse::<u64>() == Ok(id) => {}
        Some(_) => return Verdict::OtherId,
        None => return Verdict::Ours(Err(ErrorKind::BadId)),
    }
    match msg.result {
        Some(result) => Verdict::Ours(check_result(expect, result)),
        None => Verdict::Ours(Err(ErrorKind::NoResult)),
    }
}

/// A server notification about progress (the message's `method`, raw).
fn is_progress(data: &[u8]) -> bool {
    serde_json::from_slice::<Message<'_>>(data)
        .is_ok_and(|m| m.method.is_some_and(|raw| raw.get() == r#""notifications/progress""#))
}

/// The 2026 generation marks finished results; an `input_required` one is
/// not an answer to the request.
fn complete(stateless: bool, result_type: Option<&str>) -> Result<(), ErrorKind> {
    if stateless && result_type.is_some_and(|t| t != "complete") { Err(ErrorKind::WrongResult) } else { Ok(()) }
}

fn check_result(expect: Expect<'_>, result: &RawValue) -> Result<(), ErrorKind> {
    match expect {
        Expect::Echo { text, stateless } | Expect::Streamed { text, stateless } => {
            let r: CallResult<'_> = serde_json::from_str(result.get()).map_err(|_| ErrorKind::WrongResult)?;
            if r.is_error {
                return Err(ErrorKind::ToolError);
            }
            complete(stateless, r.result_type.as_deref())?;
            match r.content.first().and_then(|c| c.text.as_deref()) {
                Some(t) if t == text => Ok(()),
                _ => Err(ErrorKind::WrongEcho),
            }
        }
        Expect::Read { text, stateless } => {
            let r: ReadResult<'_> = serde_json::from_str(result.get()).map_err(|_| ErrorKind::WrongResult)?;
            complete(stateless, r.result_type.as_deref())?;
            match r.contents.first().and_then(|c| c.text.as_deref()) {
                Some(t) if t == text => Ok(()),
                _ => Err(ErrorKind::WrongResult),
            }
        }
        Expect::Tools { name } => {
            let r: ListResult<'_> = serde_json::from_str(result.get()).map_err(|_| ErrorKind::WrongResult)?;
            if r.tools.iter().any(|t| t.name == name) { Ok(()) } else { Err(ErrorKind::WrongResult) }
        }
        Expect::Initialized => {
            serde_json::from_str::<InitializeResult<'_>>(result.get()).map(|_| ()).map_err(|_| ErrorKind::WrongResult)
        }
        Expect::Accepted | Expect::Deleted => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ECHO: Expect<'static> = Expect::Echo { text: "hi", stateless: false };
    const JSON: Option<&[u8]> = None;
    const SSE: Option<&[u8]> = Some(b"text/event-stream; charset=utf-8");

    fn json(body: &str) -> Result<(), ErrorKind> {
        check(ECHO, 7, 200, JSON, body.as_bytes())
    }

    #[test]
    fn a_correct_echo_passes_and_every_wrong_one_has_its_kind() {
        assert_eq!(json(r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}]}}"#), Ok(()));
        let cases = [
            (r#"{"jsonrpc":"2.0","id":8,"result":{"content":[{"type":"text","text":"hi"}]}}"#, ErrorKind::BadId),
            (r#"{"jsonrpc":"2.0","id":"7","result":{}}"#, ErrorKind::BadId),
            (r#"{"jsonrpc":"2.0","result":{}}"#, ErrorKind::BadId),
            (r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"ho"}]}}"#, ErrorKind::WrongEcho),
            (r#"{"jsonrpc":"2.0","id":7,"result":{"content":[]}}"#, ErrorKind::WrongEcho),
            (
                r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}],"isError":true}}"#,
                ErrorKind::ToolError,
            ),
            (r#"{"jsonrpc":"2.0","id":7,"error":{"code":-32601,"message":"no"}}"#, ErrorKind::JsonRpcError),
            (r#"{"jsonrpc":"2.0","id":7}"#, ErrorKind::NoResult),
            (r#"{"jsonrpc":"1.0","id":7,"result":{}}"#, ErrorKind::Parse),
            (r#"{"jsonrpc":"2.0","id":7,"result":{"content":7}}"#, ErrorKind::WrongResult),
            ("not json", ErrorKind::Parse),
        ];
        for (body, kind) in cases {
            assert_eq!(json(body), Err(kind), "{body}");
        }
        assert_eq!(check(ECHO, 7, 500, JSON, b""), Err(ErrorKind::Status));
    }

    #[test]
    fn escaped_text_is_compared_unescaped() {
        let e = Expect::Echo { text: "a\"b\u{e9}", stateless: false };
        let body = r#"{"jsonrpc":"2.0","id":1,"result":{"content":[{"type":"text","text":"a\"b\u00e9"}]}}"#;
        assert_eq!(check(e, 1, 200, JSON, body.as_bytes()), Ok(()));
    }

    #[test]
    fn the_2026_shape_must_be_complete() {
        let e = Expect::Echo { text: "hi", stateless: true };
        let ok =
            r#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"complete","content":[{"type":"text","text":"hi"}]}}"#;
        let more = r#"{"jsonrpc":"2.0","id":1,"result":{"resultType":"input_required","content":[{"type":"text","text":"hi"}]}}"#;
        assert_eq!(check(e, 1, 200, JSON, ok.as_bytes()), Ok(()));
        assert_eq!(check(e, 1, 200, JSON, more.as_bytes()), Err(ErrorKind::WrongResult));
    }

    #[test]
    fn sse_answers_are_found_after_notifications() {
        let body = "event: message\r\ndata: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\r\n\r\n\
                    id: 2\ndata: {\"jsonrpc\":\"2.0\",\"id\":7,\n\
                    data: \"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}}\n\n";
        assert_eq!(check(ECHO, 7, 200, SSE, body.as_bytes()), Ok(()));
        let wrong = "data: {\"jsonrpc\":\"2.0\",\"id\":9,\"result\":{}}\n\n";
        assert_eq!(check(ECHO, 7, 200, SSE, wrong.as_bytes()), Err(ErrorKind::BadId));
        assert_eq!(check(ECHO, 7, 200, SSE, b": keep-alive\n\n"), Err(ErrorKind::Parse));
    }

    #[test]
    fn lists_initialize_notifications_and_deletes() {
        let list = r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"x"},{"name":"echo","inputSchema":{}}]}}"#;
        let tools = Expect::Tools { name: "echo" };
        assert_eq!(check(tools, 3, 200, JSON, list.as_bytes()), Ok(()));
        let list = r#"{"jsonrpc":"2.0","id":3,"result":{"tools":[{"name":"x"}]}}"#;
        assert_eq!(check(tools, 3, 200, JSON, list.as_bytes()), Err(ErrorKind::WrongResult));
        let init = r#"{"jsonrpc":"2.0","id":1,"result":{"protocolVersion":"2025-06-18","capabilities":{}}}"#;
        assert_eq!(check(Expect::Initialized, 1, 200, JSON, init.as_bytes()), Ok(()));
        assert_eq!(check(Expect::Accepted, 0, 202, JSON, b""), Ok(()));
        assert_eq!(check(Expect::Accepted, 0, 200, JSON, b""), Err(ErrorKind::Status));
        assert_eq!(check(Expect::Deleted, 0, 405, JSON, b""), Ok(()));
        assert_eq!(check(Expect::Deleted, 0, 404, JSON, b""), Err(ErrorKind::Status));
    }

    #[test]
    fn reads_and_streamed_calls() {
        let read = Expect::Read { text: "r", stateless: true };
        let ok = r#"{"jsonrpc":"2.0","id":2,"result":{"resultType":"complete","contents":[{"uri":"x","text":"r"}]}}"#;
        assert_eq!(check(read, 2, 200, JSON, ok.as_bytes()), Ok(()));
        let other = r#"{"jsonrpc":"2.0","id":2,"result":{"contents":[{"uri":"x","text":"s"}]}}"#;
        assert_eq!(check(read, 2, 200, JSON, other.as_bytes()), Err(ErrorKind::WrongResult));

        let streamed = Expect::Streamed { text: "hi", stateless: false };
        let answer =
            "data: {\"jsonrpc\":\"2.0\",\"id\":7,\"result\":{\"content\":[{\"type\":\"text\",\"text\":\"hi\"}]}}\n\n";
        let progress = "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{}}\n\n";
        let log = "data: {\"jsonrpc\":\"2.0\",\"method\":\"notifications/message\",\"params\":{}}\n\n";
        assert_eq!(check(streamed, 7, 200, SSE, format!("{progress}{answer}").as_bytes()), Ok(()));
        assert_eq!(check(streamed, 7, 200, SSE, format!("{log}{answer}").as_bytes()), Err(ErrorKind::WrongResult));
        let json = r#"{"jsonrpc":"2.0","id":7,"result":{"content":[{"type":"text","text":"hi"}]}}"#;
        assert_eq!(check(streamed, 7, 200, JSON, json.as_bytes()), Err(ErrorKind::WrongResult));
    }
}
