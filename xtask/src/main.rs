//! Placeholder: replaced by the test orchestration command.
fn main() {}
