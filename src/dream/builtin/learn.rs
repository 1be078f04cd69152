//! New entries learned from sessions: a preference or correction the user repeats across
//! sessions (rules from commands live in `fixes`). Every learned entry is written with its
//! count and evidence into the topic file whose content overlaps it most, else a new file.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::dream::{Category, Evidence};

use super::sessions::Digest;
use super::store::{INDEX, Store};
use super::text;

/// A learned entry waiting to be placed.
pub struct Learned {
    pub line: String,
    pub kind: &'static str,
    pub rationale: String,
    pub evidence: Vec<Evidence>,
}

const CUES: &[&str] = &[
    "always",
    "never",
    "don't",
    "dont",
    "do not",
    "no ",
    "not ",
    "from now on",
    "instead",
    "prefer",
    "avoid",
    "stop ",
    "remember",
    "again",
    "every",
    "ever",
    "make sure",
];

fn is_directive(sentence: &str) -> bool {
    let l = format!("{} ", sentence.to_lowercase());
    !sentence.trim_end().ends_with('?') && CUES.iter().any(|c| l.contains(c))
}

struct Cand {
    msg: usize,
    sentence: String,
    stems: BTreeSet<String>,
}

fn find(parent: &mut [usize], x: usize) -> usize {
    let mut r = x;
    while parent[r] != r {
        r = parent[r];
    }
    let mut c = x;
    while parent[c] != r {
        let n = parent[c];
        parent[c] = r;
        c = n;
    }
    r
}

fn tidy(sentence: &str) -> String {
    let mut s = sentence.trim();
    loop {
        let lower = s.to_lowercase();
        let Some(p) = [
            "and again",
            "again",
            "also",
            "remember",
            "ok",
            "thanks",
            "and",
            "fine",
        ]
        .iter()
        .find(|p| lower.starts_with(*p) && lower[p.len()..].starts_with([':', ',', ' ', '—', '.'])) else {
            break;
        };
        s = s
            .get(p.len()..)
            .unwrap_or("")
            .trim_start_matches([':', ',', ' ', '—', '.', '-'])
            .trim();
    }
    let mut out = s.to_owned();
    if let Some(f) = out.get(..1) {
        out = format!("{}{}", f.to_uppercase(), out.get(1..).unwrap_or(""));
    }
    out
}

/// Preferences or corrections a user states in at least two sessions.
pub fn preferences(digest: &Digest) -> Vec<Learned> {
    let mut cands: Vec<Cand> = Vec::new();
    for (mi, m) in digest.users.iter().enumerate() {
        if m.text.len() > 4000 {
            continue;
        }
        let directives: Vec<String> = text::sentences(&m.text)
            .into_iter()
            .filter(|s| (2..=40).contains(&s.split_whitespace().count()) && is_directive(s))
            .collect();
        // The message check (the costly one) only matters when a sentence could be learned.
        if directives.is_empty() || text::unsafe_text(&m.text) {
            continue;
        }
        for s in directives {
            if text::unsafe_text(&s) {
                continue;
            }
            let stems = text::content_stems(&s);
            if stems.len() >= 2 {
                cands.push(Cand {
                    msg: mi,
                    sentence: s,
                    stems,
                });
            }
        }
    }
    // Pairs via an inverted index of stems (posting lists capped, so this stays near-linear).
    let mut postings: BTreeMap<&str, Vec<usize>> = BTreeMap::new();
    for (i, c) in cands.iter().enumerate() {
        for s in &c.stems {
            postings.entry(s.as_str()).or_default().push(i);
        }
    }
    let mut parent: Vec<usize> = (0..cands.len()).collect();
    let mut shared: HashMap<(usize, usize), usize> = HashMap::new();
    for list in postings.values().filter(|l| l.len() <= 50) {
        for (k, &a) in list.iter().enumerate() {
            for &b in list.iter().skip(k + 1) {
                *shared.entry((a, b)).or_default() += 1;
            }
        }
    }
    let mut pairs: Vec<((usize, usize), usize)> =
        shared.into_iter().filter(|(_, n)| *n >= 2).collect();
    pairs.sort_unstable();
    let mut score = vec![0usize; cands.len()];
    for &((a, b), n) in &pairs {
        let (ra, rb) = (find(&mut parent, a), find(&mut parent, b));
        if ra != rb {
            parent[ra] = rb;
        }
        score[a] += n;
        score[b] += n;
    }
    let mut clusters: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
    for i in 0..cands.len() {
        let r = find(&mut parent, i);
        clusters.entry(r).or_default().push(i);
    }
    let mut out = Vec::new();
    for members in clusters.values() {
        let sessions: BTreeSet<usize> = members
            .iter()
            .map(|&i| digest.users[cands[i].msg].sess)
            .collect();
        if sessions.len() < 2 {
            continue;
        }
        let Some(&best) = members.iter().max_by(|&&a, &&b| {
            score[a].cmp(&score[b]).then_with(|| {
                digest.users[cands[a].msg]
                    .at
                    .cmp(&digest.users[cands[b].msg].at)
            })
        }) else {
            continue;
        };
        let rep = tidy(&cands[best].sentence);
        let n = sessions.len();
        let mut evidence: Vec<Evidence> = Vec::new();
        let mut seen = BTreeSet::new();
        for &i in members {
            let m = &digest.users[cands[i].msg];
            if seen.insert(m.sess) {
                evidence.extend(digest.user_evidence(m, &cands[i].sentence));
            }
        }
        let last = members
            .iter()
            .map(|&i| text::day_of(&digest.users[cands[i].msg].at))
            .max()
            .unwrap_or("");
        out.push(Learned {
            line: format!("- {rep} (user preference, seen in {n} sessions; latest {last})"),
            kind: "preference",
            rationale: format!("The user stated this in {n} sessions (latest {last}), so it becomes a standing rule."),
            evidence,
        });
    }
    out
}

/// Writes learned entries into the best-fitting topic file (or a new one). Returns new files.
pub fn place(store: &mut Store, learned: Vec<Learned>) -> Vec<String> {
    let mut created = Vec::new();
    // Topic files in path order (with whether they hold feedback), and which of them have a
    // stem in their body and in their name/frontmatter.
    let mut topics: Vec<(String, bool)> = Vec::new();
    let mut in_body: HashMap<String, Vec<usize>> = HashMap::new();
    let mut in_head: HashMap<String, Vec<usize>> = HashMap::new();
    for (p, d) in &store.docs {
        if p == INDEX || d.pinned {
            continue;
        }
        let body: String = d
            .lines
            .iter()
            .filter(|l| l.alive)
            .map(|l| l.text.as_str())
            .collect::<Vec<_>>()
            .join("\n");
        let head = format!("{} {}", p.trim_end_matches(".md"), d.frontmatter);
        let feedback = d.frontmatter.to_lowercase().contains("type: feedback");
        let f = topics.len();
        for s in text::content_stems(&body) {
            in_body.entry(s).or_default().push(f);
        }
        for s in text::content_stems(&head) {
            in_head.entry(s).or_default().push(f);
        }
        topics.push((p.clone(), feedback));
    }
    for l in learned {
        let stems = text::content_stems(&l.line);
        let mut fit = vec![0usize; topics.len()];
        for s in &stems {
            for (map, weight) in [(&in_body, 1), (&in_head, 2)] {
                for &f in map.get(s).into_iter().flatten() {
                    if let Some(n) = fit.get_mut(f) {
                        *n += weight;
                    }
                }
            }
        }
        let best = topics
            .iter()
            .zip(&fit)
            .map(|((p, fb), n)| (n + usize::from(*fb && l.kind == "preference"), p))
            .filter(|(s, _)| *s >= 2)
            .max_by(|a, b| a.0.cmp(&b.0).then_with(|| b.1.cmp(a.1)))
            .map(|(_, p)| p.clone());
        let path = best.unwrap_or_else(|| {
            match l.kind {
                "preference" => "/preferences.md",
                "fix" => "/troubleshooting.md",
                _ => "/workflows.md",
            }
            .to_owned()
        });
        let header = if store.docs.contains_key(&path) {
            Vec::new()
        } else {
            let (name, desc, ty) = match l.kind {
                "preference" => (
                    "Preferences",
                    "Rules the user repeated across sessions",
                    "feedback",
                ),
                "fix" => (
                    "Troubleshooting",
                    "Recurring failures and the fix that worked",
                    "project",
                ),
                _ => ("Workflows", "Workflows agents converged on", "project"),
            };
            created.push(path.clone());
            vec![
                "---".to_owned(),
                format!("name: {name}"),
                format!("description: {desc}"),
                format!("type: {ty}"),
                "---".to_owned(),
                String::new(),
            ]
        };
        if store.append(&path, &header, std::slice::from_ref(&l.line)) {
            store.note(&path, Category::Insight, l.rationale, l.evidence);
        }
    }
    created
}
