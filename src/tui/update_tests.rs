//! Pure update tests of the review flow: decisions, undo, the reason prompt, the apply
//! confirmation (with a conflict), the filter — states built directly, effects asserted as data.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::Action;
use super::effect::Effect;
use super::fixtures::{inbox_state, review_state};
use super::runtime::key_msg;
use super::state::{Modal, PromptKind, Screen, State};
use super::update::{Msg, update};
use crate::review::{Decision, Resolution, Verdict};
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
fn accepting_a_hunk_records_it_and_moves_to_the_next() {
    let mut s = review_state(160, 48);
    assert_eq!(review(&s).files[0].hunks, 2);
    let effects = act(&mut s, Action::AcceptHunk);
    assert_eq!(
        effects,
        [Effect::Decide {
            proposal: 12,
            target: Target::Change {
                seq: 1,
                hunk: Some(0)
            },
            decision: Decision::Verdict {
                hunk: Some(0),
                verdict: Verdict::Accept
            },
            reason: String::new(),
        }]
    );
    let f = &review(&s).files[0];
    assert_eq!(f.verdict(0), Some(Verdict::Accept));
    assert_eq!(f.verdict(1), None);
    assert_eq!(review(&s).hunk, 1);
    assert_eq!(f.decision_label(), "1/2 decided");
}

#[test]
fn a_rejection_needs_a_reason() {
    let mut s = review_state(160, 48);
    assert!(act(&mut s, Action::RejectHunk).is_empty());
    assert!(matches!(
        &s.modal,
        Some(Modal::Prompt(p)) if matches!(p.kind, PromptKind::Reason { .. })
    ));
    // Enter on an empty (or blank) reason keeps the prompt open and records nothing.
    typed(&mut s, "  ");
    assert!(act(&mut s, Action::Confirm).is_empty());
    assert!(s.modal.is_some());
    assert!(s.status.as_ref().is_some_and(|st| st.error));
    typed(&mut s, "wrong: Fridays are fine");
    let effects = act(&mut s, Action::Confirm);
    assert!(s.modal.is_none());
    assert_eq!(
        effects,
        [Effect::Decide {
            proposal: 12,
            target: Target::Change {
                seq: 1,
                hunk: Some(0)
            },
            decision: Decision::Verdict {
                hunk: Some(0),
                verdict: Verdict::Reject
            },
            reason: "wrong: Fridays are fine".into(),
        }]
    );
    assert_eq!(review(&s).files[0].verdict(0), Some(Verdict::Reject));
}

#[test]
fn cancelling_the_reason_prompt_rejects_nothing() {
    let mut s = review_state(160, 48);
    act(&mut s, Action::RejectFile);
    typed(&mut s, "nope");
    assert!(act(&mut s, Action::Cancel).is_empty());
    assert!(s.modal.is_none());
    assert_eq!(review(&s).files[0].resolution, Resolution::Undecided);
}

#[test]
fn accepting_a_file_decides_every_hunk_and_undo_takes_it_back() {
    let mut s = review_state(160, 48);
    act(&mut s, Action::AcceptHunk);
    act(&mut s, Action::AcceptFile);
    assert_eq!(review(&s).files[0].decision_label(), "accepted");
    let effects = act(&mut s, Action::Undo);
    assert_eq!(
        effects,
        [Effect::Decide {
            proposal: 12,
            target: Target::Change { seq: 1, hunk: None },
            decision: Decision::Undo,
            reason: String::new(),
        }]
    );
    assert_eq!(review(&s).files[0].decision_label(), "1/2 decided");
    act(&mut s, Action::Undo);
    assert_eq!(review(&s).files[0].resolution, Resolution::Undecided);
    assert!(act(&mut s, Action::Undo).is_empty(), "nothing left to undo");
}

#[test]
fn apply_asks_first_and_sums_up_what_it_writes() {
    let mut s = review_state(160, 48);
    assert!(act(&mut s, Action::Apply).is_empty());
    assert!(s.modal.is_none(), "nothing accepted: no confirmation");
    act(&mut s, Action::AcceptFile);
    assert!(act(&mut s, Action::Apply).is_empty());
    let Some(Modal::Confirm(c)) = &s.modal else {
        panic!("expected a confirmation, got {:?}", s.modal);
    };
    assert_eq!(c.effect, Effect::Apply(12));
    assert!(c.lines[0].starts_with("Write 1 file(s) to store support-agent"));
    assert!(c.lines.iter().any(|l| l.contains("2 file(s) stay open")));
    assert!(act(&mut s, Action::Cancel).is_empty());
    assert!(s.modal.is_none());
    act(&mut s, Action::Apply);
    assert_eq!(act(&mut s, Action::Confirm), [Effect::Apply(12)]);
    assert!(s.modal.is_none());
}

#[test]
fn the_confirmation_names_conflicts() {
    let mut s = review_state(160, 48);
    if let Some(r) = &mut s.review {
        r.files[1].moved = true;
    }
    act(&mut s, Action::AcceptFile);
    act(&mut s, Action::NextFile);
    act(&mut s, Action::AcceptFile);
    act(&mut s, Action::Apply);
    let Some(Modal::Confirm(c)) = &s.modal else {
        panic!("expected a confirmation");
    };
    assert!(c.lines.iter().any(|l| l.starts_with("1 conflict(s)")));
    assert!(c.lines.iter().any(|l| l.contains("! topics/記憶.md")));
}

#[test]
fn decisions_on_an_applied_file_are_refused() {
    let mut s = review_state(160, 48);
    if let Some(r) = &mut s.review {
        r.files[0].change.state = "applied".into();
    }
    assert!(act(&mut s, Action::AcceptHunk).is_empty());
    assert!(s.status.as_ref().is_some_and(|st| st.error));
}

#[test]
fn hunk_and_file_navigation() {
    let mut s = review_state(160, 48);
    act(&mut s, Action::NextHunk);
    assert_eq!((review(&s).file, review(&s).hunk), (0, 1));
    let row = review(&s).files[0].diff.hunk_rows[1];
    assert_eq!(review(&s).scroll, row);
    act(&mut s, Action::NextHunk);
    assert_eq!(
        (review(&s).file, review(&s).hunk, review(&s).scroll),
        (1, 0, 0)
    );
    act(&mut s, Action::PrevHunk);
    assert_eq!((review(&s).file, review(&s).hunk), (0, 1));
    act(&mut s, Action::NextFile);
    act(&mut s, Action::NextFile);
    act(&mut s, Action::NextFile);
    assert_eq!(review(&s).file, 2);
    act(&mut s, Action::PrevFile);
    assert_eq!(review(&s).file, 1);
}

#[test]
fn the_layout_toggle_flips_the_width_rule() {
    let mut s = review_state(160, 48);
    assert!(!s.unified());
    act(&mut s, Action::ToggleLayout);
    assert!(s.unified());
    let mut narrow = review_state(80, 24);
    assert!(narrow.unified());
    act(&mut narrow, Action::ToggleLayout);
    assert!(!narrow.unified());
}

#[test]
fn the_filter_narrows_the_inbox_live_and_esc_clears_it() {
    let mut s = inbox_state(80, 24);
    assert_eq!(s.inbox.visible().len(), 3);
    act(&mut s, Action::Filter);
    typed(&mut s, "coding");
    assert_eq!(s.inbox.visible().len(), 1);
    assert_eq!(s.inbox.current().map(|p| p.id), Some(11));
    update(&mut s, Msg::Action(Action::DeleteChar));
    assert_eq!(s.inbox.filter, "codin");
    act(&mut s, Action::Confirm);
    assert!(s.modal.is_none());
    assert_eq!(s.inbox.filter, "codin");
    act(&mut s, Action::Filter);
    act(&mut s, Action::Cancel);
    assert!(s.inbox.filter.is_empty());
    assert_eq!(s.inbox.visible().len(), 3);
}

#[test]
fn sort_cycles_and_open_loads_the_selection() {
    let mut s = inbox_state(80, 24);
    assert_eq!(s.inbox.current().map(|p| p.id), Some(12));
    act(&mut s, Action::Sort);
    assert_eq!(s.inbox.current().map(|p| p.id), Some(9), "oldest first");
    act(&mut s, Action::Down);
    assert_eq!(act(&mut s, Action::Open), [Effect::LoadProposal(11)]);
    assert_eq!(s.screen, Screen::Review);
    assert!(s.review.is_none());
    assert_eq!(act(&mut s, Action::Back), [Effect::LoadInbox]);
    assert_eq!(s.screen, Screen::Inbox);
    assert_eq!(act(&mut s, Action::Back), [Effect::Quit]);
}

#[test]
fn a_failed_effect_reloads_the_truth() {
    let mut s = review_state(160, 48);
    act(&mut s, Action::AcceptHunk);
    let effects = update(&mut s, Msg::Failed("database is locked".into()));
    assert_eq!(effects, [Effect::LoadProposal(12)]);
    assert!(s.status.as_ref().is_some_and(|st| st.error));
}

#[test]
fn a_reload_keeps_the_place() {
    let mut s = review_state(160, 48);
    act(&mut s, Action::NextFile);
    act(&mut s, Action::Down);
    let fresh = super::fixtures::review();
    update(&mut s, Msg::ProposalLoaded(Box::new(fresh)));
    assert_eq!((review(&s).file, review(&s).scroll), (1, 1));
}

#[test]
fn an_external_change_reloads_inbox_and_proposal() {
    let mut s = review_state(160, 48);
    assert_eq!(
        update(&mut s, Msg::ExternalChange),
        [Effect::LoadInbox, Effect::LoadProposal(12)]
    );
}

#[test]
fn prompts_take_typed_characters_and_screens_take_actions() {
    let mut s = review_state(160, 48);
    let q = KeyEvent::new(KeyCode::Char('q'), KeyModifiers::NONE);
    assert_eq!(key_msg(&s, &q), Some(Msg::Action(Action::Back)));
    act(&mut s, Action::RejectHunk);
    assert_eq!(key_msg(&s, &q), Some(Msg::Char('q')));
    let enter = KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE);
    assert_eq!(key_msg(&s, &enter), Some(Msg::Action(Action::Confirm)));
}

#[test]
fn edit_opens_the_editor_on_the_current_result() {
    let mut s = review_state(160, 48);
    act(&mut s, Action::AcceptHunk);
    let effects = act(&mut s, Action::Edit);
    let [Effect::OpenEditor { seq, text, .. }] = effects.as_slice() else {
        panic!("expected OpenEditor, got {effects:?}");
    };
    assert_eq!(*seq, 1);
    assert!(text.contains("just deploy") && text.contains("Last reviewed: yesterday"));
}
