//! Crash safety: `lucid` processes are killed (SIGKILL) at random moments while they write large
//! memories, import big folders and roll back. After every kill the database must pass
//! `PRAGMA integrity_check`, the audit chain must verify, and the store must hold exactly the
//! state before the interrupted operation or exactly the state after it.

use std::collections::{BTreeMap, HashMap};
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use sha2::{Digest, Sha256};

use crate::common::{Sandbox, checkpoint, describe_mix, read_tree};

/// Memory path -> sha256 of its content.
type State = BTreeMap<String, String>;

const STORE: &str = "crash";
/// How many processes are killed (at least 200).
const KILLS: usize = 210;
/// The signal `Child::kill` sends on Unix.
const SIGKILL: i32 = 9;
/// Kills between restarts from the seed database.
const KILLS_PER_ROUND: usize = 21;
/// Files in each of the two folders imported without `--mirror`.
const IMPORT_FILES: usize = 2000;
/// Files in the folder imported with `--mirror`.
const MIRROR_FILES: usize = 1200;
/// Size of one large memory written through stdin.
const BIG_WRITE: usize = 90 * 1024;

/// xorshift64*: small, deterministic, good enough to spread kill moments.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x >> 12;
        x ^= x << 25;
        x ^= x >> 27;
        self.0 = x;
        x.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

/// The store's memories through `lucid memory ls --json [--at OP]`.
fn ls(sb: &Sandbox, at: Option<i64>) -> State {
    let at = at.map(|a| a.to_string());
    let mut args = vec!["memory", "ls", "--store", STORE, "--json"];
    if let Some(op) = &at {
        args.extend(["--at", op.as_str()]);
    }
    sb.json(&args)
        .as_array()
        .expect("memory ls --json prints an array")
        .iter()
        .map(|e| {
            (
                e["path"].as_str().expect("path").to_owned(),
                e["sha256"].as_str().expect("sha256").to_owned(),
            )
        })
        .collect()
}

/// What the file tree under `dir` becomes when imported: `/relative/path` -> sha256.
fn folder_state(dir: &Path) -> State {
    read_tree(dir)
        .into_iter()
        .map(|(rel, bytes)| (format!("/{rel}"), sha256_hex(&bytes)))
        .collect()
}

fn make_folder(dir: &Path, files: &[(String, String)]) {
    for (rel, content) in files {
        let path = dir.join(rel);
        fs::create_dir_all(path.parent().expect("parent")).expect("mkdir");
        fs::write(&path, content).expect("write fixture file");
    }
}

/// What SQLite itself says about the file, read-only, before any `lucid` touches it again:
/// (`integrity_check` rows, operations in the store, audit records).
fn raw_check(db: &Path) -> (String, i64, i64) {
    let conn = crate::common::open_read_only(db);
    let integrity = crate::common::integrity(&conn);
    let ops = crate::common::operations_of(&conn, STORE);
    let audit: i64 = conn
        .query_row("SELECT count(*) FROM audit", [], |r| r.get(0))
        .expect("count audit records");
    (integrity, ops, audit)
}

/// The database file's size against what its header says, and the WAL's size: context for a
/// refusal to open the file.
fn file_facts(db: &Path) -> String {
    let bytes = fs::read(db).unwrap_or_default();
    let be32 = |at: usize| {
        bytes
            .get(at..at + 4)
            .map_or(0, |b| u32::from_be_bytes([b[0], b[1], b[2], b[3]]))
    };
    let page_size = bytes
        .get(16..18)
        .map_or(0, |b| u32::from(u16::from_be_bytes([b[0], b[1]])));
    let wal = fs::metadata(format!("{}-wal", db.display())).map_or(0, |m| m.len());
    format!(
        "after the kill: file {} bytes, header says {} pages of {page_size} bytes = {} bytes \
         (change counter {}, version-valid-for {}), -wal {wal} bytes",
        bytes.len(),
        be32(28),
        u64::from(be32(28)) * u64::from(page_size),
        be32(24),
        be32(92)
    )
}

fn head_op(db: &Path) -> i64 {
    let conn = crate::common::open_read_only(db);
    conn.query_row(
        "SELECT max(o.id) FROM operations o JOIN stores s ON s.id = o.store_id WHERE s.name = ?1",
        [STORE],
        |r| r.get(0),
    )
    .expect("head op")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Kind {
    Write,
    Import,
    Mirror,
    Rollback,
}

/// One interruptible operation: the command, its stdin, and the state it must produce.
struct Planned {
    kind: Kind,
    args: Vec<String>,
    stdin: Option<PathBuf>,
    after: State,
    /// Whether completing it records an operation (a rollback always does; a no-op import not).
    records_op: bool,
    what: String,
}

struct Fixture {
    sb: Sandbox,
    /// Two folders with the same paths and different contents, and the mirror folder.
    folders: [(PathBuf, State); 3],
    payload_dir: PathBuf,
    /// Holds the folders and payloads: thousands of small files, on a RAM disk when there is
    /// one (creating and deleting them on a slow disk costs more than the whole test).
    _inputs: tempfile::TempDir,
}

impl Fixture {
    fn new() -> Self {
        let sb = Sandbox::new();
        let shm = Path::new("/dev/shm");
        let inputs = if shm.is_dir() {
            tempfile::tempdir_in(shm).expect("temp dir in /dev/shm")
        } else {
            tempfile::tempdir().expect("temp dir")
        };
        let root = inputs.path().to_path_buf();
        let notes = |tag: &str| -> Vec<(String, String)> {
            (0..IMPORT_FILES)
                .map(|i| {
                    (
                        format!("notes/{:02}/n{i:04}.md", i % 50),
                        format!("# note {i}\n\nversion {tag}: remember fact {i}.\n"),
                    )
                })
                .collect()
        };
        let mirror: Vec<(String, String)> = (0..MIRROR_FILES)
            .map(|i| {
                if i % 4 == 0 {
                    // Overlaps the other folders' paths with different content.
                    (
                        format!("notes/{:02}/n{i:04}.md", i % 50),
                        format!("mirrored note {i}\n"),
                    )
                } else {
                    (
                        format!("mirror/m{i:04}.md"),
                        format!("mirror-only memory {i}\n"),
                    )
                }
            })
            .collect();
        let mut folders = Vec::new();
        for (name, files) in [
            ("import-a", notes("A")),
            ("import-b", notes("B")),
            ("mirror", mirror),
        ] {
            let dir = root.join(name);
            make_folder(&dir, &files);
            let state = folder_state(&dir);
            assert_eq!(
                state.len(),
                files.len(),
                "{name}: every fixture file is importable"
            );
            folders.push((dir, state));
        }
        let payload_dir = root.join("payloads");
        fs::create_dir_all(&payload_dir).expect("mkdir payloads");
        Self {
            sb,
            folders: folders.try_into().expect("three folders"),
            payload_dir,
            _inputs: inputs,
        }
    }

    fn plan(
        &self,
        rng: &mut Rng,
        n: usize,
        before: &State,
        states: &BTreeMap<i64, State>,
    ) -> Planned {
        let s = |x: &str| x.to_owned();
        let roll = rng.below(10);
        match roll {
            0..=3 => {
                let path = if rng.below(5) == 0 {
                    s("/notes/00/n0000.md")
                } else {
                    format!("/big/{}.md", rng.below(4))
                };
                let mut content = format!("large memory #{n} for {path}\n").into_bytes();
                while content.len() < BIG_WRITE {
                    content.push(b'a' + (rng.below(26) as u8));
                    if rng.below(80) == 0 {
                        content.push(b'\n');
                    }
                }
                let file = self.payload_dir.join(format!("{n}.txt"));
                fs::write(&file, &content).expect("write payload");
                let mut after = before.clone();
                after.insert(path.clone(), sha256_hex(&content));
                Planned {
                    kind: Kind::Write,
                    args: vec![
                        s("memory"),
                        s("write"),
                        path.clone(),
                        s("--store"),
                        s(STORE),
                    ],
                    stdin: Some(file),
                    records_op: after != *before,
                    after,
                    what: format!("memory write {path} ({} bytes)", content.len()),
                }
            }
            4..=5 => {
                let (dir, files) = &self.folders[rng.below(2) as usize];
                let mut after = before.clone();
                after.extend(files.iter().map(|(p, h)| (p.clone(), h.clone())));
                Planned {
                    kind: Kind::Import,
                    args: vec![
                        s("import"),
                        s("memory"),
                        dir.display().to_string(),
                        s("--store"),
                        s(STORE),
                    ],
                    stdin: None,
                    records_op: after != *before,
                    after,
                    what: format!("import memory {}", dir.display()),
                }
            }
            6..=7 => {
                let (dir, files) = &self.folders[2];
                Planned {
                    kind: Kind::Mirror,
                    args: vec![
                        s("import"),
                        s("memory"),
                        dir.display().to_string(),
                        s("--store"),
                        s(STORE),
                        s("--mirror"),
                    ],
                    stdin: None,
                    records_op: files != before,
                    after: files.clone(),
                    what: format!("import memory --mirror {}", dir.display()),
                }
            }
            _ => {
                let ops: Vec<i64> = states.keys().copied().collect();
                let target = ops[rng.below(ops.len() as u64) as usize];
                // The state at the target as recorded when it was made, cross-checked with
                // what `memory ls --at` says now.
                let expected = states[&target].clone();
                assert_eq!(
                    ls(&self.sb, Some(target)),
                    expected,
                    "memory ls --at {target} differs from the state recorded after op {target}"
                );
                Planned {
                    kind: Kind::Rollback,
                    args: vec![
                        s("rollback"),
                        target.to_string(),
                        s("--reason"),
                        format!("crash test rollback #{n}"),
                        s("--store"),
                        s(STORE),
                    ],
                    stdin: None,
                    records_op: true,
                    after: expected,
                    what: format!("rollback {target}"),
                }
            }
        }
    }

    fn command(&self, p: &Planned) -> Command {
        let args: Vec<&str> = p.args.iter().map(String::as_str).collect();
        let mut cmd = self.sb.cmd(&args);
        cmd.stdout(Stdio::null()).stderr(Stdio::piped());
        if let Some(file) = &p.stdin {
            cmd.stdin(fs::File::open(file).expect("open payload"));
        }
        cmd
    }

    /// Runs `p` to completion, returning how long it took.
    fn run_fully(&self, p: &Planned) -> Duration {
        let start = Instant::now();
        let out = self.command(p).output().expect("run lucid");
        let took = start.elapsed();
        assert!(
            out.status.success(),
            "{}: {}",
            p.what,
            String::from_utf8_lossy(&out.stderr)
        );
        took
    }

    /// Starts `p`, SIGKILLs it after `delay`, returns its exit status and stderr.
    fn run_and_kill(&self, p: &Planned, delay: Duration) -> (ExitStatus, String) {
        let mut child = self.command(p).spawn().expect("spawn lucid");
        std::thread::sleep(delay);
        // Fails only when the process was already reaped, which cannot happen before `wait`.
        child.kill().expect("SIGKILL lucid");
        let out = child.wait_with_output().expect("wait for lucid");
        (
            out.status,
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }
}

#[derive(Debug, Default)]
struct Tally {
    /// Killed before commit: the old state survived.
    old_state: usize,
    /// The new state is there (committed before the kill, or the process finished).
    new_state: usize,
    /// Killed by the signal (rather than finishing first).
    signalled: usize,
    by_kind: HashMap<(Kind, bool), usize>,
}

#[test]
fn sigkill_at_random_moments_leaves_old_or_new_state() {
    use std::os::unix::process::ExitStatusExt;

    let started = Instant::now();
    let fx = Fixture::new();
    let sb = &fx.sb;
    let db = sb.db();
    sb.ok(&["store", "create", STORE]);
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);

    // Op id -> the state right after it, as observed. Every rollback target comes from here.
    let mut states: BTreeMap<i64, State> = BTreeMap::new();
    states.insert(head_op(&db), State::new());
    let mut current = State::new();

    // Measure each kind once, letting it complete. The import and the write also make the
    // history every round starts from; the mirror import and the rollback (to the empty first
    // state, the largest there is) are measured on top of it and then discarded.
    let mut typical: HashMap<Kind, Duration> = HashMap::new();
    let mut n = 0;
    let seed = sb.dir.path().join("seed.db");
    let (mut seed_states, mut seed_current) = (BTreeMap::new(), State::new());
    for wanted in [Kind::Import, Kind::Write, Kind::Mirror, Kind::Rollback] {
        if wanted == Kind::Mirror {
            // Each round starts again from this database, so that the history (and with it the
            // cost of every check) stays bounded.
            checkpoint(&db);
            fs::copy(&db, &seed).expect("copy the seed database");
            (seed_states, seed_current) = (states.clone(), current.clone());
        }
        let first: BTreeMap<i64, State> = states
            .iter()
            .take(1)
            .map(|(k, v)| (*k, v.clone()))
            .collect();
        let p = loop {
            let p = fx.plan(&mut rng, n, &current, &first);
            n += 1;
            if p.kind == wanted && p.records_op {
                break p;
            }
        };
        let took = fx.run_fully(&p);
        typical.insert(p.kind, took);
        current = ls(sb, None);
        assert_eq!(
            current, p.after,
            "{} completed with an unexpected state",
            p.what
        );
        states.insert(head_op(&db), current.clone());
    }
    eprintln!("typical durations: {typical:?}");

    let mut tally = Tally::default();
    let (mut ops, mut audit) = (0, 0);
    for i in 0..KILLS {
        if i % KILLS_PER_ROUND == 0 {
            for suffix in ["", "-wal", "-shm"] {
                let _ = fs::remove_file(format!("{}{suffix}", db.display()));
            }
            fs::copy(&seed, &db).expect("restore the seed database");
            states.clone_from(&seed_states);
            current.clone_from(&seed_current);
            (_, ops, audit) = raw_check(&db);
        }
        let p = fx.plan(&mut rng, n, &current, &states);
        n += 1;
        // From 0 to 30 % beyond the typical duration: before, during and after the commit.
        let span = typical[&p.kind].mul_f64(1.3).as_micros() as u64;
        let delay = Duration::from_micros(rng.below(span + 1));
        let (exit, errors) = fx.run_and_kill(&p, delay);
        let ctx = format!("kill #{i}: {} killed after {delay:?}", p.what);

        // A process that finished before the kill must have succeeded.
        let signalled = exit.signal() == Some(SIGKILL);
        assert!(
            signalled || exit.success(),
            "{ctx}: exited with {exit}: {errors}"
        );

        // (a) SQLite's own check, before lucid opens the file again.
        let (integrity, ops_now, audit_now) = raw_check(&db);
        assert_eq!(integrity, "ok", "{ctx}: PRAGMA integrity_check");

        // (b) The audit chain.
        let facts = file_facts(&db);
        let verify = sb.run(&["audit", "verify"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{ctx}: lucid audit verify: {} ({facts})",
            String::from_utf8_lossy(&verify.stderr)
        );

        // (c) Old state or new state, never a mix; the log and the audit agree with it.
        let now = ls(sb, None);
        let committed = ops_now - ops;
        assert!(
            committed == 0 || committed == 1,
            "{ctx}: {committed} operations appeared"
        );
        assert_eq!(
            audit_now - audit,
            committed,
            "{ctx}: audit records and operations disagree"
        );
        if committed == 1 {
            assert!(p.records_op, "{ctx}: an operation was recorded for a no-op");
            assert!(
                now == p.after,
                "{ctx}: an operation was committed but the state is not the expected new state \
                 ({})",
                describe_mix(&current, &p.after, &now)
            );
            states.insert(head_op(&db), now.clone());
            tally.new_state += 1;
        } else {
            assert!(
                now == current,
                "{ctx}: no operation was committed but the state changed ({})",
                describe_mix(&current, &p.after, &now)
            );
            assert!(
                signalled || !p.records_op,
                "{ctx}: the process succeeded but recorded no operation"
            );
            tally.old_state += 1;
        }
        tally.signalled += usize::from(signalled);
        *tally.by_kind.entry((p.kind, committed == 1)).or_default() += 1;
        current = now;
        ops = ops_now;
        audit = audit_now;
    }

    // Every recorded state can still be read back as it was.
    let ids: Vec<i64> = states.keys().copied().collect();
    for _ in 0..8 {
        let op = ids[rng.below(ids.len() as u64) as usize];
        assert_eq!(
            ls(sb, Some(op)),
            states[&op],
            "memory ls --at {op} after the kills"
        );
    }
    eprintln!("{KILLS} kills in {:?}: {tally:?}", started.elapsed());
    // The kills really landed on both sides of the commit, for every kind of operation.
    assert!(
        tally.signalled >= KILLS / 5,
        "too few kills landed: {tally:?}"
    );
    assert!(
        tally.old_state >= 20 && tally.new_state >= 20,
        "kills not spread: {tally:?}"
    );
    for kind in [Kind::Write, Kind::Import, Kind::Mirror, Kind::Rollback] {
        assert!(
            tally.by_kind.get(&(kind, false)).copied().unwrap_or(0) > 0,
            "no {kind:?} was interrupted before its commit: {tally:?}"
        );
    }
}
