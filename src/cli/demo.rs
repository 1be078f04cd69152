//! `lucid demo`: a fresh database built from the bundled demo fleet (three agents, 35 sessions,
//! a messy memory store), a dream over it, and the review TUI on the result.

use std::path::PathBuf;

use lucid::dreaming::{self, Selection};
use lucid::error::Error;
use lucid::import::{memory_dir, sessions};
use lucid::model::OpKind;
use lucid::store::{ChangeSet, FileChange, OpSpec};
use lucid::{Ctx, Db};

include!(concat!(env!("OUT_DIR"), "/demo_files.rs"));

const STORE: &str = "fleet";

/// `lucid demo [--db PATH]`: the database is built at `--db` (which must not exist yet), else in
/// a new temporary folder.
#[derive(Debug, clap::Args)]
pub struct DemoArgs {
    /// Build the database and print where it is, without opening the TUI.
    #[arg(long)]
    no_tui: bool,
}

/// Builds the demo database and returns its path.
pub fn build(ctx: &Ctx, target: Option<PathBuf>) -> Result<PathBuf, Error> {
    let db_path = if let Some(p) = target {
        if p.exists() {
            return Err(Error::Invalid(format!(
                "{} already exists: the demo builds a new database (choose another path)",
                p.display()
            )));
        }
        p
    } else {
        let dir = std::env::temp_dir().join(format!("lucid-demo-{}", std::process::id()));
        dir.join("demo.db")
    };
    // Unpack the embedded fleet next to the database, then import it as a user would.
    let folder = db_path.with_extension("fleet");
    for (rel, bytes) in DEMO_FILES {
        let path = folder.join(rel);
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        std::fs::write(&path, bytes).map_err(|e| Error::io(&path, e))?;
    }
    let mut db = Db::open(&db_path)?;
    let files = memory_dir::read(
        &folder.join("memory"),
        lucid::store::DEFAULT_MAX_CONTENT_BYTES,
    )?;
    let puts = files
        .into_iter()
        .map(|f| FileChange::Put {
            path: f.path,
            content: f.content,
            expect_sha256: None,
        })
        .collect();
    let mut set = ChangeSet::new(
        OpSpec::new(OpKind::Import, "demo: the fleet's memory"),
        puts,
    );
    set.create_store = true;
    db.commit(ctx, STORE, set)?;
    let opts = sessions::Options {
        agent: None,
        store: Some(STORE.into()),
    };
    sessions::import(&mut db, ctx, &folder.join("sessions"), &opts)?;
    let ids = dreaming::select_sessions(&db, STORE, &Selection::SinceLastDream)?;
    let engine = lucid::dream::builtin::Builtin;
    dreaming::run(&mut db, ctx, &engine, STORE, ids, "")?;
    Ok(db_path)
}

pub fn run(ctx: &Ctx, db: Option<PathBuf>, args: &DemoArgs) -> Result<(), Error> {
    let path = build(ctx, db)?;
    if args.no_tui {
        println!("{}", path.display());
        return Ok(());
    }
    lucid::tui::run(&path, ctx.clone())
}
