//! One-line prompts drawn over the screen: the filter (along the bottom), a reason or a tag name
//! (centred), and the blame file picker (centred, with the matching files under the line).

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

use super::modal::{centered, clear, tail};
use super::{Theme, block, fit, window};
use crate::sanitize;
use crate::tui::action::Action;
use crate::tui::keymap::Mode;
use crate::tui::state::{Prompt, PromptKind, State};

/// The prompt's keys (moving through matches only where there is a list).
fn hints(state: &State, picker: bool, theme: Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for b in state.keymap.rows(Mode::Prompt) {
        if !picker && matches!(b.action, Action::Up | Action::Down) {
            continue;
        }
        if let Some(key) = b.labels.first() {
            spans.push(Span::styled(
                format!("{} ", crate::tui::keymap::pretty(key)),
                theme.key(),
            ));
            spans.push(Span::raw(format!("{}   ", b.desc)));
        }
    }
    Line::from(spans)
}

pub fn render(state: &State, p: &Prompt, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let title = match &p.kind {
        PromptKind::Filter => " Filter proposals ".to_owned(),
        PromptKind::RollbackReason { op, .. } => format!(" Why roll back to operation #{op}? "),
        PromptKind::Reason { what, .. } => format!(" Why reject {}? ", sanitize::line(what)),
        PromptKind::TagName { op, .. } => {
            format!(" Tag operation #{op} as (letters, digits, . _ - /) ")
        }
        PromptKind::BlamePath { at, .. } => format!(" Blame which file, as of #{at}? "),
        PromptKind::SearchText { .. } => {
            " Operations that added or removed which text? (empty: all) ".to_owned()
        }
    };
    let (w, list_h) = match &p.kind {
        PromptKind::BlamePath { .. } => (
            area.width.saturating_sub(8),
            area.height.saturating_sub(10).clamp(3, 14),
        ),
        _ => ((area.width * 2 / 3).max(40), 0),
    };
    let rect = if p.kind == PromptKind::Filter {
        Rect::new(area.x, area.bottom().saturating_sub(6), area.width, 5)
    } else {
        centered(area, w, 5 + list_h)
    };
    let room = usize::from(rect.width).saturating_sub(5);
    let mut lines = vec![Line::from(vec![
        Span::raw("> "),
        Span::raw(tail(&sanitize::line(&p.text), room)),
        Span::styled("█", theme.key()),
    ])];
    if let PromptKind::BlamePath {
        files, selected, ..
    } = &p.kind
    {
        let shown = crate::tui::blame::matching(files, &p.text);
        let page = usize::from(rect.height.saturating_sub(5)).max(1);
        let off = window(0, *selected, page, shown.len());
        let width = usize::from(rect.width.saturating_sub(4));
        for (i, f) in shown.iter().enumerate().skip(off).take(page) {
            let sel = i == *selected;
            let text = format!(
                "{}{}",
                if sel { "▶ " } else { "  " },
                fit(&sanitize::line(f), width)
            );
            lines.push(if sel {
                Line::styled(text, theme.selected())
            } else {
                Line::raw(text)
            });
        }
        if shown.is_empty() {
            lines.push(Line::styled(
                "  No file matches (Enter blames the typed path).",
                theme.dim(),
            ));
        }
        while lines.len() < page + 1 {
            lines.push(Line::default());
        }
    }
    lines.push(Line::default());
    lines.push(hints(
        state,
        matches!(p.kind, PromptKind::BlamePath { .. }),
        theme,
    ));
    clear(frame, rect, area);
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .block(block(title, theme, true)),
        rect,
    );
}
