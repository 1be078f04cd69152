//! Tests of the built-in engine: the corpus score, determinism, pins, budget, secrets.

use std::fmt::Write as _;

use crate::dream::{DreamInput, Engine, Event, MemoryFile, Session};
use crate::eval;

use super::Builtin;

fn run_corpus() -> Option<eval::Summary> {
    let dirs = eval::case_dirs(&crate::test_support::corpus("consolidation")).ok()?;
    let mut scores = Vec::new();
    for d in dirs {
        let case = eval::load_case(&d).ok()?;
        let (score, out) = eval::run_pure(&Builtin, &case).ok()?;
        if std::env::var_os("LUCID_DUMP").is_some() {
            let _ = std::fs::create_dir_all("/tmp/dream-out");
            let mut dump = String::new();
            for (p, c) in &out.files {
                let _ = writeln!(dump, "===== {p}\n{c}");
            }
            for n in &out.notes {
                let _ = writeln!(dump, "NOTE {} {:?}: {}", n.path, n.category, n.rationale);
                for e in &n.evidence {
                    let _ = writeln!(
                        dump,
                        "    ev {:?} {:?} {:?}",
                        e.session_id, e.event_id, e.quote
                    );
                }
            }
            let _ = std::fs::write(format!("/tmp/dream-out/{}.txt", case.name), dump);
        }
        scores.push(score);
    }
    Some(eval::Summary::new(scores))
}

#[test]
fn corpus_score_meets_targets() {
    let Some(summary) = run_corpus() else {
        eprintln!("corpus not found; skipping");
        return;
    };
    println!(
        "builtin engine: {}/{} cases pass",
        summary.cases_passed, summary.cases
    );
    for (kind, (p, t)) in &summary.by_kind {
        println!("  {kind:8} {p}/{t}");
    }
    println!(
        "  change   {}/{}",
        summary.change_passed, summary.change_total
    );
    for s in &summary.scores {
        if s.passed {
            continue;
        }
        println!(
            "FAIL {} (deleted {:.2} ok={}, index {} ok={})",
            s.case, s.deleted_fraction, s.deleted_ok, s.index_lines, s.index_ok
        );
        for o in s.outcomes.iter().filter(|o| !o.passed) {
            println!(
                "    {} {:?} all={:?} any={:?}",
                o.expect.kind.as_str(),
                o.expect.text,
                o.expect.all,
                o.expect.any
            );
        }
    }
    let kind = |k: &str| summary.by_kind.get(k).copied().unwrap_or((0, 0));
    assert!(
        summary.cases_passed * 100 >= summary.cases * 80,
        "cases below 80 %"
    );
    assert!(
        summary.change_passed * 100 >= summary.change_total * 85,
        "change expectations below 85 %"
    );
    assert_eq!(kind("never").0, kind("never").1, "every never must pass");
    assert_eq!(kind("kept").0, kind("kept").1, "every kept must pass");
}

fn file(path: &str, content: &str) -> MemoryFile {
    MemoryFile {
        path: path.into(),
        content: content.into(),
        written_at: "2026-03-04T10:00:00Z".into(),
    }
}

fn user_event(seq: i64, at: &str, text: &str) -> Event {
    Event {
        id: format!("e{seq}"),
        seq,
        kind: "user".into(),
        role: Some("user".into()),
        at: Some(at.into()),
        thread: "main".into(),
        is_error: false,
        text: text.into(),
    }
}

fn session(id: &str, at: &str, texts: &[&str]) -> Session {
    Session {
        id: id.into(),
        agent: "coder".into(),
        started_at: Some(at.into()),
        events: texts
            .iter()
            .enumerate()
            .map(|(i, t)| user_event(i as i64, at, t))
            .collect(),
        tool_calls: Vec::new(),
    }
}

fn input(files: Vec<MemoryFile>, sessions: Vec<Session>, budget: f64) -> DreamInput {
    DreamInput {
        files,
        sessions,
        now: "2026-03-20T00:00:00Z".into(),
        instructions: String::new(),
        deletion_budget: budget,
    }
}

#[test]
fn the_same_input_gives_byte_identical_output() {
    let Ok(dirs) = eval::case_dirs(&crate::test_support::corpus("consolidation")) else {
        return;
    };
    for d in dirs {
        let Ok(case) = eval::load_case(&d) else {
            continue;
        };
        let (Ok(a), Ok(b)) = (
            eval::run_pure(&Builtin, &case),
            eval::run_pure(&Builtin, &case),
        ) else {
            continue;
        };
        assert_eq!(a.1, b.1, "{} is not deterministic", case.name);
        let ja = serde_json::to_string(&a.1).unwrap_or_default();
        let jb = serde_json::to_string(&b.1).unwrap_or_default();
        assert_eq!(ja, jb);
    }
}

#[test]
fn pinned_entries_are_untouched() {
    let pinned_file = "---\nname: Dev\npinned: true\n---\n\n- Install with `npm install`\n- Install with `npm install`\n- Shipped yesterday\n";
    let marked = "- Run with `npm run dev` <!-- lucid:pin -->\n- Build with `npm run build`\n- Deployed yesterday <!-- lucid:pin -->\n";
    let inp = input(
        vec![
            file("/MEMORY.md", "- [Dev](dev.md)\n- [Ops](ops.md)\n"),
            file("/dev.md", pinned_file),
            file("/ops.md", marked),
        ],
        vec![session(
            "s1",
            "2026-03-05T10:00:00Z",
            &["Actually, use pnpm, not npm."],
        )],
        0.3,
    );
    let Ok(out) = Builtin.dream(&inp) else {
        panic!("engine failed")
    };
    assert_eq!(
        out.files.get("/dev.md").map(String::as_str),
        Some(pinned_file)
    );
    let ops = out.files.get("/ops.md").cloned().unwrap_or_default();
    assert!(ops.contains("- Run with `npm run dev` <!-- lucid:pin -->"));
    assert!(ops.contains("- Deployed yesterday <!-- lucid:pin -->"));
    assert!(
        ops.contains("`pnpm run build`"),
        "unpinned lines still follow the correction: {ops}"
    );
}

#[test]
fn the_deletion_budget_is_never_exceeded() {
    // Ten exact duplicates of one line across files plus stale lines: budget 10 % of 40 lines.
    let mut files = vec![file("/MEMORY.md", "# Memory\n")];
    for f in 0..4 {
        let mut c = String::from("---\nname: T\n---\n");
        for i in 0..7 {
            let _ = writeln!(c, "- fact number {i} in file {f} about widgets and gadgets");
        }
        c.push_str("- Deploys use `npm run deploy` from the repo root every time\n");
        files.push(file(&format!("/t{f}.md"), &c));
    }
    let inp = input(
        files,
        vec![session("s1", "2026-03-05T10:00:00Z", &["pnpm, not npm!"])],
        0.1,
    );
    let before: eval::Files = inp
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect();
    let Ok(out) = Builtin.dream(&inp) else {
        panic!("engine failed")
    };
    let frac = eval::deleted_fraction(&before, &out.files);
    assert!(frac <= 0.1 + 1e-9, "deleted {frac}");
    let zero = input(inp.files.clone(), inp.sessions.clone(), 0.0);
    let Ok(out0) = Builtin.dream(&zero) else {
        panic!("engine failed")
    };
    assert!(eval::deleted_fraction(&before, &out0.files) <= 1e-9);
}

#[test]
fn secrets_from_sessions_never_reach_memory() {
    let key = "sk_live_51AbCdEf9GhIjK3LmNoP7QrStU2VwXyZ";
    let inp = input(
        vec![
            file("/MEMORY.md", "- [Api](api.md)\n"),
            file(
                "/api.md",
                "- The API lives at `api.example.test`\n- Old token ghp_Q8wE2rT6yU1iO9pA3sD7fG5hJ4kL0zXcVbNm\n- Rate limit is 100 per minute\n- Pagination uses cursors\n",
            ),
        ],
        vec![
            session(
                "s1",
                "2026-03-05T10:00:00Z",
                &[&format!(
                    "Never log the key {key} again, please always redact it."
                )],
            ),
            session(
                "s2",
                "2026-03-06T10:00:00Z",
                &[&format!(
                    "Again: never log the key {key}, always redact it."
                )],
            ),
        ],
        0.3,
    );
    let Ok(out) = Builtin.dream(&inp) else {
        panic!("engine failed")
    };
    for (p, c) in &out.files {
        assert!(!c.contains(key), "{p} holds the session's key");
        assert!(
            !c.contains("ghp_Q8wE2rT6"),
            "{p} still holds the stored token"
        );
    }
    for n in &out.notes {
        for e in &n.evidence {
            assert!(!e.quote.contains(key) && !e.quote.contains("ghp_Q8wE2rT6"));
        }
    }
}

#[test]
fn evidence_quotes_are_verbatim() {
    let Ok(dirs) = eval::case_dirs(&crate::test_support::corpus("consolidation")) else {
        return;
    };
    for d in dirs {
        let Ok(case) = eval::load_case(&d) else {
            continue;
        };
        let (Ok(sessions), Ok(memory)) = (eval::case_sessions(&case), eval::case_memory(&case))
        else {
            continue;
        };
        let Ok((_, out)) = eval::run_pure(&Builtin, &case) else {
            continue;
        };
        for n in &out.notes {
            for e in &n.evidence {
                assert!(e.quote.chars().count() <= 200);
                let found = match (&e.session_id, &e.event_id) {
                    (Some(s), Some(ev)) => sessions
                        .iter()
                        .filter(|x| &x.id == s)
                        .flat_map(|x| &x.events)
                        .any(|x| &x.id == ev && x.text.contains(&e.quote)),
                    _ => memory.values().any(|c| c.contains(&e.quote)),
                };
                assert!(found, "{}: quote not verbatim: {:?}", case.name, e.quote);
            }
        }
    }
}
