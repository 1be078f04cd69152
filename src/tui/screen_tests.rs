//! Pure update tests of navigation, history and rollback, the audit log, and the mouse.

use super::action::Action;
use super::effect::Effect;
use super::fixtures::{inbox_state, review_state};
use super::state::{Modal, PromptKind, Screen, State};
use super::update::{Msg, update};
use crate::review::{Decision, Verdict};
use crate::store::Target;

fn act(s: &mut State, a: Action) -> Vec<Effect> {
    update(s, Msg::Action(a))
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        assert!(update(s, Msg::Char(c)).is_empty());
    }
}

fn review(s: &State) -> &super::state::Review {
    s.review.as_ref().expect("a review is open")
}

#[test]
fn a_long_line_scrolls_line_by_line_and_what_follows_is_reachable() {
    let mut s = review_state(80, 24);
    act(&mut s, Action::NextFile);
    for _ in 0..3 {
        act(&mut s, Action::Down);
    }
    // Rows: header, two short lines, then the 5,000-character line.
    assert_eq!((review(&s).scroll, review(&s).skip), (3, 0));
    act(&mut s, Action::Down);
    assert_eq!((review(&s).scroll, review(&s).skip), (3, 1));
    act(&mut s, Action::Up);
    act(&mut s, Action::Up);
    assert_eq!((review(&s).scroll, review(&s).skip), (2, 0));
    for _ in 0..200 {
        act(&mut s, Action::Down);
    }
    assert_eq!(review(&s).scroll, 4, "the line after the long one");
    act(&mut s, Action::Top);
    assert_eq!((review(&s).scroll, review(&s).skip), (0, 0));
}

#[test]
fn bulk_accepting_a_category_asks_first() {
    let mut s = review_state(160, 48);
    assert!(act(&mut s, Action::AcceptCategory).is_empty());
    let Some(Modal::Confirm(c)) = &s.modal else {
        panic!("expected a confirmation");
    };
    assert!(c.lines[0].starts_with("Accept all 1 open contradiction change(s)"));
    assert_eq!(
        act(&mut s, Action::Confirm),
        [Effect::Decide {
            proposal: 12,
            target: Target::Category("contradiction".into()),
            decision: Decision::Verdict {
                hunk: None,
                verdict: Verdict::Accept
            },
            reason: String::new(),
        }]
    );
}

#[test]
fn clicks_select_rows_and_files() {
    let mut s = inbox_state(80, 24);
    // Body starts at row 1: border, column header, then the first proposal at row 3.
    update(&mut s, Msg::Click { x: 10, y: 5 });
    assert_eq!(s.inbox.current().map(|p| p.id), Some(9));
    update(&mut s, Msg::Click { x: 10, y: 20 });
    assert_eq!(
        s.inbox.current().map(|p| p.id),
        Some(9),
        "below the rows: no change"
    );
    let mut r = review_state(160, 48);
    update(&mut r, Msg::Click { x: 5, y: 4 });
    assert_eq!(review(&r).file, 2);
    // The operation diff's file list, in both layouts: border at row 1, files from row 2.
    for (w, h) in [(160, 48), (80, 24)] {
        let mut d = super::fixtures_history::op_diff_state(w, h);
        update(&mut d, Msg::Click { x: 5, y: 3 });
        let cursor = d.op_diff.as_ref().map(|o| o.cursor.file);
        assert_eq!(cursor, Some(1), "{w}x{h}");
    }
    // History: border, the rollback hint, then the newest operation at row 3.
    let mut hs = super::fixtures::history_state(160, 48);
    update(&mut hs, Msg::Click { x: 5, y: 4 });
    assert_eq!(hs.history.as_ref().map(|h| h.selected), Some(1));
    update(&mut hs, Msg::Click { x: 5, y: 2 });
    assert_eq!(
        hs.history.as_ref().map(|h| h.selected),
        Some(1),
        "the hint row: no change"
    );
}

#[test]
fn rollback_is_pick_preview_reason_confirm() {
    let mut s = super::fixtures::history_state(160, 48);
    // The newest operation is the current state: nothing to roll back to.
    assert!(act(&mut s, Action::Rollback).is_empty());
    assert!(s.status.as_ref().is_some_and(|st| st.error));
    act(&mut s, Action::Down);
    act(&mut s, Action::Down);
    assert_eq!(
        act(&mut s, Action::Rollback),
        [Effect::PreviewRollback {
            store: "support-agent".into(),
            op: 2
        }]
    );
    let lines = vec!["~ notes/deploy.md (+1 −3)".to_owned()];
    update(
        &mut s,
        Msg::RollbackPreview {
            store: "support-agent".into(),
            op: 2,
            lines: lines.clone(),
        },
    );
    assert!(matches!(
        &s.modal,
        Some(Modal::Prompt(p)) if matches!(p.kind, PromptKind::RollbackReason { op: 2, .. })
    ));
    assert!(
        act(&mut s, Action::Confirm).is_empty(),
        "a reason is required"
    );
    typed(&mut s, "bad dream");
    assert!(act(&mut s, Action::Confirm).is_empty());
    let Some(Modal::Confirm(c)) = &s.modal else {
        panic!("expected a confirmation, got {:?}", s.modal);
    };
    assert!(c.lines.contains(&lines[0]));
    assert!(c.lines.iter().any(|l| l == "Reason: bad dream"));
    assert_eq!(
        act(&mut s, Action::Confirm),
        [Effect::Rollback {
            store: "support-agent".into(),
            op: 2,
            reason: "bad dream".into()
        }]
    );
    let effects = update(
        &mut s,
        Msg::Done {
            text: "Rolled back".into(),
            reload: None,
        },
    );
    assert!(effects.contains(&Effect::LoadHistory(Some("support-agent".into()))));
}

#[test]
fn history_opens_on_the_store_in_view_and_back_returns() {
    let mut s = review_state(160, 48);
    assert_eq!(
        act(&mut s, Action::History),
        [Effect::LoadHistory(Some("support-agent".into()))]
    );
    assert_eq!(s.screen, Screen::History);
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn the_audit_filter_takes_field_tokens() {
    let mut s = super::fixtures::audit_state(160, 48, false);
    act(&mut s, Action::Filter);
    typed(&mut s, "actor:dana action:decide");
    let v = s.audit.as_ref().expect("audit loaded");
    assert_eq!(v.visible().len(), 1);
    assert_eq!(v.current().map(|r| r.seq), Some(4));
    act(&mut s, Action::Confirm);
    act(&mut s, Action::Back);
    assert!(s.audit.as_ref().is_some_and(|v| v.filter.is_empty()));
    assert_eq!(s.screen, Screen::Audit, "the first Back clears the filter");
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::Inbox);
    assert_eq!(act(&mut s, Action::Audit), [Effect::LoadAudit]);
}

#[test]
fn evidence_opens_the_cited_session_and_walks_through_it() {
    let mut s = review_state(160, 48);
    assert_eq!(
        act(&mut s, Action::OpenEvidence),
        [Effect::LoadEvidence {
            session: "cc-2026-11-20-a1".into(),
            event: Some("e-118".into()),
            index: 0
        }]
    );
    update(
        &mut s,
        Msg::EvidenceLoaded {
            index: 0,
            title: "backend · session cc-2026-11-20-a1".into(),
            lines: vec!["▶ #118 user message".into()],
            focus: 0,
        },
    );
    assert!(matches!(&s.modal, Some(Modal::Viewer(v)) if v.evidence == Some(0)));
    assert_eq!(
        act(&mut s, Action::NextEvidence),
        [Effect::LoadEvidence {
            session: "ma-sess-77".into(),
            event: None,
            index: 1
        }]
    );
    assert!(
        act(&mut s, Action::NextEvidence).len() == 1,
        "still on evidence 0 until loaded"
    );
    act(&mut s, Action::Cancel);
    assert!(s.modal.is_none());
    act(&mut s, Action::NextFile);
    act(&mut s, Action::NextFile);
    assert!(
        act(&mut s, Action::OpenEvidence).is_empty(),
        "the deletion cites nothing"
    );
}
