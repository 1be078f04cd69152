//! The audit screen: the verify status on top (the verified head hash, or the first broken
//! record in red), the log newest first with the filter, and the selected record in full.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Areas, Theme, block, fit, inbox::when, window};
use crate::sanitize;
use crate::tui::state::{State, Verify};

pub fn render(state: &State, areas: &Areas, frame: &mut Frame<'_>, theme: Theme) {
    let Some(v) = &state.audit else {
        frame.render_widget(
            Paragraph::new("Loading and verifying the audit log…").block(block(
                " Audit log ".into(),
                theme,
                true,
            )),
            areas.body,
        );
        return;
    };
    let visible = v.visible();
    let mut title = format!(" Audit log ({}) ", visible.len());
    if !v.filter.is_empty() {
        let _ = write!(title, "· filter: {} ", sanitize::line(&v.filter));
    }
    let outer = block(title, theme, true);
    let inner = outer.inner(areas.list);
    frame.render_widget(outer, areas.list);
    let (status, style) = match &v.verify {
        Verify::Ok { records, head } => (
            format!("✓ chain verified: {records} records, head {head}"),
            theme.ok(),
        ),
        Verify::Broken { seq, why } => (
            format!("✗ chain broken at record #{seq}: {}", sanitize::line(why)),
            theme.error(),
        ),
        Verify::Failed(e) => (
            format!("? not verified: {}", sanitize::line(e)),
            theme.warn(),
        ),
    };
    let buf = frame.buffer_mut();
    buf.set_stringn(inner.x, inner.y, status, usize::from(inner.width), style);
    let page = usize::from(inner.height.saturating_sub(1));
    let off = window(0, v.selected, page, visible.len());
    let w = usize::from(inner.width).saturating_sub(1);
    for (row, idx) in visible.iter().enumerate().skip(off).take(page) {
        let Some(r) = v.records.get(*idx) else {
            continue;
        };
        let sel = row == v.selected;
        let base = if sel { theme.selected() } else { Style::new() };
        let broken = matches!(v.verify, Verify::Broken { seq, .. } if seq == r.seq);
        let style = if broken {
            base.patch(theme.error())
        } else {
            base
        };
        let text = format!(
            "{} {} {} {} {}",
            fit(&format!("#{}", r.seq), 6),
            fit(&when(&r.at), 16),
            fit(&sanitize::line(&r.actor), 10),
            fit(&sanitize::line(&r.action), 16),
            sanitize::line(&r.target),
        );
        let line = Line::from(vec![
            Span::styled(if sel { "▶" } else { " " }, base.patch(theme.key())),
            Span::styled(fit(&text, w), style),
        ]);
        buf.set_line(
            inner.x,
            inner.y + 1 + (row - off) as u16,
            &line,
            inner.width,
        );
    }
    let Some(r) = v.current() else {
        frame.render_widget(
            Paragraph::new("No record matches.").block(block(" Record ".into(), theme, false)),
            areas.detail,
        );
        return;
    };
    let lines = vec![
        Line::from(vec![
            Span::styled(format!("{} ", sanitize::line(&r.action)), theme.key()),
            Span::raw(format!(
                "by {} at {}",
                sanitize::line(&r.actor),
                sanitize::line(&r.at)
            )),
        ]),
        Line::raw(format!("Target: {}", sanitize::line(&r.target))),
        Line::raw(format!("Reason: {}", sanitize::line(&r.reason))),
        Line::raw(format!("Details: {}", sanitize::line(&r.details))),
        Line::styled(
            format!("prev {}", sanitize::line(&r.prev_hash)),
            theme.dim(),
        ),
        Line::styled(format!("hash {}", sanitize::line(&r.hash)), theme.dim()),
    ];
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(format!(" Record #{} ", r.seq), theme, false)),
        areas.detail,
    );
}
