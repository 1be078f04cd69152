//! The Managed Agents figures of the issue, measured on the release build
//! (`cargo bench --bench remote`), against the loopback mock answering instantly. Each figure
//! prints its value, its target and PASS or FAIL; the process exits with status 1 when any fails.
//!
//! 1. Pulling a store of 10,000 memories (with history: 13,335 versions by 200 agent sessions
//!    and a user) into a fresh file database: under 10 s, with at most 4 requests in flight
//!    (the mock counts concurrent requests).
//! 2. Pushing 1,000 accepted changes (one local operation rewriting 1,000 memories): under 5 s.
//!
//! `LUCID_BENCH_MEMORIES` and `LUCID_BENCH_PUSH` change the sizes.

mod common;
#[path = "../tests/it/mock_dreams.rs"]
mod mock_dreams;
#[path = "../tests/it/mock_http.rs"]
mod mock_http;
#[path = "../tests/it/mock_managed.rs"]
mod mock_managed;
#[path = "../tests/it/mock_seed.rs"]
mod mock_seed;
#[path = "../tests/it/mock_stores.rs"]
mod mock_stores;

use std::time::Instant;

use lucid::Db;
use lucid::llm::ApiKey;
use lucid::model::OpKind;
use lucid::remote::{Client, ManagedAgentsConfig, pull, push};
use lucid::store::{ChangeSet, FileChange, OpSpec};

use common::{ctx, env_num, exit_on_failure, report, tally};

fn main() {
    let memories = env_num("LUCID_BENCH_MEMORIES").unwrap_or(10_000);
    let push_count = env_num("LUCID_BENCH_PUSH").unwrap_or(1_000).min(memories);
    // 2026-07-01T12:00:00Z.
    let ctx = ctx("bench", 1_782_907_200_000);
    let mock = mock_managed::Mock::start();
    mock.server.record_bodies(false);
    let remote = mock.seed_store(memories);
    let versions = mock.lock().vers.len();
    let dir = tempfile::tempdir().expect("temp dir");
    let mut db = Db::open(&dir.path().join("lucid.db")).expect("db");
    let cfg = ManagedAgentsConfig::for_tests(&mock.url());
    let client =
        Client::new(&cfg, ApiKey::new(mock_managed::API_KEY).expect("key")).expect("client");

    let t = Instant::now();
    let pulled = pull::pull_store(&mut db, &ctx, &client, &remote, Some("fleet")).expect("pull");
    let pull_s = t.elapsed().as_secs_f64();
    let peak = mock.server.peak_in_flight();
    let requests = mock.server.request_count();
    println!(
        "  .. pulled {} memories and {versions} versions: {} history operations, {requests} requests, peak {peak} in flight",
        pulled.memories, pulled.history_ops
    );
    let mut results = vec![report(
        &format!("pull of {memories} memories"),
        &format!("{pull_s:.2} s, {peak} in flight"),
        "< 10 s, <= 4 in flight",
        pull_s < 10.0 && peak <= 4 && pulled.memories == memories,
    )];

    let changes: Vec<FileChange> = (0..push_count)
        .map(|i| FileChange::Put {
            path: mock_seed::seeded_path(i * (memories / push_count.max(1))),
            content: format!("# accepted change {i}\n\nrewritten by review\n").into_bytes(),
            expect_sha256: None,
        })
        .collect();
    let set = ChangeSet::new(OpSpec::new(OpKind::Apply, "accepted"), changes);
    db.commit(&ctx, "fleet", set).expect("local changes");
    let requests_before = mock.server.request_count();
    mock.server.reset_peak();
    let t = Instant::now();
    let pushed = push::push(&mut db, &ctx, &client, "fleet").expect("push");
    let push_s = t.elapsed().as_secs_f64();
    let peak = mock.server.peak_in_flight();
    let sent_requests = mock.server.request_count() - requests_before;
    println!(
        "  .. pushed {} changes in {sent_requests} requests, peak {peak} in flight, {} skipped",
        pushed.written,
        pushed.skipped.len()
    );
    let same = mock.lock().files(&remote).len() == memories;
    results.push(report(
        &format!("push of {push_count} accepted changes"),
        &format!("{push_s:.2} s"),
        "< 5 s",
        push_s < 5.0 && pushed.written == push_count && pushed.skipped.is_empty() && same,
    ));
    println!("{}", tally(&results));
    exit_on_failure(&results);
}
