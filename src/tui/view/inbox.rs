//! The inbox: pending proposals across stores, one row each — id, store, dream time, engine,
//! changes by category, flags and age. Only the rows on screen are formatted.

use std::fmt::Write as _;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::style::Style;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

use super::{Theme, block, fit};
use crate::model::Proposal;
use crate::sanitize;
use crate::tui::state::State;
use crate::util::parse_time;

pub fn short_category(c: &str) -> &str {
    match c {
        "duplicate" => "dup",
        "contradiction" => "contra",
        "reorganize" => "reorg",
        other => other,
    }
}

/// `2 dup · 1 contra`.
pub fn categories(p: &Proposal) -> String {
    p.categories
        .iter()
        .map(|(c, n)| format!("{n} {}", short_category(&sanitize::line(c))))
        .collect::<Vec<_>>()
        .join(" · ")
}

/// Flags worth a reviewer's attention, most serious first.
pub fn flags(p: &Proposal) -> Vec<String> {
    let mut out = Vec::new();
    if p.conflicts > 0 {
        out.push(format!("{} conflict", p.conflicts));
    }
    if p.stale {
        out.push("stale".into());
    }
    out.extend(p.flags.iter().map(|f| sanitize::line(f).replace('_', " ")));
    out
}

/// `45s`, `12m`, `5h`, `3d`, `7w` between two RFC 3339 times.
pub fn age(then: &str, now: Option<&str>) -> String {
    let (Some(then), Some(now)) = (parse_time(then), now.and_then(parse_time)) else {
        return "?".into();
    };
    let s = (now - then).whole_seconds().max(0);
    match s {
        0..60 => format!("{s}s"),
        60..3_600 => format!("{}m", s / 60),
        3_600..86_400 => format!("{}h", s / 3_600),
        86_400..1_209_600 => format!("{}d", s / 86_400),
        _ => format!("{}w", s / 604_800),
    }
}

/// `2026-11-20 14:03` from an RFC 3339 time.
pub fn when(t: &str) -> String {
    sanitize::line(t.get(..16).unwrap_or(t)).replacen('T', " ", 1)
}

/// First row to show so that `selected` is visible in `page` rows.
pub fn window(offset: usize, selected: usize, page: usize, len: usize) -> usize {
    let mut off = offset.min(len.saturating_sub(page));
    if selected < off {
        off = selected;
    } else if selected >= off + page {
        off = selected + 1 - page;
    }
    off
}

pub fn render(state: &State, area: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let inbox = &state.inbox;
    let visible = inbox.visible();
    let mut title = format!(
        " Pending proposals ({}) · sort: {} ",
        visible.len(),
        inbox.sort.label()
    );
    if !inbox.filter.is_empty() {
        let _ = write!(title, "· filter: {} ", sanitize::line(&inbox.filter));
    }
    let outer = block(title, theme, true);
    let inner = outer.inner(area);
    frame.render_widget(outer, area);
    if !inbox.loaded {
        frame.render_widget(Paragraph::new("Loading…"), inner);
        return;
    }
    if visible.is_empty() {
        let text = if inbox.items.is_empty() {
            "Nothing to review. Run `lucid dream` to propose changes, or `lucid demo`."
        } else {
            "No proposal matches the filter (Esc clears it)."
        };
        frame.render_widget(Paragraph::new(Span::styled(text, theme.dim())), inner);
        return;
    }
    table(state, &visible, inner, frame, theme);
}

/// Column widths: fixed ones, then the rest shared out; the engine column and the year go when
/// the terminal is narrow.
fn widths(w: usize) -> [usize; 7] {
    let wide = w >= 110;
    let (mark, id, when, age, state) = (1, 5, if wide { 16 } else { 11 }, 4, 7);
    let rest = w.saturating_sub(mark + id + when + age + state + if wide { 8 } else { 7 });
    let engine = if wide { rest * 15 / 100 } else { 0 };
    let store = rest * 22 / 100;
    let changes = rest * 36 / 100;
    let flags = rest.saturating_sub(store + engine + changes);
    [mark, id, store, when, engine, changes, flags]
}

fn table(state: &State, visible: &[usize], inner: Rect, frame: &mut Frame<'_>, theme: Theme) {
    let inbox = &state.inbox;
    let w = widths(usize::from(inner.width));
    let wide = w[4] > 0;
    // Cells up to the flags: #, store, dreamt, engine (wide only), changes.
    let join = |cells: [String; 5]| {
        let mut out = String::new();
        for (i, c) in cells.iter().enumerate() {
            if i == 3 && !wide {
                continue;
            }
            out.push_str(&fit(c, w[i + 1]));
            out.push(' ');
        }
        out
    };
    let head = format!(
        " {}{} age  state",
        join([
            "#".into(),
            "store".into(),
            "dreamt".into(),
            "engine".into(),
            "changes".into(),
        ]),
        fit("flags", w[6]),
    );
    let buf = frame.buffer_mut();
    buf.set_stringn(
        inner.x,
        inner.y,
        &head,
        usize::from(inner.width),
        theme.dim(),
    );
    let page = usize::from(inner.height.saturating_sub(1));
    let off = window(inbox.offset, inbox.selected, page, visible.len());
    for (row, idx) in visible.iter().enumerate().skip(off).take(page) {
        let Some(p) = inbox.items.get(*idx) else {
            continue;
        };
        let y = inner.y + 1 + (row - off) as u16;
        let sel = row == inbox.selected;
        let base = if sel { theme.selected() } else { Style::new() };
        let flag_text = flags(p).join(", ");
        let flag_style = if flag_text.is_empty() {
            base
        } else {
            base.patch(theme.warn())
        };
        let dreamt = when(&p.created_at);
        let dreamt = if wide {
            dreamt
        } else {
            dreamt.get(5..).unwrap_or(&dreamt).to_owned()
        };
        let cells = join([
            format!("#{}", p.id),
            sanitize::line(&p.store),
            dreamt,
            sanitize::line(&p.engine),
            categories(p),
        ]);
        let line = Line::from(vec![
            Span::styled(if sel { "▶" } else { " " }, base.patch(theme.key())),
            Span::styled(cells, base),
            Span::styled(format!("{} ", fit(&flag_text, w[6])), flag_style),
            Span::styled(
                format!(
                    "{} {}",
                    fit(&age(&p.created_at, state.now.as_deref()), 4),
                    fit(&sanitize::line(&p.state), 7)
                ),
                base,
            ),
        ]);
        buf.set_line(inner.x, y, &line, inner.width);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ages_read_at_a_glance() {
        let now = Some("2026-11-25T12:00:00.000Z");
        assert_eq!(age("2026-11-25T11:59:30.000Z", now), "30s");
        assert_eq!(age("2026-11-25T09:00:00.000Z", now), "3h");
        assert_eq!(age("2026-11-20T12:00:00.000Z", now), "5d");
        assert_eq!(age("2026-10-01T12:00:00.000Z", now), "7w");
        assert_eq!(age("junk", now), "?");
    }

    #[test]
    fn the_window_follows_the_selection() {
        assert_eq!(window(0, 15, 10, 100), 6);
        assert_eq!(window(8, 3, 10, 100), 3);
        assert_eq!(window(50, 5, 10, 8), 0);
    }
}
