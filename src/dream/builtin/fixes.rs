//! Rules learned from commands: the same failure followed by the same fixing command in at
//! least three sessions, and a command at least two agents converge on after failures.

use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write as _;

use crate::dream::Evidence;
use crate::eval::normalize;

use super::learn::Learned;
use super::sessions::{Digest, command_key, is_inspection, is_inspection_key, segments};
use super::text::{self, Haystack};

fn error_line(result: &str) -> Option<String> {
    let line = result
        .lines()
        .map(|l| {
            l.trim_start_matches("[tool_result error]")
                .trim_start_matches("[tool_result]")
                .trim()
        })
        .find(|l| {
            let ll = l.to_lowercase();
            ll.contains("error")
                || ll.contains("not found")
                || ll.contains("failed")
                || ll.contains("no module")
        })?;
    let clipped = text::clip(line, 120).trim().to_owned();
    (!clipped.is_empty() && !clipped.contains("://") && !text::unsafe_text(&clipped))
        .then_some(clipped)
}

fn shortest(v: &[String]) -> String {
    let mut counts: BTreeMap<&str, usize> = BTreeMap::new();
    for s in v {
        *counts.entry(s.as_str()).or_default() += 1;
    }
    counts
        .into_iter()
        .max_by(|a, b| {
            a.1.cmp(&b.1)
                .then_with(|| b.0.len().cmp(&a.0.len()))
                .then_with(|| b.0.cmp(a.0))
        })
        .map(|(s, _)| s.to_owned())
        .unwrap_or_default()
}

#[derive(Default)]
struct FixGroup {
    sessions: BTreeSet<usize>,
    agents: BTreeSet<String>,
    fixes: Vec<String>,
    failed: Vec<String>,
    errors: Vec<String>,
    evidence: Vec<Evidence>,
}

/// The same failure followed by the same fixing command in several sessions.
pub fn fixes(digest: &Digest, memory: &Haystack) -> (Vec<Learned>, BTreeSet<String>) {
    let mut groups: BTreeMap<String, FixGroup> = BTreeMap::new();
    for cmds in &digest.cmds {
        for (i, f) in cmds.iter().enumerate() {
            if !f.failed {
                continue;
            }
            let fsegs = segments(&f.command);
            let fkeys: BTreeSet<String> = fsegs.iter().map(|s| command_key(s)).collect();
            let Some(fix) = cmds.iter().skip(i + 1).take(5).find(|c| {
                !c.failed
                    && segments(&c.command).iter().any(|g| {
                        let k = command_key(g);
                        !is_inspection_key(&k) && !fkeys.contains(&k)
                    })
            }) else {
                continue;
            };
            let failing = fsegs
                .iter()
                .rev()
                .find(|g| !is_inspection(g))
                .cloned()
                .unwrap_or_default();
            // The failure's error line, read once for all the fix's segments.
            let mut error: Option<Option<String>> = None;
            for g in segments(&fix.command) {
                let key = command_key(&g);
                if is_inspection_key(&key)
                    || fkeys.contains(&key)
                    || key.split_whitespace().count() < 2
                {
                    continue;
                }
                let e = groups.entry(key).or_default();
                if e.sessions.insert(f.sess) {
                    e.evidence
                        .extend(digest.evidence(f.sess, f.result_event, ""));
                    e.evidence
                        .extend(digest.evidence(fix.sess, fix.use_event, &g));
                }
                e.agents.insert(digest.agent(f.sess).to_owned());
                e.fixes.push(g.clone());
                if !failing.is_empty() {
                    e.failed.push(failing.clone());
                }
                e.errors
                    .extend(error.get_or_insert_with(|| error_line(&f.result)).clone());
            }
        }
    }
    let mut out = Vec::new();
    let mut used = BTreeSet::new();
    for (key, g) in groups {
        let n = g.sessions.len();
        if n < 3 {
            continue;
        }
        let fix = shortest(&g.fixes);
        if fix.is_empty() || memory.contains(&normalize(&fix)) || text::unsafe_text(&fix) {
            continue;
        }
        let failed = shortest(&g.failed);
        let err = shortest(&g.errors);
        let mut line = format!("- When `{failed}` fails");
        if !err.is_empty() {
            let _ = write!(line, " with \"{err}\"");
        }
        let _ = write!(line, ", run `{fix}` (fixed it in {n} sessions");
        if g.agents.len() > 1 {
            let _ = write!(line, ", {} agents", g.agents.len());
        }
        line.push(')');
        if text::unsafe_text(&line) {
            continue;
        }
        used.insert(key);
        out.push(Learned {
            line,
            kind: "fix",
            rationale: format!(
                "The same failure was fixed by `{}` in {n} sessions, so the fix becomes a rule.",
                text::clip(&fix, 80)
            ),
            evidence: g.evidence.into_iter().take(6).collect(),
        });
    }
    (out, used)
}

/// A command at least two agents converge on (in at least three sessions, after a failure in
/// at least two of them).
pub fn workflows(digest: &Digest, memory: &Haystack, skip: &BTreeSet<String>) -> Vec<Learned> {
    #[derive(Default)]
    struct W {
        sessions: BTreeSet<usize>,
        after_failure: BTreeSet<usize>,
        agents: BTreeSet<String>,
        shapes: Vec<String>,
        dirs: BTreeMap<String, BTreeSet<usize>>,
        evidence: Vec<Evidence>,
        /// Its last command in the session being read.
        last_at: usize,
    }
    let mut ws: BTreeMap<String, W> = BTreeMap::new();
    for (si, cmds) in digest.cmds.iter().enumerate() {
        let mut failed_before = false;
        let agent = digest.agent(si);
        // The keys this session ran; the edits before each key's last command give its dirs.
        let mut seen: Vec<String> = Vec::new();
        for (ci, c) in cmds.iter().enumerate() {
            if c.failed {
                failed_before = true;
                continue;
            }
            for g in segments(&c.command) {
                let key = command_key(&g);
                if is_inspection_key(&key)
                    || key.split_whitespace().count() < 2
                    || skip.contains(&key)
                {
                    continue;
                }
                if !ws.contains_key(&key) {
                    ws.insert(key.clone(), W::default());
                }
                let Some(w) = ws.get_mut(&key) else { continue };
                if w.sessions.insert(si) {
                    w.evidence.extend(digest.evidence(si, c.use_event, &g));
                    seen.push(key);
                }
                if failed_before {
                    w.after_failure.insert(si);
                }
                if !w.agents.contains(agent) {
                    w.agents.insert(agent.to_owned());
                }
                w.last_at = ci;
                w.shapes.push(g);
            }
        }
        // Each edited dir of the session with the position of its first edit.
        let mut first_edit: BTreeMap<&str, usize> = BTreeMap::new();
        for (pos, path) in digest.edits.get(si).into_iter().flatten() {
            if let Some((dir, _)) = path.rsplit_once('/') {
                let first = first_edit.entry(dir).or_insert(*pos);
                *first = (*first).min(*pos);
            }
        }
        for key in seen {
            let Some(w) = ws.get_mut(&key) else { continue };
            let ci = w.last_at;
            for (dir, _) in first_edit.iter().filter(|(_, pos)| **pos <= ci) {
                w.dirs.entry((*dir).to_owned()).or_default().insert(si);
            }
        }
    }
    let mut out = Vec::new();
    for (_, w) in ws {
        if w.agents.len() < 2 || w.sessions.len() < 3 || w.after_failure.len() < 2 {
            continue;
        }
        let cmd = shortest(&w.shapes);
        if cmd.is_empty() || memory.contains(&normalize(&cmd)) || text::unsafe_text(&cmd) {
            continue;
        }
        let dir = w
            .dirs
            .iter()
            .filter(|(_, s)| s.len() >= 2)
            .max_by(|a, b| a.1.len().cmp(&b.1.len()).then_with(|| b.0.cmp(a.0)))
            .map(|(d, _)| {
                let parts: Vec<&str> = d.split('/').filter(|p| !p.is_empty()).collect();
                format!("{}/", parts[parts.len().saturating_sub(2)..].join("/"))
            });
        let agents: Vec<&str> = w.agents.iter().map(String::as_str).collect();
        let mut line = format!("- Run `{cmd}`");
        if let Some(d) = dir {
            let _ = write!(line, " after changing files under `{d}`");
        }
        let _ = write!(
            line,
            " (workflow {} agents converged on: {}; seen in {} sessions)",
            agents.len(),
            agents.join(", "),
            w.sessions.len()
        );
        out.push(Learned {
            line,
            kind: "workflow",
            rationale: format!("{} agents independently ran `{}` to get past failures, so it becomes a shared workflow.", agents.len(), text::clip(&cmd, 80)),
            evidence: w.evidence.into_iter().take(6).collect(),
        });
    }
    out
}
