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
//! The input is synthetic, deterministic and generated in memory: user requests and corrections,
//! assistant text with `[tool_use NAME] {…}` lines, tool results (Rust code, test and build logs,
//! directory listings, JSON; about 6 % errors; about 1 % carrying an API key, a token, a password
//! in a URL or a private key), ANSI colour codes, and a few system events. The response creates,
//! replaces, renames and deletes files; most quotes are real substrings of the cited events or
//! files, about one in ten is fabricated.
//!
//! `LUCID_BENCH_SCALE=0.05` multiplies every size for a quick smoke run; `LUCID_BENCH_SESSIONS`,
//! `LUCID_BENCH_EVENTS`, `LUCID_BENCH_FILES` and `LUCID_BENCH_RUNS` set one each. Arguments after
//! `--` pick figures by name: `plan`, `validate` (default: both).

use std::fmt::Write as _;
use std::str::FromStr;
use std::time::{Duration, Instant};

use lucid::dream::{DreamInput, Event, MemoryFile, Session};
use lucid::llm::prompt::{self, Plan, PromptOptions};
use lucid::llm::validate::{self, EvidenceIndex};
use lucid::llm::{EngineConfig, LlmRequest};
use serde_json::{Value, json};

fn main() {
    let cfg = Config::from_env();
    println!(
        "lucid LLM figures (2 cores shared; load average {} at start){}",
        load(),
        if (cfg.scale - 1.0).abs() > f64::EPSILON {
            format!(
                "\n  LUCID_BENCH_SCALE={}: sizes differ from the issue's, figures are indicative",
                cfg.scale
            )
        } else {
            String::new()
        }
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
    let mut results = Vec::new();
    if cfg.wants("plan") {
        results.push(figure_plan(&cfg, &input));
    }
    if cfg.wants("validate") {
        results.push(figure_validate(&cfg, &input));
    }
    let failed = results.iter().filter(|ok| !**ok).count();
    println!(
        "{} of {} figures PASS{} (load average {} at the end)",
        results.len() - failed,
        results.len(),
        if failed == 0 { "" } else { " (some FAIL)" },
        load()
    );
    if failed > 0 {
        std::process::exit(1);
    }
}

// ---------------------------------------------------------------------------------------------
// Configuration and helpers

struct Config {
    scale: f64,
    sessions: usize,
    events: usize,
    files: usize,
    ops: usize,
    runs: usize,
    only: Vec<String>,
}

impl Config {
    fn from_env() -> Self {
        let scale: f64 = env_num("LUCID_BENCH_SCALE").unwrap_or(1.0);
        assert!(
            scale > 0.0,
            "LUCID_BENCH_SCALE must be a positive number, e.g. 0.05"
        );
        let scaled = |n: f64, min: f64| (n * scale).max(min).round() as usize;
        Self {
            scale,
            sessions: env_num("LUCID_BENCH_SESSIONS")
                .unwrap_or(scaled(100.0, 4.0))
                .min(lucid::dream::MAX_SESSIONS),
            events: env_num("LUCID_BENCH_EVENTS").unwrap_or(scaled(2_000.0, 100.0)),
            files: env_num("LUCID_BENCH_FILES").unwrap_or(scaled(200.0, 10.0)),
            ops: scaled(1_000.0, 20.0),
            runs: env_num("LUCID_BENCH_RUNS").unwrap_or(5).max(1),
            only: std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .collect(),
        }
    }

    fn wants(&self, figure: &str) -> bool {
        self.only.is_empty() || self.only.iter().any(|o| o == figure)
    }
}

fn env_num<T: FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    let parsed = raw.trim().parse().ok();
    assert!(parsed.is_some(), "{name}={raw:?} is not a number");
    parsed
}

/// The 1/5/15-minute load averages (Linux), for context next to the numbers.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

fn report(label: &str, value: &str, target: &str, pass: bool) -> bool {
    let verdict = if pass { "PASS" } else { "FAIL" };
    println!("{label}: {value} (target {target}) {verdict}");
    pass
}

fn note(text: &str) {
    eprintln!("  .. {text}");
}

fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

fn list(samples: &[Duration]) -> String {
    samples
        .iter()
        .map(|d| ms(*d))
        .collect::<Vec<_>>()
        .join(", ")
}

/// `SplitMix64`: small, fast and deterministic.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| CHARS[self.below(CHARS.len())] as char)
            .collect()
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
const TOOLS: &[&str] = &["Bash", "Read", "Edit", "Grep", "Write", "Glob"];

fn words(rng: &mut Rng, n: usize) -> String {
    let mut s = String::new();
    for i in 0..n {
        if i > 0 {
            s.push(' ');
        }
        s.push_str(rng.pick(WORDS));
    }
    s
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

fn tool_output(rng: &mut Rng) -> String {
    let mut s = String::new();
    let lines = rng.range(1, 24);
    match rng.below(4) {
        0 => {
            for i in 0..lines {
                let w = rng.pick(WORDS);
                let _ = writeln!(
                    s,
                    "{i:>4}\tpub fn {w}_{i}(input: &[u8]) -> Result<Vec<String>, Error> {{ let x = {}; }}",
                    rng.below(1000)
                );
            }
        }
        1 => {
            for i in 0..lines {
                let _ = writeln!(
                    s,
                    "\x1b[32mtest\x1b[0m {}::{}_{i} ... ok ({} ms)",
                    rng.pick(WORDS),
                    rng.pick(WORDS),
                    rng.below(500)
                );
            }
        }
        2 => {
            for _ in 0..lines {
                let _ = writeln!(
                    s,
                    "-rw-r--r--  1 dev staff {:>7} Mar  3 10:{:02} src/{}/{}.rs",
                    rng.below(90_000),
                    rng.below(60),
                    rng.pick(WORDS),
                    rng.pick(WORDS)
                );
            }
        }
        _ => {
            s.push('[');
            for i in 0..lines {
                let _ = write!(
                    s,
                    "{{\"id\":{i},\"name\":\"{}\",\"status\":\"{}\",\"note\":\"{}\"}},",
                    rng.pick(WORDS),
                    rng.pick(&["ok", "failed", "pending"]),
                    words(rng, 6)
                );
            }
            s.push_str("{}]");
        }
    }
    if rng.below(100) == 0 {
        s.push_str(&secret(rng));
        s.push('\n');
    }
    s
}

fn event(rng: &mut Rng, s: usize, e: usize) -> Event {
    let (kind, role, is_error, text) = match rng.below(100) {
        0..=3 => (
            "system",
            "system",
            false,
            format!("hook ran: {}", words(rng, 4)),
        ),
        4..=21 => {
            let text = match rng.below(10) {
                0 => format!(
                    "Use {}, not {}. {}",
                    rng.pick(WORDS),
                    rng.pick(WORDS),
                    words(rng, 8)
                ),
                1 => format!(
                    "The {} note is out of date: {}",
                    rng.pick(WORDS),
                    words(rng, 12)
                ),
                _ => format!(
                    "Please {} the {} and {}",
                    words(rng, 3),
                    words(rng, 4),
                    words(rng, 20)
                ),
            };
            ("user", "user", false, text)
        }
        22..=51 => {
            let tool = rng.pick(TOOLS);
            let text = format!(
                "I will check the {} first.\n[tool_use {tool}] {{\"command\":\"cargo test -p {} -- {}\",\"description\":\"{}\"}}",
                words(rng, 3),
                rng.pick(WORDS),
                rng.pick(WORDS),
                words(rng, 10)
            );
            ("assistant", "assistant", false, text)
        }
        52..=57 => {
            let text = format!(
                "[tool_result error] error[E0308]: mismatched types in src/{}.rs:{}\n{}",
                rng.pick(WORDS),
                rng.below(900),
                tool_output(rng)
            );
            ("tool_result", "tool", true, text)
        }
        _ => (
            "tool_result",
            "tool",
            false,
            format!("[tool_result] {}", tool_output(rng)),
        ),
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

// ---------------------------------------------------------------------------------------------
// Figure 1: plan

fn figure_plan(cfg: &Config, input: &DreamInput) -> bool {
    let opts = PromptOptions::from_config(&EngineConfig::anthropic());
    let mut runs = Vec::new();
    let mut shape = String::new();
    for _ in 0..cfg.runs {
        let t = Instant::now();
        let plan = prompt::plan(input, &opts).expect("plan");
        runs.push(t.elapsed());
        shape = describe(&plan);
        drop(plan);
    }
    note(&format!("plan: {shape}; runs {}", list(&runs)));
    let best = runs.iter().min().copied().unwrap_or_default();
    let med = median(&runs);
    report(
        "plan (100 sessions x 2,000 events, 200 files)",
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
        list(&runs)
    ));
    let med = median(&runs);
    report(
        "validate (1,000 operations, 5,000 quotes)",
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
