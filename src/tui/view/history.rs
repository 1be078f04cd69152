//! The history screen: a store's operations as a timeline (kind, time, actor, files, reason,
//! tags, what a rollback restored) with the selected operation's files — or, while a rollback
//! is being prepared, what it would change. A standing hint says how to roll back.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Areas, Theme, block, fit, inbox::when, window};
use crate::model::{OpDetail, VersionKind};
use crate::sanitize;
use crate::tui::state::State;

fn touch_mark(kind: VersionKind) -> &'static str {
    match kind {
        VersionKind::Created => "+",
        VersionKind::Modified => "~",
        VersionKind::Renamed => "→",
        VersionKind::Deleted => "-",
    }
}

/// `#12 apply  11-25 09:14  tester  3 files  reason [tag] ↺ #5`.
fn op_line(o: &OpDetail, width: usize) -> String {
    let op = &o.op;
    let mut extra = String::new();
    for t in &op.tags {
        let _ = write!(extra, "[{}] ", sanitize::line(t));
    }
    if let Some(r) = op.restores_op_id {
        let _ = write!(extra, "↺ #{r} ");
    }
    let head = format!(
        "{} {} {} {} {} ",
        fit(&format!("#{}", op.id), 5),
        fit(&sanitize::line(&op.kind), 10),
        fit(&when(&op.at), 16),
        fit(&sanitize::line(&op.actor), 10),
        fit(&format!("{} file(s)", op.files_changed), 10),
    );
    let rest = width.saturating_sub(unicode_width::UnicodeWidthStr::width(head.as_str()));
    format!(
        "{head}{}",
        fit(&format!("{extra}{}", sanitize::line(&op.reason)), rest)
    )
}

pub fn render(state: &State, areas: &Areas, frame: &mut Frame<'_>, theme: Theme) {
    let Some(h) = &state.history else {
        frame.render_widget(
            Paragraph::new("Loading the operation log…").block(block(
                " History ".into(),
                theme,
                true,
            )),
            areas.body,
        );
        return;
    };
    let outer = block(format!(" Operations ({}) ", h.ops.len()), theme, true);
    let inner = outer.inner(areas.list);
    frame.render_widget(outer, areas.list);
    let hint = "↺ To undo a change: select the last good operation and press R";
    let buf = frame.buffer_mut();
    buf.set_stringn(
        inner.x,
        inner.y,
        hint,
        usize::from(inner.width),
        theme.warn(),
    );
    let page = usize::from(inner.height.saturating_sub(1));
    let off = window(0, h.selected, page, h.ops.len());
    let w = usize::from(inner.width).saturating_sub(1);
    for (i, o) in h.ops.iter().enumerate().skip(off).take(page) {
        let y = inner.y + 1 + (i - off) as u16;
        let sel = i == h.selected;
        let style = if sel { theme.selected() } else { Style::new() };
        let line = Line::from(vec![
            Span::styled(if sel { "▶" } else { " " }, style.patch(theme.key())),
            Span::styled(op_line(o, w), style),
        ]);
        buf.set_line(inner.x, y, &line, inner.width);
    }
    detail(state, areas, frame, theme);
}

fn detail(state: &State, areas: &Areas, frame: &mut Frame<'_>, theme: Theme) {
    let Some(h) = &state.history else { return };
    let Some(o) = h.ops.get(h.selected) else {
        frame.render_widget(
            Paragraph::new("No operations yet.").block(block(" Operation ".into(), theme, false)),
            areas.detail,
        );
        return;
    };
    let (title, lines) = if let Some(preview) = &h.preview {
        let lines: Vec<Line<'static>> = preview
            .iter()
            .map(|l| Line::raw(sanitize::line(l)))
            .collect();
        (format!(" Rolling back to #{} changes ", o.op.id), lines)
    } else {
        let op = &o.op;
        let mut lines = vec![
            Line::from(vec![
                Span::styled(format!("{} ", sanitize::line(&op.kind)), theme.key()),
                Span::raw(format!(
                    "by {} at {}",
                    sanitize::line(&op.actor),
                    when(&op.at)
                )),
            ]),
            Line::raw(format!("Reason: {}", sanitize::line(&op.reason))),
        ];
        if let (Some(d), Some(p)) = (op.dream_id, op.proposal_id) {
            lines.push(Line::raw(format!("From dream #{d}, proposal #{p}")));
        }
        if let Some(r) = op.restores_op_id {
            lines.push(Line::raw(format!("Restores the state of operation #{r}")));
        }
        lines.push(Line::styled(
            format!("root {}", op.root_hash.get(..16).unwrap_or(&op.root_hash)),
            theme.dim(),
        ));
        for f in &o.files {
            let path = match &f.old_path {
                Some(old) if *old != f.path => {
                    format!("{} → {}", sanitize::line(old), sanitize::line(&f.path))
                }
                _ => sanitize::line(&f.path),
            };
            lines.push(Line::raw(format!("{} {path}", touch_mark(f.kind))));
        }
        (format!(" Operation #{} ", op.id), lines)
    };
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(title, theme, false)),
        areas.detail,
    );
}
