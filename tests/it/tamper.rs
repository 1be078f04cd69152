//! Tamper evidence: the audit log refuses UPDATE and DELETE through its triggers, and with the
//! triggers dropped every kind of edit — a changed field, a moved, deleted, swapped or inserted
//! record, a forged tail — makes `lucid audit verify` exit 4 naming a record (the tail only
//! against a head hash anchored outside the database, `--expect-head`).

use std::fs;
use std::path::{Path, PathBuf};

use rusqlite::{Connection, params};
use sha2::{Digest, Sha256};

use crate::common::Sandbox;

const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";
const COLUMNS: [&str; 9] = [
    "seq",
    "at",
    "actor",
    "action",
    "target",
    "details",
    "reason",
    "prev_hash",
    "hash",
];

#[derive(Debug, Clone, PartialEq, Eq)]
struct Rec {
    seq: i64,
    /// `at, actor, action, target, details, reason, prev_hash, hash`, in column order.
    text: [String; 8],
}

impl Rec {
    fn prev_hash(&self) -> &str {
        &self.text[6]
    }
    fn hash(&self) -> &str {
        &self.text[7]
    }
}

/// The documented record hash: SHA-256 over `prev_hash`, a newline, and the compact JSON array
/// `[seq, at, actor, action, target, details, reason]` — computed here independently, so that
/// forged records are as good as real ones.
fn record_hash(prev: &str, seq: i64, f: &[String]) -> String {
    let canonical =
        serde_json::to_string(&(seq, &f[0], &f[1], &f[2], &f[3], &f[4], &f[5])).expect("json");
    let mut h = Sha256::new();
    h.update(prev.as_bytes());
    h.update(b"\n");
    h.update(canonical.as_bytes());
    hex::encode(h.finalize())
}

fn records(conn: &Connection) -> Vec<Rec> {
    let mut stmt = conn
        .prepare(
            "SELECT seq, at, actor, action, target, details, reason, prev_hash, hash
             FROM audit ORDER BY seq",
        )
        .expect("prepare");
    stmt.query_map([], |r| {
        let mut text: [String; 8] = Default::default();
        for (i, t) in text.iter_mut().enumerate() {
            *t = r.get(i + 1)?;
        }
        Ok(Rec {
            seq: r.get(0)?,
            text,
        })
    })
    .expect("query")
    .collect::<Result<_, _>>()
    .expect("rows")
}

fn insert(conn: &Connection, seq: i64, text: &[String; 8]) {
    conn.execute(
        "INSERT INTO audit (seq, at, actor, action, target, details, reason, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        params![
            seq, text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7]
        ],
    )
    .expect("insert audit record");
}

/// Overwrites every column but `seq` of record `seq`.
fn overwrite(conn: &Connection, seq: i64, text: &[String; 8]) {
    let n = conn
        .execute(
            "UPDATE audit SET at = ?2, actor = ?3, action = ?4, target = ?5, details = ?6,
                 reason = ?7, prev_hash = ?8, hash = ?9 WHERE seq = ?1",
            params![
                seq, text[0], text[1], text[2], text[3], text[4], text[5], text[6], text[7]
            ],
        )
        .expect("overwrite audit record");
    assert_eq!(n, 1, "record {seq} exists");
}

/// A database with a dozen audit records, checkpointed into one file.
struct Pristine {
    _dir: tempfile::TempDir,
    file: PathBuf,
    records: Vec<Rec>,
    head: String,
}

fn pristine() -> Pristine {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", "notes", "--description", "agent notes"]);
    let w = |path: &str, text: &str, reason: &str| {
        sb.ok_with_input(
            &[
                "memory", "write", path, "--store", "notes", "--reason", reason,
            ],
            text.as_bytes(),
        );
    };
    w("/MEMORY.md", "# Memory\n- uses cargo\n", "first notes");
    w("/topics/build.md", "run `cargo test`\n", "build notes");
    w(
        "/MEMORY.md",
        "# Memory\n- uses cargo\n- \"quoted\" fact\n",
        "more",
    );
    sb.ok(&["rollback", "3", "--store", "notes", "--reason", "bad fact"]);
    sb.ok(&["tag", "reviewed", "--store", "notes"]);
    sb.ok(&[
        "memory",
        "mv",
        "/topics/build.md",
        "/topics/ci.md",
        "--store",
        "notes",
    ]);
    sb.ok(&["store", "create", "scratch"]);
    sb.ok_with_input(
        &["memory", "write", "/tmp.md", "--store", "scratch"],
        b"temporary\n",
    );
    let out = sb.ok(&["audit", "verify"]);

    let conn = Connection::open(sb.db()).expect("open");
    let (busy, _, _): (i64, i64, i64) = conn
        .query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?))
        })
        .expect("checkpoint");
    assert_eq!(busy, 0, "checkpoint blocked");
    let records = records(&conn);
    conn.close().expect("close");
    let wal = PathBuf::from(format!("{}-wal", sb.db().display()));
    assert!(
        fs::metadata(&wal).map_or(0, |m| m.len()) == 0,
        "everything is in the main file"
    );

    assert!(records.len() >= 10, "only {} audit records", records.len());
    let n = records.len();
    let head = records[n - 1].hash().to_owned();
    assert_eq!(out, format!("ok: {n} records, head {head}\n"));
    // The documented hash is the one stored: forging below uses the real algorithm.
    let mut prev = GENESIS.to_owned();
    for (i, r) in records.iter().enumerate() {
        assert_eq!(r.seq, i as i64 + 1, "seq numbers are 1..n");
        assert_eq!(r.prev_hash(), prev, "record {} links", r.seq);
        assert_eq!(
            record_hash(&prev, r.seq, &r.text),
            r.hash(),
            "record {}",
            r.seq
        );
        r.hash().clone_into(&mut prev);
    }

    let dir = tempfile::tempdir().expect("temp dir");
    let file = dir.path().join("pristine.db");
    fs::copy(sb.db(), &file).expect("copy pristine");
    Pristine {
        _dir: dir,
        file,
        records,
        head,
    }
}

impl Pristine {
    fn n(&self) -> i64 {
        self.records.len() as i64
    }

    /// A fresh copy with the append-only triggers dropped and `tamper` applied.
    fn tampered(&self, tamper: impl FnOnce(&Connection)) -> Sandbox {
        let sb = Sandbox::new();
        fs::copy(&self.file, sb.db()).expect("copy pristine");
        let conn = Connection::open(sb.db()).expect("open copy");
        conn.execute_batch("DROP TRIGGER audit_no_update; DROP TRIGGER audit_no_delete;")
            .expect("drop triggers");
        tamper(&conn);
        conn.close().expect("close copy");
        sb
    }
}

/// Runs `lucid audit verify EXTRA`, expects exit 4 naming one of `records`.
fn assert_caught(sb: &Sandbox, case: &str, extra: &[&str], records: &[i64]) {
    let mut args = vec!["audit", "verify"];
    args.extend_from_slice(extra);
    let out = sb.run(&args);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(
        out.status.code(),
        Some(4),
        "{case}: lucid {args:?} exit code; stdout {:?}, stderr {stderr:?}",
        String::from_utf8_lossy(&out.stdout)
    );
    let named: Option<i64> = stderr.find("record ").and_then(|at| {
        let digits: String = stderr[at + "record ".len()..]
            .chars()
            .take_while(char::is_ascii_digit)
            .collect();
        digits.parse().ok()
    });
    assert!(
        named.is_some_and(|r| records.contains(&r)),
        "{case}: expected stderr to name record {records:?}, got {stderr:?}"
    );
}

fn assert_passes(sb: &Sandbox, case: &str, records: i64) -> String {
    let out = sb.run(&["audit", "verify"]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert_eq!(
        out.status.code(),
        Some(0),
        "{case}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    let prefix = format!("ok: {records} records, head ");
    let head = stdout
        .strip_prefix(&prefix)
        .and_then(|s| s.strip_suffix('\n'))
        .unwrap_or_else(|| panic!("{case}: unexpected output {stdout:?}"));
    assert!(
        head.len() == 64
            && head
                .bytes()
                .all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()),
        "{case}: head {head:?}"
    );
    head.to_owned()
}

/// A different value of the same kind: one hex digit changed in a hash, a trailing space
/// elsewhere (details stay equivalent JSON, the subtlest possible edit).
fn altered(column: &str, value: &str) -> String {
    if column.ends_with("hash") {
        let flipped = if value.starts_with('0') { '1' } else { '0' };
        format!("{flipped}{}", &value[1..])
    } else {
        format!("{value} ")
    }
}

#[test]
fn an_untampered_log_verifies_and_prints_its_head() {
    let p = pristine();
    let sb = p.tampered(|_| {});
    let head = assert_passes(&sb, "untampered", p.n());
    assert_eq!(head, p.head);
    let ok = sb.run(&["audit", "verify", "--expect-head", &p.head]);
    assert_eq!(
        ok.status.code(),
        Some(0),
        "--expect-head with the real head"
    );
}

#[test]
fn the_triggers_refuse_update_and_delete_on_the_audit_log() {
    let p = pristine();
    let sb = Sandbox::new();
    fs::copy(&p.file, sb.db()).expect("copy pristine");
    let conn = Connection::open(sb.db()).expect("open copy");
    for sql in [
        "UPDATE audit SET actor = 'mallory' WHERE seq = 3",
        "UPDATE audit SET seq = 100 WHERE seq = 3",
        "DELETE FROM audit WHERE seq = 3",
        "DELETE FROM audit",
    ] {
        let err = conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{sql}: {err}");
    }
    conn.close().expect("close");
    assert_eq!(
        records(&Connection::open(sb.db()).expect("open")),
        p.records
    );
    assert_passes(&sb, "after refused edits", p.n());
}

#[test]
fn changing_any_field_of_any_record_is_caught_at_that_record() {
    let p = pristine();
    let n = p.n();
    for rec in &p.records {
        let k = rec.seq;
        for column in COLUMNS {
            let case = format!("{column} of record {k} changed");
            if column == "seq" {
                // Moved to an unused number above or below: the gap shows at position k (or
                // at position 1 for a record moved in front of the first).
                let sb = p.tampered(|c| {
                    c.execute(
                        "UPDATE audit SET seq = ?1 WHERE seq = ?2",
                        params![n + 100, k],
                    )
                    .expect("move up");
                });
                let found = if k < n { k + 1 } else { n + 100 };
                assert_caught(&sb, &format!("{case} to {}", n + 100), &[], &[k, found]);
                let sb = p.tampered(|c| {
                    c.execute("UPDATE audit SET seq = 0 WHERE seq = ?1", [k])
                        .expect("move down");
                });
                assert_caught(&sb, &format!("{case} to 0"), &[], &[0, 1]);
                continue;
            }
            let value = &rec.text[COLUMNS.iter().position(|c| *c == column).unwrap() - 1];
            let new = altered(column, value);
            assert_ne!(&new, value);
            let sb = p.tampered(|c| {
                c.execute(
                    &format!("UPDATE audit SET {column} = ?1 WHERE seq = ?2"),
                    params![new, k],
                )
                .expect("update");
            });
            assert_caught(&sb, &case, &[], &[k]);
        }
    }
}

#[test]
fn deleting_a_record_in_the_middle_is_caught() {
    let p = pristine();
    let k = p.n() / 2;
    let sb = p.tampered(|c| {
        c.execute("DELETE FROM audit WHERE seq = ?1", [k])
            .expect("delete");
    });
    assert_caught(&sb, &format!("record {k} deleted"), &[], &[k, k + 1]);

    let sb = p.tampered(|c| {
        c.execute("DELETE FROM audit WHERE seq = 1", [])
            .expect("delete");
    });
    assert_caught(&sb, "record 1 deleted", &[], &[1, 2]);
}

#[test]
fn swapping_two_records_is_caught() {
    let p = pristine();
    for (i, j) in [(3, 4), (2, p.n() - 1), (1, p.n())] {
        let (a, b) = (&p.records[i as usize - 1], &p.records[j as usize - 1]);
        let sb = p.tampered(|c| {
            overwrite(c, i, &b.text);
            overwrite(c, j, &a.text);
        });
        assert_caught(&sb, &format!("records {i} and {j} swapped"), &[], &[i]);
    }
}

#[test]
fn inserting_a_record_in_the_middle_is_caught() {
    let p = pristine();
    let n = p.n();
    let k = n / 2;
    // With `seq INTEGER PRIMARY KEY` there is no room between two records: a fractional seq is
    // refused, so an insertion has to renumber the records after it.
    let sb = p.tampered(|c| {
        let err = c
            .execute(
                "INSERT INTO audit (seq, at, actor, action, target, details, reason, prev_hash,
                                    hash) VALUES (?1, 'a', 'b', 'c', 'd', '{}', '', 'x', 'y')",
                [k as f64 + 0.5],
            )
            .expect_err("a fractional seq");
        assert!(err.to_string().contains("datatype mismatch"), "{err}");
    });
    assert_passes(&sb, "nothing inserted", n);

    // Renumber k+1..n upwards (from the top, so no number is ever taken twice), then insert a
    // well-formed record at k+1 that links to record k and carries a correct hash.
    let forged = |prev: &str| -> [String; 8] {
        let mut text: [String; 8] = [
            "2026-07-01T12:00:00Z",
            "tester",
            "op.write",
            "notes",
            r#"{"store":"notes","files":[]}"#,
            "an operation that never happened",
            prev,
            "",
        ]
        .map(str::to_owned);
        text[7] = record_hash(prev, k + 1, &text);
        text
    };
    let sb = p.tampered(|c| {
        for s in (k + 1..=n).rev() {
            c.execute(
                "UPDATE audit SET seq = ?1 WHERE seq = ?2",
                params![s + 1, s],
            )
            .expect("renumber");
        }
        insert(c, k + 1, &forged(p.records[k as usize - 1].hash()));
    });
    assert_caught(
        &sb,
        &format!("record inserted after {k}"),
        &[],
        &[k + 1, k + 2],
    );

    // The same with a record that does not even link: caught at the insertion.
    let sb = p.tampered(|c| {
        for s in (k + 1..=n).rev() {
            c.execute(
                "UPDATE audit SET seq = ?1 WHERE seq = ?2",
                params![s + 1, s],
            )
            .expect("renumber");
        }
        insert(c, k + 1, &forged(GENESIS));
    });
    assert_caught(
        &sb,
        &format!("unlinked record inserted after {k}"),
        &[],
        &[k + 1],
    );
}

#[test]
fn a_forged_or_truncated_tail_is_caught_against_the_anchored_head() {
    let p = pristine();
    let n = p.n();
    let last = &p.records[n as usize - 1];

    // A well-formed record appended at the end: the chain alone cannot tell...
    let sb = p.tampered(|c| {
        let mut text = last.text.clone();
        text[5] = "appended later".into();
        text[6] = last.hash().to_owned();
        text[7] = record_hash(last.hash(), n + 1, &text);
        insert(c, n + 1, &text);
    });
    let head = assert_passes(&sb, "forged record appended", n + 1);
    assert_ne!(head, p.head);
    // ...but the head anchored before does.
    assert_caught(
        &sb,
        "forged record appended",
        &["--expect-head", &p.head],
        &[n, n + 1],
    );

    // The last record removed.
    let sb = p.tampered(|c| {
        c.execute("DELETE FROM audit WHERE seq = ?1", [n])
            .expect("delete");
    });
    assert_passes(&sb, "last record removed", n - 1);
    assert_caught(
        &sb,
        "last record removed",
        &["--expect-head", &p.head],
        &[n - 1, n],
    );

    // A record in the middle changed and every hash after it recomputed.
    let k = 3;
    let sb = p.tampered(|c| {
        let mut prev = p.records[k as usize - 2].hash().to_owned();
        for r in &p.records[k as usize - 1..] {
            let mut text = r.text.clone();
            if r.seq == k {
                text[1] = "mallory".into();
            }
            text[6].clone_from(&prev);
            text[7] = record_hash(&prev, r.seq, &text);
            overwrite(c, r.seq, &text);
            prev = text[7].clone();
        }
    });
    assert_passes(&sb, "rehashed tail", n);
    assert_caught(&sb, "rehashed tail", &["--expect-head", &p.head], &[k, n]);
}

#[test]
fn the_pristine_copy_is_self_contained() {
    // Guard for every test above: the copied file alone (no -wal) holds all records.
    let p = pristine();
    let dir = tempfile::tempdir().expect("temp dir");
    let copy: PathBuf = dir.path().join("x.db");
    fs::copy(&p.file, &copy).expect("copy");
    assert!(!Path::new(&format!("{}-wal", p.file.display())).exists());
    let conn = Connection::open(&copy).expect("open");
    assert_eq!(records(&conn), p.records);
}

#[test]
fn a_field_stored_as_a_blob_is_caught_at_that_record() {
    // The same bytes with another storage class: still an edit outside lucid, to be reported as
    // a broken chain (exit 4, naming the record), not as an internal error.
    let p = pristine();
    let k = 2;
    for column in ["actor", "reason", "details"] {
        let sb = p.tampered(|c| {
            c.execute(
                &format!("UPDATE audit SET {column} = CAST({column} AS BLOB) WHERE seq = ?1"),
                [k],
            )
            .expect("retype");
        });
        assert_caught(
            &sb,
            &format!("{column} of record {k} stored as a blob"),
            &[],
            &[k],
        );
    }
}
