//! Text helpers shared by the passes: tokens, stems, stopwords, sentences, quotes, secret checks.

use std::collections::{BTreeSet, HashSet};

use crate::{injection, secrets};

/// Words too common to say anything about a memory entry.
const STOPWORDS: &[&str] = &[
    "a", "an", "the", "and", "or", "but", "if", "then", "so", "to", "of", "in", "on", "at", "by",
    "for", "with", "from", "into", "onto", "as", "is", "are", "was", "were", "be", "been", "it",
    "its", "it's", "this", "that", "these", "those", "we", "you", "i", "me", "my", "our", "your",
    "they", "them", "their", "he", "she", "his", "her", "do", "does", "did", "has", "have", "had",
    "can", "could", "would", "will", "shall", "may", "might", "should", "must", "not", "no", "yes",
    "all", "any", "some", "there", "here", "what", "which", "who", "when", "where", "how", "why",
    "than", "too", "very", "just", "also", "about", "up", "out", "over", "use", "using", "used",
    "get", "got", "one", "s", "t", "re", "ve", "ll", "d", "m", "e", "g", "eg", "ie", "etc", "via",
    "per", "each", "every", "only", "always", "never", "please", "again", "don", "dont", "ever",
    "now", "same", "like", "ok", "okay", "thanks", "thank", "ty", "btw", "lol", "let", "lets",
    "make", "sure", "remember", "from", "before", "after", "other", "more",
];

/// True for a word that carries no content.
pub fn is_stopword(w: &str) -> bool {
    STOPWORDS.contains(&w)
}

/// A crude English stem, enough to match `labelled`/`label`, `approval`/`approve`.
pub fn stem(word: &str) -> String {
    let mut w = word.to_owned();
    if w.chars().any(|c| c.is_ascii_digit()) || w.len() <= 3 {
        return w;
    }
    for (suffix, min) in [
        ("ies", 5),
        ("ing", 6),
        ("ed", 5),
        ("es", 5),
        ("s", 4),
        ("al", 7),
    ] {
        if w.len() >= min && w.ends_with(suffix) && !w.ends_with("ss") {
            w.truncate(w.len() - suffix.len());
            if suffix == "ies" {
                w.push('y');
            }
            break;
        }
    }
    if w.len() > 4 && w.ends_with('e') {
        w.pop();
    }
    let b = w.as_bytes();
    let n = b.len();
    let doubled = n > 4
        && b.get(n - 1) == b.get(n - 2)
        && b.get(n - 1).is_some_and(|c| !b"aeiouls".contains(c));
    if doubled || (n > 5 && w.ends_with("ll")) {
        w.pop();
    }
    w
}

/// Lower-case alphanumeric words (split on everything else).
pub fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

/// Stemmed content words: no stopwords, no one-letter words.
pub fn content_stems(s: &str) -> BTreeSet<String> {
    words(s)
        .into_iter()
        .filter(|w| {
            !is_stopword(w) && (w.chars().count() > 1 || w.chars().all(|c| c.is_ascii_digit()))
        })
        .map(|w| stem(&w))
        .collect()
}

/// Whitespace-separated terms with surrounding punctuation trimmed, lower-cased, that look
/// specific (hold a digit or one of `$ / - _ . :`), e.g. `agent-ready`, `$500`, `fixtures/`.
pub fn specific_terms(s: &str) -> BTreeSet<String> {
    s.split_whitespace()
        .map(|t| {
            t.trim_matches(|c: char| "()[]{},;:\"'`*!?<>".contains(c) || c == '.')
                .to_lowercase()
        })
        .filter(|t| {
            t.chars().count() >= 3
                && t.chars().any(char::is_alphanumeric)
                && t.chars()
                    .any(|c| c.is_ascii_digit() || "$/-_.:".contains(c))
        })
        .collect()
}

/// Splits a message into sentences (line breaks, and `.`/`!`/`?` before whitespace unless the
/// word before is an abbreviation).
pub fn sentences(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for line in text.lines() {
        let chars: Vec<char> = line.chars().collect();
        let mut cur = String::new();
        for (i, &c) in chars.iter().enumerate() {
            cur.push(c);
            let next_ws = chars.get(i + 1).is_none_or(|n| n.is_whitespace());
            if matches!(c, '.' | '!' | '?') && next_ws {
                let last_word: String = cur
                    .trim_end_matches(['.', '!', '?'])
                    .rsplit(|ch: char| ch.is_whitespace())
                    .next()
                    .unwrap_or_default()
                    .to_lowercase();
                let abbrev = c == '.'
                    && (last_word.chars().filter(|ch| ch.is_alphabetic()).count() <= 2
                        || ["e.g", "i.e", "etc", "vs"].contains(&last_word.as_str()));
                if !abbrev {
                    push_sentence(&mut out, &cur);
                    cur.clear();
                }
            }
        }
        push_sentence(&mut out, &cur);
    }
    out
}

fn push_sentence(out: &mut Vec<String>, s: &str) {
    let t = s.trim();
    if !t.is_empty() {
        out.push(t.to_owned());
    }
}

/// The longest prefix of `s` with at most `max` chars.
pub fn clip(s: &str, max: usize) -> &str {
    match s.char_indices().nth(max) {
        Some((i, _)) => &s[..i],
        None => s,
    }
}

/// A string value that looks like a credential: long, mixed letters and digits, few separators.
/// A local backstop for `secrets::find` (which knows the named formats).
fn token_shaped(word: &str) -> bool {
    let w = word.trim_matches(|c: char| !c.is_alphanumeric());
    let core: String = w.chars().filter(char::is_ascii_alphanumeric).collect();
    if core.len() < 20 || w.contains('/') || w.contains('.') {
        return false;
    }
    let digits = core.chars().filter(char::is_ascii_digit).count();
    let upper = core.chars().filter(char::is_ascii_uppercase).count();
    let lower = core.chars().filter(char::is_ascii_lowercase).count();
    let known = [
        "sk_",
        "pk_",
        "rk_",
        "ghp_",
        "gho_",
        "github_pat_",
        "xox",
        "akia",
        "whsec_",
    ]
    .iter()
    .any(|p| w.to_lowercase().starts_with(p));
    known || (digits >= 3 && upper >= 3 && lower >= 3)
}

/// True when a text must never reach memory: a secret (shared detector or token-shaped word).
pub fn has_secret(text: &str) -> bool {
    secrets::contains_secret(text) || text.split_whitespace().any(token_shaped)
}

/// Invisible characters used to hide instructions (tag block, zero-width, bidi controls).
pub fn has_hidden_chars(text: &str) -> bool {
    text.chars().any(|c| {
        matches!(c as u32, 0xE0000..=0xE007F | 0x200B..=0x200F | 0x202A..=0x202E | 0x2060..=0x2064)
    })
}

/// True when a text must not be promoted: secret, injection, hidden characters.
pub fn unsafe_text(text: &str) -> bool {
    has_secret(text) || has_hidden_chars(text) || injection::is_suspicious(text)
}

/// A quote of at most 200 chars that occurs verbatim in `haystack`: `want` (clipped) if it
/// does, else its longest piece between quote/escape characters, else `None`.
pub fn verbatim_quote(haystack: &str, want: &str) -> Option<String> {
    let whole = clip(want.trim(), 200);
    if !whole.is_empty() && haystack.contains(whole) && !has_secret(whole) {
        return Some(whole.to_owned());
    }
    let best = want
        .split(['"', '\\', '\n'])
        .map(|p| clip(p.trim(), 200))
        .filter(|p| p.chars().count() >= 8 && haystack.contains(*p) && !has_secret(p))
        .max_by_key(|p| p.len())?;
    Some(best.to_owned())
}

/// The start of a message as a quote (≤ 200 chars, secret-free), verbatim.
pub fn head_quote(text: &str, hint: &str) -> Option<String> {
    if let Some(q) = verbatim_quote(text, hint) {
        return Some(q);
    }
    let q = clip(text.trim(), 200);
    (!q.is_empty() && text.contains(q) && !has_secret(q)).then(|| q.to_owned())
}

/// Bullet marker length (`- `, `* `, `+ `, `1. `) after indentation, if the line is a bullet.
pub fn bullet_body(line: &str) -> Option<&str> {
    let t = line.trim_start();
    for m in ["- ", "* ", "+ "] {
        if let Some(rest) = t.strip_prefix(m) {
            return Some(rest);
        }
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    if digits > 0 && matches!(t.as_bytes().get(digits), Some(b'.' | b')')) {
        return t.get(digits + 1..).map(str::trim_start);
    }
    None
}

/// The text of an entry line without its bullet marker.
pub fn entry_body(line: &str) -> &str {
    bullet_body(line).unwrap_or(line.trim())
}

/// The date part (`YYYY-MM-DD`) of an RFC 3339 time.
pub fn day_of(at: &str) -> &str {
    at.get(..10).unwrap_or(at)
}

/// Maximal alphanumeric runs of `s` with their byte offsets.
pub fn runs(s: &str) -> impl Iterator<Item = (usize, &str)> {
    let mut start: Option<usize> = None;
    s.char_indices()
        .chain(std::iter::once((s.len(), ' ')))
        .filter_map(move |(i, c)| {
            if c.is_alphanumeric() {
                start.get_or_insert(i);
                None
            } else {
                let st = start.take()?;
                s.get(st..i).map(|w| (st, w))
            }
        })
}

/// A text with the set of its alphanumeric runs, for many "does it contain" questions: a
/// needle's inner runs (with a separator on both sides inside the needle) are whole runs of
/// any text holding it, so a missing one answers `false` without a scan.
pub struct Haystack<'a> {
    text: &'a str,
    words: HashSet<&'a str>,
}

impl<'a> Haystack<'a> {
    pub fn new(text: &'a str) -> Self {
        Haystack {
            text,
            words: runs(text).map(|(_, w)| w).collect(),
        }
    }

    /// Same as `str::contains`.
    pub fn contains(&self, needle: &str) -> bool {
        runs(needle)
            .filter(|(at, w)| *at > 0 && at + w.len() < needle.len())
            .all(|(_, w)| self.words.contains(w))
            && self.text.contains(needle)
    }
}
