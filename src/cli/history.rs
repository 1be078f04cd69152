//! `lucid log | show | diff | blame | tag | rollback`: the operation log for people and scripts.

use lucid::diff::{LineTag, hunks};
use lucid::error::Error;
use lucid::model::OpDetail;

use super::memory::report_op;
use super::output::{Out, Paint, json, safe, short};
use super::{Env, StoreArg, pick_store};

#[derive(Debug, clap::Args)]
pub struct LogArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Show at most N operations.
    #[arg(long, short = 'n', value_name = "N")]
    limit: Option<usize>,
    /// Only the operations that added or removed TEXT in some file (as `git log -S`), with how
    /// often it occurs there before and after: when did the agent learn that?
    #[arg(long, short = 'S', value_name = "TEXT")]
    search: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct ShowArgs {
    /// The operation (id, tag, @, @~N).
    op: String,
    #[command(flatten)]
    store: StoreArg,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct DiffArgs {
    /// Show what this operation changed; with OP2, the difference from OP to OP2.
    op: String,
    op2: Option<String>,
    /// Only this memory path.
    #[arg(last = true, value_name = "PATH")]
    path: Option<String>,
    #[command(flatten)]
    store: StoreArg,
    /// Lines of context around each change.
    #[arg(long, short = 'U', default_value_t = 3)]
    context: usize,
}

#[derive(Debug, clap::Args)]
pub struct BlameArgs {
    path: String,
    #[command(flatten)]
    store: StoreArg,
    #[arg(long, value_name = "OP")]
    at: Option<String>,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, clap::Args)]
pub struct TagArgs {
    name: String,
    /// The operation to name (default: the newest).
    op: Option<String>,
    #[command(flatten)]
    store: StoreArg,
}

#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    /// The operation whose state the store returns to.
    op: String,
    /// Why (required: it goes into the log and the audit trail).
    #[arg(long, short = 'm')]
    reason: Option<String>,
    #[command(flatten)]
    store: StoreArg,
    #[arg(long)]
    json: bool,
}

/// `lucid log` lists at most this many files per operation (`show` and `--json` list all).
const LOG_FILES: usize = 20;

/// An operation's first line (id, kind, actor, time, what it restores, tags) and its reason.
fn print_header(out: &mut Out, p: Paint, op: &lucid::model::Operation) -> Result<(), Error> {
    let tags = if op.tags.is_empty() {
        String::new()
    } else {
        format!(" {}", p.yellow(&format!("({})", safe(&op.tags.join(", ")))))
    };
    let restores = op
        .restores_op_id
        .map(|r| format!(" -> state of op {r}"))
        .unwrap_or_default();
    out.line(&format!(
        "{} {} {} {}{}{}",
        p.bold(&format!("op {}", op.id)),
        p.cyan(&op.kind),
        safe(&op.actor),
        p.dim(&op.at),
        restores,
        tags
    ))?;
    if !op.reason.is_empty() {
        out.line(&format!("    {}", safe(&op.reason)))?;
    }
    Ok(())
}

fn print_op(out: &mut Out, p: Paint, d: &OpDetail, max_files: usize) -> Result<(), Error> {
    let op = &d.op;
    print_header(out, p, op)?;
    for f in d.files.iter().take(max_files) {
        let mark = match f.kind {
            lucid::model::VersionKind::Created => p.green("A"),
            lucid::model::VersionKind::Modified => p.yellow("M"),
            lucid::model::VersionKind::Renamed => p.cyan("R"),
            lucid::model::VersionKind::Deleted => p.red("D"),
        };
        let from = f
            .old_path
            .as_ref()
            .map(|o| format!("{} -> ", safe(o)))
            .unwrap_or_default();
        out.line(&format!("    {mark} {from}{}", safe(&f.path)))?;
    }
    if op.files_changed > d.files.len().min(max_files) {
        let more = op.files_changed - d.files.len().min(max_files);
        out.line(&p.dim(&format!(
            "    … and {more} more files (lucid show {})",
            op.id
        )))?;
    }
    Ok(())
}

pub fn log(env: &Env, a: &LogArgs) -> Result<(), Error> {
    let db = env.open()?;
    let store = db.store(&pick_store(&db, a.store.store.as_deref())?)?;
    if let Some(text) = &a.search {
        return search(&db, &store, text, a.limit, a.json);
    }
    if a.json {
        return json(&db.log(&store, a.limit)?);
    }
    let (mut out, p) = (Out::new(), Paint::auto());
    db.log_for_display(&store, a.limit, LOG_FILES, |op, files| {
        let detail = OpDetail {
            op: op.clone(),
            files: files
                .iter()
                .map(|(kind, path, old)| lucid::model::FileTouch {
                    memory_id: 0,
                    kind: *kind,
                    path: path.clone(),
                    old_path: old.clone(),
                    before_sha256: None,
                    after_sha256: None,
                })
                .collect(),
        };
        print_op(&mut out, p, &detail, LOG_FILES)
    })?;
    out.finish()
}

/// `lucid log -S TEXT`: each operation that added or removed the text, and where.
fn search(
    db: &lucid::Db,
    store: &lucid::model::Store,
    text: &str,
    limit: Option<usize>,
    as_json: bool,
) -> Result<(), Error> {
    let hits = db.search_history(store, text, limit)?;
    if as_json {
        return json(&hits);
    }
    let (mut out, p) = (Out::new(), Paint::auto());
    for hit in &hits {
        print_header(&mut out, p, &hit.op.op)?;
        for m in &hit.matches {
            let mark = if m.after > m.before {
                p.green("+")
            } else {
                p.red("-")
            };
            out.line(&format!(
                "    {mark} {}  {} → {}",
                safe(&m.path),
                m.before,
                m.after
            ))?;
        }
    }
    if hits.is_empty() {
        out.line(&p.dim("no operation added or removed that text"))?;
    }
    out.finish()
}

pub fn show(env: &Env, a: &ShowArgs) -> Result<(), Error> {
    let db = env.open()?;
    let store = db.store(&pick_store(&db, a.store.store.as_deref())?)?;
    let op = db.resolve_op(&store, &a.op)?;
    let d = db.operation(&store, op)?;
    if a.json {
        return json(&d);
    }
    let (mut out, p) = (Out::new(), Paint::auto());
    print_op(&mut out, p, &d, usize::MAX)?;
    out.line(&format!(
        "    parent {}  root {}",
        d.op.parent_id.map_or_else(|| "-".into(), |x| x.to_string()),
        short(&d.op.root_hash)
    ))?;
    out.finish()
}

pub fn diff(env: &Env, a: &DiffArgs) -> Result<(), Error> {
    let db = env.open()?;
    let store = db.store(&pick_store(&db, a.store.store.as_deref())?)?;
    let first = db.resolve_op(&store, &a.op)?;
    let (from, to) = match &a.op2 {
        Some(second) => (Some(first), db.resolve_op(&store, second)?),
        None => (db.operation(&store, first)?.op.parent_id, first),
    };
    let files = db.diff_states(&store, from, to, a.path.as_deref())?;
    let (mut out, p) = (Out::new(), Paint::auto());
    for f in &files {
        let old_name = f
            .old_path
            .as_deref()
            .map_or("/dev/null".to_owned(), |x| format!("a{}", safe(x)));
        let new_name = f
            .new_path
            .as_deref()
            .map_or("/dev/null".to_owned(), |x| format!("b{}", safe(x)));
        out.line(&p.bold(&format!("--- {old_name}")))?;
        out.line(&p.bold(&format!("+++ {new_name}")))?;
        let old = String::from_utf8_lossy(f.old.as_deref().unwrap_or_default());
        let new = String::from_utf8_lossy(f.new.as_deref().unwrap_or_default());
        for h in hunks(&old, &new, a.context) {
            out.line(&p.cyan(&format!(
                "@@ -{},{} +{},{} @@",
                h.old_start, h.old_len, h.new_start, h.new_len
            )))?;
            for l in &h.lines {
                let text = lucid::sanitize::text(&l.text, 8);
                out.line(&match l.tag {
                    LineTag::Context => format!(" {text}"),
                    LineTag::Removed => p.red(&format!("-{text}")),
                    LineTag::Added => p.green(&format!("+{text}")),
                })?;
                if !l.newline {
                    out.line("\\ No newline at end of file")?;
                }
            }
        }
    }
    out.finish()
}

pub fn blame(env: &Env, a: &BlameArgs) -> Result<(), Error> {
    let db = env.open()?;
    let store = db.store(&pick_store(&db, a.store.store.as_deref())?)?;
    let at =
        a.at.as_ref()
            .map(|r| db.resolve_op(&store, r))
            .transpose()?;
    let lines = db.blame(&store, &a.path, at)?;
    if a.json {
        return json(&lines);
    }
    let (mut out, p) = (Out::new(), Paint::auto());
    let width = lines.len().to_string().len();
    for l in &lines {
        let actor = lucid::util::truncate_str(&l.actor, 16).to_owned();
        let origin = match (l.dream_id, l.proposal_id) {
            (Some(d), Some(p_id)) => {
                let cited = if l.evidence_sessions.is_empty() {
                    String::new()
                } else {
                    format!(" from {}", safe(&l.evidence_sessions.join(",")))
                };
                format!(
                    " {}",
                    p.yellow(&format!("dream {d}/proposal {p_id}{cited}"))
                )
            }
            _ => String::new(),
        };
        out.line(&format!(
            "{} {} {:<16} {}{} {:>width$}| {}",
            p.bold(&format!("op {:<5}", l.op_id)),
            p.cyan(&format!("{:<10}", l.kind)),
            safe(&actor),
            p.dim(lucid::util::truncate_str(&l.at, 10)),
            origin,
            l.line,
            lucid::sanitize::text(&l.text, 8)
        ))?;
    }
    // Below the lines: for each dream that wrote some, who wrote it, who approved it and why.
    let mut described = std::collections::BTreeSet::new();
    for l in lines.iter().filter(|l| l.dream_id.is_some()) {
        if !described.insert(l.op_id) {
            continue;
        }
        out.line(&format!(
            "op {}: dream {} by {}, applied by {}",
            l.op_id,
            l.dream_id.unwrap_or_default(),
            safe(l.engine.as_deref().unwrap_or("?")),
            safe(&l.actor)
        ))?;
        for e in &l.evidence {
            out.line(&format!(
                "  evidence {}{}: \"{}\"",
                safe(e.session_id.as_deref().unwrap_or("memory")),
                e.event_id
                    .as_deref()
                    .map(|id| format!(" event {}", safe(id)))
                    .unwrap_or_default(),
                safe(&e.quote)
            ))?;
        }
    }
    out.finish()
}

pub fn tag(env: &Env, a: &TagArgs) -> Result<(), Error> {
    let mut db = env.open()?;
    let store = pick_store(&db, a.store.store.as_deref())?;
    let d = db.tag(&env.ctx, &store, &a.name, a.op.as_deref())?;
    println!("op {}: {}", d.op.id, safe(&d.op.reason));
    Ok(())
}

pub fn rollback(env: &Env, a: &RollbackArgs) -> Result<(), Error> {
    let reason = a.reason.clone().unwrap_or_default();
    if reason.trim().is_empty() {
        return Err(Error::Invalid(
            "a rollback needs a reason: --reason TEXT".into(),
        ));
    }
    let mut db = env.open()?;
    let store = db.store(&pick_store(&db, a.store.store.as_deref())?)?;
    let target = db.resolve_op(&store, &a.op)?;
    let d = db.rollback(&env.ctx, &store.name, target, &reason)?;
    if !a.json {
        println!(
            "rolled back to the state of op {target} as op {} ({} files)",
            d.op.id,
            d.files.len()
        );
    }
    report_op(Some(&d), a.json)
}
