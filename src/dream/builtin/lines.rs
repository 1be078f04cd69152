//! The editable memory lines of the corrections pass with what the pass asks of each line (its
//! lower-cased text and its content stems), built once and kept up to date as the pass edits,
//! plus inverted indexes (stem → lines, lower-cased word → lines) that narrow each question to
//! the few lines that can match before the exact check.

use std::collections::{BTreeSet, HashMap};

use super::notfound::all_lines;
use super::store::Store;
use super::text::{self, runs};

struct Rec {
    path: String,
    idx: usize,
    text: String,
    /// The lower-cased text; `None` when lower-casing changes its length (no word hits then).
    lower: Option<String>,
    stems: BTreeSet<String>,
    alive: bool,
}

impl Rec {
    fn new(path: String, idx: usize, text: String) -> Self {
        let mut r = Rec {
            path,
            idx,
            text: String::new(),
            lower: None,
            stems: BTreeSet::new(),
            alive: true,
        };
        r.set_text(text);
        r
    }

    fn set_text(&mut self, text: String) {
        let lower = text.to_lowercase();
        self.lower = (lower.len() == text.len()).then_some(lower);
        self.stems = text::content_stems(&text);
        self.text = text;
    }

    /// Lower-cased words of the line (empty when it has no word hits at all).
    fn words(&self) -> BTreeSet<&str> {
        self.lower
            .as_deref()
            .map(|l| runs(l).map(|(_, w)| w).collect())
            .unwrap_or_default()
    }
}

/// The editable non-index lines of a store, in `all_lines` order.
pub struct Lines {
    recs: Vec<Rec>,
    by_stem: HashMap<String, Vec<usize>>,
    by_word: HashMap<String, Vec<usize>>,
}

impl Lines {
    pub fn new(store: &Store) -> Self {
        let mut lines = Lines {
            recs: Vec::new(),
            by_stem: HashMap::new(),
            by_word: HashMap::new(),
        };
        for (path, idx) in all_lines(store) {
            let Some(text) = store.line(&path, idx).map(str::to_owned) else {
                continue;
            };
            lines.recs.push(Rec::new(path, idx, text));
            lines.post(lines.recs.len() - 1, true);
        }
        lines
    }

    /// Adds (`true`) or removes line `r` in the postings of its stems and words.
    fn post(&mut self, r: usize, add: bool) {
        let Some(rec) = self.recs.get(r) else {
            return;
        };
        for (map, keys) in [
            (
                &mut self.by_stem,
                rec.stems.iter().map(String::as_str).collect(),
            ),
            (&mut self.by_word, rec.words()),
        ] {
            let keys: BTreeSet<&str> = keys;
            for k in keys {
                if add {
                    let list = map.entry(k.to_owned()).or_default();
                    if let Err(at) = list.binary_search(&r) {
                        list.insert(at, r);
                    }
                } else if let Some(list) = map.get_mut(k)
                    && let Ok(at) = list.binary_search(&r)
                {
                    list.remove(at);
                }
            }
        }
    }

    /// The path, index and text of line `r`.
    pub fn get(&self, r: usize) -> Option<(&str, usize, &str)> {
        self.recs
            .get(r)
            .filter(|rec| rec.alive)
            .map(|rec| (rec.path.as_str(), rec.idx, rec.text.as_str()))
    }

    /// Records a successful edit of line `r`: its new text, or `None` when it was removed.
    pub fn update(&mut self, r: usize, new: Option<String>) {
        self.post(r, false);
        if let Some(rec) = self.recs.get_mut(r) {
            match new {
                Some(t) => rec.set_text(t),
                None => rec.alive = false,
            }
        }
        if self.recs.get(r).is_some_and(|rec| rec.alive) {
            self.post(r, true);
        }
    }

    /// Lines (in order) whose postings (ascending) hold every key; every alive line without keys.
    fn candidates(&self, map: &HashMap<String, Vec<usize>>, keys: &[&str]) -> Vec<usize> {
        let mut sets: Vec<&Vec<usize>> = Vec::new();
        for k in keys {
            match map.get(*k) {
                Some(set) => sets.push(set),
                None => return Vec::new(),
            }
        }
        sets.sort_by_key(|s| s.len());
        match sets.split_first() {
            Some((first, rest)) => first
                .iter()
                .copied()
                .filter(|r| rest.iter().all(|s| s.binary_search(r).is_ok()))
                .collect(),
            None => (0..self.recs.len())
                .filter(|&r| self.recs.get(r).is_some_and(|rec| rec.alive))
                .collect(),
        }
    }

    /// Lines whose content stems include all of `want`.
    pub fn with_stems(&self, want: &BTreeSet<String>) -> Vec<usize> {
        let keys: Vec<&str> = want.iter().map(String::as_str).collect();
        self.candidates(&self.by_stem, &keys)
            .into_iter()
            .filter(|&r| {
                self.recs
                    .get(r)
                    .is_some_and(|rec| rec.alive && want.iter().all(|w| rec.stems.contains(w)))
            })
            .collect()
    }

    /// Lines for "X, not Y": `y` is a whole word (case-insensitive) and `x` is not.
    pub fn naming(&self, x: &str, y: &str) -> Vec<usize> {
        let (xl, yl) = (x.to_lowercase(), y.to_lowercase());
        // Every word of a whole-word hit is a whole word of the line.
        let keys: BTreeSet<&str> = runs(&yl).map(|(_, w)| w).collect();
        let keys: Vec<&str> = keys.into_iter().collect();
        self.candidates(&self.by_word, &keys)
            .into_iter()
            .filter(|&r| {
                self.recs.get(r).is_some_and(|rec| {
                    rec.alive
                        && rec
                            .lower
                            .as_deref()
                            .is_some_and(|l| has_word(l, &yl) && !has_word(l, &xl))
                })
            })
            .collect()
    }
}

/// Byte ranges of whole-word, case-insensitive occurrences of `needle` in `hay`.
pub fn word_hits(hay: &str, needle: &str) -> Vec<(usize, usize)> {
    let lh = hay.to_lowercase();
    if lh.len() != hay.len() {
        return Vec::new();
    }
    let mut out = Vec::new();
    lower_hits(&lh, &needle.to_lowercase(), |s, e| {
        out.push((s, e));
        true
    });
    out
}

/// Calls `hit` with each whole-word occurrence of `ln` in `lh` (both lower-cased) until it
/// returns `false`.
fn lower_hits(lh: &str, ln: &str, mut hit: impl FnMut(usize, usize) -> bool) {
    if ln.is_empty() {
        return;
    }
    let is_w = |c: Option<char>| c.is_some_and(|c| c.is_alphanumeric() || c == '_');
    let mut from = 0;
    while let Some(i) = lh.get(from..).and_then(|s| s.find(ln)) {
        let s = from + i;
        let e = s + ln.len();
        if !is_w(lh.get(..s).and_then(|p| p.chars().last()))
            && !is_w(lh.get(e..).and_then(|p| p.chars().next()))
            && !hit(s, e)
        {
            return;
        }
        from = e;
    }
}

/// True when `ln` occurs as a whole word in `lh` (both lower-cased).
fn has_word(lh: &str, ln: &str) -> bool {
    let mut found = false;
    lower_hits(lh, ln, |_, _| {
        found = true;
        false
    });
    found
}
