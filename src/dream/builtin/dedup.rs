//! Exact and near-duplicate entries within and across topic files: one statement is kept (the
//! one written last by a session, else the more complete wording, in the file whose topic fits
//! it best) and the others are removed, citing every origin. Candidate pairs come from an
//! inverted index of rare terms, so the pass stays near-linear on large stores.

use std::collections::{BTreeMap, BTreeSet};

use crate::dream::{Category, Evidence};

use super::store::{INDEX, Store, memory_evidence};
use super::text;
use super::writes::Writes;

struct Entry {
    path: String,
    idx: usize,
    line: String,
    key: String,
    stems: BTreeSet<String>,
    terms: BTreeSet<String>,
    /// When a session last wrote this line (empty when unknown).
    written: String,
    fit: usize,
}

fn is_entry_line(line: &str) -> bool {
    let t = line.trim();
    !t.is_empty()
        && !t.starts_with('#')
        && !t.starts_with('|')
        && !t.starts_with("```")
        && !t.starts_with("<!--")
        && t != "---"
}

fn collect(store: &Store) -> Vec<Entry> {
    let mut out = Vec::new();
    for (path, doc) in &store.docs {
        if path == INDEX || doc.pinned {
            continue;
        }
        let topic = text::content_stems(&format!(
            "{} {}",
            path.trim_end_matches(".md"),
            doc.frontmatter
        ));
        let mut in_fence = false;
        for (idx, l) in doc.lines.iter().enumerate() {
            if l.text.trim_start().starts_with("```") {
                in_fence = !in_fence;
            }
            if in_fence || !l.alive || l.protected || !is_entry_line(&l.text) {
                continue;
            }
            let body = text::entry_body(&l.text);
            let stems: BTreeSet<String> = text::content_stems(body)
                .into_iter()
                .filter(|w| !w.chars().all(|c| c.is_ascii_digit()))
                .collect();
            if stems.len() < 3 {
                continue;
            }
            let written = String::new();
            let fit = stems.iter().filter(|s| topic.contains(*s)).count();
            out.push(Entry {
                path: path.clone(),
                idx,
                line: l.text.clone(),
                key: crate::eval::normalize(body),
                terms: text::specific_terms(body),
                stems,
                written,
                fit,
            });
        }
    }
    out
}

fn similar(a: &Entry, b: &Entry, rare: &BTreeSet<&str>) -> bool {
    if a.key == b.key {
        return true;
    }
    let shared = a.stems.intersection(&b.stems).count();
    let union = a.stems.union(&b.stems).count().max(1);
    let j = shared as f64 / union as f64;
    if j >= 0.6 && shared >= 3 {
        return true;
    }
    let (small, large) = if a.terms.len() <= b.terms.len() {
        (&a.terms, &b.terms)
    } else {
        (&b.terms, &a.terms)
    };
    let rare_shared = a
        .terms
        .intersection(&b.terms)
        .any(|t| rare.contains(t.as_str()) && !t.starts_with('-'));
    let cover = shared as f64 / a.stems.len().min(b.stems.len()).max(1) as f64;
    rare_shared && small.is_subset(large) && j >= 0.2 && cover >= 0.5 && shared >= 3
}

/// Which of two duplicates to keep: later session write, then more words, then better topic
/// fit, then the first in path order.
fn keep_first(a: &Entry, b: &Entry) -> bool {
    (
        a.written.as_str(),
        a.stems.len(),
        a.fit,
        std::cmp::Reverse((&b.path, b.idx)),
    ) >= (
        b.written.as_str(),
        b.stems.len(),
        b.fit,
        std::cmp::Reverse((&a.path, a.idx)),
    )
}

pub fn run(store: &mut Store, writes: &Writes) {
    let entries = collect(store);
    // Term document frequency (by entry).
    let mut df: BTreeMap<&str, usize> = BTreeMap::new();
    for e in &entries {
        for t in &e.terms {
            *df.entry(t.as_str()).or_default() += 1;
        }
    }
    let rare: BTreeSet<&str> = df
        .iter()
        .filter(|(_, n)| **n <= 3)
        .map(|(t, _)| *t)
        .collect();
    let mut postings: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, e) in entries.iter().enumerate() {
        postings.entry(e.key.as_str()).or_default().push(i);
        for t in e.terms.iter().filter(|t| rare.contains(t.as_str())) {
            postings.entry(t.as_str()).or_default().push(i);
        }
        for s in &e.stems {
            postings.entry(s.as_str()).or_default().push(i);
        }
    }
    let mut pairs: BTreeSet<(usize, usize)> = BTreeSet::new();
    for list in postings.values().filter(|l| l.len() >= 2 && l.len() <= 12) {
        for (k, &a) in list.iter().enumerate() {
            for &b in list.iter().skip(k + 1) {
                if a != b && similar(&entries[a], &entries[b], &rare) {
                    pairs.insert((a.min(b), a.max(b)));
                }
            }
        }
    }
    let mut gone: BTreeSet<usize> = BTreeSet::new();
    let mut pairs: Vec<(usize, usize)> = pairs.into_iter().collect();
    pairs.sort_by_key(|&(a, b)| (entries[a].key != entries[b].key, a, b));
    // When a session last wrote an entry: only looked up for entries in a pair, once each.
    let mut entries = entries;
    let mut looked_up = vec![false; entries.len()];
    for &(a, b) in &pairs {
        for i in [a, b] {
            let Some(seen) = looked_up.get_mut(i).filter(|s| !**s) else {
                continue;
            };
            *seen = true;
            if let Some(e) = entries.get_mut(i) {
                let body = text::entry_body(&e.line);
                if body.len() >= 12 {
                    e.written = writes
                        .putting(body)
                        .map(|w| w.at.as_str())
                        .max()
                        .unwrap_or_default()
                        .to_owned();
                }
            }
        }
    }
    for (a, b) in pairs {
        if gone.contains(&a) || gone.contains(&b) {
            continue;
        }
        let (keep, drop) = if keep_first(&entries[a], &entries[b]) {
            (a, b)
        } else {
            (b, a)
        };
        let (k, d) = (&entries[keep], &entries[drop]);
        if !store.edit(&[(d.path.clone(), d.idx, None)]) {
            continue;
        }
        gone.insert(drop);
        let exact = k.key == d.key;
        let rationale = format!(
            "{} of the entry kept in {} (\"{}\"); one statement is enough, both origins are cited.",
            if exact {
                "Exact duplicate"
            } else {
                "Near-duplicate"
            },
            k.path,
            text::clip(text::entry_body(&k.line), 100)
        );
        let ev: Vec<Evidence> = vec![memory_evidence(&d.line), memory_evidence(&k.line)];
        store.note(&d.path, Category::Duplicate, rationale, ev);
    }
}
