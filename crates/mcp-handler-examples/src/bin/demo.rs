//! `demo`: a small server worth copying. `cargo run --bin demo` serves it at
//! http://127.0.0.1:8080/mcp.

fn main() -> std::process::ExitCode {
    match mcp_handler_examples::demo::router() {
        Ok(router) => mcp_handler::run(router),
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
