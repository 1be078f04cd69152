//! Prompts' part of `update`: typing into a one-line prompt and what Enter and Esc do for each
//! kind (the live filter, a rejection or rollback reason, a tag name, the blame file picker).
//! Pure, like the rest of `update`.

use super::action::Action;
use super::effect::Effect;
use super::state::{Modal, Prompt, PromptKind, Screen, State};
use super::{decide, history};

/// The filter prompt filters the list of the screen it was opened on, live.
pub fn set_filter(state: &mut State, text: String) {
    if state.screen == Screen::Audit {
        if let Some(v) = &mut state.audit {
            v.filter = text;
            v.selected = 0;
        }
    } else {
        state.inbox.filter = text;
        state.inbox.selected = 0;
        state.inbox.offset = 0;
    }
}

pub fn action(state: &mut State, mut p: Prompt, a: Action) -> Vec<Effect> {
    match (a, &p.kind) {
        (Action::DeleteChar, _) => {
            p.text.pop();
            if p.kind == PromptKind::Filter {
                set_filter(state, p.text.clone());
            }
            state.modal = Some(Modal::Prompt(p));
            Vec::new()
        }
        (Action::Confirm, PromptKind::Filter) | (Action::Cancel, PromptKind::SearchText { .. }) => {
            Vec::new()
        }
        (Action::Cancel, PromptKind::Filter) => {
            set_filter(state, String::new());
            Vec::new()
        }
        (Action::Confirm, PromptKind::Reason { .. }) if p.text.trim().is_empty() => {
            state.error("A rejection needs a reason: type one, or Esc to cancel");
            state.modal = Some(Modal::Prompt(p));
            Vec::new()
        }
        (
            Action::Confirm,
            PromptKind::Reason {
                proposal, target, ..
            },
        ) => decide::reject(state, *proposal, target, p.text.trim().to_owned()),
        (Action::Confirm, PromptKind::RollbackReason { .. }) if p.text.trim().is_empty() => {
            state.error("A rollback needs a reason: type one, or Esc to cancel");
            state.modal = Some(Modal::Prompt(p));
            Vec::new()
        }
        (Action::Confirm, PromptKind::RollbackReason { store, op }) => {
            history::confirm(state, store, *op, p.text.trim().to_owned());
            Vec::new()
        }
        (Action::Cancel, PromptKind::RollbackReason { .. }) => {
            history::cancel(state);
            Vec::new()
        }
        (Action::Confirm, PromptKind::TagName { store, op }) => {
            history::tag(state, p.text.trim(), store.clone(), *op)
        }
        (Action::Confirm, PromptKind::SearchText { store }) => {
            history::search(state, &p.text, store.clone())
        }
        (Action::Cancel, PromptKind::TagName { .. }) => {
            state.info("Not tagged");
            Vec::new()
        }
        (
            Action::Confirm | Action::Cancel | Action::Up | Action::Down,
            PromptKind::BlamePath { .. },
        ) => history::pick(state, p, a),
        (Action::Cancel, PromptKind::Reason { .. }) => {
            state.info("Not rejected");
            Vec::new()
        }
        _ => {
            state.modal = Some(Modal::Prompt(p));
            Vec::new()
        }
    }
}
