//! Commands, paths and URLs that sessions disprove: a memory-stated one that fails as not
//! found (404, ENOENT, "No such file", "Unit … not found"), and the similar command that
//! worked after it, which takes its place in the entry.

use std::collections::{BTreeMap, HashMap};

use crate::dream::{Category, Evidence};

use super::sessions::{Cmd, Digest, command_key, is_inspection, says_not_found, segments};
use super::store::{INDEX, Store, memory_evidence};
use super::text;

/// `(path, line index)` of every editable non-index line.
pub fn all_lines(store: &Store) -> Vec<(String, usize)> {
    store
        .docs
        .iter()
        .filter(|(p, _)| p.as_str() != INDEX)
        .flat_map(|(p, d)| d.editable().map(move |i| (p.clone(), i)))
        .collect()
}

/// Code spans and path/URL-like words of a line.
fn line_spans(line: &str) -> Vec<String> {
    let mut out: Vec<String> = line
        .split('`')
        .skip(1)
        .step_by(2)
        .map(str::to_owned)
        .collect();
    for w in line.split_whitespace() {
        let w = w
            .trim_matches(|c: char| "()[],;\"'`".contains(c))
            .trim_end_matches('.');
        if (w.starts_with('/') || w.contains("://"))
            && w.len() >= 5
            && !out.iter().any(|s| s.contains(w))
        {
            out.push(w.to_owned());
        }
    }
    out
}

/// The part of a span a failing command must contain: up to a `{`/`<` placeholder.
fn probe(span: &str) -> Option<&str> {
    let p = span.split(['{', '<']).next().unwrap_or("").trim();
    (p.len() >= 4 && p.chars().any(char::is_alphabetic)).then_some(p)
}

fn word_set(s: &str) -> std::collections::BTreeSet<String> {
    text::words(s).into_iter().filter(|w| w.len() > 1).collect()
}

/// For a path/URL span, the matching path of the replacement command, with the failing
/// call's concrete value turned back into the span's placeholder.
fn path_replacement(span: &str, probe: &str, failed: &str, good: &str) -> Option<String> {
    let tok = good
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| "'\"`".contains(c)))
        .find(|t| t.contains('/'))?;
    let mut path = match tok.find("://") {
        Some(i) if !span.contains("://") => {
            let rest = tok.get(i + 3..)?;
            rest.get(rest.find('/')?..)?.to_owned()
        }
        _ => tok.to_owned(),
    };
    let placeholder = span.get(probe.len()..).unwrap_or("");
    if !placeholder.is_empty() {
        let value: String = failed
            .split(probe)
            .nth(1)
            .unwrap_or("")
            .chars()
            .take_while(|c| !c.is_whitespace() && !"'\"?&".contains(*c))
            .collect();
        if value.len() >= 2 && path.contains(&value) {
            path = path.replace(&value, placeholder.trim_end_matches(['/', '.']));
        }
    }
    Some(path)
}

/// Retires memory-stated commands, paths and URLs that sessions show no longer exist.
pub fn retire_not_found(store: &mut Store, digest: &Digest) {
    // Every not-found failure with its shell segments, split once.
    let failures: Vec<(usize, usize, &Cmd, Vec<String>)> = digest
        .cmds
        .iter()
        .enumerate()
        .flat_map(|(s, cs)| {
            cs.iter()
                .enumerate()
                .filter(|(_, c)| c.not_found)
                .map(move |(i, c)| (s, i, c, segments(&c.command)))
        })
        .collect();
    if failures.is_empty() {
        return;
    }
    // 4-byte windows of each failing command → the failures holding it (ascending).
    let mut windows: HashMap<&[u8], Vec<usize>> = HashMap::new();
    for (f, (_, _, cmd, _)) in failures.iter().enumerate() {
        for w in cmd.command.as_bytes().windows(4) {
            let list = windows.entry(w).or_default();
            if list.last() != Some(&f) {
                list.push(f);
            }
        }
    }
    for (path, idx) in all_lines(store) {
        let Some(line) = store.line(&path, idx).map(str::to_owned) else {
            continue;
        };
        for span in line_spans(&line) {
            let Some(probe) = probe(&span) else { continue };
            // replacement display -> (count, evidence)
            let mut found: BTreeMap<String, (usize, Vec<Evidence>)> = BTreeMap::new();
            let mut failed_sessions = std::collections::BTreeSet::new();
            // A command holding the probe holds each of its windows: only the failures under
            // its rarest window can match.
            let every: Vec<usize>;
            let narrowest = if let Some(list) = probe
                .as_bytes()
                .windows(4)
                .map(|w| windows.get(w).map_or(&[][..], Vec::as_slice))
                .min_by_key(|l| l.len())
            {
                list
            } else {
                every = (0..failures.len()).collect();
                &every
            };
            for (s, i, cmd, segs) in narrowest.iter().filter_map(|&f| failures.get(f)) {
                let (s, i) = (*s, *i);
                // A segment holds the probe only if the whole command does.
                if !cmd.command.contains(probe) {
                    continue;
                }
                let Some(fseg) = segs.iter().find(|g| g.contains(probe)).cloned() else {
                    continue;
                };
                let nf_lines: Vec<String> = cmd
                    .result
                    .lines()
                    .filter(|l| says_not_found(l))
                    .map(str::to_lowercase)
                    .collect();
                let named = text::words(probe)
                    .iter()
                    .filter(|w| w.len() > 3 && !fseg.starts_with(w.as_str()))
                    .any(|w| nf_lines.iter().any(|l| l.contains(w.as_str())));
                let strong = nf_lines.iter().any(|l| {
                    ["404", "not found", "no such file", "enoent"]
                        .iter()
                        .any(|p| l.contains(p))
                });
                let short =
                    strong && cmd.result.lines().filter(|l| !l.trim().is_empty()).count() <= 3;
                if !(named || short && segs.last() == Some(&fseg)) {
                    continue;
                }
                failed_sessions.insert(s);
                let first = fseg
                    .split_whitespace()
                    .find(|w| !w.contains('=') && *w != "sudo")
                    .unwrap_or("");
                let mut fwords = word_set(&fseg);
                fwords.remove(&first.to_lowercase());
                let best = digest.cmds[s]
                    .iter()
                    .skip(i + 1)
                    .take(8)
                    .filter(|c| !c.failed)
                    .flat_map(|c| segments(&c.command).into_iter().map(move |g| (g, c)))
                    .filter(|(g, _)| !is_inspection(g) && !g.contains(probe))
                    .map(|(g, c)| {
                        let shared = word_set(&g).intersection(&fwords).count();
                        (shared, g, c)
                    })
                    .filter(|(shared, _, _)| *shared >= 1)
                    .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.len().cmp(&a.1.len())));
                let Some((_, good, c)) = best else { continue };
                let repl = if span.starts_with('/') || span.contains("://") {
                    match path_replacement(&span, probe, &fseg, &good) {
                        Some(p) => p,
                        None => continue,
                    }
                } else {
                    good.clone()
                };
                if text::unsafe_text(&repl) {
                    continue;
                }
                let e = found.entry(repl).or_default();
                e.0 += 1;
                e.1.extend(digest.evidence(s, cmd.result_event, "not found"));
                e.1.extend(digest.evidence(s, c.use_event, &good));
            }
            let best = found
                .into_iter()
                .max_by(|a, b| a.1.0.cmp(&b.1.0).then_with(|| b.0.len().cmp(&a.0.len())));
            let Some((repl, (n, mut ev))) = best else {
                continue;
            };
            let new = line.replace(&span, &repl);
            if new == line || !store.edit(&[(path.clone(), idx, Some(new))]) {
                continue;
            }
            ev.truncate(4);
            ev.insert(0, memory_evidence(&line));
            let key = command_key(&repl);
            let rationale = format!(
                "`{}` failed as not found in {} session(s) and `{}` worked instead{}, so the entry now names the working one.",
                text::clip(&span, 80),
                failed_sessions.len(),
                text::clip(&repl, 80),
                if n > 1 {
                    format!(" ({n} times)")
                } else {
                    String::new()
                },
            );
            let _ = key;
            store.note(&path, Category::Stale, rationale, ev);
            break;
        }
    }
}
