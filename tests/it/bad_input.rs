//! Bad input: a clear one-line error, a distinct exit code, and nothing written.

use std::fs;
use std::path::Path;

use crate::common::Sandbox;

/// Every refused database kind leaves the file byte-identical and exits 4.
fn assert_refused(sb: &Sandbox, bytes_before: &[u8], expect: &str) {
    for args in [
        &["store", "ls"][..],
        &["store", "create", "x"],
        &["audit", "verify"],
    ] {
        let err = sb.fails(args, 4);
        assert!(err.contains(expect), "{args:?}: {err}");
        assert_eq!(
            err.lines().filter(|l| l.starts_with("lucid:")).count(),
            1,
            "{err}"
        );
        assert_eq!(
            fs::read(sb.db()).unwrap(),
            bytes_before,
            "{args:?} wrote to the file"
        );
    }
    let leftovers: Vec<_> = fs::read_dir(sb.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n != "lucid.db")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn a_junk_file_is_refused() {
    let sb = Sandbox::new();
    let junk = b"this is not a database, just some text that is long enough ".repeat(20);
    fs::write(sb.db(), &junk).unwrap();
    assert_refused(&sb, &junk, "not a SQLite database");
}

#[test]
fn a_zero_length_file_is_refused() {
    let sb = Sandbox::new();
    fs::write(sb.db(), b"").unwrap();
    assert_refused(&sb, b"", "empty");
}

#[test]
fn a_foreign_sqlite_database_is_refused() {
    let sb = Sandbox::new();
    {
        let conn = rusqlite::Connection::open(sb.db()).unwrap();
        conn.execute_batch("CREATE TABLE notes (x TEXT); INSERT INTO notes VALUES ('mine');")
            .unwrap();
    }
    let before = fs::read(sb.db()).unwrap();
    assert_refused(&sb, &before, "another application");
}

#[test]
fn a_database_from_a_newer_lucid_is_refused() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    {
        let conn = rusqlite::Connection::open(sb.db()).unwrap();
        conn.pragma_update(None, "user_version", 999).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let before = fs::read(sb.db()).unwrap();
    assert_refused(&sb, &before, "newer");
}

#[test]
fn a_truncated_or_corrupt_database_is_refused() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    for i in 0..50 {
        sb.ok_with_input(
            &["memory", "write", &format!("/m{i}.md")],
            &vec![b'x'; 4000],
        );
    }
    {
        let conn = rusqlite::Connection::open(sb.db()).unwrap();
        conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    }
    let whole = fs::read(sb.db()).unwrap();
    // Truncated to half.
    fs::write(sb.db(), &whole[..whole.len() / 2]).unwrap();
    assert_refused(&sb, &whole[..whole.len() / 2], "corrupt");
    // Damaged pages: the schema page overwritten with noise past the header.
    let mut damaged = whole.clone();
    for (i, b) in damaged.iter_mut().enumerate().skip(100).take(4000) {
        *b = (i * 7 % 251) as u8;
    }
    fs::write(sb.db(), &damaged).unwrap();
    assert_refused(&sb, &damaged, "corrupt");
}

#[test]
fn a_new_database_is_private() {
    use std::os::unix::fs::PermissionsExt;
    let sb = Sandbox::new();
    let nested = sb.dir.path().join("deep/er");
    let db = nested.join("lucid.db");
    let out = sb
        .cmd(&["store", "ls"])
        .env("LUCID_DB", &db)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(
        fs::metadata(&db).unwrap().permissions().mode() & 0o777,
        0o600
    );
    assert_eq!(
        fs::metadata(&nested).unwrap().permissions().mode() & 0o777,
        0o700
    );
}

fn audit_count(sb: &Sandbox) -> usize {
    sb.json(&["audit", "log", "--json"])
        .as_array()
        .unwrap()
        .len()
}

#[test]
fn paths_that_break_the_rules_are_refused_and_nothing_is_written() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    let before = audit_count(&sb);
    let long = format!("/{}", "a".repeat(1100));
    for path in [
        "no-slash.md",
        "/a//b.md",
        "/a/../b.md",
        "/./a.md",
        "/a\u{1b}b.md",
        "/e\u{301}.md",
        &long,
    ] {
        let out = sb.run_with_input(&["memory", "write", path], b"x");
        assert_eq!(out.status.code(), Some(1), "{path:?}");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(err.contains("invalid memory path"), "{err}");
        assert!(!err.contains('\u{1b}'), "the error echoed a raw escape");
    }
    assert_eq!(audit_count(&sb), before);
}

#[test]
fn content_over_the_limit_or_not_utf8_is_refused() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "s"]);
    let before = audit_count(&sb);
    let out = sb.run_with_input(&["memory", "write", "/big.md"], &vec![b'a'; 100 * 1024 + 1]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("over the limit"));
    let out = sb.run_with_input(&["memory", "write", "/bin.md"], b"ok \xff\xfe bad");
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("not valid UTF-8"));
    // Exactly at the limit is fine; a per-store limit applies.
    sb.ok_with_input(&["memory", "write", "/max.md"], &vec![b'a'; 100 * 1024]);
    sb.ok(&["store", "create", "tiny", "--max-content-bytes", "10"]);
    let out = sb.run_with_input(
        &["memory", "write", "/a.md", "--store", "tiny"],
        b"eleven byte",
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(audit_count(&sb), before + 3); // max.md; tiny: store.create, op.create
}

#[test]
fn a_memory_folder_with_a_bad_file_imports_nothing() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("mem");
    fs::create_dir(&dir).unwrap();
    fs::write(dir.join("MEMORY.md"), "- [a](a.md)\n").unwrap();
    fs::write(dir.join("a.md"), b"bad \xc3\x28 utf-8").unwrap();
    let err = sb.fails(
        &["import", "memory", dir.to_str().unwrap(), "--store", "s"],
        1,
    );
    assert!(err.contains("UTF-8"), "{err}");
    fs::write(dir.join("a.md"), vec![b'x'; 200 * 1024]).unwrap();
    sb.fails(
        &["import", "memory", dir.to_str().unwrap(), "--store", "s"],
        1,
    );
    // Nothing was written: not even the store.
    assert_eq!(sb.json(&["store", "ls", "--json"]), serde_json::json!([]));
}

#[test]
fn a_symlink_loop_is_an_error_and_nothing_is_imported() {
    let sb = Sandbox::new();
    let root = sb.dir.path().join("projects");
    fs::create_dir_all(root.join("p")).unwrap();
    fs::write(root.join("p/s.jsonl"), transcript_line("u1", None, "hi")).unwrap();
    std::os::unix::fs::symlink(&root, root.join("p/loop")).unwrap();
    let err = sb.fails(&["import", "sessions", root.to_str().unwrap()], 1);
    assert!(err.contains("loop"), "{err}");
    assert_eq!(sb.json(&["session", "ls", "--json"]), serde_json::json!([]));
    let mem = sb.dir.path().join("mem");
    fs::create_dir(&mem).unwrap();
    std::os::unix::fs::symlink(&mem, mem.join("again")).unwrap();
    sb.fails(
        &["import", "memory", mem.to_str().unwrap(), "--store", "s"],
        1,
    );
}

fn transcript_line(uuid: &str, parent: Option<&str>, text: &str) -> String {
    serde_json::json!({
        "type": "user", "uuid": uuid, "parentUuid": parent, "sessionId": "sess-1",
        "timestamp": "2026-06-01T10:00:00.000Z", "isSidechain": false,
        "message": { "role": "user", "content": text }
    })
    .to_string()
        + "\n"
}

#[test]
fn bad_transcript_lines_are_counted_and_the_rest_imports() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("proj");
    fs::create_dir(&dir).unwrap();
    let mut bytes = Vec::new();
    bytes.extend(transcript_line("u1", None, "first").as_bytes());
    bytes.extend(b"{not json at all\n");
    bytes.extend(&transcript_line("u2", Some("u1"), "second").as_bytes()[..40]); // truncated
    bytes.push(b'\n');
    bytes.extend(b"{\"type\":\"user\",\"text\":\"\xff\xfe\"}\n"); // invalid UTF-8
    bytes.extend(b"\"a string, not an object\"\n");
    let huge = format!(
        "{{\"type\":\"user\",\"pad\":\"{}\"}}\n",
        "x".repeat(10 * 1024 * 1024 + 10)
    );
    bytes.extend(huge.as_bytes());
    bytes.extend(transcript_line("u3", Some("u1"), "third").as_bytes());
    fs::write(dir.join("s.jsonl"), &bytes).unwrap();
    let out = sb.run(&["import", "sessions", dir.to_str().unwrap(), "--json"]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["bad_lines"], 5, "{report}");
    assert_eq!(report["events"], 2, "{report}");
    assert_eq!(report["sessions"], 1);
    let lines: Vec<u64> = report["problems"][0]["bad_lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|b| b["line"].as_u64().unwrap())
        .collect();
    assert_eq!(lines, [2, 3, 4, 5, 6]);
    // The human report names them on stderr too.
    let sb2 = Sandbox::new();
    let out = sb2.run(&["import", "sessions", dir.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("s.jsonl:2:"), "{err}");
}

#[test]
fn an_unchanged_file_is_skipped_and_a_grown_one_appends() {
    let sb = Sandbox::new();
    let dir = sb.dir.path().join("proj");
    fs::create_dir(&dir).unwrap();
    let file = dir.join("s.jsonl");
    fs::write(&file, transcript_line("u1", None, "one")).unwrap();
    let first = sb.json(&["import", "sessions", dir.to_str().unwrap(), "--json"]);
    assert_eq!(
        (first["files_imported"].as_u64(), first["events"].as_u64()),
        (Some(1), Some(1))
    );
    let again = sb.json(&["import", "sessions", dir.to_str().unwrap(), "--json"]);
    assert_eq!(
        (
            again["files_imported"].as_u64(),
            again["files_unchanged"].as_u64()
        ),
        (Some(0), Some(1))
    );
    let mut grown = fs::read(&file).unwrap();
    grown.extend(transcript_line("u2", Some("u1"), "two").as_bytes());
    fs::write(&file, grown).unwrap();
    sb.json(&["import", "sessions", dir.to_str().unwrap(), "--json"]);
    let sessions = sb.json(&["session", "ls", "--json"]);
    assert_eq!(sessions.as_array().unwrap().len(), 1, "{sessions}");
    assert_eq!(sessions[0]["events"], 2);
    assert_eq!(sessions[0]["agent"], "proj");
    let show = sb.json(&["session", "show", "sess-1", "--json"]);
    assert_eq!(show["events"][1]["text"], "two");
    let _ = Path::new("");
}

/// `lucid review` on a path with no database says so in one line with a hint, exits 1 (a user
/// error), and creates nothing: the TUI reads a database, it never makes an empty one.
#[test]
fn the_review_tui_refuses_a_database_that_does_not_exist() {
    let sb = Sandbox::new();
    let missing = sb.dir.path().join("nowhere/lucid.db");
    for args in [
        vec!["review"],
        vec!["review", "--db", missing.to_str().unwrap()],
    ] {
        let out = sb.cmd(&args).env("LUCID_DB", &missing).output().unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {stderr}");
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 2, "one error line and one hint: {stderr}");
        assert_eq!(
            lines[0],
            format!("lucid: no such database: {}", missing.display())
        );
        assert!(
            lines[1].starts_with("hint: ")
                && lines[1].contains("lucid demo")
                && lines[1].contains("lucid import"),
            "{stderr}"
        );
        assert!(out.stdout.is_empty(), "nothing on stdout");
        assert!(!missing.exists() && !missing.parent().unwrap().exists());
    }
}
