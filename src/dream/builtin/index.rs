//! `MEMORY.md` stays an index of one-line pointers: when it outgrows 200 lines / 25 KB, repeated
//! pointers and repetitive log lines go, and inline facts move (unchanged) into topic files
//! named after their section; every new topic file gets a pointer.

use std::collections::{BTreeMap, BTreeSet};

use crate::dream::Category;
use crate::eval::normalize;

use super::store::{INDEX, Store, memory_evidence};
use super::text;

const MAX_LINES: usize = 200;
const MAX_BYTES: usize = 25 * 1024;

/// The link target of a pointer line (`[Title](file.md)`), if it is one.
fn link_target(line: &str) -> Option<&str> {
    let start = line.find("](")? + 2;
    let end = line.get(start..)?.find(')')? + start;
    line.get(start..end)
}

/// A line's shape with digits masked, for spotting repetitive log lines.
fn template(line: &str) -> String {
    normalize(line)
        .chars()
        .map(|c| if c.is_ascii_digit() { '#' } else { c })
        .collect()
}

fn slug(heading: &str) -> String {
    let base = heading
        .trim_start_matches('#')
        .split('(')
        .next()
        .unwrap_or("")
        .trim()
        .to_lowercase();
    let s: String = base
        .chars()
        .map(|c| if c.is_alphanumeric() { c } else { '-' })
        .collect();
    let s = s
        .split('-')
        .filter(|p| !p.is_empty())
        .collect::<Vec<_>>()
        .join("-");
    if s.is_empty() { "notes".to_owned() } else { s }
}

fn title(slug: &str) -> String {
    let mut t = slug.replace('-', " ");
    if let Some(f) = t.get(..1) {
        t = format!("{}{}", f.to_uppercase(), t.get(1..).unwrap_or(""));
    }
    t
}

/// Shrinks an oversized index. Returns the new topic files it created.
pub fn shrink(store: &mut Store) -> Vec<String> {
    let Some(doc) = store.docs.get(INDEX) else {
        return Vec::new();
    };
    let rendered = doc.render();
    if rendered.lines().count() <= MAX_LINES && rendered.len() <= MAX_BYTES {
        return Vec::new();
    }
    let lines: Vec<(usize, String)> = doc
        .editable()
        .map(|i| (i, doc.lines[i].text.clone()))
        .collect();
    let mut templates: BTreeMap<String, usize> = BTreeMap::new();
    for (_, l) in &lines {
        *templates.entry(template(l)).or_default() += 1;
    }
    // Facts already stated in a topic file.
    let topic_text: BTreeSet<String> = store
        .docs
        .iter()
        .filter(|(p, _)| p.as_str() != INDEX)
        .flat_map(|(_, d)| {
            d.lines
                .iter()
                .filter(|l| l.alive)
                .map(|l| normalize(text::entry_body(&l.text)))
        })
        .collect();
    let mut seen_targets = BTreeSet::new();
    let mut section = String::new();
    let mut drop_dup = Vec::new();
    let mut drop_log = Vec::new();
    let mut drop_known = Vec::new();
    let mut moves: BTreeMap<String, Vec<(usize, String)>> = BTreeMap::new();
    let mut headings = Vec::new();
    for (i, l) in &lines {
        let t = l.trim();
        if t.starts_with('#') {
            if t.starts_with("##") {
                section = slug(t);
                headings.push(*i);
            }
            continue;
        }
        if t.is_empty() {
            continue;
        }
        if let Some(target) = link_target(t) {
            if !seen_targets.insert(target.to_owned()) {
                drop_dup.push(*i);
            }
            continue;
        }
        if templates.get(&template(l)).copied().unwrap_or(0) >= 5 {
            drop_log.push(*i);
        } else if topic_text.contains(&normalize(text::entry_body(l))) {
            drop_known.push(*i);
        } else {
            let name = if section.is_empty() {
                "notes".to_owned()
            } else {
                section.clone()
            };
            moves.entry(name).or_default().push((*i, l.clone()));
        }
    }
    let mut created = Vec::new();
    for (name, items) in &moves {
        let mut path = format!("/{name}.md");
        if store.docs.get(&path).is_some_and(|d| d.original.is_some()) {
            path = format!("/{name}-notes.md");
        }
        let header = if store.docs.contains_key(&path) {
            Vec::new()
        } else {
            created.push(path.clone());
            vec![
                "---".to_owned(),
                format!("name: {}", title(name)),
                "description: Entries moved out of MEMORY.md to keep the index short".to_owned(),
                "type: reference".to_owned(),
                "---".to_owned(),
                String::new(),
            ]
        };
        let texts: Vec<String> = items.iter().map(|(_, t)| t.clone()).collect();
        if !store.append(&path, &header, &texts) {
            continue;
        }
        let changes: Vec<(String, usize, Option<String>)> = items
            .iter()
            .map(|(i, _)| (INDEX.to_owned(), *i, None))
            .collect();
        store.edit(&changes);
        let first = items.first().map_or("", |(_, t)| t.as_str());
        store.note(
            &path,
            Category::Reorganize,
            format!("{} inline entries moved unchanged from the oversized MEMORY.md into this topic file.", items.len()),
            vec![memory_evidence(first)],
        );
    }
    let mut removed = 0;
    for (set, why) in [
        (&drop_dup, "repeated pointers"),
        (&drop_log, "repetitive log lines"),
        (&drop_known, "entries already stated in a topic file"),
    ] {
        if set.is_empty() {
            continue;
        }
        let quote = store.line(INDEX, set[0]).unwrap_or("").to_owned();
        let changes: Vec<(String, usize, Option<String>)> =
            set.iter().map(|i| (INDEX.to_owned(), *i, None)).collect();
        if store.edit(&changes) {
            removed += set.len();
            store.note(
                INDEX,
                Category::Index,
                format!("MEMORY.md exceeded {MAX_LINES} lines, so {} {why} were dropped from the index.", set.len()),
                vec![memory_evidence(&quote)],
            );
        }
    }
    // Section headings left with nothing under them go too.
    let empty: Vec<usize> = headings
        .into_iter()
        .filter(|&h| {
            store.docs.get(INDEX).is_some_and(|d| {
                d.lines
                    .iter()
                    .skip(h + 1)
                    .filter(|l| l.alive)
                    .take_while(|l| !l.text.trim_start().starts_with('#'))
                    .all(|l| l.text.trim().is_empty())
            })
        })
        .collect();
    for h in empty {
        store.edit(&[(INDEX.to_owned(), h, None)]);
    }
    let _ = removed;
    if !moves.is_empty() {
        store.note(
            INDEX,
            Category::Reorganize,
            format!("MEMORY.md exceeded {MAX_LINES} lines / 25 KB; inline entries moved into topic files and replaced by pointers."),
            vec![memory_evidence(moves.values().flatten().next().map_or("", |(_, t)| t.as_str()))],
        );
    }
    // Collapse runs of blank lines left behind.
    if let Some(d) = store.docs.get(INDEX) {
        let mut prev_blank = false;
        let mut extra = Vec::new();
        for i in d.editable() {
            let blank = d.lines[i].text.trim().is_empty();
            if blank && prev_blank {
                extra.push((INDEX.to_owned(), i, None));
            }
            prev_blank = blank;
        }
        store.edit(&extra);
    }
    created
}

/// Adds a pointer line for each new topic file to the index (creating the index if needed).
pub fn link(store: &mut Store, files: &[String]) {
    let mut new: Vec<&String> = files.iter().filter(|p| p.as_str() != INDEX).collect();
    new.sort();
    new.dedup();
    if new.is_empty() {
        return;
    }
    if !store.docs.contains_key(INDEX) {
        store.append(INDEX, &["# Memory".to_owned(), String::new()], &[]);
    }
    for path in new {
        let rel = path.trim_start_matches('/');
        let linked = store.docs.get(INDEX).is_some_and(|d| {
            d.lines
                .iter()
                .any(|l| l.alive && link_target(&l.text) == Some(rel))
        });
        if linked {
            continue;
        }
        let (name, desc) = store
            .docs
            .get(path)
            .map(|d| {
                let field = |k: &str| {
                    d.lines
                        .iter()
                        .take(6)
                        .find_map(|l| l.text.strip_prefix(k).map(|v| v.trim().to_owned()))
                };
                (
                    field("name:").unwrap_or_else(|| rel.to_owned()),
                    field("description:").unwrap_or_default(),
                )
            })
            .unwrap_or_default();
        let pointer = if desc.is_empty() {
            format!("- [{name}]({rel})")
        } else {
            format!("- [{name}]({rel}) — {desc}")
        };
        let after = store.docs.get(INDEX).and_then(|d| {
            d.lines
                .iter()
                .enumerate()
                .filter(|(_, l)| l.alive && link_target(&l.text).is_some())
                .map(|(i, _)| i)
                .next_back()
        });
        if store.insert_after(INDEX, after, &pointer) {
            store.note(
                INDEX,
                Category::Index,
                format!("Pointer added for the new topic file {path}."),
                vec![],
            );
        }
    }
}
