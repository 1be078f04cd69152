//! The operation log: rollback semantics, blame, tags, diff, and reading any past state.

use crate::common::Sandbox;

fn state(sb: &Sandbox, at: Option<&str>) -> Vec<(String, String)> {
    let mut args = vec!["memory", "ls", "--json"];
    if let Some(op) = at {
        args.extend(["--at", op]);
    }
    let v = sb.json(&args);
    v.as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().unwrap().to_owned(),
                e["sha256"].as_str().unwrap().to_owned(),
            )
        })
        .collect()
}

fn head(sb: &Sandbox) -> i64 {
    sb.json(&["log", "--json", "-n", "1"])[0]["id"]
        .as_i64()
        .expect("op id")
}

#[test]
fn rollback_restores_the_first_state_and_can_itself_be_rolled_back() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/a.md", "-m", "one"], b"first\n");
    let first = head(&sb);
    let first_state = state(&sb, None);
    sb.ok_with_input(&["memory", "write", "/a.md", "-m", "two"], b"second\n");
    sb.ok_with_input(&["memory", "write", "/b.md"], b"other\n");
    let second_state = state(&sb, None);
    let second = head(&sb);

    sb.ok(&["rollback", &first.to_string(), "--reason", "bad write"]);
    assert_eq!(state(&sb, None), first_state);
    assert_eq!(sb.ok(&["memory", "cat", "/a.md"]), "first\n");
    let rollback = head(&sb);

    // The log keeps every operation, newest first, with the rollback naming its target.
    let log = sb.json(&["log", "--json"]);
    let kinds: Vec<&str> = log
        .as_array()
        .unwrap()
        .iter()
        .map(|o| o["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["rollback", "write", "write", "write", "create"]);
    assert_eq!(log[0]["restores_op_id"].as_i64(), Some(first));
    assert_eq!(log[0]["reason"], "bad write");

    // Rolling back the rollback restores the second state.
    sb.ok(&["rollback", &second.to_string(), "--reason", "undo"]);
    assert_eq!(state(&sb, None), second_state);
    // Any past state stays readable.
    assert_eq!(state(&sb, Some(&rollback.to_string())), first_state);
    assert_eq!(state(&sb, Some(&first.to_string())), first_state);
}

#[test]
fn rollback_needs_a_reason_and_writes_nothing_without_one() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/a.md"], b"x");
    let before = sb.ok(&["log", "--json"]);
    let err = sb.fails(&["rollback", "1"], 1);
    assert!(err.contains("reason"), "{err}");
    sb.fails(&["rollback", "1", "--reason", "  "], 1);
    assert_eq!(sb.ok(&["log", "--json"]), before);
}

#[test]
fn renames_keep_identity_and_rollback_swaps_paths_back() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/x.md"], b"x\n");
    sb.ok_with_input(&["memory", "write", "/y.md"], b"y\n");
    let before = head(&sb);
    let before_state = state(&sb, None);
    // Swap the two paths through a temporary name.
    sb.ok(&["memory", "mv", "/x.md", "/tmp.md"]);
    sb.ok(&["memory", "mv", "/y.md", "/x.md"]);
    sb.ok(&["memory", "mv", "/tmp.md", "/y.md"]);
    assert_eq!(sb.ok(&["memory", "cat", "/x.md"]), "y\n");
    let show = sb.json(&["show", "@", "--json"]);
    assert_eq!(show["files"][0]["kind"], "renamed");
    assert_eq!(show["files"][0]["old_path"], "/tmp.md");
    sb.ok(&["rollback", &before.to_string(), "-m", "swap back"]);
    assert_eq!(state(&sb, None), before_state);
    let rb = sb.json(&["show", "@", "--json"]);
    assert_eq!(rb["files"].as_array().unwrap().len(), 2, "{rb}");
}

#[test]
fn blame_names_the_operation_that_wrote_each_line_across_rollbacks() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/m.md", "-m", "learn a"], b"a\n");
    let op_a = head(&sb);
    sb.ok_with_input(&["memory", "write", "/m.md", "-m", "learn b"], b"a\nb\n");
    let op_b = head(&sb);
    sb.ok(&["rollback", &op_a.to_string(), "-m", "drop b"]);
    sb.ok(&["rollback", &op_b.to_string(), "-m", "bring b back"]);
    let blame = sb.json(&["blame", "/m.md", "--json"]);
    let owners: Vec<(i64, &str)> = blame
        .as_array()
        .unwrap()
        .iter()
        .map(|l| (l["op_id"].as_i64().unwrap(), l["text"].as_str().unwrap()))
        .collect();
    assert_eq!(owners, [(op_a, "a"), (op_b, "b")]);
    let text = sb.ok(&["blame", "/m.md"]);
    assert!(
        text.contains("learn") || text.contains(&format!("op {op_a}")),
        "{text}"
    );
}

#[test]
fn tags_name_operations_and_resolve_everywhere() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/a.md"], b"1\n");
    sb.ok(&["tag", "before-dream"]);
    sb.ok_with_input(&["memory", "write", "/a.md"], b"2\n");
    assert_eq!(
        sb.ok(&["memory", "cat", "/a.md", "--at", "before-dream"]),
        "1\n"
    );
    sb.fails(&["tag", "before-dream"], 1);
    sb.fails(&["tag", "42"], 1);
    let log = sb.json(&["log", "--json"]);
    assert!(
        log.as_array()
            .unwrap()
            .iter()
            .any(|o| o["tags"][0] == "before-dream")
    );
    sb.ok(&["rollback", "before-dream", "-m", "back to the tag"]);
    assert_eq!(sb.ok(&["memory", "cat", "/a.md"]), "1\n");
}

#[test]
fn diff_shows_an_operation_and_the_span_between_two() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/a.md"], b"alpha\nbeta\n");
    let first = head(&sb).to_string();
    sb.ok_with_input(&["memory", "write", "/a.md"], b"alpha\ngamma\n");
    sb.ok_with_input(&["memory", "write", "/b.md"], b"new\n");
    let one = sb.ok(&["diff", "@~1"]);
    assert!(one.contains("-beta") && one.contains("+gamma"), "{one}");
    assert!(!one.contains("b.md"), "{one}");
    let span = sb.ok(&["diff", &first, "@"]);
    assert!(
        span.contains("+++ b/b.md") && span.contains("--- /dev/null"),
        "{span}"
    );
    let only = sb.ok(&["diff", &first, "@", "--", "/b.md"]);
    assert!(!only.contains("a.md"), "{only}");
}

#[test]
fn writes_honour_expected_sha256_with_exit_3() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(&["memory", "write", "/a.md"], b"v1");
    let sha = lucid::util::sha256_hex(b"v1");
    let out = sb.run_with_input(
        &[
            "memory",
            "write",
            "/a.md",
            "--expect-sha256",
            &"0".repeat(64),
        ],
        b"v2",
    );
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(sb.ok(&["memory", "cat", "/a.md"]), "v1");
    sb.ok_with_input(
        &["memory", "write", "/a.md", "--expect-sha256", &sha],
        b"v2",
    );
    assert_eq!(sb.ok(&["memory", "cat", "/a.md"]), "v2");
    // An identical write is not an operation.
    let ops = sb.json(&["log", "--json"]).as_array().unwrap().len();
    sb.ok_with_input(&["memory", "write", "/a.md"], b"v2");
    assert_eq!(sb.json(&["log", "--json"]).as_array().unwrap().len(), ops);
}

/// `lucid log -S TEXT`: the operations that added or removed a text, in whichever file, with how
/// often it occurs there before and after; a rename that keeps the text is not one of them.
#[test]
fn log_search_finds_when_a_text_was_learned_and_dropped() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    sb.ok_with_input(
        &["memory", "write", "/build.md", "-m", "first"],
        b"- use npm\n",
    );
    sb.ok_with_input(&["memory", "write", "/notes.md"], b"unrelated\n");
    sb.ok_with_input(
        &["memory", "write", "/build.md", "-m", "user corrected"],
        b"- use pnpm, not npm\n",
    );
    let learned = head(&sb);
    sb.ok(&["memory", "mv", "/build.md", "/tools/build.md"]);
    sb.ok(&["memory", "rm", "/tools/build.md"]);
    let dropped = head(&sb);

    let hits = sb.json(&["log", "-S", "pnpm", "--json"]);
    let summary: Vec<(i64, String, u64, u64)> = hits
        .as_array()
        .expect("array")
        .iter()
        .map(|h| {
            let m = &h["matches"][0];
            (
                h["id"].as_i64().expect("id"),
                m["path"].as_str().expect("path").to_owned(),
                m["before"].as_u64().expect("before"),
                m["after"].as_u64().expect("after"),
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            (dropped, "/tools/build.md".to_owned(), 1, 0),
            (learned, "/build.md".to_owned(), 0, 1),
        ]
    );
    let text = sb.ok(&["log", "-S", "pnpm", "-n", "1"]);
    assert!(
        text.contains(&format!("op {dropped}")) && text.contains("- /tools/build.md  1 → 0"),
        "{text}"
    );
    assert!(!text.contains(&format!("op {learned}")), "-n 1: {text}");
    assert!(sb.ok(&["log", "-S", "yarn"]).contains("no operation"));
}
