//! `update(&mut State, Msg) -> Vec<Effect>`: the only place state changes. Pure — no IO, no
//! clock, no database; what must happen outside comes back as [`Effect`]s, and their results
//! come in again as [`Msg`]s.

use crate::model::Proposal;

use super::action::Action;
use super::effect::Effect;
use super::state::{
    AuditView, BlameView, History, Modal, OpDiff, Prompt, PromptKind, Review, Screen, State, Viewer,
};
use super::{audit, blame, decide, history, nav, opdiff, prompt};

/// Everything that can happen to the TUI.
#[derive(Debug, Clone, PartialEq)]
pub enum Msg {
    /// A key resolved through the keymap.
    Action(Action),
    /// A character typed into a prompt.
    Char(char),
    Resize(u16, u16),
    /// Mouse wheel: positive scrolls down.
    Wheel(i8),
    /// A left click at a screen cell.
    Click {
        x: u16,
        y: u16,
    },
    /// The current time, for ages (the runtime sends it; tests pin it).
    Now(String),
    /// How many effects the runtime is still performing.
    Busy(usize),
    InboxLoaded(Vec<Proposal>),
    HistoryLoaded(Box<History>),
    AuditLoaded(Box<AuditView>),
    /// A blamed file.
    BlameLoaded(Box<BlameView>),
    /// The diff between two operations.
    OpDiffLoaded(Box<OpDiff>),
    /// The files of `store` as of operation `at`, for the blame picker.
    FilesLoaded {
        store: String,
        at: i64,
        files: Vec<String>,
    },
    /// A cited session around the quoted event, as lines.
    EvidenceLoaded {
        index: usize,
        title: String,
        lines: Vec<String>,
        /// The line of the quoted event.
        focus: usize,
    },
    /// What rolling `store` back to `op` would change, one line per file.
    RollbackPreview {
        store: String,
        op: i64,
        lines: Vec<String>,
    },
    ProposalLoaded(Box<Review>),
    /// An effect finished; reload this proposal if given.
    Done {
        text: String,
        reload: Option<i64>,
    },
    Failed(String),
    /// Another connection committed: reload what is shown.
    ExternalChange,
}

pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Action(a) => action(state, a),
        Msg::Char(c) => {
            let mut filter = None;
            if let Some(Modal::Prompt(p)) = &mut state.modal {
                p.text.push(c);
                if p.kind == PromptKind::Filter {
                    filter = Some(p.text.clone());
                }
                if let PromptKind::BlamePath { selected, .. } = &mut p.kind {
                    *selected = 0;
                }
            }
            if let Some(f) = filter {
                prompt::set_filter(state, f);
            }
            Vec::new()
        }
        Msg::Resize(w, h) => {
            state.width = w;
            state.height = h;
            nav::clamp_scroll(state);
            Vec::new()
        }
        Msg::Wheel(n) => {
            let a = if n > 0 { Action::Down } else { Action::Up };
            // The diff scrolls three lines a notch; lists move one item.
            let step = if state.screen == Screen::Review && state.modal.is_none() {
                3
            } else {
                1
            };
            let mut effects = Vec::new();
            for _ in 0..n.unsigned_abs() * step {
                effects.extend(action(state, a));
            }
            effects
        }
        Msg::Click { x, y } => {
            click(state, x, y);
            Vec::new()
        }
        Msg::Now(now) => {
            state.now = Some(now);
            Vec::new()
        }
        Msg::Busy(n) => {
            state.busy = n;
            Vec::new()
        }
        Msg::InboxLoaded(items) => {
            let keep = state.inbox.current().map(|p| p.id);
            state.inbox.items = items;
            state.inbox.loaded = true;
            let visible = state.inbox.visible();
            state.inbox.selected = keep
                .and_then(|id| visible.iter().position(|i| state.inbox.items[*i].id == id))
                .unwrap_or(0);
            Vec::new()
        }
        Msg::EvidenceLoaded {
            index,
            title,
            lines,
            focus,
        } => {
            state.modal = Some(Modal::Viewer(Viewer {
                title,
                lines,
                scroll: focus.saturating_sub(2),
                evidence: Some(index),
            }));
            Vec::new()
        }
        Msg::BlameLoaded(b) => {
            blame::loaded(state, *b);
            Vec::new()
        }
        Msg::OpDiffLoaded(d) => {
            opdiff::loaded(state, *d);
            Vec::new()
        }
        Msg::FilesLoaded { store, at, files } => {
            history::files_loaded(state, &store, at, files);
            Vec::new()
        }
        Msg::AuditLoaded(v) => {
            audit::loaded(state, *v);
            Vec::new()
        }
        Msg::HistoryLoaded(h) => {
            history::loaded(state, *h);
            Vec::new()
        }
        Msg::RollbackPreview { store, op, lines } => {
            history::preview(state, store, op, lines);
            Vec::new()
        }
        Msg::ProposalLoaded(review) => {
            nav::loaded(state, *review);
            Vec::new()
        }
        Msg::Done { text, reload } => {
            if !text.is_empty() {
                state.info(text);
            }
            let mut effects = vec![Effect::LoadInbox];
            effects.extend(reload.map(Effect::LoadProposal));
            if let Some(h) = &state.history {
                effects.push(Effect::LoadHistory(Some(h.store.clone())));
            }
            effects
        }
        Msg::Failed(text) => {
            state.error(text);
            // Optimistic changes are taken back by reloading what the database holds.
            state
                .review
                .as_ref()
                .map(|r| vec![Effect::LoadProposal(r.proposal.id)])
                .unwrap_or_default()
        }
        Msg::ExternalChange => {
            state.info("The database changed outside this window: reloaded");
            reload(state)
        }
    }
}

/// A click selects the inbox row or the file under it.
fn click(state: &mut State, x: u16, y: u16) {
    if state.modal.is_some() {
        return;
    }
    let files = super::doc::doc(state).map_or(0, super::doc::DiffDoc::len);
    let areas = super::view::layout(state.width, state.height, state.screen, files);
    let inside =
        |r: ratatui::layout::Rect| x > r.x && x + 1 < r.right() && y > r.y && y + 1 < r.bottom();
    match state.screen {
        Screen::Inbox if inside(areas.body) => {
            let len = state.inbox.visible().len();
            let page = inbox_page(state);
            let off = super::view::window(state.inbox.offset, state.inbox.selected, page, len);
            // Row 0 of the inner area is the column header.
            if let Some(row) = usize::from(y - areas.body.y).checked_sub(2) {
                let row = off + row;
                if row < len {
                    state.inbox.selected = row;
                    state.inbox.offset = off;
                }
            }
        }
        // The file list of a review or an operation diff: one file a row.
        Screen::Review | Screen::Diff if inside(areas.list) => {
            let page = usize::from(areas.list.height.saturating_sub(2));
            if let Some(d) = super::doc::doc_mut(state) {
                let file = d.cursor().file;
                let off = super::view::window(0, file, page, d.len());
                let row = off + usize::from(y - areas.list.y - 1);
                if row < d.len() && row != file {
                    d.set_cursor(super::doc::Cursor {
                        file: row,
                        ..Default::default()
                    });
                }
            }
        }
        // The operation list: its first row is the rollback hint.
        Screen::History if inside(areas.list) => {
            let page = super::history::page(state);
            if let Some(h) = &mut state.history {
                let off = super::view::window(0, h.selected, page, h.ops.len());
                if let Some(row) = usize::from(y - areas.list.y - 1).checked_sub(1)
                    && off + row < h.ops.len()
                {
                    h.selected = off + row;
                }
            }
        }
        _ => {}
    }
}

fn reload(state: &State) -> Vec<Effect> {
    let mut effects = vec![Effect::LoadInbox];
    if state.screen == Screen::Review
        && let Some(r) = &state.review
    {
        effects.push(Effect::LoadProposal(r.proposal.id));
    }
    if state.screen == Screen::History
        && let Some(h) = &state.history
    {
        effects.push(match &h.search {
            Some(s) => Effect::SearchHistory {
                store: h.store.clone(),
                text: s.text.clone(),
            },
            None => Effect::LoadHistory(Some(h.store.clone())),
        });
    }
    if state.screen == Screen::Audit {
        effects.push(Effect::LoadAudit);
    }
    if state.screen == Screen::Blame
        && let Some(b) = &state.blame
    {
        effects.push(Effect::LoadBlame {
            store: b.store.clone(),
            path: b.path.clone(),
            at: b.at,
        });
    }
    effects
}

fn action(state: &mut State, a: Action) -> Vec<Effect> {
    if a == Action::Quit {
        state.quit = true;
        return vec![Effect::Quit];
    }
    match state.modal.take() {
        Some(Modal::Help { scroll }) => {
            state.modal = match a {
                Action::Down => Some(Modal::Help { scroll: scroll + 1 }),
                Action::Up => Some(Modal::Help {
                    scroll: scroll.saturating_sub(1),
                }),
                Action::Cancel | Action::Back | Action::Help => None,
                _ => Some(Modal::Help { scroll }),
            };
            Vec::new()
        }
        Some(Modal::Viewer(mut v)) => {
            match a {
                Action::Down => v.scroll += 1,
                Action::Up => v.scroll = v.scroll.saturating_sub(1),
                Action::PageDown => v.scroll += 10,
                Action::PageUp => v.scroll = v.scroll.saturating_sub(10),
                Action::Cancel | Action::Back => return Vec::new(),
                Action::NextEvidence => {
                    let next = v.evidence.map(|i| i + 1);
                    state.modal = Some(Modal::Viewer(v));
                    return match next {
                        Some(i) if state.screen == Screen::Blame => blame::evidence(state, i),
                        Some(i) => decide::evidence(state, i),
                        None => Vec::new(),
                    };
                }
                _ => {}
            }
            state.modal = Some(Modal::Viewer(v));
            Vec::new()
        }
        Some(Modal::Confirm(c)) => match a {
            Action::Confirm => {
                state.info(format!("{}…", c.title));
                vec![c.effect]
            }
            Action::Cancel | Action::Back => {
                state.info("Cancelled");
                Vec::new()
            }
            _ => {
                state.modal = Some(Modal::Confirm(c));
                Vec::new()
            }
        },
        Some(Modal::Prompt(p)) => prompt::action(state, p, a),
        None => match a {
            Action::Help => {
                state.modal = Some(Modal::Help { scroll: 0 });
                Vec::new()
            }
            Action::Refresh => {
                state.info("Reloading");
                reload(state)
            }
            _ => match state.screen {
                Screen::Inbox => inbox(state, a),
                Screen::Review => decide::review_action(state, a),
                Screen::History => history::action(state, a),
                Screen::Diff => opdiff::action(state, a),
                Screen::Blame => blame::action(state, a),
                Screen::Audit => audit::action(state, a),
            },
        },
    }
}

/// Rows of the inbox list that fit on screen.
pub fn inbox_page(state: &State) -> usize {
    let areas = super::view::layout(state.width, state.height, Screen::Inbox, 0);
    usize::from(areas.body.height.saturating_sub(3)).max(1)
}

fn inbox(state: &mut State, a: Action) -> Vec<Effect> {
    let len = state.inbox.visible().len();
    let last = len.saturating_sub(1);
    let page = inbox_page(state);
    let sel = &mut state.inbox.selected;
    match a {
        Action::Down => *sel = (*sel + 1).min(last),
        Action::Up => *sel = sel.saturating_sub(1),
        Action::PageDown => *sel = (*sel + page).min(last),
        Action::PageUp => *sel = sel.saturating_sub(page),
        Action::Top => *sel = 0,
        Action::Bottom => *sel = last,
        Action::Sort => {
            state.inbox.sort = state.inbox.sort.next();
            state.inbox.selected = 0;
            let label = state.inbox.sort.label();
            state.info(format!("Sorted by {label}"));
        }
        Action::Filter => {
            state.modal = Some(Modal::Prompt(Prompt {
                kind: PromptKind::Filter,
                text: state.inbox.filter.clone(),
            }));
        }
        Action::Open => {
            if let Some(p) = state.inbox.current() {
                let id = p.id;
                state.screen = Screen::Review;
                state.review = None;
                state.info(format!("Loading proposal #{id}"));
                return vec![Effect::LoadProposal(id)];
            }
        }
        Action::Back if !state.inbox.filter.is_empty() => state.inbox.filter.clear(),
        Action::Back => {
            state.quit = true;
            return vec![Effect::Quit];
        }
        Action::History => return history::open(state),
        Action::Audit => return audit::open(state),
        _ => {}
    }
    // Keep the selection on screen.
    let sel = state.inbox.selected;
    let off = &mut state.inbox.offset;
    if sel < *off {
        *off = sel;
    } else if sel >= *off + page {
        *off = sel + 1 - page;
    }
    Vec::new()
}
