//! Lucid's core: a versioned memory store with an operation log, importers for real agent data,
//! diffs and a hash-chained audit log. The CLI and the TUI are thin layers over this crate; it
//! never prints, never reads the clock or the OS user (see [`util::Ctx`]) and never touches the
//! terminal.

pub mod audit;
pub mod diff;
pub mod dream;
pub mod dreaming;
pub mod error;
pub mod eval;
pub mod import;
pub mod injection;
pub mod llm;
pub mod memory_path;
pub mod model;
pub mod remote;
pub mod review;
pub mod sanitize;
pub mod secrets;
pub mod store;
#[cfg(test)]
mod test_support;
pub mod tui;
pub mod util;

pub use error::{Error, Result};
pub use store::Db;
pub use util::Ctx;
