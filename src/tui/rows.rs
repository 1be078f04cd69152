//! Diff rows for display, pure and width-free: the core's hunks aligned into side-by-side rows
//! and unified lines, each line sanitized once, with word-level emphasis only for line pairs
//! that are similar enough (delta's rule). Painting and wrapping live in `view/diff.rs`.

use std::ops::Range;

use unicode_width::UnicodeWidthStr;

use crate::diff::{self, DiffLine, LineTag};
use crate::review::CONTEXT;
use crate::sanitize;

/// Emphasized byte ranges of a line.
pub type Ranges = Vec<Range<usize>>;

/// Pairs whose token edit distance exceeds this are shown without word emphasis.
pub const MAX_DISTANCE: f64 = 0.6;
/// Lines with more tokens than this are not word-diffed (the line colour still shows).
const MAX_TOKENS: usize = 4_000;
const TAB_WIDTH: usize = 4;
/// Appended to a last line that has no newline.
pub const NO_NEWLINE: &str = " ⟨no newline at end⟩";

/// One side of a row: a sanitized line, its number and its emphasized byte ranges.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Side {
    pub no: usize,
    pub text: String,
    pub emph: Vec<Range<usize>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HunkHead {
    pub hunk: usize,
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
}

/// A side-by-side row: a header, or a context line (both sides) or a changed pair (either side
/// may be missing).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Row {
    Header(HunkHead),
    Line {
        hunk: usize,
        changed: bool,
        left: Option<Side>,
        right: Option<Side>,
    },
}

/// A unified row: a header or one line, `tag` telling its side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum URow {
    Header(HunkHead),
    Line {
        hunk: usize,
        tag: LineTag,
        side: Side,
    },
}

/// A file's diff, ready to paint.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DiffView {
    pub rows: Vec<Row>,
    pub unified: Vec<URow>,
    /// Index in `rows` / `unified` of each hunk's header.
    pub hunk_rows: Vec<usize>,
    pub hunk_urows: Vec<usize>,
    /// Display width of the widest line on each side (column widths cap at it).
    pub left_width: usize,
    pub right_width: usize,
    /// The largest line number (gutter width).
    pub max_line_no: usize,
}

fn side(l: &DiffLine, no: Option<usize>) -> Side {
    let mut text = sanitize::text(&l.text, TAB_WIDTH);
    if !l.newline {
        text.push_str(NO_NEWLINE);
    }
    Side {
        no: no.unwrap_or(0),
        text,
        emph: Vec::new(),
    }
}

/// Words, runs of whitespace, and single other characters, as byte ranges.
fn tokens(s: &str) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::new();
    let class = |c: char| {
        if c.is_alphanumeric() || c == '_' {
            0
        } else if c.is_whitespace() {
            1
        } else {
            2
        }
    };
    let mut prev: Option<u8> = None;
    for (i, c) in s.char_indices() {
        let k = class(c);
        match (prev, out.last_mut()) {
            (Some(p), Some(last)) if p == k && k != 2 => last.end = i + c.len_utf8(),
            _ => out.push(i..i + c.len_utf8()),
        }
        prev = Some(k);
    }
    out
}

fn merge(ranges: Vec<Range<usize>>) -> Vec<Range<usize>> {
    let mut out: Vec<Range<usize>> = Vec::with_capacity(ranges.len());
    for r in ranges {
        match out.last_mut() {
            Some(last) if last.end == r.start => last.end = r.end,
            _ => out.push(r),
        }
    }
    out
}

/// Word emphasis for a removed/added pair, or none when the lines differ too much.
pub fn emphasis(old: &str, new: &str) -> Option<(Ranges, Ranges)> {
    let (a, b) = (tokens(old), tokens(new));
    if a.len() > MAX_TOKENS || b.len() > MAX_TOKENS {
        return None;
    }
    let sa: Vec<&str> = a.iter().map(|r| &old[r.clone()]).collect();
    let sb: Vec<&str> = b.iter().map(|r| &new[r.clone()]).collect();
    let ops = similar::capture_diff_slices(similar::Algorithm::Myers, &sa, &sb);
    let (mut ea, mut eb) = (Vec::new(), Vec::new());
    let mut changed = 0usize;
    for op in &ops {
        if matches!(op, similar::DiffOp::Equal { .. }) {
            continue;
        }
        for t in &a[op.old_range()] {
            changed += old[t.clone()].chars().count();
            ea.push(t.clone());
        }
        for t in &b[op.new_range()] {
            changed += new[t.clone()].chars().count();
            eb.push(t.clone());
        }
    }
    let total = old.chars().count() + new.chars().count();
    if total == 0 || changed as f64 / total as f64 > MAX_DISTANCE {
        return None;
    }
    Some((merge(ea), merge(eb)))
}

struct Builder {
    view: DiffView,
    dels: Vec<Side>,
    adds: Vec<Side>,
    hunk: usize,
}

impl Builder {
    fn flush(&mut self) {
        let (mut dels, mut adds) = (
            std::mem::take(&mut self.dels),
            std::mem::take(&mut self.adds),
        );
        let anchors = anchors(&mut dels, &mut adds);
        let hunk = self.hunk;
        for (tag, lines) in [(LineTag::Removed, &dels), (LineTag::Added, &adds)] {
            for side in lines {
                self.view.unified.push(URow::Line {
                    hunk,
                    tag,
                    side: side.clone(),
                });
            }
        }
        // Between anchors (similar pairs), what is left pairs up by position.
        let (mut dels, mut adds) = (dels.into_iter(), adds.into_iter());
        let (mut i, mut k) = (0, 0);
        for (ai, ak) in anchors.into_iter().chain([(usize::MAX, usize::MAX)]) {
            let left_n = ai.min(i + dels.len()) - i;
            let right_n = ak.min(k + adds.len()) - k;
            for n in 0..left_n.max(right_n) {
                let left = if n < left_n { dels.next() } else { None };
                let right = if n < right_n { adds.next() } else { None };
                self.pair(left, right);
            }
            i += left_n;
            k += right_n;
            if ai != usize::MAX {
                let (left, right) = (dels.next(), adds.next());
                self.pair(left, right);
                i += 1;
                k += 1;
            }
        }
    }

    fn pair(&mut self, left: Option<Side>, right: Option<Side>) {
        self.view.rows.push(Row::Line {
            hunk: self.hunk,
            changed: true,
            left,
            right,
        });
    }
}

/// Blocks larger than this pair by position only (the search is quadratic).
const MAX_SEARCH: usize = 64;

/// Finds similar removed/added pairs in order (delta's homologous lines), sets their word
/// emphasis, and returns their indices.
fn anchors(dels: &mut [Side], adds: &mut [Side]) -> Vec<(usize, usize)> {
    let mut out = Vec::new();
    if dels.len() > MAX_SEARCH || adds.len() > MAX_SEARCH {
        for (d, a) in dels.iter_mut().zip(adds.iter_mut()) {
            if let Some((ed, ea)) = emphasis(&d.text, &a.text) {
                d.emph = ed;
                a.emph = ea;
            }
        }
        return out;
    }
    let mut from = 0;
    for (i, d) in dels.iter_mut().enumerate() {
        for (k, a) in adds.iter_mut().enumerate().skip(from) {
            if let Some((ed, ea)) = emphasis(&d.text, &a.text) {
                d.emph = ed;
                a.emph = ea;
                out.push((i, k));
                from = k + 1;
                break;
            }
        }
    }
    out
}

/// The display rows of `old → new` (hunks with the core's context, as decisions count them).
pub fn build(old: &str, new: &str) -> DiffView {
    let mut b = Builder {
        view: DiffView::default(),
        dels: Vec::new(),
        adds: Vec::new(),
        hunk: 0,
    };
    for (i, h) in diff::hunks(old, new, CONTEXT).iter().enumerate() {
        b.flush();
        b.hunk = i;
        let head = HunkHead {
            hunk: i,
            old_start: h.old_start,
            old_len: h.old_len,
            new_start: h.new_start,
            new_len: h.new_len,
        };
        b.view.hunk_rows.push(b.view.rows.len());
        b.view.hunk_urows.push(b.view.unified.len());
        b.view.rows.push(Row::Header(head.clone()));
        b.view.unified.push(URow::Header(head));
        for l in &h.lines {
            b.view.max_line_no = b
                .view
                .max_line_no
                .max(l.old_line.unwrap_or(0))
                .max(l.new_line.unwrap_or(0));
            match l.tag {
                LineTag::Removed => {
                    if !b.adds.is_empty() {
                        b.flush();
                    }
                    b.dels.push(side(l, l.old_line));
                }
                LineTag::Added => b.adds.push(side(l, l.new_line)),
                LineTag::Context => {
                    b.flush();
                    let s = side(l, l.old_line);
                    let r = Side {
                        no: l.new_line.unwrap_or(0),
                        ..s.clone()
                    };
                    b.view.unified.push(URow::Line {
                        hunk: i,
                        tag: LineTag::Context,
                        side: Side {
                            no: l.new_line.unwrap_or(0),
                            ..s.clone()
                        },
                    });
                    b.view.rows.push(Row::Line {
                        hunk: i,
                        changed: false,
                        left: Some(s),
                        right: Some(r),
                    });
                }
            }
        }
    }
    b.flush();
    let mut view = b.view;
    for r in &view.rows {
        if let Row::Line { left, right, .. } = r {
            let w = |s: &Option<Side>| s.as_ref().map_or(0, |s| s.text.width());
            view.left_width = view.left_width.max(w(left));
            view.right_width = view.right_width.max(w(right));
        }
    }
    view
}
