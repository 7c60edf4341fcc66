//! cargo-fuzz target `jsonrpc`: the checks live in `mcp_handler_fuzz::jsonrpc`,
//! shared with the regression test that replays the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_handler_fuzz::jsonrpc::check(data));
