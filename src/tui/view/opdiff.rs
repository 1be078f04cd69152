//! The operation diff screen: the files that differ (kind, path, lines added and removed), the
//! diff pane shared with the review screen, and the two operations compared. Read-only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Areas, Theme, block, diff, fit, inbox::when, window};
use crate::model::{Operation, VersionKind};
use crate::sanitize;
use crate::tui::opdiff::OpDiff;
use crate::tui::state::State;

fn mark(kind: VersionKind) -> &'static str {
    match kind {
        VersionKind::Created => "+",
        VersionKind::Modified => "~",
        VersionKind::Renamed => "→",
        VersionKind::Deleted => "-",
    }
}

pub fn render(state: &State, areas: &Areas, frame: &mut Frame<'_>, theme: Theme) {
    let Some(d) = &state.op_diff else {
        frame.render_widget(
            Paragraph::new("Working out the diff…").block(block(" Diff ".into(), theme, true)),
            areas.body,
        );
        return;
    };
    files(d, areas.list, frame, theme);
    if d.files.is_empty() {
        frame.render_widget(
            Paragraph::new(Span::styled(
                "No file differs between these two states (a tag, or a rollback to the same \
                 state).",
                theme.dim(),
            ))
            .wrap(Wrap { trim: false })
            .block(block(" Diff ".into(), theme, true)),
            areas.diff,
        );
    } else {
        diff::render(state, d, areas.diff, frame, theme);
    }
    detail(d, areas.detail, frame, theme);
}

fn files(d: &OpDiff, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let outer = block(format!(" Files ({}) ", d.files.len()), theme, false);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let page = usize::from(inner.height);
    let off = window(0, d.cursor.file, page, d.files.len());
    let w = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (i, f) in d.files.iter().enumerate().skip(off).take(page) {
        let counts = format!("+{} −{}", f.added, f.removed);
        let count_w = if w >= 30 {
            counts.chars().count() + 1
        } else {
            0
        };
        let text = format!(
            "{}{} {}{}",
            if i == d.cursor.file { "▶" } else { " " },
            mark(f.kind),
            fit(&sanitize::line(f.path()), w.saturating_sub(3 + count_w)),
            if count_w > 0 {
                format!(" {counts}")
            } else {
                String::new()
            },
        );
        let style = if i == d.cursor.file {
            theme.selected()
        } else {
            Style::new()
        };
        buf.set_stringn(inner.x, inner.y + (i - off) as u16, text, w, style);
    }
}

/// `#4 apply by dana at 2026-11-14 10:04 · dream #3 reviewed`.
fn op_summary(op: &Operation) -> String {
    let mut s = format!(
        "#{} {} by {} at {}",
        op.id,
        sanitize::line(&op.kind),
        sanitize::line(&op.actor),
        when(&op.at)
    );
    if !op.reason.is_empty() {
        s.push_str(" · ");
        s.push_str(&sanitize::line(&op.reason));
    }
    s
}

fn detail(d: &OpDiff, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let from = d.from.as_ref().map_or_else(
        || "the empty store (before the first operation)".to_owned(),
        op_summary,
    );
    let (added, removed) = d
        .files
        .iter()
        .fold((0, 0), |(a, r), f| (a + f.added, r + f.removed));
    let lines = vec![
        Line::from(vec![Span::styled("From ", theme.dim()), Span::raw(from)]),
        Line::from(vec![
            Span::styled("To   ", theme.dim()),
            Span::raw(op_summary(&d.to)),
        ]),
        Line::from(Span::styled(
            format!(
                "{} file(s) differ · +{added} −{removed} lines · read-only: R on History rolls back",
                d.files.len()
            ),
            theme.dim(),
        )),
    ];
    let title = match &d.from {
        Some(f) if Some(f.id) != d.to.parent_id => format!(" #{} → #{} ", f.id, d.to.id),
        _ => format!(" What operation #{} changed ", d.to.id),
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(title, theme, false)),
        area,
    );
}
