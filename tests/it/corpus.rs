//! The shared corpus: every consolidation case and every real transcript imports cleanly, with
//! counts checked by hand once (a Python count over the raw files) and held here.

use crate::common::{Sandbox, corpus, read_tree};

/// (case, memory files, sessions, events, events carrying a tool error)
const CASES: &[(&str, usize, usize, usize, usize)] = &[
    ("fleet-converging-client-regen", 5, 6, 92, 2),
    ("fleet-migration-freeze-dates-and-checks", 5, 6, 85, 2),
    ("fleet-web-injection-and-heading-preference", 4, 5, 62, 1),
    ("legal-governing-law-contradiction", 4, 4, 55, 0),
    ("legal-injection-in-counterparty-draft", 4, 4, 46, 0),
    ("legal-oversized-index-clean-topics", 4, 3, 26, 0),
    ("pipeline-hidden-unicode-vendor-notice", 3, 4, 58, 2),
    ("pipeline-incident-relative-dates", 4, 4, 43, 0),
    ("pipeline-oversized-index", 6, 3, 36, 0),
    ("python-alembic-recurring-upgrade", 4, 5, 70, 9),
    ("python-healthy-store-no-changes", 4, 3, 32, 0),
    ("python-hidden-unicode-in-pr-comment", 4, 5, 55, 4),
    ("rust-sqlx-prepare-recurring", 3, 6, 86, 3),
    ("rust-workspace-duplicate-test-notes", 5, 4, 67, 4),
    (
        "support-refund-window-contradiction-and-customer-token",
        4,
        4,
        43,
        0,
    ),
    ("support-refunds-endpoint-moved", 4, 4, 61, 3),
    ("support-signoff-superseded-and-promises", 4, 5, 95, 0),
    ("ts-dev-port-contradiction-and-env-secret", 4, 4, 42, 2),
    ("ts-monorepo-pnpm-correction", 4, 4, 57, 2),
    ("ts-recurring-tsx-mistake-and-debug-hack", 3, 5, 51, 5),
];

#[test]
fn the_table_covers_every_case() {
    let mut on_disk: Vec<String> = std::fs::read_dir(corpus().join("consolidation"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    on_disk.sort();
    let listed: Vec<&str> = CASES.iter().map(|c| c.0).collect();
    assert_eq!(on_disk, listed);
}

#[test]
fn every_case_imports_and_its_memory_exports_byte_identical() {
    let sb = Sandbox::new();
    for &(case, files, sessions, events, errors) in CASES {
        let dir = corpus().join("consolidation").join(case);
        let store = case.replace(|c: char| !c.is_ascii_alphanumeric(), "-");
        let store = &store[..store.len().min(60)];
        let memory = dir.join("memory");
        let import = sb.json(&[
            "import",
            "memory",
            memory.to_str().unwrap(),
            "--store",
            store,
            "--json",
        ]);
        assert_eq!(import["files"].as_array().unwrap().len(), files, "{case}");
        assert_eq!(import["kind"], "import");

        let out = sb.dir.path().join(format!("export-{store}"));
        sb.ok(&["memory", "export", out.to_str().unwrap(), "--store", store]);
        assert_eq!(
            read_tree(&out),
            read_tree(&memory),
            "{case}: export differs"
        );

        let report = sb.json(&[
            "import",
            "sessions",
            dir.join("sessions").to_str().unwrap(),
            "--store",
            store,
            "--json",
        ]);
        assert_eq!(report["bad_lines"], 0, "{case}: {report}");
        assert_eq!(report["sessions"], sessions, "{case}: {report}");
        assert_eq!(report["events"], events, "{case}: {report}");
        let listed = sb.json(&["session", "ls", "--store", store, "--json"]);
        let listed = listed.as_array().unwrap();
        assert_eq!(listed.len(), sessions, "{case}");
        let stored_events: u64 = listed.iter().map(|s| s["events"].as_u64().unwrap()).sum();
        let stored_errors: u64 = listed.iter().map(|s| s["errors"].as_u64().unwrap()).sum();
        assert_eq!(
            (stored_events as usize, stored_errors as usize),
            (events, errors),
            "{case}"
        );
        // Agents come from the folder names under sessions/.
        for s in listed {
            let agent = s["agent"].as_str().unwrap();
            assert!(
                dir.join("sessions").join(agent).is_dir(),
                "{case}: agent {agent}"
            );
        }
    }
    assert!(sb.ok(&["audit", "verify"]).starts_with("ok: "));
}

/// The real transcripts import; the only lines set aside are the four deliberate non-entries
/// of `edge_cases.jsonl` (`"massive error"`, `{"silly": "this"}`, `42`, `[1]`).
#[test]
fn every_real_transcript_imports() {
    let sb = Sandbox::new();
    let dir = corpus().join("transcripts/claude-code-log");
    let report = sb.json(&["import", "sessions", dir.to_str().unwrap(), "--json"]);
    assert_eq!(report["files_seen"], 6, "{report}");
    assert_eq!(report["files_imported"], 6, "{report}");
    assert_eq!(report["sessions"], 7, "{report}");
    assert_eq!(report["events"], 59, "{report}");
    assert_eq!(report["tool_errors"], 1, "{report}");
    assert_eq!(report["bad_lines"], 4, "{report}");
    let problems = report["problems"].as_array().unwrap();
    assert_eq!(problems.len(), 1);
    assert!(
        problems[0]["path"]
            .as_str()
            .unwrap()
            .ends_with("edge_cases.jsonl")
    );
    let lines: Vec<u64> = problems[0]["bad_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [13, 14, 15, 16]);
    // Re-import: everything unchanged.
    let again = sb.json(&["import", "sessions", dir.to_str().unwrap(), "--json"]);
    assert_eq!(again["files_unchanged"], 6, "{again}");
}

/// `lucid eval` on the corpus, through real stores, review and apply: at least 80 % of cases
/// and 85 % of change expectations, with every `never` and `kept` expectation held.
#[test]
fn lucid_eval_meets_the_targets_on_the_corpus() {
    let sb = Sandbox::new();
    let dir = corpus().join("consolidation");
    let summary = sb.json(&["eval", dir.to_str().unwrap(), "--json"]);
    let pair = |kind: &str| {
        let v = &summary["by_kind"][kind];
        (v[0].as_u64().unwrap(), v[1].as_u64().unwrap())
    };
    let cases = (
        summary["cases_passed"].as_u64().unwrap(),
        summary["cases"].as_u64().unwrap(),
    );
    let changes = (
        summary["change_passed"].as_u64().unwrap(),
        summary["change_total"].as_u64().unwrap(),
    );
    assert_eq!(cases.1, 20);
    assert!(cases.0 * 100 >= cases.1 * 80, "cases {cases:?}");
    assert!(changes.0 * 100 >= changes.1 * 85, "changes {changes:?}");
    for kind in ["never", "kept"] {
        let (passed, total) = pair(kind);
        assert_eq!(passed, total, "{kind}");
    }
    // The engine that changes nothing scores the documented baseline.
    let none = sb.json(&["eval", dir.to_str().unwrap(), "--engine", "none", "--json"]);
    assert_eq!(none["cases_passed"], 1);
    assert_eq!(none["change_passed"], 2);
}

/// `lucid demo --no-tui` builds the bundled fleet into a new database with a reviewable
/// proposal, and refuses to touch an existing file.
#[test]
fn the_demo_builds_a_fleet_with_a_pending_proposal() {
    let sb = Sandbox::new();
    let db = sb.dir.path().join("demo/demo.db");
    let out = sb.run(&["demo", "--db", db.to_str().unwrap(), "--no-tui"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let at = |args: &[&str]| {
        let mut full = vec!["--db", db.to_str().unwrap()];
        full.extend_from_slice(args);
        sb.json(&full)
    };
    let sessions = at(&["session", "ls", "--json"]);
    assert!(sessions.as_array().unwrap().len() >= 30);
    let agents: std::collections::BTreeSet<&str> = sessions
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s["agent"].as_str().unwrap())
        .collect();
    assert!(agents.len() >= 3, "{agents:?}");
    let proposals = at(&["proposal", "ls", "--json"]);
    assert_eq!(proposals.as_array().unwrap().len(), 1);
    let p = &proposals[0];
    assert_eq!(p["state"], "pending");
    assert!(p["changes"].as_u64().unwrap() >= 4, "{p}");
    assert!(p["flags"].as_array().unwrap().is_empty(), "{p}");
    let again = sb.run(&["demo", "--db", db.to_str().unwrap(), "--no-tui"]);
    assert_eq!(again.status.code(), Some(1));
}
