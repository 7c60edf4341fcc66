//! cargo-fuzz target `meta_2026`: the checks live in `mcp_handler_fuzz::meta_2026`,
//! shared with the regression test that replays the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_handler_fuzz::meta_2026::check(data));
