//! What goes over the wire to Managed Agents: methods, paths, headers (auth, version, betas,
//! workspace), bodies and preconditions, pagination, which failures are retried, dry runs, and
//! how Claude's dreams fail, conflict and cancel.

use lucid::Db;
use lucid::dreaming;
use lucid::error::{Error, exit};
use lucid::llm::{ApiKey, CancelToken};
use lucid::remote::dreams::DreamsEngine;
use lucid::remote::{Client, pull, push};

use super::mock_managed::{AGENTS_BETA, API_KEY, DREAMS_BETA, DreamRec, MEMORY_BETA, Mock};
use super::mock_seed::seeded_path;
use super::remote::{client, config, ctx, local_files, write};

fn pulled(n: usize) -> (Mock, String, Db) {
    let mock = Mock::start();
    let remote = mock.seed_store(n);
    let mut db = Db::open_in_memory().expect("db");
    pull::pull_store(&mut db, &ctx(), &client(&mock), &remote, Some("fleet")).expect("pull");
    (mock, remote, db)
}

#[test]
fn every_request_carries_auth_version_betas_and_workspace() {
    let mock = Mock::start();
    let remote = mock.seed_store(45);
    mock.seed_sessions(&remote, 2, 150);
    let mut cfg = config(&mock);
    cfg.workspace_id = Some("wrkspc_test".into());
    let c = Client::new(&cfg, ApiKey::new(API_KEY).expect("key")).expect("client");
    let mut db = Db::open_in_memory().expect("db");
    pull::pull_store(&mut db, &ctx(), &c, &remote, Some("fleet")).expect("pull");
    let filter = lucid::remote::sessions::SessionFilter::default();
    lucid::remote::sessions::pull_sessions(&mut db, &ctx(), &c, &filter).expect("sessions");
    let reqs = mock.requests();
    assert!(reqs.len() >= 10);
    for r in &reqs {
        assert_eq!(r.header("x-api-key"), Some(API_KEY), "{}", r.path);
        assert_eq!(r.header("anthropic-version"), Some("2023-06-01"));
        assert_eq!(r.header("anthropic-workspace-id"), Some("wrkspc_test"));
        let beta = if r.path.starts_with("/v1/memory_stores") {
            MEMORY_BETA
        } else {
            AGENTS_BETA
        };
        assert_eq!(r.header("anthropic-beta"), Some(beta), "{}", r.path);
        assert_eq!(r.method, "GET");
    }
    // 45 memories in view=full pages of 20: three pages, following next_page.
    let pages: Vec<Option<&str>> = reqs
        .iter()
        .filter(|r| r.path.ends_with("/memories"))
        .map(|r| {
            assert_eq!(
                (r.param("view"), r.param("limit")),
                (Some("full"), Some("20"))
            );
            r.param("page")
        })
        .collect();
    assert_eq!(pages, [None, Some("page_20"), Some("page_40")]);
    // Events: 150 per session in pages of 100.
    let events = reqs.iter().filter(|r| r.path.ends_with("/events")).count();
    assert_eq!(events, 4);
    assert_eq!(local_files(&db, "fleet").len(), 45);
}

#[test]
fn push_sends_preconditions_and_dry_run_sends_nothing() {
    let (mock, remote, mut db) = pulled(12);
    let sha = |s: &str| lucid::util::sha256_hex(s.as_bytes());
    let files = mock.lock().files(&remote);
    let (upd, del, mv) = (seeded_path(2), seeded_path(5), seeded_path(6));
    let changes = vec![
        lucid::store::FileChange::Put {
            path: upd.clone(),
            content: b"new text\n".to_vec(),
            expect_sha256: None,
        },
        lucid::store::FileChange::Delete {
            path: del.clone(),
            expect_sha256: None,
        },
        lucid::store::FileChange::Rename {
            from: mv.clone(),
            to: "/moved.md".into(),
            expect_sha256: None,
        },
        lucid::store::FileChange::Put {
            path: "/fresh.md".into(),
            content: b"fresh\n".to_vec(),
            expect_sha256: None,
        },
    ];
    let set = lucid::store::ChangeSet::new(
        lucid::store::OpSpec::new(lucid::model::OpKind::Write, "edit"),
        changes,
    );
    db.commit(&ctx(), "fleet", set).expect("local changes");
    let before = mock.requests().len();
    let dry = push::dry_run(&db, "fleet").expect("dry run");
    assert_eq!(dry.planned.len(), 4);
    assert_eq!(mock.requests().len(), before, "a dry run sends nothing");

    push::push(&mut db, &ctx(), &client(&mock), "fleet").expect("push");
    let writes: Vec<_> = mock
        .requests()
        .into_iter()
        .skip(before)
        .filter(|r| r.method != "GET")
        .collect();
    assert_eq!(writes.len(), 4);
    let delete = writes
        .iter()
        .find(|r| r.method == "DELETE")
        .expect("delete");
    assert_eq!(
        delete.param("expected_content_sha256"),
        Some(sha(&files[&del]).as_str())
    );
    let update = writes
        .iter()
        .find(|r| r.json()["content"] == "new text\n")
        .expect("update");
    assert!(
        update
            .path
            .starts_with(&format!("/v1/memory_stores/{remote}/memories/mem_"))
    );
    assert_eq!(
        update.json()["precondition"],
        serde_json::json!({"type": "content_sha256", "content_sha256": sha(&files[&upd])})
    );
    let rename = writes
        .iter()
        .find(|r| r.json()["path"] == "/moved.md")
        .expect("rename by id");
    assert!(rename.json().get("content").is_none());
    assert_eq!(
        rename.json()["precondition"]["content_sha256"],
        sha(&files[&mv]).as_str()
    );
    let create = writes
        .iter()
        .find(|r| r.path.ends_with("/memories"))
        .expect("create");
    assert_eq!(
        create.json(),
        serde_json::json!({"path": "/fresh.md", "content": "fresh\n"})
    );
    assert_eq!(mock.lock().files(&remote), local_files(&db, "fleet"));
}

#[test]
fn rate_limits_and_overload_are_retried_auth_failures_are_not() {
    let mock = Mock::start();
    let remote = mock.seed_store(5);
    mock.fault("/v1/memory_stores", 429, "rate_limit_error", Some(2), 2);
    mock.fault("/v1/memory_stores", 529, "overloaded_error", Some(1), 1);
    let mut db = Db::open_in_memory().expect("db");
    pull::pull_store(&mut db, &ctx(), &client(&mock), &remote, Some("fleet"))
        .expect("pull retried");
    // Store, versions, memories: three requests, plus three answered 429, 429, 529 and retried.
    assert_eq!(mock.requests().len(), 6);
    assert!(mock.lock().faults.iter().all(|f| f.times == 0));

    for (status, kind) in [(401, "authentication_error"), (403, "permission_error")] {
        let mock = Mock::start();
        let remote = mock.seed_store(3);
        mock.fault("/v1/memory_stores", status, kind, Some(1), 5);
        let mut db = Db::open_in_memory().expect("db");
        let e = pull::pull_store(&mut db, &ctx(), &client(&mock), &remote, Some("fleet"))
            .expect_err("fails");
        assert_eq!(mock.requests().len(), 1, "{status} is not retried");
        assert_eq!(e.exit_code(), exit::USER);
        assert!(e.to_string().contains("req_mock"), "{e}");
        assert!(db.store("fleet").is_err(), "nothing was written");
    }
    // A wrong key is the server's 401.
    let mock = Mock::start();
    let remote = mock.seed_store(1);
    let bad = Client::new(&config(&mock), ApiKey::new("sk-wrong").expect("key")).expect("client");
    let mut db = Db::open_in_memory().expect("db");
    let e = pull::pull_store(&mut db, &ctx(), &bad, &remote, None).expect_err("401");
    assert!(
        matches!(&e, Error::Remote(r) if r.status() == Some(401)),
        "{e}"
    );
}

fn engine(mock: &Mock, db: &Db, cancel: CancelToken) -> DreamsEngine {
    DreamsEngine::for_store(
        db,
        "fleet",
        &config(mock),
        ApiKey::new(API_KEY).expect("key"),
        cancel,
    )
    .expect("engine")
}

fn dream(
    mock: &Mock,
    db: &mut Db,
    cancel: CancelToken,
    ids: Vec<i64>,
) -> Result<dreaming::Outcome, Error> {
    let en = engine(mock, db, cancel);
    dreaming::run(db, &ctx(), &en, "fleet", ids, "")
}

fn dream_setup() -> (Mock, String, Db, Vec<i64>) {
    let (mock, remote, mut db) = pulled(10);
    mock.seed_sessions(&remote, 3, 4);
    let filter = lucid::remote::sessions::SessionFilter {
        store: Some("fleet".into()),
        ..Default::default()
    };
    lucid::remote::sessions::pull_sessions(&mut db, &ctx(), &client(&mock), &filter)
        .expect("sessions");
    let ids = db
        .sessions(Some("fleet"), None)
        .expect("sessions")
        .iter()
        .map(|s| s.id)
        .collect();
    (mock, remote, db, ids)
}

#[test]
fn dreams_send_the_dreaming_beta_and_fail_conflict_or_cancel_clearly() {
    let (mock, remote, mut db, ids) = dream_setup();
    // Held by another dream: 409 conflict_error.
    mock.lock().dreams.insert(
        "drm_other".into(),
        DreamRec {
            id: "drm_other".into(),
            status: "running",
            input_store: remote.clone(),
            sessions: vec![],
            output_store: None,
            model: String::new(),
            polls: 0,
            body: serde_json::Value::Null,
        },
    );
    let e = dream(&mock, &mut db, CancelToken::default(), ids.clone()).expect_err("held");
    assert!(e.to_string().contains("held by another dream"), "{e}");
    assert_eq!(e.exit_code(), exit::ENGINE);
    let post = mock
        .requests()
        .into_iter()
        .find(|r| r.path == "/v1/dreams")
        .expect("POST");
    assert_eq!(
        post.header("anthropic-beta"),
        Some(format!("{AGENTS_BETA},{DREAMS_BETA}").as_str())
    );
    mock.lock().dreams.clear();

    // A failed dream keeps Claude's reason.
    mock.lock().dream_failure = Some(("timeout".into(), "the dream ran out of time".into()));
    let e = dream(&mock, &mut db, CancelToken::default(), ids.clone()).expect_err("failed");
    assert!(
        e.to_string().contains("timeout: the dream ran out of time"),
        "{e}"
    );
    mock.lock().dream_failure = None;

    // Canceled: the remote dream is canceled too, the local one is recorded as canceled.
    let cancel = CancelToken::default();
    cancel.cancel();
    let e = dream(&mock, &mut db, cancel, ids.clone()).expect_err("canceled");
    assert!(matches!(e, Error::Interrupted(_)), "{e}");
    assert!(
        mock.requests()
            .iter()
            .any(|r| r.method == "POST" && r.path.ends_with("/cancel"))
    );

    // A local change not yet pushed: the dream refuses rather than diff against the wrong base.
    write(&mut db, "fleet", "/new.md", "x\n");
    let e = dream(&mock, &mut db, CancelToken::default(), ids).expect_err("stale base");
    assert!(
        e.to_string().contains("differs from the local store"),
        "{e}"
    );
}

#[test]
fn dreams_refuse_local_sessions() {
    let (mock, _remote, mut db, _) = dream_setup();
    let e = dream(&mock, &mut db, CancelToken::default(), vec![]).expect_err("no sessions");
    assert!(e.to_string().contains("1 to 100 sessions"), "{e}");
}

#[test]
fn update_in_place_only_in_auto_mode_when_enabled_and_outputs_can_be_archived() {
    let (mock, _remote, mut db, ids) = dream_setup();
    let key = || ApiKey::new(API_KEY).expect("key");
    let mut allowing = config(&mock);
    allowing.allow_update_existing = true;
    let behavior = |db: &Db, cfg: &lucid::remote::ManagedAgentsConfig| {
        let en = DreamsEngine::for_store(db, "fleet", cfg, key(), CancelToken::default())
            .expect("engine");
        en.request_body(&["sesn_1".into()], "")["output_behavior"]["type"].clone()
    };
    assert_eq!(
        behavior(&db, &allowing),
        "create_new",
        "review mode never updates in place"
    );
    db.configure_store(&ctx(), "fleet", Some("auto"), None)
        .expect("auto mode");
    assert_eq!(behavior(&db, &config(&mock)), "create_new", "not enabled");
    assert_eq!(behavior(&db, &allowing), "update_existing");
    db.configure_store(&ctx(), "fleet", Some("review"), None)
        .expect("review mode");

    let en = engine(&mock, &db, CancelToken::default()).with_archive_output(true);
    let outcome = dreaming::run(&mut db, &ctx(), &en, "fleet", ids, "").expect("dream");
    assert!(outcome.dream.proposal_id.is_some());
    let archived: Vec<String> = mock
        .lock()
        .stores
        .iter()
        .filter(|(_, (_, archived))| *archived)
        .map(|(id, _)| id.clone())
        .collect();
    assert_eq!(archived.len(), 1, "the output store, and only it");
    assert!(
        mock.requests().iter().any(|r| r.method == "POST"
            && r.path == format!("/v1/memory_stores/{}/archive", archived[0]))
    );
}

#[test]
fn session_pulls_filter_by_store_date_and_count() {
    let mock = Mock::start();
    let remote = mock.seed_store(2);
    let other = mock.lock().create_store("other");
    mock.seed_sessions(&remote, 4, 3);
    mock.seed_sessions(&other, 2, 3);
    let mut db = Db::open_in_memory().expect("db");
    let c = client(&mock);
    pull::pull_store(&mut db, &ctx(), &c, &remote, Some("fleet")).expect("pull");
    let only =
        |store: Option<&str>, since: Option<&str>, limit| lucid::remote::sessions::SessionFilter {
            store: store.map(Into::into),
            since: since.map(Into::into),
            limit,
        };
    let r = lucid::remote::sessions::pull_sessions(
        &mut db,
        &ctx(),
        &c,
        &only(Some("fleet"), None, Some(3)),
    )
    .expect("limited");
    assert_eq!(r.pulled, 3);
    assert!(
        db.sessions(Some("fleet"), None)
            .expect("list")
            .iter()
            .all(|s| s.external_id.starts_with("sesn_"))
    );
    let r = lucid::remote::sessions::pull_sessions(
        &mut db,
        &ctx(),
        &c,
        &only(Some("fleet"), None, None),
    )
    .expect("the rest");
    assert_eq!(
        (r.pulled, r.unchanged),
        (1, 3),
        "only the store's sessions, new ones only"
    );
    let r = lucid::remote::sessions::pull_sessions(
        &mut db,
        &ctx(),
        &c,
        &only(None, Some("2030-01-01"), None),
    )
    .expect("since");
    assert_eq!(r.listed, 0);
    let last = mock
        .requests()
        .into_iter()
        .rev()
        .find(|r| r.path == "/v1/sessions")
        .expect("listing");
    assert_eq!(
        last.param("created_at[gte]"),
        Some("2030-01-01T00:00:00.000Z")
    );
    assert!(
        lucid::remote::sessions::pull_sessions(
            &mut db,
            &ctx(),
            &c,
            &only(Some("nope"), None, None)
        )
        .is_err()
    );
}
