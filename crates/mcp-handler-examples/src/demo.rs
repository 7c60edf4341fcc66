//! A small server a new user can copy: three tools (one with structured
//! output, one that reports progress), a resource and a prompt with
//! argument completion.

use std::time::Duration;

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use mcp_handler::{Args, BuildError, Completer, Json, Prompt, RequestContext, Resource, Router, Tool, ToolAnnotations};
use serde::{Deserialize, Serialize};

#[derive(Deserialize, schemars::JsonSchema)]
struct TextArgs {
    /// The text to analyse.
    text: String,
}

/// Counts of a text.
#[derive(Serialize, schemars::JsonSchema)]
struct TextStats {
    words: usize,
    lines: usize,
    characters: usize,
    bytes: usize,
}

#[derive(Deserialize, schemars::JsonSchema)]
#[serde(rename_all = "lowercase")]
enum Direction {
    Encode,
    Decode,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct Base64Args {
    /// Whether to encode text to base64 or decode base64 to text.
    direction: Direction,
    /// The input.
    input: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct TimestampArgs {
    /// Seconds since 1970-01-01T00:00:00Z.
    unix_seconds: i64,
}

/// The prompt's arguments: each field is listed with its doc comment, and
/// the `Option` one is optional.
#[derive(Deserialize, schemars::JsonSchema)]
struct SummarizeArgs {
    /// The text to summarize
    text: String,
    /// brief, detailed or bullets
    style: Option<String>,
}

/// The demo router.
pub fn router() -> Result<Router, BuildError> {
    Router::builder("mcp-handler-demo", env!("CARGO_PKG_VERSION"))
        .instructions("Text utilities: count words, convert base64, read Unix timestamps.")
        .tool(
            Tool::builder("text_stats")
                .title("Text statistics")
                .description("Counts words, lines, characters and bytes of a text")
                .annotations(ToolAnnotations::new().read_only(true).idempotent(true))
                .handler(|Args(a): Args<TextArgs>| async move {
                    Json(TextStats {
                        words: a.text.split_whitespace().count(),
                        lines: a.text.lines().count(),
                        characters: a.text.chars().count(),
                        bytes: a.text.len(),
                    })
                }),
        )
        .tool(
            Tool::builder("base64")
                .title("Base64")
                .description("Encodes UTF-8 text to base64, or decodes base64 to UTF-8 text")
                .annotations(ToolAnnotations::new().read_only(true).idempotent(true))
                .handler(|Args(a): Args<Base64Args>| async move {
                    match a.direction {
                        Direction::Encode => Ok(STANDARD.encode(a.input)),
                        Direction::Decode => STANDARD
                            .decode(a.input.trim())
                            .map_err(|e| format!("not valid base64: {e}"))
                            .and_then(|b| String::from_utf8(b).map_err(|_| "decoded bytes are not UTF-8 text".into())),
                    }
                }),
        )
        .tool(
            Tool::builder("unix_time")
                .title("Unix timestamp")
                .description("Converts Unix seconds to an RFC 3339 UTC date-time (reports progress)")
                .annotations(ToolAnnotations::new().read_only(true).idempotent(true))
                // A timestamp is never sensitive: its audit events show it.
                .audit_arguments()
                .handler(|ctx: RequestContext, Args(a): Args<TimestampArgs>| async move {
                    ctx.progress(0.0, Some(1.0), Some("converting"));
                    tokio::time::sleep(Duration::from_millis(10)).await;
                    let out = rfc3339(a.unix_seconds);
                    ctx.progress(1.0, Some(1.0), Some("done"));
                    out.ok_or("timestamp out of range")
                }),
        )
        .resource(
            // Bare text: the contents at this URI, with the declared MIME type.
            Resource::builder("demo://about", "about").title("About this server").mime_type("text/markdown").read(
                || async {
                    format!(
                        "# mcp-handler demo {}\n\nTools: `text_stats`, `base64`, `unix_time`.\n",
                        env!("CARGO_PKG_VERSION")
                    )
                },
            ),
        )
        .prompt(
            Prompt::builder("summarize")
                .title("Summarize a text")
                .description("Asks the model to summarize a text in a given style")
                .complete("style", Completer::from_values(["brief", "detailed", "bullets"]))
                .get(|Args(a): Args<SummarizeArgs>| async move {
                    let style = a.style.as_deref().unwrap_or("brief");
                    format!("Summarize the following text ({style}):\n\n{}", a.text)
                }),
        )
        .build()
}

/// Formats Unix seconds as RFC 3339 UTC (proleptic Gregorian calendar).
fn rfc3339(secs: i64) -> Option<String> {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days.checked_add(719_468)?;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    if !(0..=9999).contains(&year) {
        return None;
    }
    Some(format!("{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z", rem / 3600, rem % 3600 / 60, rem % 60))
}

#[cfg(test)]
mod tests {
    use super::rfc3339;

    #[test]
    fn timestamps_format_as_rfc3339() {
        assert_eq!(rfc3339(0).as_deref(), Some("1970-01-01T00:00:00Z"));
        assert_eq!(rfc3339(951_782_400).as_deref(), Some("2000-02-29T00:00:00Z"));
        assert_eq!(rfc3339(-1).as_deref(), Some("1969-12-31T23:59:59Z"));
        assert_eq!(rfc3339(i64::MAX), None);
    }
}
