//! The history screen: a store's operations as a timeline (kind, time, actor, files, tags,
//! what a rollback restored, reason; the operation marked for a diff) with the selected
//! operation's files — or, while a rollback is being prepared, what it would change. A standing
//! hint says how to roll back.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{Areas, Theme, block, fit, inbox::when, window};
use crate::model::{OpDetail, VersionKind};
use crate::sanitize;
use crate::tui::action::Action;
use crate::tui::keymap::Mode;
use crate::tui::state::State;

fn touch_mark(kind: VersionKind) -> &'static str {
    match kind {
        VersionKind::Created => "+",
        VersionKind::Modified => "~",
        VersionKind::Renamed => "→",
        VersionKind::Deleted => "-",
    }
}

/// `#12 apply  11-25 09:14  tester  3 files  [tag] ↺ #5 reason`, as spans: tags stand out.
fn op_line(o: &OpDetail, width: usize, base: Style, theme: Theme) -> Vec<Span<'static>> {
    let op = &o.op;
    let head = format!(
        "{} {} {} {} {} ",
        fit(&format!("#{}", op.id), 5),
        fit(&sanitize::line(&op.kind), 10),
        fit(&when(&op.at), 16),
        fit(&sanitize::line(&op.actor), 10),
        fit(&format!("{} file(s)", op.files_changed), 10),
    );
    let mut rest = width.saturating_sub(head.width());
    let mut spans = vec![Span::styled(head, base)];
    let mut tags = String::new();
    for t in &op.tags {
        let _ = write!(tags, "[{}] ", sanitize::line(t));
    }
    if !tags.is_empty() {
        let tags = fit(&tags, rest.min(tags.width()));
        rest = rest.saturating_sub(tags.width());
        spans.push(Span::styled(tags, base.patch(theme.warn())));
    }
    let mut reason = String::new();
    if let Some(r) = op.restores_op_id {
        let _ = write!(reason, "↺ #{r} ");
    }
    reason.push_str(&sanitize::line(&op.reason));
    spans.push(Span::styled(fit(&reason, rest), base));
    spans
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
    let mut title = format!(" Operations ({}) ", h.ops.len());
    if let Some(s) = &h.search {
        let _ = write!(
            title,
            "· adding or removing \"{}\" (Esc: all) ",
            sanitize::line(&s.text)
        );
    }
    if let Some(m) = h.mark {
        let _ = write!(
            title,
            "· ● #{m} marked: d diffs it against the selected one "
        );
    }
    let outer = block(title, theme, true);
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
    let w = usize::from(inner.width).saturating_sub(2);
    for (i, o) in h.ops.iter().enumerate().skip(off).take(page) {
        let y = inner.y + 1 + (i - off) as u16;
        let sel = i == h.selected;
        let style = if sel { theme.selected() } else { Style::new() };
        let marked = h.mark == Some(o.op.id);
        let mut spans = vec![Span::styled(
            format!(
                "{}{}",
                if sel { "▶" } else { " " },
                if marked { "●" } else { " " }
            ),
            style.patch(theme.key()),
        )];
        spans.extend(op_line(o, w, style, theme));
        buf.set_line(inner.x, y, &Line::from(spans), inner.width);
    }
    detail(state, areas, frame, theme);
}

/// `d what it changed · Space mark · b blame a file · T tag · R roll back to this`, from the
/// keymap in force.
fn tools(state: &State) -> String {
    [
        (Action::Diff, "what it changed"),
        (Action::Mark, "mark to compare"),
        (Action::Blame, "blame a file"),
        (Action::Tag, "tag"),
        (Action::Rollback, "roll back to this"),
    ]
    .iter()
    .filter_map(|(a, what)| {
        Some(format!(
            "{} {what}",
            state.keymap.key_of(Mode::History, *a)?
        ))
    })
    .collect::<Vec<_>>()
    .join(" · ")
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
        lines.push(Line::styled(tools(state), theme.dim()));
        if let Some(s) = &h.search {
            for m in s.matches.get(h.selected).into_iter().flatten() {
                let (mark, style) = if m.after > m.before {
                    ("+", theme.added())
                } else {
                    ("-", theme.removed())
                };
                lines.push(Line::styled(
                    format!(
                        "{mark} \"{}\" in {}: {} → {}",
                        sanitize::line(&s.text),
                        sanitize::line(&m.path),
                        m.before,
                        m.after
                    ),
                    style,
                ));
            }
        }
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
