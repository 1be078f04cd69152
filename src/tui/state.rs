//! Everything the TUI shows, as plain data: the screen, the modal, the inbox and the open review.
//! `update` changes it, `view` draws it; nothing here does IO or reads the clock.

use std::collections::BTreeMap;

use crate::model::{OpDetail, Proposal, ProposalChange};
use crate::review::{Resolution, Verdict};
use crate::store::Target;

use super::effect::Effect;
use super::keymap::{Keymap, Mode};
use super::rows::DiffView;

pub use super::blame::BlameView;
pub use super::opdiff::OpDiff;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Screen {
    Inbox,
    Review,
    History,
    /// The diff between two operations (read-only).
    Diff,
    /// Each line of a file with the operation that wrote it.
    Blame,
    Audit,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Modal {
    /// A destructive step waiting for a yes: the effect runs only on confirm.
    Confirm(Confirm),
    /// A line of text: a reason or the inbox filter.
    Prompt(Prompt),
    /// The key bindings, generated from the keymap.
    Help { scroll: usize },
    /// Read-only text: a cited session around the quoted event.
    Viewer(Viewer),
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Viewer {
    pub title: String,
    /// Untrusted lines, sanitized when drawn.
    pub lines: Vec<String>,
    pub scroll: usize,
    /// Which evidence of the current file (or blamed line) is shown (`None`: not evidence).
    pub evidence: Option<usize>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Confirm {
    pub title: String,
    /// The summary: what will be written, what conflicts.
    pub lines: Vec<String>,
    pub effect: Effect,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Prompt {
    pub kind: PromptKind,
    pub text: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PromptKind {
    /// Filters the inbox while typing.
    Filter,
    /// The reason for rolling `store` back to operation `op`.
    RollbackReason { store: String, op: i64 },
    /// The name of a new tag on operation `op` of `store`.
    TagName { store: String, op: i64 },
    /// A text to find the operations of `store` that added or removed it.
    SearchText { store: String },
    /// A file of `store` to blame as of operation `at`, picked from `files` (typing filters).
    BlamePath {
        store: String,
        at: i64,
        files: Vec<String>,
        /// Index into the files matching the typed text.
        selected: usize,
    },
    /// The reason for a rejection of `target` (`what` names it for the title).
    Reason {
        proposal: i64,
        target: Target,
        what: String,
    },
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Sort {
    #[default]
    Newest,
    Oldest,
    Store,
    Changes,
    Flags,
}

impl Sort {
    #[must_use]
    pub fn next(self) -> Self {
        match self {
            Self::Newest => Self::Oldest,
            Self::Oldest => Self::Store,
            Self::Store => Self::Changes,
            Self::Changes => Self::Flags,
            Self::Flags => Self::Newest,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Newest => "newest",
            Self::Oldest => "oldest",
            Self::Store => "store",
            Self::Changes => "most changes",
            Self::Flags => "most flags",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Inbox {
    pub items: Vec<Proposal>,
    /// Index into [`Inbox::visible`].
    pub selected: usize,
    /// First visible row of the list.
    pub offset: usize,
    pub filter: String,
    pub sort: Sort,
    pub loaded: bool,
}

impl Inbox {
    /// Indices of `items` that pass the filter, in sort order.
    pub fn visible(&self) -> Vec<usize> {
        let needle = self.filter.to_lowercase();
        let mut idx: Vec<usize> = (0..self.items.len())
            .filter(|i| needle.is_empty() || matches_filter(&self.items[*i], &needle))
            .collect();
        let items = &self.items;
        match self.sort {
            Sort::Newest => idx.sort_by(|a, b| items[*b].created_at.cmp(&items[*a].created_at)),
            Sort::Oldest => idx.sort_by(|a, b| items[*a].created_at.cmp(&items[*b].created_at)),
            Sort::Store => idx.sort_by(|a, b| items[*a].store.cmp(&items[*b].store)),
            Sort::Changes => idx.sort_by(|a, b| items[*b].changes.cmp(&items[*a].changes)),
            Sort::Flags => idx.sort_by_key(|i| std::cmp::Reverse(flag_count(&items[*i]))),
        }
        idx
    }

    /// The selected proposal, if any passes the filter.
    pub fn current(&self) -> Option<&Proposal> {
        self.visible()
            .get(self.selected)
            .and_then(|i| self.items.get(*i))
    }
}

fn flag_count(p: &Proposal) -> usize {
    p.flags.len() + p.conflicts + usize::from(p.stale)
}

fn matches_filter(p: &Proposal, needle: &str) -> bool {
    let hay = format!(
        "#{} {} {} {} {} {}",
        p.id,
        p.store,
        p.engine,
        p.state,
        p.flags.join(" "),
        p.categories.keys().cloned().collect::<Vec<_>>().join(" ")
    );
    hay.to_lowercase().contains(needle)
}

/// One file of the proposal under review.
#[derive(Debug, Clone, PartialEq)]
pub struct FileReview {
    pub change: ProposalChange,
    pub base: String,
    pub proposed: String,
    pub resolution: Resolution,
    /// Resolutions before this session's decisions, for an immediate undo.
    pub undo: Vec<Resolution>,
    /// Hunks a decision can name (whole-file kinds have one).
    pub hunks: usize,
    pub diff: DiffView,
    /// The store's file moved on since the proposal's base: applying it will conflict.
    pub moved: bool,
}

impl FileReview {
    pub fn verdict(&self, hunk: usize) -> Option<Verdict> {
        match &self.resolution {
            Resolution::Undecided => None,
            Resolution::Edited(_) => Some(Verdict::Accept),
            Resolution::Hunks(v) => v.get(&hunk).copied(),
        }
    }

    /// `(accepted, rejected)` hunk counts.
    pub fn tally(&self) -> (usize, usize) {
        (0..self.hunks).fold((0, 0), |(a, r), h| match self.verdict(h) {
            Some(Verdict::Accept) => (a + 1, r),
            Some(Verdict::Reject) => (a, r + 1),
            None => (a, r),
        })
    }

    /// A short label of the decision state: `edited`, `accepted`, `rejected`, `2/3`, `open`.
    pub fn decision_label(&self) -> String {
        if matches!(self.resolution, Resolution::Edited(_)) {
            return "edited".into();
        }
        if self.change.state != "open" {
            return self.change.state.clone();
        }
        match self.tally() {
            (0, 0) => "open".into(),
            (a, 0) if a == self.hunks => "accepted".into(),
            (0, r) if r == self.hunks => "rejected".into(),
            (a, r) => format!("{}/{} decided", a + r, self.hunks),
        }
    }
}

/// Who and when, for a session cited as evidence.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRef {
    pub agent: String,
    pub started_at: Option<String>,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Review {
    pub proposal: Proposal,
    pub files: Vec<FileReview>,
    /// Sessions cited by the evidence, by the id the evidence uses.
    pub sessions: BTreeMap<String, SessionRef>,
    pub file: usize,
    pub hunk: usize,
    /// First visible diff row.
    pub scroll: usize,
    /// Wrapped lines of that row scrolled past (a long line scrolls line by line).
    pub skip: usize,
    /// First line shown in the rationale and evidence panel.
    pub detail_scroll: usize,
    /// Flips the width-based choice between side-by-side and unified.
    pub toggle_layout: bool,
}

impl Review {
    pub fn current(&self) -> Option<&FileReview> {
        self.files.get(self.file)
    }
}

/// The operation log of one store, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct History {
    pub store: String,
    pub ops: Vec<OpDetail>,
    pub selected: usize,
    /// What the rollback being prepared would change (shown while asking for the reason).
    pub preview: Option<Vec<String>>,
    /// The operation marked as one end of a diff.
    pub mark: Option<i64>,
    /// Set when the list holds only the operations that added or removed a text.
    pub search: Option<HistorySearch>,
}

/// A history narrowed to the operations that added or removed `text` (`/` on its screen).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HistorySearch {
    pub text: String,
    /// Per listed operation (same order): the files where the text was added or removed.
    pub matches: Vec<Vec<crate::store::TextChange>>,
    /// The store's newest operation (the current state), which need not be listed.
    pub head: Option<i64>,
}

impl History {
    /// Whether the operation at `i` is the store's current state (nothing to roll back to).
    pub fn is_current(&self, i: usize) -> bool {
        match &self.search {
            None => i == 0,
            Some(s) => s.head.is_some() && self.ops.get(i).map(|o| o.op.id) == s.head,
        }
    }
}

/// What `audit verify` says about the chain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verify {
    /// Every record checks out; `head` is the hash to anchor outside the database.
    Ok { records: i64, head: String },
    /// The first record that does not check out, and why.
    Broken { seq: i64, why: String },
    /// Verification could not run.
    Failed(String),
}

/// The audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AuditView {
    pub records: Vec<crate::audit::Record>,
    pub verify: Verify,
    /// Index into the filtered list.
    pub selected: usize,
    pub filter: String,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Status {
    pub text: String,
    pub error: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct State {
    pub screen: Screen,
    pub modal: Option<Modal>,
    pub keymap: Keymap,
    pub inbox: Inbox,
    pub review: Option<Review>,
    pub history: Option<History>,
    pub op_diff: Option<OpDiff>,
    pub blame: Option<BlameView>,
    pub audit: Option<AuditView>,
    /// Terminal size.
    pub width: u16,
    pub height: u16,
    /// The current time (RFC 3339), given by the runtime, for ages.
    pub now: Option<String>,
    pub status: Option<Status>,
    /// False under `NO_COLOR`: modifiers only.
    pub color: bool,
    /// Screens to go back to from a diff or a blame (opened on top of another screen).
    pub trail: Vec<Screen>,
    /// Effects in flight (a spinner in the header).
    pub busy: usize,
    pub quit: bool,
}

impl State {
    pub fn new(keymap: Keymap, width: u16, height: u16) -> Self {
        Self {
            screen: Screen::Inbox,
            modal: None,
            keymap,
            inbox: Inbox::default(),
            review: None,
            history: None,
            op_diff: None,
            blame: None,
            audit: None,
            width,
            height,
            now: None,
            status: None,
            color: true,
            trail: Vec::new(),
            busy: 0,
            quit: false,
        }
    }

    /// The keymap table in force.
    pub fn mode(&self) -> Mode {
        match &self.modal {
            Some(Modal::Confirm(_)) => Mode::Confirm,
            Some(Modal::Prompt(_)) => Mode::Prompt,
            Some(Modal::Help { .. }) => Mode::Help,
            Some(Modal::Viewer(_)) => Mode::Viewer,
            None => match self.screen {
                Screen::Inbox => Mode::Inbox,
                Screen::Review => Mode::Review,
                Screen::History => Mode::History,
                Screen::Diff => Mode::Diff,
                Screen::Blame => Mode::Blame,
                Screen::Audit => Mode::Audit,
            },
        }
    }

    /// True when the diff is drawn unified (narrow terminal, or the toggle).
    pub fn unified(&self) -> bool {
        let toggle = super::doc::doc(self).is_some_and(super::doc::DiffDoc::toggled);
        (self.width < super::view::UNIFIED_BELOW) != toggle
    }

    pub fn info(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: false,
        });
    }

    pub fn error(&mut self, text: impl Into<String>) {
        self.status = Some(Status {
            text: text.into(),
            error: true,
        });
    }
}
