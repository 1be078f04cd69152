//! Claude Managed Agents end to end against the loopback mock: pull a store with history and
//! sessions, dream with `anthropic-dreams`, review, apply, push; and a concurrent remote edit
//! that must surface as a conflict without overwriting anything remote.

use std::collections::BTreeMap;

use lucid::dreaming;
use lucid::llm::{ApiKey, CancelToken};
use lucid::model::OpKind;
use lucid::remote::dreams::DreamsEngine;
use lucid::remote::sessions::SessionFilter;
use lucid::remote::{Client, ManagedAgentsConfig, pull, push, sessions};
use lucid::review::{Decision, Verdict};
use lucid::store::{ChangeSet, FileChange, OpSpec, Target};
use lucid::{Ctx, Db};

use super::common::Sandbox;
use super::mock_managed::{API_KEY, Mock};
use super::mock_seed::seeded_path;

pub fn ctx() -> Ctx {
    Ctx {
        actor: "tester".into(),
        now: "2026-07-01T12:00:00.000Z".into(),
    }
}

pub fn config(mock: &Mock) -> ManagedAgentsConfig {
    ManagedAgentsConfig::for_tests(&mock.url())
}

pub fn client(mock: &Mock) -> Client {
    Client::new(&config(mock), ApiKey::new(API_KEY).expect("key")).expect("client")
}

/// The local head as path → content.
pub fn local_files(db: &Db, store: &str) -> BTreeMap<String, String> {
    let meta = db.store(store).expect("store");
    db.entries(&meta, None)
        .expect("entries")
        .into_iter()
        .map(|e| {
            let bytes = db.blob(&e.sha256).expect("blob");
            (e.path, String::from_utf8(bytes).expect("utf-8"))
        })
        .collect()
}

/// The review screen of a proposal as the TUI draws it (160×48, on a test backend).
pub fn tui_screen(db: &Db, proposal: i64) -> String {
    use lucid::tui::{keymap::Keymap, state::State, update, view};
    // As a reviewer gets there: the inbox lists it (newest first), Enter opens it.
    let mut state = State::new(Keymap::default_keys(), 160, 48);
    let inbox = db.proposals(None, None).expect("proposals");
    update::update(&mut state, update::Msg::InboxLoaded(inbox));
    let effects = update::update(
        &mut state,
        update::Msg::Action(lucid::tui::action::Action::Open),
    );
    assert!(
        effects.contains(&lucid::tui::effect::Effect::LoadProposal(proposal)),
        "{effects:?}"
    );
    let review = lucid::tui::load_review(db, proposal).expect("load the review");
    update::update(&mut state, update::Msg::ProposalLoaded(Box::new(review)));
    let mut term =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(160, 48)).expect("backend");
    term.draw(|f| view::render(&state, f)).expect("draw");
    term.backend().to_string()
}

/// One local write of `content` at `path`, as an agent would make between syncs.
pub fn write(db: &mut Db, store: &str, path: &str, content: &str) {
    let set = ChangeSet::new(
        OpSpec::new(OpKind::Write, "local edit"),
        vec![FileChange::Put {
            path: path.into(),
            content: content.as_bytes().to_vec(),
            expect_sha256: None,
        }],
    );
    db.commit(&ctx(), store, set).expect("local write");
}

#[test]
fn pull_dream_review_apply_push_round_trip() {
    let mock = Mock::start();
    let remote = mock.seed_store(250);
    mock.seed_sessions(&remote, 50, 1000);
    let sandbox = Sandbox::new();
    let mut db = Db::open(&sandbox.db()).expect("db");
    let c = client(&mock);

    // Pull the store: current state plus history, with the remote actors.
    let pulled = pull::pull_store(&mut db, &ctx(), &c, &remote, Some("fleet")).expect("pull");
    assert_eq!(pulled.memories, 250);
    assert!(pulled.history_ops >= 6, "{pulled:?}");
    assert!(pulled.conflicts.is_empty());
    let mock_files = mock.lock().files(&remote);
    assert_eq!(local_files(&db, "fleet"), mock_files);
    // Blame reaches back before Lucid: the agent session wrote the first lines, a user the rest.
    let meta = db.store("fleet").expect("store");
    let blame = db.blame(&meta, &seeded_path(3), None).expect("blame");
    assert_eq!(blame[0].actor, "remote:session_actor:sesn_seed0");
    assert_eq!(
        blame.last().expect("lines").actor,
        "remote:user_actor:user_bob"
    );
    assert!(blame[0].at < ctx().now);

    // Sessions, then incremental pulls that change nothing.
    let filter = SessionFilter {
        store: Some("fleet".into()),
        ..SessionFilter::default()
    };
    let s = sessions::pull_sessions(&mut db, &ctx(), &c, &filter).expect("sessions");
    assert_eq!((s.pulled, s.events), (50, 50_000));
    let again = sessions::pull_sessions(&mut db, &ctx(), &c, &filter).expect("sessions again");
    assert_eq!((again.pulled, again.unchanged), (0, 50));
    let again = pull::pull_store(&mut db, &ctx(), &c, &remote, None).expect("pull again");
    assert_eq!((again.history_ops, again.import_op), (0, None), "{again:?}");
    let session = db.session("sesn_0007x").expect("session kept its id");
    assert_eq!(
        db.events(session.id).expect("events")[3]
            .external_id
            .as_deref(),
        Some("sevt_0007_00003")
    );

    // Claude's dream over 10 sessions, as a proposal.
    let chosen: Vec<i64> = db
        .sessions(Some("fleet"), None)
        .expect("list")
        .iter()
        .take(10)
        .map(|s| s.id)
        .collect();
    let engine = DreamsEngine::for_store(
        &db,
        "fleet",
        &config(&mock),
        ApiKey::new(API_KEY).expect("key"),
        CancelToken::default(),
    )
    .expect("engine")
    .with_model("claude-opus-4-8");
    let outcome = dreaming::run(
        &mut db,
        &ctx(),
        &engine,
        "fleet",
        chosen,
        "Merge duplicates.",
    )
    .expect("dream");
    let proposal = outcome.dream.proposal_id.expect("a proposal");
    let usage = outcome.dream.usage.clone().expect("usage recorded");
    assert_eq!(
        (usage.model.as_str(), usage.tokens.input_tokens),
        ("claude-opus-4-8", 10_000)
    );
    let started = mock
        .requests()
        .into_iter()
        .find(|r| r.method == "POST" && r.path == "/v1/dreams")
        .expect("POST /v1/dreams");
    let body = started.json();
    assert_eq!(body["output_behavior"]["type"], "create_new");
    assert_eq!(body["inputs"][0]["memory_store_id"], remote.as_str());
    assert_eq!(
        body["inputs"][1]["session_ids"].as_array().map(Vec::len),
        Some(10)
    );
    assert_eq!(body["instructions"], "Merge duplicates.");

    // The proposal, as the CLI shows it.
    let shown = sandbox.ok(&["proposal", "show", &proposal.to_string()]);
    assert!(shown.contains("Claude's dream drm_"), "{shown}");
    let screen = tui_screen(&db, proposal);
    assert!(
        screen.contains("anthropic-dreams") || screen.contains("Claude's dream"),
        "{screen}"
    );
    let (_, changes) = db.proposal(proposal).expect("proposal");
    let modifies: Vec<_> = changes.iter().filter(|c| c.kind == "modify").collect();
    let deletes: Vec<_> = changes.iter().filter(|c| c.kind == "delete").collect();
    assert_eq!((modifies.len(), deletes.len()), (50, 10), "{changes:#?}");
    assert!(changes.iter().all(|c| c.evidence.len() == 10));

    // Review: first hunk of each modify accepted, second rejected; half the deletes accepted.
    let decide = |db: &mut Db, seq, hunk, verdict| {
        let d = Decision::Verdict { hunk, verdict };
        db.decide(
            &ctx(),
            proposal,
            &Target::Change { seq, hunk },
            &d,
            "reviewed",
        )
        .expect("decide");
    };
    for c in &modifies {
        decide(&mut db, c.seq, Some(0), Verdict::Accept);
        decide(&mut db, c.seq, Some(1), Verdict::Reject);
    }
    for (i, c) in deletes.iter().enumerate() {
        decide(
            &mut db,
            c.seq,
            None,
            if i % 2 == 0 {
                Verdict::Accept
            } else {
                Verdict::Reject
            },
        );
    }
    let applied = db
        .apply_proposal(&ctx(), proposal, OpKind::Apply)
        .expect("apply");
    assert_eq!(applied.written.len(), 55);
    let expected = local_files(&db, "fleet");
    let versions_before = mock.lock().vers.len();

    // Push: exactly the accepted changes, with preconditions.
    let report = push::push(&mut db, &ctx(), &c, "fleet").expect("push");
    assert!(
        report.conflicts.is_empty() && report.skipped.is_empty(),
        "{report:?}"
    );
    assert_eq!((report.written, report.deleted), (50, 5));
    let st = mock.lock();
    assert_eq!(
        st.files(&remote),
        expected,
        "the remote store equals the accepted result"
    );
    let new: Vec<_> = st.vers[versions_before..].iter().collect();
    assert_eq!(new.len(), 55);
    assert!(new.iter().all(|v| v.actor["type"] == "api_actor"));
    let mut written: Vec<&str> = new.iter().map(|v| v.path.as_str()).collect();
    written.sort_unstable();
    let mut accepted: Vec<&str> = applied.written.iter().map(String::as_str).collect();
    accepted.sort_unstable();
    assert_eq!(written, accepted);
    drop(st);
    // Nothing left to push, and the audit log names every pushed change.
    let (_, planned, _) = push::plan(&db, "fleet").expect("plan");
    assert!(planned.is_empty());
    let audited: i64 = db
        .connection()
        .query_row(
            "SELECT count(*) FROM audit WHERE action = 'remote.push'",
            [],
            |r| r.get(0),
        )
        .expect("audit");
    assert_eq!(audited, 55);
    lucid::audit::verify(db.connection()).expect("audit chain intact");
}

#[test]
fn a_concurrent_remote_edit_is_a_conflict_and_nothing_remote_is_overwritten() {
    let mock = Mock::start();
    let remote = mock.seed_store(30);
    let mut db = Db::open_in_memory().expect("db");
    let c = client(&mock);
    pull::pull_store(&mut db, &ctx(), &c, &remote, Some("fleet")).expect("pull");
    let (a, b, k) = (seeded_path(4), seeded_path(7), seeded_path(8));
    let local_a = format!("{}- added here\n", mock.lock().files(&remote)[&a]);
    write(&mut db, "fleet", &a, &local_a);
    write(&mut db, "fleet", &b, "rewritten here\n");
    write(&mut db, "fleet", &k, "ours\n");
    // Meanwhile, someone edits A (a different region) and K on the remote side.
    let theirs_a = mock.lock().files(&remote)[&a].replacen("# Note 4", "# Note four", 1);
    mock.remote_edit(&remote, &a, &theirs_a);
    mock.remote_edit(&remote, &k, "theirs\n");

    let report = push::push(&mut db, &ctx(), &c, "fleet").expect("push");
    let mut conflicts = report.conflicts.clone();
    conflicts.sort();
    assert_eq!(conflicts, vec![a.clone(), k.clone()]);
    assert_eq!(report.written, 1, "B still went out");
    let proposal = report.conflict_proposal.expect("a conflict proposal");
    let remote_files = mock.lock().files(&remote);
    assert_eq!(remote_files[&a], theirs_a, "theirs kept");
    assert_eq!(remote_files[&k], "theirs\n");
    assert_eq!(remote_files[&b], "rewritten here\n");

    // The three-way difference: A merges cleanly, K offers the remote side.
    let (_, changes) = db.proposal(proposal).expect("proposal");
    let text = |sha: &Option<String>| {
        String::from_utf8(db.blob(sha.as_ref().expect("sha")).expect("blob")).expect("utf-8")
    };
    let ca = changes.iter().find(|x| x.path == a).expect("A");
    assert_eq!(text(&ca.base_sha256), local_a);
    assert_eq!(
        text(&ca.proposed_sha256),
        local_a.replacen("# Note 4", "# Note four", 1)
    );
    let ck = changes.iter().find(|x| x.path == k).expect("K");
    assert_eq!(text(&ck.proposed_sha256), "theirs\n");

    // The TUI shows it: the remote side's change against this side, and why.
    let screen = tui_screen(&db, proposal);
    assert!(
        screen.contains("remote-pull") && screen.contains("+# Note four"),
        "{screen}"
    );
    assert!(screen.contains("clean three-way"), "{screen}");

    // Undecided: a second push writes nothing.
    let writes_before = mock.requests().iter().filter(|r| r.method != "GET").count();
    let held = push::push(&mut db, &ctx(), &c, "fleet").expect("push held");
    assert_eq!((held.written, held.skipped.len()), (0, 2), "{held:?}");
    assert_eq!(
        mock.requests().iter().filter(|r| r.method != "GET").count(),
        writes_before
    );

    // Decide: take the merge for A, keep ours for K; apply; push succeeds.
    let accept = Decision::Verdict {
        hunk: None,
        verdict: Verdict::Accept,
    };
    let reject = Decision::Verdict {
        hunk: None,
        verdict: Verdict::Reject,
    };
    db.decide(
        &ctx(),
        proposal,
        &Target::Change {
            seq: ca.seq,
            hunk: None,
        },
        &accept,
        "",
    )
    .expect("accept");
    db.decide(
        &ctx(),
        proposal,
        &Target::Change {
            seq: ck.seq,
            hunk: None,
        },
        &reject,
        "ours is right",
    )
    .expect("reject");
    db.apply_proposal(&ctx(), proposal, OpKind::Apply)
        .expect("apply");
    let done = push::push(&mut db, &ctx(), &c, "fleet").expect("push after decision");
    assert!(
        done.conflicts.is_empty() && done.skipped.is_empty(),
        "{done:?}"
    );
    assert_eq!(done.written, 2);
    assert_eq!(mock.lock().files(&remote), local_files(&db, "fleet"));
    assert_eq!(mock.lock().files(&remote)[&k], "ours\n");
}
