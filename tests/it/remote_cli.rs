//! `lucid remote …` through the binary: config file and key from the environment, pull, status,
//! a dry-run push, and a push that meets a concurrent remote edit (exit code 3, nothing remote
//! overwritten, the conflict proposal named).

use std::process::Output;

use super::common::Sandbox;
use super::mock_managed::{API_KEY, Mock};
use super::mock_seed::seeded_path;

fn remote(sandbox: &Sandbox, mock: &Mock, args: &[&str]) -> Output {
    let config = sandbox.dir.path().join("config.toml");
    std::fs::write(
        &config,
        format!(
            "[managed_agents]\nbase_url = \"{}\"\nbackoff_initial_ms = 1\nbackoff_max_ms = 10\n",
            mock.url()
        ),
    )
    .expect("config");
    let mut cmd = sandbox.cmd(args);
    cmd.env("LUCID_CONFIG", &config)
        .env("ANTHROPIC_API_KEY", API_KEY);
    cmd.output().expect("run lucid")
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

#[test]
fn pull_push_and_a_conflict_through_the_cli() {
    let mock = Mock::start();
    let store = mock.seed_store(20);
    let sandbox = Sandbox::new();
    let out = remote(
        &sandbox,
        &mock,
        &["remote", "pull-store", &store, "--as", "fleet"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("20 memories"), "{}", text(&out));
    let log = sandbox.ok(&["log", "--store", "fleet"]);
    assert!(log.contains("remote:session_actor:sesn_seed0"), "{log}");

    // A local write, then a dry run: listed, not sent.
    let path = seeded_path(2);
    sandbox.ok_with_input(&["memory", "write", &path, "--store", "fleet"], b"ours\n");
    let before = mock.requests().len();
    let out = remote(
        &sandbox,
        &mock,
        &["remote", "push", "--store", "fleet", "--dry-run"],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("update  POST"), "{}", text(&out));
    assert!(text(&out).contains("expects sha256"), "{}", text(&out));
    assert_eq!(mock.requests().len(), before);

    // Someone else edits it first: exit 3, theirs kept, the proposal named.
    mock.remote_edit(&store, &path, "theirs\n");
    let out = remote(&sandbox, &mock, &["remote", "push", "--store", "fleet"]);
    assert_eq!(out.status.code(), Some(3), "{}", text(&out));
    assert!(text(&out).contains("lucid proposal show"), "{}", text(&out));
    assert_eq!(mock.lock().files(&store)[&path], "theirs\n");
    let status = remote(
        &sandbox,
        &mock,
        &["remote", "status", "--store", "fleet", "--json"],
    );
    let v: serde_json::Value = serde_json::from_slice(&status.stdout).expect("json");
    assert_eq!(v["held"].as_array().map(Vec::len), Some(1));
    assert_eq!(v["link"]["remote_id"], store.as_str());

    // No key: a one-line error naming the variable, exit 1.
    let out = sandbox
        .cmd(&["remote", "pull-store", &store])
        .env("LUCID_CONFIG", sandbox.dir.path().join("config.toml"))
        .env_remove("ANTHROPIC_API_KEY")
        .output()
        .expect("run");
    assert_eq!(out.status.code(), Some(1));
    assert!(text(&out).contains("ANTHROPIC_API_KEY"), "{}", text(&out));
}

/// `lucid dream --engine anthropic-dreams` through the binary: Claude's output store becomes a
/// pending proposal with the dream's model and usage recorded, and nothing is written yet.
#[test]
fn anthropic_dreams_from_the_cli() {
    let mock = Mock::start();
    let store = mock.seed_store(20);
    mock.seed_sessions(&store, 3, 10);
    let sandbox = Sandbox::new();
    for args in [
        &["remote", "pull-store", store.as_str(), "--as", "fleet"][..],
        &["remote", "pull-sessions", "--store", "fleet"][..],
    ] {
        let out = remote(&sandbox, &mock, args);
        assert!(out.status.success(), "{}", text(&out));
    }
    let head = sandbox.json(&["log", "--store", "fleet", "--json"]);
    let out = remote(
        &sandbox,
        &mock,
        &[
            "dream",
            "--store",
            "fleet",
            "--engine",
            "anthropic-dreams",
            "--last",
            "3",
            "--json",
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    let dream: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    assert!(dream["proposal_id"].as_i64().is_some(), "{dream}");
    let shown = sandbox.json(&["dream", "show", &dream["dream_id"].to_string(), "--json"]);
    assert_eq!(shown["engine"], "anthropic-dreams", "{shown}");
    assert_eq!(shown["session_ids"].as_array().map(Vec::len), Some(3));
    assert!(
        mock.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path == "/v1/dreams"),
        "the dream was created remotely"
    );
    // Only a proposal: the store's log is unchanged.
    assert_eq!(sandbox.json(&["log", "--store", "fleet", "--json"]), head);
    // The flags that apply to model requests are refused here.
    let out = remote(
        &sandbox,
        &mock,
        &[
            "dream",
            "--store",
            "fleet",
            "--engine",
            "anthropic-dreams",
            "--dry-run",
        ],
    );
    assert_eq!(out.status.code(), Some(2), "{}", text(&out));
}
