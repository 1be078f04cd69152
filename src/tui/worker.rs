//! The worker thread: owns the database connection and performs effects through the core, off
//! the render path; every effect answers with exactly one [`Msg`]. It also polls
//! `PRAGMA data_version` to notice commits by other connections (agents, other reviewers).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::sync::mpsc::{Receiver, Sender};

use crate::model::{OpKind, ProposalChange};
use crate::review;
use crate::store::Db;
use crate::util::Ctx;

use super::effect::Effect;
use super::history_jobs;
use super::rows;
use super::state::{AuditView, FileReview, Review, SessionRef, Verify};
use super::update::Msg;

/// What the runtime asks of the worker.
#[derive(Debug)]
pub enum Job {
    Effect(Effect),
    /// Check `data_version`; answers only when it changed.
    Poll,
}

/// Owns `db` and runs until the job channel closes. `now` gives the time for each write.
pub fn run(
    mut db: Db,
    mut ctx: Ctx,
    now: impl Fn() -> Option<String>,
    jobs: &Receiver<Job>,
    out: &Sender<Msg>,
) {
    let mut version = db.data_version().ok();
    while let Ok(job) = jobs.recv() {
        let msg = match job {
            Job::Poll => {
                let v = db.data_version().ok();
                if v.is_some() && v != version {
                    version = v;
                    Some(Msg::ExternalChange)
                } else {
                    None
                }
            }
            Job::Effect(effect) => {
                if let Some(t) = now() {
                    ctx.now = t;
                }
                Some(perform(&mut db, &ctx, effect).unwrap_or_else(|e| Msg::Failed(e.to_string())))
            }
        };
        if let Some(msg) = msg
            && out.send(msg).is_err()
        {
            break;
        }
    }
}

fn perform(db: &mut Db, ctx: &Ctx, effect: Effect) -> crate::Result<Msg> {
    Ok(match effect {
        Effect::LoadInbox => Msg::InboxLoaded(db.waiting_proposals()?),
        Effect::LoadProposal(id) => Msg::ProposalLoaded(Box::new(load(db, id)?)),
        Effect::Decide {
            proposal,
            target,
            decision,
            reason,
        } => {
            db.decide(ctx, proposal, &target, &decision, &reason)?;
            Msg::Done {
                text: String::new(),
                reload: Some(proposal),
            }
        }
        Effect::Apply(id) => {
            let report = db.apply_proposal(ctx, id, OpKind::Apply)?;
            let op = report.operation.as_ref().map_or_else(
                || "no operation".to_owned(),
                |o| format!("operation #{}", o.op.id),
            );
            let mut text = format!(
                "Applied #{id}: wrote {} file(s) as {op}",
                report.written.len()
            );
            if !report.conflicts.is_empty() {
                let _ = write!(text, "; {} conflict(s) re-proposed", report.conflicts.len());
            }
            if report.left_open > 0 {
                let _ = write!(text, "; {} left open", report.left_open);
            }
            Msg::Done {
                text,
                reload: Some(id),
            }
        }
        Effect::LoadEvidence {
            session,
            event,
            index,
        } => {
            let info = db.session(&session)?;
            let events = db.events(info.id)?;
            let (title, lines) = session_lines(&info, &events, event.as_deref());
            let focus = lines.iter().position(|l| l.starts_with('▶')).unwrap_or(0);
            Msg::EvidenceLoaded {
                index,
                title,
                lines,
                focus,
            }
        }
        Effect::LoadAudit => {
            let mut records =
                crate::audit::records(db.connection(), &crate::audit::Filter::default())?;
            records.reverse();
            let verify = match crate::audit::verify(db.connection()) {
                Ok(v) => Verify::Ok {
                    records: v.records,
                    head: v.head_hash,
                },
                Err(crate::Error::AuditBroken { seq, why }) => Verify::Broken { seq, why },
                Err(e) => Verify::Failed(e.to_string()),
            };
            Msg::AuditLoaded(Box::new(AuditView {
                records,
                verify,
                selected: 0,
                filter: String::new(),
            }))
        }
        e @ (Effect::LoadHistory(_)
        | Effect::LoadHistoryAt { .. }
        | Effect::PreviewRollback { .. }
        | Effect::Rollback { .. }
        | Effect::LoadOpDiff { .. }
        | Effect::LoadBlame { .. }
        | Effect::LoadFiles { .. }
        | Effect::Tag { .. }
        | Effect::SearchHistory { .. }) => history_jobs::perform(db, ctx, e)?,
        Effect::OpenEditor { .. } | Effect::Quit => {
            Msg::Failed("internal: the runtime performs this effect itself".into())
        }
    })
}

/// Events shown on each side of the quoted one.
const AROUND: usize = 8;
/// Lines of one event's text shown before `…`.
const EVENT_LINES: usize = 12;

/// The session around the quoted event: a title and lines (untrusted; sanitized when drawn).
fn session_lines(
    info: &crate::model::SessionInfo,
    events: &[crate::model::EventRow],
    event: Option<&str>,
) -> (String, Vec<String>) {
    let at = event.and_then(|id| {
        events
            .iter()
            .position(|e| e.external_id.as_deref() == Some(id))
    });
    let center = at.unwrap_or(0);
    let from = center.saturating_sub(AROUND);
    let to = (center + AROUND + 1).min(events.len());
    let mut lines = vec![format!(
        "{} · {} · {} event(s){}",
        info.source,
        info.started_at.as_deref().unwrap_or("?"),
        events.len(),
        info.title
            .as_deref()
            .map(|t| format!(" · {t}"))
            .unwrap_or_default()
    )];
    if event.is_some() && at.is_none() {
        lines.push("(the quoted event is not in this session; showing its start)".into());
    }
    if from > 0 {
        lines.push(format!("… {from} earlier event(s)"));
    }
    for (i, e) in events.iter().enumerate().take(to).skip(from) {
        let mark = if Some(i) == at { "▶" } else { " " };
        lines.push(format!(
            "{mark} #{} {} {}{} {}",
            e.seq,
            e.role.as_deref().unwrap_or("-"),
            e.kind,
            if e.is_error { " (error)" } else { "" },
            e.at.as_deref().unwrap_or("")
        ));
        let text: Vec<&str> = e.text.lines().collect();
        for l in text.iter().take(EVENT_LINES) {
            lines.push(format!("    {l}"));
        }
        if text.len() > EVENT_LINES {
            lines.push(format!("    … {} more line(s)", text.len() - EVENT_LINES));
        }
    }
    if to < events.len() {
        lines.push(format!("… {} later event(s)", events.len() - to));
    }
    let title = format!(
        "{} · session {}{}",
        info.agent,
        info.external_id,
        event.map(|e| format!(" · event {e}")).unwrap_or_default()
    );
    (title, lines)
}

fn hunks_of(change: &ProposalChange, base: &str, proposed: &str) -> usize {
    if change.kind == "create" || change.kind == "delete" {
        1
    } else {
        review::hunk_count(base, proposed).max(1)
    }
}

/// A proposal with its texts, decisions and display rows.
pub fn load(db: &Db, id: i64) -> crate::Result<Review> {
    let (proposal, changes) = db.proposal(id)?;
    let store = db.store(&proposal.store)?;
    let head: BTreeMap<String, String> = db
        .entries(&store, None)?
        .into_iter()
        .map(|e| (e.path, e.sha256))
        .collect();
    let mut files = Vec::with_capacity(changes.len());
    for change in changes {
        let (base, proposed, resolution, result) = db.change_texts(&change)?;
        // After an edit the diff shows what will be written: the base against the edit.
        let shown = if matches!(resolution, review::Resolution::Edited(_)) {
            &result
        } else {
            &proposed
        };
        let moved = change.state == "open"
            && match change.kind.as_str() {
                "create" => head.contains_key(&change.path),
                _ => head.get(&change.path) != change.base_sha256.as_ref(),
            };
        files.push(FileReview {
            hunks: hunks_of(&change, &base, &proposed),
            diff: rows::build(&base, shown),
            change,
            base,
            proposed,
            resolution,
            undo: Vec::new(),
            moved,
        });
    }
    let mut sessions = BTreeMap::new();
    for e in files.iter().flat_map(|f| &f.change.evidence) {
        if let Some(id) = &e.session_id
            && !sessions.contains_key(id)
            && let Ok(s) = db.session(id)
        {
            let at = s.started_at;
            sessions.insert(
                id.clone(),
                SessionRef {
                    agent: s.agent,
                    started_at: at,
                },
            );
        }
    }
    Ok(Review {
        proposal,
        files,
        sessions,
        file: 0,
        hunk: 0,
        scroll: 0,
        skip: 0,
        detail_scroll: 0,
        toggle_layout: false,
    })
}
