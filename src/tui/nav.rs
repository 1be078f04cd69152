//! Moving through the review: scrolling the diff (row by row, and wrapped line by wrapped line
//! inside a long row), hunk and file jumps, the layout toggle, and keeping the place across a
//! reload. Pure; the pane geometry comes from the view's one layout.

use super::state::{FileReview, Review, Screen, State};
use super::view;
use super::view::diff::{geometry, row_height};

/// Diff lines visible in the diff pane.
pub fn diff_page(state: &State) -> usize {
    let files = state.review.as_ref().map_or(0, |r| r.files.len());
    let areas = view::layout(state.width, state.height, Screen::Review, files);
    usize::from(areas.diff.height.saturating_sub(2)).max(1)
}

fn row_count(state: &State, f: &FileReview) -> usize {
    if geometry(state, f).unified {
        f.diff.unified.len()
    } else {
        f.diff.rows.len()
    }
}

fn hunk_rows<'a>(state: &State, f: &'a FileReview) -> &'a [usize] {
    if geometry(state, f).unified {
        &f.diff.hunk_urows
    } else {
        &f.diff.hunk_rows
    }
}

fn hunk_row(state: &State, f: &FileReview, hunk: usize) -> usize {
    hunk_rows(state, f).get(hunk).copied().unwrap_or(0)
}

/// The hunk shown at the top of the diff pane.
fn hunk_at(state: &State, f: &FileReview, row: usize) -> usize {
    hunk_rows(state, f)
        .iter()
        .rposition(|r| *r <= row)
        .unwrap_or(0)
}

pub fn clamp_scroll(state: &mut State) {
    let Some(f) = state.review.as_ref().and_then(Review::current) else {
        return;
    };
    let max = row_count(state, f).saturating_sub(1);
    if let Some(r) = &mut state.review
        && r.scroll > max
    {
        r.scroll = max;
        r.skip = 0;
    }
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
    let Some(f) = state.review.as_ref().and_then(Review::current) else {
        return;
    };
    let row = row.min(row_count(state, f).saturating_sub(1));
    let hunk = hunk_at(state, f, row);
    if let Some(r) = &mut state.review {
        r.scroll = row;
        r.skip = 0;
        r.hunk = hunk;
    }
}

/// One wrapped line down.
pub fn line_down(state: &mut State) {
    let Some(r) = &state.review else { return };
    let Some(f) = r.current() else { return };
    let height = row_height(&geometry(state, f), f, r.scroll);
    if r.skip + 1 < height {
        if let Some(r) = &mut state.review {
            r.skip += 1;
        }
    } else if r.scroll + 1 < row_count(state, f) {
        let next = r.scroll + 1;
        scroll_to(state, next);
    }
}

/// One wrapped line up.
pub fn line_up(state: &mut State) {
    let Some(r) = &state.review else { return };
    if r.skip > 0 {
        if let Some(r) = &mut state.review {
            r.skip -= 1;
        }
    } else if r.scroll > 0 {
        let prev = r.scroll - 1;
        scroll_to(state, prev);
    }
}

/// To the next or previous hunk, crossing into the next or previous file.
pub fn go_hunk(state: &mut State, forward: bool) {
    let Some(r) = &state.review else { return };
    let Some(f) = r.current() else { return };
    let (file, hunk, files) = (r.file, r.hunk, r.files.len());
    let target = if forward {
        if hunk + 1 < f.hunks {
            Some((file, hunk + 1))
        } else if file + 1 < files {
            Some((file + 1, 0))
        } else {
            None
        }
    } else if hunk > 0 {
        Some((file, hunk - 1))
    } else if file > 0 {
        Some((file - 1, r.files[file - 1].hunks.saturating_sub(1)))
    } else {
        None
    };
    let Some((file, hunk)) = target else {
        state.info(if forward { "Last hunk" } else { "First hunk" });
        return;
    };
    let row = hunk_row(state, &r.files[file], hunk);
    if let Some(r) = &mut state.review {
        r.file = file;
        r.hunk = hunk;
        r.scroll = row;
        r.skip = 0;
    }
}

/// After accepting a hunk, on to the next hunk of the same file, if any.
pub fn next_hunk_in_file(state: &mut State) {
    let Some(r) = &state.review else { return };
    let Some(f) = r.current() else { return };
    if r.hunk + 1 < f.hunks {
        go_hunk(state, true);
    }
}

pub fn go_file(state: &mut State, forward: bool) {
    if let Some(r) = &mut state.review {
        r.file = if forward {
            (r.file + 1).min(r.files.len().saturating_sub(1))
        } else {
            r.file.saturating_sub(1)
        };
        r.hunk = 0;
        r.scroll = 0;
        r.skip = 0;
        r.detail_scroll = 0;
    }
}

/// Side by side ↔ unified, keeping the current hunk at the top.
pub fn toggle_layout(state: &mut State) {
    if let Some(r) = &mut state.review {
        r.toggle_layout = !r.toggle_layout;
    }
    let Some(r) = &state.review else { return };
    let Some(f) = r.current() else { return };
    let row = hunk_row(state, f, r.hunk);
    scroll_to(state, row);
    let shown = if state.unified() {
        "unified"
    } else {
        "side by side"
    };
    state.info(format!("Diff {shown}"));
}
