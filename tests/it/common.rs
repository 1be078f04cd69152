//! Shared helpers: run the real binary against a private database with pinned actor and time.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

pub const BIN: &str = env!("CARGO_BIN_EXE_lucid");

/// The shared fixture corpus (`../shared/corpus` beside the checkout).
pub fn corpus() -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus");
    if beside.exists() {
        beside
    } else {
        PathBuf::from("/work/shared/corpus")
    }
}

/// A temporary folder holding `lucid.db`.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Self {
        Self {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn db(&self) -> PathBuf {
        self.dir.path().join("lucid.db")
    }

    /// `lucid ARGS` with LUCID_DB, LUCID_ACTOR and LUCID_NOW pinned.
    pub fn cmd(&self, args: &[&str]) -> Command {
        let mut c = Command::new(BIN);
        c.args(args)
            .env("LUCID_DB", self.db())
            .env("LUCID_ACTOR", "tester")
            .env("LUCID_NOW", "2026-07-01T12:00:00Z")
            .env_remove("LUCID_STORE")
            .env("NO_COLOR", "1")
            .stdin(Stdio::null());
        c
    }

    pub fn run(&self, args: &[&str]) -> Output {
        self.cmd(args).output().expect("run lucid")
    }

    /// Runs with `input` on stdin.
    pub fn run_with_input(&self, args: &[&str], input: &[u8]) -> Output {
        use std::io::Write;
        let mut child = self
            .cmd(args)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn lucid");
        child
            .stdin
            .take()
            .expect("stdin")
            .write_all(input)
            .expect("write stdin");
        child.wait_with_output().expect("wait lucid")
    }

    /// Runs and asserts success, returning stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lucid {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    pub fn ok_with_input(&self, args: &[&str], input: &[u8]) -> String {
        let out = self.run_with_input(args, input);
        assert!(
            out.status.success(),
            "lucid {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("utf-8 stdout")
    }

    /// Runs, expects exit `code`, returns stderr.
    pub fn fails(&self, args: &[&str], code: i32) -> String {
        let out = self.run(args);
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        assert_eq!(out.status.code(), Some(code), "lucid {args:?}: {stderr}");
        stderr
    }

    pub fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("json output")
    }
}

/// Every regular file below `dir` as (relative path, bytes), sorted.
pub fn read_tree(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("read dir") {
            let p = e.expect("entry").path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p
                    .strip_prefix(dir)
                    .expect("prefix")
                    .to_string_lossy()
                    .into_owned();
                out.push((rel, std::fs::read(&p).expect("read")));
            }
        }
    }
    out.sort();
    out
}

/// For crash tests, with states as path → sha256: how `now` relates to `before` and `after`,
/// for failure messages.
pub fn describe_mix(
    before: &BTreeMap<String, String>,
    after: &BTreeMap<String, String>,
    now: &BTreeMap<String, String>,
) -> String {
    let keys: std::collections::BTreeSet<&String> = before
        .keys()
        .chain(after.keys())
        .chain(now.keys())
        .collect();
    let (mut like_before, mut like_after, mut neither) = (0, 0, 0);
    let mut examples = Vec::new();
    for k in keys {
        let (b, a, x) = (before.get(k), after.get(k), now.get(k));
        if b == a {
            if x != b {
                neither += 1;
                examples.push(k.clone());
            }
        } else if x == b {
            like_before += 1;
        } else if x == a {
            like_after += 1;
        } else {
            neither += 1;
            examples.push(k.clone());
        }
    }
    examples.truncate(5);
    format!(
        "{} memories now; of the paths the operation changes, {like_before} are as before and \
         {like_after} as after; {neither} match neither, e.g. {examples:?}",
        now.len()
    )
}

/// `PRAGMA integrity_check` through a read-only connection, before `lucid` touches the file
/// again: its rows joined (`ok` when sound).
pub fn integrity(conn: &rusqlite::Connection) -> String {
    let rows: Vec<String> = conn
        .prepare("PRAGMA integrity_check")
        .expect("prepare integrity_check")
        .query_map([], |r| r.get(0))
        .expect("integrity_check")
        .collect::<Result<_, _>>()
        .expect("integrity_check rows");
    rows.join("; ")
}

/// The database opened read-only, as a crash test inspects it before `lucid` runs again.
pub fn open_read_only(db: &Path) -> rusqlite::Connection {
    rusqlite::Connection::open_with_flags(
        db,
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY | rusqlite::OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .expect("open the database read-only")
}

/// Operations recorded for the store named `store`.
pub fn operations_of(conn: &rusqlite::Connection, store: &str) -> i64 {
    conn.query_row(
        "SELECT count(*) FROM operations o JOIN stores s ON s.id = o.store_id WHERE s.name = ?1",
        [store],
        |r| r.get(0),
    )
    .expect("count operations")
}

/// Moves everything from the WAL into the main file, so that the file alone is the database.
pub fn checkpoint(db: &Path) {
    let conn = rusqlite::Connection::open(db).expect("open the database");
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("checkpoint");
    assert_eq!(busy, 0, "the checkpoint could not complete");
    conn.close().expect("close after checkpoint");
}
