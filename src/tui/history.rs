//! The history screen's part of `update`: the operation log of a store; the rollback flow (pick
//! an operation, preview what would change, give a reason, confirm); marking an operation to
//! diff against; tagging; picking a file to blame. Pure: loads and writes are effects.

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
        new.mark = old.mark.filter(|m| new.ops.iter().any(|o| o.op.id == *m));
    }
    state.history = Some(new);
}

/// Shows operation `op` of `store` in History (loading the log when it is not the one held).
pub fn show_op(state: &mut State, store: String, op: i64) -> Vec<Effect> {
    state.trail.clear();
    state.op_diff = None;
    state.screen = Screen::History;
    if let Some(h) = &mut state.history
        && h.store == store
        && let Some(i) = h.ops.iter().position(|o| o.op.id == op)
    {
        h.selected = i;
        return Vec::new();
    }
    state.history = None;
    vec![Effect::LoadHistoryAt { store, op }]
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
        if let Some(h) = &mut state.history
            && h.mark.take().is_some()
        {
            state.info("Mark cleared");
            return Vec::new();
        }
        if let Some(h) = &state.history
            && h.search.is_some()
        {
            let store = h.store.clone();
            return search(state, "", store);
        }
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
            if h.is_current(h.selected) {
                state.error("That is the current state: pick an earlier operation to roll back to");
                return Vec::new();
            }
            state.info(format!("Working out what rolling back to #{op} changes…"));
            return vec![Effect::PreviewRollback { store, op }];
        }
        Action::Mark => {
            let id = h.ops.get(h.selected).map(|o| o.op.id);
            h.mark = if h.mark == id { None } else { id };
            match h.mark {
                Some(m) => state.info(format!("Marked #{m}: move to another operation, d diffs")),
                None => state.info("Mark cleared"),
            }
        }
        Action::Diff | Action::Open => return diff(state),
        Action::NextTag | Action::PrevTag => {
            let forward = a == Action::NextTag;
            let tagged = |i: &usize| h.ops.get(*i).is_some_and(|o| !o.op.tags.is_empty());
            let found = if forward {
                (h.selected + 1..h.ops.len()).find(tagged)
            } else {
                (0..h.selected).rev().find(tagged)
            };
            match found {
                Some(i) => h.selected = i,
                None => state.info("No tagged operation in that direction"),
            }
        }
        Action::Tag => {
            if let Some(op) = h.ops.get(h.selected).map(|o| o.op.id) {
                let store = h.store.clone();
                state.modal = Some(Modal::Prompt(Prompt {
                    kind: PromptKind::TagName { store, op },
                    text: String::new(),
                }));
            }
        }
        Action::Blame => return pick_file(state),
        Action::Filter => {
            let text = h
                .search
                .as_ref()
                .map(|s| s.text.clone())
                .unwrap_or_default();
            let store = h.store.clone();
            state.modal = Some(Modal::Prompt(Prompt {
                kind: PromptKind::SearchText { store },
                text,
            }));
        }
        _ => {}
    }
    Vec::new()
}

/// The diff of the marked operation against the selected one (older → newer), or without a
/// mark what the selected operation changed.
fn diff(state: &mut State) -> Vec<Effect> {
    let Some(h) = &state.history else {
        return Vec::new();
    };
    let Some(selected) = h.ops.get(h.selected).map(|o| o.op.id) else {
        return Vec::new();
    };
    let store = h.store.clone();
    match h.mark.filter(|m| *m != selected) {
        Some(m) => super::opdiff::open(state, store, Some(m.min(selected)), m.max(selected)),
        None => super::opdiff::open(state, store, None, selected),
    }
}

/// Opens the blame file picker on the selected operation's files (the rest of the store's
/// files as of that operation follow once loaded).
fn pick_file(state: &mut State) -> Vec<Effect> {
    let Some(h) = &state.history else {
        return Vec::new();
    };
    let Some(o) = h.ops.get(h.selected) else {
        return Vec::new();
    };
    let files: Vec<String> = o
        .files
        .iter()
        .filter(|f| f.kind != crate::model::VersionKind::Deleted)
        .map(|f| f.path.clone())
        .collect();
    let (store, at) = (h.store.clone(), o.op.id);
    state.modal = Some(Modal::Prompt(Prompt {
        kind: PromptKind::BlamePath {
            store: store.clone(),
            at,
            files,
            selected: 0,
        },
        text: String::new(),
    }));
    state.info(format!(
        "Blame which file as of #{at}? Type to filter, ↑/↓ pick, Enter"
    ));
    vec![Effect::LoadFiles { store, at }]
}

/// The store's files arrived: the picker lists them after the operation's own.
pub fn files_loaded(state: &mut State, store: &str, at: i64, files: Vec<String>) {
    if let Some(Modal::Prompt(p)) = &mut state.modal
        && let PromptKind::BlamePath {
            store: s,
            at: a,
            files: list,
            ..
        } = &mut p.kind
        && s == store
        && *a == at
    {
        for f in files {
            if !list.contains(&f) {
                list.push(f);
            }
        }
    }
}

/// The blame picker: move, pick, or cancel.
pub fn pick(state: &mut State, mut p: Prompt, a: Action) -> Vec<Effect> {
    let PromptKind::BlamePath {
        store,
        at,
        files,
        selected,
    } = &mut p.kind
    else {
        return Vec::new();
    };
    let shown = super::blame::matching(files, &p.text);
    match a {
        Action::Down => *selected = (*selected + 1).min(shown.len().saturating_sub(1)),
        Action::Up => *selected = selected.saturating_sub(1),
        Action::Confirm => {
            let path = shown
                .get(*selected)
                .map(|f| (*f).clone())
                .or_else(|| Some(p.text.trim().to_owned()).filter(|t| !t.is_empty()));
            if let Some(path) = path {
                return super::blame::open(state, store.clone(), path, Some(*at));
            }
            state.error("No file matches: type part of a path, or Esc to cancel");
        }
        _ => {
            state.info("Nothing blamed");
            return Vec::new();
        }
    }
    state.modal = Some(Modal::Prompt(p));
    Vec::new()
}

/// The text to search for was given: the operations that added or removed it, or with no text
/// every operation again.
pub fn search(state: &mut State, text: &str, store: String) -> Vec<Effect> {
    if text.is_empty() {
        state.info("Every operation");
        return vec![Effect::LoadHistory(Some(store))];
    }
    state.info(format!(
        "Finding the operations that added or removed \"{}\"…",
        sanitize::line(text)
    ));
    vec![Effect::SearchHistory {
        store,
        text: text.to_owned(),
    }]
}

/// The tag name was given: ask the core to tag (it checks the name).
pub fn tag(state: &mut State, name: &str, store: String, op: i64) -> Vec<Effect> {
    if name.is_empty() {
        state.error("A tag needs a name: type one, or Esc to cancel");
        state.modal = Some(Modal::Prompt(Prompt {
            kind: PromptKind::TagName { store, op },
            text: String::new(),
        }));
        return Vec::new();
    }
    state.info(format!("Tagging #{op} as {}…", sanitize::line(name)));
    vec![Effect::Tag {
        store,
        op,
        name: name.to_owned(),
    }]
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
