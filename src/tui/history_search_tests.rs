//! Pure update tests of searching the history (`/` on its screen): the prompt, the effect, the
//! narrowed list's rollback rule, Esc back to every operation, and reloads that keep the search.

use super::action::Action;
use super::effect::Effect;
use super::fixtures::{history_searched_state, history_state};
use super::state::{Modal, PromptKind, State};
use super::update::{Msg, update};

fn act(s: &mut State, a: Action) -> Vec<Effect> {
    update(s, Msg::Action(a))
}

fn search(text: &str) -> Effect {
    Effect::SearchHistory {
        store: "support-agent".into(),
        text: text.into(),
    }
}

#[test]
fn slash_asks_for_a_text_and_searches_for_it() {
    let mut s = history_state(160, 48);
    assert!(act(&mut s, Action::Filter).is_empty());
    assert!(matches!(
        &s.modal,
        Some(Modal::Prompt(p)) if p.kind == PromptKind::SearchText { store: "support-agent".into() }
    ));
    for c in "pnpm".chars() {
        assert!(update(&mut s, Msg::Char(c)).is_empty());
    }
    assert_eq!(act(&mut s, Action::Confirm), [search("pnpm")]);
    assert!(s.modal.is_none());
    // Nothing typed: every operation again.
    act(&mut s, Action::Filter);
    assert_eq!(
        act(&mut s, Action::Confirm),
        [Effect::LoadHistory(Some("support-agent".into()))]
    );
}

#[test]
fn the_prompt_starts_from_the_current_search() {
    let mut s = history_searched_state(160, 48);
    act(&mut s, Action::Filter);
    let Some(Modal::Prompt(p)) = &s.modal else {
        panic!("a prompt");
    };
    assert_eq!(p.text, "deploy\u{202E} \x1b[2J");
    assert!(act(&mut s, Action::Cancel).is_empty());
    assert!(s.history.as_ref().is_some_and(|h| h.search.is_some()));
}

#[test]
fn in_a_narrowed_list_only_the_current_state_cannot_be_rolled_back_to() {
    // The first listed operation (#3) is not the store's newest (#4): it can be rolled back to.
    let mut s = history_searched_state(160, 48);
    assert_eq!(
        act(&mut s, Action::Rollback),
        [Effect::PreviewRollback {
            store: "support-agent".into(),
            op: 3
        }]
    );
    // When the newest operation is listed, it is refused wherever it stands.
    let mut s = history_searched_state(160, 48);
    if let Some(h) = &mut s.history
        && let Some(search) = &mut h.search
    {
        search.head = Some(2);
    }
    act(&mut s, Action::Down);
    assert!(act(&mut s, Action::Rollback).is_empty());
    assert!(s.status.as_ref().is_some_and(|st| st.error));
}

#[test]
fn esc_shows_every_operation_again_and_a_reload_keeps_the_search() {
    let mut s = history_searched_state(160, 48);
    let text = "deploy\u{202E} \x1b[2J";
    assert!(act(&mut s, Action::Refresh).contains(&search(text)));
    assert_eq!(
        act(&mut s, Action::Back),
        [Effect::LoadHistory(Some("support-agent".into()))]
    );
    // A mark is cleared first, then the search.
    let mut s = history_searched_state(160, 48);
    act(&mut s, Action::Mark);
    assert!(act(&mut s, Action::Back).is_empty());
    assert_eq!(
        act(&mut s, Action::Back),
        [Effect::LoadHistory(Some("support-agent".into()))]
    );
}
