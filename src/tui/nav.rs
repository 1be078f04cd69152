//! Moving through a diff document (a review or an operation diff, see `doc`): scrolling the
//! diff (row by row, and wrapped line by wrapped line inside a long row), hunk and file jumps,
//! the layout toggle, and keeping the place across a reload. Pure; the pane geometry comes from
//! the view's one layout.

use super::doc::{DiffDoc, DiffFile, doc, doc_mut};
use super::state::{Review, Screen, State};
use super::view;
use super::view::diff::{geometry, row_height};

/// Diff lines visible in the diff pane.
pub fn diff_page(state: &State) -> usize {
    let files = doc(state).map_or(0, DiffDoc::len);
    let areas = view::layout(state.width, state.height, Screen::Review, files);
    usize::from(areas.diff.height.saturating_sub(2)).max(1)
}

fn row_count(state: &State, f: &dyn DiffFile) -> usize {
    if geometry(state, f).unified {
        f.view().unified.len()
    } else {
        f.view().rows.len()
    }
}

fn hunk_rows<'a>(state: &State, f: &'a dyn DiffFile) -> &'a [usize] {
    if geometry(state, f).unified {
        &f.view().hunk_urows
    } else {
        &f.view().hunk_rows
    }
}

fn hunk_row(state: &State, f: &dyn DiffFile, hunk: usize) -> usize {
    hunk_rows(state, f).get(hunk).copied().unwrap_or(0)
}

/// The hunk shown at the top of the diff pane.
fn hunk_at(state: &State, f: &dyn DiffFile, row: usize) -> usize {
    hunk_rows(state, f)
        .iter()
        .rposition(|r| *r <= row)
        .unwrap_or(0)
}

/// Applies `change` to the cursor of the current document.
fn edit(state: &mut State, change: impl FnOnce(&mut super::doc::Cursor)) {
    if let Some(d) = doc_mut(state) {
        let mut c = d.cursor();
        change(&mut c);
        d.set_cursor(c);
    }
}

pub fn clamp_scroll(state: &mut State) {
    let Some(f) = doc(state).and_then(DiffDoc::current) else {
        return;
    };
    let max = row_count(state, f).saturating_sub(1);
    edit(state, |c| {
        if c.scroll > max {
            c.scroll = max;
            c.skip = 0;
        }
    });
}

/// A freshly loaded proposal: keep the place when it is the one already open.
pub fn loaded(state: &mut State, mut new: Review) {
    if state.screen != Screen::Review {
        return;
    }
    if let Some(old) = &state.review
        && old.proposal.id == new.proposal.id
    {
        let seq = old.current().map(|f| f.change.seq);
        new.file = seq
            .and_then(|s| new.files.iter().position(|f| f.change.seq == s))
            .unwrap_or(0);
        new.hunk = old.hunk;
        new.scroll = old.scroll;
        new.skip = old.skip;
        new.toggle_layout = old.toggle_layout;
        new.detail_scroll = old.detail_scroll;
        for f in &mut new.files {
            if let Some(o) = old.files.iter().find(|o| o.change.id == f.change.id) {
                f.undo.clone_from(&o.undo);
            }
        }
    }
    state.review = Some(new);
    if state
        .status
        .as_ref()
        .is_some_and(|s| s.text.starts_with("Loading"))
    {
        state.status = None;
    }
    if let Some(r) = &mut state.review {
        let hunks = r.current().map_or(1, |f| f.hunks);
        r.hunk = r.hunk.min(hunks.saturating_sub(1));
    }
    clamp_scroll(state);
}

/// Puts `row` at the top of the pane and makes its hunk current.
pub fn scroll_to(state: &mut State, row: usize) {
    let Some(f) = doc(state).and_then(DiffDoc::current) else {
        return;
    };
    let row = row.min(row_count(state, f).saturating_sub(1));
    let hunk = hunk_at(state, f, row);
    edit(state, |c| {
        c.scroll = row;
        c.skip = 0;
        c.hunk = hunk;
    });
}

/// One wrapped line down.
pub fn line_down(state: &mut State) {
    let Some(d) = doc(state) else { return };
    let Some(f) = d.current() else { return };
    let c = d.cursor();
    let height = row_height(&geometry(state, f), f, c.scroll);
    if c.skip + 1 < height {
        edit(state, |c| c.skip += 1);
    } else if c.scroll + 1 < row_count(state, f) {
        scroll_to(state, c.scroll + 1);
    }
}

/// One wrapped line up.
pub fn line_up(state: &mut State) {
    let Some(c) = doc(state).map(DiffDoc::cursor) else {
        return;
    };
    if c.skip > 0 {
        edit(state, |c| c.skip -= 1);
    } else if c.scroll > 0 {
        scroll_to(state, c.scroll - 1);
    }
}

/// To the next or previous hunk, crossing into the next or previous file.
pub fn go_hunk(state: &mut State, forward: bool) {
    let Some(d) = doc(state) else { return };
    let Some(f) = d.current() else { return };
    let c = d.cursor();
    let (file, hunk, files) = (c.file, c.hunk, d.len());
    let target = if forward {
        if hunk + 1 < f.hunks() {
            Some((file, hunk + 1))
        } else if file + 1 < files {
            Some((file + 1, 0))
        } else {
            None
        }
    } else if hunk > 0 {
        Some((file, hunk - 1))
    } else if file > 0 {
        Some((
            file - 1,
            d.file(file - 1)
                .map_or(1, DiffFile::hunks)
                .saturating_sub(1),
        ))
    } else {
        None
    };
    let Some((file, hunk)) = target else {
        state.info(if forward { "Last hunk" } else { "First hunk" });
        return;
    };
    let row = d.file(file).map_or(0, |f| hunk_row(state, f, hunk));
    edit(state, |c| {
        *c = super::doc::Cursor {
            file,
            hunk,
            scroll: row,
            skip: 0,
        };
    });
}

/// After accepting a hunk, on to the next hunk of the same file, if any.
pub fn next_hunk_in_file(state: &mut State) {
    let Some(d) = doc(state) else { return };
    let Some(f) = d.current() else { return };
    if d.cursor().hunk + 1 < f.hunks() {
        go_hunk(state, true);
    }
}

pub fn go_file(state: &mut State, forward: bool) {
    let last = doc(state).map_or(0, |d| d.len().saturating_sub(1));
    edit(state, |c| {
        let file = if forward {
            (c.file + 1).min(last)
        } else {
            c.file.saturating_sub(1)
        };
        *c = super::doc::Cursor {
            file,
            ..Default::default()
        };
    });
}

/// Side by side ↔ unified, keeping the current hunk at the top.
pub fn toggle_layout(state: &mut State) {
    if let Some(d) = doc_mut(state) {
        let on = d.toggled();
        d.set_toggled(!on);
    }
    let Some(d) = doc(state) else { return };
    let Some(f) = d.current() else { return };
    let row = hunk_row(state, f, d.cursor().hunk);
    scroll_to(state, row);
    let shown = if state.unified() {
        "unified"
    } else {
        "side by side"
    };
    state.info(format!("Diff {shown}"));
}
