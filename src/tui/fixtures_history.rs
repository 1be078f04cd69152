//! Test fixtures for the operation diff and blame screens: states built directly (no database)
//! with realistic and hostile content (ANSI/OSC, bidi overrides, zero-width, CJK, long lines).

use std::collections::BTreeMap;

use crate::store::BlameLine;

use super::blame::{BlameView, Cited, Origin};
use super::doc::Cursor;
use super::fixtures::{HOSTILE, history_state, op, review};
use super::opdiff::{OpDiff, OpFile};
use super::state::{Screen, State};

/// The diff of `support-agent` from operation #2 to #4: a modified file with a hostile line, a
/// created file with CJK and a 5,000-character line, a deleted file and a hostile rename.
pub fn op_diff() -> OpDiff {
    let r = review();
    let f = |i: usize| (r.files[i].base.clone(), r.files[i].proposed.clone());
    let (deploy_old, deploy_new) = f(0);
    let (_, created) = f(1);
    let (stale, _) = f(2);
    let files = vec![
        OpFile::new(
            Some("notes/deploy.md".into()),
            Some("notes/deploy.md".into()),
            &deploy_old,
            &deploy_new,
        ),
        OpFile::new(None, Some("topics/記憶.md".into()), "", &created),
        OpFile::new(Some("old/stale-command.md".into()), None, &stale, ""),
        OpFile::new(
            Some("topics/old.md".into()),
            Some("topics/new\u{200B}\u{202E}dm.exe".into()),
            "same\n",
            "same\n",
        ),
    ];
    let mut from = op(2, "write", "agent noted the deploy steps", &[]).op;
    from.tags = vec!["known-good".into()];
    OpDiff {
        store: "support-agent".into(),
        from: Some(from),
        to: op(4, "apply", "dream #3 reviewed", &[]).op,
        files,
        cursor: Cursor::default(),
        toggle_layout: false,
    }
}

pub fn op_diff_state(width: u16, height: u16) -> State {
    let mut s = history_state(width, height);
    s.trail.push(Screen::History);
    s.screen = Screen::Diff;
    s.op_diff = Some(op_diff());
    s
}

fn line(n: usize, text: &str, op: i64) -> BlameLine {
    let (kind, actor, dream) = match op {
        1 => ("import", "agent-7", None),
        4 => ("apply", "dana", Some(3)),
        _ => ("write", "agent-7\u{1b}[5m", None),
    };
    BlameLine {
        line: n,
        text: text.into(),
        op_id: op,
        kind: kind.into(),
        actor: actor.into(),
        at: format!("2026-11-{:02}T10:{op:02}:00.000Z", 10 + op),
        reason: if op == 4 {
            "dream #3 reviewed".into()
        } else {
            format!("reason of #{op}: {HOSTILE}")
        },
        dream_id: dream,
        proposal_id: dream.map(|_| 12),
        evidence_sessions: if op == 4 {
            vec!["cc-2026-11-20-a1".into(), "ma-sess-77".into()]
        } else {
            Vec::new()
        },
        engine: dream.map(|_| "builtin 0.2.0".into()),
        evidence: Vec::new(),
    }
}

/// `notes/deploy.md` blamed at head: lines from an import, a write and an applied dream.
pub fn blame() -> BlameView {
    let long = format!("long {}", "y".repeat(5_000));
    let lines = vec![
        line(1, "# Deploy", 1),
        line(2, "Run `just deploy` from the repo root.", 4),
        line(3, "Deploys never happen on Fridays.", 4),
        line(4, "Ask Dana before touching the database.", 1),
        line(5, HOSTILE, 2),
        line(6, "CJK 漢字とかな and emoji 👩‍💻\tafter a tab", 2),
        line(7, &long, 2),
        line(8, "Last reviewed: 2026-11-24.", 4),
    ];
    let origin = Origin {
        rationale: "The user corrected the deploy command and the Friday rule.".into(),
        evidence: vec![
            Cited {
                session: Some("cc-2026-11-20-a1".into()),
                event: Some("e-118".into()),
                agent: Some("backend".into()),
                started_at: Some("2026-11-20T14:03:00.000Z".into()),
                quote: "no, it's `just deploy` now — and never on Fridays".into(),
            },
            Cited {
                session: Some("ma-sess-77".into()),
                event: None,
                agent: Some("research\u{1b}[5m".into()),
                started_at: None,
                quote: format!("fetched page said: {HOSTILE}"),
            },
        ],
    };
    BlameView {
        store: "support-agent".into(),
        path: "notes/deploy.md".into(),
        at: None,
        lines,
        origins: BTreeMap::from([(4, origin)]),
        selected: 0,
        detail_scroll: 0,
    }
}

pub fn blame_state(width: u16, height: u16) -> State {
    let mut s = history_state(width, height);
    s.trail.push(Screen::History);
    s.screen = Screen::Blame;
    s.blame = Some(blame());
    s
}
