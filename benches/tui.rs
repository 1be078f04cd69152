//! The TUI figures of the issue, measured on the release build (`cargo bench --bench tui`).
//! Each figure prints its value, its target and PASS or FAIL; the process exits with status 1
//! when any figure fails.
//!
//! 1. First frame with 1,000 pending proposals and 10,000 changes in the database: under 150 ms
//!    from process start. The real binary, `lucid review --db`, runs in a 160×48 pseudo-terminal
//!    (util-linux `script`, `stty rows 48 cols 160`) with the hidden
//!    `LUCID_TUI_EXIT_AFTER_FIRST_FRAME`, which makes the real runtime exit right after the first
//!    frame that shows the loaded inbox. Whole-process wall time from spawn to exit, the wrapper
//!    included (median of the runs; the max and the wrapper alone are printed too).
//! 2. Peak RSS of that process with that database open: under 200 MB (`VmHWM`, reported by the
//!    process itself after the first frame; the max over the runs).
//! 3. Update + render p99 under 10 ms while scrolling a 10,000-line diff, and 4. while moving in
//!    a 10,000-item list: library level, `lucid::tui` state → `update` → `view::render` on a
//!    160×48 ratatui `TestBackend`, one sample per key.
//!
//! The database is built through the library (`Db::commit` for the memory, `dreaming::run` with
//! a bench engine for each proposal). Sizes can be scaled down for a quick smoke run:
//! `LUCID_BENCH_SCALE=0.05` multiplies every size; `LUCID_BENCH_PROPOSALS`,
//! `LUCID_BENCH_CHANGES_PER`, `LUCID_BENCH_LINES`, `LUCID_BENCH_ITEMS` and `LUCID_BENCH_RUNS` set
//! one each. Arguments after `--` pick figures by name: `frame` (1 and 2), `diff`, `list`.
//! Databases go to a temporary folder under `target/tmp` (or `LUCID_BENCH_DIR`), removed at
//! the end (kept with `LUCID_BENCH_KEEP=1`, e.g. to profile `lucid` on `inbox.db`).

mod common;

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use lucid::dream::{Category, ChangeNote, DreamInput, DreamOutput, Engine, EngineError, Evidence};
use lucid::model::{Proposal, ProposalChange};
use lucid::review::{self, Resolution};
use lucid::tui::action::Action;
use lucid::tui::keymap::Keymap;
use lucid::tui::state::{FileReview, Review, State};
use lucid::tui::update::{Msg, update};
use lucid::tui::{rows, view};
use lucid::{Db, dreaming};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

use common::{
    BASE_MS, Only, Scale, commit_import, ctx, env_num, exit_on_failure, iso, keep_or_remove, list,
    load, median, ms, note, percentile, report, secs, tally, work_dir,
};

const LUCID: &str = env!("CARGO_BIN_EXE_lucid");
const STORE: &str = "bench";
const WIDTH: u16 = 160;
const HEIGHT: u16 = 48;

fn main() {
    let cfg = Config::from_env();
    println!(
        "lucid TUI figures (2 cores shared; load average {} at start){}",
        load(),
        cfg.scale.note()
    );
    let work = work_dir("lucid-tui-");
    let mut results = Vec::new();
    if cfg.only.wants("frame") {
        results.extend(figure_first_frame(&cfg, work.path()));
    }
    if cfg.only.wants("diff") {
        results.push(figure_diff(&cfg));
    }
    if cfg.only.wants("list") {
        results.push(figure_list(&cfg));
    }
    println!("{} (load average {} at the end)", tally(&results), load());
    keep_or_remove(work);
    exit_on_failure(&results);
}

// ---------------------------------------------------------------------------------------------
// Configuration and helpers (the shared ones are in `common`)

struct Config {
    scale: Scale,
    proposals: usize,
    changes_per: usize,
    lines: usize,
    items: usize,
    runs: usize,
    only: Only,
}

impl Config {
    fn from_env() -> Self {
        let scale = Scale::from_env();
        Self {
            scale,
            proposals: env_num("LUCID_BENCH_PROPOSALS").unwrap_or(scale.size(1_000.0, 10.0)),
            changes_per: env_num("LUCID_BENCH_CHANGES_PER").unwrap_or(10).max(1),
            lines: env_num("LUCID_BENCH_LINES").unwrap_or(scale.size(10_000.0, 200.0)),
            items: env_num("LUCID_BENCH_ITEMS").unwrap_or(scale.size(10_000.0, 200.0)),
            runs: env_num("LUCID_BENCH_RUNS").unwrap_or(10).max(1),
            only: Only::from_args(),
        }
    }
}

/// A topic file of `lines` bullet entries.
fn topic(file: usize, lines: usize) -> String {
    let mut s = format!("# Topic {file}\n\n");
    for i in 0..lines {
        let _ = writeln!(
            s,
            "- Entry {i} of topic {file}: run `make check-{i}` before pushing; owner team-{}",
            (file + i) % 7
        );
    }
    s
}

// ---------------------------------------------------------------------------------------------
// Figures 1 and 2: the first frame of the real binary, and its peak RSS

/// An engine that revises `per` files per dream, a different window of files each time.
struct Rotate {
    per: usize,
    next: AtomicUsize,
}

impl Engine for Rotate {
    fn name(&self) -> &'static str {
        "bench-rotate"
    }

    fn version(&self) -> &'static str {
        "1"
    }

    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        let k = self.next.fetch_add(1, Ordering::Relaxed);
        let n = input.files.len().max(1);
        let mut out = DreamOutput::default();
        let picked: Vec<usize> = (0..self.per).map(|i| (k * self.per + i) % n).collect();
        for (i, f) in input.files.iter().enumerate() {
            if !picked.contains(&i) {
                out.files.insert(f.path.clone(), f.content.clone());
                continue;
            }
            let mut content = String::with_capacity(f.content.len() + 80);
            for (j, l) in f.content.lines().enumerate() {
                content.push_str(l);
                if j == 4 + k % 20 {
                    let _ = write!(content, " (checked in review {k})");
                }
                content.push('\n');
            }
            let _ = writeln!(content, "- Learned in dream {k}: keep this entry short.");
            out.files.insert(f.path.clone(), content);
            let category = [Category::Stale, Category::Insight, Category::Duplicate][k % 3];
            out.notes.push(ChangeNote {
                path: f.path.clone(),
                category,
                rationale: format!("Revised by bench dream {k}."),
                evidence: vec![Evidence {
                    session_id: None,
                    event_id: None,
                    quote: f.content.lines().nth(2).unwrap_or_default().to_owned(),
                }],
            });
        }
        Ok(out)
    }
}

/// A database with `proposals` pending proposals of `per` changes each, built through the core.
fn build_db(cfg: &Config, path: &Path) -> (usize, usize) {
    let files = (cfg.changes_per * 20).max(200);
    let mut db = Db::open(path).expect("open the bench database");
    db.create_store(&ctx("bench", BASE_MS), STORE, "bench: tui", None)
        .expect("create the store");
    commit_import(
        &mut db,
        BASE_MS + 60_000,
        STORE,
        "import the memory folder",
        (0..files).map(|f| (format!("/topics/topic-{f:04}.md"), topic(f, 30))),
    );
    let engine = Rotate {
        per: cfg.changes_per,
        next: AtomicUsize::new(0),
    };
    let mut changes = 0;
    for k in 0..cfg.proposals {
        let outcome = dreaming::run(
            &mut db,
            &ctx("bench", BASE_MS + 120_000 + k as u64 * 60_000),
            &engine,
            STORE,
            Vec::new(),
            "",
        )
        .expect("a bench dream");
        changes += outcome.changes;
    }
    let pending = db
        .proposals(None, Some("pending"))
        .expect("list the proposals")
        .len();
    (pending, changes)
}

/// `script` gives the binary a terminal; `stty` sizes it.
fn in_pty(command: &str, env: &[(&str, &Path)]) -> Command {
    let mut c = Command::new("script");
    c.args([
        "-qec",
        &format!("stty rows {HEIGHT} cols {WIDTH}; {command}"),
        "/dev/null",
    ])
    .stdin(Stdio::null())
    .stdout(Stdio::null())
    .stderr(Stdio::null())
    .env("TERM", "xterm-256color")
    .env("LUCID_ACTOR", "bench")
    .env_remove("LUCID_DB");
    for (k, v) in env {
        c.env(k, v);
    }
    c
}

fn figure_first_frame(cfg: &Config, work: &Path) -> Vec<bool> {
    let db = work.join("inbox.db");
    let start = Instant::now();
    let (pending, changes) = build_db(cfg, &db);
    println!(
        "  database: {pending} pending proposals, {changes} changes (built through the core in {})",
        secs(start.elapsed())
    );
    if Command::new("script").arg("--version").output().is_err() {
        return vec![report(
            "first frame",
            "util-linux `script` is not installed",
            "< 150 ms",
            false,
        )];
    }
    let report_file = work.join("first-frame.txt");
    let command = format!("exec '{LUCID}' review --db '{}'", db.display());
    let env = [
        ("LUCID_TUI_EXIT_AFTER_FIRST_FRAME", report_file.as_path()),
        ("HOME", work),
        ("XDG_CONFIG_HOME", work),
    ];
    // One unmeasured run warms the page cache.
    let _ = in_pty(&command, &env).status();
    let (mut runs, mut wrapper, mut peaks) = (Vec::new(), Vec::new(), Vec::new());
    for run in 0..cfg.runs {
        let _ = std::fs::remove_file(&report_file);
        let start = Instant::now();
        let status = in_pty(&command, &env).status().expect("run script");
        let took = start.elapsed();
        assert!(status.success(), "lucid review failed: {status}");
        // The report is the proof the first frame was drawn: without it the run does not count.
        let text =
            std::fs::read_to_string(&report_file).expect("lucid wrote no first-frame report");
        let kb: u64 = text
            .trim()
            .strip_prefix("vmhwm_kb=")
            .and_then(|v| v.parse().ok())
            .expect("the first-frame report holds vmhwm_kb");
        note(&format!(
            "run {}: {} (peak RSS {} kB)",
            run + 1,
            ms(took),
            kb
        ));
        runs.push(took);
        peaks.push(kb);
        let start = Instant::now();
        let _ = in_pty("exec true", &[]).status();
        wrapper.push(start.elapsed());
    }
    println!(
        "  runs: {}; the pty wrapper alone (script + sh + stty + true): median {}",
        list(&runs, ms),
        ms(median(&wrapper))
    );
    let med = median(&runs);
    let max = runs.iter().max().copied().unwrap_or_default();
    let label = format!(
        "first frame of `lucid review` on {pending} pending proposals / {changes} changes \
         (whole process in a {WIDTH}x{HEIGHT} pty, wrapper included)"
    );
    let peak = peaks.iter().max().copied().unwrap_or(0);
    vec![
        report(
            &label,
            &format!(
                "median {} of {} runs (max {})",
                ms(med),
                runs.len(),
                ms(max)
            ),
            "< 150 ms",
            med < Duration::from_millis(150),
        ),
        report(
            "peak RSS of `lucid review` with that database open (VmHWM at the first frame)",
            &format!("{:.1} MB (max of the runs)", peak as f64 / 1024.0),
            "< 200 MB",
            peak > 0 && peak < 200 * 1024,
        ),
    ]
}

// ---------------------------------------------------------------------------------------------
// Figures 3 and 4: update + render

fn terminal() -> Terminal<TestBackend> {
    Terminal::new(TestBackend::new(WIDTH, HEIGHT)).expect("a test terminal")
}

/// Times `update` with `msg` and one `render`, per step.
fn steps(
    state: &mut State,
    term: &mut Terminal<TestBackend>,
    keys: impl IntoIterator<Item = Action>,
) -> Vec<Duration> {
    keys.into_iter()
        .map(|a| {
            let start = Instant::now();
            let _ = update(state, Msg::Action(a));
            term.draw(|f| view::render(state, f)).expect("draw");
            start.elapsed()
        })
        .collect()
}

fn proposal(id: i64, changes: usize) -> Proposal {
    Proposal {
        id,
        dream_id: id,
        store: format!("store-{}", id % 13),
        base_op_id: 1,
        state: "pending".into(),
        created_at: iso(BASE_MS + id as u64 * 60_000),
        engine: "builtin".into(),
        categories: BTreeMap::from([("stale".to_owned(), changes)]),
        flags: Vec::new(),
        changes,
        conflicts: 0,
        stale: false,
    }
}

fn summary(samples: &[Duration]) -> String {
    format!(
        "p99 {} (p50 {}, max {}) over {} keys",
        ms(percentile(samples, 99.0)),
        ms(percentile(samples, 50.0)),
        ms(samples.iter().max().copied().unwrap_or_default()),
        samples.len()
    )
}

fn figure_diff(cfg: &Config) -> bool {
    let n = cfg.lines;
    // About 5 % of the lines change, some lines are long enough to wrap.
    let (mut base, mut proposed) = (String::new(), String::new());
    for i in 0..n {
        let line = topic_line(i);
        let _ = writeln!(base, "{line}");
        if i % 20 == 7 {
            let _ = writeln!(proposed, "{line} (revised after the April review)");
        } else {
            let _ = writeln!(proposed, "{line}");
        }
    }
    let start = Instant::now();
    let diff = rows::build(&base, &proposed);
    let hunks = review::hunk_count(&base, &proposed).max(1);
    note(&format!(
        "diff of {n} lines: {} rows, {hunks} hunks, built in {}",
        diff.rows.len(),
        ms(start.elapsed())
    ));
    let file = FileReview {
        change: ProposalChange {
            id: 1,
            seq: 1,
            kind: "modify".into(),
            path: "/big.md".into(),
            new_path: None,
            base_sha256: None,
            proposed_sha256: None,
            category: "stale".into(),
            rationale: "Marked as checked after the April review.".into(),
            evidence: Vec::new(),
            flags: Vec::new(),
            state: "open".into(),
            rebased_from: None,
        },
        base,
        proposed,
        resolution: Resolution::Undecided,
        undo: Vec::new(),
        hunks,
        diff,
        moved: false,
    };
    let review = Review {
        proposal: proposal(1, 1),
        files: vec![file],
        sessions: BTreeMap::new(),
        file: 0,
        hunk: 0,
        scroll: 0,
        skip: 0,
        detail_scroll: 0,
        toggle_layout: false,
    };
    let mut state = State::new(Keymap::default_keys(), WIDTH, HEIGHT);
    state.now = Some(iso(BASE_MS));
    let _ = update(&mut state, Msg::InboxLoaded(vec![proposal(1, 1)]));
    let _ = update(&mut state, Msg::Action(Action::Open));
    let _ = update(&mut state, Msg::ProposalLoaded(Box::new(review)));
    let mut term = terminal();
    term.draw(|f| view::render(&state, f)).expect("draw");
    // Line by line through the first part, page by page to the end and back, hunk jumps, and
    // the side-by-side / unified toggle.
    let mut keys = vec![Action::Down; 2_000];
    keys.extend(vec![Action::PageDown; 600]);
    keys.extend(vec![Action::NextHunk; 200]);
    keys.extend([Action::Bottom, Action::Top, Action::ToggleLayout]);
    keys.extend(vec![Action::PageDown; 300]);
    keys.extend(vec![Action::Up; 500]);
    let samples = steps(&mut state, &mut term, keys);
    let p99 = percentile(&samples, 99.0);
    report(
        &format!("update + render, scrolling a {n}-line diff ({WIDTH}x{HEIGHT} TestBackend)"),
        &summary(&samples),
        "p99 < 10 ms",
        p99 < Duration::from_millis(10),
    )
}

fn topic_line(i: usize) -> String {
    if i % 50 == 3 {
        format!(
            "- Entry {i}: a long note that wraps in the side-by-side view because it keeps going \
             about `uv run pytest -q`, the staging database and who owns the nightly export job"
        )
    } else {
        format!(
            "- Entry {i}: run `make check-{i}` before pushing; owner team-{}",
            i % 7
        )
    }
}

fn figure_list(cfg: &Config) -> bool {
    let n = cfg.items;
    let items: Vec<Proposal> = (1..=n as i64).map(|id| proposal(id, 10)).collect();
    let mut state = State::new(Keymap::default_keys(), WIDTH, HEIGHT);
    state.now = Some(iso(BASE_MS + n as u64 * 60_000));
    let _ = update(&mut state, Msg::InboxLoaded(items));
    let mut term = terminal();
    term.draw(|f| view::render(&state, f)).expect("draw");
    let mut keys = vec![Action::Down; 2_000];
    keys.extend(vec![Action::PageDown; 300]);
    keys.extend([Action::Bottom, Action::Top]);
    keys.extend(vec![Action::Up; 200]);
    keys.extend([Action::Sort, Action::Down, Action::Sort]);
    let samples = steps(&mut state, &mut term, keys);
    let p99 = percentile(&samples, 99.0);
    report(
        &format!("update + render, moving in a {n}-item inbox ({WIDTH}x{HEIGHT} TestBackend)"),
        &summary(&samples),
        "p99 < 10 ms",
        p99 < Duration::from_millis(10),
    )
}
