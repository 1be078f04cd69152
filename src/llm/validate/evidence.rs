//! [`EvidenceIndex`]: answers "does this quote occur in the cited event (or, without a session,
//! in a store file)?" without rescanning the inputs per quote. Built once per dream input.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use crate::dream::{DreamInput, Evidence, Session};

/// A small multiplicative hasher for short string keys (ids), much cheaper than `SipHash`; ids
/// come from the inputs, not from the model, so flooding is not a concern.
#[derive(Default, Clone, Copy)]
struct IdHasher(u64);

impl Hasher for IdHasher {
    fn write(&mut self, bytes: &[u8]) {
        const K: u64 = 0x517c_c1b7_2722_0a95;
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.0 = (self.0.rotate_left(5) ^ u64::from_le_bytes(w)).wrapping_mul(K);
        }
        for &b in chunks.remainder() {
            self.0 = (self.0.rotate_left(5) ^ u64::from(b)).wrapping_mul(K);
        }
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

type Fast = BuildHasherDefault<IdHasher>;

/// Grams of the store index: `GRAM` bytes taken every `STEP` bytes of each file.
const GRAM: usize = 8;
const STEP: usize = 4;
/// Quotes at least this long are looked up in the gram index; shorter ones scan the files.
const INDEXED: usize = GRAM + STEP - 1;
/// Gram positions tried per alignment when choosing the rarest.
const TRIES: usize = 4;

/// The inputs arranged for evidence checks. `holds` means exactly what the dream gate's
/// evidence check means (the trimmed quote occurs in an event of the cited session, that event
/// having the cited id when one is given; without a session, an empty quote or one occurring in
/// a store file), so it can replace that check one for one.
pub struct EvidenceIndex<'a> {
    /// Session id → the sessions with that id (ids may repeat).
    sessions: HashMap<&'a str, Vec<&'a Session>, Fast>,
    /// (session id, event id) → the texts of the events with those ids.
    events: HashMap<(&'a str, &'a str), Vec<&'a str>, Fast>,
    files: Vec<&'a str>,
    /// Sorted `(gram, file, offset)` for every `STEP`-th offset of every file.
    grams: Vec<(u64, u32, u32)>,
}

fn gram(b: &[u8]) -> u64 {
    let mut w = [0u8; GRAM];
    w.copy_from_slice(&b[..GRAM]);
    u64::from_le_bytes(w)
}

impl<'a> EvidenceIndex<'a> {
    pub fn new(input: &'a DreamInput) -> Self {
        let mut sessions: HashMap<&str, Vec<&Session>, Fast> = HashMap::default();
        let count: usize = input.sessions.iter().map(|s| s.events.len()).sum();
        let mut events: HashMap<(&str, &str), Vec<&str>, Fast> =
            HashMap::with_capacity_and_hasher(count, Fast::default());
        for s in &input.sessions {
            sessions.entry(s.id.as_str()).or_default().push(s);
            for e in &s.events {
                events
                    .entry((s.id.as_str(), e.id.as_str()))
                    .or_default()
                    .push(e.text.as_str());
            }
        }
        let files: Vec<&str> = input.files.iter().map(|f| f.content.as_str()).collect();
        let mut grams = Vec::with_capacity(files.iter().map(|f| f.len() / STEP).sum());
        for (i, f) in files.iter().enumerate() {
            let b = f.as_bytes();
            for p in (0..b.len().saturating_sub(GRAM - 1)).step_by(STEP) {
                grams.push((gram(&b[p..]), i as u32, p as u32));
            }
        }
        grams.sort_unstable();
        Self {
            sessions,
            events,
            files,
            grams,
        }
    }

    /// The quote (trimmed) occurs where the evidence says.
    pub fn holds(&self, e: &Evidence) -> bool {
        let quote = e.quote.trim();
        match (&e.session_id, &e.event_id) {
            (None, _) => quote.is_empty() || self.in_files(quote),
            (Some(s), Some(id)) => self
                .events
                .get(&(s.as_str(), id.as_str()))
                .is_some_and(|texts| texts.iter().any(|t| t.contains(quote))),
            (Some(s), None) => self.sessions.get(s.as_str()).is_some_and(|list| {
                list.iter()
                    .flat_map(|s| &s.events)
                    .any(|ev| ev.text.contains(quote))
            }),
        }
    }

    fn in_files(&self, quote: &str) -> bool {
        let q = quote.as_bytes();
        if q.len() < INDEXED || self.files.len() > u32::MAX as usize {
            return self.files.iter().any(|f| f.contains(quote));
        }
        // A match starting at offset s has some j < STEP with s + j on the sampled grid, and
        // then every gram of the quote at j, j + STEP, … is in the index: look up the rarest of
        // a few of them and compare the candidates.
        (0..STEP).any(|align| {
            let positions: Vec<usize> = (align..=q.len() - GRAM).step_by(STEP).collect();
            let picks =
                (0..TRIES).map(|t| positions[t * (positions.len() - 1) / (TRIES - 1).max(1)]);
            let (j, range) = picks
                .map(|j| (j, self.lookup(gram(&q[j..]))))
                .min_by_key(|(_, r)| r.len())
                .unwrap_or((align, &[]));
            range.iter().any(|&(_, file, at)| {
                let f = self.files[file as usize].as_bytes();
                (at as usize)
                    .checked_sub(j)
                    .and_then(|s| f.get(s..s + q.len()))
                    .is_some_and(|w| w == q)
            })
        })
    }

    fn lookup(&self, g: u64) -> &[(u64, u32, u32)] {
        let from = self.grams.partition_point(|e| e.0 < g);
        let to = from + self.grams[from..].partition_point(|e| e.0 == g);
        &self.grams[from..to]
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::dream::{Event, MemoryFile};

    fn input() -> DreamInput {
        let ev = |id: &str, text: &str| Event {
            id: id.into(),
            seq: 0,
            kind: "user".into(),
            role: Some("user".into()),
            at: None,
            thread: "main".into(),
            is_error: false,
            text: text.into(),
        };
        let session = |id: &str, events| Session {
            id: id.into(),
            agent: "a".into(),
            started_at: None,
            events,
            tool_calls: Vec::new(),
        };
        DreamInput {
            files: vec![
                MemoryFile {
                    path: "/a.md".into(),
                    content: "- the build uses pnpm 9 and node 22\n- deploys on Fridays\n".into(),
                    written_at: "2026-01-01T00:00:00.000Z".into(),
                },
                MemoryFile {
                    path: "/b.md".into(),
                    content: "ü short".into(),
                    written_at: "2026-01-01T00:00:00.000Z".into(),
                },
            ],
            sessions: vec![
                session("s1", vec![ev("e1", "please use pnpm"), ev("e2", "ok")]),
                session("s1", vec![ev("e9", "second copy of s1")]),
                session("s2", vec![ev("e1", "other")]),
            ],
            now: "2026-01-02T00:00:00.000Z".into(),
            instructions: String::new(),
            deletion_budget: 0.3,
        }
    }

    fn ev(s: Option<&str>, e: Option<&str>, q: &str) -> Evidence {
        Evidence {
            session_id: s.map(Into::into),
            event_id: e.map(Into::into),
            quote: q.into(),
        }
    }

    /// The plain linear check the index replaced (`dreaming`'s gate before it), for comparison.
    fn reference(e: &Evidence, input: &DreamInput) -> bool {
        let quote = e.quote.trim();
        match &e.session_id {
            None => quote.is_empty() || input.files.iter().any(|f| f.content.contains(quote)),
            Some(sid) => input.sessions.iter().filter(|s| &s.id == sid).any(|s| {
                s.events
                    .iter()
                    .filter(|ev| e.event_id.as_ref().is_none_or(|id| &ev.id == id))
                    .any(|ev| ev.text.contains(quote))
            }),
        }
    }

    #[test]
    fn agrees_with_the_gate_check() {
        let i = input();
        let idx = EvidenceIndex::new(&i);
        let content = &i.files[0].content;
        let mut cases = vec![
            ev(Some("s1"), Some("e1"), " use pnpm "),
            ev(Some("s1"), Some("e1"), "use npm"),
            ev(Some("s1"), Some("e9"), "second"),
            ev(Some("s1"), None, "second copy"),
            ev(Some("s1"), Some("e1"), ""),
            ev(Some("s1"), Some("e7"), ""),
            ev(Some("s3"), None, ""),
            ev(Some("s2"), Some("e1"), "please"),
            ev(None, Some("e1"), "please use pnpm"),
            ev(None, None, ""),
            ev(None, None, "ü short"),
            ev(None, None, "short"),
            ev(None, None, "shortened text"),
            ev(None, None, "deploys on Fridays!"),
        ];
        // Every substring of the first file of indexed length, and a few that are not in it.
        for s in 0..content.len() {
            for len in [11, 12, 13, 14, 17, 30] {
                if let Some(q) = content.get(s..s + len) {
                    cases.push(ev(None, None, q));
                    cases.push(ev(None, None, &format!("{q}x")));
                }
            }
        }
        for c in &cases {
            assert_eq!(idx.holds(c), reference(c, &i), "{c:?}");
        }
        assert!(cases.iter().filter(|c| idx.holds(c)).count() > 100);
    }
}
