//! Dreams, proposals and apply through the library, with a scripted engine: conflicts, the
//! decided-bytes guarantee, auto mode, reproducibility, the dream lease and blame through dreams.

use lucid::dream::{self, ChangeNote, DreamInput, DreamOutput, Engine, EngineError, Evidence};
use lucid::dreaming;
use lucid::model::OpKind;
use lucid::review::{Decision, Verdict};
use lucid::store::{ChangeSet, FileChange, OpSpec, Target};
use lucid::{Ctx, Db, Error};
use proptest::prelude::*;

/// Appends a line to /a.md, deletes /old.md, creates /new.md; cites the first session event.
struct Scripted;

impl Engine for Scripted {
    fn name(&self) -> &'static str {
        "scripted"
    }
    fn version(&self) -> &'static str {
        "1"
    }
    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        let mut files: std::collections::BTreeMap<String, String> = input
            .files
            .iter()
            .map(|f| (f.path.clone(), f.content.clone()))
            .collect();
        if let Some(a) = files.get_mut("/a.md") {
            a.push_str("- learned: use pnpm\n");
        }
        files.remove("/old.md");
        files.insert("/new.md".into(), "- a new topic\n".into());
        let evidence: Vec<Evidence> = input
            .sessions
            .iter()
            .take(1)
            .map(|s| Evidence {
                session_id: Some(s.id.clone()),
                event_id: s.events.first().map(|e| e.id.clone()),
                quote: s
                    .events
                    .first()
                    .map(|e| e.text.chars().take(20).collect())
                    .unwrap_or_default(),
            })
            .collect();
        let note = |path: &str, category| ChangeNote {
            path: path.into(),
            category,
            rationale: format!("Scripted change to {path}."),
            evidence: evidence.clone(),
        };
        Ok(DreamOutput {
            files,
            notes: vec![
                note("/a.md", dream::Category::Insight),
                note("/old.md", dream::Category::Stale),
            ],
            usage: None,
        })
    }
}

fn ctx(actor: &str) -> Ctx {
    Ctx {
        actor: actor.into(),
        now: "2026-07-01T12:00:00.000Z".into(),
    }
}

fn put(db: &mut Db, actor: &str, path: &str, text: &str) {
    put_in(db, "s", actor, path, text);
}

fn put_in(db: &mut Db, store: &str, actor: &str, path: &str, text: &str) {
    let set = ChangeSet::new(
        OpSpec::new(OpKind::Write, "test"),
        vec![FileChange::Put {
            path: path.into(),
            content: text.as_bytes().to_vec(),
            expect_sha256: None,
        }],
    );
    db.commit(&ctx(actor), store, set).unwrap();
}

fn cat(db: &Db, path: &str) -> Option<String> {
    let store = db.store("s").unwrap();
    db.entry(&store, path, None)
        .ok()
        .map(|e| String::from_utf8(db.blob(&e.sha256).unwrap()).unwrap())
}

/// A store with three files and one imported session linked to it.
fn setup() -> (Db, tempfile::TempDir) {
    let mut db = Db::open_in_memory().unwrap();
    db.create_store(&ctx("agent"), "s", "", None).unwrap();
    put(&mut db, "agent", "/a.md", "- first fact\n");
    put(&mut db, "agent", "/b.md", "- b1\n- b2\n- b3\n- b4\n- b5\n");
    put(&mut db, "agent", "/old.md", "- stale\n");
    let dir = tempfile::tempdir().unwrap();
    let line = serde_json::json!({"type": "user", "uuid": "u1", "sessionId": "sess-1",
        "timestamp": "2026-06-30T10:00:00.000Z", "message": {"role": "user", "content": "please use pnpm from now on"}});
    std::fs::create_dir(dir.path().join("coder")).unwrap();
    std::fs::write(dir.path().join("coder/sess-1.jsonl"), format!("{line}\n")).unwrap();
    let opts = lucid::import::sessions::Options {
        agent: None,
        store: Some("s".into()),
    };
    lucid::import::sessions::import(&mut db, &ctx("agent"), dir.path(), &opts).unwrap();
    (db, dir)
}

fn dream_once(db: &mut Db) -> dreaming::Outcome {
    let ids = dreaming::select_sessions(db, "s", &dreaming::Selection::SinceLastDream).unwrap();
    dreaming::run(db, &ctx("reviewer"), &Scripted, "s", ids, "").unwrap()
}

fn accept_all(db: &mut Db, proposal: i64) {
    let accept = Decision::Verdict {
        hunk: None,
        verdict: Verdict::Accept,
    };
    db.decide(&ctx("reviewer"), proposal, &Target::All, &accept, "")
        .unwrap();
}

#[test]
fn a_dream_proposes_and_nothing_changes_until_apply() {
    let (mut db, _dir) = setup();
    let before = db.store("s").unwrap().head_op_id;
    let outcome = dream_once(&mut db);
    assert_eq!(outcome.dream.status, "completed");
    assert_eq!(outcome.changes, 3);
    assert_eq!(outcome.dream.session_ids.len(), 1);
    assert_eq!(
        db.store("s").unwrap().head_op_id,
        before,
        "a dream must not write the store"
    );
    let proposal = outcome.dream.proposal_id.unwrap();
    let (p, changes) = db.proposal(proposal).unwrap();
    assert_eq!(p.state, "pending");
    let kinds: Vec<(&str, &str, &str)> = changes
        .iter()
        .map(|c| (c.kind.as_str(), c.path.as_str(), c.category.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("modify", "/a.md", "insight"),
            ("create", "/new.md", "reorganize"),
            ("delete", "/old.md", "stale")
        ]
    );
    assert!(changes[0].flags.is_empty(), "{:?}", changes[0].flags);
    accept_all(&mut db, proposal);
    let report = db
        .apply_proposal(&ctx("reviewer"), proposal, OpKind::Apply)
        .unwrap();
    assert_eq!(report.state, "applied");
    assert_eq!(
        cat(&db, "/a.md").unwrap(),
        "- first fact\n- learned: use pnpm\n"
    );
    assert!(cat(&db, "/old.md").is_none());
    let op = report.operation.unwrap().op;
    assert_eq!(
        (op.kind.as_str(), op.actor.as_str(), op.proposal_id),
        ("apply", "reviewer", Some(proposal))
    );
    // Blame reaches through the dream to its evidence.
    let store = db.store("s").unwrap();
    let blame = db.blame(&store, "/a.md", None).unwrap();
    assert_eq!(blame[0].proposal_id, None);
    assert_eq!(blame[1].proposal_id, Some(proposal));
    assert_eq!(blame[1].evidence_sessions, ["sess-1"]);
    lucid::audit::verify(db.connection()).unwrap();
}

#[test]
fn a_file_written_after_the_dream_conflicts_and_survives() {
    let (mut db, _dir) = setup();
    let proposal = dream_once(&mut db).dream.proposal_id.unwrap();
    put(
        &mut db,
        "agent",
        "/a.md",
        "- first fact\n- the agent's own new line\n",
    );
    let (p, _) = db.proposal(proposal).unwrap();
    assert!(
        p.stale && p.state == "stale",
        "the store moved under the proposal: {p:?}"
    );
    accept_all(&mut db, proposal);
    let report = db
        .apply_proposal(&ctx("reviewer"), proposal, OpKind::Apply)
        .unwrap();
    assert_eq!(report.conflicts.len(), 1, "{report:?}");
    assert_eq!(report.conflicts[0].0, "/a.md");
    assert_eq!(report.state, "partial");
    // The other files are written; the agent's write survives untouched.
    assert_eq!(cat(&db, "/new.md").unwrap(), "- a new topic\n");
    assert!(cat(&db, "/old.md").is_none());
    assert_eq!(
        cat(&db, "/a.md").unwrap(),
        "- first fact\n- the agent's own new line\n"
    );
    // The reviewer is offered a rebased change: a 3-way merge of base, current and proposed.
    let (_, changes) = db.proposal(proposal).unwrap();
    let rebased = changes.iter().find(|c| c.rebased_from.is_some()).unwrap();
    let (_, merged, _, _) = db.change_texts(rebased).unwrap();
    assert!(
        merged.contains("the agent's own new line") && merged.contains("learned: use pnpm"),
        "{merged}"
    );
    assert!(rebased.flags.contains(&"rebased".to_string()));
}

/// Changes line 2 and line 19 of /a.md: two hunks.
struct TwoHunks;
impl Engine for TwoHunks {
    fn name(&self) -> &'static str {
        "two"
    }
    fn version(&self) -> &'static str {
        "1"
    }
    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        let mut files: std::collections::BTreeMap<String, String> = input
            .files
            .iter()
            .map(|f| (f.path.clone(), f.content.clone()))
            .collect();
        let a = files.get_mut("/a.md").unwrap();
        *a = a
            .replace("line 2\n", "LINE TWO\n")
            .replace("line 19\n", "LINE NINETEEN\n");
        Ok(DreamOutput {
            files,
            notes: vec![],
            usage: None,
        })
    }
}

#[test]
fn per_hunk_decisions_write_only_the_accepted_hunks() {
    let (mut db, _dir) = setup();
    put(
        &mut db,
        "agent",
        "/a.md",
        &(1..=20).fold(String::new(), |acc, i| acc + &format!("line {i}\n")),
    );
    let outcome = dreaming::run(&mut db, &ctx("r"), &TwoHunks, "s", vec![], "").unwrap();
    let proposal = outcome.dream.proposal_id.unwrap();
    let pick = |hunk, verdict| Decision::Verdict {
        hunk: Some(hunk),
        verdict,
    };
    db.decide(
        &ctx("r"),
        proposal,
        &Target::Change {
            seq: 1,
            hunk: Some(1),
        },
        &pick(1, Verdict::Accept),
        "",
    )
    .unwrap();
    db.decide(
        &ctx("r"),
        proposal,
        &Target::Change {
            seq: 1,
            hunk: Some(0),
        },
        &pick(0, Verdict::Reject),
        "no",
    )
    .unwrap();
    let err = db.decide(
        &ctx("r"),
        proposal,
        &Target::Change {
            seq: 1,
            hunk: Some(0),
        },
        &pick(0, Verdict::Reject),
        "",
    );
    assert!(err.is_err(), "a rejection without a reason is refused");
    db.apply_proposal(&ctx("r"), proposal, OpKind::Apply)
        .unwrap();
    let text = cat(&db, "/a.md").unwrap();
    assert!(
        text.contains("line 2\n") && text.contains("LINE NINETEEN\n"),
        "{text}"
    );
}

#[test]
fn auto_mode_applies_as_dream_auto_and_can_be_rolled_back() {
    let (mut db, _dir) = setup();
    db.configure_store(&ctx("admin"), "s", Some("auto"), None)
        .unwrap();
    let before = db.store("s").unwrap().head_op_id.unwrap();
    let outcome = dream_once(&mut db);
    let report = outcome.applied.expect("applied automatically");
    let op = report.operation.unwrap().op;
    assert_eq!(
        (op.kind.as_str(), op.actor.as_str()),
        ("auto_apply", "dream:auto")
    );
    assert!(cat(&db, "/new.md").is_some());
    db.rollback(&ctx("oncall"), "s", before, "bad dream")
        .unwrap();
    assert!(cat(&db, "/new.md").is_none());
    assert_eq!(cat(&db, "/old.md").unwrap(), "- stale\n");
}

#[test]
fn the_same_inputs_give_the_same_proposal() {
    let (mut db, _dir) = setup();
    let first = dream_once(&mut db);
    let ids = first.dream.session_ids.clone();
    let second = dreaming::run(&mut db, &ctx("reviewer"), &Scripted, "s", ids, "").unwrap();
    assert_eq!(first.dream.inputs_hash, second.dream.inputs_hash);
    let strip = |id| {
        db.proposal(id)
            .unwrap()
            .1
            .into_iter()
            .map(|c| (c.path, c.proposed_sha256, c.category))
            .collect::<Vec<_>>()
    };
    assert_eq!(
        strip(first.dream.proposal_id.unwrap()),
        strip(second.dream.proposal_id.unwrap())
    );
    let other = dreaming::run(
        &mut db,
        &ctx("reviewer"),
        &Scripted,
        "s",
        vec![],
        "other instructions",
    )
    .unwrap();
    assert_ne!(other.dream.inputs_hash, first.dream.inputs_hash);
}

#[test]
fn limits_on_sessions_and_instructions_are_usage_errors() {
    let (mut db, _dir) = setup();
    let long = "x".repeat(4097);
    let err = dreaming::run(&mut db, &ctx("r"), &Scripted, "s", vec![], &long).unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    let many: Vec<i64> = (0..101).collect();
    let err = dreaming::run(&mut db, &ctx("r"), &Scripted, "s", many, "").unwrap_err();
    assert_eq!(err.exit_code(), 2, "{err}");
    assert!(
        db.dreams(Some("s")).unwrap().is_empty(),
        "a refused dream leaves no trace"
    );
}

#[test]
fn one_running_dream_per_store_and_a_dead_holder_does_not_block() {
    let (mut db, _dir) = setup();
    let start = lucid::store::DreamStart {
        engine: "scripted".into(),
        engine_version: "1".into(),
        instructions: String::new(),
        session_ids: vec![],
    };
    // Held by this (live) process.
    let held = db
        .start_dream(&ctx("r"), "s", &start, std::process::id())
        .unwrap();
    let err = dream_once_err(&mut db);
    assert!(matches!(err, Error::Conflict(_)), "{err}");
    db.cancel_dream(&ctx("r"), held.id, "test").unwrap();
    // Held by a process that no longer exists: the next dream takes over.
    let mut child = std::process::Command::new("true").spawn().unwrap();
    let dead = child.id();
    child.wait().unwrap();
    db.start_dream(&ctx("r"), "s", &start, dead).unwrap();
    let outcome = dream_once(&mut db);
    assert_eq!(outcome.dream.status, "completed");
    let abandoned = db
        .dreams(Some("s"))
        .unwrap()
        .into_iter()
        .filter(|d| d.status == "failed")
        .count();
    assert_eq!(abandoned, 1);
}

fn dream_once_err(db: &mut Db) -> Error {
    dreaming::run(db, &ctx("r"), &Scripted, "s", vec![], "").unwrap_err()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Bait and switch: once a decision is recorded, changing the proposed bytes in the
    /// database — even by one invisible character — makes apply refuse and write nothing.
    #[test]
    fn apply_refuses_bytes_that_changed_after_the_decision(
        at in 0usize..40,
        hidden in prop::sample::select(vec!['\u{200b}', '\u{202e}', '\u{feff}', ' ', 'x']),
    ) {
        let (mut db, _dir) = setup();
        let proposal = dream_once(&mut db).dream.proposal_id.unwrap();
        accept_all(&mut db, proposal);
        let (_, changes) = db.proposal(proposal).unwrap();
        let original = db.change_texts(&changes[0]).unwrap().1;
        let mut forged: String = original.clone();
        let mut cut = at.min(forged.len());
        while !forged.is_char_boundary(cut) { cut -= 1; }
        forged.insert(cut, hidden);
        let sha = lucid::util::sha256_hex(forged.as_bytes());
        let conn = db.connection();
        conn.execute("INSERT OR IGNORE INTO blobs (sha256, size, bytes) VALUES (?1, ?2, ?3)",
            rusqlite::params![sha, forged.len() as i64, forged.as_bytes()]).unwrap();
        conn.execute("UPDATE changes SET proposed_sha256 = ?1 WHERE id = ?2", rusqlite::params![sha, changes[0].id]).unwrap();
        let head = db.store("s").unwrap().head_op_id;
        let err = db.apply_proposal(&ctx("reviewer"), proposal, OpKind::Apply).unwrap_err();
        prop_assert_eq!(err.exit_code(), 3, "{}", err);
        prop_assert_eq!(db.store("s").unwrap().head_op_id, head);
        prop_assert_eq!(cat(&db, "/a.md").unwrap(), "- first fact\n");
    }
}

/// The listings summarize many proposals at once; each summary must be the one `proposal(id)`
/// gives: categories, flags, counts, and the shown state (stale when its files moved on).
#[test]
fn listings_summarize_each_proposal_as_it_alone_would() {
    let (mut db, _dir) = setup();
    let dream = |db: &mut Db, store: &str| {
        dreaming::run(db, &ctx("reviewer"), &Scripted, store, vec![], "")
            .unwrap()
            .dream
            .proposal_id
            .unwrap()
    };
    // Applied.
    let applied = dream(&mut db, "s");
    accept_all(&mut db, applied);
    db.apply_proposal(&ctx("reviewer"), applied, OpKind::Apply)
        .unwrap();
    // Rejected.
    let rejected = dream(&mut db, "s");
    let reject = Decision::Verdict {
        hunk: None,
        verdict: Verdict::Reject,
    };
    db.decide(&ctx("reviewer"), rejected, &Target::All, &reject, "no")
        .unwrap();
    // Partial: one file written, one set aside as a rebased change (flagged) after a conflict.
    put(&mut db, "agent", "/old.md", "- back\n");
    let partial = dream(&mut db, "s");
    let stale = dream(&mut db, "s");
    put(
        &mut db,
        "agent",
        "/a.md",
        "- first fact\n- the agent's line\n",
    );
    accept_all(&mut db, partial);
    db.apply_proposal(&ctx("reviewer"), partial, OpKind::Apply)
        .unwrap();
    // Pending, in another store whose files did not move.
    db.create_store(&ctx("agent"), "t", "", None).unwrap();
    put_in(&mut db, "t", "agent", "/a.md", "- t fact\n");
    let pending = dream(&mut db, "t");

    let all = db.proposals(None, None).unwrap();
    let ids: Vec<i64> = all.iter().map(|p| p.id).collect();
    assert_eq!(ids, vec![pending, stale, partial, rejected, applied]);
    for p in &all {
        assert_eq!(*p, db.proposal(p.id).unwrap().0);
    }
    let by_id = |id| all.iter().find(|p| p.id == id).unwrap();
    let shown = |id| (by_id(id).state.as_str(), by_id(id).stale);
    assert_eq!(shown(applied), ("applied", false));
    assert_eq!(shown(rejected), ("rejected", true));
    assert_eq!(shown(partial), ("partial", false));
    assert_eq!(shown(stale), ("stale", true));
    assert_eq!(shown(pending), ("pending", false));
    assert_eq!(by_id(partial).conflicts, 1);
    assert!(by_id(partial).flags.contains(&"rebased".to_owned()));
    assert_eq!(by_id(pending).store, "t");

    // The inbox: what is still waiting, as the full listing shows it.
    let waiting: Vec<_> = all
        .iter()
        .filter(|p| ["pending", "partial", "stale"].contains(&p.state.as_str()))
        .cloned()
        .collect();
    assert_eq!(db.waiting_proposals().unwrap(), waiting);
    // Filters: by store, and by stored state (a stale one is stored as pending).
    assert_eq!(
        db.proposals(Some("t"), None).unwrap(),
        vec![by_id(pending).clone()]
    );
    let stored_pending: Vec<i64> = db
        .proposals(None, Some("pending"))
        .unwrap()
        .iter()
        .map(|p| p.id)
        .collect();
    assert_eq!(stored_pending, vec![pending, stale]);
    assert!(db.proposals(Some("nope"), None).unwrap().is_empty());
}
