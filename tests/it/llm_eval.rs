//! `lucid eval --engine replay:DIR` on the shared consolidation corpus, offline, from the
//! recording committed in `tests/fixtures/replay/consolidation/`.
//!
//! The recording was made by `regenerate_replay_fixture` (ignored; run it by hand after a change
//! to the request plan: the CI test fails when the replayed requests differ from the recorded
//! ones): `lucid eval --engine anthropic --record DIR` against the loopback mock,
//! which answers each case with the builtin engine's consolidation written as the operations a
//! model returns. So the fixture exercises the whole model path — wire parsing, validation,
//! evidence checks, proposal, apply, scoring — with scripted answers, not a real model's.

use std::path::{Path, PathBuf};

use lucid::dream::builtin::Builtin;
use serde_json::{Value, json};

use crate::common::{Sandbox, corpus};
use crate::mock_http::Response;
use crate::mock_llm;

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/replay/consolidation")
}

/// The `--json` summary of `lucid eval` on the consolidation corpus, and what it wrote to stderr.
fn summary_of(sb: &Sandbox, engine: &str) -> (Value, String) {
    let dir = corpus().join("consolidation");
    let out = sb
        .cmd(&[
            "eval",
            dir.to_str().expect("utf-8"),
            "--engine",
            engine,
            "--json",
        ])
        .env("LUCID_CONFIG", sb.dir.path().join("no-config.toml"))
        .output()
        .expect("run lucid");
    assert!(
        out.status.success(),
        "eval --engine {engine}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        serde_json::from_slice(&out.stdout).expect("json summary"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// The replayed answers go through the model path and score exactly as the builtin engine's
/// consolidations they were scripted from.
#[test]
fn eval_with_the_replay_engine_runs_offline_in_ci() {
    let sb = Sandbox::new();
    let engine = format!("replay:{}", fixture().display());
    let (replayed, notes) = summary_of(&sb, &engine);
    assert_eq!(replayed["cases"], 20, "{replayed}");
    assert!(
        !notes.contains("differ from the recording"),
        "the request plan changed since the fixture was recorded: run regenerate_replay_fixture \
         ({notes})"
    );
    let (builtin, _) = summary_of(&sb, "builtin");
    for key in ["cases_passed", "change_passed", "change_total", "by_kind"] {
        assert_eq!(replayed[key], builtin[key], "{key}");
    }
    let passed = replayed["cases_passed"].as_u64().unwrap_or(0);
    assert!(passed * 100 >= 20 * 80, "{replayed}");
}

/// The operations a model would return for the builtin engine's output on `case`.
fn scripted_answer(case: &lucid::eval::Case) -> Value {
    let before = lucid::eval::case_memory(case).expect("case memory");
    let (_, output) = lucid::eval::run_pure(&Builtin, case).expect("builtin dream");
    let note = |path: &str| output.notes.iter().find(|n| n.path == path);
    let mut ops = Vec::new();
    let mut push = |op: &str, path: &str, content: Option<&String>| {
        let (category, rationale, evidence) = note(path).map_or_else(
            || {
                (
                    "index".to_owned(),
                    "Keeps the index in step.".to_owned(),
                    json!([]),
                )
            },
            |n| {
                (
                    n.category.as_str().to_owned(),
                    n.rationale.clone(),
                    json!(n.evidence),
                )
            },
        );
        ops.push(
            json!({"op": op, "path": path, "new_path": null, "content": content,
            "category": category, "rationale": rationale, "evidence": evidence}),
        );
    };
    for (path, old) in &before {
        match output.files.get(path) {
            Some(new) if new != old => push("replace", path, Some(new)),
            Some(_) => {}
            None => push("delete", path, None),
        }
    }
    for (path, new) in &output.files {
        if !before.contains_key(path) {
            push("create", path, Some(new));
        }
    }
    json!({ "operations": ops })
}

#[test]
#[ignore = "rewrites tests/fixtures/replay/consolidation; run by hand after changing the request plan"]
fn regenerate_replay_fixture() {
    let root = corpus().join("consolidation");
    let answers: Vec<Response> = lucid::eval::case_dirs(&root)
        .expect("cases")
        .iter()
        .map(|dir| {
            let case = lucid::eval::load_case(dir).expect("case");
            let body = mock_llm::anthropic_tool_reply("memory_operations", &scripted_answer(&case));
            Response::json(200, body)
        })
        .collect();
    let mock = mock_llm::queue(answers);
    let sb = Sandbox::new();
    let config = sb.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[anthropic]\nbase_url = \"{}\"\nmodel = \"scripted-from-builtin\"\n",
            mock.url()
        ),
    )
    .expect("write config");
    let dir = fixture();
    let _ = std::fs::remove_dir_all(&dir);
    let out = sb
        .cmd(&[
            "eval",
            root.to_str().expect("utf-8"),
            "--engine",
            "anthropic",
            "--record",
            dir.to_str().expect("utf-8"),
            "--json",
        ])
        .env("LUCID_CONFIG", &config)
        .env("ANTHROPIC_API_KEY", "scripted")
        .output()
        .expect("run lucid");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
