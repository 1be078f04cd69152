//! The actions a key can trigger: the TUI's vocabulary and, through serde's `snake_case` names,
//! the keymap file's `run = "…"` values. Plain data; what an action does lives in `update`.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Action {
    /// Leave the TUI.
    Quit,
    /// Close the modal, clear the filter, or go back one screen (quits from the inbox).
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    /// Open the selected proposal.
    Open,
    /// Start typing a filter.
    Filter,
    /// Cycle the sort order.
    Sort,
    Help,
    /// Reload from the database.
    Refresh,
    AcceptHunk,
    RejectHunk,
    AcceptFile,
    RejectFile,
    /// Accept every open change of the current file's category (asks first).
    AcceptCategory,
    /// Take back the latest decision on the current file.
    Undo,
    /// Edit the current file's result in `$EDITOR`.
    Edit,
    NextHunk,
    PrevHunk,
    NextFile,
    PrevFile,
    /// Scroll the rationale and evidence panel.
    DetailDown,
    DetailUp,
    /// Open the session cited by the current file's evidence, around the quoted event.
    OpenEvidence,
    /// In the session viewer: the next piece of evidence.
    NextEvidence,
    /// Side-by-side or unified diff.
    ToggleLayout,
    /// Write the decided changes (asks first).
    Apply,
    /// The operation log of the store in view.
    History,
    /// Roll the store back to the selected operation (preview, reason, confirm).
    Rollback,
    /// Blame a file: each line with the operation that wrote it.
    Blame,
    /// Mark the selected operation as one end of a diff (again: unmark).
    Mark,
    /// The diff between the marked and the selected operation, or what the selected one
    /// changed.
    Diff,
    /// Name the selected operation.
    Tag,
    /// To the next or previous tagged operation.
    NextTag,
    PrevTag,
    Audit,
    /// Answer yes in a confirmation, submit a prompt.
    Confirm,
    /// Answer no, close a prompt.
    Cancel,
    /// Delete a character in a prompt.
    DeleteChar,
}

impl Action {
    /// The `snake_case` name used in the keymap file.
    pub fn name(self) -> String {
        serde_json::to_value(self)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_snake_case() {
        assert_eq!(Action::AcceptHunk.name(), "accept_hunk");
        assert_eq!(Action::ToggleLayout.name(), "toggle_layout");
    }
}
