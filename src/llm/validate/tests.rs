//! Tests of answer validation: shape, paths, semantics, notes and evidence.

use serde_json::{Value, json};

use super::*;
use crate::dream::{Event, MemoryFile, Session};

fn input() -> DreamInput {
    let file = |path: &str, content: &str| MemoryFile {
        path: path.into(),
        content: content.into(),
        written_at: "2026-01-10T09:00:00.000Z".into(),
    };
    DreamInput {
        files: vec![
            file("/MEMORY.md", "- [Build](/build.md)\n"),
            file("/build.md", "- Use npm.\n- Run `make <target>`.\n"),
            file("/old.md", "- stale\n"),
        ],
        sessions: vec![Session {
            id: "s1".into(),
            agent: "claude-code".into(),
            started_at: None,
            events: vec![Event {
                id: "e1".into(),
                seq: 0,
                kind: "user".into(),
                role: Some("user".into()),
                at: None,
                thread: "main".into(),
                is_error: false,
                text: "Use pnpm, not npm. Tags look like <b> & co.".into(),
            }],
            tool_calls: Vec::new(),
        }],
        now: "2026-01-12T00:00:00.000Z".into(),
        instructions: String::new(),
        deletion_budget: 0.3,
    }
}

fn op(kind: &str, path: &str, new_path: Option<&str>, content: Option<&str>) -> Value {
    json!({
        "op": kind, "path": path, "new_path": new_path, "content": content,
        "category": "contradiction", "rationale": "The user switched to pnpm.",
        "evidence": [{"session_id": "s1", "event_id": "e1", "quote": "Use pnpm, not npm."}]
    })
}

fn answer(ops: &[Value]) -> Value {
    json!({ "operations": ops })
}

fn schema_error(a: &Value) -> String {
    match operations(&input(), a) {
        Err(LlmError::Schema(m)) => m,
        other => panic!("expected a schema error, got {other:?}"),
    }
}

#[test]
fn operations_build_the_whole_store_and_one_note_per_changed_path() {
    let a = answer(&[
        op("replace", "/build.md", None, Some("- Use pnpm.\n")),
        op("rename", "/old.md", Some("/archive/old.md"), None),
        op("create", "/tools.md", None, Some("- pnpm 9\n")),
        op(
            "replace",
            "/MEMORY.md",
            None,
            Some("- [Build](/build.md)\n"),
        ),
    ]);
    let out = operations(&input(), &a).expect("valid");
    let files: Vec<(&str, &str)> = out
        .files
        .iter()
        .map(|(p, c)| (p.as_str(), c.as_str()))
        .collect();
    assert_eq!(
        files,
        [
            ("/MEMORY.md", "- [Build](/build.md)\n"),
            ("/archive/old.md", "- stale\n"),
            ("/build.md", "- Use pnpm.\n"),
            ("/tools.md", "- pnpm 9\n"),
        ]
    );
    let paths: Vec<&str> = out.notes.iter().map(|n| n.path.as_str()).collect();
    // The unchanged MEMORY.md gets no note; a rename notes both of its paths.
    assert_eq!(
        paths,
        ["/build.md", "/old.md", "/archive/old.md", "/tools.md"]
    );
    assert_eq!(out.notes[0].category, Category::Contradiction);
    assert_eq!(out.notes[0].evidence[0].quote, "Use pnpm, not npm.");
}

#[test]
fn rename_may_carry_content_and_delete_removes() {
    let a = answer(&[
        op("rename", "/old.md", Some("/new.md"), Some("- fresh\n")),
        op("delete", "/build.md", None, None),
    ]);
    let out = operations(&input(), &a).expect("valid");
    assert_eq!(
        out.files.get("/new.md").map(String::as_str),
        Some("- fresh\n")
    );
    assert!(!out.files.contains_key("/old.md") && !out.files.contains_key("/build.md"));
    assert!(
        operations(&input(), &answer(&[]))
            .expect("empty")
            .notes
            .is_empty()
    );
}

#[test]
fn shape_errors_name_the_operation_and_field() {
    let mut bad_category = op("replace", "/build.md", None, Some("x"));
    bad_category["category"] = json!("vibes");
    let mut extra = op("replace", "/build.md", None, Some("x"));
    extra["confidence"] = json!(0.9);
    let mut bad_quote = op("replace", "/build.md", None, Some("x"));
    bad_quote["evidence"][0]["quote"] = json!(7);
    let mut no_rationale = op("replace", "/build.md", None, Some("x"));
    no_rationale["rationale"] = json!("  ");
    let mut evidence_obj = op("replace", "/build.md", None, Some("x"));
    evidence_obj["evidence"] = json!({});
    for (a, want) in [
        (json!([]), "must be an object with an operations list"),
        (json!({"ops": []}), "unknown top-level field \"ops\""),
        (json!({"operations": {}}), "operations must be a list"),
        (
            answer(&[json!("create")]),
            "operations[0] must be an object",
        ),
        (
            answer(&[op("upsert", "/a.md", None, Some("x"))]),
            "operations[0].op \"upsert\"",
        ),
        (
            answer(&[bad_category]),
            "operations[0].category \"vibes\" is not one of",
        ),
        (
            answer(&[extra]),
            "operations[0]: unknown field \"confidence\"",
        ),
        (
            answer(&[bad_quote]),
            "operations[0].evidence[0].quote must be a string",
        ),
        (answer(&[no_rationale]), "operations[0].rationale is empty"),
        (
            answer(&[evidence_obj]),
            "operations[0].evidence must be a list",
        ),
        (
            answer(&[op("create", "/a.md", None, None)]),
            "operations[0].content: a create needs",
        ),
        (
            answer(&[op("rename", "/old.md", None, None)]),
            "operations[0].new_path: a rename needs",
        ),
        (
            answer(&[op("replace", "/build.md", Some("/x.md"), Some("x"))]),
            "operations[0].new_path must be null",
        ),
        (
            answer(&[op("delete", "/old.md", None, Some("x"))]),
            "operations[0].content must be null",
        ),
    ] {
        let m = schema_error(&a);
        assert!(m.contains(want), "{m} / {want}");
    }
}

#[test]
fn paths_obey_the_store_rules() {
    for (a, want) in [
        (
            answer(&[op("create", "notes.md", None, Some("x"))]),
            "operations[0].path: invalid memory path",
        ),
        (
            answer(&[op("create", "/a/../b.md", None, Some("x"))]),
            "'.' or '..'",
        ),
        (
            answer(&[op("rename", "/old.md", Some("/a//b.md"), None)]),
            "operations[0].new_path: invalid memory path",
        ),
    ] {
        let m = schema_error(&a);
        assert!(m.contains(want), "{m} / {want}");
    }
}

#[test]
fn semantic_errors_are_schema_errors() {
    for (ops, want) in [
        (
            vec![op("create", "/build.md", None, Some("x"))],
            "create of \"/build.md\", which already exists",
        ),
        (
            vec![op("replace", "/nope.md", None, Some("x"))],
            "replace of \"/nope.md\", which is not in the store",
        ),
        (
            vec![op("delete", "/nope.md", None, None)],
            "delete of \"/nope.md\"",
        ),
        (
            vec![op("rename", "/nope.md", Some("/x.md"), None)],
            "rename of \"/nope.md\"",
        ),
        (
            vec![op("rename", "/old.md", Some("/build.md"), None)],
            "operations[0].new_path: rename onto \"/build.md\", which already exists",
        ),
        (
            vec![
                op("replace", "/build.md", None, Some("x")),
                op("delete", "/build.md", None, None),
            ],
            "operations[1]: \"/build.md\" is already changed by operations[0]",
        ),
        (
            vec![
                op("delete", "/old.md", None, None),
                op("create", "/old.md", None, Some("y")),
            ],
            "operations[1]: \"/old.md\" is already changed by operations[0]",
        ),
    ] {
        let m = schema_error(&answer(&ops));
        assert!(m.contains(want), "{m} / {want}");
    }
}

#[test]
fn a_json_string_answer_is_parsed_or_malformed() {
    let text = answer(&[op("delete", "/old.md", None, None)]).to_string();
    assert!(operations(&input(), &Value::String(text)).is_ok());
    let e = operations(&input(), &json!("{\"operations\": [")).expect_err("malformed");
    assert!(matches!(e, LlmError::Malformed(_)), "{e}");
}

#[test]
fn evidence_is_kept_trimmed_cut_and_decoded_only_when_that_holds() {
    let mut o = op("replace", "/build.md", None, Some("- Use pnpm.\n"));
    o["evidence"] = json!([
        {"session_id": "s1", "event_id": "e1", "quote": "  look like &lt;b&gt; &amp; co. "},
        {"session_id": "s1", "event_id": "e1", "quote": "fabricated &lt;quote&gt;"},
        {"session_id": null, "event_id": null, "quote": "Run `make <target>`."},
        {"session_id": "s9", "event_id": "e1", "quote": "x".repeat(300)},
    ]);
    let out = operations(&input(), &answer(&[o])).expect("valid");
    let ev = &out.notes[0].evidence;
    assert_eq!(ev[0].quote, "look like <b> & co.");
    assert_eq!(ev[1].quote, "fabricated &lt;quote&gt;");
    assert_eq!(ev[3].quote.chars().count(), QUOTE_CHARS);
    let i = input();
    let index = EvidenceIndex::new(&i);
    let holds: Vec<bool> = ev.iter().map(|e| index.holds(e)).collect();
    assert_eq!(holds, [true, false, true, false]);
}
