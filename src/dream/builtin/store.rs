//! The working copy of the memory store: files as line slots, protected lines (frontmatter,
//! pins), the deletion-budget ledger (the eval's `deleted_fraction` rule, kept incrementally),
//! change notes, and rendering back to whole files.

use std::collections::{BTreeMap, HashMap};

use crate::dream::{Category, ChangeNote, DreamInput, Evidence};
use crate::eval::normalize;

pub const INDEX: &str = "/MEMORY.md";
const PIN: &str = "<!-- lucid:pin -->";

#[derive(Debug, Clone)]
pub struct Line {
    pub text: String,
    pub alive: bool,
    /// Frontmatter or pinned: no pass may touch it.
    pub protected: bool,
}

#[derive(Debug, Clone)]
pub struct Doc {
    pub path: String,
    pub lines: Vec<Line>,
    pub original: Option<String>,
    pub trailing_newline: bool,
    /// `pinned: true` in the frontmatter: nothing in the file changes.
    pub pinned: bool,
    pub written_at: String,
    /// Frontmatter text (between the fences), for topic matching.
    pub frontmatter: String,
    pub dirty: bool,
}

impl Doc {
    fn parse(path: &str, content: &str, written_at: &str) -> Self {
        let raw: Vec<&str> = content.lines().collect();
        let mut lines: Vec<Line> = raw
            .iter()
            .map(|t| Line {
                text: (*t).to_owned(),
                alive: true,
                protected: false,
            })
            .collect();
        let mut frontmatter = String::new();
        if raw.first().is_some_and(|l| l.trim() == "---")
            && let Some(end) = raw.iter().skip(1).position(|l| l.trim() == "---")
        {
            for l in lines.iter_mut().take(end + 2) {
                l.protected = true;
            }
            frontmatter = raw.get(1..=end).map(|s| s.join("\n")).unwrap_or_default();
        }
        let pinned = frontmatter.lines().any(|l| {
            let t = l.trim().to_lowercase();
            t.starts_with("pinned:") && t.ends_with("true")
        });
        // Pin markers: the line, its continuation lines, or the next entry for a bare marker.
        let mut i = 0;
        while i < lines.len() {
            if lines[i].text.contains(PIN) {
                lines[i].protected = true;
                let bare = lines[i].text.trim() == PIN;
                let mut j = i + 1;
                if bare {
                    while j < lines.len() && lines[j].text.trim().is_empty() {
                        j += 1;
                    }
                    if j < lines.len() {
                        lines[j].protected = true;
                        j += 1;
                    }
                }
                while j < lines.len() {
                    let t = &lines[j].text;
                    if t.trim().is_empty()
                        || super::text::bullet_body(t).is_some()
                        || t.starts_with('#')
                    {
                        break;
                    }
                    lines[j].protected = true;
                    j += 1;
                }
            }
            i += 1;
        }
        if pinned {
            for l in &mut lines {
                l.protected = true;
            }
        }
        Doc {
            path: path.to_owned(),
            lines,
            original: Some(content.to_owned()),
            trailing_newline: content.ends_with('\n') || content.is_empty(),
            pinned,
            written_at: written_at.to_owned(),
            frontmatter,
            dirty: false,
        }
    }

    pub fn render(&self) -> String {
        if !self.dirty
            && let Some(o) = &self.original
        {
            return o.clone();
        }
        let mut out: String = self
            .lines
            .iter()
            .filter(|l| l.alive)
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        if self.trailing_newline && !out.is_empty() {
            out.push('\n');
        }
        out
    }

    /// Indices of alive, editable lines.
    pub fn editable(&self) -> impl Iterator<Item = usize> + '_ {
        self.lines
            .iter()
            .enumerate()
            .filter(|(_, l)| l.alive && !l.protected)
            .map(|(i, _)| i)
    }
}

/// The store with its deletion ledger and notes.
pub struct Store {
    pub docs: BTreeMap<String, Doc>,
    counts: HashMap<String, usize>,
    before: HashMap<String, usize>,
    deleted: usize,
    allowed: usize,
    pub notes: Vec<ChangeNote>,
}

impl Store {
    pub fn new(input: &DreamInput) -> Self {
        let mut docs = BTreeMap::new();
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut before: HashMap<String, usize> = HashMap::new();
        let mut total_before: usize = 0;
        for f in &input.files {
            let doc = Doc::parse(&f.path, &f.content, &f.written_at);
            for l in &doc.lines {
                let n = normalize(&l.text);
                if f.path != INDEX && !n.is_empty() {
                    *before.entry(n.clone()).or_default() += 1;
                    total_before += 1;
                }
                *counts.entry(n).or_default() += 1;
            }
            docs.insert(f.path.clone(), doc);
        }
        let budget = if input.deletion_budget.is_finite() {
            input.deletion_budget.clamp(0.0, 1.0)
        } else {
            0.0
        };
        let allowed = (budget * total_before as f64 + 1e-9).floor() as usize;
        Store {
            docs,
            counts,
            before,
            deleted: 0,
            allowed,
            notes: Vec::new(),
        }
    }

    fn dec(&mut self, text: &str) {
        let n = normalize(text);
        let c = self.counts.entry(n.clone()).or_default();
        *c = c.saturating_sub(1);
        if *c == 0 {
            self.deleted += self.before.get(&n).copied().unwrap_or(0);
        }
    }

    fn inc(&mut self, text: &str) {
        let n = normalize(text);
        let c = self.counts.entry(n.clone()).or_default();
        *c += 1;
        if *c == 1 {
            self.deleted = self
                .deleted
                .saturating_sub(self.before.get(&n).copied().unwrap_or(0));
        }
    }

    /// Replaces (`Some`) or removes (`None`) lines as one change; refused (nothing changes) if a
    /// line is protected or missing, or if the change would exceed the deletion budget.
    pub fn edit(&mut self, changes: &[(String, usize, Option<String>)]) -> bool {
        for (path, idx, _) in changes {
            let ok = self
                .docs
                .get(path)
                .and_then(|d| d.lines.get(*idx))
                .is_some_and(|l| l.alive && !l.protected);
            if !ok {
                return false;
            }
        }
        let mut undo: Vec<(String, usize, String)> = Vec::new();
        for (path, idx, new) in changes {
            let Some(old) = self
                .docs
                .get(path)
                .and_then(|d| d.lines.get(*idx))
                .map(|l| l.text.clone())
            else {
                continue;
            };
            self.dec(&old);
            if let Some(t) = new {
                self.inc(t);
            }
            if let Some(line) = self.docs.get_mut(path).and_then(|d| d.lines.get_mut(*idx)) {
                match new {
                    Some(t) => line.text.clone_from(t),
                    None => line.alive = false,
                }
            }
            undo.push((path.clone(), *idx, old));
        }
        if self.deleted > self.allowed {
            for (path, idx, old) in undo.into_iter().rev() {
                let cur = self
                    .docs
                    .get(&path)
                    .and_then(|d| d.lines.get(idx))
                    .map(|l| (l.alive, l.text.clone()));
                if let Some((alive, text)) = cur {
                    if alive {
                        self.dec(&text);
                    }
                    self.inc(&old);
                    if let Some(line) = self.docs.get_mut(&path).and_then(|d| d.lines.get_mut(idx))
                    {
                        line.text = old;
                        line.alive = true;
                    }
                }
            }
            return false;
        }
        for (path, _, _) in changes {
            if let Some(d) = self.docs.get_mut(path) {
                d.dirty = true;
            }
        }
        true
    }

    /// Appends lines to a file, creating it (with `header` lines first) if missing. Refused for
    /// pinned files.
    pub fn append(&mut self, path: &str, header: &[String], lines: &[String]) -> bool {
        if !self.docs.contains_key(path) {
            let doc = Doc {
                path: path.to_owned(),
                lines: Vec::new(),
                original: None,
                trailing_newline: true,
                pinned: false,
                written_at: String::new(),
                frontmatter: String::new(),
                dirty: true,
            };
            self.docs.insert(path.to_owned(), doc);
            for h in header {
                self.push_line(path, h, true);
            }
        }
        if self.docs.get(path).is_none_or(|d| d.pinned) {
            return false;
        }
        for l in lines {
            self.push_line(path, l, false);
        }
        true
    }

    /// Inserts a line after line `after` of a file (used for index pointers).
    pub fn insert_after(&mut self, path: &str, after: Option<usize>, text: &str) -> bool {
        let Some(doc) = self.docs.get_mut(path) else {
            return false;
        };
        if doc.pinned {
            return false;
        }
        let at = after.map_or(doc.lines.len(), |a| (a + 1).min(doc.lines.len()));
        doc.lines.insert(
            at,
            Line {
                text: text.to_owned(),
                alive: true,
                protected: false,
            },
        );
        doc.dirty = true;
        self.inc(text);
        true
    }

    fn push_line(&mut self, path: &str, text: &str, protected: bool) {
        if let Some(d) = self.docs.get_mut(path) {
            d.lines.push(Line {
                text: text.to_owned(),
                alive: true,
                protected,
            });
            d.dirty = true;
        }
        self.inc(text);
    }

    pub fn note(
        &mut self,
        path: &str,
        category: Category,
        rationale: String,
        evidence: Vec<Evidence>,
    ) {
        self.notes.push(ChangeNote {
            path: path.to_owned(),
            category,
            rationale,
            evidence,
        });
    }

    /// Alive text of a line.
    pub fn line(&self, path: &str, idx: usize) -> Option<&str> {
        self.docs
            .get(path)
            .and_then(|d| d.lines.get(idx))
            .filter(|l| l.alive)
            .map(|l| l.text.as_str())
    }

    /// All files, and the notes of files whose text really changed.
    pub fn finish(self, input: &DreamInput) -> (BTreeMap<String, String>, Vec<ChangeNote>) {
        let files: BTreeMap<String, String> = self
            .docs
            .values()
            .map(|d| (d.path.clone(), d.render()))
            .collect();
        let before: BTreeMap<&str, &str> = input
            .files
            .iter()
            .map(|f| (f.path.as_str(), f.content.as_str()))
            .collect();
        let changed = |p: &str| before.get(p).copied() != files.get(p).map(String::as_str);
        let notes = self
            .notes
            .into_iter()
            .filter(|n| changed(&n.path))
            .collect();
        (files, notes)
    }
}

/// Evidence pointing at a memory file (the store itself).
pub fn memory_evidence(quote: &str) -> Evidence {
    Evidence {
        session_id: None,
        event_id: None,
        quote: super::text::clip(quote.trim(), 200).to_owned(),
    }
}
