//! Rendering, pure: `render(&State, &mut Frame)` draws a state and never writes it back. One
//! `layout` (shared with `update` for page sizes) splits the screen; each screen and modal has
//! its own module. Untrusted text is sanitized before it is drawn.

mod audit;
mod blame;
pub mod diff;
mod history;
mod inbox;
mod modal;
mod opdiff;
mod prompt;
mod review;

use ratatui::Frame;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Paragraph, Wrap};
use unicode_width::{UnicodeWidthChar, UnicodeWidthStr};

pub use inbox::window;

use super::state::{Screen, State};

/// Below this width the diff is unified unless toggled.
pub const UNIFIED_BELOW: u16 = 100;
/// The smallest usable terminal.
pub const MIN_WIDTH: u16 = 50;
pub const MIN_HEIGHT: u16 = 12;

/// Where everything goes. Screens use the parts they need.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Areas {
    pub header: Rect,
    pub body: Rect,
    pub footer: Rect,
    /// Review: the file list, the diff and the rationale/evidence panel.
    pub list: Rect,
    pub diff: Rect,
    pub detail: Rect,
}

/// The one layout: header line, body, footer line; the review body split into file list, diff
/// and detail (side by side from [`UNIFIED_BELOW`] columns, stacked below).
pub fn layout(width: u16, height: u16, screen: Screen, files: usize) -> Areas {
    let header = Rect::new(0, 0, width, 1.min(height));
    let body = Rect::new(0, 1, width, height.saturating_sub(2));
    let footer = Rect::new(0, height.saturating_sub(1), width, 1.min(height));
    let mut a = Areas {
        header,
        body,
        footer,
        ..Areas::default()
    };
    if matches!(screen, Screen::History | Screen::Audit | Screen::Blame) {
        if width >= UNIFIED_BELOW {
            let list_w = width * 3 / 5;
            a.list = Rect::new(0, body.y, list_w, body.height);
            a.detail = Rect::new(list_w, body.y, width - list_w, body.height);
        } else {
            let list_h = body.height * 3 / 5;
            a.list = Rect::new(0, body.y, width, list_h);
            a.detail = Rect::new(0, body.y + list_h, width, body.height - list_h);
        }
        return a;
    }
    if !matches!(screen, Screen::Review | Screen::Diff) {
        return a;
    }
    let detail_h = (body.height / 4).clamp(5, 10).min(body.height / 3);
    if width >= UNIFIED_BELOW {
        let list_w = (width / 4).clamp(24, 44);
        a.list = Rect::new(0, body.y, list_w, body.height);
        let right = Rect::new(list_w, body.y, width - list_w, body.height);
        a.diff = Rect::new(right.x, right.y, right.width, right.height - detail_h);
        a.detail = Rect::new(right.x, a.diff.bottom(), right.width, detail_h);
    } else {
        let list_h = (files.clamp(1, 4) as u16 + 2).min(body.height / 4 + 1);
        a.list = Rect::new(0, body.y, width, list_h);
        let detail_h = detail_h.min(5);
        let diff_h = body.height.saturating_sub(list_h + detail_h);
        a.diff = Rect::new(0, a.list.bottom(), width, diff_h);
        a.detail = Rect::new(0, a.diff.bottom(), width, detail_h);
    }
    a
}

/// Styles, with colour or (under `NO_COLOR`) modifiers only.
#[derive(Debug, Clone, Copy)]
pub struct Theme {
    pub color: bool,
}

impl Theme {
    fn pick(self, colored: Style, plain: Style) -> Style {
        if self.color { colored } else { plain }
    }
    pub fn title(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }
    pub fn selected(self) -> Style {
        self.pick(
            Style::new()
                .bg(Color::DarkGray)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::REVERSED),
        )
    }
    pub fn dim(self) -> Style {
        self.pick(
            Style::new().fg(Color::DarkGray),
            Style::new().add_modifier(Modifier::DIM),
        )
    }
    pub fn removed(self) -> Style {
        self.pick(Style::new().fg(Color::Red), Style::new())
    }
    pub fn added(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }
    pub fn removed_emph(self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::White)
                .bg(Color::Red)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn added_emph(self) -> Style {
        self.pick(
            Style::new()
                .fg(Color::Black)
                .bg(Color::Green)
                .add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::UNDERLINED),
        )
    }
    pub fn warn(self) -> Style {
        self.pick(
            Style::new().fg(Color::Yellow).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }
    pub fn error(self) -> Style {
        self.pick(
            Style::new().fg(Color::Red).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD | Modifier::REVERSED),
        )
    }
    pub fn ok(self) -> Style {
        self.pick(Style::new().fg(Color::Green), Style::new())
    }
    pub fn key(self) -> Style {
        self.pick(
            Style::new().fg(Color::Cyan).add_modifier(Modifier::BOLD),
            Style::new().add_modifier(Modifier::BOLD),
        )
    }
}

/// Truncates `s` to `width` display columns (with `…` when cut) and pads it to exactly `width`.
pub fn fit(s: &str, width: usize) -> String {
    let mut out = String::new();
    let mut w = 0;
    let total = s.width();
    let limit = if total > width {
        width.saturating_sub(1)
    } else {
        width
    };
    for c in s.chars() {
        let cw = c.width().unwrap_or(0);
        if w + cw > limit {
            break;
        }
        out.push(c);
        w += cw;
    }
    if total > width && width > 0 {
        out.push('…');
        w += 1;
    }
    out.push_str(&" ".repeat(width.saturating_sub(w)));
    out
}

/// A bordered block with a title.
pub fn block(title: String, theme: Theme, focused: bool) -> Block<'static> {
    let style = if focused { theme.title() } else { theme.dim() };
    Block::bordered()
        .title(Span::styled(title, theme.title()))
        .border_style(style)
}

pub fn render(state: &State, frame: &mut Frame<'_>) {
    let area = frame.area();
    let theme = Theme { color: state.color };
    if area.width < MIN_WIDTH || area.height < MIN_HEIGHT {
        too_small(area, frame, theme);
        return;
    }
    let files = super::doc::doc(state).map_or(0, super::doc::DiffDoc::len);
    let areas = layout(area.width, area.height, state.screen, files);
    header(state, areas.header, frame.buffer_mut(), theme);
    match state.screen {
        Screen::Inbox => inbox::render(state, areas.body, frame, theme),
        Screen::Review => review::render(state, &areas, frame, theme),
        Screen::History => history::render(state, &areas, frame, theme),
        Screen::Diff => opdiff::render(state, &areas, frame, theme),
        Screen::Blame => blame::render(state, &areas, frame, theme),
        Screen::Audit => audit::render(state, &areas, frame, theme),
    }
    footer(state, areas.footer, frame.buffer_mut(), theme);
    modal::render(state, area, frame, theme);
}

fn too_small(area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let text = format!(
        "Terminal too small: {}×{}, need at least {MIN_WIDTH}×{MIN_HEIGHT}.",
        area.width, area.height
    );
    frame.render_widget(
        Paragraph::new(Line::from(Span::styled(text, theme.warn()))).wrap(Wrap { trim: true }),
        area,
    );
}

fn header(state: &State, area: Rect, buf: &mut Buffer, theme: Theme) {
    let place = match (state.screen, &state.review) {
        (Screen::Inbox, _) => format!("Inbox · {} waiting", state.inbox.items.len()),
        (Screen::Review, Some(r)) => format!(
            "Proposal #{} · {} · {}",
            r.proposal.id,
            crate::sanitize::line(&r.proposal.store),
            crate::sanitize::line(&r.proposal.engine)
        ),
        (Screen::Review, None) => "Proposal (loading…)".into(),
        (Screen::History, _) => match &state.history {
            Some(h) => format!("History · {}", crate::sanitize::line(&h.store)),
            None => "History (loading…)".into(),
        },
        (Screen::Diff, _) => match &state.op_diff {
            Some(d) => format!("Diff · {}", crate::sanitize::line(&d.store)),
            None => "Diff (loading…)".into(),
        },
        (Screen::Blame, _) => match &state.blame {
            Some(b) => format!(
                "Blame · {} · {}",
                crate::sanitize::line(&b.store),
                crate::sanitize::line(&b.path)
            ),
            None => "Blame (loading…)".into(),
        },
        (Screen::Audit, _) => "Audit log".into(),
    };
    let busy = if state.busy > 0 { "  ⟳ working" } else { "" };
    let line = Line::from(vec![
        Span::styled(" Lucid ", theme.title().add_modifier(Modifier::REVERSED)),
        Span::raw(" "),
        Span::styled(place, theme.title()),
        Span::styled(busy, theme.warn()),
    ]);
    buf.set_line(area.x, area.y, &line, area.width);
}

fn footer(state: &State, area: Rect, buf: &mut Buffer, theme: Theme) {
    let mut spans = Vec::new();
    if let Some(s) = &state.status {
        let style = if s.error { theme.error() } else { theme.ok() };
        spans.push(Span::styled(
            format!(" {} ", crate::sanitize::line(&s.text)),
            style,
        ));
        spans.push(Span::styled("│", theme.dim()));
    }
    let mut hints = state.keymap.hints(state.mode());
    // Moving through matches is for the file picker; other prompts have no list.
    if let Some(super::state::Modal::Prompt(p)) = &state.modal
        && !matches!(p.kind, super::state::PromptKind::BlamePath { .. })
    {
        let list_keys: Vec<String> = state
            .keymap
            .rows(super::keymap::Mode::Prompt)
            .iter()
            .filter(|b| {
                matches!(
                    b.action,
                    super::action::Action::Up | super::action::Action::Down
                )
            })
            .map(|b| b.desc.clone())
            .collect();
        hints.retain(|(_, desc)| !list_keys.contains(desc));
    }
    // Help first: whatever else the width cuts, the way to all keys stays visible.
    if let Some(i) = hints.iter().position(|(k, _)| k == "?") {
        let help = hints.remove(i);
        hints.insert(0, help);
    }
    let mut seen = Vec::new();
    for (key, desc) in hints {
        if seen.contains(&desc) {
            continue;
        }
        seen.push(desc.clone());
        spans.push(Span::styled(format!(" {key}"), theme.key()));
        spans.push(Span::raw(format!(" {desc}")));
    }
    buf.set_line(area.x, area.y, &Line::from(spans), area.width);
}
