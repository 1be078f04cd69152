//! Issue 5's third LLM figure, on the release build (`cargo bench --bench llm_engine`): the
//! overhead of the engine itself — planning and building the request, HTTP on loopback, parsing,
//! validating and checking evidence — against a mock model that answers in 2 s, as a share of
//! the dream's wall time: under 5 %.
//!
//! The dream: 12 sessions of 150 events and a store of 60 files (one request within the default
//! budget); the answer replaces 40 files and cites 200 quotes. `LUCID_BENCH_RUNS` sets the runs
//! (default 3), `LUCID_BENCH_DELAY_MS` the mock's delay (default 2000).

mod common;
#[path = "../tests/it/mock_http.rs"]
mod mock_http;
#[path = "../tests/it/mock_llm.rs"]
mod mock_llm;

use std::fmt::Write as _;
use std::time::{Duration, Instant};

use lucid::dream::{DreamInput, Engine, Event, MemoryFile, Session};
use lucid::llm::config::StructuredOutput;
use lucid::llm::engine::LlmEngine;
use lucid::llm::http::{HttpBackend, Wire};
use lucid::llm::{ApiKey, CancelToken, EngineConfig};
use serde_json::{Value, json};

use common::{env_num, exit_on_failure, ms, report};
use mock_http::{Response, Server};

fn input() -> DreamInput {
    let files = (0..60)
        .map(|i| MemoryFile {
            path: format!("/topic-{i:02}.md"),
            content: (0..25).fold(String::new(), |mut text, l| {
                let _ = writeln!(
                    text,
                    "- Fact {l} about area {i}: run `make check-{l}` before pushing."
                );
                text
            }),
            written_at: "2026-06-01T09:00:00Z".into(),
        })
        .collect();
    let sessions = (0..12)
        .map(|s| Session {
            id: format!("sess-{s:03}"),
            agent: format!("agent-{}", s % 3),
            started_at: Some(format!("2026-06-{:02}T10:00:00Z", 1 + s % 28)),
            events: (0..150)
                .map(|e| {
                    let (kind, role, text) = match e % 4 {
                        0 => ("user", "user", format!("Please fix area {e}; we use pnpm, not npm (note {s}-{e}).")),
                        1 => ("assistant", "assistant", format!("Looking at area {e}. [tool_use Bash] {{\"command\":\"pnpm test --filter area-{e}\"}}")),
                        2 => ("tool_result", "tool", format!("[tool_result] PASS area-{e}\n{}", "ok line\n".repeat(40))),
                        _ => ("assistant", "assistant", format!("Done with area {e}: the check passes now.")),
                    };
                    Event {
                        id: format!("ev-{s}-{e}"),
                        seq: e,
                        kind: kind.into(),
                        role: Some(role.into()),
                        at: None,
                        thread: "main".into(),
                        is_error: false,
                        text,
                    }
                })
                .collect(),
            tool_calls: Vec::new(),
        })
        .collect();
    DreamInput {
        files,
        sessions,
        now: "2026-07-01T00:00:00Z".into(),
        instructions: String::new(),
        deletion_budget: 0.3,
    }
}

fn answer() -> Value {
    let ops: Vec<Value> = (0..40)
        .map(|i| {
            let evidence: Vec<Value> = (0..5)
                .map(|k| {
                    let (s, e) = ((i + k) % 12, ((i * 4 + k * 8) % 150) / 4 * 4);
                    json!({"session_id": format!("sess-{s:03}"), "event_id": format!("ev-{s}-{e}"),
                           "quote": "we use pnpm, not npm"})
                })
                .collect();
            json!({"op": "replace", "path": format!("/topic-{i:02}.md"), "new_path": null,
                   "content": format!("- Area {i}: run `pnpm check` before pushing.\n"),
                   "category": "contradiction", "rationale": "The user said pnpm.",
                   "evidence": evidence})
        })
        .collect();
    json!({ "operations": ops })
}

fn main() {
    let runs: u64 = env_num("LUCID_BENCH_RUNS").unwrap_or(3).max(1);
    let delay = Duration::from_millis(env_num("LUCID_BENCH_DELAY_MS").unwrap_or(2000));
    let body = mock_llm::anthropic_tool_reply("memory_operations", &answer());
    let mock = Server::start(move |_| Response::json(200, body.clone()).delay(delay));
    let config = EngineConfig {
        base_url: mock.url(),
        model: "bench-model".into(),
        structured_output: StructuredOutput::Tool,
        ..EngineConfig::anthropic()
    };
    let input = input();
    {
        let key = ApiKey::new("bench-key").expect("valid key");
        let backend = HttpBackend::new(Wire::Anthropic, &config, key, None).expect("backend");
        let engine = LlmEngine::new(Box::new(backend), &config, CancelToken::default());
        let plan = engine.dry_run(&input, &config).expect("plan");
        println!(
            "  input: {} sessions, {} files; {} request(s), ~{} input tokens",
            input.sessions.len(),
            input.files.len(),
            plan.requests,
            plan.estimated_input_tokens
        );
    }
    let mut shares = Vec::new();
    for run in 1..=runs {
        let key = ApiKey::new("bench-key").expect("valid key");
        let backend = HttpBackend::new(Wire::Anthropic, &config, key, None).expect("backend");
        let engine = LlmEngine::new(Box::new(backend), &config, CancelToken::default());
        let started = Instant::now();
        let output = engine.dream(&input).expect("dream");
        let wall = started.elapsed();
        assert_eq!(output.notes.len(), 40, "every replaced file has its note");
        let overhead = wall.saturating_sub(delay);
        let share = overhead.as_secs_f64() / wall.as_secs_f64() * 100.0;
        println!(
            "  run {run}: wall {}, mock {:.0} ms, engine {} ({share:.2} %)",
            ms(wall),
            delay.as_secs_f64() * 1e3,
            ms(overhead)
        );
        shares.push(share);
    }
    shares.sort_by(f64::total_cmp);
    let median = shares[shares.len() / 2];
    let pass = report(
        &format!(
            "engine overhead with a mock answering in {} ms",
            delay.as_millis()
        ),
        &format!("median {median:.2} % of the dream's wall time"),
        "< 5 %",
        median < 5.0,
    );
    exit_on_failure(&[pass]);
}
