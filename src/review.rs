//! Review, pure: hunks of a proposed change, `materialize(base, proposed, decisions)` — the exact
//! text a set of decisions produces — and a 3-way merge for changes whose base moved.

use std::collections::BTreeMap;
use std::ops::Range;

use serde::{Deserialize, Serialize};
use similar::DiffOp;

/// Unchanged lines kept around each hunk; hunks closer than twice this merge into one.
pub const CONTEXT: usize = 3;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    Accept,
    Reject,
}

/// The effective decisions on one file change after replaying its decision log.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub enum Resolution {
    /// Nothing decided yet.
    #[default]
    Undecided,
    /// Verdicts per hunk (a file-level accept or reject sets every hunk).
    Hunks(BTreeMap<usize, Verdict>),
    /// The reviewer's own text replaces the file.
    Edited(String),
}

/// One recorded decision, in the order it was made.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Decision {
    /// `hunk: None` = the whole file.
    Verdict {
        hunk: Option<usize>,
        verdict: Verdict,
    },
    Edit(String),
    /// Takes back the latest decision still in force.
    Undo,
}

/// Replays a decision log for a file whose diff has `hunks` hunks.
pub fn resolve(decisions: &[Decision], hunks: usize) -> Resolution {
    let mut stack: Vec<Resolution> = vec![Resolution::Undecided];
    for d in decisions {
        let current = stack.last().cloned().unwrap_or_default();
        let next = match d {
            Decision::Undo => {
                if stack.len() > 1 {
                    stack.pop();
                }
                continue;
            }
            Decision::Edit(text) => Resolution::Edited(text.clone()),
            Decision::Verdict {
                hunk: None,
                verdict,
            } => Resolution::Hunks((0..hunks).map(|h| (h, *verdict)).collect()),
            Decision::Verdict {
                hunk: Some(h),
                verdict,
            } => {
                let mut map = match current {
                    Resolution::Hunks(m) => m,
                    Resolution::Undecided | Resolution::Edited(_) => BTreeMap::new(),
                };
                if *h < hunks {
                    map.insert(*h, *verdict);
                }
                Resolution::Hunks(map)
            }
        };
        stack.push(next);
    }
    stack.pop().unwrap_or_default()
}

/// Lines with their endings (the last may lack one).
fn lines(text: &str) -> Vec<&str> {
    text.split_inclusive('\n').collect()
}

/// The line diff `old → new` (Myers, as similar's text diff).
fn line_ops(old: &[&str], new: &[&str]) -> Vec<DiffOp> {
    similar::capture_diff_slices(similar::Algorithm::Myers, old, new)
}

/// The hunks of a diff: groups of changed ops with [`CONTEXT`] lines between them.
fn hunk_groups(ops: &[DiffOp]) -> Vec<Vec<DiffOp>> {
    similar::group_diff_ops(ops.to_vec(), CONTEXT)
        .into_iter()
        .map(|g| {
            g.into_iter()
                .filter(|op| !matches!(op, DiffOp::Equal { .. }))
                .collect::<Vec<_>>()
        })
        .filter(|g| !g.is_empty())
        .collect()
}

/// How many hunks `base → proposed` has.
pub fn hunk_count(base: &str, proposed: &str) -> usize {
    hunk_groups(&line_ops(&lines(base), &lines(proposed))).len()
}

/// The text the decisions produce: accepted hunks take the proposed lines, rejected and
/// undecided hunks keep the base.
pub fn materialize(base: &str, proposed: &str, resolution: &Resolution) -> String {
    let verdicts = match resolution {
        Resolution::Edited(text) => return text.clone(),
        Resolution::Undecided => return base.to_owned(),
        Resolution::Hunks(v) => v,
    };
    let (old, new) = (lines(base), lines(proposed));
    let ops = line_ops(&old, &new);
    // Which hunk each changed op (by its old and new start) belongs to.
    let mut hunk_of: BTreeMap<(usize, usize), usize> = BTreeMap::new();
    for (i, group) in hunk_groups(&ops).iter().enumerate() {
        for op in group {
            hunk_of.insert((op.old_range().start, op.new_range().start), i);
        }
    }
    let mut out = String::with_capacity(base.len().max(proposed.len()));
    for op in &ops {
        let take_new = match op {
            DiffOp::Equal { .. } => false,
            _ => hunk_of
                .get(&(op.old_range().start, op.new_range().start))
                .and_then(|h| verdicts.get(h))
                .is_some_and(|v| *v == Verdict::Accept),
        };
        let taken = if take_new {
            &new[op.new_range()]
        } else {
            &old[op.old_range()]
        };
        for l in taken {
            out.push_str(l);
        }
    }
    out
}

/// True when every hunk has a verdict (or the file was edited).
pub fn fully_decided(resolution: &Resolution, hunks: usize) -> bool {
    match resolution {
        Resolution::Undecided => hunks == 0,
        Resolution::Edited(_) => true,
        Resolution::Hunks(v) => (0..hunks).all(|h| v.contains_key(&h)),
    }
}

/// True when the decisions accept something (an edit counts).
pub fn accepts_anything(resolution: &Resolution) -> bool {
    match resolution {
        Resolution::Undecided => false,
        Resolution::Edited(_) => true,
        Resolution::Hunks(v) => v.values().any(|v| *v == Verdict::Accept),
    }
}

/// One side's edits of the base: replace base lines `range` with `lines`.
#[derive(Debug, Clone)]
struct Edit<'a> {
    range: Range<usize>,
    lines: Vec<&'a str>,
}

fn edits<'a>(base: &[&'a str], other: &[&'a str]) -> Vec<Edit<'a>> {
    line_ops(base, other)
        .iter()
        .filter(|op| !matches!(op, DiffOp::Equal { .. }))
        .map(|op| Edit {
            range: op.old_range(),
            lines: other[op.new_range()].to_vec(),
        })
        .collect()
}

/// Applies the edits that fall inside `span` to base lines `span`.
fn side_text(base: &[&str], span: &Range<usize>, side: &[&Edit<'_>]) -> String {
    let mut out = String::new();
    let mut at = span.start;
    for e in side {
        base[at..e.range.start].iter().for_each(|l| out.push_str(l));
        e.lines.iter().for_each(|l| out.push_str(l));
        at = e.range.end;
    }
    base[at..span.end].iter().for_each(|l| out.push_str(l));
    out
}

/// The result of a 3-way merge.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Merged {
    pub text: String,
    /// Regions both sides changed differently, marked `<<<<<<< current` … `>>>>>>> proposed`.
    pub conflicts: usize,
}

/// Merges the changes `base → current` and `base → proposed`. Non-overlapping edits from both
/// sides are kept; identical edits once; overlapping different edits are marked.
pub fn merge3(base: &str, current: &str, proposed: &str) -> Merged {
    let base_lines = lines(base);
    let ours = edits(&base_lines, &lines(current));
    let theirs = edits(&base_lines, &lines(proposed));
    let mut all: Vec<(bool, &Edit<'_>)> = ours
        .iter()
        .map(|e| (true, e))
        .chain(theirs.iter().map(|e| (false, e)))
        .collect();
    all.sort_by_key(|(ours, e)| (e.range.start, e.range.end, !*ours));
    let mut text = String::new();
    let mut conflicts = 0;
    let mut at = 0;
    let mut i = 0;
    while i < all.len() {
        // A cluster: edits whose base ranges overlap or touch at an insertion point.
        let mut span = all[i].1.range.clone();
        let mut j = i + 1;
        while j < all.len() {
            let r = &all[j].1.range;
            let touches = r.start < span.end
                || (r.start == span.start && r.start == span.end)
                || (r.start == span.end && r.is_empty() && span.is_empty());
            if !touches {
                break;
            }
            span.end = span.end.max(r.end);
            j += 1;
        }
        let cluster = &all[i..j];
        base_lines[at..span.start]
            .iter()
            .for_each(|l| text.push_str(l));
        let current_side: Vec<&Edit<'_>> = cluster
            .iter()
            .filter(|(o, _)| *o)
            .map(|(_, e)| *e)
            .collect();
        let proposed_side: Vec<&Edit<'_>> = cluster
            .iter()
            .filter(|(o, _)| !*o)
            .map(|(_, e)| *e)
            .collect();
        let cur = side_text(&base_lines, &span, &current_side);
        let pro = side_text(&base_lines, &span, &proposed_side);
        if current_side.is_empty() {
            text.push_str(&pro);
        } else if proposed_side.is_empty() || cur == pro {
            text.push_str(&cur);
        } else {
            conflicts += 1;
            text.push_str("<<<<<<< current\n");
            push_line_block(&mut text, &cur);
            text.push_str("=======\n");
            push_line_block(&mut text, &pro);
            text.push_str(">>>>>>> proposed\n");
        }
        at = span.end;
        i = j;
    }
    base_lines[at..].iter().for_each(|l| text.push_str(l));
    Merged { text, conflicts }
}

fn push_line_block(out: &mut String, block: &str) {
    out.push_str(block);
    if !block.is_empty() && !block.ends_with('\n') {
        out.push('\n');
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const BASE: &str = "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nl\nm\n";
    const PROPOSED: &str = "a\nB\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\nm\nn\n";

    fn all(verdict: Verdict) -> Resolution {
        resolve(
            &[Decision::Verdict {
                hunk: None,
                verdict,
            }],
            hunk_count(BASE, PROPOSED),
        )
    }

    #[test]
    fn two_distant_changes_are_two_hunks() {
        assert_eq!(hunk_count(BASE, PROPOSED), 2);
    }

    #[test]
    fn accepting_one_hunk_takes_only_its_lines() {
        let r = resolve(
            &[Decision::Verdict {
                hunk: Some(1),
                verdict: Verdict::Accept,
            }],
            2,
        );
        assert_eq!(
            materialize(BASE, PROPOSED, &r),
            "a\nb\nc\nd\ne\nf\ng\nh\ni\nj\nk\nL\nm\nn\n"
        );
    }

    #[test]
    fn undo_takes_back_the_latest_decision() {
        let log = [
            Decision::Verdict {
                hunk: None,
                verdict: Verdict::Accept,
            },
            Decision::Edit("mine\n".into()),
            Decision::Undo,
        ];
        assert_eq!(resolve(&log, 2), all(Verdict::Accept));
        assert_eq!(
            resolve(&[Decision::Undo, Decision::Undo], 2),
            Resolution::Undecided
        );
    }

    #[test]
    fn merge_keeps_both_sides_when_they_do_not_overlap() {
        let current = BASE.replace("a\n", "A\n").replace("g\n", "G\n");
        let m = merge3(BASE, &current, PROPOSED);
        assert_eq!(m.conflicts, 0, "{}", m.text);
        assert_eq!(m.text, "A\nB\nc\nd\ne\nf\nG\nh\ni\nj\nk\nL\nm\nn\n");
    }

    #[test]
    fn merge_marks_overlapping_edits() {
        let current = BASE.replace("b\n", "bee\n");
        let m = merge3(BASE, &current, PROPOSED);
        assert_eq!(m.conflicts, 1);
        assert!(
            m.text
                .contains("<<<<<<< current\nbee\n=======\nB\n>>>>>>> proposed\n"),
            "{}",
            m.text
        );
    }

    #[test]
    fn identical_edits_merge_cleanly() {
        let m = merge3(BASE, PROPOSED, PROPOSED);
        assert_eq!((m.text.as_str(), m.conflicts), (PROPOSED, 0));
    }

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!["a\n", "b\n", "c\n", "d\n", "e", "\u{200b}\n"]),
            0..30,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        #[test]
        fn all_accepted_is_proposed_and_all_rejected_is_base(base in text(), proposed in text()) {
            let n = hunk_count(&base, &proposed);
            let acc = resolve(&[Decision::Verdict { hunk: None, verdict: Verdict::Accept }], n);
            let rej = resolve(&[Decision::Verdict { hunk: None, verdict: Verdict::Reject }], n);
            prop_assert_eq!(materialize(&base, &proposed, &acc), proposed.clone());
            prop_assert_eq!(materialize(&base, &proposed, &rej), base.clone());
        }

        #[test]
        fn accepting_hunks_one_by_one_equals_accepting_the_file(base in text(), proposed in text()) {
            let n = hunk_count(&base, &proposed);
            let log: Vec<Decision> = (0..n)
                .map(|h| Decision::Verdict { hunk: Some(h), verdict: Verdict::Accept })
                .collect();
            prop_assert_eq!(materialize(&base, &proposed, &resolve(&log, n)), proposed);
        }

        #[test]
        fn merging_with_an_unchanged_side_takes_the_other(base in text(), other in text()) {
            prop_assert_eq!(merge3(&base, &base, &other).text, other.clone());
            prop_assert_eq!(merge3(&base, &other, &base).text, other);
        }
    }
}
