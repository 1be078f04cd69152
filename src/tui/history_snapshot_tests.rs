//! Snapshots of the history tools at 80×24 and 160×48 with hostile content: the operation
//! diff, blame (a dream-written line with its evidence, a hostile line), the timeline with a
//! mark and a tag, the tag prompt and the blame file picker.

use super::action::Action;
use super::fixtures::{history_searched_state, history_state};
use super::fixtures_history::{blame_state, op_diff_state};
use super::snapshot_tests::{snap, with};
use super::update::{Msg, update};

#[test]
fn op_diff() {
    // Side by side at 160 columns, unified at 80.
    snap("op_diff", op_diff_state);
}

#[test]
fn op_diff_created_file_with_a_long_line() {
    snap("op_diff_created", |w, h| {
        with(op_diff_state(w, h), &[Action::NextFile, Action::Down])
    });
}

#[test]
fn op_diff_hostile_rename() {
    snap("op_diff_rename", |w, h| {
        with(
            op_diff_state(w, h),
            &[Action::NextFile, Action::NextFile, Action::NextFile],
        )
    });
}

#[test]
fn blame_dream_line_with_evidence() {
    snap("blame_dream", |w, h| {
        with(blame_state(w, h), &[Action::Down])
    });
}

#[test]
fn blame_hostile_line() {
    snap("blame_hostile", |w, h| {
        with(
            blame_state(w, h),
            &[Action::Down, Action::NextHunk, Action::NextHunk],
        )
    });
}

#[test]
fn history_with_a_mark_and_a_tag() {
    snap("history_marked", |w, h| {
        with(
            history_state(w, h),
            &[Action::Mark, Action::Down, Action::Down],
        )
    });
}

#[test]
fn history_narrowed_by_a_search() {
    snap("history_searched", |w, h| {
        with(history_searched_state(w, h), &[Action::Down])
    });
}

#[test]
fn tag_prompt() {
    snap("tag_prompt", |w, h| {
        let mut s = with(history_state(w, h), &[Action::Down, Action::Tag]);
        for c in "before-\x1b[31mdream".chars() {
            update(&mut s, Msg::Char(c));
        }
        s
    });
}

#[test]
fn blame_picker() {
    snap("blame_picker", |w, h| {
        let mut s = with(history_state(w, h), &[Action::Blame]);
        update(
            &mut s,
            Msg::FilesLoaded {
                store: "support-agent".into(),
                at: 4,
                files: vec![
                    "topics/\u{202E}gpj.exe".into(),
                    format!("deep/{}.md", "long-name-".repeat(20)),
                    "topics/x.md".into(),
                ],
            },
        );
        update(&mut s, Msg::Char('t'));
        with(s, &[Action::Down])
    });
}

#[test]
fn blame_detail_scrolled() {
    snap("blame_scrolled", |w, h| {
        with(
            blame_state(w, h),
            &[Action::Down, Action::DetailDown, Action::DetailDown],
        )
    });
}
