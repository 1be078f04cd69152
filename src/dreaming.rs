//! Running a dream: choose the sessions, take the store's dream lease, run the engine on the
//! state at the base operation, check its output (paths, limits, pinned entries, deletion budget,
//! secrets, injected text, evidence) and store it as a proposal — applied at once in auto mode
//! when every gate passes.

use std::collections::BTreeMap;

use serde::Serialize;

use crate::dream::{self, DreamInput, DreamOutput, Engine, EngineError};
use crate::error::{Error, Result};
use crate::model::Dream;
use crate::store::{ApplyReport, Db, DreamStart, NewChange, notes_by_path};
use crate::util::{Ctx, sha256_hex};
use crate::{eval, injection, memory_path, secrets};

/// Which sessions a dream reads.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selection {
    /// Those imported for the store since its last dream, newest 100.
    SinceLastDream,
    /// These sessions (local ids or source ids).
    Ids(Vec<String>),
    /// The store's sessions that started at or after this time.
    Since(String),
    /// The store's newest N sessions.
    Last(usize),
}

/// What `lucid dream` did.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Outcome {
    pub dream: Dream,
    pub changes: usize,
    /// Flags that kept an auto-mode store from applying the proposal.
    pub gated_by: Vec<String>,
    pub applied: Option<ApplyReport>,
}

/// Flags that stop an automatic apply.
const GATING_FLAGS: &[&str] = &[
    "secret",
    "suspicious_source",
    "touches_pinned",
    "over_deletion_budget",
    "unverified_evidence",
];

/// Resolves a selection to local session ids (newest first), refusing more than 100.
pub fn select_sessions(db: &Db, store: &str, selection: &Selection) -> Result<Vec<i64>> {
    let meta = db.store(store)?;
    let ids: Vec<i64> = match selection {
        Selection::SinceLastDream => db.sessions_since_last_dream(&meta)?,
        Selection::Ids(refs) => refs
            .iter()
            .map(|r| db.session(r).map(|s| s.id))
            .collect::<Result<_>>()?,
        Selection::Since(t) => {
            let since = crate::util::normalize_time(t).ok_or_else(|| {
                Error::Usage(format!("--since {t:?} is not a date or RFC 3339 time"))
            })?;
            db.sessions(Some(store), None)?
                .into_iter()
                .filter(|s| s.started_at.as_deref().is_some_and(|a| a >= since.as_str()))
                .map(|s| s.id)
                .collect()
        }
        Selection::Last(n) => db
            .sessions(Some(store), None)?
            .into_iter()
            .take(*n)
            .map(|s| s.id)
            .collect(),
    };
    if ids.len() > dream::MAX_SESSIONS {
        return Err(Error::Usage(format!(
            "a dream reads at most {} sessions; {} were selected (use --last N or --since DATE)",
            dream::MAX_SESSIONS,
            ids.len()
        )));
    }
    Ok(ids)
}

/// Runs one dream on `store` and stores its proposal.
pub fn run(
    db: &mut Db,
    ctx: &Ctx,
    engine: &dyn Engine,
    store: &str,
    sessions: Vec<i64>,
    instructions: &str,
) -> Result<Outcome> {
    if instructions.chars().count() > dream::MAX_INSTRUCTIONS {
        return Err(Error::Usage(format!(
            "instructions are limited to {} characters",
            dream::MAX_INSTRUCTIONS
        )));
    }
    if sessions.len() > dream::MAX_SESSIONS {
        return Err(Error::Usage(format!(
            "a dream reads at most {} sessions",
            dream::MAX_SESSIONS
        )));
    }
    let meta = db.store(store)?;
    let start = DreamStart {
        engine: engine.name().to_owned(),
        engine_version: engine.version().to_owned(),
        instructions: instructions.to_owned(),
        session_ids: sessions,
    };
    let running = db.start_dream(ctx, store, &start, std::process::id())?;
    let input = db.dream_input(&running, &ctx.now, meta.deletion_budget)?;
    let inputs_hash = inputs_hash(engine, &input);
    let output = match engine.dream(&input) {
        Ok(o) => o,
        Err(EngineError::Canceled) => {
            // `lucid dream cancel` may have marked it already; Ctrl-C has not.
            if db.dream(running.id)?.status == "running" {
                db.cancel_dream(ctx, running.id, "interrupted")?;
            }
            return Err(Error::Interrupted(running.id));
        }
        Err(EngineError::Failed(why)) => {
            db.fail_dream(ctx, running.id, &why)?;
            return Err(Error::Engine {
                dream: running.id,
                why,
            });
        }
    };
    let changes = match proposal_changes(&input, &output, meta.max_content_bytes) {
        Ok(c) => c,
        Err(e) => {
            db.fail_dream(ctx, running.id, &e.to_string())?;
            return Err(e);
        }
    };
    let gated_by: Vec<String> = {
        let mut g: Vec<String> = changes
            .iter()
            .flat_map(|c| c.flags.iter())
            .filter(|f| GATING_FLAGS.contains(&f.as_str()))
            .cloned()
            .collect();
        g.sort();
        g.dedup();
        g
    };
    let auto_ctx = Ctx {
        actor: "dream:auto".into(),
        now: ctx.now.clone(),
    };
    let auto =
        (meta.mode == "auto" && !changes.is_empty() && gated_by.is_empty()).then_some(&auto_ctx);
    let usage = output.usage.as_ref();
    let (_, applied) = db.finish_dream(ctx, running.id, &inputs_hash, usage, &changes, auto)?;
    let dream = db.dream(running.id)?;
    let gated_by = if meta.mode == "auto" {
        gated_by
    } else {
        Vec::new()
    };
    Ok(Outcome {
        dream,
        changes: changes.len(),
        gated_by,
        applied,
    })
}

/// SHA-256 over the engine's identity and its whole input: equal hashes, equal proposals.
pub fn inputs_hash(engine: &dyn Engine, input: &DreamInput) -> String {
    let body = serde_json::to_string(&(engine.name(), engine.version(), input)).unwrap_or_default();
    sha256_hex(body.as_bytes())
}

/// The file changes between the base and the engine's output, with notes and flags. Fails when
/// the engine wrote a path that breaks the rules or content over the store's limit.
pub fn proposal_changes(
    input: &DreamInput,
    output: &DreamOutput,
    max_bytes: usize,
) -> Result<Vec<NewChange>> {
    let base: BTreeMap<&str, &str> = input
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    for (path, content) in &output.files {
        memory_path::validate(path)?;
        if content.len() > max_bytes {
            return Err(Error::TooLarge {
                what: format!("proposed {path}"),
                size: content.len(),
                limit: max_bytes,
            });
        }
    }
    let notes = notes_by_path(&output.notes);
    let before: eval::Files = base
        .iter()
        .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
        .collect();
    let deleted = eval::deleted_fraction(&before, &output.files);
    let mut created: Vec<(&String, &String)> = output
        .files
        .iter()
        .filter(|(p, _)| !base.contains_key(p.as_str()))
        .collect();
    let mut out = Vec::new();
    for (path, old) in &base {
        match output.files.get(*path) {
            Some(new) if new == old => {}
            Some(new) => out.push(change("modify", path, None, Some(old), Some(new), &notes)),
            None => {
                // A deleted file whose content reappears under a new path is a rename.
                if let Some(i) = created.iter().position(|(_, c)| c.as_str() == *old) {
                    let (to, content) = created.remove(i);
                    out.push(change(
                        "rename",
                        path,
                        Some(to),
                        Some(old),
                        Some(content),
                        &notes,
                    ));
                } else {
                    out.push(change("delete", path, None, Some(old), None, &notes));
                }
            }
        }
    }
    for (path, content) in created {
        out.push(change("create", path, None, None, Some(content), &notes));
    }
    for c in &mut out {
        c.flags = flags(c, input, deleted);
    }
    out.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(out)
}

fn change(
    kind: &'static str,
    path: &str,
    new_path: Option<&String>,
    base: Option<&str>,
    proposed: Option<&String>,
    notes: &BTreeMap<String, (String, String, Vec<dream::Evidence>)>,
) -> NewChange {
    let note = notes
        .get(new_path.map_or(path, String::as_str))
        .or_else(|| notes.get(path));
    let (category, rationale, evidence) = match note {
        Some((c, r, e)) => (c.clone(), r.clone(), e.clone()),
        None if path == "/MEMORY.md" => (
            "index".into(),
            "Keeps the index in step with the topic files.".into(),
            Vec::new(),
        ),
        None => (
            "reorganize".into(),
            "The engine changed this file without a note.".into(),
            Vec::new(),
        ),
    };
    NewChange {
        kind,
        path: path.to_owned(),
        new_path: new_path.cloned(),
        base: base.map(str::to_owned),
        proposed: proposed.cloned(),
        category,
        rationale,
        evidence,
        flags: Vec::new(),
    }
}

/// Lines a reviewer must look twice at.
fn flags(c: &NewChange, input: &DreamInput, deleted: f64) -> Vec<String> {
    let mut flags = Vec::new();
    let base = c.base.as_deref().unwrap_or("");
    let proposed = c.proposed.as_deref().unwrap_or("");
    let added: Vec<&str> = proposed
        .lines()
        .filter(|l| !base.lines().any(|b| b == *l))
        .collect();
    if added.iter().any(|l| secrets::contains_secret(l)) {
        flags.push("secret".to_owned());
    }
    if added.iter().any(|l| injection::is_suspicious(l)) {
        flags.push("suspicious_source".to_owned());
    }
    if touches_pinned(base, proposed, c.kind) {
        flags.push("touches_pinned".to_owned());
    }
    if deleted > input.deletion_budget + 1e-9 {
        flags.push("over_deletion_budget".to_owned());
    } else if deleted >= input.deletion_budget * 0.8 && deleted > 0.0 {
        flags.push("near_deletion_budget".to_owned());
    }
    if !c.evidence.iter().all(|e| evidence_holds(e, input)) {
        flags.push("unverified_evidence".to_owned());
    }
    flags
}

/// A pinned file (frontmatter `pinned: true`) must not change; a line marked
/// `<!-- lucid:pin -->` must survive verbatim.
fn touches_pinned(base: &str, proposed: &str, kind: &str) -> bool {
    let frontmatter_pinned = base.starts_with("---")
        && base
            .lines()
            .skip(1)
            .take_while(|l| l.trim() != "---")
            .any(|l| l.trim() == "pinned: true");
    if frontmatter_pinned && (kind != "modify" || base != proposed) {
        return true;
    }
    base.lines()
        .filter(|l| l.contains("<!-- lucid:pin -->"))
        .any(|l| !proposed.lines().any(|p| p == l))
}

/// The quote occurs in the cited event (or, without a session, in a memory file).
fn evidence_holds(e: &dream::Evidence, input: &DreamInput) -> bool {
    let quote = e.quote.trim();
    match &e.session_id {
        None => quote.is_empty() || input.files.iter().any(|f| f.content.contains(quote)),
        Some(sid) => input.sessions.iter().filter(|s| &s.id == sid).any(|s| {
            s.events
                .iter()
                .filter(|ev| e.event_id.as_ref().is_none_or(|id| &ev.id == id))
                .any(|ev| ev.text.contains(quote))
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn input(files: &[(&str, &str)]) -> DreamInput {
        DreamInput {
            files: files
                .iter()
                .map(|(p, c)| dream::MemoryFile {
                    path: (*p).into(),
                    content: (*c).into(),
                    written_at: "2026-01-01T00:00:00.000Z".into(),
                })
                .collect(),
            sessions: Vec::new(),
            now: "2026-01-02T00:00:00.000Z".into(),
            instructions: String::new(),
            deletion_budget: 0.3,
        }
    }

    fn output(files: &[(&str, &str)]) -> DreamOutput {
        DreamOutput {
            files: files
                .iter()
                .map(|(p, c)| ((*p).into(), (*c).into()))
                .collect(),
            notes: Vec::new(),
            usage: None,
        }
    }

    #[test]
    fn changes_are_classified_and_renames_detected() {
        let i = input(&[("/a.md", "a\n"), ("/b.md", "b\n"), ("/c.md", "c\n")]);
        let o = output(&[("/a.md", "A\n"), ("/c2.md", "c\n"), ("/d.md", "d\n")]);
        let kinds: Vec<(&str, String)> = proposal_changes(&i, &o, 1000)
            .unwrap()
            .iter()
            .map(|c| (c.kind, c.path.clone()))
            .collect();
        assert_eq!(
            kinds,
            [
                ("modify", "/a.md".into()),
                ("delete", "/b.md".into()),
                ("rename", "/c.md".into()),
                ("create", "/d.md".into())
            ]
        );
    }

    #[test]
    fn a_bad_path_or_oversized_content_fails_the_dream() {
        let i = input(&[]);
        assert!(proposal_changes(&i, &output(&[("/a/../b", "x")]), 1000).is_err());
        assert!(proposal_changes(&i, &output(&[("/a.md", "xxxx")]), 3).is_err());
    }

    #[test]
    fn pinned_lines_and_files_are_flagged_when_touched() {
        assert!(touches_pinned(
            "keep <!-- lucid:pin -->\nother\n",
            "other\n",
            "modify"
        ));
        assert!(!touches_pinned(
            "keep <!-- lucid:pin -->\nother\n",
            "keep <!-- lucid:pin -->\n",
            "modify"
        ));
        assert!(touches_pinned(
            "---\npinned: true\n---\nx\n",
            "---\npinned: true\n---\ny\n",
            "modify"
        ));
        assert!(touches_pinned("---\npinned: true\n---\nx\n", "", "delete"));
    }

    #[test]
    fn evidence_must_quote_the_cited_event() {
        let mut i = input(&[("/a.md", "fact\n")]);
        i.sessions.push(dream::Session {
            id: "s1".into(),
            agent: "a".into(),
            started_at: None,
            events: vec![dream::Event {
                id: "e1".into(),
                seq: 0,
                kind: "user".into(),
                role: Some("user".into()),
                at: None,
                thread: "main".into(),
                is_error: false,
                text: "please use pnpm".into(),
            }],
            tool_calls: Vec::new(),
        });
        let ev = |s: Option<&str>, e: Option<&str>, q: &str| dream::Evidence {
            session_id: s.map(Into::into),
            event_id: e.map(Into::into),
            quote: q.into(),
        };
        assert!(evidence_holds(&ev(Some("s1"), Some("e1"), "use pnpm"), &i));
        assert!(!evidence_holds(&ev(Some("s1"), Some("e1"), "use npm!"), &i));
        assert!(!evidence_holds(&ev(Some("s2"), None, "use pnpm"), &i));
        assert!(evidence_holds(&ev(None, None, "fact"), &i));
    }
}
