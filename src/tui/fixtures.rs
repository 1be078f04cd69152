//! Test fixtures: states built directly (no database) with realistic and hostile content.

use std::collections::BTreeMap;

use crate::dream::Evidence;
use crate::model::{FileTouch, OpDetail, Operation, Proposal, ProposalChange, VersionKind};
use crate::review::{self, Resolution};

use super::keymap::Keymap;
use super::rows;
use super::state::{AuditView, FileReview, History, Review, Screen, SessionRef, State, Verify};
use crate::audit::Record;

pub const NOW: &str = "2026-11-25T12:00:00.000Z";

/// Every kind of text a reviewer must see but the terminal must not run.
pub const HOSTILE: &str = "ansi \x1b[31mRED\x1b[0m osc \x1b]8;;http://evil.example\x07link\x1b]8;;\x07 \
bidi \u{202E}fdp.exe\u{202C} zw pass\u{200B}word tag \u{E0041}\u{E0042} bell\x07 c1 \u{9B}2J";

pub fn proposal(id: i64, store: &str, created_at: &str, cats: &[(&str, usize)]) -> Proposal {
    let categories: BTreeMap<String, usize> =
        cats.iter().map(|(c, n)| ((*c).to_owned(), *n)).collect();
    Proposal {
        id,
        dream_id: id,
        store: store.to_owned(),
        base_op_id: 7,
        state: "pending".into(),
        created_at: created_at.to_owned(),
        engine: "builtin".into(),
        changes: categories.values().sum(),
        categories,
        flags: Vec::new(),
        conflicts: 0,
        stale: false,
    }
}

pub fn inbox_items() -> Vec<Proposal> {
    let mut a = proposal(
        12,
        "support-agent",
        "2026-11-25T09:14:00.000Z",
        &[("duplicate", 2), ("contradiction", 1), ("insight", 3)],
    );
    a.flags = vec!["suspicious_source".into()];
    let mut b = proposal(
        11,
        "coding-agent",
        "2026-11-24T22:40:00.000Z",
        &[("stale", 1), ("index", 1)],
    );
    b.stale = true;
    b.state = "stale".into();
    let mut c = proposal(
        9,
        "evil\x1b]0;pwned\x07\u{202E}store",
        "2026-11-02T08:00:00.000Z",
        &[("reorganize", 4)],
    );
    c.engine = "llm:\x1b[2Jclaude".into();
    c.flags = vec!["near_deletion_budget".into(), "secret".into()];
    c.conflicts = 1;
    vec![a, b, c]
}

fn change(seq: i64, kind: &str, path: &str, category: &str, rationale: &str) -> ProposalChange {
    ProposalChange {
        id: seq * 10,
        seq,
        kind: kind.into(),
        path: path.into(),
        new_path: None,
        base_sha256: None,
        proposed_sha256: None,
        category: category.into(),
        rationale: rationale.into(),
        evidence: Vec::new(),
        flags: Vec::new(),
        state: "open".into(),
        rebased_from: None,
    }
}

pub fn file(change: ProposalChange, base: &str, proposed: &str) -> FileReview {
    let hunks = if change.kind == "create" || change.kind == "delete" {
        1
    } else {
        review::hunk_count(base, proposed).max(1)
    };
    FileReview {
        diff: rows::build(base, proposed),
        change,
        base: base.into(),
        proposed: proposed.into(),
        resolution: Resolution::Undecided,
        undo: Vec::new(),
        hunks,
        moved: false,
    }
}

const DEPLOY_BASE: &str = "# Deploy\n\
Run `make deploy` from the repo root.\n\
The staging host is staging-1.internal.\n\
Deploys happen on Fridays after 4pm.\n\
Ask Dana before touching the database.\n\
\n\
## Access\n\
Prod access goes through the bastion.\n\
Tokens rotate every 30 days.\n\
The on-call rota lives in the wiki.\n\
Page the on-call for any outage.\n\
\n\
## Rollback\n\
Use the rollback script in ops/.\n\
It needs VPN access.\n\
Old step: restart the cache by hand.\n\
Last reviewed: yesterday.\n";

const DEPLOY_NEW: &str = "# Deploy\n\
Run `just deploy` from the repo root.\n\
The staging host is staging-2.internal.\n\
Deploys never happen on Fridays.\n\
Ask Dana before touching the database.\n\
\n\
## Access\n\
Prod access goes through the bastion.\n\
Tokens rotate every 30 days.\n\
The on-call rota lives in the wiki.\n\
Page the on-call for any outage.\n\
\n\
## Rollback\n\
Use the rollback script in ops/.\n\
It needs VPN access.\n\
Last reviewed: 2026-11-24.\n";

/// A review of proposal #12: a modified file with two hunks (one hostile line), a created
/// file with CJK, emoji and a 5,000-character line, and a deleted file.
pub fn review() -> Review {
    let mut deploy = change(
        1,
        "modify",
        "notes/deploy.md",
        "contradiction",
        "The user corrected the deploy command and the Friday rule; a relative date was pinned.",
    );
    deploy.evidence = vec![
        Evidence {
            session_id: Some("cc-2026-11-20-a1".into()),
            event_id: Some("e-118".into()),
            quote: "no, it's `just deploy` now — and never on Fridays".into(),
        },
        Evidence {
            session_id: Some("ma-sess-77".into()),
            event_id: None,
            quote: format!("fetched page said: {HOSTILE}"),
        },
    ];
    deploy.flags = vec!["suspicious_source".into()];
    let hostile_base = format!("{DEPLOY_BASE}{HOSTILE}\n");
    let hostile_new = format!("{DEPLOY_NEW}{}\n", HOSTILE.replace("RED", "BLUE"));
    let mut created = change(
        2,
        "create",
        "topics/記憶.md",
        "insight",
        "Three sessions show the same workaround 🧠✨; worth keeping.",
    );
    created.evidence = vec![Evidence {
        session_id: Some("cc-2026-11-21-b7".into()),
        event_id: Some("e-9".into()),
        quote: "記憶の整理 works when the cache is warm".into(),
    }];
    let long = "x".repeat(5_000);
    let created_text =
        format!("# 記憶の整理 🧠\nCJK 漢字とかな and emoji 👩‍💻 in one line.\n{long}\nend\n");
    let deleted = change(
        3,
        "delete",
        "old/stale-command.md",
        "stale",
        "The command was removed in v2; every later session uses the new one.",
    );
    let sessions = [
        ("cc-2026-11-20-a1", "backend", "2026-11-20T14:03:00.000Z"),
        (
            "ma-sess-77",
            "research\u{1b}[5m",
            "2026-11-21T09:30:00.000Z",
        ),
    ]
    .into_iter()
    .map(|(id, agent, at)| {
        (
            id.to_owned(),
            SessionRef {
                agent: agent.to_owned(),
                started_at: Some(at.to_owned()),
            },
        )
    })
    .collect();
    Review {
        proposal: inbox_items().remove(0),
        sessions,
        files: vec![
            file(deploy, &hostile_base, &hostile_new),
            file(created, "", &created_text),
            file(deleted, "Run `legacy-sync --all` nightly.\n", ""),
        ],
        file: 0,
        hunk: 0,
        scroll: 0,
        skip: 0,
        detail_scroll: 0,
        toggle_layout: false,
    }
}

pub fn inbox_state(width: u16, height: u16) -> State {
    let mut s = State::new(Keymap::default_keys(), width, height);
    s.now = Some(NOW.into());
    s.inbox.items = inbox_items();
    s.inbox.loaded = true;
    s
}

pub fn review_state(width: u16, height: u16) -> State {
    let mut s = inbox_state(width, height);
    s.screen = Screen::Review;
    s.review = Some(review());
    s
}

pub fn op(id: i64, kind: &str, reason: &str, files: &[(&str, VersionKind)]) -> OpDetail {
    OpDetail {
        op: Operation {
            id,
            store_id: 1,
            parent_id: (id > 1).then_some(id - 1),
            kind: kind.into(),
            actor: if kind == "apply" { "dana" } else { "agent-7" }.into(),
            at: format!("2026-11-{:02}T10:{:02}:00.000Z", 10 + id, id),
            reason: reason.into(),
            restores_op_id: None,
            dream_id: (kind == "apply").then_some(3),
            proposal_id: (kind == "apply").then_some(12),
            root_hash: "9f2c4e1ab3d5f6078899aabbccddeeff00112233445566778899aabbccddeeff".into(),
            files_changed: files.len(),
            tags: Vec::new(),
        },
        files: files
            .iter()
            .map(|(p, k)| FileTouch {
                memory_id: 1,
                kind: *k,
                path: (*p).into(),
                old_path: None,
                before_sha256: None,
                after_sha256: None,
            })
            .collect(),
    }
}

/// The history of `support-agent`: import, writes, a dream applied (newest first).
pub fn history() -> History {
    let mut tagged = op(
        2,
        "write",
        "agent noted the deploy steps",
        &[("notes/deploy.md", VersionKind::Modified)],
    );
    tagged.op.tags = vec!["known-good".into()];
    let mut hostile = op(
        3,
        "write",
        "fetched page: \x1b]52;c;ZXZpbA==\x07 \u{202E}txt",
        &[],
    );
    hostile.files = vec![FileTouch {
        memory_id: 2,
        kind: VersionKind::Renamed,
        path: "topics/new\u{200B}.md".into(),
        old_path: Some("topics/old.md".into()),
        before_sha256: None,
        after_sha256: None,
    }];
    hostile.op.files_changed = 1;
    History {
        search: None,
        store: "support-agent".into(),
        ops: vec![
            op(
                4,
                "apply",
                "dream #3 reviewed",
                &[
                    ("notes/deploy.md", VersionKind::Modified),
                    ("old/stale-command.md", VersionKind::Deleted),
                    ("topics/記憶.md", VersionKind::Created),
                ],
            ),
            hostile,
            tagged,
            op(
                1,
                "import",
                "imported ~/.claude memory",
                &[("notes/deploy.md", VersionKind::Created)],
            ),
        ],
        selected: 0,
        preview: None,
        mark: None,
    }
}

pub fn history_state(width: u16, height: u16) -> State {
    let mut s = inbox_state(width, height);
    s.screen = Screen::History;
    s.history = Some(history());
    s
}

/// The history narrowed to the two operations that added or removed a (hostile) text; the
/// newest operation, #4, is not among them.
pub fn history_searched_state(width: u16, height: u16) -> State {
    let mut s = history_state(width, height);
    if let Some(h) = &mut s.history {
        h.ops = h.ops[1..3].to_vec();
        let change = |path: &str, before, after| crate::store::TextChange {
            path: path.into(),
            before,
            after,
        };
        h.search = Some(super::state::HistorySearch {
            text: "deploy\u{202E} \x1b[2J".into(),
            matches: vec![
                vec![change("topics/new\u{200B}.md", 0, 1)],
                vec![change("notes/deploy.md", 2, 1)],
            ],
            head: Some(4),
        });
    }
    s
}

fn record(seq: i64, actor: &str, action: &str, target: &str, reason: &str) -> Record {
    Record {
        seq,
        at: format!("2026-11-2{}T09:0{seq}:00.000Z", seq % 5),
        actor: actor.into(),
        action: action.into(),
        target: target.into(),
        details: format!("{{\"proposal\":12,\"change\":{seq}}}"),
        reason: reason.into(),
        prev_hash: "0".repeat(64),
        hash: format!("{seq:x}").repeat(64).chars().take(64).collect(),
    }
}

/// An audit log (newest first) whose chain breaks at record 3.
pub fn audit_state(width: u16, height: u16, broken: bool) -> State {
    let mut s = inbox_state(width, height);
    s.screen = Screen::Audit;
    let records = vec![
        record(5, "dana", "proposal.apply", "support-agent", ""),
        record(
            4,
            "dana",
            "proposal.decide",
            "notes/deploy.md",
            "wrong: \x1b[8mhidden",
        ),
        record(3, "agent-7", "op.write", "topics/\u{202E}gpj.exe", ""),
        record(2, "agent-7", "op.write", "notes/deploy.md", ""),
        record(1, "tester", "store.create", "support-agent", ""),
    ];
    let verify = if broken {
        Verify::Broken {
            seq: 3,
            why: "hash does not match the record".into(),
        }
    } else {
        Verify::Ok {
            records: 5,
            head: "ff6d4cb8e65876fea21ebd977a0dc8cb46629c278e3e01dfaa60e6ed044815c5".into(),
        }
    };
    s.audit = Some(AuditView {
        records,
        verify,
        selected: 0,
        filter: String::new(),
    });
    s
}
