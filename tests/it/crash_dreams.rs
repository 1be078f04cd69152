//! Crash safety of dreams and proposals: `lucid proposal apply` (160 accepted changes)
//! and `lucid dream` on a store in auto mode (which runs the engine, stores the proposal,
//! accepts it and applies it) are killed (SIGKILL) at random moments. After every kill the
//! database must pass `PRAGMA integrity_check`, the audit chain must verify, the store must hold
//! exactly the state before or exactly the state a completed run produces, the dream and the
//! proposal must agree with the store, the audit log must be a prefix of a completed run's cut
//! at a commit, a pending proposal must still apply, and a dream whose process died must not keep
//! its store locked.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Output, Stdio};
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::common::{Sandbox, checkpoint, describe_mix};

/// Memory path -> sha256 of its content.
type State = BTreeMap<String, String>;

/// One audit record as compared across runs: actor, action, target, details.
type AuditRow = (String, String, String, String);

/// How many processes are killed (at least 200), over both kinds.
const KILLS: usize = 210;
/// The signal `Child::kill` sends on Unix.
const SIGKILL: i32 = 9;
/// Topic files behind the proposal that is applied: every one of them changes.
const APPLY_FILES: usize = 160;
/// Topic files of the auto-mode store: the dream runs the whole engine, so fewer.
const AUTO_FILES: usize = 24;
/// Complete runs of each kind measured up front. The kill window is 1.3 times the median of the
/// latest five complete runs: these, then the reruns that finish what a kill interrupted.
const MEASURED_RUNS: usize = 3;

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

/// Pronounceable words, each distinct from every other one it hands out, so that the engine
/// finds exactly the duplicates the fixture plants and nothing else.
struct Words(u64);

impl Words {
    fn next(&mut self) -> String {
        const CONSONANTS: &[u8] = b"bdfgklmnprstvz";
        const VOWELS: &[u8] = b"aeiou";
        // Three syllables of 70 make 343,000 words; 7,919 is prime to 343,000 = 2^3 5^3 7^3,
        // so this walk visits each word once while neighbours look unrelated.
        let mut x = (self.0 * 7_919 + 12_345) % 343_000;
        self.0 += 1;
        let mut w = String::new();
        for _ in 0..3 {
            let syllable = (x % 70) as usize;
            x /= 70;
            w.push(char::from(CONSONANTS[syllable / 5]));
            w.push(char::from(VOWELS[syllable % 5]));
        }
        w
    }

    fn entry(&mut self, n: usize) -> String {
        let words: Vec<String> = (0..n).map(|_| self.next()).collect();
        format!("- {}", words.join(" "))
    }
}

/// A memory folder of `files` topic files and an index. Each file holds ten unique entries, one
/// entry it shares verbatim with its neighbour (an exact duplicate across files) and one that
/// says "yesterday" (a relative date): the builtin engine changes every file.
fn memory_folder(dir: &Path, files: usize, words: &mut Words) {
    fs::create_dir_all(dir).expect("mkdir memory folder");
    let shared: Vec<String> = (0..files.div_ceil(2)).map(|_| words.entry(7)).collect();
    let mut index = String::from("# Memory index\n\n");
    for i in 0..files {
        let name = format!("topic-{}.md", words.next());
        let mut text = format!("# Topic {}\n\n", words.next());
        for _ in 0..10 {
            text.push_str(&words.entry(7));
            text.push('\n');
        }
        text.push_str(&shared[i / 2]);
        text.push('\n');
        let (what, place) = (words.next(), words.next());
        writeln!(
            text,
            "- deployed the {what} worker yesterday to the {place} cluster"
        )
        .expect("write to a String");
        fs::write(dir.join(&name), text).expect("write topic file");
        writeln!(index, "- [topic {i}]({name})").expect("write to a String");
    }
    fs::write(dir.join("MEMORY.md"), index).expect("write MEMORY.md");
}

fn stderr_of(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// What SQLite itself says about the file, read-only, before any `lucid` touches it again.
struct Raw {
    integrity: String,
    /// Operations in the store.
    ops: i64,
    /// Decisions on the store's proposals.
    decisions: i64,
    /// Audit records after the seed's last one, in order.
    audit: Vec<AuditRow>,
}

fn raw_check(db: &Path, store: &str, audit_after: i64) -> Raw {
    let conn = crate::common::open_read_only(db);
    let integrity = crate::common::integrity(&conn);
    let ops = crate::common::operations_of(&conn, store);
    let decisions: i64 = conn
        .query_row(
            "SELECT count(*) FROM decisions d JOIN changes c ON c.id = d.change_id
             JOIN proposals p ON p.id = c.proposal_id JOIN stores s ON s.id = p.store_id
             WHERE s.name = ?1",
            [store],
            |r| r.get(0),
        )
        .expect("count decisions");
    let audit = conn
        .prepare(
            "SELECT actor, action, target, CAST(details AS TEXT) FROM audit WHERE seq > ?1
             ORDER BY seq",
        )
        .expect("prepare audit")
        .query_map([audit_after], |r| {
            Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?))
        })
        .expect("audit records")
        .collect::<Result<_, _>>()
        .expect("audit rows");
    Raw {
        integrity,
        ops,
        decisions,
        audit,
    }
}

fn last_audit_seq(db: &Path) -> i64 {
    let conn = crate::common::open_read_only(db);
    conn.query_row("SELECT coalesce(max(seq), 0) FROM audit", [], |r| r.get(0))
        .expect("last audit record")
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Kind {
    /// `lucid proposal apply P` of a proposal whose changes are all accepted.
    Apply,
    /// `lucid dream` on a store in auto mode.
    AutoDream,
}

/// How far an interrupted run got, judged from the dream, the proposal and the store.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Stage {
    /// Nothing was recorded.
    Nothing,
    /// The dream is registered and holds the store's lease; no proposal yet.
    Running,
    /// The dream completed with a pending proposal, nothing decided yet.
    Proposed,
    /// Every change of the pending proposal is accepted; nothing written yet (for `Apply`: the
    /// old state).
    Accepted,
    /// The proposal is applied: the store holds the new state.
    Applied,
}

/// The proposal as `lucid proposal show --json` reports it: state, and each change's state.
#[derive(Debug, Clone, PartialEq, Eq)]
struct ProposalView {
    state: String,
    changes: Vec<String>,
}

/// One store in its own database, prepared once and restored from a seed before every kill.
struct Lab {
    kind: Kind,
    store: &'static str,
    sb: Sandbox,
    seed: PathBuf,
    args: Vec<String>,
    before: State,
    after: State,
    /// Operations in the store, and the last audit record, in the seed.
    seed_ops: i64,
    seed_audit: i64,
    /// The audit records a complete run appends.
    full_audit: Vec<AuditRow>,
    /// The proposal the interrupted command applies (`Apply`), or the one a complete auto
    /// dream creates and applies.
    proposal: i64,
    /// The proposal after a complete run.
    applied: ProposalView,
    /// Changes in the proposal (as many decisions as that make it accepted).
    changes: usize,
    /// How long complete runs took, latest last.
    took: Vec<Duration>,
}

impl Lab {
    fn cmd(&self, args: &[&str]) -> Command {
        let mut cmd = self.sb.cmd(args);
        cmd.stdout(Stdio::piped()).stderr(Stdio::piped());
        cmd
    }

    fn ls(&self) -> State {
        self.sb
            .json(&["memory", "ls", "--store", self.store, "--json"])
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

    fn proposal(&self, id: i64) -> ProposalView {
        let v = self
            .sb
            .json(&["proposal", "show", &id.to_string(), "--json"]);
        ProposalView {
            state: v["proposal"]["state"]
                .as_str()
                .expect("proposal state")
                .to_owned(),
            changes: v["changes"]
                .as_array()
                .expect("changes")
                .iter()
                .map(|c| c["state"].as_str().expect("change state").to_owned())
                .collect(),
        }
    }

    /// The store's dreams, oldest first; fails on a completed dream without a proposal.
    fn dreams(&self, ctx: &str) -> Vec<Value> {
        let mut list = self
            .sb
            .json(&["dream", "ls", "--store", self.store, "--json"])
            .as_array()
            .expect("dream ls --json prints an array")
            .clone();
        list.reverse();
        for d in &list {
            assert!(
                d["status"] != "completed" || d["proposal_id"].is_i64(),
                "{ctx}: dream ls shows a completed dream without a proposal: {d}"
            );
        }
        list
    }

    fn raw(&self) -> Raw {
        raw_check(&self.sb.db(), self.store, self.seed_audit)
    }

    fn reset(&self) {
        let db = self.sb.db();
        for suffix in ["", "-wal", "-shm"] {
            let _ = fs::remove_file(format!("{}{suffix}", db.display()));
        }
        fs::copy(&self.seed, &db).expect("restore the seed database");
    }

    fn command(&self) -> Command {
        let args: Vec<&str> = self.args.iter().map(String::as_str).collect();
        self.cmd(&args)
    }

    /// Runs `lucid ARGS` to the end and requires success.
    fn ok(&self, args: &[&str], ctx: &str) -> Output {
        let out = self.cmd(args).output().expect("run lucid");
        assert!(
            out.status.success(),
            "{ctx}: lucid {} failed ({}): {}",
            args.join(" "),
            out.status,
            stderr_of(&out)
        );
        out
    }

    /// Starts the command, SIGKILLs it after `delay`, returns its exit status and stderr.
    fn run_and_kill(&self, delay: Duration) -> (ExitStatus, String) {
        let mut cmd = self.command();
        cmd.stdout(Stdio::null());
        let mut child = cmd.spawn().expect("spawn lucid");
        std::thread::sleep(delay);
        // Fails only when the process was already reaped, which cannot happen before `wait`.
        child.kill().expect("SIGKILL lucid");
        let out = child.wait_with_output().expect("wait for lucid");
        (out.status, stderr_of(&out))
    }

    /// How many leading records of a complete run's audit log the stage has.
    fn audit_len(&self, stage: Stage) -> usize {
        let first = |action: &str| {
            self.full_audit
                .iter()
                .position(|r| r.1 == action)
                .unwrap_or_else(|| panic!("a complete run audits no {action}"))
        };
        match stage {
            Stage::Nothing => 0,
            Stage::Running => first("dream.start") + 1,
            Stage::Proposed => first("dream.complete") + 1,
            Stage::Accepted => {
                self.full_audit
                    .iter()
                    .rposition(|r| r.1 == "proposal.decide")
                    .expect("a complete auto dream audits its decisions")
                    + 1
            }
            Stage::Applied => self.full_audit.len(),
        }
    }

    /// The proposal is pending with every change open, and `lucid proposal apply` (after
    /// `accept --all` when nothing was decided) still produces the new state. Returns how long
    /// the apply took.
    fn finish_pending(&self, ctx: &str, proposal: i64, accepted: bool) -> Duration {
        let id = proposal.to_string();
        if !accepted {
            self.ok(&["proposal", "accept", &id, "--all"], ctx);
        }
        let start = Instant::now();
        self.ok(&["proposal", "apply", &id], ctx);
        let took = start.elapsed();
        assert!(
            self.ls() == self.after,
            "{ctx}: applying the pending proposal {proposal} afterwards did not produce the \
             state of a complete run ({})",
            describe_mix(&self.before, &self.after, &self.ls())
        );
        assert_eq!(
            self.proposal(proposal),
            self.applied,
            "{ctx}: proposal {proposal} after applying it afterwards"
        );
        took
    }
}

/// A sandbox with `store` holding a memory folder of `files` topic files.
fn imported_store(store: &str, files: usize, words: &mut Words) -> Sandbox {
    let sb = Sandbox::new();
    let folder = sb.dir.path().join("memory");
    memory_folder(&folder, files, words);
    sb.ok(&["store", "create", store]);
    sb.ok(&[
        "import",
        "memory",
        &folder.display().to_string(),
        "--store",
        store,
    ]);
    sb
}

fn apply_lab(words: &mut Words) -> Lab {
    let store = "reviewed";
    let sb = imported_store(store, APPLY_FILES, words);
    let out = sb.json(&["dream", "--store", store, "--json"]);
    let proposal = out["proposal_id"]
        .as_i64()
        .expect("the dream made a proposal");
    let changes = out["changes"].as_u64().expect("changes") as usize;
    assert!(
        changes >= APPLY_FILES,
        "the builtin engine proposed only {changes} changes for {APPLY_FILES} topic files: {out}"
    );
    sb.ok(&["proposal", "accept", &proposal.to_string(), "--all"]);
    Lab {
        kind: Kind::Apply,
        store,
        args: ["proposal", "apply", &proposal.to_string()]
            .map(str::to_owned)
            .to_vec(),
        proposal,
        changes,
        ..Lab::blank(sb, store)
    }
}

fn auto_lab(words: &mut Words) -> Lab {
    let store = "auto";
    let sb = imported_store(store, AUTO_FILES, words);
    sb.ok(&["store", "set", store, "--mode", "auto"]);
    Lab {
        kind: Kind::AutoDream,
        store,
        args: ["dream", "--store", store, "--json"]
            .map(str::to_owned)
            .to_vec(),
        ..Lab::blank(sb, store)
    }
}

impl Lab {
    fn blank(sb: Sandbox, store: &'static str) -> Self {
        let seed = sb.dir.path().join("seed.db");
        Self {
            kind: Kind::Apply,
            store,
            sb,
            seed,
            args: Vec::new(),
            before: State::new(),
            after: State::new(),
            seed_ops: 0,
            seed_audit: 0,
            full_audit: Vec::new(),
            proposal: 0,
            applied: ProposalView {
                state: String::new(),
                changes: Vec::new(),
            },
            changes: 0,
            took: Vec::new(),
        }
    }

    /// Freezes the database as the seed and runs the command to the end on copies of it: what
    /// a complete run leaves behind (the same every time) and how long it takes.
    fn measure(&mut self) {
        let db = self.sb.db();
        self.before = self.ls();
        assert!(
            self.dreams("seed").len() == usize::from(self.kind == Kind::Apply),
            "the seed holds an unexpected dream"
        );
        checkpoint(&db);
        fs::copy(&db, &self.seed).expect("copy the seed database");
        self.seed_audit = last_audit_seq(&db);
        self.seed_ops = self.raw().ops;
        let mut took = Vec::new();
        let mut seen: Option<(State, Vec<AuditRow>, ProposalView)> = None;
        for run in 0..MEASURED_RUNS {
            self.reset();
            let start = Instant::now();
            let out = self.command().output().expect("run lucid");
            took.push(start.elapsed());
            let ctx = format!("complete run {run} of lucid {}", self.args.join(" "));
            assert!(out.status.success(), "{ctx}: {}", stderr_of(&out));
            if self.kind == Kind::AutoDream {
                let v: Value = serde_json::from_slice(&out.stdout).expect("dream --json");
                assert!(
                    v["applied"].is_object() && v["gated_by"] == serde_json::json!([]),
                    "{ctx}: the auto-mode dream did not apply its proposal: {v}"
                );
                self.proposal = v["proposal_id"].as_i64().expect("proposal id");
                self.changes = v["changes"].as_u64().expect("changes") as usize;
            }
            let raw = self.raw();
            assert_eq!(raw.integrity, "ok", "{ctx}");
            assert_eq!(raw.ops, self.seed_ops + 1, "{ctx}: one operation");
            let observed = (self.ls(), raw.audit, self.proposal(self.proposal));
            assert!(
                observed.2.state == "applied" && observed.2.changes.iter().all(|s| s == "applied"),
                "{ctx}: the proposal is not applied: {:?}",
                observed.2
            );
            if let Some(first) = &seen {
                assert!(
                    *first == observed,
                    "{ctx}: a second complete run on the same seed ended differently"
                );
            }
            seen = Some(observed);
        }
        let (after, audit, applied) = seen.expect("measured");
        assert!(
            after != self.before,
            "{:?}: a complete run leaves the store as it was",
            self.kind
        );
        let changed = self
            .before
            .iter()
            .filter(|(p, h)| after.get(*p) != Some(*h))
            .count();
        // Every topic file changes; only the index may stay as it was.
        assert!(
            changed + 1 >= self.before.len(),
            "{:?}: only {changed} of {} memories change",
            self.kind,
            self.before.len()
        );
        (self.after, self.full_audit, self.applied) = (after, audit, applied);
        if self.kind == Kind::AutoDream {
            // The stages the checks cut the log at exist, in this order.
            let cuts: Vec<usize> = [Stage::Running, Stage::Proposed, Stage::Accepted]
                .into_iter()
                .map(|s| self.audit_len(s))
                .collect();
            assert!(
                cuts.windows(2).all(|w| w[0] < w[1]) && cuts[2] < self.full_audit.len(),
                "unexpected audit log of a complete auto dream: {}",
                actions(&self.full_audit)
            );
        }
        self.took = took;
    }

    /// The median of the latest complete runs: the kill window follows the machine's load.
    fn typical(&self) -> Duration {
        let mut recent: Vec<Duration> = self.took.iter().rev().take(5).copied().collect();
        recent.sort();
        recent[recent.len() / 2]
    }
}

#[derive(Debug, Default)]
struct Tally {
    signalled: usize,
    /// (kind, stage) -> kills that left it there.
    stages: BTreeMap<(Kind, Stage), usize>,
    /// Kills that landed after the last commit but before the process exited, per kind.
    signalled_after_commit: BTreeMap<Kind, usize>,
    /// Per kind: the latest kill that left the old state and the earliest that left the new
    /// one (the final commit lies between).
    last_old_first_new: BTreeMap<Kind, (Duration, Duration)>,
    /// Time spent running the processes that were killed (the rest goes to the checks).
    killing: Duration,
}

/// Checks one interrupted `lucid proposal apply`: old state with a pending proposal that still
/// applies, or the new state with the proposal applied. Returns the stage and, when it ran the
/// command again to the end, how long that took.
fn check_apply(lab: &Lab, ctx: &str, raw: &Raw, now: &State) -> (Stage, Option<Duration>) {
    let view = lab.proposal(lab.proposal);
    if *now == lab.after {
        assert_eq!(
            raw.ops,
            lab.seed_ops + 1,
            "{ctx}: operations in the new state"
        );
        assert!(
            raw.audit == lab.full_audit,
            "{ctx}: the new state is there but the audit log is not a complete run's: {} \
             instead of {}",
            actions(&raw.audit),
            actions(&lab.full_audit)
        );
        assert_eq!(view, lab.applied, "{ctx}: proposal in the new state");
        (Stage::Applied, None)
    } else if *now == lab.before {
        assert_eq!(raw.ops, lab.seed_ops, "{ctx}: operations in the old state");
        assert!(
            raw.audit.is_empty(),
            "{ctx}: the old state is there but audit records were added: {}",
            actions(&raw.audit)
        );
        assert_eq!(
            raw.decisions, lab.changes as i64,
            "{ctx}: decisions in the old state"
        );
        assert!(
            view.state == "pending" && view.changes.iter().all(|s| s == "open"),
            "{ctx}: the store is unchanged but the proposal says {view:?}"
        );
        let took = lab.finish_pending(ctx, lab.proposal, true);
        (Stage::Accepted, Some(took))
    } else {
        panic!(
            "{ctx}: the store is neither as before nor as after ({})",
            describe_mix(&lab.before, &lab.after, now)
        );
    }
}

/// Checks one interrupted auto-mode `lucid dream`, then finishes what it left undone (another
/// dream when it died holding the lease; accept and apply when its proposal is pending).
/// Returns the stage and, when it ran the command again to the end, how long that took.
fn check_auto(lab: &Lab, ctx: &str, raw: &Raw, now: &State) -> (Stage, Option<Duration>) {
    let dreams = lab.dreams(ctx);
    assert!(dreams.len() <= 1, "{ctx}: {} dreams appeared", dreams.len());
    let dream = dreams.first();
    let proposal = dream.and_then(|d| d["proposal_id"].as_i64());
    let view = proposal.map(|p| lab.proposal(p));
    let stage = match (dream.map(|d| d["status"].as_str().unwrap_or("?")), &view) {
        (None, None) => Stage::Nothing,
        (Some("running"), None) => Stage::Running,
        (Some("completed"), Some(v)) if v.state == "pending" => {
            assert!(
                v.changes.len() == lab.changes && v.changes.iter().all(|s| s == "open"),
                "{ctx}: pending proposal with changes {:?}",
                v.changes
            );
            match raw.decisions {
                0 => Stage::Proposed,
                n if n == lab.changes as i64 => Stage::Accepted,
                n => panic!(
                    "{ctx}: {n} of {} changes were decided: auto mode accepts all or none",
                    lab.changes
                ),
            }
        }
        (Some("completed"), Some(v)) if *v == lab.applied => Stage::Applied,
        _ => panic!("{ctx}: unexpected dream {dream:?} with proposal {view:?}"),
    };
    if stage == Stage::Applied {
        assert!(
            *now == lab.after,
            "{ctx}: the proposal is applied but the store is not in the new state ({})",
            describe_mix(&lab.before, &lab.after, now)
        );
        assert_eq!(proposal, Some(lab.proposal), "{ctx}: proposal id");
    } else {
        assert!(
            *now == lab.before,
            "{ctx}: the dream is {stage:?} but the store changed ({})",
            describe_mix(&lab.before, &lab.after, now)
        );
    }
    assert_eq!(
        raw.ops,
        lab.seed_ops + i64::from(stage == Stage::Applied),
        "{ctx}: operations at stage {stage:?}"
    );
    let expected = &lab.full_audit[..lab.audit_len(stage)];
    assert!(
        raw.audit == expected,
        "{ctx}: at stage {stage:?} the audit log should hold the first {} records of a \
         complete run ({}); it holds {}",
        expected.len(),
        actions(expected),
        actions(&raw.audit)
    );
    let took = match stage {
        Stage::Nothing | Stage::Applied => None,
        Stage::Running => {
            // The holder is dead: its lease must not stop the next dream.
            let start = Instant::now();
            let out = lab.command().output().expect("run lucid");
            let took = start.elapsed();
            assert!(
                out.status.success(),
                "{ctx}: the next `lucid dream` after a dream killed while running failed \
                 (a stuck lease?): {}",
                stderr_of(&out)
            );
            assert!(
                lab.ls() == lab.after,
                "{ctx}: the next dream did not produce the state of a complete run"
            );
            let after = lab.dreams(ctx);
            assert!(
                after.len() == 2 && after[0]["status"] == "failed",
                "{ctx}: the killed dream was not marked failed: {after:?}"
            );
            let p = after[1]["proposal_id"]
                .as_i64()
                .expect("next dream's proposal");
            assert_eq!(lab.proposal(p), lab.applied, "{ctx}: next dream's proposal");
            Some(took)
        }
        Stage::Proposed | Stage::Accepted => {
            let p = proposal.expect("pending proposal");
            lab.finish_pending(ctx, p, stage == Stage::Accepted);
            None
        }
    };
    (stage, took)
}

#[test]
fn sigkill_during_apply_and_auto_dream_leaves_old_or_new_state() {
    use std::os::unix::process::ExitStatusExt;

    let started = Instant::now();
    let mut words = Words(0);
    let mut labs = [apply_lab(&mut words), auto_lab(&mut words)];
    for lab in &mut labs {
        lab.measure();
    }
    eprintln!(
        "apply of {} changes: {:?}; auto dream of {} changes: {:?}; set up in {:?}",
        labs[0].changes,
        labs[0].typical(),
        labs[1].changes,
        labs[1].typical(),
        started.elapsed()
    );

    let mut rng = Rng(0xD1B5_4A32_D192_ED03);
    let mut tally = Tally::default();
    for i in 0..KILLS {
        let which = rng.below(2) as usize;
        let lab = &labs[which];
        lab.reset();
        // From 0 to 30 % beyond the typical duration: before, during and after the commits.
        let span = lab.typical().mul_f64(1.3).as_micros() as u64;
        let delay = Duration::from_micros(rng.below(span + 1));
        let spawned = Instant::now();
        let (exit, errors) = lab.run_and_kill(delay);
        tally.killing += spawned.elapsed();
        let ctx = format!(
            "kill #{i}: lucid {} killed after {delay:?}",
            lab.args.join(" ")
        );
        let signalled = exit.signal() == Some(SIGKILL);
        assert!(
            signalled || exit.success(),
            "{ctx}: exited with {exit}: {errors}"
        );

        // SQLite's own check, before lucid opens the file again.
        let raw = lab.raw();
        assert_eq!(raw.integrity, "ok", "{ctx}: PRAGMA integrity_check");

        // The audit chain.
        let verify = lab.sb.run(&["audit", "verify"]);
        assert_eq!(
            verify.status.code(),
            Some(0),
            "{ctx}: lucid audit verify: {}",
            stderr_of(&verify)
        );

        // Old state or new state, the dream and the proposal in step with it.
        let now = lab.ls();
        let (stage, took) = match lab.kind {
            Kind::Apply => check_apply(lab, &ctx, &raw, &now),
            Kind::AutoDream => check_auto(lab, &ctx, &raw, &now),
        };
        if !signalled {
            assert_eq!(
                stage,
                Stage::Applied,
                "{ctx}: the process finished but left stage {stage:?}"
            );
        }
        tally.signalled += usize::from(signalled);
        *tally.stages.entry((lab.kind, stage)).or_default() += 1;
        if signalled && stage == Stage::Applied {
            *tally.signalled_after_commit.entry(lab.kind).or_default() += 1;
        }
        let window = tally
            .last_old_first_new
            .entry(lab.kind)
            .or_insert((Duration::ZERO, Duration::MAX));
        if stage == Stage::Applied {
            window.1 = window.1.min(delay);
        } else {
            window.0 = window.0.max(delay);
        }
        if let Some(took) = took {
            labs[which].took.push(took);
        }
    }
    eprintln!("{KILLS} kills in {:?}: {tally:?}", started.elapsed());

    // The kills really landed on both sides of the commit, for both kinds.
    assert!(
        tally.signalled >= KILLS / 2,
        "too few kills landed: {tally:?}"
    );
    let count = |kind: Kind, stage: Stage| tally.stages.get(&(kind, stage)).copied().unwrap_or(0);
    assert!(
        count(Kind::Apply, Stage::Accepted) >= 10 && count(Kind::Apply, Stage::Applied) >= 10,
        "apply: kills not spread over both sides of the commit: {tally:?}"
    );
    let auto_before: usize = [
        Stage::Nothing,
        Stage::Running,
        Stage::Proposed,
        Stage::Accepted,
    ]
    .into_iter()
    .map(|s| count(Kind::AutoDream, s))
    .sum();
    assert!(
        auto_before >= 10 && count(Kind::AutoDream, Stage::Applied) >= 10,
        "auto dream: kills not spread over both sides of the commit: {tally:?}"
    );
    assert!(
        count(Kind::AutoDream, Stage::Running) >= 5,
        "auto dream: too few kills while the dream held its lease: {tally:?}"
    );
}

/// The actions of audit records, repeats folded: `dream.start, proposal.decide x40, ...`.
fn actions(rows: &[AuditRow]) -> String {
    let mut runs: Vec<(&str, usize)> = Vec::new();
    for r in rows {
        match runs.last_mut() {
            Some((action, n)) if *action == r.1 => *n += 1,
            _ => runs.push((&r.1, 1)),
        }
    }
    if runs.is_empty() {
        return "no records".into();
    }
    runs.iter()
        .map(|(a, n)| {
            if *n == 1 {
                (*a).to_owned()
            } else {
                format!("{a} x{n}")
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}
