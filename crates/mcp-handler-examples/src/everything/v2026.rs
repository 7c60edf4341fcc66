//! Fixtures of the 2026-07-28 scenarios (2026-generation requests, routing
//! headers, subscriptions, input-required results). Written once: the same
//! handlers serve 2025 clients through the back channel.

use mcp_handler::model::{CreateMessageRequest, ElicitRequest, SamplingMessage};
use mcp_handler::{Args, ClientRequestError, LogLevel, McpError, Prompt, RequestContext, RouterBuilder, Tool};
use serde::Deserialize;
use serde_json::{Value, json};

fn ask_name(message: &str) -> ElicitRequest {
    ElicitRequest::new(
        message,
        json!({ "type": "object", "properties": { "name": { "type": "string" } }, "required": ["name"] }),
    )
}

fn field(content: &Option<serde_json::Map<String, Value>>, key: &str) -> String {
    content
        .as_ref()
        .and_then(|c| c.get(key))
        .map_or_else(|| "<none>".into(), |v| v.as_str().map_or(v.to_string(), str::to_owned))
}

fn sampled_text(r: &mcp_handler::model::CreateMessageResult) -> String {
    r.content.as_text().unwrap_or("<non-text>").to_owned()
}

type Outcome = Result<String, ClientRequestError>;

#[derive(Deserialize, schemars::JsonSchema)]
struct RegionArgs {
    /// Where to run; mirrored into the `Mcp-Param-Region` header.
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
    /// Optional text to echo.
    #[serde(default)]
    text: Option<String>,
}

/// Adds the 2026 fixtures.
pub(super) fn register(b: RouterBuilder) -> RouterBuilder {
    b.tool(
        Tool::builder("test_logging_tool")
            .description("Logs three messages (only when the request sets a log level)")
            .handler(|ctx: RequestContext| async move {
                for msg in ["Logging tool started", "Logging tool working", "Logging tool finished"] {
                    ctx.log(LogLevel::Info, msg);
                }
                "Logging tool completed"
            }),
    )
    .tool(Tool::builder("test_missing_capability").description("Needs the client's sampling capability").handler(
        |ctx: RequestContext| async move {
            let req = CreateMessageRequest::new(vec![SamplingMessage::user_text("Say hello")], 20);
            ctx.sample(req).await.map(|r| format!("Sampled: {}", sampled_text(&r)))
        },
    ))
    .tool(
        Tool::builder("test_streaming_elicitation").description("Reports progress, then asks the user to confirm").handler(
            |ctx: RequestContext| async move {
                ctx.progress(0.0, Some(1.0), Some("waiting for confirmation"));
                let schema =
                    json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] });
                let answer = ctx.elicit_keyed(Some("confirmation"), ElicitRequest::new("Continue?", schema)).await?;
                ctx.progress(1.0, Some(1.0), Some("confirmed"));
                Outcome::Ok(format!("Confirmed: {}", field(&answer.content, "ok")))
            },
        ),
    )
    .tool(Tool::builder("test_trigger_tool_change").description("Announces a change of the tool list").handler(
        |ctx: RequestContext| async move {
            let reached = ctx.notifier().map_or(0, |n| n.tools_list_changed());
            format!("tools/list_changed sent to {reached} stream(s)")
        },
    ))
    .tool(Tool::builder("test_trigger_prompt_change").description("Announces a change of the prompt list").handler(
        |ctx: RequestContext| async move {
            let reached = ctx.notifier().map_or(0, |n| n.prompts_list_changed());
            format!("prompts/list_changed sent to {reached} stream(s)")
        },
    ))
    .tool(
        Tool::builder("test_header_param")
            .description("Echoes a region mirrored into the Mcp-Param-Region header")
            .handler(|Args(a): Args<RegionArgs>| async move {
                format!("region={} text={}", a.region, a.text.unwrap_or_default())
            }),
    )
    .tool(Tool::builder("test_input_required_result_elicitation").description("Asks the user's name, then greets").handler(
        |ctx: RequestContext| async move {
            let answer = ctx.elicit_keyed(Some("user_name"), ask_name("What is your name?")).await?;
            Outcome::Ok(format!("Hello, {}!", field(&answer.content, "name")))
        },
    ))
    .tool(Tool::builder("test_input_required_result_sampling").description("Asks the client's model a question").handler(
        |ctx: RequestContext| async move {
            let req =
                CreateMessageRequest::new(vec![SamplingMessage::user_text("What is the capital of France?")], 100);
            let answer = ctx.sample_keyed(Some("capital_question"), req).await?;
            Outcome::Ok(format!("The model said: {}", sampled_text(&answer)))
        },
    ))
    .tool(Tool::builder("test_input_required_result_list_roots").description("Lists the client's roots").handler(
        |ctx: RequestContext| async move {
            let roots = ctx.list_roots_keyed(Some("client_roots")).await?;
            let uris: Vec<&str> = roots.roots.iter().map(|r| r.uri.as_str()).collect();
            Outcome::Ok(format!("Roots: {}", uris.join(", ")))
        },
    ))
    .tool(
        Tool::builder("test_input_required_result_request_state")
            .description("Asks for a confirmation carried across rounds")
            .handler(|ctx: RequestContext| async move {
                let schema =
                    json!({ "type": "object", "properties": { "ok": { "type": "boolean" } }, "required": ["ok"] });
                let answer = ctx.elicit_keyed(Some("confirm"), ElicitRequest::new("Please confirm", schema)).await?;
                // Reaching this line on a retry means the sealed state verified.
                Outcome::Ok(format!("state-ok: confirmed={}", field(&answer.content, "ok")))
            }),
    )
    .tool(Tool::builder("test_input_required_result_multiple_inputs").description("Asks for three inputs at once").handler(
        |ctx: RequestContext| async move {
            let sample = CreateMessageRequest::new(vec![SamplingMessage::user_text("Generate a greeting")], 50);
            let (name, greeting, roots) = tokio::join!(
                ctx.elicit_keyed(Some("user_name"), ask_name("What is your name?")),
                ctx.sample_keyed(Some("greeting"), sample),
                ctx.list_roots_keyed(Some("client_roots")),
            );
            let (name, greeting, roots) = (name?, greeting?, roots?);
            Outcome::Ok(format!(
                "{} {} (roots: {})",
                sampled_text(&greeting),
                field(&name.content, "name"),
                roots.roots.len()
            ))
        },
    ))
    .tool(
        Tool::builder("test_input_required_result_multi_round").description("Asks two questions, one round each").handler(
            |ctx: RequestContext| async move {
                let name = ctx.elicit_keyed(Some("step1"), ask_name("Step 1: What is your name?")).await?;
                let color_schema =
                    json!({ "type": "object", "properties": { "color": { "type": "string" } }, "required": ["color"] });
                let color = ctx
                    .elicit_keyed(
                        Some("step2"),
                        ElicitRequest::new("Step 2: What is your favorite color?", color_schema),
                    )
                    .await?;
                Outcome::Ok(format!("{} likes {}", field(&name.content, "name"), field(&color.content, "color")))
            },
        ),
    )
    .tool(
        Tool::builder("test_input_required_result_tampered_state")
            .description("Asks for input; refuses a forged requestState")
            .handler(|ctx: RequestContext| async move {
                let schema = json!({ "type": "object", "properties": { "ok": { "type": "boolean" } } });
                ctx.elicit_keyed(Some("approval"), ElicitRequest::new("Approve?", schema)).await?;
                Outcome::Ok("approved".into())
            }),
    )
    .tool(
        Tool::builder("test_input_required_result_capabilities")
            .description("Asks only for what the client supports")
            .handler(|ctx: RequestContext| async move {
                let sample = CreateMessageRequest::new(vec![SamplingMessage::user_text("Suggest a name")], 20);
                if ctx.client_supports("elicitation") {
                    let (name, suggestion) = tokio::join!(
                        ctx.elicit_keyed(Some("user_name"), ask_name("What is your name?")),
                        ctx.sample_keyed(Some("suggestion"), sample),
                    );
                    let (name, suggestion) = (name?, suggestion?);
                    Outcome::Ok(format!("{} / {}", field(&name.content, "name"), sampled_text(&suggestion)))
                } else {
                    let suggestion = ctx.sample_keyed(Some("suggestion"), sample).await?;
                    Outcome::Ok(format!("Suggested: {}", sampled_text(&suggestion)))
                }
            }),
    )
    .prompt(Prompt::builder("test_input_required_result_prompt").description("A prompt that asks for context first").get(
        |ctx: RequestContext| async move {
            let schema =
                json!({ "type": "object", "properties": { "context": { "type": "string" } }, "required": ["context"] });
            let asked = ElicitRequest::new("What context should the prompt use?", schema);
            match ctx.elicit_keyed(Some("user_context"), asked).await {
                Ok(answer) => Ok(format!("Use this context: {}", field(&answer.content, "context"))),
                Err(e) => Err(McpError::internal(e.to_string())),
            }
        },
    ))
}
