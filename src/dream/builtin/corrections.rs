//! A user's correction ("X, not Y", "the Y rule is out of date"), which beats an older memory.
//! Messages are applied oldest first, so the latest word wins.

use crate::dream::Category;

use super::lines::{Lines, word_hits};
use super::sessions::Digest;
use super::store::{Store, memory_evidence};
use super::text;

const FILLER: &[&str] = &[
    "please", "now", "then", "actually", "instead", "here", "pls", "thanks", "btw",
];
const BOUNDARY: &[&str] = &[
    "in", "on", "use", "is", "it's", "its", "with", "for", "to", "as", "and", "the", "a", "an",
    "be", "we", "you", "i", "that", "of", "by", "are", "was", "run", "say", "do",
];
const NOT_A_TERM: &[&str] = &[
    "even", "just", "only", "yet", "really", "sure", "so", "too", "all", "always", "now", "a",
    "the", "that", "this", "to", "for",
];

const QUOTES: &[char] = &[
    '"', '\'', '`', '\u{201c}', '\u{201d}', '\u{2018}', '\u{2019}',
];

/// The quoted string `s` ends with (if it ends with a closing quote).
fn trailing_quoted(s: &str) -> Option<String> {
    let t = s.trim_end();
    let close = t.chars().last().filter(|c| QUOTES.contains(c))?;
    let inner = t.get(..t.len() - close.len_utf8())?;
    let open = inner.rfind(QUOTES)?;
    let q = inner.get(open + 1..)?.trim();
    (!q.is_empty()).then(|| q.to_owned())
}

fn leading_quoted(s: &str) -> Option<String> {
    let t = s.trim_start();
    let open = t.chars().next().filter(|c| QUOTES.contains(c))?;
    let rest = t.get(open.len_utf8()..)?;
    let end = rest.find(QUOTES)?;
    let q = rest.get(..end)?.trim();
    (!q.is_empty()).then(|| q.to_owned())
}

/// "X, not Y" / "X instead of Y" in a sentence: `(X, Y)`.
fn x_not_y(sentence: &str) -> Option<(String, String)> {
    let lower = sentence.to_lowercase();
    let (at, len) = [", not ", " instead of ", " rather than "]
        .iter()
        .find_map(|m| lower.find(m).map(|i| (i, m.len())))?;
    let mut before = sentence.get(..at)?.trim_end();
    loop {
        let last = before.rsplit(char::is_whitespace).next().unwrap_or("");
        if FILLER.contains(&last.to_lowercase().as_str()) && before.len() > last.len() {
            before = before
                .get(..before.len() - last.len())
                .unwrap_or("")
                .trim_end();
        } else {
            break;
        }
    }
    let after = sentence.get(at + len..)?;
    let x = trailing_quoted(before).or_else(|| {
        let mut ws: Vec<&str> = Vec::new();
        for w in before.split_whitespace().rev() {
            let clean = w.trim_matches(|c: char| !c.is_alphanumeric() && !"-_./:@".contains(c));
            let lw = clean.to_lowercase();
            if ws.is_empty() && FILLER.contains(&lw.as_str()) {
                continue;
            }
            if clean.is_empty()
                || BOUNDARY.contains(&lw.as_str())
                || (!ws.is_empty() && w.ends_with([',', ':', ';', '.', '!', '?']))
                || ws.len() == 3
            {
                break;
            }
            ws.push(clean);
        }
        ws.reverse();
        (!ws.is_empty()).then(|| ws.join(" "))
    })?;
    let y = leading_quoted(after).or_else(|| {
        let mut ws: Vec<&str> = Vec::new();
        for w in after.split_whitespace() {
            let clean = w.trim_matches(|c: char| !c.is_alphanumeric() && !"-_./:@".contains(c));
            let lw = clean.to_lowercase();
            if ws.is_empty() && (clean.is_empty() || NOT_A_TERM.contains(&lw.as_str())) {
                return None;
            }
            if clean.is_empty() {
                break;
            }
            if BOUNDARY.contains(&lw.as_str()) || ws.len() == 3 {
                break;
            }
            ws.push(clean.trim_end_matches('.'));
            if w.ends_with([',', ':', ';', '.', '!', '?']) || w != clean && !w.ends_with(')') {
                break;
            }
        }
        (!ws.is_empty()).then(|| ws.join(" "))
    })?;
    let (xl, yl) = (x.to_lowercase(), y.to_lowercase());
    (xl != yl && !text::is_stopword(&yl) && y.len() >= 2).then_some((x, y))
}

/// The quoted span (between matching quote chars) of `line` that holds byte `pos`.
fn quoted_span_at(line: &str, pos: usize) -> Option<(usize, usize)> {
    for q in ['"', '`', '\u{201c}'] {
        let close = if q == '\u{201c}' { '\u{201d}' } else { q };
        let Some(open) = line.get(..pos).and_then(|p| p.rfind(q)) else {
            continue;
        };
        let Some(end) = line.get(pos..).and_then(|p| p.find(close)).map(|i| pos + i) else {
            continue;
        };
        // Only a real span: an even number of quote chars before it.
        let before = line.get(..open).map_or(0, |p| p.matches(q).count());
        if q == close && before % 2 == 1 {
            continue;
        }
        return Some((open + q.len_utf8(), end));
    }
    None
}

fn substitute(line: &str, x: &str, y: &str) -> Option<String> {
    let hits = word_hits(line, y);
    let first = hits.first()?;
    let (s, e) = quoted_span_at(line, first.0)?;
    if x.contains(' ') && !y.contains(' ') {
        let inner = line.get(s..e)?;
        if !inner.to_lowercase().starts_with(&y.to_lowercase()) {
            return None;
        }
        return Some(format!("{}{}{}", line.get(..s)?, x, line.get(e..)?));
    }
    let mut out = String::new();
    let mut last = 0;
    for (s, e) in hits {
        out.push_str(line.get(last..s)?);
        out.push_str(x);
        last = e;
    }
    out.push_str(line.get(last..)?);
    Some(out)
}

const STALE_MARKERS: &[&str] = &[
    " is out of date",
    " are out of date",
    " is outdated",
    " are outdated",
    " is obsolete",
    " is stale",
    " is no longer",
    " are no longer",
    " no longer applies",
    " no longer exists",
    " is from before",
    " are from before",
    " was from before",
    " is gone",
    " are gone",
    " was removed",
    " were removed",
    " doesn't exist",
    " does not exist",
    " is wrong",
    " is incorrect",
    " was the old",
    " is the old",
    " was the previous",
    " was the former",
    " is deprecated",
    " was replaced",
    " has been replaced",
    " was the 19",
    " was the 20",
];
const TRAILING_NOUNS: &[&str] = &[
    "thing",
    "things",
    "stuff",
    "rule",
    "rules",
    "one",
    "note",
    "notes",
    "entry",
    "line",
    "policy",
    "bit",
    "part",
    "info",
    "instruction",
    "instructions",
    "advice",
];

/// The subject a stale marker talks about ("the New York rule is out of date" → "New York").
fn stale_subject(sentence: &str) -> Option<String> {
    let lower = format!(" {}", sentence.to_lowercase());
    // The first marker position (every marker starts with a space).
    let at = lower.match_indices(' ').map(|(i, _)| i).find(|&i| {
        lower
            .get(i..)
            .is_some_and(|rest| STALE_MARKERS.iter().any(|m| rest.starts_with(m)))
    })?;
    let clause = sentence.get(..at.saturating_sub(1))?;
    let clause = clause
        .rsplit([';', ',', '—', ':', '(', '.', '!'])
        .next()
        .unwrap_or(clause);
    let mut ws: Vec<&str> = clause.split_whitespace().collect();
    let lw = |w: &str| w.to_lowercase();
    while ws.first().is_some_and(|w| {
        [
            "the", "your", "that", "this", "our", "my", "and", "but", "so", "also",
        ]
        .contains(&lw(w).as_str())
    }) {
        ws.remove(0);
    }
    for tail in [
        ["in", "your", "notes"],
        ["in", "the", "notes"],
        ["in", "your", "memory"],
    ] {
        if ws.len() > 3
            && ws[ws.len() - 3..]
                .iter()
                .map(|w| lw(w))
                .eq(tail.iter().map(|s| (*s).to_owned()))
        {
            ws.truncate(ws.len() - 3);
        }
    }
    while ws.len() > 1
        && ws
            .last()
            .is_some_and(|w| TRAILING_NOUNS.contains(&lw(w).as_str()))
    {
        ws.pop();
    }
    (!ws.is_empty() && ws.len() <= 5).then(|| ws.join(" "))
}

/// Applies the users' corrections, oldest first.
pub fn apply_user_corrections(store: &mut Store, digest: &Digest) {
    let mut lines = Lines::new(store);
    let mut order: Vec<usize> = (0..digest.users.len()).collect();
    order.sort_by(|&a, &b| digest.users[a].at.cmp(&digest.users[b].at).then(a.cmp(&b)));
    for ui in order {
        let m = &digest.users[ui];
        // `unsafe_text(t) && has_hidden_chars(t)`: hidden characters already make it unsafe.
        if text::has_hidden_chars(&m.text) {
            continue;
        }
        for sentence in text::sentences(&m.text) {
            if let Some((x, y)) = x_not_y(&sentence) {
                let targets = lines.naming(&x, &y);
                if !targets.is_empty() && targets.len() <= 5 && !text::has_secret(&x) {
                    for r in targets {
                        let Some((p, i, l)) = lines
                            .get(r)
                            .map(|(p, i, l)| (p.to_owned(), i, l.to_owned()))
                        else {
                            continue;
                        };
                        let Some(new) = substitute(&l, &x, &y) else {
                            continue;
                        };
                        if !store.edit(&[(p.clone(), i, Some(new.clone()))]) {
                            continue;
                        }
                        lines.update(r, Some(new));
                        let mut ev = vec![memory_evidence(&l)];
                        ev.extend(digest.user_evidence(m, &sentence));
                        let rationale = format!(
                            "On {} the user corrected this (\"{}\"), which beats the older memory: \"{}\" becomes \"{}\".",
                            text::day_of(&m.at),
                            text::clip(&sentence, 100),
                            text::clip(&y, 60),
                            text::clip(&x, 60)
                        );
                        store.note(&p, Category::Contradiction, rationale, ev);
                    }
                }
            }
            let Some(subject) = stale_subject(&sentence) else {
                continue;
            };
            let want = text::content_stems(&subject);
            if want.is_empty()
                || (want.len() == 1
                    && !subject
                        .chars()
                        .any(|c| c.is_ascii_digit() || c.is_uppercase() || "-_/.:".contains(c)))
            {
                continue;
            }
            let targets = lines.with_stems(&want);
            if targets.is_empty() || targets.len() > 3 {
                continue;
            }
            for r in targets {
                let Some((p, i, l)) = lines
                    .get(r)
                    .map(|(p, i, l)| (p.to_owned(), i, l.to_owned()))
                else {
                    continue;
                };
                if !store.edit(&[(p.clone(), i, None)]) {
                    continue;
                }
                lines.update(r, None);
                let mut ev = vec![memory_evidence(&l)];
                ev.extend(digest.user_evidence(m, &sentence));
                let rationale = format!(
                    "On {} the user said \"{}\", so the older statement about {} is removed; the later word wins.",
                    text::day_of(&m.at),
                    text::clip(&sentence, 120),
                    text::clip(&subject, 60)
                );
                store.note(&p, Category::Contradiction, rationale, ev);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_corrections() {
        assert_eq!(
            x_not_y("pnpm, not npm!"),
            Some(("pnpm".into(), "npm".into()))
        );
        assert_eq!(
            x_not_y("it's 'Best regards, Acme Support' now, not Cheers."),
            Some(("Best regards, Acme Support".into(), "Cheers".into()))
        );
        assert_eq!(
            x_not_y("no delivery date promises, not even for replacements."),
            None
        );
        assert_eq!(
            stale_subject("The New York rule is out of date, drop it."),
            Some("New York".into())
        );
        assert_eq!(
            stale_subject(
                "it's localhost:5173 btw — the 3000 thing in your notes is from before we moved"
            ),
            Some("3000".into())
        );
        assert_eq!(
            substitute("- Install deps with `npm install` here", "pnpm", "npm"),
            Some("- Install deps with `pnpm install` here".into())
        );
        assert_eq!(
            substitute(
                "- Sign off with \"Cheers, The Team\"",
                "Best regards, Support",
                "Cheers"
            ),
            Some("- Sign off with \"Best regards, Support\"".into())
        );
    }
}
