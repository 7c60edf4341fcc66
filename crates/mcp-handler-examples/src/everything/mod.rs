//! The conformance fixtures. Names and contents are fixed by the official
//! suite (`@modelcontextprotocol/conformance`); this is a test target, not
//! an example of style. The 2026-07-28 scenarios' extra fixtures are in
//! `v2026.rs`; `slow.rs` adds one tool for the drain test.

mod slow;
mod v2026;

use std::sync::Arc;
use std::time::Duration;

use mcp_handler::model::{CreateMessageRequest, ElicitRequest, SamplingMessage};
use mcp_handler::{
    Args, BuildError, CallToolResult, ClientRequestError, Completer, Content, EndpointConfig, InMemorySessionStore,
    LogLevel, Prompt, PromptMessage, RequestContext, Resource, ResourceContents, ResourceRequest, ResourceTemplate,
    Router, Tool,
};
use serde::Deserialize;
use serde_json::json;

/// A 1x1 red PNG.
pub const PNG_1X1: &str =
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==";
/// A 44-byte WAV file with no samples.
pub const WAV_EMPTY: &str = "UklGRiQAAABXQVZFZm10IBAAAAABAAEAQB8AAEAfAAABAAgAZGF0YQAAAAA=";

/// The endpoint as the suite expects it: sessions on (the SSE scenarios
/// use them), everything else default.
pub fn endpoint_config() -> EndpointConfig {
    EndpointConfig::default().with_session_store(Arc::new(InMemorySessionStore::new()))
}

#[derive(Deserialize, schemars::JsonSchema)]
struct SamplingArgs {
    /// The prompt to send to the LLM.
    prompt: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct ElicitationArgs {
    /// The message to show the user.
    message: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct TwoArgs {
    /// First test argument
    arg1: String,
    /// Second test argument
    arg2: String,
}

#[derive(Deserialize, schemars::JsonSchema)]
struct EmbedArgs {
    /// URI of the resource to embed
    #[serde(rename = "resourceUri")]
    resource_uri: String,
}

/// Every fixture the suite reads.
pub fn router() -> Result<Router, BuildError> {
    let builder = Router::builder("mcp-handler-everything", env!("CARGO_PKG_VERSION"))
        .instructions("Conformance fixtures for the official MCP test suite.")
        .notify_list_changes(true)
        .tool(
            Tool::builder("test_simple_text")
                .description("Returns simple text content")
                .handler(|| async { "This is a simple text response for testing." }),
        )
        .tool(
            Tool::builder("test_image_content")
                .description("Returns image content")
                .handler(|| async { Content::image(PNG_1X1, "image/png") }),
        )
        .tool(
            Tool::builder("test_audio_content")
                .description("Returns audio content")
                .handler(|| async { Content::audio(WAV_EMPTY, "audio/wav") }),
        )
        .tool(Tool::builder("test_embedded_resource").description("Returns an embedded resource").handler(
            || async {
                Content::resource(
                    ResourceContents::text("test://embedded-resource", "This is an embedded resource content.")
                        .with_mime_type("text/plain"),
                )
            },
        ))
        .tool(Tool::builder("test_multiple_content_types").description("Returns text, image and resource content").handler(
            || async {
                vec![
                    Content::text("Multiple content types test:"),
                    Content::image(PNG_1X1, "image/png"),
                    Content::resource(
                        ResourceContents::text("test://mixed-content-resource", r#"{"test":"data","value":123}"#)
                            .with_mime_type("application/json"),
                    ),
                ]
            },
        ))
        .tool(Tool::builder("test_tool_with_logging").description("Sends three log messages while it runs").handler(
            |ctx: RequestContext| async move {
                ctx.log(LogLevel::Info, "Tool execution started");
                tokio::time::sleep(Duration::from_millis(50)).await;
                ctx.log(LogLevel::Info, "Tool processing data");
                tokio::time::sleep(Duration::from_millis(50)).await;
                ctx.log(LogLevel::Info, "Tool execution completed");
                "Tool with logging executed successfully"
            },
        ))
        .tool(Tool::builder("test_error_handling").description("Always fails with isError: true").handler(
            || async {
                CallToolResult::error("This tool intentionally returns an error for testing")
            },
        ))
        .tool(Tool::builder("test_tool_with_progress").description("Reports progress 0, 50, 100 of 100").handler(
            |ctx: RequestContext| async move {
                for (i, p) in [0.0, 50.0, 100.0].into_iter().enumerate() {
                    if i > 0 {
                        tokio::time::sleep(Duration::from_millis(50)).await;
                    }
                    ctx.progress(p, Some(100.0), None);
                }
                let token = ctx.progress_token().map(ToString::to_string).unwrap_or_else(|| "none".into());
                format!("Progress test completed (token {token})")
            },
        ))
        .tool(Tool::builder("test_sampling").description("Asks the client's LLM to sample").handler(
            |ctx: RequestContext, Args(a): Args<SamplingArgs>| async move {
                let req = CreateMessageRequest::new(vec![SamplingMessage::user_text(a.prompt)], 100);
                let reply = ctx.sample(req).await?;
                let text = reply.content.as_text().unwrap_or("<non-text content>").to_owned();
                Ok::<_, ClientRequestError>(format!("LLM response: {text}"))
            },
        ))
        .tool(Tool::builder("test_elicitation").description("Asks the user for a username and email").handler(
            |ctx: RequestContext, Args(a): Args<ElicitationArgs>| async move {
                let schema = json!({
                    "type": "object",
                    "properties": {
                        "username": { "type": "string", "description": "User's response" },
                        "email": { "type": "string", "description": "User's email address" }
                    },
                    "required": ["username", "email"]
                });
                let answer = ctx.elicit(ElicitRequest::new(a.message, schema)).await?;
                Ok::<_, ClientRequestError>(format!(
                    "User response: action={}, content={}",
                    json!(answer.action).as_str().unwrap_or("?"),
                    json!(answer.content)
                ))
            },
        ))
        .tool(
            Tool::builder("test_elicitation_sep1034_defaults")
                .description("Elicits with defaults for every primitive type")
                .handler(|ctx: RequestContext| async move {
                    let schema = json!({
                        "type": "object",
                        "properties": {
                            "name": { "type": "string", "description": "User name", "default": "John Doe" },
                            "age": { "type": "integer", "description": "User age", "default": 30 },
                            "score": { "type": "number", "description": "User score", "default": 95.5 },
                            "status": {
                                "type": "string",
                                "description": "User status",
                                "enum": ["active", "inactive", "pending"],
                                "default": "active"
                            },
                            "verified": { "type": "boolean", "description": "Verification status", "default": true }
                        }
                    });
                    elicitation_summary(&ctx, "Please review and update the form fields with defaults", schema).await
                }),
        )
        .tool(
            Tool::builder("test_elicitation_sep1330_enums").description("Elicits with every enum schema variant").handler(
                |ctx: RequestContext| async move {
                    let schema = json!({
                        "type": "object",
                        "properties": {
                            "untitledSingle": {
                                "type": "string", "description": "Pick one option",
                                "enum": ["option1", "option2", "option3"]
                            },
                            "titledSingle": {
                                "type": "string", "description": "Pick one titled option",
                                "oneOf": [
                                    { "const": "value1", "title": "First Option" },
                                    { "const": "value2", "title": "Second Option" },
                                    { "const": "value3", "title": "Third Option" }
                                ]
                            },
                            "legacyEnum": {
                                "type": "string", "description": "Pick one (legacy)",
                                "enum": ["opt1", "opt2", "opt3"],
                                "enumNames": ["Option One", "Option Two", "Option Three"]
                            },
                            "untitledMulti": {
                                "type": "array", "description": "Pick several",
                                "items": { "type": "string", "enum": ["option1", "option2", "option3"] }
                            },
                            "titledMulti": {
                                "type": "array", "description": "Pick several titled",
                                "items": { "anyOf": [
                                    { "const": "value1", "title": "First Choice" },
                                    { "const": "value2", "title": "Second Choice" },
                                    { "const": "value3", "title": "Third Choice" }
                                ] }
                            }
                        }
                    });
                    elicitation_summary(&ctx, "Please choose from the enum fields", schema).await
                },
            ),
        )
        .tool(
            Tool::builder("test_reconnection")
                .description("Streams a notification before its result (SSE polling test)")
                .handler(|ctx: RequestContext| async move {
                    ctx.log(LogLevel::Info, "Reconnection test started");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    "Reconnection test completed"
                }),
        )
        .tool(Tool::builder("json_schema_2020_12_tool").description("Tool with JSON Schema 2020-12 features").raw_handler(
            json!({
                "$schema": "https://json-schema.org/draft/2020-12/schema",
                "type": "object",
                "$defs": {
                    "address": {
                        "$anchor": "addressDef",
                        "type": "object",
                        "properties": { "street": { "type": "string" }, "city": { "type": "string" } }
                    }
                },
                "properties": {
                    "name": { "type": "string" },
                    "address": { "$ref": "#/$defs/address" },
                    "contactMethod": { "type": "string", "enum": ["phone", "email"] },
                    "phone": { "type": "string" },
                    "email": { "type": "string" }
                },
                "allOf": [{ "anyOf": [{ "required": ["phone"] }, { "required": ["email"] }] }],
                "if": { "properties": { "contactMethod": { "const": "phone" } }, "required": ["contactMethod"] },
                "then": { "required": ["phone"] },
                "else": { "required": ["email"] },
                "additionalProperties": false
            }),
            |_c, args| async move { format!("Received: {}", serde_json::Value::Object(args)) },
        ))
        .resource(
            // Bare text: the contents at the URI read, with the declared MIME type.
            Resource::builder("test://static-text", "static-text")
                .description("A static text resource")
                .mime_type("text/plain")
                .read(|| async { "This is the content of the static text resource." }),
        )
        .resource(
            Resource::builder("test://static-binary", "static-binary")
                .description("A static binary resource (PNG)")
                .mime_type("image/png")
                .read(|r: ResourceRequest| async move {
                    ResourceContents::blob(r.uri, PNG_1X1).with_mime_type("image/png")
                }),
        )
        .resource(
            Resource::builder("test://watched-resource", "watched-resource")
                .description("A resource clients can subscribe to")
                .mime_type("text/plain")
                .read(|| async { "Watched resource content" }),
        )
        .resource_template(
            ResourceTemplate::builder("test://template/{id}/data", "template-data")
                .description("Data for an id")
                .mime_type("application/json")
                .read(|r: ResourceRequest| async move {
                    let id = r.params.get("id").cloned().unwrap_or_default();
                    json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") }).to_string()
                }),
        )
        .prompt(
            Prompt::builder("test_simple_prompt")
                .description("A prompt without arguments")
                .get(|| async { "This is a simple prompt for testing." }),
        )
        .prompt(
            Prompt::builder("test_prompt_with_arguments")
                .description("A prompt with two arguments")
                .complete("arg1", Completer::from_values(["paris", "park", "party", "pasta", "python"]))
                .get(|Args(a): Args<TwoArgs>| async move {
                    format!("Prompt with arguments: arg1='{}', arg2='{}'", a.arg1, a.arg2)
                }),
        )
        .prompt(
            Prompt::builder("test_prompt_with_embedded_resource")
                .description("A prompt embedding a resource")
                .get(|Args(a): Args<EmbedArgs>| async move {
                    vec![
                        PromptMessage::user(Content::resource(
                            ResourceContents::text(a.resource_uri, "Embedded resource content for testing.")
                                .with_mime_type("text/plain"),
                        )),
                        PromptMessage::user(Content::text("Please process the embedded resource above.")),
                    ]
                }),
        )
        .prompt(Prompt::builder("test_prompt_with_image").description("A prompt with an image").get(|| async {
            vec![
                PromptMessage::user(Content::image(PNG_1X1, "image/png")),
                PromptMessage::user(Content::text("Please analyze the image above.")),
            ]
        }));
    v2026::register(slow::register(builder)).build()
}

async fn elicitation_summary(
    ctx: &RequestContext,
    message: &str,
    schema: serde_json::Value,
) -> Result<String, ClientRequestError> {
    let answer = ctx.elicit(ElicitRequest::new(message, schema)).await?;
    Ok(format!(
        "Elicitation completed: action={}, content={}",
        json!(answer.action).as_str().unwrap_or("?"),
        json!(answer.content)
    ))
}
