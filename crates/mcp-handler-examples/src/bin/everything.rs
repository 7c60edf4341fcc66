//! `everything`: the server the official conformance suite runs against.
//! Serves on `--bind` (default 127.0.0.1:8080) at `/mcp`.

fn main() -> std::process::ExitCode {
    let router = match mcp_handler_examples::everything::router() {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: {e}");
            return std::process::ExitCode::FAILURE;
        }
    };
    mcp_handler::run_with(router, mcp_handler_examples::everything::endpoint_config())
}
