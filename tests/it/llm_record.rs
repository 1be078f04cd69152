//! The HTTP backends' secrecy and reproducibility against the loopback mock: the API key only
//! in the auth header (never in bodies, errors, `Debug` or trace logs), recording of exact bytes,
//! replay from them, and one backend shared by parallel requests.

use std::sync::{Arc, Mutex};
use std::thread;
use std::time::Duration;

use lucid::llm::http::{Recorder, Wire};
use lucid::llm::replay::ReplayBackend;
use lucid::llm::{Backend, CancelToken, LlmError};
use serde_json::json;

use crate::llm_faults::{
    KEY, WIRES, backend, backend_with, config, err_body, ok_body, request, run,
};
use crate::mock_http::{Response, Server};
use crate::mock_llm::{self, anthropic_text_reply, openai_reply};

/// Collects formatted tracing output.
#[derive(Clone, Default)]
struct LogBuf(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for LogBuf {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().expect("log lock").extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn the_key_stays_in_the_auth_header() {
    let logs = LogBuf::default();
    let writer = logs.clone();
    let subscriber = tracing_subscriber::fmt()
        .with_max_level(tracing::Level::TRACE)
        .with_ansi(false)
        .with_writer(move || writer.clone())
        .finish();
    let aws = "AKIAZ7Q4MW2PLX9RT3VB";
    let mut errors = Vec::new();
    // With a single registered dispatcher, tracing computes a callsite's interest from the
    // default of whichever thread hits it first: another test's thread (no subscriber) would
    // cache "never" for this test's subscriber. A second live dispatcher makes it ask all.
    let _second = tracing::Dispatch::new(tracing::subscriber::NoSubscriber::default());
    tracing::subscriber::with_default(subscriber, || {
        for wire in WIRES {
            let server = mock_llm::queue(vec![
                Response::json(503, err_body(wire, 503)),
                Response::json(200, ok_body(wire)),
                Response::json(401, err_body(wire, 401)),
                Response::close(),
            ]);
            let b = backend(wire, &server);
            let mut req = request("consolidate");
            req.user = format!("{}\naws key {aws}\n", req.user);
            b.complete(&req, &CancelToken::default())
                .expect("retried to success");
            errors.push(b.complete(&req, &CancelToken::default()).expect_err("401"));
            let mut cfg = config(wire, &server.url());
            cfg.max_retries = 0;
            errors.push(run(&backend_with(&cfg, wire, None)).expect_err("closed"));
            assert!(!format!("{b:?}").contains(KEY));
            let auth = match wire {
                Wire::Anthropic => "x-api-key",
                Wire::OpenAi => "authorization",
            };
            for r in server.requests() {
                assert!(!String::from_utf8_lossy(&r.body).contains(KEY));
                for (name, value) in &r.headers {
                    assert_eq!(value.contains(KEY), name == auth, "{wire:?} header {name}");
                }
            }
        }
    });
    for e in &errors {
        assert!(!format!("{e} {e:?}").contains(KEY), "{e:?}");
    }
    let logs = String::from_utf8(logs.0.lock().expect("log lock").clone()).expect("utf-8");
    assert!(
        logs.contains("LLM request") && logs.contains("LLM retry"),
        "{} bytes of logs: {logs}",
        logs.len()
    );
    assert!(
        logs.contains("dream_output"),
        "trace logs show the (redacted) body"
    );
    assert!(!logs.contains(KEY) && !logs.contains("TESTKEY"));
    assert!(
        !logs.contains(aws),
        "bodies are redacted before they are logged"
    );
}

#[test]
fn recording_keeps_exact_bytes_and_replay_answers_from_them() {
    let dir = tempfile::tempdir().expect("tmp");
    for wire in WIRES {
        let rec_dir = dir.path().join(wire.name());
        let ok_a = ok_body(wire);
        let ok_b = match wire {
            Wire::Anthropic => {
                anthropic_text_reply(r#"{"changes":[{"path":"/b.md"}]}"#, "end_turn")
            }
            Wire::OpenAi => openai_reply(r#"{"changes":[{"path":"/b.md"}]}"#, "stop"),
        };
        let server = mock_llm::queue(vec![
            Response::json(503, err_body(wire, 503)),
            Response::json(200, ok_a.clone()),
            Response::json(200, ok_b.clone()),
        ]);
        let cfg = config(wire, &server.url());
        let live = backend_with(&cfg, wire, Some(Recorder::new(&rec_dir).expect("recorder")));
        let c = CancelToken::default();
        let a = live.complete(&request("extract:s1"), &c).expect("a");
        let b = live.complete(&request("consolidate"), &c).expect("b");
        let sent = server.requests();
        let read = |name: &str| std::fs::read(rec_dir.join(name)).expect(name);
        assert_eq!(read("0001.request.json"), sent[1].body);
        assert_eq!(read("0001.response.json"), ok_a);
        assert_eq!(read("0002.request.json"), sent[2].body);
        assert_eq!(read("0002.response.json"), ok_b);
        assert!(
            !rec_dir.join("0003.meta.json").exists(),
            "retried attempts are not separate"
        );
        let meta: serde_json::Value =
            serde_json::from_slice(&read("0001.meta.json")).expect("json");
        assert_eq!(
            meta,
            json!({"purpose": "extract:s1", "wire": wire.name(), "model": cfg.model,
                   "path": wire.path(), "status": 200, "attempts": 2})
        );

        let replay = ReplayBackend::open(&rec_dir).expect("opens");
        assert_eq!(
            (replay.name(), replay.model()),
            ("replay", cfg.model.as_str())
        );
        let rb = replay
            .complete(&request("consolidate"), &c)
            .expect("b replayed");
        let ra = replay
            .complete(&request("extract:s1"), &c)
            .expect("a replayed");
        assert_eq!((ra.json, ra.model), (a.json, a.model));
        assert_eq!(
            (rb.json, rb.usage.output_tokens),
            (b.json, b.usage.output_tokens)
        );
        assert!(matches!(
            replay.complete(&request("consolidate"), &c),
            Err(LlmError::Replay(_))
        ));
    }
}

#[test]
fn parallel_requests_share_one_backend_and_one_recording() {
    let server = Server::start(|req| {
        let purpose = req.json()["messages"][1]["content"]
            .as_str()
            .unwrap_or("?")
            .to_owned();
        Response::json(
            200,
            openai_reply(&json!({"echo": purpose}).to_string(), "stop"),
        )
        .delay(Duration::from_millis(50))
    });
    let dir = tempfile::tempdir().expect("tmp");
    let cfg = config(Wire::OpenAi, &server.url());
    let b = backend_with(
        &cfg,
        Wire::OpenAi,
        Some(Recorder::new(dir.path()).expect("rec")),
    );
    thread::scope(|s| {
        for t in 0..4 {
            let b = &b;
            s.spawn(move || {
                for i in 0..3 {
                    let mut req = request(&format!("extract:{t}-{i}"));
                    req.user = format!("session {t}-{i}");
                    let r = b.complete(&req, &CancelToken::default()).expect("answer");
                    assert_eq!(r.json["echo"], req.user);
                }
            });
        }
    });
    assert_eq!(server.requests().len(), 12);
    let metas = std::fs::read_dir(dir.path())
        .expect("dir")
        .filter(|e| {
            e.as_ref()
                .expect("entry")
                .file_name()
                .to_string_lossy()
                .ends_with(".meta.json")
        })
        .count();
    assert_eq!(metas, 12);
}

#[test]
fn works_from_inside_an_async_runtime() {
    let server = mock_llm::queue(vec![Response::json(200, ok_body(Wire::Anthropic))]);
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime");
    rt.block_on(async {
        // A blocking call from async code (a TUI effect without spawn_blocking) must not
        // panic, and neither may dropping the backend there.
        let b = backend(Wire::Anthropic, &server);
        let reply = b.complete(&request("consolidate"), &CancelToken::default());
        assert_eq!(reply.expect("answer").json, json!({"changes": []}));
        drop(b);
    });
}
