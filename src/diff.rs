//! Line diffs as data: hunks of tagged lines with context, from `similar`. Layout-free: the CLI
//! and the TUI decide how to paint them.

use serde::Serialize;
use similar::{ChangeTag, TextDiff};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum LineTag {
    Context,
    Removed,
    Added,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DiffLine {
    pub tag: LineTag,
    /// 1-based line numbers on each side, when the line exists there.
    pub old_line: Option<usize>,
    pub new_line: Option<usize>,
    /// The text without its line ending.
    pub text: String,
    /// False when this is the last line and it has no newline at the end.
    pub newline: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Hunk {
    pub old_start: usize,
    pub old_len: usize,
    pub new_start: usize,
    pub new_len: usize,
    pub lines: Vec<DiffLine>,
}

/// Hunks turning `old` into `new`, with `context` unchanged lines around each change.
pub fn hunks(old: &str, new: &str, context: usize) -> Vec<Hunk> {
    let diff = TextDiff::from_lines(old, new);
    diff.grouped_ops(context)
        .into_iter()
        .map(|group| {
            let mut lines = Vec::new();
            for op in &group {
                for change in diff.iter_changes(op) {
                    let value = change.value();
                    let text = value.strip_suffix('\n').unwrap_or(value);
                    let text = text.strip_suffix('\r').unwrap_or(text);
                    lines.push(DiffLine {
                        tag: match change.tag() {
                            ChangeTag::Equal => LineTag::Context,
                            ChangeTag::Delete => LineTag::Removed,
                            ChangeTag::Insert => LineTag::Added,
                        },
                        old_line: change.old_index().map(|i| i + 1),
                        new_line: change.new_index().map(|i| i + 1),
                        text: text.to_owned(),
                        newline: value.ends_with('\n'),
                    });
                }
            }
            let (old_range, new_range) =
                group
                    .first()
                    .zip(group.last())
                    .map_or((0..0, 0..0), |(a, b)| {
                        (
                            a.old_range().start..b.old_range().end,
                            a.new_range().start..b.new_range().end,
                        )
                    });
            Hunk {
                old_start: old_range.start + usize::from(!old_range.is_empty()),
                old_len: old_range.len(),
                new_start: new_range.start + usize::from(!new_range.is_empty()),
                new_len: new_range.len(),
                lines,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_changed_line_becomes_one_hunk_with_context() {
        let h = hunks("a\nb\nc\n", "a\nB\nc\n", 1);
        assert_eq!(h.len(), 1);
        let tags: Vec<_> = h[0]
            .lines
            .iter()
            .map(|l| (l.tag, l.text.as_str()))
            .collect();
        assert_eq!(
            tags,
            [
                (LineTag::Context, "a"),
                (LineTag::Removed, "b"),
                (LineTag::Added, "B"),
                (LineTag::Context, "c")
            ]
        );
        assert_eq!(
            (h[0].old_start, h[0].old_len, h[0].new_start, h[0].new_len),
            (1, 3, 1, 3)
        );
    }

    #[test]
    fn a_missing_final_newline_is_visible() {
        let h = hunks("a\n", "a", 0);
        assert!(h[0].lines.iter().any(|l| !l.newline));
    }

    #[test]
    fn an_added_file_starts_at_zero_on_the_old_side() {
        let h = hunks("", "x\n", 3);
        assert_eq!(
            (h[0].old_start, h[0].old_len, h[0].new_start, h[0].new_len),
            (0, 0, 1, 1)
        );
    }
}
