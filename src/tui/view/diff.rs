//! The diff pane: all width arithmetic in one place. Side-by-side with equal columns capped at
//! the longest line, a single column for added or deleted files, unified when narrow or toggled;
//! lines wrap with a `↪` continuation marker. Only the rows from the scroll position down to the
//! bottom of the pane are laid out.

use std::ops::Range;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use unicode_width::UnicodeWidthChar;

use super::{Theme, block};
use crate::diff::LineTag;
use crate::tui::doc::{DiffDoc, DiffFile, doc};
use crate::tui::rows::{HunkHead, Row, Side, URow};
use crate::tui::state::{Screen, State};

/// `text` split into lines of at most `width` columns (at most `max` lines), each a list of
/// `(piece, emphasized)`.
pub fn wrap(
    text: &str,
    emph: &[Range<usize>],
    width: usize,
    max: usize,
) -> Vec<Vec<(String, bool)>> {
    let width = width.max(1);
    let mut lines: Vec<Vec<(String, bool)>> = vec![Vec::new()];
    let mut col = 0;
    let mut e = 0;
    for (i, c) in text.char_indices() {
        while e < emph.len() && emph[e].end <= i {
            e += 1;
        }
        let on = emph.get(e).is_some_and(|r| r.contains(&i));
        let cw = c.width().unwrap_or(0);
        if col + cw > width && col > 0 {
            if lines.len() == max {
                return lines;
            }
            lines.push(Vec::new());
            col = 0;
        }
        let line = lines
            .last_mut()
            .expect("lines starts non-empty and only grows");
        match line.last_mut() {
            Some((s, flag)) if *flag == on => s.push(c),
            _ => line.push((c.to_string(), on)),
        }
        col += cw;
    }
    lines
}

/// How many lines `text` takes wrapped at `width` columns.
pub fn wrapped_len(text: &str, width: usize) -> usize {
    let width = width.max(1);
    let (mut lines, mut col) = (1, 0);
    for c in text.chars() {
        let cw = c.width().unwrap_or(0);
        if col + cw > width && col > 0 {
            lines += 1;
            col = 0;
        }
        col += cw;
    }
    lines
}

fn digits(n: usize) -> usize {
    n.max(1).to_string().len()
}

/// The diff pane's columns for one file: all width arithmetic in one place.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Geometry {
    /// One column of unified rows (narrow, toggled, or an added or deleted file).
    pub unified: bool,
    /// Added or deleted file: one line number, one side.
    pub single: bool,
    /// Digits of the largest line number.
    pub gutter: usize,
    /// Width of the pane inside its border, after the current-hunk marker column.
    pub width: usize,
    /// Side by side: content columns per side (equal, capped at the longest line).
    pub content: usize,
    /// Unified: content columns after the gutter and sign.
    pub unified_content: usize,
}

pub fn geometry(state: &State, f: &dyn DiffFile) -> Geometry {
    let files = doc(state).map_or(0, DiffDoc::len);
    let pane = super::layout(state.width, state.height, Screen::Review, files).diff;
    let width = usize::from(pane.width.saturating_sub(3));
    let single = f.single();
    let diff = f.view();
    let gutter = digits(diff.max_line_no);
    let unified = single || state.unified();
    let half = width.saturating_sub(1) / 2;
    let content = half
        .saturating_sub(gutter + 2)
        .min(diff.left_width.max(diff.right_width).max(1));
    let used = if single { gutter + 2 } else { gutter * 2 + 3 };
    Geometry {
        unified,
        single,
        gutter,
        width,
        content,
        unified_content: width.saturating_sub(used),
    }
}

/// Screen lines row `idx` takes once wrapped.
pub fn row_height(g: &Geometry, f: &dyn DiffFile, idx: usize) -> usize {
    if g.unified {
        match f.view().unified.get(idx) {
            Some(URow::Line { side, .. }) => wrapped_len(&side.text, g.unified_content),
            _ => 1,
        }
    } else {
        match f.view().rows.get(idx) {
            Some(Row::Line { left, right, .. }) => {
                let h =
                    |s: &Option<Side>| s.as_ref().map_or(1, |s| wrapped_len(&s.text, g.content));
                h(left).max(h(right))
            }
            _ => 1,
        }
    }
}

/// One column to paint: where, its gutter text, the line and how it is tagged.
struct Cell<'a> {
    x: u16,
    gutter: String,
    side: &'a Side,
    tag: LineTag,
    width: usize,
}

struct Painter<'a> {
    buf: &'a mut Buffer,
    area: Rect,
    y: u16,
    theme: Theme,
    current: usize,
    marker_x: u16,
}

impl Painter<'_> {
    fn room(&self) -> usize {
        usize::from(self.area.bottom().saturating_sub(self.y))
    }

    fn header(&mut self, h: &HunkHead, f: &dyn DiffFile) {
        let mut text = format!(
            "@@ -{},{} +{},{} @@  hunk {}/{}",
            h.old_start,
            h.old_len,
            h.new_start,
            h.new_len,
            h.hunk + 1,
            f.hunks(),
        );
        let label = f.hunk_label(h.hunk);
        if !label.is_empty() {
            text.push_str(" · ");
            text.push_str(label);
        }
        let style = if h.hunk == self.current {
            self.theme.selected()
        } else {
            self.theme.title()
        };
        let width = usize::from(self.area.width);
        self.buf
            .set_stringn(self.area.x, self.y, text, width, style);
        self.mark(h.hunk, self.y, 1);
        self.y += 1;
    }

    fn mark(&mut self, hunk: usize, y: u16, height: u16) {
        if hunk == self.current {
            for y in y..y + height {
                self.buf
                    .set_string(self.marker_x, y, "▎", self.theme.title());
            }
        }
    }

    /// Paints one column from wrapped line `skip` on; returns the lines it took.
    fn column(&mut self, cell: &Cell<'_>, skip: usize) -> usize {
        let (style, emph, sign) = match cell.tag {
            LineTag::Removed => (self.theme.removed(), self.theme.removed_emph(), "-"),
            LineTag::Added => (self.theme.added(), self.theme.added_emph(), "+"),
            LineTag::Context => (Style::new(), Style::new(), " "),
        };
        let room = self.room();
        let lines = wrap(&cell.side.text, &cell.side.emph, cell.width, room + skip);
        for (y, (k, pieces)) in (self.y..).zip(lines.iter().enumerate().skip(skip)) {
            let mut spans = Vec::with_capacity(pieces.len() + 2);
            if k == 0 {
                spans.push(Span::styled(cell.gutter.as_str(), self.theme.dim()));
                spans.push(Span::styled(format!(" {sign}"), style));
            } else {
                spans.push(Span::raw(" ".repeat(cell.gutter.chars().count())));
                spans.push(Span::styled(" ↪", self.theme.dim()));
            }
            for (s, on) in pieces {
                spans.push(Span::styled(s.as_str(), if *on { emph } else { style }));
            }
            let max = self.area.right().saturating_sub(cell.x);
            self.buf.set_line(cell.x, y, &Line::from(spans), max);
        }
        lines.len().saturating_sub(skip)
    }
}

fn num(n: Option<usize>, width: usize) -> String {
    n.map_or_else(|| " ".repeat(width), |n| format!("{n:>width$}"))
}

fn title(hunk: usize, file: &dyn DiffFile, unified: bool) -> String {
    format!(
        " {} · hunk {}/{} · {} {}",
        file.title(),
        (hunk + 1).min(file.hunks()),
        file.hunks(),
        if unified { "unified" } else { "side by side" },
        file.note()
    )
}

/// Paints the current file of `doc` into `area` (bordered, titled).
pub fn render(state: &State, doc: &dyn DiffDoc, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let Some(file) = doc.current() else { return };
    let cursor = doc.cursor();
    let geo = geometry(state, file);
    let outer = block(title(cursor.hunk, file, state.unified()), theme, true);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let diff = file.view();
    if diff.rows.is_empty() {
        let text = "No change to the content (a rename only).";
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
        return;
    }
    // Column 0 marks the current hunk; the rest is the diff.
    let mut pt = Painter {
        buf: frame.buffer_mut(),
        area: Rect::new(
            inner.x + 1,
            inner.y,
            inner.width.saturating_sub(1),
            inner.height,
        ),
        y: inner.y,
        theme,
        current: cursor.hunk,
        marker_x: inner.x,
    };
    if geo.unified {
        for (n, row) in diff.unified.iter().skip(cursor.scroll).enumerate() {
            if pt.room() == 0 {
                break;
            }
            match row {
                URow::Header(head) => pt.header(head, file),
                URow::Line { hunk, tag, side } => {
                    let (old, new) = match tag {
                        LineTag::Removed => (Some(side.no), None),
                        LineTag::Added => (None, Some(side.no)),
                        LineTag::Context => (Some(side.no), Some(side.no)),
                    };
                    let gutter = if geo.single {
                        num(old.or(new), geo.gutter)
                    } else {
                        format!("{} {}", num(old, geo.gutter), num(new, geo.gutter))
                    };
                    let cell = Cell {
                        x: pt.area.x,
                        gutter,
                        side,
                        tag: *tag,
                        width: geo.unified_content,
                    };
                    let skip = if n == 0 { cursor.skip } else { 0 };
                    let height = pt.column(&cell, skip).max(1) as u16;
                    pt.mark(*hunk, pt.y, height);
                    pt.y += height;
                }
            }
        }
        return;
    }
    let right_x = pt.area.x + (geo.gutter + 2 + geo.content) as u16 + 1;
    for (n, row) in diff.rows.iter().skip(cursor.scroll).enumerate() {
        if pt.room() == 0 {
            break;
        }
        match row {
            Row::Header(head) => pt.header(head, file),
            Row::Line {
                hunk,
                changed,
                left,
                right,
            } => {
                let (lt, rt) = if *changed {
                    (LineTag::Removed, LineTag::Added)
                } else {
                    (LineTag::Context, LineTag::Context)
                };
                let skip = if n == 0 { cursor.skip } else { 0 };
                let mut height = 1;
                for (x, side, tag) in [(pt.area.x, left, lt), (right_x, right, rt)] {
                    if let Some(side) = side {
                        let cell = Cell {
                            x,
                            gutter: num(Some(side.no), geo.gutter),
                            side,
                            tag,
                            width: geo.content,
                        };
                        height = height.max(pt.column(&cell, skip));
                    }
                }
                let height = height.min(pt.room()) as u16;
                for y in pt.y..pt.y + height {
                    pt.buf.set_string(right_x - 1, y, "│", theme.dim());
                }
                pt.mark(*hunk, pt.y, height);
                pt.y += height;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn wrapping_respects_wide_characters_and_the_line_limit() {
        let lines = wrap("世界世界世", &[], 4, 10);
        let shown: Vec<String> = lines
            .iter()
            .map(|l| l.iter().map(|(s, _)| s.as_str()).collect())
            .collect();
        assert_eq!(shown, ["世界", "世界", "世"]);
        assert!(shown.iter().all(|s| s.width() <= 4));
        assert_eq!(wrap(&"x".repeat(5_000), &[], 10, 3).len(), 3);
    }

    #[test]
    fn emphasis_survives_wrapping() {
        let emph: Vec<Range<usize>> = std::iter::once(2..4).collect();
        let lines = wrap("abcdef", &emph, 3, 5);
        assert_eq!(
            lines,
            vec![
                vec![("ab".to_owned(), false), ("c".to_owned(), true)],
                vec![("d".to_owned(), true), ("ef".to_owned(), false)],
            ]
        );
    }
}
