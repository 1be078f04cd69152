//! The audit screen's part of `update`: the hash-chained log, newest first, with a filter
//! (`actor:`, `action:`, `path:` tokens or free text) and the verify status. Pure.

use crate::audit::Record;

use super::action::Action;
use super::effect::Effect;
use super::state::{AuditView, Screen, State};

/// Opens the audit log (reloaded each time: it only grows).
pub fn open(state: &mut State) -> Vec<Effect> {
    state.screen = Screen::Audit;
    vec![Effect::LoadAudit]
}

pub fn loaded(state: &mut State, mut new: AuditView) {
    if let Some(old) = &state.audit {
        new.filter.clone_from(&old.filter);
        let seq = old.current().map(|r| r.seq);
        let visible = new.visible();
        new.selected = seq
            .and_then(|s| visible.iter().position(|i| new.records[*i].seq == s))
            .unwrap_or(0);
    }
    state.audit = Some(new);
}

fn matches(r: &Record, token: &str) -> bool {
    let has = |field: &str, needle: &str| field.to_lowercase().contains(needle);
    if let Some(v) = token.strip_prefix("actor:") {
        has(&r.actor, v)
    } else if let Some(v) = token.strip_prefix("action:") {
        has(&r.action, v)
    } else if let Some(v) = token.strip_prefix("path:") {
        has(&r.target, v) || has(&r.details, v)
    } else {
        [&r.actor, &r.action, &r.target, &r.reason]
            .iter()
            .any(|f| has(f, token))
    }
}

impl AuditView {
    /// Indices of the records passing the filter (every token must match).
    pub fn visible(&self) -> Vec<usize> {
        let filter = self.filter.to_lowercase();
        let tokens: Vec<&str> = filter.split_whitespace().collect();
        (0..self.records.len())
            .filter(|i| tokens.iter().all(|t| matches(&self.records[*i], t)))
            .collect()
    }

    pub fn current(&self) -> Option<&Record> {
        self.visible()
            .get(self.selected)
            .and_then(|i| self.records.get(*i))
    }
}

pub fn action(state: &mut State, a: Action) -> Vec<Effect> {
    if a == Action::Back {
        if let Some(v) = &mut state.audit
            && !v.filter.is_empty()
        {
            v.filter.clear();
            v.selected = 0;
            return Vec::new();
        }
        state.screen = if state.review.is_some() {
            Screen::Review
        } else {
            Screen::Inbox
        };
        return Vec::new();
    }
    let page = super::history::page(state);
    let Some(v) = &mut state.audit else {
        return Vec::new();
    };
    let last = v.visible().len().saturating_sub(1);
    match a {
        Action::Down => v.selected = (v.selected + 1).min(last),
        Action::Up => v.selected = v.selected.saturating_sub(1),
        Action::PageDown => v.selected = (v.selected + page).min(last),
        Action::PageUp => v.selected = v.selected.saturating_sub(page),
        Action::Top => v.selected = 0,
        Action::Bottom => v.selected = last,
        Action::Filter => {
            let text = v.filter.clone();
            state.modal = Some(super::state::Modal::Prompt(super::state::Prompt {
                kind: super::state::PromptKind::Filter,
                text,
            }));
        }
        _ => {}
    }
    Vec::new()
}
