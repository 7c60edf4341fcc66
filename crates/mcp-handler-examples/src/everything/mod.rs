//! The conformance fixtures. Names and contents are fixed by the official
//! suite (`@modelcontextprotocol/conformance`); this is a test target, not
//! an example of style. The 2026-07-28 scenarios' extra fixtures are in
//! `stateless.rs`.

mod stateless;

use std::sync::Arc;
use std::time::Duration;

use mcp_handler::model::{CreateMessageRequest, ElicitRequest, SamplingMessage};
use mcp_handler::{
    BuildError, CallToolResult, Completer, Content, EndpointConfig, GetPromptResult, InMemorySessionStore, LogLevel,
    McpError, NoArgs, Prompt, PromptMessage, RequestContext, Resource, ResourceContents, ResourceTemplate, Router,
    Tool,
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

/// Every fixture the suite reads.
pub fn router() -> Result<Router, BuildError> {
    let builder = Router::builder("mcp-handler-everything", env!("CARGO_PKG_VERSION"))
        .instructions("Conformance fixtures for the official MCP test suite.")
        .notify_list_changes(true)
        .tool(
            Tool::new("test_simple_text")
                .description("Returns simple text content")
                .handler(|_c: RequestContext, _: NoArgs| async { "This is a simple text response for testing." }),
        )
        .tool(
            Tool::new("test_image_content")
                .description("Returns image content")
                .handler(|_c: RequestContext, _: NoArgs| async { Content::image(PNG_1X1, "image/png") }),
        )
        .tool(
            Tool::new("test_audio_content")
                .description("Returns audio content")
                .handler(|_c: RequestContext, _: NoArgs| async { Content::audio(WAV_EMPTY, "audio/wav") }),
        )
        .tool(Tool::new("test_embedded_resource").description("Returns an embedded resource").handler(
            |_c: RequestContext, _: NoArgs| async {
                Content::resource(
                    ResourceContents::text("test://embedded-resource", "This is an embedded resource content.")
                        .with_mime_type("text/plain"),
                )
            },
        ))
        .tool(Tool::new("test_multiple_content_types").description("Returns text, image and resource content").handler(
            |_c: RequestContext, _: NoArgs| async {
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
        .tool(Tool::new("test_tool_with_logging").description("Sends three log messages while it runs").handler(
            |ctx: RequestContext, _: NoArgs| async move {
                ctx.log(LogLevel::Info, "Tool execution started");
                tokio::time::sleep(Duration::from_millis(50)).await;
                ctx.log(LogLevel::Info, "Tool processing data");
                tokio::time::sleep(Duration::from_millis(50)).await;
                ctx.log(LogLevel::Info, "Tool execution completed");
                "Tool with logging executed successfully"
            },
        ))
        .tool(Tool::new("test_error_handling").description("Always fails with isError: true").handler(
            |_c: RequestContext, _: NoArgs| async {
                CallToolResult::error("This tool intentionally returns an error for testing")
            },
        ))
        .tool(Tool::new("test_tool_with_progress").description("Reports progress 0, 50, 100 of 100").handler(
            |ctx: RequestContext, _: NoArgs| async move {
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
        .tool(Tool::new("test_sampling").description("Asks the client's LLM to sample").handler(
            |ctx: RequestContext, a: SamplingArgs| async move {
                let req = CreateMessageRequest::new(vec![SamplingMessage::user_text(a.prompt)], 100);
                let reply = ctx.sample(req).await.map_err(|e| e.to_string())?;
                let text = reply.content.as_text().unwrap_or("<non-text content>").to_owned();
                Ok::<_, String>(format!("LLM response: {text}"))
            },
        ))
        .tool(Tool::new("test_elicitation").description("Asks the user for a username and email").handler(
            |ctx: RequestContext, a: ElicitationArgs| async move {
                let schema = json!({
                    "type": "object",
                    "properties": {
                        "username": { "type": "string", "description": "User's response" },
                        "email": { "type": "string", "description": "User's email address" }
                    },
                    "required": ["username", "email"]
                });
                let answer = ctx.elicit(ElicitRequest::new(a.message, schema)).await.map_err(|e| e.to_string())?;
                Ok::<_, String>(format!(
                    "User response: action={}, content={}",
                    json!(answer.action).as_str().unwrap_or("?"),
                    json!(answer.content)
                ))
            },
        ))
        .tool(
            Tool::new("test_elicitation_sep1034_defaults")
                .description("Elicits with defaults for every primitive type")
                .handler(|ctx: RequestContext, _: NoArgs| async move {
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
            Tool::new("test_elicitation_sep1330_enums").description("Elicits with every enum schema variant").handler(
                |ctx: RequestContext, _: NoArgs| async move {
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
            Tool::new("test_reconnection")
                .description("Streams a notification before its result (SSE polling test)")
                .handler(|ctx: RequestContext, _: NoArgs| async move {
                    ctx.log(LogLevel::Info, "Reconnection test started");
                    tokio::time::sleep(Duration::from_millis(100)).await;
                    "Reconnection test completed"
                }),
        )
        .tool(Tool::new("json_schema_2020_12_tool").description("Tool with JSON Schema 2020-12 features").raw_handler(
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
            Resource::new("test://static-text", "static-text")
                .description("A static text resource")
                .mime_type("text/plain")
                .read(|_c, r| async move {
                    Ok::<_, McpError>(
                        ResourceContents::text(r.uri, "This is the content of the static text resource.")
                            .with_mime_type("text/plain"),
                    )
                }),
        )
        .resource(
            Resource::new("test://static-binary", "static-binary")
                .description("A static binary resource (PNG)")
                .mime_type("image/png")
                .read(|_c, r| async move {
                    Ok::<_, McpError>(ResourceContents::blob(r.uri, PNG_1X1).with_mime_type("image/png"))
                }),
        )
        .resource(
            Resource::new("test://watched-resource", "watched-resource")
                .description("A resource clients can subscribe to")
                .mime_type("text/plain")
                .read(|_c, r| async move {
                    Ok::<_, McpError>(
                        ResourceContents::text(r.uri, "Watched resource content").with_mime_type("text/plain"),
                    )
                }),
        )
        .resource_template(
            ResourceTemplate::new("test://template/{id}/data", "template-data")
                .description("Data for an id")
                .mime_type("application/json")
                .read(|_c, r| async move {
                    let id = r.params.get("id").cloned().unwrap_or_default();
                    let body = json!({ "id": id, "templateTest": true, "data": format!("Data for ID: {id}") });
                    Ok::<_, McpError>(
                        ResourceContents::text(r.uri, body.to_string()).with_mime_type("application/json"),
                    )
                }),
        )
        .prompt(Prompt::new("test_simple_prompt").description("A prompt without arguments").get(|_c, _a| async {
            Ok::<_, McpError>(vec![PromptMessage::user(Content::text("This is a simple prompt for testing."))])
        }))
        .prompt(
            Prompt::new("test_prompt_with_arguments")
                .description("A prompt with two arguments")
                .argument("arg1", "First test argument", true)
                .argument("arg2", "Second test argument", true)
                .complete("arg1", Completer::from_values(["paris", "park", "party", "pasta", "python"]))
                .get(|_c, a| async move {
                    let text = format!("Prompt with arguments: arg1='{}', arg2='{}'", a["arg1"], a["arg2"]);
                    Ok::<_, McpError>(vec![PromptMessage::user(Content::text(text))])
                }),
        )
        .prompt(
            Prompt::new("test_prompt_with_embedded_resource")
                .description("A prompt embedding a resource")
                .argument("resourceUri", "URI of the resource to embed", true)
                .get(|_c, a| async move {
                    let uri = a["resourceUri"].clone();
                    Ok::<_, McpError>(GetPromptResult::new(vec![
                        PromptMessage::user(Content::resource(
                            ResourceContents::text(uri, "Embedded resource content for testing.")
                                .with_mime_type("text/plain"),
                        )),
                        PromptMessage::user(Content::text("Please process the embedded resource above.")),
                    ]))
                }),
        )
        .prompt(Prompt::new("test_prompt_with_image").description("A prompt with an image").get(|_c, _a| async {
            Ok::<_, McpError>(vec![
                PromptMessage::user(Content::image(PNG_1X1, "image/png")),
                PromptMessage::user(Content::text("Please analyze the image above.")),
            ])
        }));
    stateless::register(builder).build()
}

async fn elicitation_summary(ctx: &RequestContext, message: &str, schema: serde_json::Value) -> Result<String, String> {
    let answer = ctx.elicit(ElicitRequest::new(message, schema)).await.map_err(|e| e.to_string())?;
    Ok(format!(
        "Elicitation completed: action={}, content={}",
        json!(answer.action).as_str().unwrap_or("?"),
        json!(answer.content)
    ))
}
