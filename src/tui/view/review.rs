//! The review screen: the file list (operation, category, decision state), the diff pane and
//! the rationale/evidence panel. Paints from the state only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::{Areas, Theme, block, diff, fit};
use crate::review::Resolution;
use crate::sanitize;
use crate::tui::state::{FileReview, Review, State};

/// One character for the kind of change.
pub fn op_mark(kind: &str) -> &'static str {
    match kind {
        "create" => "+",
        "delete" => "-",
        "rename" => "→",
        _ => "~",
    }
}

/// One character for the decision state.
fn decision_mark(f: &FileReview) -> &'static str {
    if f.moved && f.change.state == "open" {
        return "!";
    }
    if matches!(f.resolution, Resolution::Edited(_)) {
        return "✎";
    }
    match f.tally() {
        _ if f.change.state == "applied" => "✔",
        (0, 0) => "·",
        (a, 0) if a == f.hunks => "✓",
        (0, r) if r == f.hunks => "✗",
        _ => "◐",
    }
}

pub fn render(state: &State, areas: &Areas, frame: &mut Frame<'_>, theme: Theme) {
    let Some(r) = &state.review else {
        frame.render_widget(
            Paragraph::new("Loading the proposal…").block(block(" Files ".into(), theme, true)),
            areas.body,
        );
        return;
    };
    files(r, areas.list, frame, theme);
    diff::render(state, r, areas.diff, frame, theme);
    detail(r, areas.detail, frame, theme);
}

fn files(r: &Review, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let decided = r
        .files
        .iter()
        .filter(|f| f.tally().0 + f.tally().1 > 0)
        .count();
    let title = format!(" Files {decided}/{} decided ", r.files.len());
    let outer = block(title, theme, false);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    let page = usize::from(inner.height);
    if page == 0 {
        return;
    }
    let off = super::inbox::window(0, r.file, page, r.files.len());
    let w = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (i, f) in r.files.iter().enumerate().skip(off).take(page) {
        let cat = sanitize::line(super::inbox::short_category(&f.change.category));
        let label = f.decision_label();
        // What fits: the path always; then the category; then the decision in words.
        let (cat_w, label_w) = match w {
            44.. => (8, 12),
            30..44 => (8, 0),
            _ => (0, 0),
        };
        let path_w = w.saturating_sub(5 + cat_w + label_w);
        let text = format!(
            "{}{} {} {} {}{}",
            if i == r.file { "▶" } else { " " },
            decision_mark(f),
            op_mark(&f.change.kind),
            fit(&sanitize::line(&f.change.path), path_w),
            fit(&cat, cat_w),
            fit(&label, label_w),
        );
        let style = if i == r.file {
            theme.selected()
        } else {
            Style::new()
        };
        let style = if f.moved {
            style.patch(theme.warn())
        } else {
            style
        };
        buf.set_stringn(inner.x, inner.y + (i - off) as u16, text, w, style);
    }
}

/// A session or event id, sanitized and cut to 8 characters and `…` when longer than 12.
pub fn short_id(s: &str) -> String {
    let s = sanitize::line(s);
    if s.chars().count() > 12 {
        format!("{}…", s.chars().take(8).collect::<String>())
    } else {
        s
    }
}

/// `backend · 2026-11-20 14:03 · session 16ed67d3… · event e-118`, or `the store`.
fn evidence_source(r: &Review, e: &crate::dream::Evidence) -> String {
    let Some(id) = &e.session_id else {
        return "the store".to_owned();
    };
    let mut out = match r.sessions.get(id) {
        Some(s) => format!(
            "{} · {} · session {}",
            sanitize::line(&s.agent),
            s.started_at
                .as_deref()
                .map_or_else(|| "?".to_owned(), super::inbox::when),
            short_id(id)
        ),
        None => format!("session {}", short_id(id)),
    };
    if let Some(ev) = &e.event_id {
        out.push_str(" · event ");
        out.push_str(&short_id(ev));
    }
    out
}

fn detail(r: &Review, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let Some(f) = r.current() else { return };
    let c = &f.change;
    let mut lines = vec![Line::from(vec![
        Span::styled(format!("{}: ", sanitize::line(&c.category)), theme.key()),
        Span::raw(sanitize::line(&c.rationale)),
    ])];
    if f.moved {
        lines.push(Line::from(Span::styled(
            "! This file changed in the store since the dream: applying it will conflict.",
            theme.warn(),
        )));
    }
    if !c.flags.is_empty() {
        let flags: Vec<String> = c.flags.iter().map(|s| sanitize::line(s)).collect();
        lines.push(Line::from(Span::styled(
            format!("Flags: {}", flags.join(", ")),
            theme.warn(),
        )));
    }
    for e in &c.evidence {
        let source = evidence_source(r, e);
        lines.push(Line::from(vec![
            Span::styled(format!("• {source}: "), theme.dim()),
            Span::raw(format!("“{}”", sanitize::line(&e.quote))),
        ]));
    }
    if c.evidence.is_empty() {
        lines.push(Line::from(Span::styled("No evidence cited.", theme.dim())));
    }
    let title = format!(" Why · {} evidence · ] [ scroll ", c.evidence.len());
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((r.detail_scroll.min(usize::from(u16::MAX)) as u16, 0))
            .block(block(title, theme, false)),
        area,
    );
}
