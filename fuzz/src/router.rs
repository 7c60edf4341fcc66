//! The small router the `jsonrpc` target dispatches to: one item of each
//! kind, handlers that answer at once (no timers, no I/O), so that a fuzz
//! execution stays in the microseconds while every method has a real target.

use std::sync::LazyLock;

use mcp_handler_core::bench_api::Dispatcher;
use mcp_handler_core::{
    Args, Completer, EndpointConfig, Prompt, Resource, ResourceRequest, ResourceTemplate, Router, Tool,
};
use serde::Deserialize;

/// `echo`'s arguments; `region` is mirrored as `Mcp-Param-Region` in 2026.
#[derive(Deserialize, schemars::JsonSchema)]
struct Echo {
    text: String,
    #[serde(default)]
    #[schemars(extend("x-mcp-header" = "Region"))]
    region: String,
}

/// `greet`'s arguments.
#[derive(Deserialize, schemars::JsonSchema)]
struct Greet {
    name: String,
}

fn router() -> Router {
    Router::builder("fuzz", "0.0.0")
        .tool(
            Tool::builder("echo")
                .description("Returns its text")
                .handler(|Args(a): Args<Echo>| async move { format!("{} {}", a.text, a.region) }),
        )
        .resource(Resource::builder("test://static-text", "static").description("Static").read(|| async { "static" }))
        .resource_template(
            ResourceTemplate::builder("test://template/{id}/data", "data")
                .description("Data for an id")
                .read(|r: ResourceRequest| async move { format!("data {:?}", r.params.get("id")) }),
        )
        .prompt(
            Prompt::builder("greet")
                .description("Greets")
                .complete("name", Completer::from_values(["ada", "alan"]))
                .get(|Args(a): Args<Greet>| async move { format!("Hello, {}!", a.name) }),
        )
        .build()
        .expect("the fuzz router builds")
}

/// Built once per process: a build per input would be most of the time.
pub(crate) static DISPATCHER: LazyLock<Dispatcher> =
    LazyLock::new(|| Dispatcher::new(router(), EndpointConfig::default()).expect("the OS random source works"));

/// One current-thread runtime for every handler future.
pub(crate) static RUNTIME: LazyLock<tokio::runtime::Runtime> = LazyLock::new(|| {
    tokio::runtime::Builder::new_current_thread().enable_time().build().expect("a current-thread runtime")
});
