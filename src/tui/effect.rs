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
    /// Blame `path` in `store` at its head: each line's operation, actor, dream.
    LoadBlame { store: String, path: String },
    /// Load the audit log and verify its chain.
    LoadAudit,
    /// Load a store's operation log (`None`: the first store).
    LoadHistory(Option<String>),
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
