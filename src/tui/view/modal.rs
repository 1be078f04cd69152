//! Modals drawn over the screen: the help overlay (generated from the keymap), the confirmation
//! that sums up a destructive step, the read-only viewer; prompts are in `prompt`.

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Clear, Paragraph, Wrap};

use super::{Theme, block, fit};
use crate::sanitize;
use crate::tui::keymap::{Mode, pretty};
use crate::tui::state::{Modal, Screen, State};

/// The end of `s` that fits in `width` columns (`…` first when cut): the cursor stays in view.
pub(super) fn tail(s: &str, width: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let total = unicode_width::UnicodeWidthStr::width(s);
    if total <= width {
        return s.to_owned();
    }
    let mut out: Vec<char> = Vec::new();
    let mut w = 1;
    for c in s.chars().rev() {
        let cw = c.width().unwrap_or(0);
        if w + cw > width {
            break;
        }
        out.push(c);
        w += cw;
    }
    out.push('…');
    out.into_iter().rev().collect()
}

/// Clears `rect` and one column either side, so a wide character drawn underneath cannot
/// straddle the modal's border.
pub(super) fn clear(frame: &mut Frame<'_>, rect: Rect, area: Rect) {
    let wider = Rect::new(
        rect.x.saturating_sub(1),
        rect.y,
        rect.width + 2,
        rect.height,
    );
    frame.render_widget(Clear, wider.intersection(area));
}

/// A centred rectangle of at most `w`×`h` inside `area`.
pub(super) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width.saturating_sub(2));
    let h = h.min(area.height.saturating_sub(2));
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

fn screen_mode(screen: Screen) -> Mode {
    match screen {
        Screen::Inbox => Mode::Inbox,
        Screen::Review => Mode::Review,
        Screen::History => Mode::History,
        Screen::Diff => Mode::Diff,
        Screen::Blame => Mode::Blame,
        Screen::Audit => Mode::Audit,
    }
}

/// `key/key  description` rows of the modes that matter on this screen.
pub fn help_lines(state: &State, theme: Theme) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for mode in [screen_mode(state.screen), Mode::Global] {
        lines.push(Line::from(Span::styled(
            mode.title().to_owned(),
            theme.title(),
        )));
        for b in state.keymap.rows(mode) {
            let keys: Vec<String> = b.labels.iter().map(|l| pretty(l)).collect();
            lines.push(Line::from(vec![
                Span::styled(format!("  {}", fit(&keys.join(" "), 18)), theme.key()),
                Span::raw(b.desc.clone()),
            ]));
        }
        lines.push(Line::default());
    }
    lines
}

fn hint_line(state: &State, mode: Mode, theme: Theme) -> Line<'static> {
    let mut spans = Vec::new();
    for (key, desc) in state.keymap.hints(mode) {
        spans.push(Span::styled(format!("{key} "), theme.key()));
        spans.push(Span::raw(format!("{desc}   ")));
    }
    Line::from(spans)
}

pub fn render(state: &State, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    match &state.modal {
        None => {}
        Some(Modal::Help { scroll }) => {
            let lines = help_lines(state, theme);
            let rect = centered(area, 60, lines.len() as u16 + 2);
            clear(frame, rect, area);
            let max = lines
                .len()
                .saturating_sub(usize::from(rect.height.saturating_sub(2)));
            frame.render_widget(
                Paragraph::new(lines)
                    .scroll(((*scroll).min(max) as u16, 0))
                    .block(block(
                        " Keys · j/k scroll · ? or Esc closes ".into(),
                        theme,
                        true,
                    )),
                rect,
            );
        }
        Some(Modal::Viewer(v)) => {
            let mut lines: Vec<Line<'static>> = v
                .lines
                .iter()
                .map(|l| Line::raw(sanitize::line(l)))
                .collect();
            lines.push(Line::default());
            lines.push(hint_line(state, Mode::Viewer, theme));
            let rect = centered(
                area,
                area.width.saturating_sub(4),
                area.height.saturating_sub(2),
            );
            clear(frame, rect, area);
            let title = format!(" {} ", sanitize::line(&v.title));
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .scroll((v.scroll.min(usize::from(u16::MAX)) as u16, 0))
                    .block(block(title, theme, true)),
                rect,
            );
        }
        Some(Modal::Confirm(c)) => {
            let mut lines: Vec<Line<'static>> = c
                .lines
                .iter()
                .map(|l| Line::raw(sanitize::line(l)))
                .collect();
            lines.push(Line::default());
            lines.push(hint_line(state, Mode::Confirm, theme));
            let w = (area.width * 3 / 4)
                .max(40)
                .min(area.width.saturating_sub(2));
            // Height of the wrapped text, so the yes/no line is never cut off.
            let inner = usize::from(w.saturating_sub(2));
            let height: usize = c
                .lines
                .iter()
                .map(|l| super::diff::wrapped_len(&sanitize::line(l), inner))
                .sum::<usize>()
                + 2;
            let rect = centered(area, w, height as u16 + 2);
            clear(frame, rect, area);
            frame.render_widget(
                Paragraph::new(lines)
                    .wrap(Wrap { trim: false })
                    .block(block(
                        format!(" {} ", sanitize::line(&c.title)),
                        theme,
                        true,
                    )),
                rect,
            );
        }
        Some(Modal::Prompt(p)) => super::prompt::render(state, p, area, frame, theme),
    }
}
