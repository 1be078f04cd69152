//! Integration tests: the `lucid` binary and the library, driven end to end.
//! One test binary (faster to build than one per file); one module per concern.

mod bad_input;
mod common;
mod concurrency;
mod corpus;
mod crash;
mod crash_dreams;
mod history;
mod llm;
mod llm_eval;
mod llm_faults;
mod llm_limits;
mod llm_record;
mod mock_dreams;
mod mock_http;
mod mock_llm;
mod mock_managed;
mod mock_seed;
mod mock_stores;
mod readme;
mod remote;
mod remote_cli;
mod remote_wire;
mod review;
mod tamper;
mod tui_e2e;
