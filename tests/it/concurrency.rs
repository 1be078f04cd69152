//! Two writers on one store at once: `lucid memory write` processes started back to back from two
//! threads for `LUCID_TEST_CONCURRENCY_SECS` seconds (default 30), on their own paths and on one
//! shared path updated with `--expect-sha256` compare-and-swap. Nothing may be lost, no process
//! may fail or complain about a locked database, and the audit chain must verify at the end.

use std::collections::{BTreeMap, BTreeSet};
use std::process::{Output, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::Sandbox;

const STORE: &str = "shared";
const SHARED: &str = "/shared.md";
/// Every fifth write of each writer goes to the shared path.
const SHARED_EVERY: usize = 5;
/// Each writer cycles over this many paths of its own, so paths are overwritten many times.
const OWN_PATHS: usize = 40;
/// A compare-and-swap that keeps losing this many times in a row counts as a failure.
const MAX_RETRIES: usize = 200;

fn duration() -> Duration {
    let secs = std::env::var("LUCID_TEST_CONCURRENCY_SECS")
        .ok()
        .map_or(30, |s| {
            s.trim()
                .parse::<u64>()
                .expect("LUCID_TEST_CONCURRENCY_SECS is a whole number of seconds")
        });
    Duration::from_secs(secs)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// What one writer did, as seen from the exit codes of its processes.
#[derive(Debug, Default)]
struct Writer {
    /// Own path -> the last content written there successfully.
    last: BTreeMap<String, Vec<u8>>,
    /// The reason of every successful write (each is unique), in order.
    committed: Vec<String>,
    /// The lines this writer appended to the shared memory, in order.
    appended: Vec<String>,
    /// Expected precondition failures on the shared path (exit 3).
    conflicts: usize,
    processes: usize,
    /// Anything that must not happen, with the command and its stderr.
    problems: Vec<String>,
}

impl Writer {
    /// Checks one finished process: `allowed` are the acceptable exit codes. Any mention of a
    /// locked or busy database is a problem whatever the exit code.
    fn check(&mut self, what: &str, out: &Output, allowed: &[i32]) -> Option<i32> {
        self.processes += 1;
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lower = stderr.to_lowercase();
        if lower.contains("locked") || lower.contains("busy") {
            self.problems
                .push(format!("{what}: lock error on stderr: {stderr}"));
        }
        let code = out.status.code();
        if !code.is_some_and(|c| allowed.contains(&c)) {
            self.problems
                .push(format!("{what}: exit {:?}: {stderr}", out.status));
        }
        code
    }
}

fn write(sb: &Sandbox, actor: &str, path: &str, content: &[u8], extra: &[&str]) -> Output {
    use std::io::Write as _;
    let mut args = vec!["memory", "write", path, "--store", STORE];
    args.extend_from_slice(extra);
    let mut child = sb
        .cmd(&args)
        .env("LUCID_ACTOR", actor)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn lucid");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(content)
        .expect("write stdin");
    child.wait_with_output().expect("wait for lucid")
}

fn run_writer(sb: &Sandbox, id: usize, deadline: Instant) -> Writer {
    let actor = format!("writer-{id}");
    let mut w = Writer::default();
    let mut i = 0;
    while Instant::now() < deadline && w.problems.is_empty() {
        i += 1;
        let reason = format!("w{id} #{i}");
        if i % SHARED_EVERY == 0 {
            // Read, append a line, write back only if nobody wrote in between; else retry.
            let line = format!("writer {id} append {i}");
            let mut tries = 0;
            loop {
                tries += 1;
                let cat = sb.run(&["memory", "cat", SHARED, "--store", STORE]);
                if w.check(&format!("memory cat {SHARED}"), &cat, &[0])
                    .is_none()
                {
                    break;
                }
                let mut content = cat.stdout.clone();
                content.extend_from_slice(format!("{line}\n").as_bytes());
                let expect = sha256_hex(&cat.stdout);
                let out = write(
                    sb,
                    &actor,
                    SHARED,
                    &content,
                    &["--expect-sha256", &expect, "--reason", &reason],
                );
                let what = format!("{reason}: memory write {SHARED} --expect-sha256 {expect}");
                match w.check(&what, &out, &[0, 3]) {
                    Some(0) => {
                        w.appended.push(line);
                        w.committed.push(reason.clone());
                        break;
                    }
                    Some(3) => {
                        let stderr = String::from_utf8_lossy(&out.stderr);
                        if !stderr.contains("precondition failed") {
                            w.problems.push(format!(
                                "{what}: exit 3 without a precondition failure: {stderr}"
                            ));
                            break;
                        }
                        w.conflicts += 1;
                        if tries >= MAX_RETRIES {
                            w.problems
                                .push(format!("{what}: still conflicting after {tries} tries"));
                            break;
                        }
                    }
                    _ => break,
                }
            }
        } else {
            let path = format!("/writer-{id}/note-{}.md", i % OWN_PATHS);
            let content = format!("{reason}: {}\n", "lorem ipsum ".repeat(i % 50)).into_bytes();
            let out = write(sb, &actor, &path, &content, &["--reason", &reason]);
            if w.check(&format!("{reason}: memory write {path}"), &out, &[0]) == Some(0) {
                w.last.insert(path, content);
                w.committed.push(reason);
            }
        }
    }
    w
}

#[test]
fn two_writers_for_a_while_lose_nothing_and_never_see_a_lock() {
    let sb = Sandbox::new();
    sb.ok(&["store", "create", STORE]);
    let header = b"# shared notes\n".to_vec();
    sb.ok_with_input(
        &[
            "memory", "write", SHARED, "--store", STORE, "--reason", "init",
        ],
        &header,
    );

    let started = Instant::now();
    let deadline = started + duration();
    let writers: Vec<Writer> = std::thread::scope(|s| {
        let handles: Vec<_> = (0..2)
            .map(|id| {
                let sb = &sb;
                s.spawn(move || run_writer(sb, id, deadline))
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("writer thread"))
            .collect()
    });
    let elapsed = started.elapsed();
    for (id, w) in writers.iter().enumerate() {
        eprintln!(
            "writer {id}: {} processes, {} writes committed, {} appends, {} conflicts in {elapsed:?}",
            w.processes,
            w.committed.len(),
            w.appended.len(),
            w.conflicts
        );
        assert!(w.problems.is_empty(), "writer {id}: {:#?}", w.problems);
        assert!(
            !w.committed.is_empty() && !w.appended.is_empty(),
            "writer {id} got nothing done"
        );
    }

    // Every own path holds its writer's last content, and nothing else is in the store.
    let listed: BTreeMap<String, String> = sb
        .json(&["memory", "ls", "--store", STORE, "--json"])
        .as_array()
        .expect("array")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().expect("path").to_owned(),
                e["sha256"].as_str().expect("sha256").to_owned(),
            )
        })
        .collect();
    let shared = sb.run(&["memory", "cat", SHARED, "--store", STORE]);
    assert!(shared.status.success(), "memory cat {SHARED}");
    let mut expected: BTreeMap<String, String> = writers
        .iter()
        .flat_map(|w| w.last.iter().map(|(p, c)| (p.clone(), sha256_hex(c))))
        .collect();
    expected.insert(SHARED.to_owned(), sha256_hex(&shared.stdout));
    assert_eq!(listed, expected, "the store's memories after both writers");

    // The shared memory has every acknowledged append exactly once, each writer's in order.
    let text = String::from_utf8(shared.stdout).expect("utf-8");
    let body = text
        .strip_prefix("# shared notes\n")
        .expect("the shared memory keeps its header");
    let lines: Vec<&str> = body.lines().collect();
    for (id, w) in writers.iter().enumerate() {
        let mine: Vec<&str> = lines
            .iter()
            .copied()
            .filter(|l| l.starts_with(&format!("writer {id} ")))
            .collect();
        assert_eq!(
            mine, w.appended,
            "writer {id}: its acknowledged appends in the shared memory"
        );
    }
    assert_eq!(
        lines.len(),
        writers.iter().map(|w| w.appended.len()).sum::<usize>(),
        "the shared memory has lines nobody acknowledged"
    );

    // One operation per acknowledged write, by its writer, plus the store's and the setup's.
    let log = sb.json(&["log", "--store", STORE, "--json"]);
    let log = log.as_array().expect("log array");
    let mut by_actor: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for op in log {
        let actor = op["actor"].as_str().expect("actor").to_owned();
        let reason = op["reason"].as_str().expect("reason").to_owned();
        assert!(
            by_actor.entry(actor).or_default().insert(reason.clone()),
            "two operations with reason {reason:?}"
        );
    }
    let total: usize = writers.iter().map(|w| w.committed.len()).sum();
    assert_eq!(
        log.len(),
        2 + total,
        "operations: create + init + one per write"
    );
    for (id, w) in writers.iter().enumerate() {
        let expected: BTreeSet<String> = w.committed.iter().cloned().collect();
        assert_eq!(
            by_actor.get(&format!("writer-{id}")),
            Some(&expected),
            "writer {id}: the operations in the log are exactly its acknowledged writes"
        );
    }

    // The audit chain: one record for the store, one per operation, and it verifies.
    let verify = sb.ok(&["audit", "verify"]);
    let expected_records = 1 + log.len();
    assert!(
        verify.starts_with(&format!("ok: {expected_records} records, head ")),
        "lucid audit verify: {verify}"
    );
}
