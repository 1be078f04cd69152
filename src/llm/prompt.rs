//! What the model sees: a [`DreamInput`] becomes one consolidation request when the store and
//! the condensed sessions fit the input budget, otherwise a map-reduce plan (one extraction
//! request per session or session part, then [`consolidate_with_signals`]). Pure: no IO, no
//! clock; the same input gives the same bytes.

mod envelope;
mod schema;
mod signals;
mod text;

#[cfg(test)]
mod tests;

pub use schema::{
    CATEGORIES, OPERATIONS, OPS, SIGNAL_KINDS, SIGNALS, operations_schema, signals_schema,
};
pub use signals::{Signal, SignalKind, Signals, parse_signals};

use std::collections::HashMap;
use std::fmt::Write as _;

use super::{EngineConfig, LlmError, LlmRequest};
use crate::dream::{DreamInput, Session};
use envelope::Condense;

/// How requests are built.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PromptOptions {
    /// Estimated input tokens one request may carry (system + user + schema).
    pub input_budget_tokens: u64,
    /// Output tokens per request.
    pub max_tokens: u32,
    /// Tool outputs are cut to this many chars (tool errors to twice as many).
    pub tool_output_chars: usize,
    /// Tool inputs are cut to this many chars.
    pub tool_input_chars: usize,
}

impl PromptOptions {
    /// Default cut of tool outputs, in chars.
    pub const TOOL_OUTPUT_CHARS: usize = 800;
    /// Default cut of tool inputs, in chars.
    pub const TOOL_INPUT_CHARS: usize = 400;

    /// The budget and output size of an engine's settings, with the default cuts.
    pub fn from_config(c: &EngineConfig) -> Self {
        Self {
            input_budget_tokens: c.input_budget_tokens,
            max_tokens: c.max_tokens,
            tool_output_chars: Self::TOOL_OUTPUT_CHARS,
            tool_input_chars: Self::TOOL_INPUT_CHARS,
        }
    }

    fn condense(&self) -> Condense {
        Condense {
            tool_output_chars: self.tool_output_chars,
            tool_input_chars: self.tool_input_chars,
        }
    }
}

/// A cheap, slightly pessimistic token estimate: 2 tokens per 7 ASCII bytes (3.5 bytes a token,
/// where English prose runs about 4) plus one token per non-ASCII char (CJK, emoji and accented
/// letters rarely share a token). One pass over the bytes, no tokenizer.
pub fn estimate_tokens(text: &str) -> u64 {
    Counts::of(text).tokens()
}

/// What [`estimate_tokens`] counts: ASCII bytes and lead bytes of multi-byte chars. The counts
/// of a concatenation are the sums of its pieces' counts, so each event is counted once, right
/// after it is rendered, and a request's estimate is summed from its events'.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Counts {
    ascii: u64,
    wide: u64,
}

impl Counts {
    fn of(text: &str) -> Self {
        let mut c = Self::default();
        // Counted in `u8` lanes, 255 bytes at a time, so the loop vectorises well.
        for chunk in text.as_bytes().chunks(255) {
            let (mut ascii, mut wide) = (0u8, 0u8);
            for &b in chunk {
                ascii = ascii.wrapping_add(u8::from(b.is_ascii()));
                // Lead bytes of multi-byte chars: 0b11xx_xxxx.
                wide = wide.wrapping_add(u8::from(b >= 0xc0));
            }
            c.ascii += u64::from(ascii);
            c.wide += u64::from(wide);
        }
        c
    }

    fn tokens(self) -> u64 {
        (self.ascii * 2).div_ceil(7) + self.wide
    }
}

impl std::ops::Add for Counts {
    type Output = Self;

    fn add(self, o: Self) -> Self {
        Self {
            ascii: self.ascii + o.ascii,
            wide: self.wide + o.wide,
        }
    }
}

impl std::iter::Sum for Counts {
    fn sum<I: Iterator<Item = Self>>(iter: I) -> Self {
        iter.fold(Self::default(), |a, b| a + b)
    }
}

/// What a dream sends.
#[derive(Debug, Clone, PartialEq)]
pub enum Plan {
    /// Everything fits one request (purpose `consolidate`).
    Single(LlmRequest),
    /// Over the budget: one extraction request per session (or session part); their answers go
    /// through [`parse_signals`] into [`consolidate_with_signals`].
    MapReduce { extract: Vec<LlmRequest> },
}

/// One extraction request's user text, built in place: `<sessions>\n`, the session's opening
/// tag (`head` bytes in all), the events (`head..end`), then, once finished, the closing tags.
struct Part {
    user: String,
    head: usize,
    end: usize,
    counts: Counts,
    /// The sum of the events' own token estimates (what the split compares with the room).
    used: u64,
}

/// The closing tags of an extraction request's user text.
const PART_TAIL: &str = "</session>\n</sessions>\n";

impl Part {
    fn new(s: &Session, part: Option<(usize, usize)>, capacity: usize) -> Self {
        let mut user = String::with_capacity(capacity);
        user.push_str("<sessions>\n");
        envelope::session_open(&mut user, s, part);
        let head = user.len();
        Self {
            user,
            head,
            end: head,
            counts: Counts::default(),
            used: 0,
        }
    }

    fn body(&self) -> &str {
        &self.user[self.head..self.end]
    }

    /// Gives the part the opening tag of `part` (the same bytes are overwritten in place).
    fn retag(&mut self, s: &Session, part: Option<(usize, usize)>) {
        let mut open = String::with_capacity(self.head + 32);
        open.push_str("<sessions>\n");
        envelope::session_open(&mut open, s, part);
        if open.len() != self.head || self.user[..self.head] != open {
            self.user.replace_range(..self.head, &open);
            self.end = self.end + open.len() - self.head;
            self.head = open.len();
        }
    }
}

/// A session's condensed events, rendered once, straight into the user text of its extraction
/// requests: cut between events into parts of at most `room` estimated tokens (one part when the
/// whole session fits), each with its token counts.
struct Condensed<'a> {
    session: &'a Session,
    /// At least one; the events of all parts back to back are the session's condensed events.
    parts: Vec<Part>,
    /// Events kept (not skipped).
    events: usize,
    /// The estimate of the first event over the room on its own.
    too_big: Option<u64>,
}

impl Condensed<'_> {
    fn counts(&self) -> Counts {
        self.parts.iter().map(|p| p.counts).sum()
    }

    /// The condensed events, back to back.
    #[cfg(test)]
    fn events(&self) -> String {
        self.parts.iter().map(Part::body).collect()
    }
}

/// Reads the first byte of each string of every event. They are separate heap blocks, far
/// apart, so each is a cache miss; this loop of independent reads lets the misses overlap,
/// where the condensing loop, busy with one event at a time, would wait for them one by one.
fn touch_events(s: &Session) {
    let first = |t: &str| t.as_bytes().first().copied().unwrap_or(0);
    let all = s.events.iter().fold(0u8, |acc, e| {
        acc ^ first(&e.id)
            ^ first(&e.kind)
            ^ e.role.as_deref().map_or(0, first)
            ^ first(&e.thread)
            ^ first(&e.text)
    });
    std::hint::black_box(all);
}

fn condense(s: &Session, c: Condense, room: u64) -> Condensed<'_> {
    // Room for the element tags and a cut tool output per event, so the buffer rarely grows.
    let size: usize = s
        .events
        .iter()
        .map(|e| e.text.len().min(c.tool_output_chars.saturating_mul(2)) + 96)
        .sum();
    // A part of `room` tokens holds at most 4 bytes a token; guess the parts from the size so
    // the opening tags are usually right the first time.
    let room_bytes = usize::try_from(room.saturating_mul(4)).unwrap_or(usize::MAX);
    let capacity = size.min(room_bytes).saturating_add(512);
    let guess = if size <= room_bytes / 2 {
        1
    } else {
        (size as u64 * 2 / 7 / room.max(1) + 1) as usize
    };
    let tag = |i: usize, n: usize| (n > 1).then_some((i, n.max(i)));
    touch_events(s);
    let mut parts = vec![Part::new(s, tag(1, guess), capacity)];
    let (mut events, mut too_big) = (0, None);
    for e in &s.events {
        let cur = parts.last_mut().expect("at least one part");
        let start = cur.user.len();
        if !envelope::push_event(&mut cur.user, e, c) {
            continue;
        }
        events += 1;
        let counts = Counts::of(&cur.user[start..]);
        let t = counts.tokens();
        if t > room && too_big.is_none() {
            too_big = Some(t);
        }
        if cur.used > 0 && cur.used + t > room {
            // The event opens the next part.
            let i = parts.len() + 1;
            let mut next = Part::new(s, tag(i, guess.max(i)), capacity);
            let cur = parts.last_mut().expect("at least one part");
            next.user.push_str(&cur.user[start..]);
            cur.user.truncate(start);
            parts.push(next);
        }
        let cur = parts.last_mut().expect("at least one part");
        cur.end = cur.user.len();
        cur.used += t;
        cur.counts = cur.counts + counts;
    }
    let all: Counts = parts.iter().map(|p| p.counts).sum();
    if parts.len() > 1 && all.tokens() <= room {
        // Over the room only by the rounding of each event's estimate: the whole session fits.
        let mut rest = parts.split_off(1);
        let first = &mut parts[0];
        for p in &mut rest {
            first.user.push_str(p.body());
            first.counts = first.counts + p.counts;
        }
        first.end = first.user.len();
    }
    let n = parts.len();
    for (i, p) in parts.iter_mut().enumerate() {
        p.retag(s, tag(i + 1, n));
        p.user.push_str(PART_TAIL);
    }
    Condensed {
        session: s,
        parts,
        events,
        too_big,
    }
}

/// Inputs of at least this many events are condensed, and their requests built, on two threads.
const PARALLEL_EVENTS: usize = 20_000;

/// `f` of every item, in order; on two threads when `parallel`, each taking the next item not
/// yet taken, so they finish together (the result does not depend on the threads).
fn map_parallel<'a, T: Sync, R: Send>(
    items: &'a [T],
    parallel: bool,
    f: impl Fn(&'a T) -> R + Sync,
) -> Vec<R> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    if !parallel || threads < 2 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let next = AtomicUsize::new(0);
    let work = || {
        let mut done = Vec::new();
        loop {
            let i = next.fetch_add(1, Ordering::Relaxed);
            let Some(item) = items.get(i) else {
                return done;
            };
            done.push((i, f(item)));
        }
    };
    let mut all = std::thread::scope(|scope| {
        let helper = scope.spawn(work);
        let mut all = work();
        // A panic in the helper is a bug in this module: it goes on here, as without threads.
        all.extend(
            helper
                .join()
                .unwrap_or_else(|e| std::panic::resume_unwind(e)),
        );
        all
    });
    all.sort_unstable_by_key(|d| d.0);
    all.into_iter().map(|d| d.1).collect()
}

/// Condenses every session, on two threads for inputs of at least `min_events` events (the work
/// is per session; the result does not depend on the threads).
fn condense_all_with(
    input: &DreamInput,
    c: Condense,
    room: u64,
    min_events: usize,
) -> Vec<Condensed<'_>> {
    let events: usize = input.sessions.iter().map(|s| s.events.len()).sum();
    map_parallel(&input.sessions, events >= min_events, |s| {
        condense(s, c, room)
    })
}

fn store_block(input: &DreamInput) -> String {
    let size: usize = input.files.iter().map(|f| f.content.len() + 96).sum();
    let mut out = String::with_capacity(size + 64);
    out.push_str("<memory_store>\n");
    for f in &input.files {
        envelope::push_file(&mut out, f);
    }
    out.push_str("</memory_store>\n");
    out
}

/// A request; `tokens` are the estimated tokens of `system` and `user` when the caller has
/// counted them already.
fn request(
    purpose: String,
    system: String,
    user: String,
    (schema_name, schema, schema_tokens): (&str, &serde_json::Value, u64),
    max_tokens: u32,
    tokens: Option<u64>,
) -> LlmRequest {
    let estimated_input_tokens =
        tokens.unwrap_or_else(|| estimate_tokens(&system) + estimate_tokens(&user)) + schema_tokens;
    LlmRequest {
        purpose,
        system,
        user,
        schema_name: schema_name.to_owned(),
        schema: schema.clone(),
        max_tokens,
        estimated_input_tokens,
    }
}

/// Tokens of wrapping around a session's events (tags, ids) or a request's user turn.
const WRAP_TOKENS: u64 = 200;

/// The store, system prompt and schema of the consolidation request, checked against the budget.
fn consolidation_base(
    input: &DreamInput,
    opts: &PromptOptions,
    signals: Option<usize>,
) -> Result<(String, String, u64), LlmError> {
    let system = text::consolidate_system(input, signals);
    let store = store_block(input);
    let schema = operations_schema();
    let fixed = estimate_tokens(&system) + tokens_of(&schema);
    let store_tokens = estimate_tokens(&store);
    if fixed + store_tokens + WRAP_TOKENS > opts.input_budget_tokens {
        return Err(LlmError::Config(format!(
            "the memory store alone is about {store_tokens} input tokens ({} files, plus {fixed} \
             for the instructions and schema), over the input budget of {} tokens: raise \
             input_budget_tokens or make the store smaller",
            input.files.len(),
            opts.input_budget_tokens
        )));
    }
    Ok((system, store, fixed + store_tokens))
}

fn tokens_of(schema: &serde_json::Value) -> u64 {
    estimate_tokens(&schema.to_string())
}

/// The requests for one dream: a single consolidation when the store and the condensed sessions
/// fit `opts.input_budget_tokens`, else one extraction per session (`extract:<id>`), split into
/// parts (`extract:<id>#<n>`, from 1) when one session alone is over the budget.
///
/// Sessions are condensed straight into the user text of their extraction requests (cut into
/// parts as they are rendered); the single request copies their events from there.
pub fn plan(input: &DreamInput, opts: &PromptOptions) -> Result<Plan, LlmError> {
    let (system, store, base_tokens) = consolidation_base(input, opts, None)?;
    let extract_system = text::extract_system(input);
    let system_tokens = estimate_tokens(&extract_system);
    let extract_schema = signals_schema();
    let schema_tokens = tokens_of(&extract_schema);
    let fixed = system_tokens + schema_tokens + WRAP_TOKENS;
    let room = opts.input_budget_tokens.checked_sub(fixed);
    let condensed = condense_all_with(
        input,
        opts.condense(),
        room.unwrap_or(u64::MAX),
        PARALLEL_EVENTS,
    );
    let session_tokens: u64 = condensed.iter().map(|c| c.counts().tokens() + 40).sum();
    if base_tokens + session_tokens + WRAP_TOKENS <= opts.input_budget_tokens {
        let mut user = store;
        user.reserve(
            condensed
                .iter()
                .flat_map(|c| &c.parts)
                .map(|p| p.end - p.head + 160)
                .sum(),
        );
        user.push_str("<sessions>\n");
        for c in &condensed {
            envelope::session_open(&mut user, c.session, None);
            c.parts.iter().for_each(|p| user.push_str(p.body()));
            user.push_str("</session>\n");
        }
        user.push_str("</sessions>\n");
        let schema = operations_schema();
        let schema_ref = (OPERATIONS, &schema, tokens_of(&schema));
        let req = request(
            "consolidate".into(),
            system,
            user,
            schema_ref,
            opts.max_tokens,
            None,
        );
        return Ok(Plan::Single(req));
    }
    let Some(room) = room else {
        return Err(LlmError::Config(format!(
            "an input budget of {} tokens leaves no room for session text (the extraction \
             instructions and schema take about {fixed})",
            opts.input_budget_tokens
        )));
    };
    let shared = Extraction {
        system: &extract_system,
        system_tokens,
        schema: &extract_schema,
        schema_tokens,
        max_tokens: opts.max_tokens,
    };
    let mut extract = Vec::with_capacity(condensed.iter().map(|c| c.parts.len()).sum());
    for c in condensed {
        extraction_requests(c, room, &shared, &mut extract)?;
    }
    Ok(Plan::MapReduce { extract })
}

/// What every extraction request shares.
struct Extraction<'a> {
    system: &'a str,
    system_tokens: u64,
    schema: &'a serde_json::Value,
    schema_tokens: u64,
    max_tokens: u32,
}

/// The extraction requests of one session: one, or one per part when it is over `room`. The
/// parts' user texts move into the requests.
fn extraction_requests(
    c: Condensed<'_>,
    room: u64,
    x: &Extraction<'_>,
    out: &mut Vec<LlmRequest>,
) -> Result<(), LlmError> {
    if c.events == 0 {
        return Ok(());
    }
    if let Some(t) = c.too_big {
        return Err(LlmError::Config(format!(
            "one event of session {} is about {t} tokens, over the {room} tokens an \
             extraction request has room for: raise input_budget_tokens",
            c.session.id
        )));
    }
    let n = c.parts.len();
    for (i, p) in c.parts.into_iter().enumerate() {
        let purpose = if n == 1 {
            format!("extract:{}", c.session.id)
        } else {
            format!("extract:{}#{}", c.session.id, i + 1)
        };
        let wrap = Counts::of(&p.user[..p.head]) + Counts::of(&p.user[p.end..]);
        let tokens = x.system_tokens + (wrap + p.counts).tokens();
        out.push(request(
            purpose,
            x.system.to_owned(),
            p.user,
            (SIGNALS, x.schema, x.schema_tokens),
            x.max_tokens,
            Some(tokens),
        ));
    }
    Ok(())
}

/// The reduce step: the store and every session's signals in one consolidation request. When the
/// signals do not fit the budget, those of the oldest sessions are left out (the request says
/// how many).
pub fn consolidate_with_signals(
    input: &DreamInput,
    signals: &[Signals],
    opts: &PromptOptions,
) -> Result<LlmRequest, LlmError> {
    let (_, store, base_tokens) = consolidation_base(input, opts, Some(0))?;
    let mut by_session: HashMap<&str, Vec<&Signal>> = HashMap::new();
    for s in signals.iter().flat_map(|s| &s.signals) {
        by_session.entry(s.session_id.as_str()).or_default().push(s);
    }
    // One block per session, oldest first, each with its rendered signals.
    let mut blocks: Vec<(String, Vec<String>)> = Vec::new();
    for s in &input.sessions {
        let Some(list) = by_session.remove(s.id.as_str()) else {
            continue;
        };
        let mut open = String::new();
        envelope::session_open(&mut open, s, None);
        let rendered = list
            .into_iter()
            .map(|sig| {
                let mut o = String::new();
                signals::push_signal(&mut o, sig);
                o
            })
            .collect();
        blocks.push((open, rendered));
    }
    let mut room = opts
        .input_budget_tokens
        .saturating_sub(base_tokens + WRAP_TOKENS);
    let mut kept: Vec<(usize, usize)> = Vec::new(); // (block, first kept signal)
    let mut omitted = 0usize;
    for (b, (open, sigs)) in blocks.iter().enumerate().rev() {
        let open_tokens = estimate_tokens(open) + 4;
        let mut first = sigs.len();
        for (i, sig) in sigs.iter().enumerate().rev() {
            let t = estimate_tokens(sig) + if first == sigs.len() { open_tokens } else { 0 };
            if t > room {
                break;
            }
            room -= t;
            first = i;
        }
        omitted += first;
        if first < sigs.len() {
            kept.push((b, first));
        }
        if first > 0 {
            omitted += blocks[..b].iter().map(|(_, s)| s.len()).sum::<usize>();
            break;
        }
    }
    kept.reverse();
    let mut user = store;
    if omitted == 0 {
        user.push_str("<signals>\n");
    } else {
        let _ = writeln!(user, "<signals omitted=\"{omitted}\">");
    }
    for (b, first) in kept {
        let (open, sigs) = &blocks[b];
        user.push_str(open);
        sigs[first..].iter().for_each(|s| user.push_str(s));
        user.push_str("</session>\n");
    }
    user.push_str("</signals>\n");
    let system = text::consolidate_system(input, Some(omitted));
    let schema = operations_schema();
    let schema_ref = (OPERATIONS, &schema, tokens_of(&schema));
    Ok(request(
        "consolidate".into(),
        system,
        user,
        schema_ref,
        opts.max_tokens,
        None,
    ))
}
