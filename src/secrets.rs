//! Secret detection and redaction: API keys, tokens, private keys, passwords in URLs, auth headers,
//! command-line passwords and high-entropy values assigned to key-ish names.
//!
//! Hand-rolled byte scanners, no regex: every rule walks the text once (or walks from an anchor
//! such as `://`, `-----BEGIN ` or a separator a bounded number of bytes), so the whole scan is
//! linear. All anchors and value alphabets are ASCII, so every range lands on a char boundary.

// Scanners index bytes with short names (`b`, `i`, `j`, `s`, `e`) on purpose.
#![allow(clippy::many_single_char_names)]

use std::borrow::Cow;
use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::LazyLock;

use aho_corasick::automaton::Automaton as _;
use aho_corasick::dfa::DFA;
use aho_corasick::{Anchored, MatchKind, StartKind};
use serde::Serialize;

#[cfg(test)]
mod reference;

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretMatch {
    /// Byte range of the secret value (not the key name around it).
    pub range: Range<usize>,
    /// A short kind: `aws_access_key_id`, `github_token`, `private_key`, `url_password`, …
    pub kind: String,
}

/// Every secret in `text`, in order, not overlapping.
///
/// One pass of a case-insensitive automaton over the text finds every anchor a rule starts
/// from (token prefixes, `://`, `-----BEGIN `, scheme and flag names, and the hints every key
/// name holds); each rule then runs its precise checks at its anchors only, in text order, so
/// the result is the one a whole-text walk of every rule gives (see the differential test).
pub fn find(text: &str) -> Vec<SecretMatch> {
    with_scratch(|Scratch { hits, spans }| {
        anchors(text.as_bytes(), hits);
        if hits.is_empty() {
            return Vec::new();
        }
        let hook = hits.iter().any(|h| h.1 & HOOK != 0);
        candidates(text, hits, hook, spans).resolve()
    })
}

/// True when no rule fires from an anchor that starts before byte `end` of `text`, nor for a
/// webhook URL anywhere in it: then no secret [`find`] reports in `text` starts before `end`
/// (every rule's match starts at or after its anchor, but webhook URLs, which are checked
/// whole). The automaton walks only to `end` (plus the longest anchor), where [`find`] walks
/// all of `text`: for a text cut at `end` whose tail is scanned only for secrets that straddle
/// the cut, a "yes" spares the walk of the tail.
pub fn clean_before(text: &str, end: usize) -> bool {
    let b = text.as_bytes();
    let walk = end.saturating_add(ANCHORS.longest - 1).min(b.len());
    with_scratch(|Scratch { hits, spans }| {
        anchors(&b[..walk], hits);
        hits.retain(|h| h.0 < end);
        // A "hook" from `end` on may belong to a webhook URL that starts before `end`.
        let hook = hits.iter().any(|h| h.1 & HOOK != 0)
            || contains_ci(b.get(end..).unwrap_or_default(), "hook");
        if hits.is_empty() && !hook {
            return true;
        }
        candidates(text, hits, hook, spans).0.is_empty()
    })
}

/// An anchor: where it starts, its rule bits, its length.
type Hit = (usize, u32, usize);

/// Buffers a scan reuses on its thread: scans are many and most texts are short.
#[derive(Default)]
struct Scratch {
    hits: Vec<Hit>,
    spans: Vec<(usize, usize)>,
}

thread_local! {
    static SCRATCH: std::cell::RefCell<Scratch> = std::cell::RefCell::default();
}

/// Runs `f` with this thread's scan buffers; a buffer a huge text grew is let go afterwards, so
/// a thread does not keep it for its lifetime.
fn with_scratch<R>(f: impl FnOnce(&mut Scratch) -> R) -> R {
    const KEEP: usize = 4096;
    SCRATCH.with_borrow_mut(|s| {
        let r = f(s);
        if s.hits.capacity() > KEEP || s.spans.capacity() > KEEP {
            *s = Scratch::default();
        }
        r
    })
}

/// Every rule's candidates at its anchors (`hits`, from [`anchors`]), in text order; `hook`
/// runs the webhook rule, which scans the whole text.
fn candidates(text: &str, hits: &[Hit], hook: bool, spans: &mut Vec<(usize, usize)>) -> Cands {
    let b = text.as_bytes();
    // Rules without an anchor in the text are skipped without a look at the anchors.
    let present = hits.iter().fold(0, |all, h| all | h.1);
    let at = |bit: u32| {
        let hits = if present & bit == 0 { &[][..] } else { hits };
        hits.iter().filter(move |h| h.1 & bit != 0).map(|h| h.0)
    };
    let mut c = Cands::default();
    for start in non_overlapping(exact(b, at(PEM), b"-----BEGIN "), 11) {
        pem_at(text, start, &mut c);
    }
    prefixed_tokens(b, at(PREFIX), &mut c);
    for start in non_overlapping(exact(b, at(JWT), b"eyJ"), 3) {
        jwt_at(b, start, &mut c);
    }
    if hook {
        webhook_urls(text, &text.to_ascii_lowercase(), &mut c);
    }
    for sep in non_overlapping(at(URL), 3) {
        url_at(b, sep, &mut c);
    }
    for (k, &(scheme, kind)) in AUTH_SCHEMES.iter().enumerate() {
        for start in non_overlapping(at(AUTH0 << k), scheme.len()) {
            auth_at(text, start, scheme, kind, &mut c);
        }
    }
    for (k, flag) in CLI_FLAGS.iter().enumerate() {
        for start in non_overlapping(at(CLI0 << k), flag.len()) {
            cli_flag_at(b, start, flag, &mut c);
        }
    }
    let lists: [Vec<usize>; 3] = std::array::from_fn(|k| at(LINE0 << k).collect());
    cli_lines(b, &lists, &mut c);
    if present & HINT != 0 {
        // One hint per start: no hint is a prefix of another.
        spans.clear();
        spans.extend(
            hits.iter()
                .filter(|h| h.1 & HINT != 0)
                .map(|h| (h.0, h.0 + h.2)),
        );
        spans.dedup();
        assignments(text, spans, &mut c);
        for &(start, _) in spans.iter() {
            natural_language_at(b, start, &mut c);
        }
    }
    c
}

/// True when `text` holds at least one secret.
pub fn contains_secret(text: &str) -> bool {
    !find(text).is_empty()
}

/// `text` with every secret replaced by `[REDACTED:<kind>]`.
pub fn redact(text: &str) -> String {
    redacted(text).into_owned()
}

/// As [`redact`], borrowing `text` when it holds no secret (the common case).
pub fn redacted(text: &str) -> Cow<'_, str> {
    let found = find(text);
    if found.is_empty() {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in found {
        out.push_str(&text[last..m.range.start]);
        out.push_str("[REDACTED:");
        out.push_str(&m.kind);
        out.push(']');
        last = m.range.end;
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

// ---------------------------------------------------------------------------------------------
// Anchors: one automaton pass finds where each rule may match
// ---------------------------------------------------------------------------------------------

/// What an anchor starts: one bit per rule (and per scheme, flag and line pattern).
const PEM: u32 = 1;
const PREFIX: u32 = 1 << 1;
const JWT: u32 = 1 << 2;
const HOOK: u32 = 1 << 3;
const URL: u32 = 1 << 4;
/// A [`NAME_HINTS`] word: key names (assignments) and credential words in prose hold one.
const HINT: u32 = 1 << 5;
/// `AUTH0 << k`: the k-th of [`AUTH_SCHEMES`].
const AUTH0: u32 = 1 << 6;
/// `LINE0 << k`: the k-th of [`LINE_PATTERNS`].
const LINE0: u32 = 1 << 9;
/// `CLI0 << k`: the k-th of [`CLI_FLAGS`] (15 of them: bits 12 to 26).
const CLI0: u32 = 1 << 12;

/// Authorization schemes and the kind of their value.
const AUTH_SCHEMES: [(&str, &str); 3] = [
    ("bearer", "bearer_token"),
    ("basic", "basic_auth"),
    ("token", "token"),
];

/// MySQL-style `-pSECRET` and curl-style `-u user:pass`.
const LINE_PATTERNS: [&str; 3] = [" -p", " -u ", " --user "];

struct Anchors {
    automaton: DFA,
    /// The automaton's transitions as one flat table the walk reads directly: see [`Table`].
    table: Table,
    /// The longest pattern, in bytes.
    longest: usize,
    /// The rule bits of each pattern.
    bits: Vec<u32>,
}

/// The automaton's states renumbered densely, with bytes that act alike merged into classes:
/// `next[s + class[byte]]` is the state after `byte` from the state whose row starts at `s`
/// (rows are `stride` wide, so a state is its row's start), with [`Table::MATCH`] set when that
/// state is a match state. Built from [`DFA::next_state`] for every state and byte, so a walk of
/// the table visits exactly the automaton's states: one lookup a byte and one bit test for a
/// match, where the automaton's own step also checks bounds and compares state ids.
struct Table {
    class: [u8; 256],
    next: Vec<u32>,
    /// The automaton's id of each state, by row.
    ids: Vec<aho_corasick::automaton::StateID>,
    stride: usize,
    start: u32,
}

impl Table {
    /// Set on a transition into a match state.
    const MATCH: u32 = 1 << 31;

    fn new(dfa: &DFA) -> Self {
        use aho_corasick::automaton::StateID;
        use std::collections::HashMap;
        let start = dfa
            .start_state(Anchored::No)
            .expect("an unanchored automaton has an unanchored start");
        // Every state reachable from the start, and its transition on each of the 256 bytes.
        let mut ids: Vec<StateID> = vec![start];
        let mut index: HashMap<StateID, usize> = HashMap::from([(start, 0)]);
        let mut rows: Vec<[usize; 256]> = Vec::new();
        while rows.len() < ids.len() {
            let from = ids[rows.len()];
            let row = std::array::from_fn(|b| {
                let to = dfa.next_state(Anchored::No, from, b as u8);
                *index.entry(to).or_insert_with(|| {
                    ids.push(to);
                    ids.len() - 1
                })
            });
            rows.push(row);
        }
        // Bytes whose column is the same in every row share a class.
        let mut classes: HashMap<Vec<usize>, u8> = HashMap::new();
        let mut class = [0u8; 256];
        let mut first = Vec::new();
        for (b, c) in class.iter_mut().enumerate() {
            let column: Vec<usize> = rows.iter().map(|r| r[b]).collect();
            let n = classes.len();
            *c = *classes.entry(column).or_insert_with(|| {
                first.push(b);
                u8::try_from(n).expect("at most 256 classes")
            });
        }
        let stride = first.len();
        let entry = |to: usize| {
            let row = u32::try_from(to * stride).expect("the table fits u32 offsets");
            assert!(row < Self::MATCH, "the table fits 31-bit offsets");
            let id = ids[to];
            if dfa.is_special(id) && dfa.is_match(id) {
                row | Self::MATCH
            } else {
                row
            }
        };
        let next = rows
            .iter()
            .flat_map(|r| first.iter().map(|&b| entry(r[b])))
            .collect();
        Self {
            class,
            next,
            ids,
            stride,
            start: 0,
        }
    }
}

static ANCHORS: LazyLock<Anchors> = LazyLock::new(|| {
    let mut patterns: BTreeMap<String, u32> = BTreeMap::new();
    let mut add = |p: &str, bit: u32| *patterns.entry(p.to_ascii_lowercase()).or_default() |= bit;
    add("-----BEGIN ", PEM);
    for p in PREFIXES {
        add(p.p, PREFIX);
    }
    add("eyJ", JWT);
    add("hook", HOOK);
    add("://", URL);
    for h in NAME_HINTS {
        add(h, HINT);
    }
    for (k, (scheme, _)) in AUTH_SCHEMES.iter().enumerate() {
        add(scheme, AUTH0 << k);
    }
    for (k, p) in LINE_PATTERNS.iter().enumerate() {
        add(p, LINE0 << k);
    }
    for (k, flag) in CLI_FLAGS.iter().enumerate() {
        add(flag, CLI0 << k);
    }
    // A DFA: one table lookup per byte. Most patterns start with common letters, so a
    // prefilter would stop at nearly every byte: none.
    let automaton = DFA::builder()
        .ascii_case_insensitive(true)
        .match_kind(MatchKind::Standard)
        .start_kind(StartKind::Unanchored)
        .prefilter(false)
        .build(patterns.keys())
        .expect("the anchor patterns are a fixed, small set of ASCII strings");
    Anchors {
        table: Table::new(&automaton),
        automaton,
        longest: patterns.keys().map(String::len).max().unwrap_or(1),
        bits: patterns.into_values().collect(),
    }
});

/// Every anchor in `text` (all patterns, overlaps included), in order, into `hits` (cleared
/// first).
///
/// The automaton's own loop, without an iterator's state: a match state lists every pattern that
/// ends at its byte (overlapping matches, as `MatchKind::Standard` keeps them). Each step waits
/// for the one before it, so the text is cut into [`STREAMS`] slices walked side by side: the
/// automaton starts each slice `longest - 1` bytes early and keeps the matches that end inside
/// the slice, which are exactly those a walk of the whole text finds there.
fn anchors(text: &[u8], hits: &mut Vec<Hit>) {
    let streams = if text.len() >= 8 * ANCHORS.longest {
        STREAMS
    } else {
        1
    };
    anchors_in(text, streams, hits);
}

/// [`anchors`] with `streams` slices: [`STREAMS`] or 1.
fn anchors_in(b: &[u8], streams: usize, hits: &mut Vec<Hit>) {
    let a = &*ANCHORS;
    let dfa = &a.automaton;
    let (table, class, ids, stride) = (
        &a.table.next[..],
        &a.table.class,
        &a.table.ids,
        a.table.stride,
    );
    hits.clear();
    let mut record = |row: u32, end: usize| {
        let sid = ids[(row & !Table::MATCH) as usize / stride];
        for k in 0..dfa.match_len(sid) {
            let pid = dfa.match_pattern(sid, k);
            let len = dfa.pattern_len(pid);
            hits.push((end - len, a.bits[pid.as_usize()], len));
        }
    };
    let step = |s: u32, byte: u8| {
        table[(s & !Table::MATCH) as usize + usize::from(class[usize::from(byte)])]
    };
    // Slice j: matches ending in (keep[j], to[j]], walked from `from[j]` (`longest - 1` bytes
    // before `keep[j]` but for the first slice). The slices are cut so every walk is `len` bytes
    // long (the last one may be shorter): the walks end together, but for a few bytes.
    let n = b.len();
    let early = a.longest - 1;
    let len = (n + (streams - 1) * early).div_ceil(streams);
    let from: [usize; STREAMS] = std::array::from_fn(|j| (j * len.saturating_sub(early)).min(n));
    let keep: [usize; STREAMS] =
        std::array::from_fn(|j| if j == 0 { 0 } else { (from[j] + early).min(n) });
    let to: [usize; STREAMS] = std::array::from_fn(|j| (from[j] + len).min(n));
    let mut sid = [a.table.start; STREAMS];
    let together = (0..streams).map(|j| to[j] - from[j]).min().unwrap_or(0);
    if streams == STREAMS {
        let slices: [&[u8]; STREAMS] = std::array::from_fn(|j| &b[from[j]..from[j] + together]);
        // Four slices in step: `i` indexes each of them.
        #[allow(clippy::needless_range_loop)]
        for i in 0..together {
            for j in 0..STREAMS {
                sid[j] = step(sid[j], slices[j][i]);
            }
            if sid.iter().fold(0, |all, &s| all | s) & Table::MATCH != 0 {
                for j in 0..STREAMS {
                    let at = from[j] + i;
                    if sid[j] & Table::MATCH != 0 && at >= keep[j] {
                        record(sid[j], at + 1);
                    }
                }
            }
        }
    }
    let done = if streams == STREAMS { together } else { 0 };
    for j in 0..streams {
        let mut s = sid[j];
        for (i, &byte) in b.iter().enumerate().take(to[j]).skip(from[j] + done) {
            s = step(s, byte);
            if s & Table::MATCH != 0 && i >= keep[j] {
                record(s, i + 1);
            }
        }
    }
    hits.sort_unstable();
}

/// How many slices of a text [`anchors`] walks side by side.
const STREAMS: usize = 4;

/// The anchors whose bytes are exactly `pat` (the automaton ignores ASCII case).
fn exact<'a>(
    b: &'a [u8],
    starts: impl Iterator<Item = usize> + 'a,
    pat: &'static [u8],
) -> impl Iterator<Item = usize> + 'a {
    starts.filter(move |&s| b[s..].starts_with(pat))
}

/// Occurrences of one pattern of length `len` as `str::match_indices` reports them: leftmost
/// first, each starting after the previous one ends.
fn non_overlapping(starts: impl Iterator<Item = usize>, len: usize) -> impl Iterator<Item = usize> {
    let mut end = 0;
    starts.filter(move |&s| {
        let keep = s >= end;
        if keep {
            end = s + len;
        }
        keep
    })
}

// ---------------------------------------------------------------------------------------------
// Candidates and overlap resolution
// ---------------------------------------------------------------------------------------------

/// Rule priority: a named format beats a generic rule on the same bytes (its kind is more
/// useful to a reviewer), and a wider generic match beats nothing.
const NAMED: u8 = 0;
const GENERIC: u8 = 1;

#[derive(Default)]
struct Cands(Vec<(u8, usize, usize, &'static str)>);

impl Cands {
    fn push(&mut self, prio: u8, start: usize, end: usize, kind: &'static str) {
        if end > start {
            self.0.push((prio, start, end, kind));
        }
    }

    /// Named formats first, then generic ones, each accepted unless it overlaps an accepted one.
    fn resolve(mut self) -> Vec<SecretMatch> {
        self.0.sort_by_key(|&(p, s, e, _)| (p, s, usize::MAX - e));
        let mut taken: BTreeMap<usize, (usize, &'static str)> = BTreeMap::new();
        for (_, s, e, kind) in self.0 {
            let before = taken
                .range(..e)
                .next_back()
                .is_some_and(|(_, &(pe, _))| pe > s);
            if !before {
                taken.insert(s, (e, kind));
            }
        }
        taken
            .into_iter()
            .map(|(s, (e, kind))| SecretMatch {
                range: s..e,
                kind: kind.to_owned(),
            })
            .collect()
    }
}

// ---------------------------------------------------------------------------------------------
// Byte helpers
// ---------------------------------------------------------------------------------------------

fn is_word(b: u8) -> bool {
    b.is_ascii_alphanumeric() || b == b'_'
}

/// True when a token may start at `i` (not glued to a preceding word).
fn boundary_before(b: &[u8], i: usize) -> bool {
    i == 0 || !is_word(b[i - 1])
}

/// Shannon entropy in bits per byte.
fn entropy(v: &[u8]) -> f64 {
    if v.is_empty() {
        return 0.0;
    }
    let mut counts = [0u32; 256];
    for &b in v {
        counts[b as usize] += 1;
    }
    let n = v.len() as f64;
    counts
        .iter()
        .filter(|&&c| c > 0)
        .map(|&c| f64::from(c) / n)
        .map(|p| -p * p.log2())
        .sum()
}

fn distinct(v: &[u8]) -> usize {
    let mut seen = [false; 256];
    v.iter()
        .filter(|&&b| !std::mem::replace(&mut seen[b as usize], true))
        .count()
}

/// Character classes present: lower, upper, digit, other.
fn classes(v: &[u8]) -> (bool, bool, bool, bool) {
    let mut c = (false, false, false, false);
    for &b in v {
        match b {
            b'a'..=b'z' => c.0 = true,
            b'A'..=b'Z' => c.1 = true,
            b'0'..=b'9' => c.2 = true,
            _ => c.3 = true,
        }
    }
    c
}

fn class_count(v: &[u8]) -> usize {
    let (l, u, d, o) = classes(v);
    usize::from(l) + usize::from(u) + usize::from(d) + usize::from(o)
}

/// Whether `hay` holds `needle`, ignoring ASCII case: the places of the first byte in either
/// case are found with `memchr2`, and only there is the rest compared.
fn contains_ci(hay: &[u8], needle: &str) -> bool {
    let n = needle.as_bytes();
    let Some((&first, rest)) = n.split_first() else {
        return true;
    };
    let Some(last) = hay.len().checked_sub(n.len()) else {
        return false;
    };
    memchr::memchr2_iter(
        first.to_ascii_lowercase(),
        first.to_ascii_uppercase(),
        &hay[..=last],
    )
    .any(|i| hay[i + 1..i + n.len()].eq_ignore_ascii_case(rest))
}

/// Substrings of documentation placeholders and masked values.
const PLACEHOLDER_WORDS: &[&str] = &[
    "xxxx",
    "your",
    "example",
    "changeme",
    "change_me",
    "change-me",
    "replace",
    "placeholder",
    "dummy",
    "redacted",
    "sample",
    "insert",
    "<",
    ">",
    "${",
    "****",
    "here",
    "todo",
    "fixme",
    "not-secret",
    "notsecret",
    "not_secret",
    "secret_here",
    "foobar",
    "0000000",
    "1234567",
    "abcdef12",
];

/// Passwords in URLs that are documentation defaults, not secrets.
const URL_WEAK: &[&str] = &[
    "password",
    "pass",
    "passwd",
    "pwd",
    "secret",
    "user",
    "username",
    "token",
    "guest",
    "anonymous",
    "x-oauth-basic",
    "pw",
    "test",
    "admin",
    "root",
    "postgres",
    "mysql",
];

/// Command-line flags whose value is a credential.
const CLI_FLAGS: &[&str] = &[
    "--password",
    "--passwd",
    "--pass",
    "--token",
    "--api-key",
    "--apikey",
    "--secret",
    "--client-secret",
    "--auth-token",
    "--access-token",
    "--secret-key",
    "--access-key",
    "sshpass -p",
    "redis-cli -a",
    "--requirepass",
];

/// Name words that describe a secret without holding one: its length, lifetime, location,
/// id, or a public counterpart.
const NAME_NOT: &[&str] = &[
    "public",
    "publishable",
    "pub",
    "ttl",
    "length",
    "len",
    "min",
    "max",
    "expiry",
    "expires",
    "expiration",
    "url",
    "uri",
    "path",
    "file",
    "dir",
    "name",
    "id",
    "type",
    "header",
    "prefix",
    "format",
    "endpoint",
    "count",
    "size",
    "timeout",
    "enabled",
    "enable",
    "disabled",
    "version",
    "ref",
    "hint",
    "policy",
    "field",
    "mode",
    "algorithm",
    "alg",
    "kind",
    "label",
    "description",
    "hash",
    "fingerprint",
    "rotation",
    "lifetime",
    "duration",
    "seconds",
    "days",
    "arn",
    "region",
    "regex",
    "pattern",
    "strength",
    "required",
    "sid",
    "location",
    "source",
    "provider",
    "helper",
    "command",
    "cmd",
    "process",
    "manager",
    "store",
    "keystore",
    "reset",
    "limit",
    "scope",
    "scopes",
    "usage",
    "page",
];

/// Name words for passwords.
const NAME_PASS: &[&str] = &[
    "password",
    "passwd",
    "pwd",
    "pass",
    "passphrase",
    "passcode",
];

/// Name words for tokens and secrets.
const NAME_SECRET: &[&str] = &[
    "secret",
    "secrets",
    "token",
    "tokens",
    "apikey",
    "credential",
    "credentials",
    "creds",
    "auth",
    "authtoken",
    "accesstoken",
    "privatekey",
    "secretkey",
    "accountkey",
    "bearer",
    "jwt",
    "pat",
    "webhooksecret",
    "clientsecret",
    "signingkey",
    "apisecret",
    "sessionkey",
];

/// `<word>_key` pairs that name a secret key (`api_key`, `signing_key`).
const NAME_PAIR_FIRST: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "signing",
    "encryption",
    "master",
    "account",
    "app",
    "client",
    "auth",
    "service",
    "admin",
    "deploy",
    "license",
    "consumer",
    "shared",
    "storage",
    "subscription",
    "webhook",
    "session",
    "hmac",
];

/// Words that introduce a credential in prose ("the token is …").
const NL_WORDS: &[&str] = &[
    "token",
    "secret",
    "password",
    "passphrase",
    "key",
    "pat",
    "creds",
    "credential",
];

/// Every [`PLACEHOLDER_WORDS`] word, found in one pass (case-insensitive).
static PLACEHOLDER_AC: LazyLock<aho_corasick::AhoCorasick> = LazyLock::new(|| {
    aho_corasick::AhoCorasick::builder()
        .ascii_case_insensitive(true)
        .kind(Some(aho_corasick::AhoCorasickKind::DFA))
        .build(PLACEHOLDER_WORDS)
        .expect("the placeholder words are a fixed, small set of ASCII strings")
});

/// Documentation placeholders, masked values and references that are not secrets themselves:
/// `<your-key>`, `xxxx`, `${VAR}`, `$VAR`, `changeme`, `****`, `…`, `[REDACTED…]`, `{{ … }}`.
fn is_placeholder(v: &[u8]) -> bool {
    let Some(&first) = v.first() else {
        return true;
    };
    if matches!(
        first,
        b'$' | b'<' | b'[' | b'{' | b'%' | b'*' | b'#' | b'(' | b'@'
    ) {
        return true;
    }
    if v.iter().any(|&b| b >= 0x80) {
        // "…", "⟦REDACTED⟧" and the like: real tokens are ASCII.
        return true;
    }
    if distinct(v) <= 2 || v.windows(3).any(|w| w == b"...") {
        return true;
    }
    // `contains_ci` of every word, in one pass.
    PLACEHOLDER_AC.is_match(v)
}

// ---------------------------------------------------------------------------------------------
// PEM / OpenSSH / PGP private key blocks
// ---------------------------------------------------------------------------------------------

fn pem_at(text: &str, start: usize, c: &mut Cands) {
    let b = text.as_bytes();
    let label_start = start + "-----BEGIN ".len();
    let Some(rel) = text[label_start..].find("-----") else {
        return;
    };
    let label = &text[label_start..label_start + rel];
    if label.len() > 60 || !label.contains("PRIVATE KEY") {
        return;
    }
    let body = label_start + rel + 5;
    let end = match text[body..].find("-----END ") {
        Some(e) => {
            let after = body + e + "-----END ".len();
            match text[after..].find("-----") {
                Some(x) if x <= 60 => after + x + 5,
                _ => armour_end(b, body),
            }
        }
        // A truncated block is still a key: take the armoured body that follows.
        None => armour_end(b, body),
    };
    c.push(NAMED, start, end, "private_key");
}

/// End of the base64 lines (and `Key: value` armour headers) that follow `from`.
fn armour_end(b: &[u8], from: usize) -> usize {
    let mut end = from;
    let mut i = from;
    while i < b.len() {
        let line_end = b[i..]
            .iter()
            .position(|&x| x == b'\n')
            .map_or(b.len(), |p| i + p);
        let line = &b[i..line_end];
        let trimmed: &[u8] = line.strip_suffix(b"\r").unwrap_or(line);
        let ok = trimmed
            .iter()
            .all(|&x| x.is_ascii_alphanumeric() || b"+/=".contains(&x))
            || trimmed.windows(2).any(|w| w == b": ");
        if !ok {
            break;
        }
        end = i + trimmed.len();
        i = line_end + 1;
    }
    end
}

// ---------------------------------------------------------------------------------------------
// Tokens with a fixed, documented prefix
// ---------------------------------------------------------------------------------------------

#[derive(Clone, Copy, PartialEq, Eq)]
enum Cs {
    Alnum,
    AlnumUnd,
    AlnumUndDash,
    AlnumDash,
    HexLower,
    Hex,
    UpperDigit,
    AlnumUndDashDot,
    B64,
}

impl Cs {
    fn has(self, b: u8) -> bool {
        match self {
            Cs::Alnum => b.is_ascii_alphanumeric(),
            Cs::AlnumUnd => is_word(b),
            Cs::AlnumUndDash => is_word(b) || b == b'-',
            Cs::AlnumDash => b.is_ascii_alphanumeric() || b == b'-',
            Cs::HexLower => b.is_ascii_digit() || (b'a'..=b'f').contains(&b),
            Cs::Hex => b.is_ascii_hexdigit(),
            Cs::UpperDigit => b.is_ascii_uppercase() || b.is_ascii_digit(),
            Cs::AlnumUndDashDot => is_word(b) || b == b'-' || b == b'.',
            Cs::B64 => b.is_ascii_alphanumeric() || b == b'+' || b == b'/' || b == b'=',
        }
    }
}

/// Extra checks for formats whose alphabet alone is too loose.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Check {
    None,
    /// Slack tokens carry numeric workspace/user ids: `xoxb-<digits>-<digits>-…`.
    Digits8,
    /// Generic `sk-` keys: long and mixed letters and digits.
    Mixed,
    /// `SendGrid`: `SG.<22>.<43>`.
    TwoParts,
}

struct Prefix {
    p: &'static str,
    kind: &'static str,
    cs: Cs,
    min: usize,
    max: usize,
    check: Check,
}

const fn px(p: &'static str, kind: &'static str, cs: Cs, min: usize, max: usize) -> Prefix {
    Prefix {
        p,
        kind,
        cs,
        min,
        max,
        check: Check::None,
    }
}

const fn pxc(
    p: &'static str,
    kind: &'static str,
    cs: Cs,
    min: usize,
    max: usize,
    check: Check,
) -> Prefix {
    Prefix {
        p,
        kind,
        cs,
        min,
        max,
        check,
    }
}

/// Body lengths are the documented ones with some slack; `max` guards against matching the
/// start of an unrelated longer identifier.
const PREFIXES: &[Prefix] = &[
    // AWS access key ids (long-term and STS); the role/user ids (AROA, AIDA) are not secrets.
    px("AKIA", "aws_access_key_id", Cs::UpperDigit, 16, 16),
    px("ASIA", "aws_access_key_id", Cs::UpperDigit, 16, 16),
    px("ABIA", "aws_access_key_id", Cs::UpperDigit, 16, 16),
    px("ACCA", "aws_access_key_id", Cs::UpperDigit, 16, 16),
    px(
        "github_pat_",
        "github_fine_grained_pat",
        Cs::AlnumUnd,
        40,
        120,
    ),
    px("ghp_", "github_pat", Cs::Alnum, 30, 40),
    px("gho_", "github_oauth_token", Cs::Alnum, 30, 40),
    px("ghu_", "github_app_token", Cs::Alnum, 30, 40),
    px("ghs_", "github_app_token", Cs::Alnum, 30, 40),
    px("ghr_", "github_refresh_token", Cs::Alnum, 30, 80),
    pxc(
        "xoxb-",
        "slack_bot_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xoxp-",
        "slack_user_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xoxa-",
        "slack_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xoxr-",
        "slack_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xoxs-",
        "slack_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xoxo-",
        "slack_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xoxe-",
        "slack_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    pxc(
        "xapp-",
        "slack_app_token",
        Cs::AlnumDash,
        20,
        200,
        Check::Digits8,
    ),
    px("sk_live_", "stripe_secret_key", Cs::Alnum, 16, 250),
    px("sk_test_", "stripe_secret_key", Cs::Alnum, 16, 250),
    px("rk_live_", "stripe_secret_key", Cs::Alnum, 16, 250),
    px("rk_test_", "stripe_secret_key", Cs::Alnum, 16, 250),
    px("whsec_", "stripe_webhook_secret", Cs::Alnum, 24, 100),
    px(
        "sk-ant-admin",
        "anthropic_admin_key",
        Cs::AlnumUndDash,
        30,
        200,
    ),
    px("sk-ant-", "anthropic_api_key", Cs::AlnumUndDash, 30, 200),
    px("sk-proj-", "openai_api_key", Cs::AlnumUndDash, 20, 250),
    px("sk-svcacct-", "openai_api_key", Cs::AlnumUndDash, 20, 250),
    px("sk-admin-", "openai_api_key", Cs::AlnumUndDash, 20, 250),
    px("sk-None-", "openai_api_key", Cs::AlnumUndDash, 20, 250),
    px("sk-or-v1-", "openrouter_api_key", Cs::Alnum, 40, 80),
    pxc(
        "sk-",
        "openai_api_key",
        Cs::AlnumUndDash,
        32,
        250,
        Check::Mixed,
    ),
    px("AIza", "google_api_key", Cs::AlnumUndDash, 35, 35),
    px("ya29.", "google_oauth_token", Cs::AlnumUndDash, 30, 2000),
    px(
        "GOCSPX-",
        "google_oauth_client_secret",
        Cs::AlnumUndDash,
        24,
        40,
    ),
    px("glpat-", "gitlab_token", Cs::AlnumUndDash, 20, 64),
    px("gldt-", "gitlab_token", Cs::AlnumUndDash, 20, 64),
    px("glrt-", "gitlab_token", Cs::AlnumUndDash, 20, 64),
    px("glptt-", "gitlab_token", Cs::AlnumUndDash, 20, 64),
    px("glsoat-", "gitlab_token", Cs::AlnumUndDash, 20, 64),
    px("glcbt-", "gitlab_token", Cs::AlnumUndDash, 20, 64),
    px("npm_", "npm_token", Cs::Alnum, 36, 36),
    px("hf_", "huggingface_token", Cs::Alnum, 30, 40),
    pxc(
        "SG.",
        "sendgrid_api_key",
        Cs::AlnumUndDashDot,
        60,
        80,
        Check::TwoParts,
    ),
    px("SK", "twilio_api_key", Cs::HexLower, 32, 32),
    px("dop_v1_", "digitalocean_token", Cs::HexLower, 64, 64),
    px("doo_v1_", "digitalocean_token", Cs::HexLower, 64, 64),
    px("dor_v1_", "digitalocean_token", Cs::HexLower, 64, 64),
    px("shpat_", "shopify_token", Cs::Hex, 32, 32),
    px("shpss_", "shopify_token", Cs::Hex, 32, 32),
    px("shpca_", "shopify_token", Cs::Hex, 32, 32),
    px("shppa_", "shopify_token", Cs::Hex, 32, 32),
    px("dapi", "databricks_token", Cs::HexLower, 32, 34),
    px("pypi-", "pypi_token", Cs::AlnumUndDash, 50, 300),
    px("AGE-SECRET-KEY-1", "age_secret_key", Cs::UpperDigit, 50, 70),
    px("hvs.", "vault_token", Cs::AlnumUndDash, 24, 300),
    px("hvb.", "vault_token", Cs::AlnumUndDash, 24, 300),
    px("lin_api_", "linear_api_key", Cs::Alnum, 40, 40),
    px("sntryu_", "sentry_token", Cs::HexLower, 64, 64),
    px("sntrys_", "sentry_token", Cs::B64, 50, 300),
    px("HRKU-", "heroku_api_key", Cs::AlnumUndDash, 40, 80),
    px("dckr_pat_", "docker_hub_token", Cs::AlnumUndDash, 20, 60),
    px("glsa_", "grafana_token", Cs::AlnumUnd, 32, 60),
    px("glc_", "grafana_token", Cs::B64, 32, 200),
    px("PMAK-", "postman_api_key", Cs::AlnumDash, 50, 70),
    px("ATATT", "atlassian_api_token", Cs::AlnumUndDash, 100, 300),
    px("NRAK-", "new_relic_api_key", Cs::UpperDigit, 27, 27),
    px("pcsk_", "pinecone_api_key", Cs::AlnumUnd, 50, 120),
    px("gsk_", "groq_api_key", Cs::Alnum, 48, 60),
    px("xai-", "xai_api_key", Cs::Alnum, 60, 100),
    px("r8_", "replicate_api_token", Cs::Alnum, 37, 40),
    px("pplx-", "perplexity_api_key", Cs::Alnum, 40, 60),
    px("tvly-", "tavily_api_key", Cs::AlnumDash, 20, 60),
    px("lsv2_pt_", "langsmith_api_key", Cs::AlnumUnd, 30, 80),
    px("lsv2_sk_", "langsmith_api_key", Cs::AlnumUnd, 30, 80),
    px("figd_", "figma_token", Cs::AlnumUndDash, 30, 60),
    px("sbp_", "supabase_token", Cs::HexLower, 40, 40),
    px("pscale_tkn_", "planetscale_token", Cs::AlnumUndDash, 32, 64),
    px(
        "pscale_pw_",
        "planetscale_password",
        Cs::AlnumUndDash,
        32,
        64,
    ),
    px("rubygems_", "rubygems_api_key", Cs::HexLower, 48, 48),
    px("sq0atp-", "square_token", Cs::AlnumUndDash, 22, 60),
    px("sq0csp-", "square_token", Cs::AlnumUndDash, 40, 60),
    px("LTAI", "alibaba_access_key", Cs::Alnum, 20, 24),
    px("ntn_", "notion_token", Cs::Alnum, 40, 60),
    px("fo1_", "flyio_token", Cs::AlnumUndDash, 40, 60),
    px("dp.pt.", "doppler_token", Cs::Alnum, 40, 60),
    px("bkua_", "buildkite_token", Cs::Alnum, 40, 40),
    px("pnu_", "prefect_token", Cs::Alnum, 36, 36),
    px("dt0c01.", "dynatrace_token", Cs::AlnumDash, 80, 120),
    px("FLWSECK-", "flutterwave_secret_key", Cs::AlnumDash, 32, 60),
];

/// Prefix indices by first byte, longest prefix first.
static BY_FIRST: LazyLock<Vec<Vec<usize>>> = LazyLock::new(|| {
    let mut t = vec![Vec::new(); 256];
    for (i, p) in PREFIXES.iter().enumerate() {
        t[p.p.as_bytes()[0] as usize].push(i);
    }
    for v in &mut t {
        v.sort_by_key(|&i| usize::MAX - PREFIXES[i].p.len());
    }
    t
});

/// Tries the prefixes at each anchor (a position where one of them starts, in any case), in
/// order; a match skips the anchors inside the token.
fn prefixed_tokens(b: &[u8], starts: impl Iterator<Item = usize>, c: &mut Cands) {
    let table = &*BY_FIRST;
    let mut next = 0;
    for i in starts {
        if i < next {
            continue;
        }
        next = i + 1;
        if !boundary_before(b, i) {
            continue;
        }
        for &pi in &table[b[i] as usize] {
            let p = &PREFIXES[pi];
            if !b[i..].starts_with(p.p.as_bytes()) {
                continue;
            }
            // The longest matching prefix decides; a failed body is not retried with a
            // shorter prefix (`sk-proj-XXXX` must not become a generic `sk-` key).
            let body_start = i + p.p.len();
            let mut j = body_start;
            while j < b.len() && j - body_start <= p.max && p.cs.has(b[j]) {
                j += 1;
            }
            // Trailing dashes/dots are punctuation, not part of the token.
            while j > body_start && matches!(b[j - 1], b'-' | b'.') && p.cs != Cs::B64 {
                j -= 1;
            }
            let body = &b[body_start..j];
            if body.len() >= p.min && body.len() <= p.max && body_ok(p, body) {
                c.push(NAMED, i, j, p.kind);
                next = j;
            }
            break;
        }
    }
}

fn body_ok(p: &Prefix, body: &[u8]) -> bool {
    if is_placeholder(body) || distinct(body) < 6.min(body.len()) {
        return false;
    }
    match p.check {
        Check::None => true,
        Check::Digits8 => body.iter().filter(|b| b.is_ascii_digit()).count() >= 8,
        Check::Mixed => {
            let (l, u, d, _) = classes(body);
            d && (l || u) && distinct(body) >= 12
        }
        Check::TwoParts => {
            let dot = |x: &u8| *x == b'.';
            body.iter().position(dot).is_some()
                && body.iter().position(dot) == body.iter().rposition(dot)
        }
    }
}

// ---------------------------------------------------------------------------------------------
// JWTs: three base64url parts, header and payload being JSON objects (`eyJ`)
// ---------------------------------------------------------------------------------------------

fn jwt_at(b: &[u8], start: usize, c: &mut Cands) {
    if !boundary_before(b, start) {
        return;
    }
    let part = |from: usize| {
        let mut j = from;
        while j < b.len() && (is_word(b[j]) || b[j] == b'-') {
            j += 1;
        }
        j
    };
    let e1 = part(start);
    if e1 - start < 10 || b.get(e1) != Some(&b'.') || !b[e1 + 1..].starts_with(b"eyJ") {
        return;
    }
    let e2 = part(e1 + 1);
    if e2 - e1 < 10 || b.get(e2) != Some(&b'.') {
        return;
    }
    let e3 = part(e2 + 1);
    if e3 - e2 > 16 {
        c.push(NAMED, start, e3, "jwt");
    }
}

// ---------------------------------------------------------------------------------------------
// Webhook URLs whose path is the credential
// ---------------------------------------------------------------------------------------------

fn webhook_urls(text: &str, lower: &str, c: &mut Cands) {
    const HOOKS: &[(&str, &str, usize)] = &[
        ("https://hooks.slack.com/services/", "slack_webhook_url", 20),
        (
            "https://hooks.slack.com/workflows/",
            "slack_webhook_url",
            20,
        ),
        ("https://hooks.slack.com/triggers/", "slack_webhook_url", 20),
        (
            "https://discord.com/api/webhooks/",
            "discord_webhook_url",
            30,
        ),
        (
            "https://discordapp.com/api/webhooks/",
            "discord_webhook_url",
            30,
        ),
        (
            "https://ptb.discord.com/api/webhooks/",
            "discord_webhook_url",
            30,
        ),
        (".webhook.office.com/webhookb2/", "teams_webhook_url", 30),
    ];
    // Every anchor contains "hook": one scan rules them all out for most texts.
    if !lower.contains("hook") {
        return;
    }
    let b = text.as_bytes();
    for &(anchor, kind, min) in HOOKS {
        for (at, _) in lower.match_indices(anchor) {
            let mut start = at;
            if anchor.starts_with('.') {
                // Walk back over the tenant host to `https://`.
                while start > 0 && (b[start - 1].is_ascii_alphanumeric() || b[start - 1] == b'-') {
                    start -= 1;
                }
                if !lower[..start].ends_with("https://") {
                    continue;
                }
                start -= "https://".len();
            }
            let path = at + anchor.len();
            let mut j = path;
            while j < b.len() && (is_word(b[j]) || matches!(b[j], b'/' | b'-' | b'@')) {
                j += 1;
            }
            let p = &b[path..j];
            if p.len() >= min && !is_placeholder(p) && p.iter().any(u8::is_ascii_digit) {
                c.push(NAMED, start, j, kind);
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// scheme://user:password@host
// ---------------------------------------------------------------------------------------------

fn url_at(b: &[u8], sep: usize, c: &mut Cands) {
    let mut s = sep;
    while s > 0 && (b[s - 1].is_ascii_alphanumeric() || matches!(b[s - 1], b'+' | b'.' | b'-')) {
        s -= 1;
    }
    if sep - s < 2 || !b[s].is_ascii_alphabetic() {
        return;
    }
    let auth = sep + 3;
    let mut end = auth;
    while end < b.len()
        && end - auth < 512
        && !b[end].is_ascii_whitespace()
        && !matches!(
            b[end],
            b'/' | b'?' | b'#' | b'"' | b'\'' | b'<' | b'>' | b'`' | b')'
        )
    {
        end += 1;
    }
    let Some(at) = b[auth..end]
        .iter()
        .rposition(|&x| x == b'@')
        .map(|p| auth + p)
    else {
        return;
    };
    if !b
        .get(at + 1)
        .is_some_and(|&h| h.is_ascii_alphanumeric() || h == b'[')
    {
        return;
    }
    let userinfo = &b[auth..at];
    if userinfo.first() == Some(&b'[') {
        // Already redacted (`[REDACTED:…]@host`): keep redaction idempotent.
        return;
    }
    match userinfo.iter().position(|&x| x == b':') {
        Some(colon) => {
            let pass = &userinfo[colon + 1..];
            if pass.len() >= 3 && !url_placeholder(pass) {
                c.push(GENERIC, auth + colon + 1, at, "url_password");
            }
        }
        None => {
            // A bare token as the user part (`https://<token>@github.com`).
            if strong_token(userinfo) {
                c.push(GENERIC, auth, at, "url_token");
            }
        }
    }
}

fn url_placeholder(pass: &[u8]) -> bool {
    is_placeholder(pass)
        || URL_WEAK
            .iter()
            .any(|w| pass.eq_ignore_ascii_case(w.as_bytes()))
}

// ---------------------------------------------------------------------------------------------
// Authorization headers: Bearer / Basic / token
// ---------------------------------------------------------------------------------------------

/// `scheme` (any case) at `at`, then a space and the credential.
fn auth_at(text: &str, at: usize, scheme: &str, kind: &'static str, c: &mut Cands) {
    let b = text.as_bytes();
    if !boundary_before(b, at) {
        return;
    }
    let mut v = at + scheme.len();
    if b.get(v) != Some(&b' ') {
        return;
    }
    // "Authorization: token X" (GitHub style) only right after the header name.
    if kind == "token" && !after_authorization(text, at) {
        return;
    }
    while b.get(v) == Some(&b' ') {
        v += 1;
    }
    let mut e = v;
    while e < b.len()
        && (b[e].is_ascii_alphanumeric() || b"._~+/=-".contains(&b[e]))
        && e - v < 4096
    {
        e += 1;
    }
    let val = &b[v..e];
    let ok = match kind {
        "basic_auth" => val.len() >= 8 && basic_decodes(val),
        "token" => strong_token(val),
        _ => val.len() >= 16 && !is_placeholder(val) && class_count(val) >= 2,
    };
    if ok {
        c.push(GENERIC, v, e, kind);
    }
}

/// Whether `Authorization:` (any case) comes right before `at`, but for whitespace.
fn after_authorization(text: &str, at: usize) -> bool {
    let before = text[..at].trim_end().as_bytes();
    let name = b"authorization:";
    before.len() >= name.len() && before[before.len() - name.len()..].eq_ignore_ascii_case(name)
}

/// Basic credentials are base64 of `user:password`.
fn basic_decodes(v: &[u8]) -> bool {
    b64_decode(v).is_some_and(|d| d.contains(&b':') && d.iter().all(|&x| (0x20..0x7f).contains(&x)))
}

fn b64_decode(v: &[u8]) -> Option<Vec<u8>> {
    let val = |c: u8| -> Option<u32> {
        Some(match c {
            b'A'..=b'Z' => u32::from(c - b'A'),
            b'a'..=b'z' => u32::from(c - b'a') + 26,
            b'0'..=b'9' => u32::from(c - b'0') + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        })
    };
    let core: &[u8] = {
        let mut e = v.len();
        while e > 0 && v[e - 1] == b'=' {
            e -= 1;
        }
        &v[..e]
    };
    let mut out = Vec::with_capacity(core.len() * 3 / 4);
    let (mut acc, mut bits) = (0u32, 0u32);
    for &ch in core {
        acc = (acc << 6) | val(ch)?;
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((acc >> bits) as u8);
            acc &= (1 << bits) - 1;
        }
    }
    Some(out)
}

// ---------------------------------------------------------------------------------------------
// Passwords on command lines
// ---------------------------------------------------------------------------------------------

/// `--password=X`, `--token X`, … and `sshpass -p X`: `flag` (any case) at `at`.
fn cli_flag_at(b: &[u8], at: usize, flag: &str, c: &mut Cands) {
    let e = at + flag.len();
    if flag.starts_with("--")
        && (!boundary_before(b, at) || b.get(e).is_some_and(|&x| is_word(x) || x == b'-'))
    {
        return;
    }
    if let Some((vs, ve)) = value_after(b, e, true) {
        let v = &b[vs..ve];
        let password = flag.contains("pass");
        if (password && v.len() >= 6 && !is_placeholder(v) && class_count(v) >= 2)
            || strong_token(v)
        {
            c.push(GENERIC, vs, ve, "cli_password");
        }
    }
}

/// MySQL-style `-pSECRET` (no space) and `-u user:pass` (curl): `lists[k]` holds where the
/// k-th of [`LINE_PATTERNS`] starts (any case), in order. Line by line, as the patterns hold no
/// newline: first every ` -p` of the line, then every ` -u `, then every ` --user `.
fn cli_lines(b: &[u8], lists: &[Vec<usize>; 3], c: &mut Cands) {
    let mut next = [0usize; 3];
    while let Some(first) = (0..3).filter_map(|k| lists[k].get(next[k])).min().copied() {
        let line_start = memchr::memrchr(b'\n', &b[..first]).map_or(0, |p| p + 1);
        let line_end = memchr::memchr(b'\n', &b[first..]).map_or(b.len(), |p| first + p);
        let line = &b[line_start..line_end];
        let mut in_line = |k: usize| {
            let from = next[k];
            while lists[k].get(next[k]).is_some_and(|&s| s < line_end) {
                next[k] += 1;
            }
            non_overlapping(
                lists[k][from..next[k]].iter().copied(),
                LINE_PATTERNS[k].len(),
            )
        };
        let mut mysql = None;
        for at in in_line(0) {
            let vs = at + 3;
            let mysql = *mysql.get_or_insert_with(|| {
                // `mysqldump` and `mysqladmin` hold `mysql`.
                contains_ci(line, "mysql") || contains_ci(line, "mariadb")
            });
            if !mysql || b.get(vs).is_none_or(|&x| x == b' ' || x == b'=') {
                continue;
            }
            if let Some((s, e)) = value_after(b, vs, false) {
                let v = &b[s..e];
                if v.len() >= 6 && !is_placeholder(v) && class_count(v) >= 2 {
                    c.push(GENERIC, s, e, "cli_password");
                }
            }
        }
        for k in [1, 2] {
            for at in in_line(k) {
                let vs = at + LINE_PATTERNS[k].len();
                if let Some((s, e)) = value_after(b, vs, false) {
                    if is_placeholder(&b[s..e]) {
                        continue;
                    }
                    if let Some(colon) = b[s..e].iter().position(|&x| x == b':') {
                        let p = &b[s + colon + 1..e];
                        if p.len() >= 6 && !is_placeholder(p) && class_count(p) >= 2 {
                            c.push(GENERIC, s + colon + 1, e, "cli_password");
                        }
                    }
                }
            }
        }
    }
}

/// The value that follows position `i`: skips `=`/`:`/spaces (when `skip_sep`), then a quoted
/// string or a bare run of token bytes. Returns the value's byte range without quotes.
fn value_after(b: &[u8], mut i: usize, skip_sep: bool) -> Option<(usize, usize)> {
    if skip_sep {
        let mut n = 0;
        while i < b.len() && matches!(b[i], b'=' | b':' | b' ' | b'\t' | b'>') && n < 6 {
            i += 1;
            n += 1;
        }
    }
    let q = *b.get(i)?;
    if matches!(q, b'"' | b'\'' | b'`') {
        let s = i + 1;
        let e = s + b[s..]
            .iter()
            .take(1024)
            .position(|&x| x == q || x == b'\n')?;
        return (b[e] == q && e > s).then_some((s, e));
    }
    let s = i;
    let mut e = s;
    while e < b.len() && e - s < 1024 && bare_value_byte(b[e]) {
        e += 1;
    }
    // Trailing sentence punctuation is not part of the value.
    while e > s && matches!(b[e - 1], b'.' | b',' | b':' | b'!' | b'?') {
        e -= 1;
    }
    (e > s).then_some((s, e))
}

fn bare_value_byte(x: u8) -> bool {
    x.is_ascii_graphic()
        && !matches!(
            x,
            b'"' | b'\'' | b'`' | b',' | b';' | b')' | b']' | b'}' | b'&' | b'<' | b'>'
        )
}

// ---------------------------------------------------------------------------------------------
// NAME = value assignments (env files, YAML, JSON, code, query strings)
// ---------------------------------------------------------------------------------------------

/// How strict the value test is for a key-ish name.
#[derive(Clone, Copy, PartialEq, Eq)]
enum NameKind {
    Password,
    Secret,
}

/// The longest name [`name_before`] takes, in bytes.
const NAME_MAX: usize = 80;

/// `NAME = value` where the name holds a hint (`hints`: the spans of every hint, in order); a
/// name without a hint is never key-ish ([`name_kind`]). [`name_before`] reads a name back from
/// its separator: the name, an optional quote, up to four spaces, the separator. So from each
/// hint the name runs forward to its end, and the only separator that can take it is right
/// there: one look per hint instead of a scan for every `=` and `:` near it. Separators come in
/// text order, each once, and one inside a matched value is skipped.
fn assignments(text: &str, hints: &[(usize, usize)], c: &mut Cands) {
    let b = text.as_bytes();
    let name_byte = |x: u8| is_word(x) || matches!(x, b'-' | b'.');
    // Separators before `next` were looked at, or lie inside a matched value.
    let mut next = 0;
    for &(h, _) in hints {
        // The end of the name that holds the hint, if the name holds it whole (at most
        // `NAME_MAX` bytes back from its end).
        let limit = (h + NAME_MAX + 1).min(b.len());
        let Some(end) = (h..limit).find(|&j| !name_byte(b[j])) else {
            continue;
        };
        let mut sep = end;
        if matches!(b[sep], b'"' | b'\'') {
            sep += 1;
        }
        let spaces = b[sep.min(b.len())..]
            .iter()
            .take(5)
            .take_while(|&&x| x == b' ')
            .count();
        sep += spaces;
        if sep < next || spaces > 4 || !matches!(b.get(sep), Some(b'=' | b':')) {
            continue;
        }
        next = assignment_at(text, sep, hints, c);
    }
}

/// The assignment whose separator starts at `i` (a `=` or `:`); returns where to look next.
fn assignment_at(text: &str, i: usize, hints: &[(usize, usize)], c: &mut Cands) -> usize {
    let b = text.as_bytes();
    let x = b[i];
    // Separators: `=`, `:`, `:=`, `=>`; not `==`, not `://`.
    let sep_start = i;
    let mut sep_end = i + 1;
    if x == b':' && b.get(i + 1) == Some(&b'=') || x == b'=' && b.get(i + 1) == Some(&b'>') {
        sep_end += 1;
    }
    if (x == b'=' && b.get(sep_start + 1) == Some(&b'='))
        || (sep_start > 0 && matches!(b[sep_start - 1], b'=' | b'!' | b'<' | b'>'))
        || b[sep_end..].starts_with(b"//")
    {
        return sep_end;
    }
    let Some((ns, ne)) = name_before(b, sep_start) else {
        return sep_end;
    };
    // The name holds a hint, or it is not key-ish: a look at the spans instead of the bytes.
    let first = hints.partition_point(|&(s, _)| s < ns);
    if !hints[first..]
        .iter()
        .take_while(|&&(s, _)| s < ne)
        .any(|&(_, e)| e <= ne)
    {
        return sep_end;
    }
    let Some(kind) = name_kind(&text[ns..ne]) else {
        return sep_end;
    };
    let Some((vs, ve)) = value_after(b, sep_end, true) else {
        return sep_end;
    };
    let v = &b[vs..ve];
    // A code expression (`os.environ["X"]`, `getenv(...)`) is a reference, not a value.
    if matches!(b.get(ve), Some(b'(' | b'[')) {
        return sep_end;
    }
    if !value_ok(kind, v) {
        return sep_end;
    }
    let k = if kind == NameKind::Password {
        "password"
    } else if contains_ci(&b[ns..ne], "aws") {
        "aws_secret_access_key"
    } else {
        "generic_secret"
    };
    c.push(GENERIC, vs, ve, k);
    ve.max(sep_end)
}

/// The identifier just before a separator: `NAME=`, `"name": `, `name = `, `$env:NAME = `.
fn name_before(b: &[u8], sep: usize) -> Option<(usize, usize)> {
    let mut e = sep;
    while e > 0 && b[e - 1] == b' ' && sep - e < 4 {
        e -= 1;
    }
    if e > 0 && matches!(b[e - 1], b'"' | b'\'') {
        e -= 1;
    }
    let mut s = e;
    while s > 0 && (is_word(b[s - 1]) || matches!(b[s - 1], b'-' | b'.')) && e - s < NAME_MAX {
        s -= 1;
    }
    (e > s && b[s..e].iter().any(u8::is_ascii_alphabetic)).then_some((s, e))
}

/// Calls `f` with each word of an identifier: `snake_case`, `kebab-case`, `dotted.name`,
/// `camelCase`, `SCREAMING_CASE` (the bytes as written; compare them ignoring ASCII case).
fn name_words<'a>(name: &'a [u8], mut f: impl FnMut(&'a [u8])) {
    let mut start = None;
    let mut prev_lower = false;
    for (i, &ch) in name.iter().enumerate() {
        if !ch.is_ascii_alphanumeric() {
            if let Some(s) = start.take() {
                f(&name[s..i]);
            }
            prev_lower = false;
            continue;
        }
        if ch.is_ascii_uppercase()
            && prev_lower
            && let Some(s) = start.take()
        {
            f(&name[s..i]);
        }
        start.get_or_insert(i);
        prev_lower = ch.is_ascii_lowercase() || ch.is_ascii_digit();
    }
    if let Some(s) = start {
        f(&name[s..]);
    }
}

/// Substrings one of which every name [`name_kind`] accepts contains (case-insensitively):
/// each word of `NAME_PASS` and `NAME_SECRET`, each tail, and the `key` of every pair holds one.
const NAME_HINTS: &[&str] = &[
    "pwd", "pass", "secret", "token", "key", "cred", "auth", "bearer", "jwt", "pat",
];

/// What a name word is, as bits: in [`NAME_NOT`], [`NAME_PASS`], [`NAME_SECRET`],
/// [`NAME_PAIR_FIRST`].
const WORD_NOT: u8 = 1;
const WORD_PASS: u8 = 1 << 1;
const WORD_SECRET: u8 = 1 << 2;
const WORD_PAIR_FIRST: u8 = 1 << 3;

/// A name word of at most 16 bytes, lower-cased, as one number (its bytes in order, zero
/// padded): words compare as numbers. Longer words are in no list.
fn word_key(w: &[u8]) -> Option<u128> {
    let mut key = [0u8; 16];
    key.get_mut(..w.len())?
        .iter_mut()
        .zip(w)
        .for_each(|(k, &x)| *k = x.to_ascii_lowercase());
    Some(u128::from_be_bytes(key))
}

/// Every word of the name lists by its [`word_key`], sorted, with its bits: one binary search
/// of numbers per word.
static NAME_WORDS: LazyLock<Vec<(u128, u8)>> = LazyLock::new(|| {
    let mut words: BTreeMap<u128, u8> = BTreeMap::new();
    for (list, bit) in [
        (NAME_NOT, WORD_NOT),
        (NAME_PASS, WORD_PASS),
        (NAME_SECRET, WORD_SECRET),
        (NAME_PAIR_FIRST, WORD_PAIR_FIRST),
    ] {
        for w in list {
            let key = word_key(w.as_bytes()).expect("name list words have at most 16 bytes");
            *words.entry(key).or_default() |= bit;
        }
    }
    words.into_iter().collect()
});

/// The bits of a name word (any case; 0 for a word in no list).
fn word_bits(w: &[u8]) -> u8 {
    word_key(w)
        .and_then(|key| NAME_WORDS.binary_search_by_key(&key, |&(k, _)| k).ok())
        .map_or(0, |i| NAME_WORDS[i].1)
}

/// The kind of secret a name holding a hint names, if any.
fn name_kind(name: &str) -> Option<NameKind> {
    // Glued names count too: PGPASSWORD, MYSQL_ROOTPASSWORD, APITOKEN, csrftoken.
    let ends = |w: &[u8], tails: &[&str]| {
        tails
            .iter()
            .any(|t| w.len() > t.len() && w[w.len() - t.len()..].eq_ignore_ascii_case(t.as_bytes()))
    };
    let (mut not, mut pass, mut secret, mut pair) = (false, false, false, false);
    let mut prev = 0;
    name_words(name.as_bytes(), |w| {
        let bits = word_bits(w);
        not |= bits & WORD_NOT != 0;
        pass |= bits & WORD_PASS != 0 || ends(w, &["password", "passwd"]);
        secret |= bits & WORD_SECRET != 0 || ends(w, &["secret", "token", "apikey"]);
        pair |= w.eq_ignore_ascii_case(b"key") && prev & WORD_PAIR_FIRST != 0;
        prev = bits;
    });
    // Names that describe a secret without holding one: its length, lifetime, location, id,
    // or a public counterpart.
    if not {
        None
    } else if pass {
        Some(NameKind::Password)
    } else if secret || pair {
        Some(NameKind::Secret)
    } else {
        None
    }
}

fn value_ok(kind: NameKind, v: &[u8]) -> bool {
    // A conjunction of pure tests, cheapest first: the placeholder words last.
    if v.is_empty() || v.iter().any(|&x| x == b' ' || x == b'\t') {
        return false;
    }
    if v.windows(3).any(|w| w == b"://") || matches!(v[0], b'/' | b'.' | b'~' | b'\\') {
        return false;
    }
    // Plain words and identifiers (`true`, `null`, `REPLACE_ME`, `secrets.NPM_TOKEN`,
    // `dev-only-not-secret`) carry no digits; a number alone is a setting.
    let (l, u, d, _) = classes(v);
    if !d || !(l || u) {
        return false;
    }
    let ident = v.iter().all(|&x| is_word(x) || x == b'.')
        && v.split(|&x| x == b'.').all(|p| {
            p.first()
                .is_some_and(|f| f.is_ascii_alphabetic() || *f == b'_')
        })
        && v.contains(&b'.');
    if ident {
        return false;
    }
    let strong = match kind {
        NameKind::Password => v.len() >= 8 && distinct(v) >= 6,
        NameKind::Secret => v.len() >= 16 && distinct(v) >= 8 && entropy(v) >= 3.0,
    };
    strong && !is_placeholder(v)
}

/// A value that is a credential on its own: long, varied, high-entropy.
fn strong_token(v: &[u8]) -> bool {
    // Hex (with dashes or slashes) is a hash, a UUID or an id far more often than a secret.
    let hexish = || {
        v.iter()
            .all(|&x| x.is_ascii_hexdigit() || matches!(x, b'-' | b'/' | b'.'))
    };
    // A conjunction of pure tests, cheapest first.
    v.len() >= 20
        && !hexish()
        && v.iter()
            .all(|&x| x.is_ascii_alphanumeric() || b"+/=_.~-".contains(&x))
        && {
            let (l, u, d, _) = classes(v);
            (d && l && u) || (d && (l || u) && v.len() >= 32)
        }
        && distinct(v) >= 12
        && !is_placeholder(v)
        && entropy(v) >= 3.5
}

// ---------------------------------------------------------------------------------------------
// "the token is X", "secret: X" in prose and chat
// ---------------------------------------------------------------------------------------------

/// The word at `i` (a hint starts there), when it is one of [`NL_WORDS`] (or a plural) that
/// starts a word: the next few chunks are tried as its value. Every word of `NL_WORDS` starts
/// with a hint, so the hints are the only places to look.
fn natural_language_at(b: &[u8], i: usize, c: &mut Cands) {
    if !b[i].is_ascii_alphabetic() || !boundary_before(b, i) {
        return;
    }
    let mut e = i;
    while e < b.len() && b[e].is_ascii_alphabetic() {
        e += 1;
    }
    let word = &b[i..e];
    let mut t = word.len();
    while t > 0 && word[t - 1].eq_ignore_ascii_case(&b's') {
        t -= 1;
    }
    if !NL_WORDS
        .iter()
        .any(|w| word[..t].eq_ignore_ascii_case(w.as_bytes()))
    {
        return;
    }
    let pass_word = word.len() >= 4 && word[..4].eq_ignore_ascii_case(b"pass");
    // Look at the next few whitespace-separated chunks.
    let mut p = e;
    for _ in 0..4 {
        let before = p;
        while p < b.len() && matches!(b[p], b' ' | b':' | b'=' | b'\t') {
            p += 1;
        }
        if p == before {
            // Glued to the word (`key/…`, `token_ttl`): not a "key: value" phrase.
            break;
        }
        let s = p;
        while p < b.len() && !b[p].is_ascii_whitespace() {
            p += 1;
        }
        let mut ce = p;
        while ce > s && matches!(b[ce - 1], b'.' | b',' | b';' | b':' | b')' | b'"' | b'\'') {
            ce -= 1;
        }
        let mut cs = s;
        while cs < ce && matches!(b[cs], b'"' | b'\'' | b'(' | b'`') {
            cs += 1;
        }
        // Passwords in prose are shorter and carry symbols: "my password is rvWd9xi7!x".
        let pw = pass_word && {
            let v = &b[cs..ce];
            v.len() >= 8
                && class_count(v) >= 3
                && !is_placeholder(v)
                && v.iter().all(u8::is_ascii_graphic)
        };
        if ce > cs && (strong_token(&b[cs..ce]) || pw) {
            c.push(GENERIC, cs, ce, "generic_secret");
            break;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::BTreeMap as Map;

    /// The README's criterion: the secret is gone and no 8-char run of it survives, apart from
    /// the format's public prefix or PEM armour.
    fn redacted(out: &str, secret: &str) -> bool {
        if out.contains(secret) {
            return false;
        }
        let chars: Vec<char> = secret.chars().collect();
        let public = [
            "sk-ant-api03-",
            "sk-ant-admin01-",
            "github_pat_",
            "sk-proj-",
            "sk-svcacct-",
            "sk-admin-",
            "-----BEGIN",
            "-----END",
            "PRIVATE KEY",
            "hooks.slack.com/services",
            "AGE-SECRET-KEY-1",
            "pypi-AgEIcHlwaS5vcmc",
        ];
        chars.windows(8).all(|w| {
            let s: String = w.iter().collect();
            !out.contains(&s) || public.iter().any(|p| p.contains(&s))
        })
    }

    #[test]
    fn corpus_secrets_recall() {
        let rows = crate::test_support::jsonl("injection/secrets.jsonl");
        let mut per: Map<String, (usize, usize)> = Map::new();
        let mut missed = Vec::new();
        for r in &rows {
            let text = r["text"].as_str().unwrap();
            let kind = r["kind"].as_str().unwrap().to_owned();
            let mut secrets = vec![r["secret"].as_str().unwrap().to_owned()];
            if let Some(a) = r.get("also_secrets").and_then(|a| a.as_array()) {
                secrets.extend(a.iter().filter_map(|s| s.as_str()).map(str::to_owned));
            }
            let out = redact(text);
            let ok = secrets.iter().all(|s| redacted(&out, s));
            let e = per.entry(kind).or_default();
            e.1 += 1;
            if ok {
                e.0 += 1;
            } else {
                missed.push(format!("{}: {}", r["id"], out));
            }
            if redact(&out) != out {
                missed.push(format!("NOT IDEMPOTENT {}: {}", r["id"], redact(&out)));
            }
        }
        let hit: usize = per.values().map(|v| v.0).sum();
        let rate = hit as f64 / rows.len() as f64;
        println!("secrets recall {hit}/{} = {:.1}%", rows.len(), rate * 100.0);
        for (k, (h, n)) in &per {
            println!("  {k:28} {h}/{n}");
        }
        for m in &missed {
            println!("  MISSED {m}");
        }
        assert!(rate >= 0.95, "secret recall {rate}");
        assert!(!missed.iter().any(|m| m.starts_with("NOT IDEMPOTENT")));
    }

    #[test]
    fn corpus_secrets_benign_untouched() {
        let rows = crate::test_support::jsonl("injection/secrets_benign.jsonl");
        let mut per: Map<String, (usize, usize)> = Map::new();
        let mut changed = Vec::new();
        for r in &rows {
            let text = r["text"].as_str().unwrap();
            let out = redact(text);
            let e = per
                .entry(r["kind"].as_str().unwrap().to_owned())
                .or_default();
            e.1 += 1;
            if out == text {
                e.0 += 1;
            } else {
                changed.push(format!("{}: {}", r["id"], out));
            }
            assert_eq!(redact(&out), out, "not idempotent: {}", r["id"]);
        }
        let kept: usize = per.values().map(|v| v.0).sum();
        let rate = kept as f64 / rows.len() as f64;
        println!(
            "benign untouched {kept}/{} = {:.1}%",
            rows.len(),
            rate * 100.0
        );
        for (k, (h, n)) in &per {
            println!("  {k:16} {h}/{n}");
        }
        for m in &changed {
            println!("  CHANGED {m}");
        }
        assert!(rate >= 0.95, "benign untouched {rate}");
    }

    #[test]
    fn redact_keeps_surrounding_text() {
        assert_eq!(
            redact("export AWS_ACCESS_KEY_ID=AKIAB3QUZ7YSBNUHE3LP # prod"),
            "export AWS_ACCESS_KEY_ID=[REDACTED:aws_access_key_id] # prod"
        );
        assert_eq!(
            redact("db: postgres://app:zpvvb!QQqFc0mnSyt!@db.internal:5432/app ok"),
            "db: postgres://app:[REDACTED:url_password]@db.internal:5432/app ok"
        );
        assert_eq!(
            redact("Authorization: Bearer zqPFNbdQVc33npy0JuwHhzg1MyDg_z~aSyeCr8Z_y7DxcNqF\nnext"),
            "Authorization: Bearer [REDACTED:bearer_token]\nnext"
        );
        let pem = "key:\n-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIPZ6ckCxsa65xBd4z1w3Jovfm4qJo\n-----END EC PRIVATE KEY-----\nafter";
        assert_eq!(redact(pem), "key:\n[REDACTED:private_key]\nafter");
        assert_eq!(redact("nothing to see"), "nothing to see");
    }

    #[test]
    fn placeholders_and_hashes_are_left_alone() {
        for t in [
            "AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE",
            "token: ghp_XXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXXX",
            "commit ba82f972ace078fa73accf4b8c9ca268c922d6ff",
            "request_id=0f087b92-026b-418f-a39d-f3596ce324e0",
            "postgres://user:password@localhost:5432/dbname",
            "password_min_length = 12",
            "api_key = os.environ[\"ANTHROPIC_API_KEY\"]",
            "[REDACTED:github_pat] and ⟦REDACTED:x:1234abcd⟧",
        ] {
            assert!(find(t).is_empty(), "{t}: {:?}", find(t));
        }
    }

    #[test]
    fn no_panic_on_any_char_boundary() {
        let tricky = [
            "é=ghp_szXw9z2hOSwZHL0a4hbJ8eu6IvZm1QUsNVhz😀://a:b@c -----BEGIN PRIVATE KEY-----\n",
            "::==:=>://@@ Bearer  Basic ==== eyJ.eyJ. sk- xoxb- AKIA token is 🎉 -p",
            "\u{0}\u{1b}[0m password=\"unterminated \u{feff}💥 -----BEGIN X PRIVATE KEY-----",
        ];
        for t in tricky {
            for (i, _) in t.char_indices() {
                let _ = redact(&t[i..]);
                let _ = redact(&t[..i]);
            }
            for m in find(t) {
                assert!(t.is_char_boundary(m.range.start) && t.is_char_boundary(m.range.end));
            }
        }
    }

    #[test]
    fn a_megabyte_of_key_like_prose_goes_through() {
        let para = "The quick brown fox jumps over the lazy dog: key = value, see https://example.org/a?b=c. \
                    Remember that tokens: 42 and password: none. user@host ~/.ssh eyJ sk-x.\n";
        let text = para.repeat(1_000_000 / para.len() + 1);
        let (took, n) = crate::test_support::best_of_five(|| find(&text).len());
        println!("1 MB scanned in {took:?} ({n} matches)");
        // Speed is measured by benchmarks, not asserted here; this checks 1 MB of key-like
        // prose goes through without a false match.
        assert_eq!(n, 0);
    }
}

#[cfg(test)]
mod differential {
    //! The single-pass scan against the whole-text walk of every rule it replaced
    //! ([`super::reference`]): the same findings, kinds and ranges, on a large varied corpus.

    use super::*;
    use proptest::prelude::*;

    /// Fragments that start, end or imitate every rule's anchor, mixed with code and prose.
    const FRAGMENTS: &[&str] = &[
        " ",
        "\n",
        "\t",
        "=",
        ":",
        ": ",
        " = ",
        ":=",
        "=>",
        "==",
        "\"",
        "'",
        "`",
        "(",
        ")",
        "[",
        "-",
        "--",
        ".",
        ",",
        "/",
        "@",
        "://",
        "https://",
        "postgres://",
        "-----BEGIN ",
        "-----END ",
        "RSA PRIVATE KEY-----",
        "PRIVATE KEY",
        "-----",
        "eyJ",
        "eyJhbGciOiJIUzI1NiJ9",
        "Bearer ",
        "bearer",
        "Basic ",
        "basic ",
        "token ",
        "Token",
        "TOKEN",
        "Authorization: ",
        "authorization:",
        "key",
        "KEY",
        "api_key",
        "apiKey",
        "secret",
        "SECRET_KEY",
        "password",
        "Password",
        "passwd",
        "pwd",
        "pass",
        "passphrase",
        "creds",
        "credentials",
        "auth",
        "jwt",
        "pat",
        "path",
        "file_path",
        "hook",
        "hooks.slack.com/services/",
        "https://hooks.slack.com/services/",
        " -p",
        " -pS3cr3tPw9",
        " -u ",
        " --user ",
        "mysql",
        "--password",
        "--password=",
        "--token ",
        "--api-key",
        "sshpass -p ",
        "redis-cli -a ",
        "--requirepass",
        "AKIA",
        "ASIA",
        "ghp_",
        "github_pat_",
        "xoxb-",
        "sk-",
        "sk-ant-",
        "sk-proj-",
        "SK",
        "sk",
        "sk_live_",
        "AIza",
        "ya29.",
        "glpat-",
        "npm_",
        "hf_",
        "SG.",
        "hvs.",
        "dapi",
        "pypi-",
        "r8_",
        "LTAI",
        "x",
        "é",
        "😀",
        "→",
        "\u{1b}[31m",
        "os.environ[",
        "getenv(",
        "${",
        "<your-key>",
        "xxxx",
        "example",
        "s",
        "S",
        "ss",
        "is ",
        "the ",
        "my ",
        "let ",
        "fn ",
        "user:",
        "admin:",
        "db.internal",
        "0",
        "1234",
        "ab",
        "Zq",
        "9f",
    ];

    /// Random values: hex, mixed alphanumerics, base64, with symbols, of varied lengths.
    fn value(seed: &mut u64, out: &mut String) {
        const ALPHABETS: &[&[u8]] = &[
            b"0123456789abcdef",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=_-.~",
            b"ABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789",
            b"abcdefghijklmnopqrstuvwxyz0123456789!@#%^*",
        ];
        let a = ALPHABETS[next(seed) % ALPHABETS.len()];
        let n = [3, 8, 12, 16, 20, 24, 32, 36, 40, 48, 64, 90][next(seed) % 12];
        for _ in 0..n {
            out.push(char::from(a[next(seed) % a.len()]));
        }
    }

    fn next(seed: &mut u64) -> usize {
        *seed = seed
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (*seed >> 33) as usize
    }

    fn same(text: &str) {
        assert_eq!(find(text), reference::find(text), "{text:?}");
    }

    #[test]
    fn slices_walked_side_by_side_find_every_anchor() {
        let patterns: Vec<String> = {
            let mut p: Vec<String> = PREFIXES.iter().map(|x| x.p.to_owned()).collect();
            p.extend(
                CLI_FLAGS
                    .iter()
                    .chain(&LINE_PATTERNS)
                    .map(|x| (*x).to_owned()),
            );
            p.extend(NAME_HINTS.iter().map(|x| (*x).to_owned()));
            p.extend(["-----BEGIN ", "eyJ", "hook", "://"].map(str::to_owned));
            p
        };
        let n = 320;
        for p in &patterns {
            // At every place in the text, so across every slice boundary (the slices start
            // `longest - 1` bytes early) in every way a pattern can straddle it.
            for at in 0..=n - p.len() {
                let mut text = "x ".repeat(n / 2);
                text.replace_range(at..at + p.len(), p);
                let (mut whole, mut side_by_side) = (Vec::new(), Vec::new());
                anchors_in(text.as_bytes(), 1, &mut whole);
                anchors_in(text.as_bytes(), STREAMS, &mut side_by_side);
                assert_eq!(side_by_side, whole, "{p:?} at {at}");
                assert!(whole.iter().any(|h| h.0 == at && h.2 == p.len()), "{p:?}");
            }
        }
    }

    #[test]
    fn the_corpora_give_the_same_findings() {
        let mut all = String::new();
        for file in ["injection/secrets.jsonl", "injection/secrets_benign.jsonl"] {
            for r in crate::test_support::jsonl(file) {
                let text = r["text"].as_str().expect("text");
                same(text);
                same(&redact(text));
                all.push_str(text);
                all.push('\n');
            }
        }
        // All rows as one text, and every window of it that starts and ends on a char boundary
        // at a stride, so rows meet and anchors are cut at both ends.
        same(&all);
        let cuts: Vec<usize> = (0..=all.len())
            .filter(|&i| all.is_char_boundary(i))
            .collect();
        for w in cuts.iter().step_by(97) {
            for len in [40, 300, 1100] {
                let end = cuts
                    .iter()
                    .find(|&&e| e >= w + len)
                    .copied()
                    .unwrap_or(all.len());
                same(&all[*w..end]);
            }
        }
    }

    #[test]
    fn generated_texts_give_the_same_findings() {
        let mut seed = 7u64;
        let mut findings = 0;
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next(&mut seed) % 40 {
                if next(&mut seed).is_multiple_of(4) {
                    value(&mut seed, &mut text);
                } else {
                    text.push_str(FRAGMENTS[next(&mut seed) % FRAGMENTS.len()]);
                }
            }
            let want = reference::find(&text);
            findings += want.len();
            assert_eq!(find(&text), want, "{text:?}");
        }
        // The generator reaches the rules: plenty of texts hold a finding.
        assert!(findings > 2_000, "{findings}");
    }

    #[test]
    fn clean_before_a_cut_means_no_finding_starts_before_it() {
        let mut seed = 11u64;
        let (mut clean_with_findings_after, mut cases) = (0, 0);
        for _ in 0..20_000 {
            let mut text = String::new();
            for _ in 0..next(&mut seed) % 40 {
                if next(&mut seed).is_multiple_of(4) {
                    value(&mut seed, &mut text);
                } else {
                    text.push_str(FRAGMENTS[next(&mut seed) % FRAGMENTS.len()]);
                }
            }
            let found = find(&text);
            for _ in 0..4 {
                let mut end = next(&mut seed) % (text.len() + 1);
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                let before = found.iter().any(|m| m.range.start < end);
                let clean = clean_before(&text, end);
                assert!(!(clean && before), "{end} {text:?}");
                cases += 1;
                clean_with_findings_after += usize::from(clean && !found.is_empty());
            }
        }
        // The walk stops early for texts whose secrets all lie past the cut.
        assert!(
            clean_with_findings_after > 500,
            "{clean_with_findings_after} of {cases}"
        );
        // A webhook URL is checked whole: its "hook" may lie far past the cut.
        let teams = format!(
            "see https://{}.webhook.office.com/webhookb2/{}@{}/IncomingWebhook/{}/{}",
            "contoso".repeat(4),
            "e4b7c1d2-5a6f-4e3b-9c8d-7f1a2b3c4d5e",
            "9a8b7c6d-1e2f-4a3b-8c5d-6e7f8a9b0c1d",
            "3f9e2d8c7b6a5f4e3d2c1b0a9f8e7d6c",
            "b2c4d6e8-f0a1-4b3c-9d5e-7f8091a2b3c4"
        );
        assert!(find(&teams).iter().any(|m| m.range.start < 10), "{teams}");
        assert!(!clean_before(&teams, 10));
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(2_000))]

        #[test]
        fn any_mix_of_fragments_gives_the_same_findings(
            parts in proptest::collection::vec(
                prop_oneof![
                    (0..FRAGMENTS.len()).prop_map(|i| FRAGMENTS[i].to_owned()),
                    "[A-Za-z0-9+/=_.~-]{1,70}",
                    "\\PC{0,6}",
                ],
                0..50,
            )
        ) {
            let text = parts.concat();
            prop_assert_eq!(find(&text), reference::find(&text));
        }
    }
}

#[cfg(test)]
mod extra_corpus {
    use super::*;

    /// Dev aid: `LUCID_EXTRA=/path/x.jsonl cargo test --lib secrets::extra_corpus -- --ignored`
    /// prints the redaction of extra rows `{"text", "label": "pos"|"neg"}` that look wrong.
    #[test]
    #[ignore = "needs LUCID_EXTRA"]
    fn extra() {
        let Ok(path) = std::env::var("LUCID_EXTRA") else {
            return;
        };
        let text = std::fs::read_to_string(path).unwrap();
        for l in text.lines() {
            let r: serde_json::Value = serde_json::from_str(l).unwrap();
            let t = r["text"].as_str().unwrap();
            let out = redact(t);
            let pos = r["label"] == "pos";
            if pos == (out == t) {
                println!("{} {t:?}\n   -> {out:?}", if pos { "MISS" } else { "FP  " });
            } else if pos {
                println!("ok   {out:?}");
            }
        }
    }
}
