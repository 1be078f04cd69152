//! The blame screen's state and its part of `update`: each line of a file with the operation
//! that wrote it (id, actor, time; dream, proposal and reviewer for lines a dream wrote) and,
//! for the selected line, the rationale and evidence of the change that wrote it. `Enter` jumps
//! to that operation in History, `d` opens what it changed, `o` the cited session, `J`/`K` move
//! between runs of lines of one operation. Pure; the blame is loaded by an effect.

use std::collections::BTreeMap;

use crate::store::BlameLine;

use super::action::Action;
use super::effect::Effect;
use super::state::{Screen, State};
use super::{history, opdiff};

/// A piece of evidence cited by the change that wrote a line, with its session's agent.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Cited {
    pub session: Option<String>,
    pub event: Option<String>,
    pub agent: Option<String>,
    pub started_at: Option<String>,
    /// Untrusted; sanitized when drawn.
    pub quote: String,
}

/// Why a dream's change wrote a file: its rationale and evidence (empty when unknown).
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Origin {
    pub rationale: String,
    pub evidence: Vec<Cited>,
}

/// A blamed file.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlameView {
    pub store: String,
    pub path: String,
    /// The operation the file is blamed as of (`None`: the store's head).
    pub at: Option<i64>,
    pub lines: Vec<BlameLine>,
    /// For operations that applied a proposal, by operation id.
    pub origins: BTreeMap<i64, Origin>,
    pub selected: usize,
    /// First line shown in the detail panel (back to 0 when the selection moves).
    pub detail_scroll: usize,
}

impl BlameView {
    pub fn current(&self) -> Option<&BlameLine> {
        self.lines.get(self.selected)
    }

    /// The evidence behind the selected line (empty for lines no dream wrote).
    pub fn cited(&self) -> &[Cited] {
        self.current()
            .and_then(|l| self.origins.get(&l.op_id))
            .map_or(&[], |o| o.evidence.as_slice())
    }
}

/// Opens the blame screen and asks for the blame of `path` (as of `at`, else at head).
pub fn open(state: &mut State, store: String, path: String, at: Option<i64>) -> Vec<Effect> {
    if state.screen != Screen::Blame {
        state.trail.push(state.screen);
    }
    state.screen = Screen::Blame;
    state.blame = None;
    state.info(format!("Blaming {}…", crate::sanitize::line(&path)));
    vec![Effect::LoadBlame { store, path, at }]
}

pub fn loaded(state: &mut State, new: BlameView) {
    if state.screen != Screen::Blame {
        return;
    }
    state.info(format!("{} line(s)", new.lines.len()));
    state.blame = Some(new);
}

/// Files of the store matching `text` (case-insensitive substring), in order.
pub fn matching<'a>(files: &'a [String], text: &str) -> Vec<&'a String> {
    let needle = text.to_lowercase();
    files
        .iter()
        .filter(|f| f.to_lowercase().contains(&needle))
        .collect()
}

/// Rows of the blame list that fit on screen.
pub fn page(state: &State) -> usize {
    let areas = super::view::layout(state.width, state.height, Screen::Blame, 0);
    usize::from(areas.list.height.saturating_sub(2)).max(1)
}

/// The first line of the next (or previous) run of lines written by another operation.
fn next_run(lines: &[BlameLine], from: usize, forward: bool) -> Option<usize> {
    let op = lines.get(from)?.op_id;
    if forward {
        (from + 1..lines.len()).find(|i| lines[*i].op_id != op)
    } else {
        // Back to the start of the current run, then to the start of the run before it.
        let start = (0..from).rev().find(|i| lines[*i].op_id != op)?;
        let prev = lines[start].op_id;
        Some(
            (0..start)
                .rev()
                .find(|i| lines[*i].op_id != prev)
                .map_or(0, |i| i + 1),
        )
    }
}

/// Loads evidence `from` (or the next one citing a session) of the selected line.
pub fn evidence(state: &mut State, from: usize) -> Vec<Effect> {
    let Some(b) = &state.blame else {
        return Vec::new();
    };
    let found = b
        .cited()
        .iter()
        .enumerate()
        .skip(from)
        .find_map(|(i, e)| Some((i, e.session.clone()?, e.event.clone())));
    if let Some((index, session, event)) = found {
        return vec![Effect::LoadEvidence {
            session,
            event,
            index,
        }];
    }
    state.info(if from == 0 {
        "No session is cited for this line"
    } else {
        "No more evidence for this line"
    });
    Vec::new()
}

pub fn action(state: &mut State, a: Action) -> Vec<Effect> {
    if a == Action::Back {
        opdiff::back(state);
        return Vec::new();
    }
    let page = page(state);
    let Some(b) = &mut state.blame else {
        return Vec::new();
    };
    let last = b.lines.len().saturating_sub(1);
    let before = b.selected;
    match a {
        Action::DetailDown => b.detail_scroll += 1,
        Action::DetailUp => b.detail_scroll = b.detail_scroll.saturating_sub(1),
        Action::Down => b.selected = (b.selected + 1).min(last),
        Action::Up => b.selected = b.selected.saturating_sub(1),
        Action::PageDown => b.selected = (b.selected + page).min(last),
        Action::PageUp => b.selected = b.selected.saturating_sub(page),
        Action::Top => b.selected = 0,
        Action::Bottom => b.selected = last,
        Action::NextHunk | Action::PrevHunk => {
            match next_run(&b.lines, b.selected, a == Action::NextHunk) {
                Some(i) => b.selected = i,
                None => state.info("No other operation in that direction"),
            }
        }
        Action::Open => {
            if let Some(op) = b.current().map(|l| l.op_id) {
                let store = b.store.clone();
                return history::show_op(state, store, op);
            }
        }
        Action::Diff => {
            if let Some(op) = b.current().map(|l| l.op_id) {
                let store = b.store.clone();
                return opdiff::open(state, store, None, op);
            }
        }
        Action::OpenEvidence => return evidence(state, 0),
        _ => {}
    }
    if let Some(b) = &mut state.blame
        && b.selected != before
    {
        b.detail_scroll = 0;
    }
    Vec::new()
}
