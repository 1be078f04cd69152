//! The history screen's part of `update`: the operation log of a store and the rollback flow —
//! pick an operation, preview what would change, give a reason, confirm. Pure: the log, the
//! preview and the rollback itself are effects.

use crate::sanitize;

use super::action::Action;
use super::effect::Effect;
use super::state::{Confirm, History, Modal, Prompt, PromptKind, Screen, State};

/// Opens the history of the store in view (the open proposal's, else the selected one's).
pub fn open(state: &mut State) -> Vec<Effect> {
    let store = state
        .review
        .as_ref()
        .map(|r| r.proposal.store.clone())
        .or_else(|| state.inbox.current().map(|p| p.store.clone()));
    state.screen = Screen::History;
    if state.history.as_ref().map(|h| &h.store) != store.as_ref() {
        state.history = None;
    }
    vec![Effect::LoadHistory(store)]
}

pub fn loaded(state: &mut State, mut new: History) {
    if let Some(old) = &state.history
        && old.store == new.store
    {
        let id = old.ops.get(old.selected).map(|o| o.op.id);
        new.selected = id
            .and_then(|id| new.ops.iter().position(|o| o.op.id == id))
            .unwrap_or(0);
    }
    state.history = Some(new);
}

/// Lines of the history list that fit on screen.
pub fn page(state: &State) -> usize {
    let areas = super::view::layout(state.width, state.height, Screen::History, 0);
    usize::from(areas.list.height.saturating_sub(3)).max(1)
}

pub fn action(state: &mut State, a: Action) -> Vec<Effect> {
    if a == Action::Audit {
        return super::audit::open(state);
    }
    if a == Action::Back {
        state.screen = if state.review.is_some() {
            Screen::Review
        } else {
            Screen::Inbox
        };
        return Vec::new();
    }
    let page = page(state);
    let Some(h) = &mut state.history else {
        return Vec::new();
    };
    let last = h.ops.len().saturating_sub(1);
    match a {
        Action::Down => h.selected = (h.selected + 1).min(last),
        Action::Up => h.selected = h.selected.saturating_sub(1),
        Action::PageDown => h.selected = (h.selected + page).min(last),
        Action::PageUp => h.selected = h.selected.saturating_sub(page),
        Action::Top => h.selected = 0,
        Action::Bottom => h.selected = last,
        Action::Rollback => {
            let Some(op) = h.ops.get(h.selected).map(|o| o.op.id) else {
                return Vec::new();
            };
            let store = h.store.clone();
            if h.selected == 0 {
                state.error("That is the current state: pick an earlier operation to roll back to");
                return Vec::new();
            }
            state.info(format!("Working out what rolling back to #{op} changes…"));
            return vec![Effect::PreviewRollback { store, op }];
        }
        _ => {}
    }
    Vec::new()
}

/// The preview arrived: show it and ask for the reason.
pub fn preview(state: &mut State, store: String, op: i64, lines: Vec<String>) {
    let Some(h) = &mut state.history else { return };
    if h.store != store {
        return;
    }
    h.preview = Some(lines);
    state.modal = Some(Modal::Prompt(Prompt {
        kind: PromptKind::RollbackReason { store, op },
        text: String::new(),
    }));
    state.info(format!("Roll back to #{op}: why? (Esc cancels)"));
}

/// The reason was given: confirm with the whole picture.
pub fn confirm(state: &mut State, store: &str, op: i64, reason: String) {
    let preview = state
        .history
        .as_mut()
        .and_then(|h| h.preview.take())
        .unwrap_or_default();
    let mut lines = vec![format!(
        "Make store {} equal to operation #{op} again. This adds a new operation; nothing is lost.",
        sanitize::line(store)
    )];
    lines.extend(preview);
    lines.push(format!("Reason: {}", sanitize::line(&reason)));
    state.info("Check what changes, then y rolls back");
    state.modal = Some(Modal::Confirm(Confirm {
        title: format!("Roll back to #{op}"),
        lines,
        effect: Effect::Rollback {
            store: store.to_owned(),
            op,
            reason,
        },
    }));
}

pub fn cancel(state: &mut State) {
    if let Some(h) = &mut state.history {
        h.preview = None;
    }
    state.info("Not rolled back");
}
