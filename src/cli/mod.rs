//! Command-line parsing (clap) and dispatch. Each command group lives in its own file; they turn
//! arguments into core calls and core results into text or JSON.

mod audit_cmd;
mod demo;
mod dreams;
mod engines;
mod history;
mod logging;
mod memory;
mod output;
mod remote;
mod sessions;

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::{Parser, Subcommand};
use lucid::error::{Error, exit};
use lucid::{Ctx, Db};

/// Lucid: review-before-write for AI-agent memory.
#[derive(Debug, Parser)]
#[command(name = "lucid", version, about, propagate_version = true)]
pub struct Cli {
    /// Database file (default: lucid.db in the user data folder).
    #[arg(long, global = true, env = "LUCID_DB", value_name = "PATH")]
    db: Option<PathBuf>,
    /// Who is acting (default: LUCID_ACTOR, else the OS user).
    #[arg(long, global = true, env = "LUCID_ACTOR", value_name = "NAME")]
    actor: Option<String>,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Create and list memory stores.
    #[command(subcommand)]
    Store(memory::StoreCmd),
    /// Read and change memories (for agents and scripts).
    #[command(subcommand)]
    Memory(memory::MemoryCmd),
    /// Import memory folders and session transcripts.
    #[command(subcommand)]
    Import(memory::ImportCmd),
    /// List and show imported sessions.
    #[command(subcommand)]
    Session(sessions::SessionCmd),
    /// The operation log of a store, newest first.
    Log(history::LogArgs),
    /// One operation and the files it touched.
    Show(history::ShowArgs),
    /// What changed in an operation, or between two.
    Diff(history::DiffArgs),
    /// Each line of a memory with the operation that introduced it.
    Blame(history::BlameArgs),
    /// Name an operation.
    Tag(history::TagArgs),
    /// Make the store equal to an earlier operation's state (a new operation; nothing is lost).
    Rollback(history::RollbackArgs),
    /// The hash-chained audit log.
    #[command(subcommand)]
    Audit(audit_cmd::AuditCmd),
    /// Consolidate a store: read it and its recent sessions, propose a curated memory.
    Dream(dreams::DreamArgs),
    /// Review dream proposals: show, accept, reject, edit, undo, apply.
    #[command(subcommand)]
    Proposal(dreams::ProposalCmd),
    /// Score an engine on labelled cases (fresh database per case).
    Eval(dreams::EvalArgs),
    /// Settings of the model-backed dream engines.
    #[command(subcommand)]
    Config(engines::ConfigCmd),
    /// Open the review TUI (the same as `lucid` with no arguments).
    Review,
    /// Build a demo database from the bundled fleet, dream over it, and open the TUI on it.
    Demo(demo::DemoArgs),
    /// Claude Managed Agents: pull memory stores and sessions, push accepted changes.
    #[command(subcommand)]
    Remote(remote::RemoteCmd),
}

/// What every command needs: where the database is and who is acting when.
pub struct Env {
    db_path: PathBuf,
    pub ctx: Ctx,
}

impl Env {
    pub fn open(&self) -> Result<Db, Error> {
        Db::open(&self.db_path)
    }
}

/// The default database: `lucid.db` in the platform's data folder.
fn default_db() -> Result<PathBuf, Error> {
    directories::ProjectDirs::from("", "", "lucid")
        .map(|d| d.data_dir().join("lucid.db"))
        .ok_or_else(|| Error::Invalid("no home folder: pass --db PATH or set LUCID_DB".into()))
}

fn now() -> Result<time::OffsetDateTime, Error> {
    match std::env::var("LUCID_NOW") {
        Ok(s) if !s.is_empty() => lucid::util::parse_time(&s)
            .ok_or_else(|| Error::Invalid(format!("LUCID_NOW={s:?} is not an RFC 3339 time"))),
        _ => Ok(time::OffsetDateTime::now_utc()),
    }
}

/// The login name: `USER` / `LOGNAME`, else the passwd entry of our uid, else `uid:N`.
fn os_user() -> String {
    use std::os::unix::fs::MetadataExt;
    if let Some(name) = ["USER", "LOGNAME"]
        .iter()
        .find_map(|k| std::env::var(k).ok().filter(|v| !v.is_empty()))
    {
        return name;
    }
    let Ok(uid) = std::fs::metadata("/proc/self").map(|m| m.uid()) else {
        return "unknown".into();
    };
    std::fs::read_to_string("/etc/passwd")
        .ok()
        .and_then(|passwd| {
            passwd.lines().find_map(|l| {
                let mut f = l.split(':');
                let name = f.next()?;
                (f.nth(1)?.parse::<u32>().ok()? == uid).then(|| name.to_owned())
            })
        })
        .unwrap_or_else(|| format!("uid:{uid}"))
}

pub fn run() -> Result<(), Error> {
    lucid::store::check_sqlite_version()?;
    let cli = Cli::parse();
    logging::init()?;
    // No command: the review TUI on a terminal (as `lucid review`), the help otherwise.
    let command = match cli.command {
        Some(c) => c,
        None if std::io::stdin().is_terminal() && std::io::stdout().is_terminal() => {
            Command::Review
        }
        None => {
            use clap::CommandFactory;
            Cli::command()
                .print_help()
                .map_err(|e| Error::io("stdout", e))?;
            return Ok(());
        }
    };
    if let Command::Demo(args) = command {
        // The demo always builds a new database: at --db when given, else in a temporary folder.
        let actor = cli
            .actor
            .filter(|a| !a.trim().is_empty())
            .unwrap_or_else(os_user);
        return demo::run(&Ctx::new(actor, now()?), cli.db, &args);
    }
    let db_path = match cli.db {
        Some(p) => p,
        None => default_db()?,
    };
    let actor = cli
        .actor
        .filter(|a| !a.trim().is_empty())
        .unwrap_or_else(os_user);
    let env = Env {
        db_path,
        ctx: Ctx::new(actor, now()?),
    };
    match command {
        Command::Store(c) => memory::store(&env, c),
        Command::Memory(c) => memory::memory(&env, c),
        Command::Import(c) => memory::import(&env, c),
        Command::Session(c) => sessions::run(&env, c),
        Command::Log(a) => history::log(&env, &a),
        Command::Show(a) => history::show(&env, &a),
        Command::Diff(a) => history::diff(&env, &a),
        Command::Blame(a) => history::blame(&env, &a),
        Command::Tag(a) => history::tag(&env, &a),
        Command::Rollback(a) => history::rollback(&env, &a),
        Command::Audit(c) => audit_cmd::run(&env, c),
        Command::Dream(a) => dreams::dream(&env, a),
        Command::Proposal(c) => dreams::proposal(&env, c),
        Command::Eval(a) => dreams::eval(&a),
        Command::Config(c) => engines::config(&c),
        Command::Review => lucid::tui::run(&env.db_path, env.ctx),
        Command::Remote(c) => remote::run(&env, c),
        Command::Demo(_) => Err(Error::Internal("demo is dispatched above".into())),
    }
}

/// Prints an error as one line plus an optional hint, sanitized.
pub fn report(e: &Error) {
    let line = lucid::sanitize::line(&e.to_string());
    eprintln!("lucid: {line}");
    if let Some(hint) = e.hint() {
        eprintln!("hint: {hint}");
    }
}

pub fn exit_code(e: &Error) -> u8 {
    // A closed stdout (`lucid log | head`) is not a failure worth a message code.
    let code = match e {
        Error::Io { source, .. } if source.kind() == std::io::ErrorKind::BrokenPipe => 0,
        _ => e.exit_code(),
    };
    u8::try_from(code).unwrap_or(exit::INTERNAL as u8)
}

/// Colour only on a terminal, and never with NO_COLOR set.
pub fn use_color() -> bool {
    std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
}

/// The store a command works on: `--store`, else LUCID_STORE, else the only store there is.
pub fn pick_store(db: &Db, named: Option<&str>) -> Result<String, Error> {
    if let Some(name) = named {
        return Ok(name.to_owned());
    }
    let stores = db.store_names()?;
    match stores.as_slice() {
        [only] => Ok(only.clone()),
        [] => Err(Error::Invalid(
            "no stores yet: create one with `lucid store create NAME`".into(),
        )),
        many => Err(Error::Invalid(format!(
            "several stores ({}): choose one with --store NAME",
            many.join(", ")
        ))),
    }
}

/// The `--store` argument shared by commands.
#[derive(Debug, clap::Args)]
pub struct StoreArg {
    /// The memory store (default: LUCID_STORE, else the only store).
    #[arg(long, short = 's', env = "LUCID_STORE", value_name = "NAME")]
    pub store: Option<String>,
}
