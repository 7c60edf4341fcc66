//! cargo-fuzz target `secret_ref`: the checks live in `mcp_handler_fuzz::secret_ref`,
//! shared with the regression test that replays the committed corpus.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| mcp_handler_fuzz::secret_ref::check(data));
