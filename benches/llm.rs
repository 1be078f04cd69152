//! The LLM engine figures of issue 5, measured on the release build (`cargo bench --bench llm`).
//! Each figure prints its value, its target and PASS or FAIL; the process exits with status 1
//! when any figure fails.
//!
//! 1. Building the request(s) (`llm::prompt::plan`) for 100 sessions of 2,000 events each and a
//!    store of 200 memory files: under 300 ms (median of the runs; the best is printed too).
//! 2. Validating a response of 1,000 file operations with 5,000 evidence quotes over that input
//!    (`EvidenceIndex::new` + `validate::operations_with` + `EvidenceIndex::holds` for every
//!    quote of the resulting notes): under 200 ms (median of the runs).
//!
//! The input is synthetic, deterministic and generated in memory, shaped like Claude Code
//! transcripts as the importer stores them, where most bytes are tool output. Per 100 events:
//! - 46 tool results (one block, one in ten with two or three): file reads as `   12→code`
//!   lines (35 %; 10 to 600 lines, most 60 to 200), command output (30 %: test runs with colour
//!   codes, compiler errors, git and directory listings; 1 to 400 lines), grep hits or paths
//!   (15 %), edit confirmations with a `cat -n` snippet (15 %) and to-do JSON (5 %); mean about
//!   6 KB, so nearly all are cut to `tool_output_chars`. About 6 % are errors, about 1 % carry an
//!   API key, a token, a password in a URL or a private key (half of them past the cut).
//! - 46 assistant messages: half a bare `[tool_use NAME] {…}` line (Read, Bash, Grep, Glob, Edit
//!   with old and new code, `TodoWrite`; inputs cut to 2,000 chars as the importer does), four in
//!   ten a sentence or three and a tool use, one in eight prose alone (50 to 700 words), one in
//!   eight with a second tool use; mean about 600 B.
//! - 5 user prompts: mostly one short line (3 to 30 words), one in ten a paragraph, one in twenty
//!   a pasted log; about 1 in 200 with a secret.
//! - 3 system events (hooks), which the condenser skips.
//!
//! About 620 MB of event text, of which about 135 MB is sent: the realistic mix sends more than
//! an all-prose one would, because nearly every tool result fills its 800-char cut. The response
//! creates, replaces, renames and deletes files; most quotes are real substrings of the cited
//! events or files, about one in ten is fabricated.
//!
//! Wall time on this shared machine depends on its load; figure 1 also prints the CPU time of
//! the process (user + system, every thread) around each run.
//!
//! `LUCID_BENCH_SCALE=0.05` multiplies every size for a quick smoke run; `LUCID_BENCH_SESSIONS`,
//! `LUCID_BENCH_EVENTS`, `LUCID_BENCH_FILES` and `LUCID_BENCH_RUNS` set one each. Arguments after
//! `--` pick figures by name: `plan`, `validate` (default: both).

mod common;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use lucid::dream::{DreamInput, Event, MemoryFile, Session};
use lucid::llm::prompt::{self, Plan, PromptOptions};
use lucid::llm::validate::{self, EvidenceIndex};
use lucid::llm::{EngineConfig, LlmRequest};
use serde_json::{Value, json};

use common::{
    Only, Rng, Scale, env_num, exit_on_failure, list, load, median, ms, note, report, tally,
};

fn main() {
    let cfg = Config::from_env();
    println!(
        "lucid LLM figures (2 cores shared; load average {} at start){}",
        load(),
        cfg.scale.note()
    );
    let started = Instant::now();
    let input = build_input(&cfg);
    let events: usize = input.sessions.iter().map(|s| s.events.len()).sum();
    let bytes: usize = input
        .sessions
        .iter()
        .flat_map(|s| &s.events)
        .map(|e| e.text.len())
        .sum();
    note(&format!(
        "input: {} sessions, {events} events ({:.1} MB of event text), {} files, built in {}",
        input.sessions.len(),
        bytes as f64 / 1e6,
        input.files.len(),
        ms(started.elapsed())
    ));
    note(&mix(&input));
    let mut results = Vec::new();
    if cfg.only.wants("plan") {
        results.push(figure_plan(&cfg, &input));
    }
    if cfg.only.wants("validate") {
        results.push(figure_validate(&cfg, &input));
    }
    println!("{} (load average {} at the end)", tally(&results), load());
    exit_on_failure(&results);
}

// ---------------------------------------------------------------------------------------------
// Configuration and helpers

struct Config {
    scale: Scale,
    sessions: usize,
    events: usize,
    files: usize,
    ops: usize,
    runs: usize,
    only: Only,
}

impl Config {
    fn from_env() -> Self {
        let scale = Scale::from_env();
        let scaled = |n: f64, min: f64| scale.size(n, min);
        Self {
            scale,
            sessions: env_num("LUCID_BENCH_SESSIONS")
                .unwrap_or(scaled(100.0, 4.0))
                .min(lucid::dream::MAX_SESSIONS),
            events: env_num("LUCID_BENCH_EVENTS").unwrap_or(scaled(2_000.0, 100.0)),
            files: env_num("LUCID_BENCH_FILES").unwrap_or(scaled(200.0, 10.0)),
            ops: scaled(1_000.0, 20.0),
            runs: env_num("LUCID_BENCH_RUNS").unwrap_or(5).max(1),
            only: Only::from_args(),
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Synthetic input

const WORDS: &[&str] = &[
    "build",
    "cache",
    "deploy",
    "schema",
    "migration",
    "token",
    "worker",
    "queue",
    "retry",
    "config",
    "parser",
    "index",
    "render",
    "session",
    "timeout",
    "client",
    "server",
    "bundle",
    "release",
    "lint",
    "fixture",
    "snapshot",
    "payload",
    "handler",
    "router",
    "metrics",
];
fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    push_words(rng, &mut s, n);
    s
}

fn push_words(rng: &mut Rng, s: &mut String, n: usize) {
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
}

fn secret(rng: &mut Rng) -> String {
    match rng.below(5) {
        0 => format!("AWS_SECRET_ACCESS_KEY={}", rng.alnum(40)),
        1 => format!("export GITHUB_TOKEN=ghp_{}", rng.alnum(36)),
        2 => format!(
            "DATABASE_URL=postgres://app:{}@db.internal:5432/app",
            rng.alnum(14)
        ),
        3 => format!(
            "-----BEGIN RSA PRIVATE KEY-----\n{}\n{}\n-----END RSA PRIVATE KEY-----",
            rng.alnum(64),
            rng.alnum(64)
        ),
        _ => format!("Authorization: Bearer sk-ant-api03-{}", rng.alnum(80)),
    }
}

/// A project path such as `/Users/dev/app/src/cache/worker.rs`.
fn path(rng: &mut Rng) -> String {
    format!(
        "/Users/dev/app/src/{}/{}.rs",
        rng.pick(WORDS),
        rng.pick(WORDS)
    )
}

/// One line of source code (Rust, some TypeScript and Python), without a newline.
fn code_line(rng: &mut Rng, out: &mut String) {
    let (a, b, c) = (rng.pick(WORDS), rng.pick(WORDS), rng.pick(WORDS));
    let num = rng.below(4096);
    let _ = match rng.below(14) {
        0 => write!(out, "    let {a}_{b} = {c}.{a}(&{b})?;"),
        1 => write!(
            out,
            "pub fn {a}_{b}(&self, {c}: &str) -> Result<Vec<String>, Error> {{"
        ),
        2 => {
            out.push_str("    // ");
            push_words(rng, out, 9);
            Ok(())
        }
        3 => write!(out, "use crate::{a}::{{{b}, {c}_config}};"),
        4 => write!(
            out,
            "        {a}: {b}.get(\"{c}_key\").cloned().unwrap_or_default(),"
        ),
        5 => write!(out, "    }}"),
        6 => write!(out, "#[derive(Debug, Clone, PartialEq)]"),
        7 => write!(out, "    if {a}.len() > {num} && !{b}_path.is_empty() {{"),
        8 => write!(
            out,
            "        return Err(Error::Io(format!(\"{a} {{}} failed: {{e}}\", {b})));"
        ),
        9 => write!(
            out,
            "    const MAX_{}: usize = {num};",
            a.to_ascii_uppercase()
        ),
        10 => write!(
            out,
            "  const {a} = await fetch(`${{base}}/api/{b}?limit={num}`, {{ headers }});"
        ),
        11 => write!(
            out,
            "    {a}_token = os.environ.get(\"{}_TOKEN\")",
            b.to_ascii_uppercase()
        ),
        12 => write!(
            out,
            "        assert_eq!({a}.{b}(), Some({num}), \"{c} <= {num}\");"
        ),
        _ => Ok(()),
    };
}

/// A file as Claude Code's Read tool returns it: `     1→code` lines (the arrow is U+2192).
fn read_result(rng: &mut Rng, s: &mut String) {
    let lines = match rng.below(20) {
        0..=5 => rng.range(10, 60),
        6..=14 => rng.range(60, 200),
        _ => rng.range(200, 600),
    };
    let first = 1 + rng.below(3) * rng.below(400);
    for i in first..first + lines {
        let _ = write!(s, "{i:>6}\u{2192}");
        code_line(rng, s);
        s.push('\n');
    }
}

/// Command output: test runs with colour codes, compiler errors, git and directory listings.
fn bash_result(rng: &mut Rng, s: &mut String) {
    let lines = match rng.below(10) {
        0..=3 => rng.range(1, 5),
        4..=7 => rng.range(10, 60),
        _ => rng.range(100, 400),
    };
    let style = rng.below(5);
    for i in 0..lines {
        let (a, b) = (rng.pick(WORDS), rng.pick(WORDS));
        let _ = match style {
            0 => writeln!(
                s,
                "test {a}::tests::{b}_{i} ... \x1b[32mok\x1b[0m ({} ms)",
                rng.below(500)
            ),
            1 => writeln!(
                s,
                "   Compiling {a}-{b} v0.{}.{} (/Users/dev/app/crates/{a})",
                rng.below(20),
                rng.below(10)
            ),
            2 => writeln!(
                s,
                "error[E0308]: mismatched types\n  --> src/{a}/{b}.rs:{}:{}\n   |\n{:>4} |     let {a}: usize = {b}.len() as u32;",
                rng.below(900),
                rng.below(80),
                rng.below(900)
            ),
            3 => writeln!(
                s,
                "{} {} fix({a}): {b} handles {} retries",
                rng.alnum(7).to_ascii_lowercase(),
                if i % 3 == 0 { "M " } else { "??" },
                rng.below(9)
            ),
            _ => writeln!(
                s,
                "-rw-r--r--  1 dev staff {:>7} Mar  3 10:{:02} src/{a}/{b}.rs",
                rng.below(90_000),
                rng.below(60)
            ),
        };
    }
}

/// Grep hits (`path:line:text`) or Glob paths.
fn search_result(rng: &mut Rng, s: &mut String) {
    let lines = rng.range(3, 60);
    let grep = rng.below(2) == 0;
    for _ in 0..lines {
        if grep {
            let _ = write!(
                s,
                "src/{}/{}.rs:{}:",
                rng.pick(WORDS),
                rng.pick(WORDS),
                rng.below(900)
            );
            code_line(rng, s);
            s.push('\n');
        } else {
            s.push_str(&path(rng));
            s.push('\n');
        }
    }
}

/// The confirmation of an Edit or Write, with a `cat -n` snippet.
fn edit_result(rng: &mut Rng, s: &mut String) {
    let _ = writeln!(
        s,
        "The file {} has been updated. Here's the result of running `cat -n` on a snippet of the edited file:",
        path(rng)
    );
    let first = rng.range(1, 400);
    for i in first..first + rng.range(4, 14) {
        let _ = write!(s, "{i:>6}\u{2192}");
        code_line(rng, s);
        s.push('\n');
    }
}

/// A tool result block: the label, then the tool's output; some carry a secret (half of them
/// past the cut, where no request sees them).
fn tool_result(rng: &mut Rng, s: &mut String, error: bool) {
    s.push_str(if error {
        "[tool_result error] "
    } else {
        "[tool_result] "
    });
    let leak = rng.below(100) == 0;
    if leak && rng.below(2) == 0 {
        s.push_str(&secret(rng));
        s.push('\n');
    }
    if error {
        let _ = writeln!(
            s,
            "Exit code 101\nerror[E0599]: no method named `{}` found in src/{}.rs:{}",
            rng.pick(WORDS),
            rng.pick(WORDS),
            rng.below(900)
        );
    }
    match rng.below(20) {
        0..=6 => read_result(rng, s),
        7..=12 => bash_result(rng, s),
        13..=15 => search_result(rng, s),
        16..=18 => edit_result(rng, s),
        _ => {
            s.push_str("{\"todos\":[");
            for i in 0..rng.range(2, 12) {
                let _ = write!(
                    s,
                    "{{\"content\":\"{}\",\"status\":\"{}\",\"id\":\"{i}\"}},",
                    words(rng, 7),
                    rng.pick(&["pending", "in_progress", "completed"])
                );
            }
            s.push_str("{}]}");
        }
    }
    if leak && rng.below(2) == 0 {
        s.push_str(&secret(rng));
        s.push('\n');
    }
    while s.ends_with('\n') {
        s.pop();
    }
}

/// A `[tool_use NAME] {…}` line as the importer renders it (inputs cut to 2,000 chars there).
fn tool_use(rng: &mut Rng, s: &mut String) {
    let (tool, input) = match rng.below(20) {
        0..=5 => ("Read", json!({"file_path": path(rng)})),
        6..=11 => (
            "Bash",
            json!({"command": format!("cargo test -p {} -- {}", rng.pick(WORDS), rng.pick(WORDS)),
                   "description": format!("Run the {} tests", rng.pick(WORDS))}),
        ),
        12..=13 => (
            "Grep",
            json!({"pattern": format!("fn {}_", rng.pick(WORDS)), "path": "src",
                   "output_mode": "content", "-n": true}),
        ),
        14 => (
            "Glob",
            json!({"pattern": format!("src/**/*{}*.rs", rng.pick(WORDS))}),
        ),
        15..=18 => {
            let mut old = String::new();
            let mut new = String::new();
            for _ in 0..rng.range(2, 20) {
                code_line(rng, &mut old);
                old.push('\n');
                code_line(rng, &mut new);
                new.push('\n');
            }
            (
                "Edit",
                json!({"file_path": path(rng), "old_string": old, "new_string": new}),
            )
        }
        _ => (
            "TodoWrite",
            json!({"todos": (0..rng.range(2, 8)).map(|i| json!({
                "content": words(rng, 8), "status": "pending", "activeForm": words(rng, 4),
                "id": i.to_string()})).collect::<Vec<_>>()}),
        ),
    };
    let input = input.to_string();
    let cut = input
        .char_indices()
        .nth(2_000)
        .map_or(input.as_str(), |(i, _)| &input[..i]);
    let _ = write!(s, "[tool_use {tool}] {cut}");
}

/// Assistant prose of `lo` to `hi` words, in sentences.
fn prose(rng: &mut Rng, s: &mut String, (lo, hi): (usize, usize)) {
    let mut left = rng.range(lo, hi);
    while left > 0 {
        let k = rng.range(6, 18).min(left);
        s.push_str(["The ", "I ", "Now the ", "This "][rng.below(4)]);
        push_words(rng, s, k);
        s.push_str(". ");
        left -= k;
    }
    s.pop();
}

/// One event of a Claude Code session as the importer stores it. The mix (per 100 events):
/// 3 system, 5 user prompts, 46 assistant messages, 46 tool results; see the module docs.
fn event(rng: &mut Rng, s: usize, e: usize) -> Event {
    let mut text = String::new();
    let (kind, role, is_error) = match rng.below(100) {
        0..=2 => {
            text.push_str("hook ran: ");
            push_words(rng, &mut text, 4);
            ("system", "system", false)
        }
        3..=7 => {
            match rng.below(20) {
                0..=16 => {
                    let _ = write!(
                        text,
                        "{} the {} {}",
                        rng.pick(&["Please fix", "Use", "Don't touch", "Now check"]),
                        rng.pick(WORDS),
                        words(rng, 3 + (e % 28))
                    );
                }
                17..=18 => prose(rng, &mut text, (40, 120)),
                _ => {
                    text.push_str("Here is the log:\n");
                    bash_result(rng, &mut text);
                }
            }
            if rng.below(200) == 0 {
                text.push_str("\nuse this: ");
                text.push_str(&secret(rng));
            }
            ("user", "user", false)
        }
        8..=53 => {
            match rng.below(50) {
                0..=24 => tool_use(rng, &mut text),
                25..=43 => {
                    prose(rng, &mut text, (8, 45));
                    text.push('\n');
                    tool_use(rng, &mut text);
                }
                44..=48 => prose(rng, &mut text, (50, 250)),
                _ => prose(rng, &mut text, (300, 700)),
            }
            if rng.below(8) == 0 {
                text.push('\n');
                tool_use(rng, &mut text);
            }
            ("assistant", "assistant", false)
        }
        _ => {
            let n = if rng.below(10) == 0 {
                rng.range(2, 3)
            } else {
                1
            };
            let mut error = false;
            for i in 0..n {
                if i > 0 {
                    text.push('\n');
                }
                let this = rng.below(100) < 6;
                error |= this;
                tool_result(rng, &mut text, this);
            }
            ("tool_result", "tool", error)
        }
    };
    Event {
        id: format!("evt-{s:03}-{e:05}"),
        seq: e as i64,
        kind: kind.into(),
        role: Some(role.into()),
        at: Some(format!("2026-03-{:02}T10:00:00.000Z", s % 28 + 1)),
        thread: "main".into(),
        is_error,
        text,
    }
}

fn build_input(cfg: &Config) -> DreamInput {
    let mut rng = Rng::new(7);
    let mut files = vec![MemoryFile {
        path: "/MEMORY.md".into(),
        content: (0..cfg.files).fold(String::new(), |mut s, f| {
            let _ = writeln!(s, "- [Topic {f}](/topics/t{f:03}.md)");
            s
        }),
        written_at: "2026-02-01T00:00:00.000Z".into(),
    }];
    for f in 0..cfg.files {
        let mut content = String::new();
        for i in 0..25 {
            let _ = writeln!(
                content,
                "- {} `{}` uses port {} ({} {i}).",
                words(&mut rng, 5),
                rng.pick(WORDS),
                rng.range(3000, 9000),
                words(&mut rng, 3)
            );
        }
        files.push(MemoryFile {
            path: format!("/topics/t{f:03}.md"),
            content,
            written_at: "2026-02-01T00:00:00.000Z".into(),
        });
    }
    let sessions = (0..cfg.sessions)
        .map(|s| Session {
            id: format!("sess-{s:03}"),
            agent: "claude-code".into(),
            started_at: Some(format!("2026-03-{:02}T09:00:00.000Z", s % 28 + 1)),
            events: (0..cfg.events).map(|e| event(&mut rng, s, e)).collect(),
            tool_calls: Vec::new(),
        })
        .collect();
    DreamInput {
        files,
        sessions,
        now: "2026-04-01T00:00:00.000Z".into(),
        instructions: "Keep topic files short.".into(),
        deletion_budget: 0.3,
    }
}

/// Events and mean text bytes per kind, for the record next to the figures.
fn mix(input: &DreamInput) -> String {
    let mut kinds: Vec<(&str, usize, usize)> = Vec::new();
    for e in input.sessions.iter().flat_map(|s| &s.events) {
        match kinds.iter_mut().find(|k| k.0 == e.kind) {
            Some(k) => {
                k.1 += 1;
                k.2 += e.text.len();
            }
            None => kinds.push((&e.kind, 1, e.text.len())),
        }
    }
    kinds.sort_by_key(|k| usize::MAX - k.2);
    let total: usize = kinds.iter().map(|k| k.1).sum();
    let parts: Vec<String> = kinds
        .iter()
        .map(|(kind, n, bytes)| {
            format!(
                "{kind} {:.0} % (mean {} B)",
                *n as f64 * 100.0 / total.max(1) as f64,
                bytes / n
            )
        })
        .collect();
    format!("mix: {}", parts.join(", "))
}

/// User and system CPU time of this process so far (Linux `/proc/self/stat`, in clock ticks of
/// 10 ms), so a figure can be read on a loaded machine where wall time overstates the work.
fn cpu_time() -> Option<(Duration, Duration)> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // Fields after the `(comm)`: state is field 3, utime 14, stime 15.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks = |i: usize| -> Option<Duration> {
        Some(Duration::from_millis(f.get(i)?.parse::<u64>().ok()? * 10))
    };
    Some((ticks(11)?, ticks(12)?))
}

// ---------------------------------------------------------------------------------------------
// Figure 1: plan

fn figure_plan(cfg: &Config, input: &DreamInput) -> bool {
    let opts = PromptOptions::from_config(&EngineConfig::anthropic());
    let mut runs = Vec::new();
    let mut cpu = Vec::new();
    let mut sys = Vec::new();
    let mut shape = String::new();
    for _ in 0..cfg.runs {
        let c = cpu_time();
        let t = Instant::now();
        let plan = prompt::plan(input, &opts).expect("plan");
        runs.push(t.elapsed());
        if let (Some(a), Some(b)) = (c, cpu_time()) {
            cpu.push((b.0 + b.1).saturating_sub(a.0 + a.1));
            sys.push(b.1.saturating_sub(a.1));
        }
        shape = format!("{}; digest {}", describe(&plan), digest(&plan));
        drop(plan);
    }
    note(&format!("plan: {shape}; runs {}", list(&runs, ms)));
    if !cpu.is_empty() {
        note(&format!(
            "plan: CPU time (user + system, all threads, 10 ms ticks) median {} (system {}), \
             runs {}",
            ms(median(&cpu)),
            ms(median(&sys)),
            list(&cpu, ms)
        ));
    }
    let best = runs.iter().min().copied().unwrap_or_default();
    let med = median(&runs);
    report(
        &format!(
            "plan ({} sessions x {} events, {} files)",
            cfg.sessions, cfg.events, cfg.files
        ),
        &format!(
            "median {}, best {} of {} runs",
            ms(med),
            ms(best),
            runs.len()
        ),
        "< 300 ms",
        med < Duration::from_millis(300),
    )
}

/// A digest of every request's purpose, prompts and estimate: equal digests, equal bytes.
fn digest(plan: &Plan) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    let reqs: Vec<&LlmRequest> = match plan {
        Plan::Single(r) => vec![r],
        Plan::MapReduce { extract } => extract.iter().collect(),
    };
    for r in reqs {
        for part in [&r.purpose, &r.system, &r.user] {
            h.update(part.len().to_le_bytes());
            h.update(part.as_bytes());
        }
        h.update(r.estimated_input_tokens.to_le_bytes());
    }
    hex::encode(&h.finalize()[..8])
}

fn describe(plan: &Plan) -> String {
    let sum = |reqs: &[&LlmRequest]| -> (u64, usize) {
        (
            reqs.iter().map(|r| r.estimated_input_tokens).sum(),
            reqs.iter().map(|r| r.user.len()).sum(),
        )
    };
    match plan {
        Plan::Single(r) => {
            let (t, b) = sum(&[r]);
            format!("one request, ~{t} tokens, {:.1} MB", b as f64 / 1e6)
        }
        Plan::MapReduce { extract } => {
            let all: Vec<&LlmRequest> = extract.iter().collect();
            let (t, b) = sum(&all);
            let max = extract
                .iter()
                .map(|r| r.estimated_input_tokens)
                .max()
                .unwrap_or(0);
            format!(
                "{} extraction requests, ~{t} tokens ({:.1} MB sent), largest ~{max} tokens",
                extract.len(),
                b as f64 / 1e6
            )
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Figure 2: validate

/// A quote of up to `len` bytes from `text` at a char boundary, trimmed.
fn quote_from(rng: &mut Rng, text: &str, len: usize) -> String {
    let mut start = rng.below(text.len().saturating_sub(len).max(1));
    while !text.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = (start + len).min(text.len());
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    text[start..end].trim().to_owned()
}

fn evidence(rng: &mut Rng, input: &DreamInput) -> Value {
    let fabricated = rng.below(10) == 0;
    if rng.below(5) == 0 {
        let f = &input.files[rng.below(input.files.len())];
        let len = rng.range(30, 120);
        let q = quote_from(rng, &f.content, len);
        let q = if fabricated {
            format!("{q} (not in the file)")
        } else {
            q
        };
        return json!({"session_id": null, "event_id": null, "quote": q});
    }
    let s = &input.sessions[rng.below(input.sessions.len())];
    let e = &s.events[rng.below(s.events.len())];
    let len = rng.range(30, 180);
    let q = quote_from(rng, &e.text, len);
    let q = if fabricated {
        format!("{q} fabricated")
    } else {
        q
    };
    json!({"session_id": s.id, "event_id": e.id, "quote": q})
}

fn response(rng: &mut Rng, input: &DreamInput, ops: usize) -> Value {
    let existing: Vec<&str> = input
        .files
        .iter()
        .skip(1)
        .map(|f| f.path.as_str())
        .collect();
    let touched = existing.len().min(ops * 19 / 100);
    let mut list = Vec::with_capacity(ops);
    for i in 0..ops {
        let (op, path, new_path, content) = if i < touched {
            let path = existing[i].to_owned();
            match i % 6 {
                0 => ("delete", path, None, None),
                1 => ("rename", path, Some(format!("/archive/t{i:04}.md")), None),
                _ => (
                    "replace",
                    path,
                    None,
                    Some(format!("- {}\n", words(rng, 30))),
                ),
            }
        } else {
            let mut content = String::new();
            for _ in 0..8 {
                let _ = writeln!(content, "- {}", words(rng, 12));
            }
            ("create", format!("/new/n{i:04}.md"), None, Some(content))
        };
        let evidence: Vec<Value> = (0..5).map(|_| evidence(rng, input)).collect();
        let category = [
            "duplicate",
            "contradiction",
            "stale",
            "insight",
            "reorganize",
        ][i % 5];
        list.push(json!({
            "op": op, "path": path, "new_path": new_path, "content": content,
            "category": category,
            "rationale": format!("The sessions show {}.", words(rng, 8)),
            "evidence": evidence,
        }));
    }
    json!({ "operations": list })
}

fn figure_validate(cfg: &Config, input: &DreamInput) -> bool {
    let mut rng = Rng::new(11);
    let answer = response(&mut rng, input, cfg.ops);
    let mut runs = Vec::new();
    let mut shape = (0, 0, 0, 0);
    for _ in 0..cfg.runs {
        let t = Instant::now();
        let index = EvidenceIndex::new(input);
        let out = validate::operations_with(&index, input, &answer).expect("valid answer");
        let quotes: Vec<_> = out.notes.iter().flat_map(|n| &n.evidence).collect();
        let held = quotes.iter().filter(|e| index.holds(e)).count();
        runs.push(t.elapsed());
        shape = (out.files.len(), out.notes.len(), quotes.len(), held);
    }
    let (files, notes, quotes, held) = shape;
    note(&format!(
        "validate: {} operations -> {files} files, {notes} notes, {quotes} quotes checked, \
         {held} hold; runs {}",
        cfg.ops,
        list(&runs, ms)
    ));
    let med = median(&runs);
    report(
        &format!("validate ({} operations, {} quotes)", cfg.ops, shape.2),
        &format!(
            "median {}, best {} of {} runs",
            ms(med),
            ms(runs.iter().min().copied().unwrap_or_default()),
            runs.len()
        ),
        "< 200 ms",
        med < Duration::from_millis(200),
    )
}
