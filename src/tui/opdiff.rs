//! The operation diff screen's state and its part of `update`: the files that differ between
//! two operations of a store (or an operation and its parent: what it changed), read-only, moved
//! through like a review — scroll, `J`/`K` hunks, `Tab` files, `t` layout — with the same diff
//! pane. Pure; the diff itself is computed by the core in the worker (`Effect::LoadOpDiff`).

use crate::diff::LineTag;
use crate::model::{Operation, VersionKind};
use crate::sanitize;

use super::action::Action;
use super::doc::{Cursor, DiffDoc, DiffFile};
use super::effect::Effect;
use super::rows::{self, DiffView, URow};
use super::state::{Screen, State};
use super::{blame, nav};

/// One file that differs between the two states.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpFile {
    /// `None`: the file does not exist on that side.
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub kind: VersionKind,
    pub diff: DiffView,
    pub hunks: usize,
    pub added: usize,
    pub removed: usize,
}

impl OpFile {
    /// The display rows of `old → new` for a file at `old_path` → `new_path`.
    pub fn new(old_path: Option<String>, new_path: Option<String>, old: &str, new: &str) -> Self {
        let kind = match (&old_path, &new_path) {
            (None, _) => VersionKind::Created,
            (_, None) => VersionKind::Deleted,
            (Some(a), Some(b)) if a != b => VersionKind::Renamed,
            _ => VersionKind::Modified,
        };
        let diff = rows::build(old, new);
        let count = |tag: LineTag| {
            diff.unified
                .iter()
                .filter(|r| matches!(r, URow::Line { tag: t, .. } if *t == tag))
                .count()
        };
        Self {
            added: count(LineTag::Added),
            removed: count(LineTag::Removed),
            hunks: diff.hunk_rows.len().max(1),
            kind,
            old_path,
            new_path,
            diff,
        }
    }

    /// The path on the newer side (the older one for a deleted file).
    pub fn path(&self) -> &str {
        self.new_path
            .as_deref()
            .or(self.old_path.as_deref())
            .unwrap_or_default()
    }
}

/// The diff between the states after `from` (`None`: the empty store) and after `to`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpDiff {
    pub store: String,
    pub from: Option<Operation>,
    pub to: Operation,
    pub files: Vec<OpFile>,
    pub cursor: Cursor,
    pub toggle_layout: bool,
}

impl DiffFile for OpFile {
    fn view(&self) -> &DiffView {
        &self.diff
    }
    fn hunks(&self) -> usize {
        self.hunks
    }
    fn single(&self) -> bool {
        matches!(self.kind, VersionKind::Created | VersionKind::Deleted)
    }
    fn title(&self) -> String {
        let path = match (&self.old_path, &self.new_path) {
            (Some(a), Some(b)) if a != b => {
                format!("{} → {}", sanitize::line(a), sanitize::line(b))
            }
            _ => sanitize::line(self.path()),
        };
        format!("{path} · {}", self.kind.as_str())
    }
}

impl DiffDoc for OpDiff {
    fn len(&self) -> usize {
        self.files.len()
    }
    fn file(&self, i: usize) -> Option<&dyn DiffFile> {
        self.files.get(i).map(|f| f as &dyn DiffFile)
    }
    fn cursor(&self) -> Cursor {
        self.cursor
    }
    fn set_cursor(&mut self, c: Cursor) {
        self.cursor = c;
    }
    fn toggled(&self) -> bool {
        self.toggle_layout
    }
    fn set_toggled(&mut self, on: bool) {
        self.toggle_layout = on;
    }
}

/// Opens the diff screen and asks for the diff of `from` → `to` (`from` `None`: `to`'s parent).
pub fn open(state: &mut State, store: String, from: Option<i64>, to: i64) -> Vec<Effect> {
    if state.screen != Screen::Diff {
        state.trail.push(state.screen);
    }
    state.screen = Screen::Diff;
    state.op_diff = None;
    let what = from.map_or_else(
        || format!("what operation #{to} changed"),
        |f| format!("#{f} → #{to}"),
    );
    state.info(format!("Loading the diff of {what}…"));
    vec![Effect::LoadOpDiff { store, from, to }]
}

pub fn loaded(state: &mut State, mut new: OpDiff) {
    if state.screen != Screen::Diff {
        return;
    }
    if let Some(old) = &state.op_diff {
        new.toggle_layout = old.toggle_layout;
    }
    let n = new.files.len();
    state.op_diff = Some(new);
    state.info(if n == 0 {
        "No file differs between these two states".to_owned()
    } else {
        format!("{n} file(s) differ")
    });
}

/// Leaves a diff or blame screen for the screen it was opened from.
pub fn back(state: &mut State) {
    state.screen = state.trail.pop().unwrap_or(Screen::History);
    if state.screen != Screen::Diff {
        state.op_diff = None;
    }
}

pub fn action(state: &mut State, a: Action) -> Vec<Effect> {
    match a {
        Action::Back => back(state),
        Action::Down => nav::line_down(state),
        Action::Up => nav::line_up(state),
        Action::PageDown => (0..nav::diff_page(state)).for_each(|_| nav::line_down(state)),
        Action::PageUp => (0..nav::diff_page(state)).for_each(|_| nav::line_up(state)),
        Action::Top => nav::scroll_to(state, 0),
        Action::Bottom => nav::scroll_to(state, usize::MAX),
        Action::NextHunk => nav::go_hunk(state, true),
        Action::PrevHunk => nav::go_hunk(state, false),
        Action::NextFile => nav::go_file(state, true),
        Action::PrevFile => nav::go_file(state, false),
        Action::ToggleLayout => nav::toggle_layout(state),
        Action::Blame => {
            let Some(d) = &state.op_diff else {
                return Vec::new();
            };
            let Some(f) = d.files.get(d.cursor.file) else {
                return Vec::new();
            };
            let Some(path) = f.new_path.clone() else {
                state.error("The file is deleted on the newer side: nothing to blame");
                return Vec::new();
            };
            let (store, at) = (d.store.clone(), d.to.id);
            return blame::open(state, store, path, Some(at));
        }
        _ => {}
    }
    Vec::new()
}
