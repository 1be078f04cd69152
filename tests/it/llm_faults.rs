//! The HTTP backends against the loopback mock, both wire formats: success, retries and their
//! delays, statuses never retried, typed answer errors, the body cap. Also the helpers the other
//! `llm_*` test modules share.

use std::time::{Duration, Instant};

use lucid::llm::config::{MaxTokensField, StructuredOutput};
use lucid::llm::http::{HttpBackend, Recorder, Wire};
use lucid::llm::{ApiKey, Backend, CancelToken, EngineConfig, LlmError, LlmReply, LlmRequest};
use serde_json::json;

use crate::mock_http::{Response, Server};
use crate::mock_llm::{
    self, anthropic_error, anthropic_text_reply, anthropic_tool_reply, openai_error,
    openai_refusal, openai_reply,
};

pub(crate) const KEY: &str = "sk-ant-api03-TESTKEY-never-in-logs-9f8e7d6c5b4a3210";
pub(crate) const WIRES: [Wire; 2] = [Wire::Anthropic, Wire::OpenAi];

pub(crate) fn request(purpose: &str) -> LlmRequest {
    LlmRequest {
        purpose: purpose.into(),
        system: "You consolidate memories. Answer with JSON only.".into(),
        user: "<store>\n/notes.md: deploys happen on Fridays\n</store>".into(),
        schema_name: "dream_output".into(),
        schema: json!({"type": "object", "properties": {"changes": {"type": "array"}}, "required": ["changes"]}),
        max_tokens: 2000,
        estimated_input_tokens: 40,
    }
}

/// Tiny backoff (10 ms doubling to 40 ms), three retries, generous timeouts.
pub(crate) fn config(wire: Wire, url: &str) -> EngineConfig {
    let mut c = match wire {
        Wire::Anthropic => EngineConfig::anthropic(),
        Wire::OpenAi => EngineConfig::openai(),
    };
    c.base_url = url.into();
    c.max_retries = 3;
    c.backoff_initial_ms = 10;
    c.backoff_max_ms = 40;
    c.request_timeout_secs = 10.0;
    c.deadline_secs = 30.0;
    c
}

pub(crate) fn backend_with(
    cfg: &EngineConfig,
    wire: Wire,
    recorder: Option<Recorder>,
) -> HttpBackend {
    HttpBackend::new(wire, cfg, ApiKey::new(KEY).expect("valid key"), recorder).expect("backend")
}

pub(crate) fn backend(wire: Wire, server: &Server) -> HttpBackend {
    backend_with(&config(wire, &server.url()), wire, None)
}

pub(crate) fn ok_body(wire: Wire) -> Vec<u8> {
    match wire {
        Wire::Anthropic => anthropic_tool_reply("dream_output", &json!({"changes": []})),
        Wire::OpenAi => openai_reply(r#"{"changes":[]}"#, "stop"),
    }
}

/// A retryable error body at `status` in the wire's envelope.
pub(crate) fn err_body(wire: Wire, status: u16) -> Vec<u8> {
    let (kind, message) = match status {
        429 => (
            "rate_limit_error",
            "Number of request tokens has exceeded your per-minute rate limit",
        ),
        529 => ("overloaded_error", "Overloaded"),
        400 => ("invalid_request_error", "max_tokens: Field required"),
        401 => ("authentication_error", "invalid x-api-key"),
        403 => ("permission_error", "Your API key does not have permission"),
        404 => ("not_found_error", "model: claude-nope"),
        _ => ("api_error", "Internal server error"),
    };
    match wire {
        Wire::Anthropic => anthropic_error(kind, message),
        Wire::OpenAi => openai_error(message, kind, None),
    }
}

pub(crate) fn run(b: &HttpBackend) -> Result<LlmReply, LlmError> {
    b.complete(&request("consolidate"), &CancelToken::default())
}

pub(crate) fn gaps(server: &Server) -> Vec<Duration> {
    let at: Vec<_> = server.requests().iter().map(|r| r.at).collect();
    at.windows(2).map(|w| w[1] - w[0]).collect()
}

#[test]
fn success_sends_the_exact_body_and_headers() {
    for (wire, path, mode) in [
        (Wire::Anthropic, "/v1/messages", StructuredOutput::Tool),
        (
            Wire::OpenAi,
            "/v1/chat/completions",
            StructuredOutput::JsonSchema,
        ),
    ] {
        let server = mock_llm::queue(vec![Response::json(200, ok_body(wire))]);
        let reply = run(&backend(wire, &server)).expect("success");
        assert_eq!(reply.json, json!({"changes": []}));
        assert_eq!(reply.usage.requests, 1);
        assert!(reply.usage.input_tokens > 0 && reply.usage.cache_read_input_tokens > 0);
        let reqs = server.requests();
        assert_eq!(reqs.len(), 1);
        let r = &reqs[0];
        assert_eq!((r.method.as_str(), r.target.as_str()), ("POST", path));
        assert_eq!(r.header("content-type"), Some("application/json"));
        let cfg = config(wire, "x");
        let limit = cfg.max_tokens_field.unwrap_or_default();
        assert_eq!(
            r.body,
            wire.request_body(&request("consolidate"), &cfg.model, mode, limit)
        );
        match wire {
            Wire::Anthropic => {
                assert_eq!(r.header("x-api-key"), Some(KEY));
                assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
                assert_eq!(r.header("authorization"), None);
            }
            Wire::OpenAi => {
                assert_eq!(
                    r.header("authorization"),
                    Some(format!("Bearer {KEY}").as_str())
                );
                assert_eq!(r.header("x-api-key"), None);
            }
        }
    }
}

#[test]
fn openai_reasoning_models_get_the_limit_as_max_completion_tokens() {
    let server = mock_llm::queue(vec![Response::json(200, ok_body(Wire::OpenAi))]);
    let mut cfg = config(Wire::OpenAi, &server.url());
    cfg.max_tokens_field = Some(MaxTokensField::MaxCompletionTokens);
    run(&backend_with(&cfg, Wire::OpenAi, None)).expect("success");
    let body: serde_json::Value =
        serde_json::from_slice(&server.requests()[0].body).expect("a JSON body");
    assert_eq!(body["max_completion_tokens"], 2000, "{body}");
    assert!(body.get("max_tokens").is_none(), "{body}");
}

fn retry_after_two_seconds_is_honoured(wire: Wire) {
    let server = mock_llm::queue(vec![
        Response::json(429, err_body(wire, 429)).header("retry-after", "2"),
        Response::json(200, ok_body(wire)),
    ]);
    let reply = run(&backend(wire, &server)).expect("success after the wait");
    assert_eq!(reply.usage.requests, 2);
    let gaps = gaps(&server);
    assert_eq!(gaps.len(), 1);
    assert!(
        gaps[0] >= Duration::from_secs(2),
        "{wire:?} retried after {:?}",
        gaps[0]
    );
}

#[test]
fn anthropic_429_retry_after_is_honoured() {
    retry_after_two_seconds_is_honoured(Wire::Anthropic);
}

#[test]
fn openai_429_retry_after_is_honoured() {
    retry_after_two_seconds_is_honoured(Wire::OpenAi);
}

#[test]
fn server_errors_are_retried_with_growing_backoff() {
    for wire in WIRES {
        let server = mock_llm::queue(vec![
            Response::json(500, err_body(wire, 500)),
            Response::json(503, err_body(wire, 503)),
            Response::json(529, err_body(wire, 529)),
            Response::json(200, ok_body(wire)),
        ]);
        let reply = run(&backend(wire, &server)).expect("fourth attempt succeeds");
        assert_eq!(reply.usage.requests, 4);
        let gaps = gaps(&server);
        assert_eq!(gaps.len(), 3, "{wire:?}");
        // Backoff 10, 20, 40 ms with jitter down to half.
        for (gap, min_ms) in gaps.iter().zip([5, 10, 20]) {
            assert!(*gap >= Duration::from_millis(min_ms), "{wire:?}: {gaps:?}");
        }
    }
}

#[test]
fn retries_exhausted_after_max_retries() {
    for wire in WIRES {
        let server = mock_llm::queue(vec![Response::json(503, err_body(wire, 503)); 5]);
        match run(&backend(wire, &server)) {
            Err(LlmError::RetriesExhausted { attempts: 4, last }) => {
                assert!(
                    matches!(*last, LlmError::Http { status: 503, .. }),
                    "{last:?}"
                );
            }
            other => panic!("{wire:?}: {other:?}"),
        }
        assert_eq!(server.requests().len(), 4);
    }
}

#[test]
fn connection_refused_and_closed_are_retried() {
    let port = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr").port()
    };
    for wire in WIRES {
        let cfg = config(wire, &format!("http://127.0.0.1:{port}"));
        let started = Instant::now();
        match run(&backend_with(&cfg, wire, None)) {
            Err(LlmError::RetriesExhausted { attempts: 4, last }) => {
                assert!(matches!(*last, LlmError::Connect { .. }), "{last:?}");
                let shown = last.to_string();
                assert!(shown.contains(&format!("127.0.0.1:{port}")), "{shown}");
            }
            other => panic!("{wire:?}: {other:?}"),
        }
        assert!(started.elapsed() >= Duration::from_millis(5 + 10 + 20));

        let server = mock_llm::queue(vec![Response::close(), Response::json(200, ok_body(wire))]);
        let reply = run(&backend(wire, &server)).expect("retried after the close");
        assert_eq!(server.requests().len(), 2);
        assert_eq!(reply.usage.requests, 1, "only the answered request counts");
    }
}

#[test]
fn client_errors_and_spend_limits_are_not_retried() {
    for wire in WIRES {
        let statuses = [400, 401, 403, 404];
        let server = mock_llm::queue(
            statuses
                .iter()
                .map(|s| Response::json(*s, err_body(wire, *s)))
                .collect(),
        );
        let b = backend(wire, &server);
        for want in statuses {
            match run(&b) {
                Err(LlmError::Http { status, .. }) => assert_eq!(status, want),
                other => panic!("{wire:?} {want}: {other:?}"),
            }
        }
        assert_eq!(server.requests().len(), 4, "{wire:?}: one request per call");

        let spend = match wire {
            Wire::Anthropic => anthropic_error(
                "rate_limit_error",
                "You have reached your specified API usage limits. You will regain access on 2026-08-01 at 00:00 UTC.",
            ),
            Wire::OpenAi => openai_error(
                "You exceeded your current quota, please check your plan and billing details.",
                "insufficient_quota",
                Some("insufficient_quota"),
            ),
        };
        let server = mock_llm::queue(vec![
            Response::json(429, spend).header("retry-after", "1"),
            Response::json(200, ok_body(wire)),
        ]);
        assert!(matches!(
            run(&backend(wire, &server)),
            Err(LlmError::SpendLimit(_))
        ));
        assert_eq!(server.requests().len(), 1);
    }
}

#[test]
fn truncated_refused_and_malformed_answers_are_typed() {
    let cases = [
        (
            Wire::Anthropic,
            anthropic_text_reply("{\"changes\": [", "max_tokens"),
            "truncated",
        ),
        (
            Wire::OpenAi,
            openai_reply("{\"changes\": [", "length"),
            "truncated",
        ),
        (
            Wire::Anthropic,
            anthropic_text_reply("I can't help with that.", "refusal"),
            "refused",
        ),
        (
            Wire::OpenAi,
            openai_refusal("I'm sorry, I can't assist with that."),
            "refused",
        ),
        (
            Wire::Anthropic,
            anthropic_text_reply("{\"changes\": [}", "end_turn"),
            "malformed",
        ),
        (
            Wire::OpenAi,
            openai_reply("Sure! The changes are none.", "stop"),
            "malformed",
        ),
        (
            Wire::OpenAi,
            b"<html>502 from a proxy</html>".to_vec(),
            "malformed",
        ),
    ];
    for (wire, body, want) in cases {
        let server = mock_llm::queue(vec![Response::json(200, body)]);
        let got = run(&backend(wire, &server));
        let ok = match want {
            "truncated" => matches!(got, Err(LlmError::Truncated(2000))),
            "refused" => matches!(got, Err(LlmError::Refused(_))),
            _ => matches!(got, Err(LlmError::Malformed(_))),
        };
        assert!(ok, "{wire:?} {want}: {got:?}");
        assert_eq!(server.requests().len(), 1, "{wire:?} {want}: not retried");
    }
    // A local server that ignores response_format and wraps the JSON in prose and a fence.
    let fenced = "Here you go:\n```json\n{\"changes\": []}\n```";
    let server = mock_llm::queue(vec![Response::json(200, openai_reply(fenced, "stop"))]);
    assert_eq!(
        run(&backend(Wire::OpenAi, &server))
            .expect("extracted")
            .json["changes"],
        json!([])
    );
}

#[test]
fn bodies_over_ten_megabytes_are_refused() {
    let big = vec![b' '; 10 * 1024 * 1024 + 1];
    for wire in WIRES {
        let server = mock_llm::queue(vec![
            Response::json(200, big.clone()),
            Response::json(200, big.clone()).unframed(),
        ]);
        let b = backend(wire, &server);
        for framing in ["content-length", "unframed"] {
            let got = run(&b);
            assert!(
                matches!(got, Err(LlmError::TooLarge(10_485_760))),
                "{framing}: {got:?}"
            );
        }
        assert_eq!(server.requests().len(), 2);
    }
}
