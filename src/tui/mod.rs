//! The review TUI: state → action → update → effect → render (DESIGN §4). `state`, `update`
//! and `view` are pure and tested without a terminal; `runtime` owns the terminal and `worker`
//! the database. The TUI never touches SQL: it calls the core.

pub mod action;
mod audit;
mod blame;
mod decide;
mod doc;
pub mod effect;
mod history;
mod history_jobs;
pub mod keymap;
mod nav;
mod opdiff;
mod prompt;
pub mod rows;
pub mod runtime;
pub mod state;
pub mod update;
pub mod view;
mod worker;

/// A proposal loaded for the review screen, as the TUI shows it (tests and tools render it).
pub use worker::load as load_review;

#[cfg(test)]
mod fixtures;
#[cfg(test)]
mod fixtures_history;
#[cfg(test)]
mod history_search_tests;
#[cfg(test)]
mod history_snapshot_tests;
#[cfg(test)]
mod history_tests;
#[cfg(test)]
mod rows_tests;
#[cfg(test)]
mod screen_tests;
#[cfg(test)]
mod snapshot_tests;
#[cfg(test)]
mod update_tests;

/// Opens the review TUI on the database at `db_path`; returns when the user quits. The
/// terminal is restored on exit, on error and on panic.
pub fn run(db_path: &std::path::Path, ctx: crate::Ctx) -> crate::Result<()> {
    runtime::run(db_path, ctx)
}

/// A manual check in a real terminal, without the CLI:
/// `LUCID_TUI_DB=path cargo test --lib tui::live -- --ignored --nocapture`.
#[cfg(test)]
mod live {
    #[test]
    #[ignore = "needs a terminal and LUCID_TUI_DB"]
    fn run_on_a_database() {
        let Some(db) = std::env::var_os("LUCID_TUI_DB") else {
            return;
        };
        let ctx = crate::Ctx::new("tui-live", time::OffsetDateTime::now_utc());
        super::run(std::path::Path::new(&db), ctx).expect("the TUI runs");
    }
}
