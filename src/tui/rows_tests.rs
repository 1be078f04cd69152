//! Tests of the side-by-side alignment and word emphasis.

use super::rows::{Row, URow, build, emphasis};

#[test]
fn changed_lines_pair_up_with_word_emphasis() {
    let v = build("a\nthe quick fox\nb\n", "a\nthe slow fox\nb\n");
    let pair = v.rows.iter().find_map(|r| match r {
        Row::Line {
            left: Some(l),
            right: Some(r),
            changed: true,
            ..
        } => Some((l.clone(), r.clone())),
        _ => None,
    });
    let (l, r) = pair.expect("a paired row");
    assert_eq!(&l.text[l.emph[0].clone()], "quick");
    assert_eq!(&r.text[r.emph[0].clone()], "slow");
    assert_eq!(v.hunk_rows, [0]);
}

#[test]
fn dissimilar_lines_get_no_emphasis() {
    assert!(emphasis("completely different", "nothing alike here").is_none());
    assert!(emphasis("x = 1;", "x = 2;").is_some());
}

#[test]
fn invisible_changes_show_as_markers() {
    let v = build("ab\n", "a\u{200b}b\n");
    let shown: Vec<&str> = v
        .unified
        .iter()
        .filter_map(|r| match r {
            URow::Line { side, .. } => Some(side.text.as_str()),
            URow::Header(_) => None,
        })
        .collect();
    assert_eq!(shown, ["ab", "a⟨U+200B⟩b"]);
}

#[test]
fn similar_lines_pair_up_even_when_not_in_the_same_position() {
    let v = build(
        "a\nold step\nLast reviewed: yesterday\n",
        "a\nLast reviewed: 2026-11-24\n",
    );
    let sides: Vec<(Option<&str>, Option<&str>)> = v
        .rows
        .iter()
        .filter_map(|r| match r {
            Row::Line {
                changed: true,
                left,
                right,
                ..
            } => Some((
                left.as_ref().map(|s| s.text.as_str()),
                right.as_ref().map(|s| s.text.as_str()),
            )),
            _ => None,
        })
        .collect();
    assert_eq!(
        sides,
        [
            (Some("old step"), None),
            (
                Some("Last reviewed: yesterday"),
                Some("Last reviewed: 2026-11-24")
            )
        ]
    );
}

#[test]
fn uneven_blocks_leave_one_sided_rows() {
    let v = build("x\n", "y\nz\n");
    let one_sided = v
        .rows
        .iter()
        .filter(|r| {
            matches!(
                r,
                Row::Line {
                    left: None,
                    right: Some(_),
                    ..
                }
            )
        })
        .count();
    assert_eq!(one_sided, 1);
}

mod props {
    use proptest::prelude::*;

    fn text() -> impl Strategy<Value = String> {
        prop::collection::vec(
            prop::sample::select(vec!["a\n", "b\n", "c\n", "d\n", "e", "\u{200b}\n", "x y\n"]),
            0..40,
        )
        .prop_map(|v| v.concat())
    }

    proptest! {
        /// The hunks shown are the hunks decisions name.
        #[test]
        fn shown_hunks_are_the_cores_hunks(base in text(), proposed in text()) {
            let view = super::build(&base, &proposed);
            prop_assert_eq!(view.hunk_rows.len(), crate::review::hunk_count(&base, &proposed));
            prop_assert_eq!(view.hunk_urows.len(), view.hunk_rows.len());
        }
    }
}
