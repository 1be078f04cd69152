//! The diff document: what the diff pane (`view/diff.rs`) and its navigation (`nav.rs`) need
//! from whatever shows diffs — a proposal under review or the diff between two operations — so
//! both share one painter and one set of moves. Plain data access; no IO, no drawing.

use super::rows::DiffView;
use super::state::{FileReview, Review, Screen, State};

/// Where the reader is in a diff document.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Cursor {
    pub file: usize,
    pub hunk: usize,
    /// First visible diff row.
    pub scroll: usize,
    /// Wrapped lines of that row scrolled past.
    pub skip: usize,
}

/// One file of a diff document.
pub trait DiffFile {
    fn view(&self) -> &DiffView;
    /// Hunks a reader can jump between.
    fn hunks(&self) -> usize;
    /// An added or deleted file: one column.
    fn single(&self) -> bool;
    /// The pane title's start: `path → new path · kind` (sanitized).
    fn title(&self) -> String;
    /// A state shown after each hunk header (a review's verdict); empty for none.
    fn hunk_label(&self, _hunk: usize) -> &'static str {
        ""
    }
    /// Appended to the pane title (e.g. that an edit is shown).
    fn note(&self) -> &'static str {
        ""
    }
}

/// A list of file diffs with a cursor and a layout toggle.
pub trait DiffDoc {
    fn len(&self) -> usize;
    fn file(&self, i: usize) -> Option<&dyn DiffFile>;
    fn cursor(&self) -> Cursor;
    fn set_cursor(&mut self, c: Cursor);
    /// Flips the width-based choice between side-by-side and unified.
    fn toggled(&self) -> bool;
    fn set_toggled(&mut self, on: bool);

    fn current(&self) -> Option<&dyn DiffFile> {
        self.file(self.cursor().file)
    }
}

/// The document the current screen shows diffs of: the operation diff on its screen, else the
/// open review.
pub fn doc(state: &State) -> Option<&dyn DiffDoc> {
    match state.screen {
        Screen::Diff => state.op_diff.as_ref().map(|d| d as &dyn DiffDoc),
        _ => state.review.as_ref().map(|r| r as &dyn DiffDoc),
    }
}

pub fn doc_mut(state: &mut State) -> Option<&mut dyn DiffDoc> {
    match state.screen {
        Screen::Diff => state.op_diff.as_mut().map(|d| d as &mut dyn DiffDoc),
        _ => state.review.as_mut().map(|r| r as &mut dyn DiffDoc),
    }
}

impl DiffFile for FileReview {
    fn view(&self) -> &DiffView {
        &self.diff
    }
    fn hunks(&self) -> usize {
        self.hunks
    }
    fn single(&self) -> bool {
        matches!(self.change.kind.as_str(), "create" | "delete")
    }
    fn title(&self) -> String {
        let c = &self.change;
        let mut t = crate::sanitize::line(&c.path);
        if let Some(new_path) = &c.new_path {
            t.push_str(" → ");
            t.push_str(&crate::sanitize::line(new_path));
        }
        format!("{t} · {}", c.kind)
    }
    fn hunk_label(&self, hunk: usize) -> &'static str {
        match self.verdict(hunk) {
            Some(crate::review::Verdict::Accept) => "✓ accepted",
            Some(crate::review::Verdict::Reject) => "✗ rejected",
            None => "○ undecided",
        }
    }
    fn note(&self) -> &'static str {
        if matches!(self.resolution, crate::review::Resolution::Edited(_)) {
            "· showing your edit "
        } else {
            ""
        }
    }
}

impl DiffDoc for Review {
    fn len(&self) -> usize {
        self.files.len()
    }
    fn file(&self, i: usize) -> Option<&dyn DiffFile> {
        self.files.get(i).map(|f| f as &dyn DiffFile)
    }
    fn cursor(&self) -> Cursor {
        Cursor {
            file: self.file,
            hunk: self.hunk,
            scroll: self.scroll,
            skip: self.skip,
        }
    }
    fn set_cursor(&mut self, c: Cursor) {
        if c.file != self.file {
            self.detail_scroll = 0;
        }
        self.file = c.file;
        self.hunk = c.hunk;
        self.scroll = c.scroll;
        self.skip = c.skip;
    }
    fn toggled(&self) -> bool {
        self.toggle_layout
    }
    fn set_toggled(&mut self, on: bool) {
        self.toggle_layout = on;
    }
}
