//! The HTTP backends' time limits against the loopback mock: per-request timeout, the dream's
//! deadline (also cutting a backoff short) and cancel during an answer or a backoff.

use std::thread;
use std::time::{Duration, Instant};

use lucid::llm::http::Wire;
use lucid::llm::{Backend, CancelToken, LlmError};

use crate::llm_faults::{WIRES, backend, backend_with, config, err_body, ok_body, request, run};
use crate::mock_http::Response;
use crate::mock_llm;

#[test]
fn per_request_timeout_then_retry() {
    let wire = Wire::OpenAi;
    let slow = Response::json(200, ok_body(wire)).delay(Duration::from_secs(3));
    let server = mock_llm::queue(vec![slow, Response::json(200, ok_body(wire))]);
    let mut cfg = config(wire, &server.url());
    cfg.request_timeout_secs = 0.3;
    let started = Instant::now();
    let reply = run(&backend_with(&cfg, wire, None)).expect("second attempt in time");
    assert_eq!(reply.usage.requests, 1);
    assert_eq!(server.requests().len(), 2);
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    let server = mock_llm::queue(vec![
        Response::json(200, ok_body(wire))
            .delay(Duration::from_secs(3));
        2
    ]);
    cfg.base_url = server.url();
    cfg.max_retries = 1;
    match run(&backend_with(&cfg, wire, None)) {
        Err(LlmError::RetriesExhausted { attempts: 2, last }) => {
            assert!(matches!(*last, LlmError::Timeout(_)), "{last:?}");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn the_deadline_bounds_requests_and_backoff() {
    let wire = Wire::Anthropic;
    let server = mock_llm::queue(vec![
        Response::json(200, ok_body(wire)).delay(Duration::from_secs(4)),
    ]);
    let mut cfg = config(wire, &server.url());
    cfg.deadline_secs = 0.5;
    let started = Instant::now();
    assert!(matches!(
        run(&backend_with(&cfg, wire, None)),
        Err(LlmError::Deadline(_))
    ));
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );

    // A retry-after that would pass the deadline fails at once rather than sleeping.
    let server = mock_llm::queue(vec![
        Response::json(429, err_body(wire, 429)).header("retry-after", "30"),
        Response::json(200, ok_body(wire)),
    ]);
    cfg.base_url = server.url();
    cfg.deadline_secs = 5.0;
    let started = Instant::now();
    assert!(matches!(
        run(&backend_with(&cfg, wire, None)),
        Err(LlmError::Deadline(_))
    ));
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(server.requests().len(), 1);
}

#[test]
fn cancel_stops_a_slow_answer_and_a_backoff() {
    for wire in WIRES {
        let server = mock_llm::queue(vec![
            Response::json(200, ok_body(wire)).delay(Duration::from_secs(20)),
            Response::json(503, err_body(wire, 503)).header("retry-after", "20"),
        ]);
        let b = backend(wire, &server);
        for what in ["slow answer", "backoff"] {
            let cancel = CancelToken::default();
            let c = cancel.clone();
            let canceller = thread::spawn(move || {
                thread::sleep(Duration::from_millis(200));
                c.cancel();
            });
            let started = Instant::now();
            let got = b.complete(&request("consolidate"), &cancel);
            assert!(
                matches!(got, Err(LlmError::Canceled)),
                "{wire:?} {what}: {got:?}"
            );
            assert!(
                started.elapsed() < Duration::from_secs(5),
                "{what}: {:?}",
                started.elapsed()
            );
            canceller.join().expect("canceller");
        }
        let cancel = CancelToken::default();
        cancel.cancel();
        assert!(matches!(
            b.complete(&request("x"), &cancel),
            Err(LlmError::Canceled)
        ));
        assert_eq!(server.requests().len(), 2, "a canceled token sends nothing");
    }
}
