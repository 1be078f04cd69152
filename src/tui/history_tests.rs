//! Pure update tests of the history tools: marking two operations and diffing them, the diff
//! screen's moves, blame (navigation, jumps to History, diffs and evidence), the blame file
//! picker, tags, and that rollback still works with a mark set.

use super::action::Action;
use super::effect::Effect;
use super::fixtures::{history_state, review_state};
use super::fixtures_history::{blame_state, op_diff, op_diff_state};
use super::state::{Modal, PromptKind, Screen, State};
use super::update::{Msg, update};

fn act(s: &mut State, a: Action) -> Vec<Effect> {
    update(s, Msg::Action(a))
}

fn typed(s: &mut State, text: &str) {
    for c in text.chars() {
        assert!(update(s, Msg::Char(c)).is_empty());
    }
}

fn selected_line(s: &State) -> usize {
    s.blame.as_ref().expect("a blame is shown").selected
}

fn op_diff_effect(from: Option<i64>, to: i64) -> Effect {
    Effect::LoadOpDiff {
        store: "support-agent".into(),
        from,
        to,
    }
}

#[test]
fn without_a_mark_d_shows_what_the_operation_changed() {
    let mut s = history_state(160, 48);
    assert_eq!(act(&mut s, Action::Diff), [op_diff_effect(None, 4)]);
    assert_eq!(s.screen, Screen::Diff);
    assert!(s.op_diff.is_none(), "loading");
    update(&mut s, Msg::OpDiffLoaded(Box::new(op_diff())));
    assert_eq!(s.op_diff.as_ref().map(|d| d.files.len()), Some(4));
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::History);
    assert!(s.op_diff.is_none());
    // Enter does the same as d.
    assert_eq!(act(&mut s, Action::Open), [op_diff_effect(None, 4)]);
}

#[test]
fn a_mark_diffs_two_operations_older_to_newer() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Mark);
    assert_eq!(s.history.as_ref().and_then(|h| h.mark), Some(4));
    act(&mut s, Action::Down);
    act(&mut s, Action::Down);
    // Marked #4, selected #2: the diff goes from the older to the newer state.
    assert_eq!(act(&mut s, Action::Diff), [op_diff_effect(Some(2), 4)]);
    act(&mut s, Action::Back);
    // The mark stays for further comparisons; Esc clears it, then leaves.
    assert_eq!(s.history.as_ref().and_then(|h| h.mark), Some(4));
    act(&mut s, Action::Back);
    assert_eq!(s.history.as_ref().and_then(|h| h.mark), None);
    assert_eq!(s.screen, Screen::History);
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::Inbox);
}

#[test]
fn marking_the_selected_operation_again_unmarks_it_and_diffs_it_alone() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Mark);
    assert_eq!(act(&mut s, Action::Diff), [op_diff_effect(None, 4)]);
    act(&mut s, Action::Back);
    act(&mut s, Action::Mark);
    assert_eq!(s.history.as_ref().and_then(|h| h.mark), None);
}

#[test]
fn a_diff_that_arrives_after_leaving_is_dropped() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Diff);
    act(&mut s, Action::Back);
    update(&mut s, Msg::OpDiffLoaded(Box::new(op_diff())));
    assert!(s.op_diff.is_none());
    assert_eq!(s.screen, Screen::History);
}

#[test]
fn the_diff_screen_moves_like_a_review() {
    let mut s = op_diff_state(160, 48);
    let cursor = |s: &State| s.op_diff.as_ref().expect("a diff").cursor;
    assert_eq!(s.op_diff.as_ref().map(|d| d.files[0].hunks), Some(2));
    act(&mut s, Action::NextHunk);
    assert_eq!((cursor(&s).file, cursor(&s).hunk), (0, 1));
    assert!(cursor(&s).scroll > 0);
    act(&mut s, Action::NextHunk);
    assert_eq!(
        (cursor(&s).file, cursor(&s).hunk, cursor(&s).scroll),
        (1, 0, 0)
    );
    act(&mut s, Action::NextFile);
    assert_eq!(cursor(&s).file, 2);
    act(&mut s, Action::Down);
    assert_eq!(cursor(&s).scroll, 1);
    assert!(!s.unified());
    act(&mut s, Action::ToggleLayout);
    assert!(s.unified());
    assert!(s.op_diff.as_ref().is_some_and(|d| d.toggle_layout));
    act(&mut s, Action::PrevFile);
    act(&mut s, Action::PrevFile);
    assert_eq!(cursor(&s).file, 0);
}

#[test]
fn blame_from_the_diff_comes_back_to_it() {
    let mut s = op_diff_state(160, 48);
    assert_eq!(
        act(&mut s, Action::Blame),
        [Effect::LoadBlame {
            store: "support-agent".into(),
            path: "notes/deploy.md".into(),
            at: Some(4),
        }]
    );
    assert_eq!(s.screen, Screen::Blame);
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::Diff);
    assert!(s.op_diff.is_some(), "the diff is kept under the blame");
    // A deleted file has nothing to blame.
    act(&mut s, Action::NextFile);
    act(&mut s, Action::NextFile);
    assert!(act(&mut s, Action::Blame).is_empty());
    assert!(s.status.as_ref().is_some_and(|st| st.error));
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::History);
}

#[test]
fn blame_moves_by_line_and_by_operation() {
    let mut s = blame_state(160, 48);
    act(&mut s, Action::Down);
    assert_eq!(selected_line(&s), 1);
    // Runs: [0] #1, [1-2] #4, [3] #1, [4-6] #2, [7] #4.
    act(&mut s, Action::NextHunk);
    assert_eq!(selected_line(&s), 3);
    act(&mut s, Action::NextHunk);
    assert_eq!(selected_line(&s), 4);
    act(&mut s, Action::Down);
    act(&mut s, Action::PrevHunk);
    assert_eq!(selected_line(&s), 3, "to the start of the run before");
    act(&mut s, Action::Bottom);
    assert_eq!(selected_line(&s), 7);
    act(&mut s, Action::NextHunk);
    assert_eq!(selected_line(&s), 7, "no run after the last");
    act(&mut s, Action::Top);
    act(&mut s, Action::PrevHunk);
    assert_eq!(selected_line(&s), 0);
    // The detail panel scrolls, and starts over on another line.
    act(&mut s, Action::DetailDown);
    act(&mut s, Action::DetailDown);
    assert_eq!(s.blame.as_ref().map(|b| b.detail_scroll), Some(2));
    act(&mut s, Action::DetailUp);
    assert_eq!(s.blame.as_ref().map(|b| b.detail_scroll), Some(1));
    act(&mut s, Action::Down);
    assert_eq!(s.blame.as_ref().map(|b| b.detail_scroll), Some(0));
}

#[test]
fn enter_on_a_blamed_line_shows_its_operation_in_history() {
    let mut s = blame_state(160, 48);
    for _ in 0..4 {
        act(&mut s, Action::Down);
    }
    // The history held is the store's: select operation #2 there, no reload.
    assert!(act(&mut s, Action::Open).is_empty());
    assert_eq!(s.screen, Screen::History);
    assert_eq!(s.history.as_ref().map(|h| h.ops[h.selected].op.id), Some(2));
    assert!(s.trail.is_empty());
    // Without that history: load it with the operation selected.
    let mut s = blame_state(160, 48);
    s.history = None;
    assert_eq!(
        act(&mut s, Action::Open),
        [Effect::LoadHistoryAt {
            store: "support-agent".into(),
            op: 1
        }]
    );
}

#[test]
fn a_blamed_line_opens_its_diff_and_its_evidence() {
    let mut s = blame_state(160, 48);
    // Line 1 comes from an import: no evidence.
    assert!(act(&mut s, Action::OpenEvidence).is_empty());
    act(&mut s, Action::Down);
    assert_eq!(
        act(&mut s, Action::OpenEvidence),
        [Effect::LoadEvidence {
            session: "cc-2026-11-20-a1".into(),
            event: Some("e-118".into()),
            index: 0,
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
    // n in the viewer: the line's next evidence, not the review's.
    assert_eq!(
        act(&mut s, Action::NextEvidence),
        [Effect::LoadEvidence {
            session: "ma-sess-77".into(),
            event: None,
            index: 1,
        }]
    );
    act(&mut s, Action::Cancel);
    assert_eq!(act(&mut s, Action::Diff), [op_diff_effect(None, 4)]);
    assert_eq!(s.screen, Screen::Diff);
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::Blame);
}

#[test]
fn b_in_review_opens_the_blame_screen_and_back_returns() {
    let mut s = review_state(160, 48);
    assert_eq!(
        act(&mut s, Action::Blame),
        [Effect::LoadBlame {
            store: "support-agent".into(),
            path: "notes/deploy.md".into(),
            at: None,
        }]
    );
    assert_eq!(s.screen, Screen::Blame);
    update(
        &mut s,
        Msg::BlameLoaded(Box::new(super::fixtures_history::blame())),
    );
    assert!(s.blame.is_some());
    let reload = update(&mut s, Msg::ExternalChange);
    assert!(reload.iter().any(|e| matches!(e, Effect::LoadBlame { .. })));
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::Review);
}

#[test]
fn b_in_history_picks_a_file_of_the_operation_to_blame() {
    let mut s = history_state(160, 48);
    assert_eq!(
        act(&mut s, Action::Blame),
        [Effect::LoadFiles {
            store: "support-agent".into(),
            at: 4
        }]
    );
    let files = |s: &State| match &s.modal {
        Some(Modal::Prompt(p)) => match &p.kind {
            PromptKind::BlamePath {
                files, selected, ..
            } => (files.clone(), *selected),
            other => panic!("not the picker: {other:?}"),
        },
        other => panic!("no prompt: {other:?}"),
    };
    // The operation's own files first (not the deleted one), then the store's.
    assert_eq!(files(&s).0, ["notes/deploy.md", "topics/記憶.md"]);
    update(
        &mut s,
        Msg::FilesLoaded {
            store: "support-agent".into(),
            at: 4,
            files: vec![
                "a.md".into(),
                "notes/deploy.md".into(),
                "topics/x.md".into(),
            ],
        },
    );
    assert_eq!(
        files(&s).0,
        ["notes/deploy.md", "topics/記憶.md", "a.md", "topics/x.md"]
    );
    typed(&mut s, "topics");
    act(&mut s, Action::Down);
    assert_eq!(files(&s).1, 1);
    act(&mut s, Action::Down);
    assert_eq!(files(&s).1, 1, "two matches");
    assert_eq!(
        act(&mut s, Action::Confirm),
        [Effect::LoadBlame {
            store: "support-agent".into(),
            path: "topics/x.md".into(),
            at: Some(4),
        }]
    );
    assert_eq!(s.screen, Screen::Blame);
    act(&mut s, Action::Back);
    assert_eq!(s.screen, Screen::History);
}

#[test]
fn the_picker_cancels_and_refuses_an_empty_pick() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Bottom);
    act(&mut s, Action::Blame);
    typed(&mut s, "zzz");
    assert!(
        act(&mut s, Action::Confirm).len() == 1,
        "a typed path is blamed as is"
    );
    let mut s = history_state(160, 48);
    act(&mut s, Action::Blame);
    update(&mut s, Msg::Action(Action::Cancel));
    assert!(s.modal.is_none());
    assert_eq!(s.screen, Screen::History);
}

#[test]
fn t_tags_the_selected_operation_through_the_core() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Down);
    assert!(act(&mut s, Action::Tag).is_empty());
    assert!(matches!(
        &s.modal,
        Some(Modal::Prompt(p)) if p.kind == PromptKind::TagName { store: "support-agent".into(), op: 3 }
    ));
    // A blank name keeps the prompt open.
    typed(&mut s, "  ");
    assert!(act(&mut s, Action::Confirm).is_empty());
    assert!(s.status.as_ref().is_some_and(|st| st.error));
    assert!(s.modal.is_some());
    typed(&mut s, "before-dream");
    assert_eq!(
        act(&mut s, Action::Confirm),
        [Effect::Tag {
            store: "support-agent".into(),
            op: 3,
            name: "before-dream".into(),
        }]
    );
    assert!(s.modal.is_none());
    let after = update(
        &mut s,
        Msg::Done {
            text: "Tagged #3 as before-dream (operation #5)".into(),
            reload: None,
        },
    );
    assert!(after.contains(&Effect::LoadHistory(Some("support-agent".into()))));
    // Esc tags nothing.
    act(&mut s, Action::Tag);
    assert!(act(&mut s, Action::Cancel).is_empty());
}

#[test]
fn n_and_shift_n_jump_between_tagged_operations() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::NextTag);
    assert_eq!(s.history.as_ref().map(|h| h.selected), Some(2));
    act(&mut s, Action::NextTag);
    assert_eq!(s.history.as_ref().map(|h| h.selected), Some(2));
    act(&mut s, Action::PrevTag);
    assert_eq!(s.history.as_ref().map(|h| h.selected), Some(2));
    act(&mut s, Action::Bottom);
    act(&mut s, Action::PrevTag);
    assert_eq!(s.history.as_ref().map(|h| h.selected), Some(2));
}

#[test]
fn rollback_still_works_with_a_mark_set() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Mark);
    act(&mut s, Action::Down);
    act(&mut s, Action::Down);
    assert_eq!(
        act(&mut s, Action::Rollback),
        [Effect::PreviewRollback {
            store: "support-agent".into(),
            op: 2
        }]
    );
    update(
        &mut s,
        Msg::RollbackPreview {
            store: "support-agent".into(),
            op: 2,
            lines: vec!["~ notes/deploy.md (+1 −3)".into()],
        },
    );
    typed(&mut s, "bad dream");
    act(&mut s, Action::Confirm);
    assert_eq!(
        act(&mut s, Action::Confirm),
        [Effect::Rollback {
            store: "support-agent".into(),
            op: 2,
            reason: "bad dream".into(),
        }]
    );
}

#[test]
fn a_reload_keeps_the_mark_and_the_selection() {
    let mut s = history_state(160, 48);
    act(&mut s, Action::Mark);
    act(&mut s, Action::Down);
    update(
        &mut s,
        Msg::HistoryLoaded(Box::new(super::fixtures::history())),
    );
    let h = s.history.as_ref().expect("history");
    assert_eq!((h.mark, h.selected), (Some(4), 1));
}
