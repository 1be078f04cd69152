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

impl From<&EngineConfig> for PromptOptions {
    fn from(c: &EngineConfig) -> Self {
        Self::from_config(c)
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

/// A session's condensed events, rendered once: the event elements back to back, where each
/// ends and its token counts, so a session too big for one request can be cut between events.
struct Condensed<'a> {
    session: &'a Session,
    events: String,
    ends: Vec<usize>,
    counts: Vec<Counts>,
}

impl Condensed<'_> {
    fn counts(&self) -> Counts {
        self.counts.iter().copied().sum()
    }
}

fn condense(s: &Session, c: Condense) -> Condensed<'_> {
    // Room for the element tags and a cut tool output per event, so the buffer rarely grows.
    let size: usize = s
        .events
        .iter()
        .map(|e| e.text.len().min(c.tool_output_chars.saturating_mul(2)) + 96)
        .sum();
    let mut events = String::with_capacity(size);
    let mut ends = Vec::with_capacity(s.events.len());
    let mut counts = Vec::with_capacity(s.events.len());
    for e in &s.events {
        let start = events.len();
        if envelope::push_event(&mut events, e, c) {
            ends.push(events.len());
            counts.push(Counts::of(&events[start..]));
        }
    }
    Condensed {
        session: s,
        events,
        ends,
        counts,
    }
}

/// Inputs of at least this many events are condensed, and their requests built, on two threads.
const PARALLEL_EVENTS: usize = 20_000;

/// `f` of every item, in order; on two threads (half the items each) when `parallel` (the
/// result does not depend on the threads).
fn map_halves<'a, T: Sync, R: Send>(
    items: &'a [T],
    parallel: bool,
    f: impl Fn(&'a T) -> R + Sync,
) -> Vec<R> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(2));
    if !parallel || threads < 2 || items.len() < 2 {
        return items.iter().map(&f).collect();
    }
    let (a, b) = items.split_at(items.len() / 2);
    std::thread::scope(|scope| {
        let second = scope.spawn(|| b.iter().map(&f).collect::<Vec<_>>());
        let mut out: Vec<R> = a.iter().map(&f).collect();
        // A panic in the helper thread is a bug in this module; repeat the work here then.
        out.extend(second.join().unwrap_or_else(|_| b.iter().map(&f).collect()));
        out
    })
}

/// Condenses every session, on two threads for inputs of at least `min_events` events (the work
/// is per session; the result does not depend on the threads).
fn condense_all_with(input: &DreamInput, c: Condense, min_events: usize) -> Vec<Condensed<'_>> {
    let events: usize = input.sessions.iter().map(|s| s.events.len()).sum();
    map_halves(&input.sessions, events >= min_events, |s| condense(s, c))
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

fn session_element(out: &mut String, c: &Condensed<'_>, part: Option<(usize, usize)>, body: &str) {
    envelope::session_open(out, c.session, part);
    out.push_str(body);
    out.push_str("</session>\n");
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
pub fn plan(input: &DreamInput, opts: &PromptOptions) -> Result<Plan, LlmError> {
    let (system, store, base_tokens) = consolidation_base(input, opts, None)?;
    let events: usize = input.sessions.iter().map(|s| s.events.len()).sum();
    let condensed = condense_all_with(input, opts.condense(), PARALLEL_EVENTS);
    let session_tokens: u64 = condensed.iter().map(|c| c.counts().tokens() + 40).sum();
    let schema = operations_schema();
    if base_tokens + session_tokens + WRAP_TOKENS <= opts.input_budget_tokens {
        let mut user = store;
        user.reserve(condensed.iter().map(|c| c.events.len() + 160).sum());
        user.push_str("<sessions>\n");
        for c in &condensed {
            session_element(&mut user, c, None, &c.events);
        }
        user.push_str("</sessions>\n");
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
    let system = text::extract_system(input);
    let system_tokens = estimate_tokens(&system);
    let schema = signals_schema();
    let schema_tokens = tokens_of(&schema);
    let fixed = system_tokens + schema_tokens + WRAP_TOKENS;
    let Some(room) = opts.input_budget_tokens.checked_sub(fixed) else {
        return Err(LlmError::Config(format!(
            "an input budget of {} tokens leaves no room for session text (the extraction \
             instructions and schema take about {fixed})",
            opts.input_budget_tokens
        )));
    };
    let shared = Extraction {
        system: &system,
        system_tokens,
        schema: &schema,
        schema_tokens,
        max_tokens: opts.max_tokens,
    };
    let per_session = map_halves(&condensed, events >= PARALLEL_EVENTS, |c| {
        extraction_requests(c, room, &shared)
    });
    let mut extract = Vec::new();
    for requests in per_session {
        extract.extend(requests?);
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

/// The extraction requests of one session: one, or one per part when it is over `room`.
fn extraction_requests(
    c: &Condensed<'_>,
    room: u64,
    x: &Extraction<'_>,
) -> Result<Vec<LlmRequest>, LlmError> {
    if c.ends.is_empty() {
        return Ok(Vec::new());
    }
    let parts = split(c, room)?;
    let n = parts.len();
    let mut out = Vec::with_capacity(n);
    for (i, (body, body_counts)) in parts.into_iter().enumerate() {
        let mut user = String::with_capacity(body.len() + 256);
        user.push_str("<sessions>\n");
        let (purpose, part) = if n == 1 {
            (format!("extract:{}", c.session.id), None)
        } else {
            (
                format!("extract:{}#{}", c.session.id, i + 1),
                Some((i + 1, n)),
            )
        };
        envelope::session_open(&mut user, c.session, part);
        let head = user.len();
        user.push_str(body);
        user.push_str("</session>\n</sessions>\n");
        let wrap = Counts::of(&user[..head]) + Counts::of(&user[head + body.len()..]);
        let tokens = x.system_tokens + (wrap + body_counts).tokens();
        out.push(request(
            purpose,
            x.system.to_owned(),
            user,
            (SIGNALS, x.schema, x.schema_tokens),
            x.max_tokens,
            Some(tokens),
        ));
    }
    Ok(out)
}

/// Cuts a session's events into consecutive runs of at most `room` estimated tokens, each with
/// its token counts.
fn split<'c>(c: &'c Condensed<'_>, room: u64) -> Result<Vec<(&'c str, Counts)>, LlmError> {
    let all = c.counts();
    if all.tokens() <= room {
        return Ok(vec![(c.events.as_str(), all)]);
    }
    let mut parts = Vec::new();
    let (mut start, mut prev, mut used) = (0, 0, 0);
    let mut part = Counts::default();
    for (&end, &counts) in c.ends.iter().zip(&c.counts) {
        let t = counts.tokens();
        if t > room {
            return Err(LlmError::Config(format!(
                "one event of session {} is about {t} tokens, over the {room} tokens an \
                 extraction request has room for: raise input_budget_tokens",
                c.session.id
            )));
        }
        if used + t > room {
            parts.push((&c.events[start..prev], part));
            start = prev;
            used = 0;
            part = Counts::default();
        }
        used += t;
        part = part + counts;
        prev = end;
    }
    parts.push((&c.events[start..prev], part));
    Ok(parts)
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
