//! cargo-fuzz target `uri_template`: the checks live in `mcp_handler_fuzz::uri_template`,
//! shared with the regression test that replays the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_handler_fuzz::uri_template::check(data));
