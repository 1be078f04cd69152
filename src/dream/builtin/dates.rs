//! Relative dates ("yesterday", "last Friday", "next Monday", "last week", "3 days ago") in
//! memory lines, rewritten as absolute dates from the time the line was written: the earliest
//! write/edit tool use that put the line into a file, else the file's `written_at`.

use time::format_description::well_known::Rfc3339;
use time::{Date, Duration, Month, OffsetDateTime, Weekday};

use crate::dream::{Category, Evidence};

use super::sessions::Digest;
use super::store::{INDEX, Store, memory_evidence};
use super::text;
use super::writes::Writes;

const WEEKDAYS: [(&str, Weekday); 7] = [
    ("monday", Weekday::Monday),
    ("tuesday", Weekday::Tuesday),
    ("wednesday", Weekday::Wednesday),
    ("thursday", Weekday::Thursday),
    ("friday", Weekday::Friday),
    ("saturday", Weekday::Saturday),
    ("sunday", Weekday::Sunday),
];

fn parse_day(at: &str) -> Option<Date> {
    OffsetDateTime::parse(at, &Rfc3339)
        .ok()
        .map(OffsetDateTime::date)
}

fn fmt(d: Date) -> String {
    format!("{:04}-{:02}-{:02}", d.year(), u8::from(d.month()), d.day())
}

fn month_name(m: Month) -> String {
    format!("{m:?}")
}

/// One relative expression found in a line: byte range and its absolute replacement.
struct Hit {
    start: usize,
    end: usize,
    with: String,
}

/// Words of a line with byte offsets, skipping code spans.
fn spans(line: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut in_code = false;
    let mut start: Option<usize> = None;
    for (i, c) in line
        .char_indices()
        .chain(std::iter::once((line.len(), ' ')))
    {
        if c == '`' {
            in_code = !in_code;
        }
        if c.is_alphanumeric() && !in_code {
            start.get_or_insert(i);
        } else if let Some(s) = start.take() {
            out.push((s, i, line[s..i].to_lowercase()));
        }
    }
    out
}

fn prev_wd(d: Date, wd: Weekday) -> Option<Date> {
    let mut c = d.previous_day()?;
    while c.weekday() != wd {
        c = c.previous_day()?;
    }
    Some(c)
}

fn next_wd(d: Date, wd: Weekday) -> Option<Date> {
    let mut c = d.next_day()?;
    while c.weekday() != wd {
        c = c.next_day()?;
    }
    Some(c)
}

fn minus(d: Date, days: i64) -> Option<Date> {
    d.checked_sub(Duration::days(days))
}

#[allow(clippy::many_single_char_names)]
fn find_hits(line: &str, base: Date) -> Vec<Hit> {
    let w = spans(line);
    let mut hits = Vec::new();
    let mut i = 0;
    while i < w.len() {
        let (s, e, word) = (&w[i].0, &w[i].1, w[i].2.as_str());
        let next = w.get(i + 1).map(|x| x.2.as_str());
        let adjacent = |j: usize| {
            w.get(j).is_some_and(|x| {
                line.get(w[j - 1].1..x.0)
                    .is_some_and(|g| g.trim().is_empty())
            })
        };
        let one = |d: Date| format!("on {}", fmt(d));
        let mut hit: Option<(usize, String)> = None;
        match word {
            "yesterday" => hit = base.previous_day().map(|d| (*e, one(d))),
            "today" | "tonight" => hit = Some((*e, one(base))),
            "tomorrow" => hit = base.next_day().map(|d| (*e, one(d))),
            "last" | "next" | "this" if adjacent(i + 1) => {
                if let Some(&(_, wd)) = WEEKDAYS.iter().find(|(n, _)| Some(*n) == next) {
                    let d = match word {
                        "last" => prev_wd(base, wd),
                        "next" => next_wd(base, wd),
                        _ if base.weekday() == wd => Some(base),
                        _ => next_wd(base, wd),
                    };
                    hit = d.map(|d| (w[i + 1].1, one(d)));
                } else if next == Some("week") && word != "this" {
                    let monday = minus(base, i64::from(base.weekday().number_days_from_monday()));
                    let d = monday.and_then(|m| minus(m, if word == "last" { 7 } else { -7 }));
                    hit = d.map(|d| (w[i + 1].1, format!("in the week of {}", fmt(d))));
                } else if next == Some("month") && word != "this" {
                    let (y, m) = if word == "last" {
                        if base.month() == Month::January {
                            (base.year() - 1, Month::December)
                        } else {
                            (base.year(), base.month().previous())
                        }
                    } else if base.month() == Month::December {
                        (base.year() + 1, Month::January)
                    } else {
                        (base.year(), base.month().next())
                    };
                    hit = Some((w[i + 1].1, format!("in {} {y}", month_name(m))));
                }
            }
            n if n.chars().all(|c| c.is_ascii_digit()) && n.len() <= 3 => {
                let unit = next;
                let ago = w.get(i + 2).map(|x| x.2.as_str()) == Some("ago")
                    && adjacent(i + 1)
                    && adjacent(i + 2);
                if ago {
                    let k: i64 = n.parse().unwrap_or(0);
                    let base_days = |days: i64| minus(base, days).map(one);
                    let days = match unit {
                        Some("day" | "days") => Some(k),
                        Some("week" | "weeks") => Some(k * 7),
                        _ => None,
                    };
                    if let Some(with) = days.and_then(base_days) {
                        hit = Some((w[i + 2].1, with));
                    }
                }
            }
            _ => {}
        }
        if let Some((end, mut with)) = hit {
            // "on 2026-05-12" at the start of a sentence is capitalised.
            let before = line.get(..*s).unwrap_or("").trim_end();
            let lead = before.is_empty() || before.ends_with(['.', '-', '*', ':', ';']);
            if let (true, Some(f)) = (lead, with.get(..1)) {
                with = format!("{}{}", f.to_uppercase(), with.get(1..).unwrap_or(""));
            }
            // Avoid "on on 2026-…" / "since on …".
            let prev_word = i
                .checked_sub(1)
                .and_then(|j| w.get(j))
                .map(|x| x.2.as_str());
            if matches!(
                prev_word,
                Some("on" | "since" | "until" | "by" | "from" | "in")
            ) && adjacent(i)
            {
                let trimmed = with
                    .trim_start_matches("on ")
                    .trim_start_matches("On ")
                    .to_owned();
                with = trimmed;
            }
            hits.push(Hit {
                start: *s,
                end,
                with,
            });
            while i < w.len() && w[i].0 < end {
                i += 1;
            }
            continue;
        }
        i += 1;
    }
    hits
}

fn probe_day() -> Date {
    Date::from_calendar_date(2000, Month::June, 15).unwrap_or(Date::MIN)
}

/// Rewrites every relative date in the store.
pub fn run(store: &mut Store, digest: &Digest, writes: &Writes) {
    let paths: Vec<String> = store
        .docs
        .keys()
        .filter(|p| p.as_str() != INDEX)
        .cloned()
        .collect();
    for path in paths {
        let idxs: Vec<usize> = store
            .docs
            .get(&path)
            .map(|d| d.editable().collect())
            .unwrap_or_default();
        for idx in idxs {
            let Some(line) = store.line(&path, idx).map(str::to_owned) else {
                continue;
            };
            let fallback = store
                .docs
                .get(&path)
                .map(|d| d.written_at.clone())
                .unwrap_or_default();
            let body = text::entry_body(&line).trim().to_owned();
            if body.len() < 8 || find_hits(&line, probe_day()).is_empty() {
                continue;
            }
            let origin = writes.putting(&body).min_by(|a, b| a.at.cmp(&b.at));
            let (at, evidence): (String, Option<Evidence>) = match origin {
                Some(w) => (w.at.clone(), digest.evidence(w.sess, w.event, &body)),
                None => (fallback.clone(), None),
            };
            let Some(base) = parse_day(&at).or_else(|| parse_day(&fallback)) else {
                continue;
            };
            let hits = find_hits(&line, base);
            // Without the writing event, "since yesterday" reads as a procedure, not a fact.
            let lower = line.to_lowercase();
            let ranged = ["since ", "until ", "through ", "before ", "after "]
                .iter()
                .any(|p| {
                    hits.iter()
                        .any(|h| lower.get(..h.start).is_some_and(|b| b.ends_with(p)))
                });
            if origin.is_none() && ranged {
                continue;
            }
            let mut new = String::with_capacity(line.len() + 16);
            let mut last = 0;
            for h in &hits {
                new.push_str(line.get(last..h.start).unwrap_or(""));
                new.push_str(&h.with);
                last = h.end;
            }
            new.push_str(line.get(last..).unwrap_or(""));
            if new == line || !store.edit(&[(path.clone(), idx, Some(new.clone()))]) {
                continue;
            }
            let source = if origin.is_some() {
                "the session event that wrote it"
            } else {
                "the file's last write"
            };
            let rationale = format!(
                "Relative date rewritten as an absolute date: the line was written on {} ({source}), so it now reads \"{}\".",
                text::day_of(&at),
                text::clip(text::entry_body(&new), 120)
            );
            let mut ev = vec![memory_evidence(&line)];
            ev.extend(evidence);
            store.note(&path, Category::Stale, rationale, ev);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewrite(line: &str, at: &str) -> String {
        let base = parse_day(at).unwrap_or(Date::MIN);
        let mut out = String::new();
        let mut last = 0;
        for h in find_hits(line, base) {
            out.push_str(&line[last..h.start]);
            out.push_str(&h.with);
            last = h.end;
        }
        out.push_str(&line[last..]);
        out
    }

    #[test]
    fn relative_words_become_dates() {
        let at = "2026-04-21T10:00:00Z"; // a Tuesday
        assert_eq!(
            rewrite("- X was resized last Friday (ops)", at),
            "- X was resized on 2026-04-17 (ops)"
        );
        assert_eq!(
            rewrite("- Yesterday the job failed", at),
            "- On 2026-04-20 the job failed"
        );
        assert_eq!(
            rewrite("- freeze starts next Monday", at),
            "- freeze starts on 2026-04-27"
        );
        assert_eq!(
            rewrite("- run `date -d yesterday`", at),
            "- run `date -d yesterday`"
        );
        assert_eq!(rewrite("- moved 3 days ago", at), "- moved on 2026-04-18");
        assert_eq!(
            rewrite("- promoted to primary today", at),
            "- promoted to primary on 2026-04-21"
        );
    }
}
