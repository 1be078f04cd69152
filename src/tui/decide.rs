//! The review screen's part of `update`: per-hunk and per-file
//! decisions (applied to the state at once and sent to the core as effects), undo, the reason
//! prompt, and the apply confirmation. Pure, like the rest of `update`.

use crate::review::{self, Decision, Resolution, Verdict};
use crate::sanitize;
use crate::store::Target;

use super::action::Action;
use super::effect::Effect;
use super::nav::{self, scroll_to};
use super::state::{Confirm, FileReview, Modal, Prompt, PromptKind, Screen, State};

/// What the current file or hunk is called in messages.
fn what(f: &FileReview, hunk: Option<usize>) -> String {
    let path = sanitize::line(&f.change.path);
    match hunk {
        Some(h) if f.hunks > 1 => format!("hunk {}/{} of {path}", h + 1, f.hunks),
        _ => path,
    }
}

/// Records a verdict on the current file at once and asks the core to store it.
fn verdict(state: &mut State, hunk: Option<usize>, v: Verdict, reason: String) -> Vec<Effect> {
    let Some(r) = &mut state.review else {
        return Vec::new();
    };
    let proposal = r.proposal.id;
    let Some(f) = r.files.get_mut(r.file) else {
        return Vec::new();
    };
    let decision = Decision::Verdict { hunk, verdict: v };
    let mut log = vec![decision.clone()];
    if let Resolution::Hunks(map) = &f.resolution {
        // Replaying the current verdicts first keeps them (resolve starts from nothing).
        log = map
            .iter()
            .map(|(h, v)| Decision::Verdict {
                hunk: Some(*h),
                verdict: *v,
            })
            .chain(log)
            .collect();
    }
    f.undo.push(f.resolution.clone());
    f.resolution = review::resolve(&log, f.hunks);
    let label = what(f, hunk);
    let target = Target::Change {
        seq: f.change.seq,
        hunk,
    };
    let done = if v == Verdict::Accept {
        "Accepted"
    } else {
        "Rejected"
    };
    state.info(format!("{done} {label}"));
    vec![Effect::Decide {
        proposal,
        target,
        decision,
        reason,
    }]
}

/// The reason prompt was answered: record the rejection.
pub fn reject(state: &mut State, proposal: i64, target: &Target, reason: String) -> Vec<Effect> {
    let hunk = match target {
        Target::Change { hunk, .. } => *hunk,
        _ => None,
    };
    match &state.review {
        Some(r) if r.proposal.id == proposal => {
            let effects = verdict(state, hunk, Verdict::Reject, reason);
            if hunk.is_some() {
                nav::next_hunk_in_file(state);
            }
            effects
        }
        _ => Vec::new(),
    }
}

fn open_file(state: &mut State) -> Option<(i64, usize, FileReview)> {
    let r = state.review.as_ref()?;
    let f = r.current()?.clone();
    if f.change.state != "open" {
        let msg = format!(
            "{} is {}: nothing to decide",
            what(&f, None),
            f.change.state
        );
        state.error(msg);
        return None;
    }
    Some((r.proposal.id, r.hunk, f))
}

fn ask_reason(state: &mut State, hunk: Option<usize>) {
    let Some((proposal, _, f)) = open_file(state) else {
        return;
    };
    state.modal = Some(Modal::Prompt(Prompt {
        kind: PromptKind::Reason {
            proposal,
            target: Target::Change {
                seq: f.change.seq,
                hunk,
            },
            what: what(&f, hunk),
        },
        text: String::new(),
    }));
}

fn undo(state: &mut State) -> Vec<Effect> {
    let Some((proposal, _, f)) = open_file(state) else {
        return Vec::new();
    };
    if f.undo.is_empty() && f.resolution == Resolution::Undecided {
        state.info("Nothing to undo");
        return Vec::new();
    }
    if let Some(file) = state.review.as_mut().and_then(|r| r.files.get_mut(r.file))
        && let Some(prev) = file.undo.pop()
    {
        file.resolution = prev;
    }
    state.info(format!("Undid the latest decision on {}", what(&f, None)));
    vec![Effect::Decide {
        proposal,
        target: Target::Change {
            seq: f.change.seq,
            hunk: None,
        },
        decision: Decision::Undo,
        reason: String::new(),
    }]
}

/// Loads evidence `from` (or the next one citing a session) of the current file.
pub fn evidence(state: &mut State, from: usize) -> Vec<Effect> {
    let Some(f) = state
        .review
        .as_ref()
        .and_then(super::state::Review::current)
    else {
        return Vec::new();
    };
    let found = f
        .change
        .evidence
        .iter()
        .enumerate()
        .skip(from)
        .find_map(|(i, e)| Some((i, e.session_id.clone()?, e.event_id.clone())));
    match found {
        Some((index, session, event)) => vec![Effect::LoadEvidence {
            session,
            event,
            index,
        }],
        None if from == 0 => {
            state.info("No session is cited for this file");
            Vec::new()
        }
        None => {
            state.info("No more evidence for this file");
            Vec::new()
        }
    }
}

/// Accepting every open change of the current file's category, after a confirmation that
/// lists them.
fn confirm_category(state: &mut State) {
    let Some(r) = &state.review else { return };
    let Some(f) = r.current() else { return };
    let category = f.change.category.clone();
    let open: Vec<&FileReview> = r
        .files
        .iter()
        .filter(|f| f.change.state == "open" && f.change.category == category)
        .collect();
    let shown = sanitize::line(&category);
    if open.is_empty() {
        state.error(format!("No open change of category {shown}"));
        return;
    }
    let mut lines = vec![format!(
        "Accept all {} open {shown} change(s), every hunk:",
        open.len()
    )];
    lines.extend(
        open.iter()
            .map(|f| format!("  {} {}", f.change.kind, sanitize::line(&f.change.path))),
    );
    lines.push("Nothing is written until you apply (c).".into());
    let proposal = r.proposal.id;
    state.modal = Some(Modal::Confirm(Confirm {
        title: format!("Accept every {shown} change"),
        lines,
        effect: Effect::Decide {
            proposal,
            target: Target::Category(category),
            decision: Decision::Verdict {
                hunk: None,
                verdict: Verdict::Accept,
            },
            reason: String::new(),
        },
    }));
}

/// The apply confirmation: what will be written, what conflicts, what stays open.
fn confirm_apply(state: &mut State) {
    let Some(r) = &state.review else { return };
    let (mut write, mut conflict, mut open) = (Vec::new(), Vec::new(), 0usize);
    for f in r.files.iter().filter(|f| f.change.state == "open") {
        if !review::accepts_anything(&f.resolution) {
            open += 1;
        } else if f.moved {
            conflict.push(f);
        } else {
            write.push(f);
        }
    }
    if write.is_empty() && conflict.is_empty() {
        state.error("Nothing accepted yet: accept hunks or files (a / A) first");
        return;
    }
    let store = sanitize::line(&r.proposal.store);
    let mut lines = vec![format!(
        "Write {} file(s) to store {store} as one operation:",
        write.len()
    )];
    for f in &write {
        let (a, _) = f.tally();
        let detail = if matches!(f.resolution, Resolution::Edited(_)) {
            "your edit".to_owned()
        } else if a == f.hunks {
            "all hunks".to_owned()
        } else {
            format!("{a} of {} hunks", f.hunks)
        };
        lines.push(format!(
            "  {} {} ({detail})",
            f.change.kind,
            sanitize::line(&f.change.path)
        ));
    }
    if !conflict.is_empty() {
        lines.push(format!(
            "{} conflict(s): changed in the store since the dream; not written, re-proposed:",
            conflict.len()
        ));
        for f in &conflict {
            lines.push(format!("  ! {}", sanitize::line(&f.change.path)));
        }
    }
    if open > 0 {
        lines.push(format!("{open} file(s) stay open (undecided or rejected)."));
    }
    let id = r.proposal.id;
    state.modal = Some(Modal::Confirm(Confirm {
        title: format!("Apply proposal #{id}"),
        lines,
        effect: Effect::Apply(id),
    }));
}

pub fn review_action(state: &mut State, a: Action) -> Vec<Effect> {
    if a == Action::Back {
        state.screen = Screen::Inbox;
        state.review = None;
        return vec![Effect::LoadInbox];
    }
    if state.review.is_none() {
        return Vec::new();
    }
    match a {
        Action::Down => nav::line_down(state),
        Action::Up => nav::line_up(state),
        Action::PageDown => (0..nav::diff_page(state)).for_each(|_| nav::line_down(state)),
        Action::PageUp => (0..nav::diff_page(state)).for_each(|_| nav::line_up(state)),
        Action::Top => scroll_to(state, 0),
        Action::Bottom => scroll_to(state, usize::MAX),
        Action::NextHunk => nav::go_hunk(state, true),
        Action::PrevHunk => nav::go_hunk(state, false),
        Action::NextFile => nav::go_file(state, true),
        Action::PrevFile => nav::go_file(state, false),
        Action::ToggleLayout => nav::toggle_layout(state),
        Action::DetailDown | Action::DetailUp => {
            if let Some(r) = &mut state.review {
                r.detail_scroll = if a == Action::DetailDown {
                    r.detail_scroll + 1
                } else {
                    r.detail_scroll.saturating_sub(1)
                };
            }
        }
        Action::AcceptHunk => {
            if let Some((_, hunk, _)) = open_file(state) {
                let effects = verdict(state, Some(hunk), Verdict::Accept, String::new());
                nav::next_hunk_in_file(state);
                return effects;
            }
        }
        Action::AcceptFile if open_file(state).is_some() => {
            return verdict(state, None, Verdict::Accept, String::new());
        }
        Action::RejectHunk => {
            let hunk = state.review.as_ref().map(|r| r.hunk);
            ask_reason(state, hunk);
        }
        Action::RejectFile => ask_reason(state, None),
        Action::Undo => return undo(state),
        Action::Edit => {
            if let Some((proposal, _, f)) = open_file(state) {
                let text = review::materialize(&f.base, &f.proposed, &f.resolution);
                return vec![Effect::OpenEditor {
                    proposal,
                    seq: f.change.seq,
                    path: f.change.path.clone(),
                    text,
                }];
            }
        }
        Action::Apply => confirm_apply(state),
        Action::OpenEvidence => return evidence(state, 0),
        Action::AcceptCategory => confirm_category(state),
        Action::History => return super::history::open(state),
        Action::Audit => return super::audit::open(state),
        Action::Blame => {
            if let Some(r) = &state.review
                && let Some(f) = r.current()
            {
                let (store, path) = (r.proposal.store.clone(), f.change.path.clone());
                return super::blame::open(state, store, path, None);
            }
        }
        _ => {}
    }
    Vec::new()
}
