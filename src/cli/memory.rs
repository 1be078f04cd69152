//! `lucid store …`, `lucid memory …` and `lucid import …`.

use std::io::{IsTerminal, Read};
use std::path::PathBuf;

use clap::Subcommand;
use lucid::error::Error;
use lucid::import::{memory_dir, sessions};
use lucid::model::{OpDetail, OpKind};
use lucid::store::{ChangeSet, FileChange, OpSpec};

use super::output::{Out, json, safe, short};
use super::{Env, StoreArg, pick_store};

#[derive(Debug, Subcommand)]
pub enum StoreCmd {
    /// Create an empty store.
    Create {
        name: String,
        #[arg(long, default_value = "")]
        description: String,
        /// Largest memory file, in bytes (default 102400).
        #[arg(long, value_name = "BYTES")]
        max_content_bytes: Option<usize>,
    },
    /// List stores.
    Ls {
        #[arg(long)]
        json: bool,
    },
    /// Change a store's settings.
    Set {
        name: String,
        /// `review` (proposals wait for a person) or `auto` (dreams apply themselves when
        /// every gate passes).
        #[arg(long)]
        mode: Option<String>,
        /// Share of lines one dream may remove (0 to 1).
        #[arg(long, value_name = "FRACTION")]
        deletion_budget: Option<f64>,
    },
}

#[derive(Debug, Subcommand)]
pub enum MemoryCmd {
    /// List the memories of a store.
    Ls {
        #[command(flatten)]
        store: StoreArg,
        /// Show the state at this operation (id, tag, @, @~N).
        #[arg(long, value_name = "OP")]
        at: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Print a memory (raw bytes when piped, sanitized on a terminal).
    Cat {
        path: String,
        #[command(flatten)]
        store: StoreArg,
        #[arg(long, value_name = "OP")]
        at: Option<String>,
    },
    /// Write a memory from standard input.
    Write {
        path: String,
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Delete a memory (its history stays).
    Rm {
        path: String,
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Rename a memory (its identity and history follow it).
    Mv {
        from: String,
        to: String,
        #[command(flatten)]
        store: StoreArg,
        #[command(flatten)]
        change: ChangeArgs,
    },
    /// Write a store's memories to a folder, byte-identical.
    Export {
        dir: PathBuf,
        #[command(flatten)]
        store: StoreArg,
        #[arg(long, value_name = "OP")]
        at: Option<String>,
        /// Write into a folder that is not empty.
        #[arg(long)]
        force: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct ChangeArgs {
    /// Only change the memory if its current content has this SHA-256 (exit 3 otherwise).
    #[arg(long, value_name = "HEX")]
    expect_sha256: Option<String>,
    /// Why (recorded in the operation log and the audit log).
    #[arg(long, short = 'm', default_value = "")]
    reason: String,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
pub enum ImportCmd {
    /// Import a memory folder (MEMORY.md + topic files, or a /memories folder) as one operation.
    Memory {
        dir: PathBuf,
        /// The store to import into (created when missing).
        #[arg(long, short = 's', env = "LUCID_STORE", value_name = "NAME")]
        store: String,
        /// Also delete memories that are not in the folder, making the store equal to it.
        #[arg(long)]
        mirror: bool,
        #[arg(long, short = 'm', default_value = "")]
        reason: String,
        #[arg(long)]
        json: bool,
    },
    /// Import Claude Code transcripts (a .jsonl, a project folder, or ~/.claude/projects) and
    /// Managed Agents session events.
    Sessions {
        path: PathBuf,
        /// Agent name for every session (default: the project folder name).
        #[arg(long)]
        agent: Option<String>,
        /// Link the sessions to this store.
        #[arg(long, short = 's', value_name = "NAME")]
        store: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

pub fn store(env: &Env, cmd: StoreCmd) -> Result<(), Error> {
    let mut db = env.open()?;
    match cmd {
        StoreCmd::Create {
            name,
            description,
            max_content_bytes,
        } => {
            let store = db.create_store(&env.ctx, &name, &description, max_content_bytes)?;
            println!("created store {}", safe(&store.name));
            Ok(())
        }
        StoreCmd::Set {
            name,
            mode,
            deletion_budget,
        } => {
            let s = db.configure_store(&env.ctx, &name, mode.as_deref(), deletion_budget)?;
            println!(
                "store {}: mode {}, deletion budget {}",
                safe(&s.name),
                s.mode,
                s.deletion_budget
            );
            Ok(())
        }
        StoreCmd::Ls { json: as_json } => {
            let stores = db.stores()?;
            if as_json {
                return json(&stores);
            }
            let mut out = Out::new();
            for s in &stores {
                out.line(&format!(
                    "{:<24} {:>6} memories  head op {:<6} {}",
                    safe(&s.name),
                    s.memories,
                    s.head_op_id.map(|o| o.to_string()).unwrap_or_default(),
                    safe(&s.description)
                ))?;
            }
            out.finish()
        }
    }
}

pub fn memory(env: &Env, cmd: MemoryCmd) -> Result<(), Error> {
    let mut db = env.open()?;
    match cmd {
        MemoryCmd::Ls {
            store,
            at,
            json: as_json,
        } => {
            let meta = db.store(&pick_store(&db, store.store.as_deref())?)?;
            let at = at.map(|r| db.resolve_op(&meta, &r)).transpose()?;
            let entries = db.entries(&meta, at)?;
            if as_json {
                return json(&entries);
            }
            let mut out = Out::new();
            for e in &entries {
                out.line(&format!(
                    "{}  {:>7}  {}",
                    short(&e.sha256),
                    e.size,
                    safe(&e.path)
                ))?;
            }
            out.finish()
        }
        MemoryCmd::Cat { path, store, at } => {
            let meta = db.store(&pick_store(&db, store.store.as_deref())?)?;
            let at = at.map(|r| db.resolve_op(&meta, &r)).transpose()?;
            let entry = db.entry(&meta, &path, at)?;
            let bytes = db.blob(&entry.sha256)?;
            let mut out = Out::new();
            if std::io::stdout().is_terminal() {
                out.raw(lucid::sanitize::text(&String::from_utf8_lossy(&bytes), 8).as_bytes())?;
            } else {
                out.raw(&bytes)?;
            }
            out.finish()
        }
        MemoryCmd::Write {
            path,
            store,
            change,
        } => {
            let name = pick_store(&db, store.store.as_deref())?;
            let limit = db.store(&name)?.max_content_bytes;
            let content = read_stdin(limit)?;
            let put = FileChange::Put {
                path,
                content,
                expect_sha256: change.expect_sha256.clone(),
            };
            commit(env, &mut db, &name, put, &change)
        }
        MemoryCmd::Rm {
            path,
            store,
            change,
        } => {
            let name = pick_store(&db, store.store.as_deref())?;
            let rm = FileChange::Delete {
                path,
                expect_sha256: change.expect_sha256.clone(),
            };
            commit(env, &mut db, &name, rm, &change)
        }
        MemoryCmd::Mv {
            from,
            to,
            store,
            change,
        } => {
            let name = pick_store(&db, store.store.as_deref())?;
            let mv = FileChange::Rename {
                from,
                to,
                expect_sha256: change.expect_sha256.clone(),
            };
            commit(env, &mut db, &name, mv, &change)
        }
        MemoryCmd::Export {
            dir,
            store,
            at,
            force,
        } => {
            let meta = db.store(&pick_store(&db, store.store.as_deref())?)?;
            let at = at.map(|r| db.resolve_op(&meta, &r)).transpose()?;
            let files = db
                .entries(&meta, at)?
                .into_iter()
                .map(|e| {
                    Ok(memory_dir::MemoryFile {
                        content: db.blob(&e.sha256)?,
                        path: e.path,
                    })
                })
                .collect::<Result<Vec<_>, Error>>()?;
            memory_dir::write(&dir, &files, force)?;
            eprintln!(
                "exported {} memories to {}",
                files.len(),
                safe(&dir.display().to_string())
            );
            Ok(())
        }
    }
}

/// Reads standard input, refusing more than `limit` bytes without reading all of it.
fn read_stdin(limit: usize) -> Result<Vec<u8>, Error> {
    let mut buf = Vec::new();
    std::io::stdin()
        .lock()
        .take(limit as u64 + 1)
        .read_to_end(&mut buf)
        .map_err(|e| Error::io("stdin", e))?;
    if buf.len() > limit {
        return Err(Error::TooLarge {
            what: "standard input".into(),
            size: buf.len(),
            limit,
        });
    }
    Ok(buf)
}

fn commit(
    env: &Env,
    db: &mut lucid::Db,
    store: &str,
    change: FileChange,
    args: &ChangeArgs,
) -> Result<(), Error> {
    let set = ChangeSet::new(
        OpSpec::new(OpKind::Write, args.reason.clone()),
        vec![change],
    );
    let done = db.commit(&env.ctx, store, set)?;
    report_op(done.as_ref(), args.json)
}

/// Prints what an operation did (or that nothing changed).
pub fn report_op(done: Option<&OpDetail>, as_json: bool) -> Result<(), Error> {
    if as_json {
        return json(&done);
    }
    match done {
        None => println!("unchanged"),
        Some(d) => {
            for f in &d.files {
                let sha = f
                    .after_sha256
                    .as_deref()
                    .or(f.before_sha256.as_deref())
                    .unwrap_or("");
                println!(
                    "op {}: {} {} {}",
                    d.op.id,
                    f.kind.as_str(),
                    safe(&f.path),
                    short(sha)
                );
            }
            if d.files.is_empty() {
                println!("op {}: {}", d.op.id, d.op.kind);
            }
        }
    }
    Ok(())
}

pub fn import(env: &Env, cmd: ImportCmd) -> Result<(), Error> {
    let mut db = env.open()?;
    match cmd {
        ImportCmd::Memory {
            dir,
            store,
            mirror,
            reason,
            json: as_json,
        } => {
            let limit = match db.store(&store) {
                Ok(s) => s.max_content_bytes,
                Err(Error::NotFound { .. }) => lucid::store::DEFAULT_MAX_CONTENT_BYTES,
                Err(e) => return Err(e),
            };
            // Read and check every file before anything is written.
            let files = memory_dir::read(&dir, limit)?;
            let changes = files
                .into_iter()
                .map(|f| FileChange::Put {
                    path: f.path,
                    content: f.content,
                    expect_sha256: None,
                })
                .collect();
            let reason = if reason.is_empty() {
                format!("import {}", dir.display())
            } else {
                reason
            };
            let mut set = ChangeSet::new(OpSpec::new(OpKind::Import, reason), changes);
            set.mirror = mirror;
            set.create_store = true;
            let done = db.commit(&env.ctx, &store, set)?;
            report_op(done.as_ref(), as_json)
        }
        ImportCmd::Sessions {
            path,
            agent,
            store,
            json: as_json,
        } => {
            let opts = sessions::Options { agent, store };
            let report = sessions::import(&mut db, &env.ctx, &path, &opts)?;
            if as_json {
                return json(&report);
            }
            println!(
                "{} files: {} imported, {} unchanged; {} sessions, {} events, {} tool errors, {} bad lines",
                report.files_seen,
                report.files_imported,
                report.files_unchanged,
                report.sessions,
                report.events,
                report.tool_errors,
                report.bad_lines
            );
            for p in &report.problems {
                for b in p.bad_lines.iter().take(5) {
                    eprintln!("warning: {}:{}: {}", safe(&p.path), b.line, safe(&b.reason));
                }
                if p.bad_lines.len() > 5 {
                    eprintln!(
                        "warning: {}: {} more bad lines",
                        safe(&p.path),
                        p.bad_lines.len() - 5
                    );
                }
            }
            Ok(())
        }
    }
}
