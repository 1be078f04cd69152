//! The worker's history jobs: loading the operation log, rollback preview and rollback, the
//! diff between two operations, blame with the evidence behind dream-written lines, the files
//! of a past state, and tagging — all through the core, never SQL. Runs on the worker thread.

use std::collections::BTreeMap;

use crate::store::Db;
use crate::util::Ctx;

use super::blame::{BlameView, Cited, Origin};
use super::doc::Cursor;
use super::effect::Effect;
use super::opdiff::{OpDiff, OpFile};
use super::state::{History, HistorySearch};
use super::update::Msg;

/// Operations the history screen loads (newest first).
const HISTORY_LIMIT: usize = 2_000;

/// A file's paths and bytes on both sides of a comparison.
type Paths = (
    Option<String>,
    Option<String>,
    Option<Vec<u8>>,
    Option<Vec<u8>>,
);

fn lossy(b: Option<&[u8]>) -> String {
    b.map(|b| String::from_utf8_lossy(b).into_owned())
        .unwrap_or_default()
}

/// The history of store `name` (the first store without one): the newest `limit` operations,
/// and, when `focus` is older than those, every operation down to it, so a jump from blame
/// selects that operation and not the newest.
fn history(db: &Db, name: Option<String>, focus: Option<i64>, limit: usize) -> crate::Result<Msg> {
    let store = match name {
        Some(n) => db.store(&n)?,
        None => db
            .stores()?
            .into_iter()
            .next()
            .ok_or_else(|| crate::Error::NotFound {
                kind: "store",
                name: "(any)".into(),
            })?,
    };
    let limit = match focus {
        Some(op) => limit.max(db.ops_since(&store, op)?),
        None => limit,
    };
    let ops = db.log(&store, Some(limit))?;
    let selected = focus
        .and_then(|id| ops.iter().position(|o| o.op.id == id))
        .unwrap_or(0);
    Ok(Msg::HistoryLoaded(Box::new(History {
        store: store.name,
        ops,
        selected,
        preview: None,
        mark: None,
        search: None,
    })))
}

/// The history of `store` narrowed to the operations that added or removed `text`.
fn search(db: &Db, store: String, text: String) -> crate::Result<Msg> {
    let s = db.store(&store)?;
    let (ops, matches) = db
        .search_history(&s, &text, Some(HISTORY_LIMIT))?
        .into_iter()
        .map(|h| (h.op, h.matches))
        .unzip();
    Ok(Msg::HistoryLoaded(Box::new(History {
        store,
        ops,
        selected: 0,
        preview: None,
        mark: None,
        search: Some(HistorySearch {
            text,
            matches,
            head: s.head_op_id,
        }),
    })))
}

/// Performs one history effect (the worker routes only these here).
pub fn perform(db: &mut Db, ctx: &Ctx, effect: Effect) -> crate::Result<Msg> {
    Ok(match effect {
        Effect::LoadHistory(name) => history(db, name, None, HISTORY_LIMIT)?,
        Effect::LoadHistoryAt { store, op } => history(db, Some(store), Some(op), HISTORY_LIMIT)?,
        Effect::SearchHistory { store, text } => search(db, store, text)?,
        Effect::PreviewRollback { store, op } => {
            let s = db.store(&store)?;
            let diffs: Vec<Paths> = db
                .diff_states(&s, s.head_op_id, op, None)?
                .into_iter()
                .map(|d| (d.old_path, d.new_path, d.old, d.new))
                .collect();
            Msg::RollbackPreview {
                store,
                op,
                lines: preview_lines(&diffs, op),
            }
        }
        Effect::Rollback { store, op, reason } => {
            let detail = db.rollback(ctx, &store, op, &reason)?;
            Msg::Done {
                text: format!(
                    "Rolled {store} back to operation #{op} (new operation #{})",
                    detail.op.id
                ),
                reload: None,
            }
        }
        Effect::LoadOpDiff { store, from, to } => {
            let s = db.store(&store)?;
            let to_op = db.operation(&s, to)?.op;
            let from = from.or(to_op.parent_id);
            let from_op = from.map(|f| db.operation(&s, f)).transpose()?.map(|d| d.op);
            let files = db
                .diff_states(&s, from, to, None)?
                .into_iter()
                .map(|d| {
                    let (old, new) = (lossy(d.old.as_deref()), lossy(d.new.as_deref()));
                    OpFile::new(d.old_path, d.new_path, &old, &new)
                })
                .collect();
            Msg::OpDiffLoaded(Box::new(OpDiff {
                store,
                from: from_op,
                to: to_op,
                files,
                cursor: Cursor::default(),
                toggle_layout: false,
            }))
        }
        Effect::LoadBlame { store, path, at } => {
            let s = db.store(&store)?;
            let lines = db.blame(&s, &path, at)?;
            let mut origins = BTreeMap::new();
            for l in &lines {
                if let Some(p) = l.proposal_id
                    && !origins.contains_key(&l.op_id)
                {
                    origins.insert(l.op_id, origin(db, p, &path));
                }
            }
            Msg::BlameLoaded(Box::new(BlameView {
                store,
                path,
                at,
                lines,
                origins,
                selected: 0,
                detail_scroll: 0,
            }))
        }
        Effect::LoadFiles { store, at } => {
            let s = db.store(&store)?;
            let files = db
                .entries(&s, Some(at))?
                .into_iter()
                .map(|e| e.path)
                .collect();
            Msg::FilesLoaded { store, at, files }
        }
        Effect::Tag { store, op, name } => {
            let detail = db.tag(ctx, &store, &name, Some(&op.to_string()))?;
            Msg::Done {
                text: format!("Tagged #{op} as {name} (operation #{})", detail.op.id),
                reload: None,
            }
        }
        other => Msg::Failed(format!("internal: not a history effect: {other:?}")),
    })
}

/// The rationale and evidence of a proposal's change to `path` (the applied one when there
/// are several), with each cited session's agent and start.
fn origin(db: &Db, proposal: i64, path: &str) -> Origin {
    let Ok((_, changes)) = db.proposal(proposal) else {
        return Origin::default();
    };
    let touching: Vec<_> = changes
        .iter()
        .filter(|c| c.path == path || c.new_path.as_deref() == Some(path))
        .collect();
    let applied: Vec<_> = touching
        .iter()
        .copied()
        .filter(|c| c.state == "applied")
        .collect();
    let chosen = if applied.is_empty() {
        touching
    } else {
        applied
    };
    let mut out = Origin::default();
    for c in chosen {
        if out.rationale.is_empty() {
            out.rationale.clone_from(&c.rationale);
        }
        for e in &c.evidence {
            let session = e.session_id.as_deref().and_then(|id| db.session(id).ok());
            out.evidence.push(Cited {
                session: e.session_id.clone(),
                event: e.event_id.clone(),
                agent: session.as_ref().map(|s| s.agent.clone()),
                started_at: session.and_then(|s| s.started_at),
                quote: e.quote.clone(),
            });
        }
    }
    out
}

/// One line per file a rollback would change: `~ path (+2 −5)`, `+ path (comes back)`, …
fn preview_lines(diffs: &[Paths], op: i64) -> Vec<String> {
    if diffs.is_empty() {
        return vec![format!(
            "Nothing: the store already equals operation #{op}."
        )];
    }
    let text = |b: &Option<Vec<u8>>| {
        b.as_ref()
            .map(|b| String::from_utf8_lossy(b).into_owned())
            .unwrap_or_default()
    };
    diffs
        .iter()
        .map(|(old_path, new_path, old, new)| {
            let (old, new) = (text(old), text(new));
            let (mut added, mut removed) = (0, 0);
            for h in crate::diff::hunks(&old, &new, 0) {
                added += h.new_len;
                removed += h.old_len;
            }
            match (old_path, new_path) {
                (None, Some(p)) => format!("+ {p} (comes back, {added} lines)"),
                (Some(p), None) => format!("- {p} (removed, {removed} lines)"),
                (Some(a), Some(b)) if a != b => format!("→ {a} → {b} (+{added} −{removed})"),
                (_, p) => format!("~ {} (+{added} −{removed})", p.as_deref().unwrap_or("?")),
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OpKind;
    use crate::store::{ChangeSet, FileChange, OpSpec};

    fn put(db: &mut Db, ctx: &Ctx, path: &str, text: &str) -> i64 {
        let set = ChangeSet::new(
            OpSpec::new(OpKind::Write, format!("write {path}")),
            vec![FileChange::Put {
                path: path.into(),
                content: text.as_bytes().to_vec(),
                expect_sha256: None,
            }],
        );
        db.commit(ctx, "s", set)
            .expect("write")
            .expect("an operation")
            .op
            .id
    }

    fn setup() -> (Db, Ctx, [i64; 3]) {
        let mut db = Db::open_in_memory().expect("db");
        let ctx = Ctx::new("tester", time::OffsetDateTime::UNIX_EPOCH);
        db.create_store(&ctx, "s", "", None).expect("store");
        let a = put(&mut db, &ctx, "/notes/a.md", "one\ntwo\n");
        let b = put(&mut db, &ctx, "/notes/b.md", "bee\n");
        let c = put(&mut db, &ctx, "/notes/a.md", "one\nTWO\nthree\n");
        (db, ctx, [a, b, c])
    }

    fn run(db: &mut Db, ctx: &Ctx, e: Effect) -> Msg {
        perform(db, ctx, e).expect("the effect runs")
    }

    #[test]
    fn op_diffs_come_from_the_core() {
        let (mut db, ctx, [a, b, c]) = setup();
        let store = || "s".to_owned();
        let Msg::OpDiffLoaded(d) = run(
            &mut db,
            &ctx,
            Effect::LoadOpDiff {
                store: store(),
                from: None,
                to: c,
            },
        ) else {
            panic!("expected a diff");
        };
        assert_eq!(d.from.as_ref().map(|o| o.id), Some(b), "against the parent");
        assert_eq!(d.files.len(), 1);
        assert_eq!((d.files[0].added, d.files[0].removed), (2, 1));
        let Msg::OpDiffLoaded(d) = run(
            &mut db,
            &ctx,
            Effect::LoadOpDiff {
                store: store(),
                from: Some(a),
                to: c,
            },
        ) else {
            panic!("expected a diff");
        };
        let paths: Vec<&str> = d.files.iter().map(OpFile::path).collect();
        assert_eq!(paths, ["/notes/a.md", "/notes/b.md"]);
    }

    #[test]
    fn a_search_narrows_the_history_through_the_core() {
        let (mut db, ctx, [a, _, c]) = setup();
        let Msg::HistoryLoaded(h) = run(
            &mut db,
            &ctx,
            Effect::SearchHistory {
                store: "s".into(),
                text: "two".into(),
            },
        ) else {
            panic!("expected the log");
        };
        let ids: Vec<i64> = h.ops.iter().map(|o| o.op.id).collect();
        assert_eq!(ids, [c, a], "written in a, gone from a in c (TWO)");
        let search = h.search.expect("a narrowed history");
        assert_eq!((search.text.as_str(), search.head), ("two", Some(c)));
        let counts: Vec<(usize, usize)> = search
            .matches
            .iter()
            .map(|m| (m[0].before, m[0].after))
            .collect();
        assert_eq!(counts, [(1, 0), (0, 1)]);
    }

    #[test]
    fn blame_files_and_tags_come_from_the_core() {
        let (mut db, ctx, [a, b, c]) = setup();
        let Msg::BlameLoaded(bl) = run(
            &mut db,
            &ctx,
            Effect::LoadBlame {
                store: "s".into(),
                path: "/notes/a.md".into(),
                at: None,
            },
        ) else {
            panic!("expected a blame");
        };
        let owners: Vec<i64> = bl.lines.iter().map(|l| l.op_id).collect();
        assert_eq!(owners, [a, c, c]);
        let Msg::FilesLoaded { files, .. } = run(
            &mut db,
            &ctx,
            Effect::LoadFiles {
                store: "s".into(),
                at: a,
            },
        ) else {
            panic!("expected files");
        };
        assert_eq!(files, ["/notes/a.md"]);
        let msg = run(
            &mut db,
            &ctx,
            Effect::Tag {
                store: "s".into(),
                op: b,
                name: "known-good".into(),
            },
        );
        assert!(matches!(msg, Msg::Done { .. }), "{msg:?}");
        let Msg::HistoryLoaded(h) = run(
            &mut db,
            &ctx,
            Effect::LoadHistoryAt {
                store: "s".into(),
                op: b,
            },
        ) else {
            panic!("expected the log");
        };
        let sel = &h.ops[h.selected].op;
        assert_eq!(
            (sel.id, sel.tags.clone()),
            (b, vec!["known-good".to_owned()])
        );
        assert_eq!(h.ops[0].op.kind, "tag", "the tag is itself an operation");
        // An operation older than the loaded window is loaded too, and selected.
        let Msg::HistoryLoaded(h) = history(&db, Some("s".into()), Some(a), 1).expect("log") else {
            panic!("expected the log");
        };
        assert_eq!(h.ops[h.selected].op.id, a);
        assert_eq!(h.ops.len(), 4, "the tag, c, b and a");
        let Msg::HistoryLoaded(h) = history(&db, Some("s".into()), None, 1).expect("log") else {
            panic!("expected the log");
        };
        assert_eq!((h.ops.len(), h.selected), (1, 0));
        // A bad name is the core's to refuse.
        let err = perform(
            &mut db,
            &ctx,
            Effect::Tag {
                store: "s".into(),
                op: b,
                name: "12".into(),
            },
        );
        assert!(err.is_err());
    }
}
