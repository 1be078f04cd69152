//! Effects as data: what `update` asks the runtime to do (load, decide, apply, edit, roll back).
//! Tests assert on them; only the runtime performs them, through the core, off the render path.

use crate::review::Decision;
use crate::store::Target;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Load the pending proposals of every store.
    LoadInbox,
    /// Load one proposal with its texts, decisions and diffs.
    LoadProposal(i64),
    /// Record a decision (the runtime reloads the proposal afterwards).
    Decide {
        proposal: i64,
        target: Target,
        decision: Decision,
        reason: String,
    },
    /// Write the decided changes of a proposal as one operation.
    Apply(i64),
    /// Leave the screen, edit `text` in `$EDITOR`, and record the result as an edit of change
    /// `seq`.
    OpenEditor {
        proposal: i64,
        seq: i64,
        path: String,
        text: String,
    },
    /// Load evidence number `index` of the current file: its session around its event.
    LoadEvidence {
        session: String,
        event: Option<String>,
        index: usize,
    },
    /// Blame `path` in `store` as of operation `at` (`None`: head): each line's operation,
    /// actor, dream, and the evidence of the changes that wrote them.
    LoadBlame {
        store: String,
        path: String,
        at: Option<i64>,
    },
    /// The files that differ between the states after `from` and after `to` (`from` `None`:
    /// `to`'s parent, or the empty store).
    LoadOpDiff {
        store: String,
        from: Option<i64>,
        to: i64,
    },
    /// The paths of `store`'s files as of operation `at` (to pick one to blame).
    LoadFiles { store: String, at: i64 },
    /// The operations of `store` that added or removed `text`, as a narrowed history.
    SearchHistory { store: String, text: String },
    /// Name operation `op` of `store` (a `tag` operation and an audit record).
    Tag {
        store: String,
        op: i64,
        name: String,
    },
    /// Load the audit log and verify its chain.
    LoadAudit,
    /// Load a store's operation log (`None`: the first store).
    LoadHistory(Option<String>),
    /// Load a store's operation log with operation `op` selected.
    LoadHistoryAt { store: String, op: i64 },
    /// Work out what rolling `store` back to `op` would change.
    PreviewRollback { store: String, op: i64 },
    /// Restore a store to an operation's state (a new operation).
    Rollback {
        store: String,
        op: i64,
        reason: String,
    },
    /// Leave the TUI.
    Quit,
}
