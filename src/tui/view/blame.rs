//! The blame screen: each line of a file with the operation that wrote it (shown on the first
//! line of each run: id, actor, date, and dream/proposal for lines a dream wrote), and a panel
//! with the selected line's operation, reviewer, rationale and evidence. Paints from state only.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};
use unicode_width::UnicodeWidthStr;

use super::{Areas, Theme, block, fit, inbox::when, review::short_id, window};
use crate::sanitize;
use crate::store::BlameLine;
use crate::tui::blame::{BlameView, Cited};
use crate::tui::state::State;

const TAB_WIDTH: usize = 4;

fn origin(l: &BlameLine) -> String {
    match (l.dream_id, l.proposal_id) {
        (Some(d), Some(p)) => format!("dream #{d}/#{p}"),
        _ => String::new(),
    }
}

/// `#4    dana       2026-11-14 dream #3/#12`, or under 100 columns `#4    dana     11-14 ◆`
/// (◆: a dream wrote it); blank after the first line of a run.
fn gutter(l: &BlameLine, first: bool, compact: bool) -> String {
    let text = if compact {
        format!(
            "{} {} {} {}",
            fit(&format!("#{}", l.op_id), 5),
            fit(&sanitize::line(&l.actor), 8),
            fit(&sanitize::line(l.at.get(5..10).unwrap_or(&l.at)), 5),
            if l.dream_id.is_some() { "◆" } else { " " },
        )
    } else {
        format!(
            "{} {} {} {}",
            fit(&format!("#{}", l.op_id), 5),
            fit(&sanitize::line(&l.actor), 10),
            fit(&sanitize::line(l.at.get(..10).unwrap_or(&l.at)), 10),
            fit(&origin(l), 14),
        )
    };
    if first {
        text
    } else {
        " ".repeat(text.width())
    }
}

pub fn render(state: &State, areas: &Areas, frame: &mut Frame<'_>, theme: Theme) {
    let Some(b) = &state.blame else {
        frame.render_widget(
            Paragraph::new("Blaming the file…").block(block(" Blame ".into(), theme, true)),
            areas.body,
        );
        return;
    };
    let at =
        b.at.map_or_else(|| "at head".to_owned(), |op| format!("as of #{op}"));
    let title = format!(
        " {} · {at} · {} line(s) ",
        sanitize::line(&b.path),
        b.lines.len()
    );
    let outer = block(title, theme, true);
    let inner = outer.inner(areas.list);
    frame.render_widget(outer, areas.list);
    let page = usize::from(inner.height);
    let off = window(0, b.selected, page, b.lines.len());
    let digits = b.lines.len().max(1).to_string().len();
    let w = usize::from(inner.width);
    let buf = frame.buffer_mut();
    for (i, l) in b.lines.iter().enumerate().skip(off).take(page) {
        let sel = i == b.selected;
        let first = i == off || b.lines[i - 1].op_id != l.op_id;
        let base = if sel { theme.selected() } else { Style::new() };
        let info_style = if l.dream_id.is_some() {
            base.patch(theme.warn())
        } else {
            base.patch(theme.key())
        };
        let head = format!(
            "{}{}",
            if sel { "▶" } else { " " },
            gutter(l, first, w < 90)
        );
        let no = format!(" {:>digits$} │ ", l.line);
        let used = head.width() + no.chars().count();
        let text = fit(&sanitize::text(&l.text, TAB_WIDTH), w.saturating_sub(used));
        let line = Line::from(vec![
            Span::styled(head, info_style),
            Span::styled(no, base.patch(theme.dim())),
            Span::styled(text, base),
        ]);
        buf.set_line(inner.x, inner.y + (i - off) as u16, &line, inner.width);
    }
    detail(b, areas.detail, frame, theme);
}

/// `backend · 2026-11-20 14:03 · session cc-2026-… · event e-118`, or `the store`.
fn source(e: &Cited) -> String {
    let Some(id) = &e.session else {
        return "the store".to_owned();
    };
    let mut out = match &e.agent {
        Some(agent) => format!(
            "{} · {} · session {}",
            sanitize::line(agent),
            e.started_at.as_deref().map_or_else(|| "?".to_owned(), when),
            short_id(id)
        ),
        None => format!("session {}", short_id(id)),
    };
    if let Some(ev) = &e.event {
        out.push_str(" · event ");
        out.push_str(&short_id(ev));
    }
    out
}

fn detail(b: &BlameView, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let Some(l) = b.current() else {
        frame.render_widget(
            Paragraph::new("The file is empty.").block(block(" Line ".into(), theme, false)),
            area,
        );
        return;
    };
    let mut lines = vec![
        Line::from(vec![
            Span::styled(
                format!("#{} {} ", l.op_id, sanitize::line(&l.kind)),
                theme.key(),
            ),
            Span::raw(format!(
                "by {} at {}",
                sanitize::line(&l.actor),
                when(&l.at)
            )),
        ]),
        Line::raw(format!("Reason: {}", sanitize::line(&l.reason))),
    ];
    if let (Some(d), Some(p)) = (l.dream_id, l.proposal_id) {
        let how = if l.kind == "auto_apply" {
            format!("applied automatically as {}", sanitize::line(&l.actor))
        } else {
            format!("reviewed and applied by {}", sanitize::line(&l.actor))
        };
        let by = l
            .engine
            .as_deref()
            .map(|e| format!(" by {}", sanitize::line(e)))
            .unwrap_or_default();
        lines.push(Line::styled(
            format!("Dream #{d}{by} · proposal #{p} · {how}"),
            theme.warn(),
        ));
        let o = b.origins.get(&l.op_id);
        if let Some(o) = o.filter(|o| !o.rationale.is_empty()) {
            lines.push(Line::raw(format!("Why: {}", sanitize::line(&o.rationale))));
        }
        let cited = b.cited();
        if cited.is_empty() {
            lines.push(Line::styled("No evidence cited.", theme.dim()));
        }
        for e in cited {
            lines.push(Line::from(vec![
                Span::styled(format!("• {}: ", source(e)), theme.dim()),
                Span::raw(format!("“{}”", sanitize::line(&e.quote))),
            ]));
        }
    } else {
        lines.push(Line::styled(
            "Not written by a dream: no evidence to show.",
            theme.dim(),
        ));
    }
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((b.detail_scroll.min(usize::from(u16::MAX)) as u16, 0))
            .block(block(
                format!(" Line {} · ] [ scroll ", l.line),
                theme,
                false,
            )),
        area,
    );
}
