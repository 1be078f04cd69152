//! `lucid dream …`, `lucid proposal …` and `lucid eval`.

use std::io::IsTerminal;
use std::path::PathBuf;

use clap::Subcommand;
use lucid::diff::{LineTag, hunks};
use lucid::dreaming::{self, Selection};
use lucid::error::Error;
use lucid::model::OpKind;
use lucid::review::{self, Decision, Verdict};
use lucid::store::Target;

use super::output::{Out, Paint, json, safe};
use super::{Env, StoreArg, engines, pick_store};
use lucid::llm::CancelToken;

#[derive(Debug, clap::Args)]
#[command(args_conflicts_with_subcommands = true)]
pub struct DreamArgs {
    #[command(subcommand)]
    cmd: Option<DreamCmd>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, clap::Args)]
pub struct RunArgs {
    #[command(flatten)]
    store: StoreArg,
    /// Read these sessions (local or source ids; repeatable).
    #[arg(long = "session", value_name = "ID", conflicts_with_all = ["since", "last"])]
    sessions: Vec<String>,
    /// Read the store's sessions that started at or after this time.
    #[arg(long, value_name = "DATE", conflicts_with = "last")]
    since: Option<String>,
    /// Read the store's newest N sessions.
    #[arg(long, value_name = "N")]
    last: Option<usize>,
    /// Extra guidance for the engine (at most 4,096 characters).
    #[arg(long, default_value = "")]
    instructions: String,
    /// `builtin` (default, offline), `none` (proposes nothing; a baseline), `anthropic`,
    /// `openai` (any OpenAI-compatible server: see `lucid config show`) or `replay:DIR`.
    #[arg(long, default_value = "builtin")]
    engine: String,
    /// The model, over the config file's (anthropic / openai only).
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Save every request and response body of this dream in DIR (for `--engine replay:DIR`).
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    /// Print what would be sent (requests, estimated tokens, cost) and send nothing.
    #[arg(long)]
    dry_run: bool,
    /// `anthropic-dreams`: archive Claude's output store once it is read.
    #[arg(long)]
    archive_output: bool,
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Subcommand)]
enum DreamCmd {
    /// List dreams, newest first.
    Ls {
        #[command(flatten)]
        store: StoreArg,
        #[arg(long)]
        json: bool,
    },
    /// One dream: engine, inputs, status, proposal.
    Show {
        id: i64,
        #[arg(long)]
        json: bool,
    },
    /// Cancel a running dream; its result is discarded.
    Cancel {
        id: i64,
        #[arg(long, short = 'm', default_value = "")]
        reason: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ProposalCmd {
    /// List proposals, newest first.
    Ls {
        #[arg(long, short = 's', value_name = "NAME")]
        store: Option<String>,
        /// Only this state: pending, partial, applied, rejected, stale.
        #[arg(long)]
        state: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// A proposal's changes with category, rationale, evidence and diff.
    Show {
        id: i64,
        /// Only this change.
        #[arg(long, value_name = "N")]
        change: Option<i64>,
        #[arg(long)]
        json: bool,
    },
    /// Accept changes: one (--change N), one hunk of it (--hunk H), a category, or all.
    Accept(DecideArgs),
    /// Reject changes (a reason is required).
    Reject(DecideArgs),
    /// Replace a change's result with your own text ($EDITOR, or --file).
    Edit {
        id: i64,
        #[arg(long, value_name = "N")]
        change: i64,
        /// Take the text from this file instead of opening an editor.
        #[arg(long)]
        file: Option<PathBuf>,
        #[arg(long, short = 'm', default_value = "")]
        reason: String,
    },
    /// Take back the latest decision on a change.
    Undo {
        id: i64,
        #[arg(long, value_name = "N")]
        change: i64,
    },
    /// Write every accepted change as one operation (conflicts are set aside, rebased).
    Apply {
        id: i64,
        #[arg(long)]
        json: bool,
    },
}

#[derive(Debug, clap::Args)]
pub struct DecideArgs {
    id: i64,
    #[arg(long, value_name = "N", conflicts_with_all = ["all", "category"])]
    change: Option<i64>,
    #[arg(long, value_name = "H", requires = "change")]
    hunk: Option<usize>,
    /// Every open change of this category.
    #[arg(long, conflicts_with = "all")]
    category: Option<String>,
    /// Every open change.
    #[arg(long)]
    all: bool,
    #[arg(long, short = 'm', default_value = "")]
    reason: String,
}

#[derive(Debug, clap::Args)]
pub struct EvalArgs {
    /// A folder of cases (each with case.toml, memory/, sessions/).
    dir: PathBuf,
    /// As for `lucid dream --engine`.
    #[arg(long, default_value = "builtin")]
    engine: String,
    #[arg(long, value_name = "MODEL")]
    model: Option<String>,
    /// Save the requests and responses of every case in DIR.
    #[arg(long, value_name = "DIR")]
    record: Option<PathBuf>,
    #[arg(long)]
    json: bool,
}

pub fn dream(env: &Env, args: DreamArgs) -> Result<(), Error> {
    let mut db = env.open()?;
    let (mut out, p) = (Out::new(), Paint::auto());
    match args.cmd {
        Some(DreamCmd::Ls {
            store,
            json: as_json,
        }) => {
            let list = db.dreams(store.store.as_deref())?;
            if as_json {
                return json(&list);
            }
            for d in &list {
                out.line(&format!(
                    "dream {:<4} {:<10} {:<16} {} {} sessions  proposal {}",
                    d.id,
                    status_color(p, &d.status),
                    safe(&d.store),
                    p.dim(&d.created_at),
                    d.session_ids.len(),
                    d.proposal_id.map_or("-".into(), |x| x.to_string())
                ))?;
            }
        }
        Some(DreamCmd::Show { id, json: as_json }) => {
            let d = db.dream(id)?;
            if as_json {
                return json(&d);
            }
            out.line(&format!(
                "dream {} on {}: {}",
                d.id,
                safe(&d.store),
                status_color(p, &d.status)
            ))?;
            out.line(&format!(
                "  engine   {} {}",
                safe(&d.engine),
                safe(&d.engine_version)
            ))?;
            out.line(&format!("  base op  {}", d.base_op_id))?;
            out.line(&format!("  sessions {}", d.session_ids.len()))?;
            out.line(&format!(
                "  inputs   {}",
                d.inputs_hash.as_deref().unwrap_or("-")
            ))?;
            if !d.instructions.is_empty() {
                out.line(&format!("  instructions {}", safe(&d.instructions)))?;
            }
            if let Some(e) = &d.error {
                out.line(&p.red(&format!("  error    {}", safe(e))))?;
            }
            if let Some(pid) = d.proposal_id {
                out.line(&format!("  proposal {pid}"))?;
            }
        }
        Some(DreamCmd::Cancel { id, reason }) => {
            let d = db.cancel_dream(&env.ctx, id, &reason)?;
            out.line(&format!("dream {} canceled", d.id))?;
        }
        None => {
            let a = args.run;
            let cancel = CancelToken::default();
            let store = pick_store(&db, a.store.store.as_deref())?;
            let chosen = if a.engine == "anthropic-dreams" {
                if a.record.is_some() || a.dry_run {
                    return Err(Error::Usage(
                        "--record and --dry-run apply to anthropic, openai and replay:DIR".into(),
                    ));
                }
                engines::anthropic_dreams(
                    &db,
                    &store,
                    a.model.as_deref(),
                    a.archive_output,
                    &cancel,
                )?
            } else {
                if a.archive_output {
                    return Err(Error::Usage(
                        "--archive-output applies to anthropic-dreams".into(),
                    ));
                }
                engines::choose(&a.engine, a.model.as_deref(), a.record.as_deref(), &cancel)?
            };
            let selection = if !a.sessions.is_empty() {
                Selection::Ids(a.sessions)
            } else if let Some(s) = a.since {
                Selection::Since(s)
            } else if let Some(n) = a.last {
                Selection::Last(n)
            } else {
                Selection::SinceLastDream
            };
            let ids = dreaming::select_sessions(&db, &store, &selection)?;
            if a.dry_run {
                return dry_run(&db, env, &chosen, &store, ids, &a.instructions, a.json);
            }
            if matches!(chosen, engines::Chosen::Llm { .. }) || a.engine == "anthropic-dreams" {
                let newest = db.dreams(Some(&store))?.first().map_or(0, |d| d.id);
                engines::cancel_on_ctrl_c(&cancel);
                engines::cancel_on_request(&env.db_path, &store, newest, &cancel);
            }
            let outcome = dreaming::run(
                &mut db,
                &env.ctx,
                chosen.engine(),
                &store,
                ids,
                &a.instructions,
            )?;
            engines::note_drift(&chosen);
            if a.json {
                return json(&serde_json::json!({
                    "dream_id": outcome.dream.id,
                    "status": outcome.dream.status,
                    "proposal_id": outcome.dream.proposal_id,
                    "changes": outcome.changes,
                    "sessions": outcome.dream.session_ids.len(),
                    "inputs_hash": outcome.dream.inputs_hash,
                    "gated_by": outcome.gated_by,
                    "applied": outcome.applied,
                }));
            }
            out.line(&format!(
                "dream {} {}: {} changes from {} sessions",
                outcome.dream.id,
                outcome.dream.status,
                outcome.changes,
                outcome.dream.session_ids.len()
            ))?;
            if let Some(pid) = outcome.dream.proposal_id {
                match &outcome.applied {
                    Some(r) => out.line(&format!(
                        "proposal {pid} applied automatically ({} files)",
                        r.written.len()
                    ))?,
                    None if !outcome.gated_by.is_empty() => out.line(&format!(
                        "proposal {pid} waits for review: auto mode held back by {}",
                        outcome.gated_by.join(", ")
                    ))?,
                    None => out.line(&format!("review it: lucid proposal show {pid}"))?,
                }
            }
        }
    }
    out.finish()
}

fn status_color(p: Paint, status: &str) -> String {
    match status {
        "completed" | "applied" => p.green(status),
        "failed" | "canceled" | "rejected" | "stale" => p.red(status),
        _ => p.yellow(status),
    }
}

pub fn proposal(env: &Env, cmd: ProposalCmd) -> Result<(), Error> {
    let mut db = env.open()?;
    let (mut out, p) = (Out::new(), Paint::auto());
    match cmd {
        ProposalCmd::Ls {
            store,
            state,
            json: as_json,
        } => {
            let list =
                db.proposals(store.as_deref(), state.as_deref().filter(|s| *s != "stale"))?;
            let list: Vec<_> = list
                .into_iter()
                .filter(|x| state.as_deref() != Some("stale") || x.stale)
                .collect();
            if as_json {
                return json(&list);
            }
            for x in &list {
                let cats: Vec<String> = x
                    .categories
                    .iter()
                    .map(|(c, n)| format!("{c} {n}"))
                    .collect();
                let flags = if x.flags.is_empty() {
                    String::new()
                } else {
                    p.red(&format!(" [{}]", x.flags.join(", ")))
                };
                out.line(&format!(
                    "proposal {:<4} {:<8}{} {:<16} {} {} changes ({}){}",
                    x.id,
                    status_color(p, &x.state),
                    if x.stale {
                        p.red(" stale")
                    } else {
                        String::new()
                    },
                    safe(&x.store),
                    p.dim(&x.created_at),
                    x.changes,
                    cats.join(", "),
                    flags
                ))?;
            }
        }
        ProposalCmd::Show {
            id,
            change,
            json: as_json,
        } => {
            let (proposal, changes) = db.proposal(id)?;
            let changes: Vec<_> = changes
                .into_iter()
                .filter(|c| change.is_none_or(|n| c.seq == n))
                .collect();
            if as_json {
                return json(&serde_json::json!({ "proposal": proposal, "changes": changes }));
            }
            out.line(&p.bold(&format!(
                "proposal {} on {} ({}, dream {}, base op {})",
                proposal.id,
                safe(&proposal.store),
                proposal.state,
                proposal.dream_id,
                proposal.base_op_id
            )))?;
            for c in &changes {
                let (base, proposed, resolution, _) = db.change_texts(c)?;
                let target = c
                    .new_path
                    .as_deref()
                    .map(|n| format!(" -> {}", safe(n)))
                    .unwrap_or_default();
                out.line("")?;
                out.line(&p.bold(&format!(
                    "change {} {} {}{} [{}] {}",
                    c.seq,
                    c.kind,
                    safe(&c.path),
                    target,
                    c.category,
                    c.state
                )))?;
                out.line(&format!("  why: {}", safe(&c.rationale)))?;
                for e in c.evidence.iter().take(8) {
                    out.line(&p.dim(&format!(
                        "  evidence: {} {} \"{}\"",
                        safe(e.session_id.as_deref().unwrap_or("memory")),
                        safe(e.event_id.as_deref().unwrap_or("")),
                        safe(&e.quote)
                    )))?;
                }
                if !c.flags.is_empty() {
                    out.line(&p.red(&format!("  flags: {}", c.flags.join(", "))))?;
                }
                out.line(&format!("  decision: {}", describe(&resolution)))?;
                for (i, h) in hunks(&base, &proposed, review::CONTEXT).iter().enumerate() {
                    out.line(&p.cyan(&format!(
                        "  @@ hunk {} -{},{} +{},{} @@",
                        i + 1,
                        h.old_start,
                        h.old_len,
                        h.new_start,
                        h.new_len
                    )))?;
                    for l in &h.lines {
                        let text = lucid::sanitize::text(&l.text, 8);
                        out.line(&match l.tag {
                            LineTag::Context => format!("   {text}"),
                            LineTag::Removed => p.red(&format!("  -{text}")),
                            LineTag::Added => p.green(&format!("  +{text}")),
                        })?;
                    }
                }
            }
        }
        ProposalCmd::Accept(a) => decide(env, &mut db, &a, Verdict::Accept, &mut out)?,
        ProposalCmd::Reject(a) => decide(env, &mut db, &a, Verdict::Reject, &mut out)?,
        ProposalCmd::Edit {
            id,
            change,
            file,
            reason,
        } => {
            let (_, changes) = db.proposal(id)?;
            let c = changes
                .iter()
                .find(|c| c.seq == change)
                .ok_or_else(|| Error::NotFound {
                    kind: "change",
                    name: change.to_string(),
                })?;
            let text = if let Some(f) = file {
                std::fs::read_to_string(&f).map_err(|e| Error::io(&f, e))?
            } else {
                let (_, proposed, resolution, current) = db.change_texts(c)?;
                let start = if matches!(resolution, review::Resolution::Undecided) {
                    proposed
                } else {
                    current
                };
                edit_in_editor(&start)?
            };
            db.decide(
                &env.ctx,
                id,
                &Target::Change {
                    seq: change,
                    hunk: None,
                },
                &Decision::Edit(text),
                &reason,
            )?;
            out.line(&format!("change {change}: edited"))?;
        }
        ProposalCmd::Undo { id, change } => {
            db.decide(
                &env.ctx,
                id,
                &Target::Change {
                    seq: change,
                    hunk: None,
                },
                &Decision::Undo,
                "",
            )?;
            out.line(&format!("change {change}: latest decision taken back"))?;
        }
        ProposalCmd::Apply { id, json: as_json } => {
            let report = db.apply_proposal(&env.ctx, id, OpKind::Apply)?;
            if as_json {
                return json(&report);
            }
            match &report.operation {
                Some(op) => out.line(&format!(
                    "op {}: wrote {} files",
                    op.op.id,
                    report.written.len()
                ))?,
                None => out.line("nothing to write")?,
            }
            for (path, seq) in &report.conflicts {
                out.line(&p.yellow(&format!(
                    "conflict: {} changed since the dream; review the rebased change {seq}",
                    safe(path)
                )))?;
            }
            out.line(&format!(
                "proposal {} is {} ({} changes still open)",
                id, report.state, report.left_open
            ))?;
        }
    }
    out.finish()
}

fn describe(r: &review::Resolution) -> String {
    match r {
        review::Resolution::Undecided => "undecided".into(),
        review::Resolution::Edited(_) => "edited".into(),
        review::Resolution::Hunks(v) => v
            .iter()
            .map(|(h, v)| {
                format!(
                    "hunk {} {}",
                    h + 1,
                    if *v == Verdict::Accept {
                        "accepted"
                    } else {
                        "rejected"
                    }
                )
            })
            .collect::<Vec<_>>()
            .join(", "),
    }
}

fn decide(
    env: &Env,
    db: &mut lucid::Db,
    a: &DecideArgs,
    verdict: Verdict,
    out: &mut Out,
) -> Result<(), Error> {
    let target = match (&a.change, &a.category, a.all) {
        (Some(seq), _, _) => Target::Change {
            seq: *seq,
            hunk: a.hunk.map(|h| h.saturating_sub(1)),
        },
        (None, Some(cat), _) => Target::Category(cat.clone()),
        (None, None, true) => Target::All,
        (None, None, false) => {
            return Err(Error::Usage(
                "choose --change N, --category C or --all".into(),
            ));
        }
    };
    if a.hunk == Some(0) {
        return Err(Error::Usage("hunks are numbered from 1".into()));
    }
    let hunk = match target {
        Target::Change { hunk, .. } => hunk,
        _ => None,
    };
    let n = db.decide(
        &env.ctx,
        a.id,
        &target,
        &Decision::Verdict { hunk, verdict },
        &a.reason,
    )?;
    let word = if verdict == Verdict::Accept {
        "accepted"
    } else {
        "rejected"
    };
    out.line(&format!(
        "{word} {n} change{}",
        if n == 1 { "" } else { "s" }
    ))
}

/// Opens `$VISUAL` / `$EDITOR` (else `vi`) on a private temporary file holding `text`.
fn edit_in_editor(text: &str) -> Result<String, Error> {
    if !std::io::stdin().is_terminal() {
        return Err(Error::Usage(
            "no terminal for an editor: pass --file PATH".into(),
        ));
    }
    let dir = std::env::temp_dir();
    let path = dir.join(format!("lucid-edit-{}.md", std::process::id()));
    std::fs::write(&path, text).map_err(|e| Error::io(&path, e))?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    // The editor command may carry arguments (`code --wait`); it is the user's own setting.
    let mut parts = editor.split_whitespace();
    let program = parts.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(parts)
        .arg(&path)
        .status()
        .map_err(|e| Error::io(program, e))?;
    let result = std::fs::read_to_string(&path).map_err(|e| Error::io(&path, e));
    let _ = std::fs::remove_file(&path);
    if !status.success() {
        return Err(Error::Invalid(format!(
            "{program} exited with {status}; nothing was recorded"
        )));
    }
    result
}

/// `lucid dream --dry-run`: what a model-backed dream would send, and what it would cost.
fn dry_run(
    db: &lucid::Db,
    env: &Env,
    chosen: &engines::Chosen,
    store: &str,
    sessions: Vec<i64>,
    instructions: &str,
    as_json: bool,
) -> Result<(), Error> {
    let engines::Chosen::Llm { engine, config, .. } = chosen else {
        return Err(Error::Usage(
            "--dry-run applies to model-backed engines (anthropic, openai, replay:DIR)".into(),
        ));
    };
    let count = sessions.len();
    let input = dreaming::preview_input(db, &env.ctx, store, sessions, instructions)?;
    let plan = engine
        .dry_run(&input, config)
        .map_err(|e| Error::Invalid(e.to_string()))?;
    if as_json {
        return json(&plan);
    }
    let mut out = Out::new();
    out.line(&format!(
        "dry run: {} ({}) on store {}, {} files, {count} sessions; nothing sent",
        safe(&plan.engine),
        safe(&plan.model),
        safe(store),
        input.files.len()
    ))?;
    out.line(&format!(
        "  plan      {} ({} request{})",
        plan.plan,
        plan.requests,
        if plan.requests == 1 { "" } else { "s" }
    ))?;
    out.line(&format!(
        "  input     ~{} tokens (estimated)",
        plan.estimated_input_tokens
    ))?;
    out.line(&format!(
        "  output    at most {} tokens",
        plan.max_output_tokens
    ))?;
    out.line(&format!(
        "  cost      ~${:.2} typical, at most ${:.2} (at ${}/${} per million input/output tokens)",
        plan.typical_cost_usd,
        plan.max_cost_usd,
        config.price_input_per_mtok,
        config.price_output_per_mtok
    ))
}

pub fn eval(args: &EvalArgs) -> Result<(), Error> {
    let cancel = CancelToken::default();
    let chosen = engines::choose(
        &args.engine,
        args.model.as_deref(),
        args.record.as_deref(),
        &cancel,
    )?;
    if let engines::Chosen::Llm { .. } = chosen {
        engines::cancel_on_ctrl_c(&cancel);
    }
    let mut scores = Vec::new();
    for dir in lucid::eval::case_dirs(&args.dir)? {
        let case = lucid::eval::load_case(&dir)?;
        scores.push(lucid::eval::run_in_db(chosen.engine(), &case)?);
    }
    engines::note_drift(&chosen);
    if scores.is_empty() {
        return Err(Error::Invalid(format!(
            "{}: no cases (folders with case.toml)",
            args.dir.display()
        )));
    }
    let summary = lucid::eval::Summary::new(scores);
    if args.json {
        return json(&summary);
    }
    let (mut out, p) = (Out::new(), Paint::auto());
    let pct = |a: usize, b: usize| {
        if b == 0 {
            100.0
        } else {
            a as f64 * 100.0 / b as f64
        }
    };
    for s in &summary.scores {
        let mark = if s.passed {
            p.green("PASS")
        } else {
            p.red("FAIL")
        };
        out.line(&format!("{mark} {}", safe(&s.case)))?;
        for o in s.outcomes.iter().filter(|o| !o.passed) {
            let what = o.expect.text.clone().unwrap_or_else(|| {
                format!(
                    "all {:?}{}",
                    o.expect.all,
                    if o.expect.any.is_empty() {
                        String::new()
                    } else {
                        format!(" any {:?}", o.expect.any)
                    }
                )
            });
            out.line(&format!(
                "       {} {}",
                o.expect.kind.as_str(),
                safe(&what)
            ))?;
        }
        if !s.deleted_ok {
            out.line(&format!(
                "       deleted {:.0}% of lines, over the limit",
                s.deleted_fraction * 100.0
            ))?;
        }
        if !s.index_ok {
            out.line(&format!(
                "       MEMORY.md has {} lines, over the limit",
                s.index_lines
            ))?;
        }
    }
    out.line("")?;
    for (kind, (passed, total)) in &summary.by_kind {
        out.line(&format!(
            "{kind:<8} {passed:>3}/{total:<3} {:5.1}%",
            pct(*passed, *total)
        ))?;
    }
    out.line(&format!(
        "changes  {:>3}/{:<3} {:5.1}%",
        summary.change_passed,
        summary.change_total,
        pct(summary.change_passed, summary.change_total)
    ))?;
    out.line(&format!(
        "cases    {:>3}/{:<3} {:5.1}%",
        summary.cases_passed,
        summary.cases,
        pct(summary.cases_passed, summary.cases)
    ))?;
    out.finish()
}
