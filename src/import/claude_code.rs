//! Claude Code transcript parser (`~/.claude/projects/<project>/<session>.jsonl`), plus the
//! lenient JSON-lines reader and block-to-text helpers that `managed_agents` shares.

use std::collections::{HashMap, VecDeque};

use serde_json::{Map, Value};

use super::{BadLine, ParsedEvent, ParsedFile, ParsedSession, SessionSource, ToolCall};

/// Lines longer than this are reported, never parsed: one runaway line must not cost gigabytes.
pub(super) const MAX_LINE_BYTES: usize = 10 * 1024 * 1024;
/// Tool inputs can be whole files; the readable text only needs a glimpse (the input is kept whole
/// in `ToolCall::input` and `raw`).
const TOOL_INPUT_TEXT_CHARS: usize = 2000;
const RESULT_TEXT_BYTES: usize = 4096;
const TITLE_CHARS: usize = 120;

/// Parses one Claude Code transcript. Never fails: unreadable lines land in `bad_lines`.
pub fn parse(bytes: &[u8], file_stem: &str) -> ParsedFile {
    let (lines, bad_lines) = read_json_lines(bytes);
    // Entries without a sessionId (summaries, snapshots) belong to the file's first session.
    let fallback_id = lines
        .iter()
        .find_map(|l| session_id(&l.obj))
        .unwrap_or(file_stem)
        .to_owned();
    let mut sessions: Vec<SessionBuilder> = Vec::new();
    let mut index: HashMap<String, usize> = HashMap::new();
    for line in lines {
        let id = session_id(&line.obj).unwrap_or(&fallback_id).to_owned();
        let slot = *index.entry(id.clone()).or_insert_with(|| {
            sessions.push(SessionBuilder::new(id));
            sessions.len() - 1
        });
        if let Some(session) = sessions.get_mut(slot) {
            session.add(line);
        }
    }
    ParsedFile {
        sessions: sessions.into_iter().map(SessionBuilder::finish).collect(),
        bad_lines,
    }
}

fn session_id(obj: &Map<String, Value>) -> Option<&str> {
    str_field(obj, "sessionId").filter(|s| !s.is_empty())
}

/// One session being assembled, in file order.
struct SessionBuilder {
    external_id: String,
    events: Vec<ParsedEvent>,
    /// (thread, `message.id`) → event index: streamed assistant lines merge into one event, even
    /// when tool results were written between them.
    by_message: HashMap<(String, String), usize>,
    calls: Vec<ToolCall>,
    results: Vec<(usize, ToolResult)>,
    span: TimeSpan,
}

impl SessionBuilder {
    fn new(external_id: String) -> Self {
        Self {
            external_id,
            events: Vec::new(),
            by_message: HashMap::new(),
            calls: Vec::new(),
            results: Vec::new(),
            span: TimeSpan::default(),
        }
    }

    fn add(&mut self, line: JsonLine) {
        let JsonLine { raw, obj, ty } = line;
        let at = str_field(&obj, "timestamp");
        // Every line counts for the span, also the later lines of a merged assistant message.
        self.span.add(at);
        let thread = thread_of(&obj);
        let mut rendered = Rendered::default();
        render_entry(&obj, &ty, &mut rendered);
        let key = (ty == "assistant")
            .then(|| message_id(&obj))
            .flatten()
            .map(|id| (thread.clone(), id.to_owned()));
        let merged = key.as_ref().and_then(|k| self.by_message.get(k)).copied();
        let event_index = if let Some(i) = merged {
            if let Some(event) = self.events.get_mut(i) {
                append_line(event, &raw, &rendered);
            }
            i
        } else {
            let (kind, role) = kind_and_role(&obj, &ty);
            self.events.push(ParsedEvent {
                external_id: str_field(&obj, "uuid").map(str::to_owned),
                parent_external_id: parent_of(&obj).map(str::to_owned),
                kind,
                role: role.map(str::to_owned),
                at: at.map(str::to_owned),
                thread,
                text: rendered.text(),
                is_error: rendered.has_error(),
                raw,
            });
            let i = self.events.len() - 1;
            if let Some(k) = key {
                self.by_message.insert(k, i);
            }
            i
        };
        self.calls
            .extend(rendered.uses.into_iter().map(|u| u.into_call(event_index)));
        self.results
            .extend(rendered.results.into_iter().map(|r| (event_index, r)));
    }

    fn finish(self) -> ParsedSession {
        let mut tool_calls = self.calls;
        pair_results(&mut tool_calls, self.results);
        let title =
            first_title(&self.events, "summary").or_else(|| first_title(&self.events, "user"));
        ParsedSession {
            source: SessionSource::ClaudeCode,
            external_id: self.external_id,
            started_at: self.span.first,
            ended_at: self.span.last,
            title,
            events: self.events,
            tool_calls,
        }
    }
}

/// Adds a later streamed line (same `message.id`) to the event its first line opened.
fn append_line(event: &mut ParsedEvent, raw: &str, rendered: &Rendered) {
    event.raw.push('\n');
    event.raw.push_str(raw);
    let text = rendered.text();
    if !text.is_empty() {
        if !event.text.is_empty() {
            event.text.push('\n');
        }
        event.text.push_str(&text);
    }
    event.is_error |= rendered.has_error();
}

fn kind_and_role<'a>(obj: &'a Map<String, Value>, ty: &'a str) -> (String, Option<&'a str>) {
    match ty {
        "user" if only_tool_results(obj) => ("tool_result".to_owned(), Some("tool")),
        "user" | "assistant" | "system" => (ty.to_owned(), Some(ty)),
        "summary" => (ty.to_owned(), Some("system")),
        _ => (
            ty.to_owned(),
            message(obj).and_then(|m| str_field(m, "role")),
        ),
    }
}

/// A user entry that only carries tool results is the tool answering, not the person typing.
fn only_tool_results(obj: &Map<String, Value>) -> bool {
    match message(obj).and_then(|m| m.get("content")) {
        Some(Value::Array(blocks)) => {
            !blocks.is_empty() && blocks.iter().all(|b| block_type(b) == Some("tool_result"))
        }
        _ => false,
    }
}

fn render_entry(obj: &Map<String, Value>, ty: &str, out: &mut Rendered) {
    if ty == "summary" {
        if let Some(summary) = str_field(obj, "summary") {
            out.push(summary);
        }
    } else if let Some(content) = message(obj).and_then(|m| m.get("content")) {
        render_content(content, out);
    } else if let Some(content) = obj.get("content") {
        // `system` entries carry their text at the top level.
        render_content(content, out);
    }
}

fn message(obj: &Map<String, Value>) -> Option<&Map<String, Value>> {
    obj.get("message").and_then(Value::as_object)
}

fn message_id(obj: &Map<String, Value>) -> Option<&str> {
    message(obj)
        .and_then(|m| str_field(m, "id"))
        .filter(|s| !s.is_empty())
}

/// `parentUuid`, or `logicalParentUuid` where a compaction boundary cut the physical link.
fn parent_of(obj: &Map<String, Value>) -> Option<&str> {
    str_field(obj, "parentUuid").or_else(|| str_field(obj, "logicalParentUuid"))
}

fn thread_of(obj: &Map<String, Value>) -> String {
    if obj.get("isSidechain") != Some(&Value::Bool(true)) {
        return "main".to_owned();
    }
    match str_field(obj, "agentId").filter(|s| !s.is_empty()) {
        Some(agent) => format!("sidechain:{agent}"),
        None => "sidechain".to_owned(),
    }
}

// ---------------------------------------------------------------------------------------------
// Shared with `managed_agents`.
// ---------------------------------------------------------------------------------------------

/// One JSON object line (or `data` element) with a string `type`.
pub(super) struct JsonLine {
    /// Exactly the line as read (without its `\n`).
    pub raw: String,
    pub obj: Map<String, Value>,
    pub ty: String,
}

/// Splits on `\n` and parses each non-blank line; whatever cannot be read becomes a [`BadLine`]
/// and the rest of the file goes on.
pub(super) fn read_json_lines(bytes: &[u8]) -> (Vec<JsonLine>, Vec<BadLine>) {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (i, chunk) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = i + 1;
        match read_line(chunk) {
            Ok(Some((raw, obj, ty))) => lines.push(JsonLine { raw, obj, ty }),
            Ok(None) => {}
            Err(reason) => bad.push(BadLine { line, reason }),
        }
    }
    (lines, bad)
}

type LineParts = (String, Map<String, Value>, String);

fn read_line(chunk: &[u8]) -> Result<Option<LineParts>, String> {
    if chunk.len() > MAX_LINE_BYTES {
        return Err("line longer than 10 MiB".to_owned());
    }
    if chunk.iter().all(u8::is_ascii_whitespace) {
        return Ok(None);
    }
    let raw = std::str::from_utf8(chunk)
        .map_err(|e| format!("invalid UTF-8 at byte {}", e.valid_up_to()))?;
    // A byte-order mark is an editor artefact, not content; `raw` keeps it anyway.
    let text = raw.strip_prefix('\u{feff}').unwrap_or(raw);
    let value: Value = serde_json::from_str(text).map_err(|e| format!("invalid JSON: {e}"))?;
    let Value::Object(obj) = value else {
        return Err("not a JSON object".to_owned());
    };
    let ty = event_type(&obj)?;
    Ok(Some((raw.to_owned(), obj, ty)))
}

/// The `type` every entry / event needs, or why it is missing.
pub(super) fn event_type(obj: &Map<String, Value>) -> Result<String, String> {
    match obj.get("type") {
        Some(Value::String(ty)) => Ok(ty.clone()),
        Some(_) => Err("\"type\" is not a string".to_owned()),
        None => Err("no \"type\" field".to_owned()),
    }
}

pub(super) fn str_field<'a>(obj: &'a Map<String, Value>, key: &str) -> Option<&'a str> {
    obj.get(key).and_then(Value::as_str)
}

fn block_type(block: &Value) -> Option<&str> {
    block.get("type").and_then(Value::as_str)
}

/// A tool use found in a block or event, before it gets its event index.
pub(super) struct ToolUse {
    id: String,
    name: String,
    input: String,
}

impl ToolUse {
    pub(super) fn into_call(self, use_event: usize) -> ToolCall {
        ToolCall {
            tool_use_id: self.id,
            name: self.name,
            input: self.input,
            use_event,
            result_event: None,
            is_error: false,
            result_text: None,
        }
    }
}

/// A tool result found in a block or event, waiting to be paired with its use.
pub(super) struct ToolResult {
    tool_use_id: String,
    is_error: bool,
    text: String,
}

/// Readable pieces and tool blocks gathered from one entry / event.
#[derive(Default)]
pub(super) struct Rendered {
    parts: Vec<String>,
    uses: Vec<ToolUse>,
    results: Vec<ToolResult>,
}

impl Rendered {
    pub(super) fn push(&mut self, text: &str) {
        if !text.is_empty() {
            self.parts.push(text.to_owned());
        }
    }

    pub(super) fn text(&self) -> String {
        self.parts.join("\n")
    }

    pub(super) fn has_error(&self) -> bool {
        self.results.iter().any(|r| r.is_error)
    }

    pub(super) fn add_use(&mut self, id: Option<&str>, name: Option<&str>, input: Option<&Value>) {
        let name = name.unwrap_or_default().to_owned();
        let input = input.map_or_else(|| "null".to_owned(), compact_json);
        let glimpse = truncate_chars(&input, TOOL_INPUT_TEXT_CHARS);
        self.parts.push(format!("[tool_use {name}] {glimpse}"));
        let id = id.unwrap_or_default().to_owned();
        self.uses.push(ToolUse { id, name, input });
    }

    pub(super) fn add_result(
        &mut self,
        tool_use_id: Option<&str>,
        content: Option<&Value>,
        is_error: bool,
    ) {
        let text = content.map(content_text).unwrap_or_default();
        let label = if is_error {
            "[tool_result error]"
        } else {
            "[tool_result]"
        };
        self.parts.push(if text.is_empty() {
            label.to_owned()
        } else {
            format!("{label} {text}")
        });
        let tool_use_id = tool_use_id.unwrap_or_default().to_owned();
        self.results.push(ToolResult {
            tool_use_id,
            is_error,
            text,
        });
    }

    pub(super) fn into_tools(self) -> (Vec<ToolUse>, Vec<ToolResult>) {
        (self.uses, self.results)
    }
}

/// Renders a message `content`: a plain string, or an array of blocks.
pub(super) fn render_content(content: &Value, out: &mut Rendered) {
    match content {
        Value::String(text) => out.push(text),
        Value::Array(blocks) => blocks.iter().for_each(|b| render_block(b, out)),
        _ => {}
    }
}

fn render_block(block: &Value, out: &mut Rendered) {
    let obj = match block {
        Value::String(text) => return out.push(text),
        Value::Object(obj) => obj,
        _ => return,
    };
    match str_field(obj, "type") {
        Some("text") => out.push(str_field(obj, "text").unwrap_or_default()),
        Some("tool_use") => out.add_use(
            str_field(obj, "id"),
            str_field(obj, "name"),
            obj.get("input"),
        ),
        Some("tool_result") => out.add_result(
            str_field(obj, "tool_use_id"),
            obj.get("content"),
            is_true(obj.get("is_error")),
        ),
        Some("image") => out.push("[image]"),
        // Thinking is the model's scratchpad, not conversation; unknown blocks stay in `raw`.
        _ => {}
    }
}

/// Tool result content as text: a string, or its text blocks joined by newlines.
pub(super) fn content_text(content: &Value) -> String {
    match content {
        Value::String(text) => text.clone(),
        Value::Array(blocks) => blocks
            .iter()
            .filter_map(|b| match b {
                Value::String(text) => Some(text.as_str()),
                Value::Object(obj) if str_field(obj, "type") == Some("text") => {
                    str_field(obj, "text")
                }
                _ => None,
            })
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Only a literal `true` is an error: real transcripts write `null` or omit the field.
pub(super) fn is_true(value: Option<&Value>) -> bool {
    matches!(value, Some(Value::Bool(true)))
}

fn compact_json(value: &Value) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// Pairs results with uses by id, in file order; a result whose id has no open use is an orphan.
pub(super) fn pair_results(calls: &mut [ToolCall], results: Vec<(usize, ToolResult)>) {
    let mut open: HashMap<String, VecDeque<usize>> = HashMap::new();
    for (i, call) in calls.iter().enumerate() {
        if !call.tool_use_id.is_empty() {
            open.entry(call.tool_use_id.clone())
                .or_default()
                .push_back(i);
        }
    }
    for (event, result) in results {
        let slot = open
            .get_mut(&result.tool_use_id)
            .and_then(VecDeque::pop_front);
        if let Some(call) = slot.and_then(|i| calls.get_mut(i)) {
            call.result_event = Some(event);
            call.is_error = result.is_error;
            call.result_text = Some(truncate_bytes(&result.text, RESULT_TEXT_BYTES).to_owned());
        }
    }
}

/// The first non-blank line of the first event of `kind` that has one, cut to 120 chars.
pub(super) fn first_title(events: &[ParsedEvent], kind: &str) -> Option<String> {
    events.iter().filter(|e| e.kind == kind).find_map(|e| {
        let line = e.text.lines().map(str::trim).find(|l| !l.is_empty())?;
        Some(truncate_chars(line, TITLE_CHARS).to_owned())
    })
}

fn truncate_chars(text: &str, max: usize) -> &str {
    match text.char_indices().nth(max) {
        Some((end, _)) => text.get(..end).unwrap_or(text),
        None => text,
    }
}

fn truncate_bytes(text: &str, max: usize) -> &str {
    if text.len() <= max {
        return text;
    }
    let end = (0..=max)
        .rev()
        .find(|&i| text.is_char_boundary(i))
        .unwrap_or(0);
    text.get(..end).unwrap_or_default()
}

/// Earliest / latest RFC 3339 UTC timestamp seen; anything else is ignored for the span.
#[derive(Default)]
pub(super) struct TimeSpan {
    pub first: Option<String>,
    pub last: Option<String>,
}

impl TimeSpan {
    pub(super) fn add(&mut self, at: Option<&str>) {
        let Some((at, key)) = at.and_then(|s| utc_key(s).map(|k| (s, k))) else {
            return;
        };
        if self
            .first
            .as_deref()
            .and_then(utc_key)
            .is_none_or(|first| key < first)
        {
            self.first = Some(at.to_owned());
        }
        if self
            .last
            .as_deref()
            .and_then(utc_key)
            .is_none_or(|last| key > last)
        {
            self.last = Some(at.to_owned());
        }
    }
}

/// Sort key of `YYYY-MM-DDTHH:MM:SS[.fff…]Z`: the seconds part and the fraction without trailing
/// zeros, so `…:00Z` and `…:00.500Z` compare by value, not by the byte after the seconds.
fn utc_key(at: &str) -> Option<(&str, &str)> {
    const SHAPE: &[u8; 19] = b"dddd-dd-ddTdd:dd:dd";
    let bytes = at.as_bytes();
    let shaped = bytes.len() >= 20
        && SHAPE.iter().zip(bytes).all(|(want, got)| {
            if *want == b'd' {
                got.is_ascii_digit()
            } else {
                want == got
            }
        });
    if !shaped {
        return None;
    }
    let rest = at.get(19..)?;
    let fraction = if rest == "Z" {
        ""
    } else {
        let digits = rest.strip_prefix('.')?.strip_suffix('Z')?;
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        digits
    };
    Some((at.get(..19)?, fraction.trim_end_matches('0')))
}

#[cfg(test)]
pub(super) mod tests {
    use std::path::{Path, PathBuf};

    use super::*;

    /// The shared corpus.
    pub(in crate::import) fn corpus() -> PathBuf {
        crate::test_support::corpus("")
    }

    pub(in crate::import) fn read(path: &Path) -> Vec<u8> {
        std::fs::read(path).unwrap_or_else(|e| panic!("read {}: {e}", path.display()))
    }

    /// Every `consolidation/*/sessions/*/*` file whose name ends with `suffix`, sorted.
    pub(in crate::import) fn consolidation_files(suffix: &str) -> Vec<PathBuf> {
        let mut found = Vec::new();
        for case in dir(&corpus().join("consolidation")) {
            for agent in dir(&case.join("sessions")) {
                found.extend(dir(&agent).into_iter().filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.ends_with(suffix))
                }));
            }
        }
        found.sort();
        found
    }

    fn dir(path: &Path) -> Vec<PathBuf> {
        match std::fs::read_dir(path) {
            Ok(entries) => entries.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(_) => Vec::new(),
        }
    }

    pub(in crate::import) fn stem(path: &Path) -> String {
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        name.trim_end_matches(".jsonl")
            .trim_end_matches(".events.json")
            .trim_end_matches(".json")
            .to_owned()
    }

    fn real(name: &str) -> (ParsedFile, Vec<u8>) {
        let path = corpus().join("transcripts/claude-code-log").join(name);
        let bytes = read(&path);
        (parse(&bytes, &stem(&path)), bytes)
    }

    fn threads(session: &ParsedSession) -> Vec<&str> {
        let mut threads: Vec<&str> = session.events.iter().map(|e| e.thread.as_str()).collect();
        threads.sort_unstable();
        threads.dedup();
        threads
    }

    /// Byte flips and truncations at every 37th byte: the parser must shrug, never panic.
    pub(in crate::import) fn mutations(bytes: &[u8]) -> Vec<Vec<u8>> {
        let mut out = Vec::new();
        for at in (0..bytes.len()).step_by(37) {
            out.push(bytes.get(..at).unwrap_or_default().to_vec());
            for flip in [0xff_u8, b'"', b'{', b'\n', 0x80] {
                let mut mutated = bytes.to_vec();
                if let Some(b) = mutated.get_mut(at) {
                    *b = flip;
                }
                out.push(mutated);
            }
        }
        out
    }

    #[test]
    fn real_transcripts_have_the_hand_checked_counts() {
        // (file, bad lines, per session: id, events, threads, tool calls, paired, errors).
        type Expected = (
            &'static str,
            usize,
            Vec<(&'static str, usize, Vec<&'static str>, usize, usize, usize)>,
        );
        let expected: Vec<Expected> = vec![
            (
                "dag_compact_after_rewind.jsonl",
                0,
                vec![("s1", 12, vec!["main"], 0, 0, 0)],
            ),
            (
                "edge_cases.jsonl",
                4,
                vec![
                    ("edge_cases", 14, vec!["main"], 2, 1, 1),
                    ("todowrite_session", 1, vec!["main"], 1, 0, 0),
                ],
            ),
            (
                "representative_messages.jsonl",
                0,
                vec![("test_session", 12, vec!["main"], 2, 2, 0)],
            ),
            (
                "session_b.jsonl",
                0,
                vec![("session_b", 3, vec!["main"], 0, 0, 0)],
            ),
            (
                "sidechain_integrated.jsonl",
                0,
                vec![(
                    "88a8d761-7b9a-4bf1-a8ca-c1febe6bf358",
                    5,
                    vec!["main", "sidechain", "sidechain:e1c84ba5"],
                    2,
                    1,
                    0,
                )],
            ),
            (
                "todowrite_examples.jsonl",
                0,
                vec![("todowrite_session", 12, vec!["main"], 3, 3, 0)],
            ),
        ];
        for (name, bad, sessions) in expected {
            let (parsed, _) = real(name);
            assert_eq!(
                parsed.bad_lines.len(),
                bad,
                "{name}: {:?}",
                parsed.bad_lines
            );
            assert_eq!(parsed.sessions.len(), sessions.len(), "{name}");
            for (got, (id, events, thread_names, calls, paired, errors)) in
                parsed.sessions.iter().zip(sessions)
            {
                assert_eq!(got.external_id, id, "{name}");
                assert_eq!(got.events.len(), events, "{name} {id}");
                assert_eq!(threads(got), thread_names, "{name} {id}");
                assert_eq!(got.tool_calls.len(), calls, "{name} {id}");
                let done = got
                    .tool_calls
                    .iter()
                    .filter(|c| c.result_event.is_some())
                    .count();
                assert_eq!(done, paired, "{name} {id}");
                assert_eq!(
                    got.tool_calls.iter().filter(|c| c.is_error).count(),
                    errors,
                    "{name} {id}"
                );
            }
        }
    }

    #[test]
    fn consolidation_transcripts_import_cleanly() {
        let files = consolidation_files(".jsonl");
        assert_eq!(files.len(), 54);
        let (mut events, mut calls, mut paired, mut errors, mut summaries) = (0, 0, 0, 0, 0);
        for path in &files {
            let parsed = parse(&read(path), &stem(path));
            assert!(
                parsed.bad_lines.is_empty(),
                "{}: {:?}",
                path.display(),
                parsed.bad_lines
            );
            let [session] = parsed.sessions.as_slice() else {
                panic!("{}: expected one session", path.display());
            };
            assert_eq!(session.external_id, stem(path));
            assert!(session.title.is_some() && session.started_at <= session.ended_at);
            for call in &session.tool_calls {
                assert!(
                    call.result_event.is_some_and(|r| r > call.use_event),
                    "{call:?}"
                );
            }
            events += session.events.len();
            calls += session.tool_calls.len();
            paired += session
                .tool_calls
                .iter()
                .filter(|c| c.result_event.is_some())
                .count();
            errors += session.tool_calls.iter().filter(|c| c.is_error).count();
            summaries += session
                .events
                .iter()
                .filter(|e| e.kind == "summary")
                .count();
        }
        // 684 non-blank lines, 30 of them later streamed lines of an assistant message.
        assert_eq!(
            (events, calls, paired, errors, summaries),
            (654, 241, 241, 29, 4)
        );
    }

    #[test]
    fn streamed_assistant_lines_merge_into_one_event() {
        let (parsed, bytes) = real("sidechain_integrated.jsonl");
        let lines: Vec<&[u8]> = bytes.split(|b| *b == b'\n').collect();
        let session = &parsed.sessions[0];
        let merged = &session.events[2];
        assert_eq!(merged.kind, "assistant");
        assert_eq!(
            merged.external_id.as_deref(),
            Some("b674eedd-0d9d-49e7-8116-1f092cd750ed")
        );
        assert_eq!(
            merged.raw.as_bytes(),
            [lines[2], lines[3]].join(&b'\n').as_slice()
        );
        assert!(
            merged
                .text
                .starts_with("I'll research how `data-border-color` is used thro...\n")
        );
        assert!(merged.text.ends_with(
            "[tool_use Grep] {\"pattern\":\"data-border-color\",\"output_mode\":\"files_with_matches\"}"
        ));
        assert_eq!(session.tool_calls[1].name, "Grep");
        assert_eq!(session.tool_calls[1].use_event, 2);
    }

    #[test]
    fn merging_survives_interleaved_results_and_keeps_sessions_apart() {
        let text = concat!(
            r#"{"type":"assistant","uuid":"a1","sessionId":"s","message":{"id":"m1","content":[{"type":"tool_use","id":"t1","name":"Read","input":{"p":1}}]}}"#,
            "\n",
            r#"{"type":"user","uuid":"u1","sessionId":"s","message":{"content":[{"type":"tool_result","tool_use_id":"t1","content":"ok"}]}}"#,
            "\n",
            r#"{"type":"assistant","uuid":"a2","sessionId":"s","message":{"id":"m1","content":[{"type":"text","text":"done"}]}}"#,
            "\n",
            r#"{"type":"assistant","uuid":"a3","sessionId":"other","message":{"id":"m1","content":[]}}"#,
        );
        let parsed = parse(text.as_bytes(), "f");
        let kinds: Vec<_> = parsed.sessions[0]
            .events
            .iter()
            .map(|e| e.kind.as_str())
            .collect();
        assert_eq!(kinds, ["assistant", "tool_result"]);
        assert_eq!(
            parsed.sessions[0].events[0].text,
            "[tool_use Read] {\"p\":1}\ndone"
        );
        assert_eq!(parsed.sessions[0].events[1].role.as_deref(), Some("tool"));
        assert_eq!(parsed.sessions[0].tool_calls[0].result_event, Some(1));
        assert_eq!(parsed.sessions[1].events.len(), 1);
    }

    #[test]
    fn sidechain_entries_get_their_own_threads() {
        let (parsed, _) = real("sidechain_integrated.jsonl");
        let threads: Vec<_> = parsed.sessions[0]
            .events
            .iter()
            .map(|e| e.thread.as_str())
            .collect();
        assert_eq!(
            threads,
            ["main", "main", "sidechain", "sidechain:e1c84ba5", "main"]
        );
        // The sidechain's tool_result answers a use outside the file: no call for it.
        assert_eq!(parsed.sessions[0].events[3].kind, "tool_result");
        assert!(
            parsed.sessions[0].events[3].text.contains("3130â†’"),
            "mojibake passes through"
        );
    }

    #[test]
    fn rewinds_keep_both_branches_and_compaction_links_logically() {
        let (parsed, _) = real("dag_compact_after_rewind.jsonl");
        let session = &parsed.sessions[0];
        let children_of_a1: Vec<_> = session
            .events
            .iter()
            .filter(|e| e.parent_external_id.as_deref() == Some("a1"))
            .filter_map(|e| e.external_id.as_deref())
            .collect();
        assert_eq!(children_of_a1, ["b1u", "b2u"]);
        let boundary = session
            .events
            .iter()
            .find(|e| e.external_id.as_deref() == Some("cb"));
        let boundary = boundary.expect("compact boundary kept");
        assert_eq!(boundary.kind, "system");
        assert_eq!(boundary.parent_external_id.as_deref(), Some("b2a2"));
        assert_eq!(boundary.text, "Conversation compacted");
        assert_eq!(
            session.started_at.as_deref(),
            Some("2025-07-01T10:00:00.000Z")
        );
        assert_eq!(
            session.ended_at.as_deref(),
            Some("2025-07-01T10:41:00.000Z")
        );
        assert_eq!(session.title.as_deref(), Some("Start"));
    }

    #[test]
    fn null_is_error_is_not_an_error_and_true_is() {
        let (parsed, _) = real("sidechain_integrated.jsonl");
        let task = &parsed.sessions[0].tool_calls[0];
        assert_eq!(
            (task.name.as_str(), task.result_event, task.is_error),
            ("Task", Some(1), false)
        );
        assert_eq!(
            task.result_text.as_deref(),
            Some("Perfect! Now I have a complete understanding. Let ...")
        );
        assert!(!parsed.sessions[0].events[1].is_error);

        let (parsed, _) = real("edge_cases.jsonl");
        let session = &parsed.sessions[0];
        let failing = &session.tool_calls[0];
        assert_eq!(
            (
                failing.name.as_str(),
                failing.result_event,
                failing.is_error
            ),
            ("FailingTool", Some(4), true)
        );
        assert!(session.events[4].is_error);
        assert_eq!(
            session.events[4].text,
            "[tool_result error] Error: Tool execution failed with error: Command not found"
        );
        assert_eq!(session.events.iter().filter(|e| e.is_error).count(), 1);
    }

    #[test]
    fn garbage_lines_are_counted_and_the_rest_imported() {
        let (parsed, _) = real("edge_cases.jsonl");
        let bad: Vec<_> = parsed
            .bad_lines
            .iter()
            .map(|b| (b.line, b.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (13, "not a JSON object"),
                (14, "no \"type\" field"),
                (15, "not a JSON object"),
                (16, "not a JSON object"),
            ]
        );
        let session = &parsed.sessions[0];
        assert_eq!(
            session.events.last().map(|e| e.kind.as_str()),
            Some("summary")
        );
        assert!(
            session
                .title
                .as_deref()
                .is_some_and(|t| t.starts_with("Tested various edge cases"))
        );
        assert!(
            session
                .title
                .as_deref()
                .is_some_and(|t| t.chars().count() == 120)
        );

        let text = "{\"type\":\"user\",\"message\":{\"content\":\"hi\"}}\n{\"type\":\"assi\n\n{\"type\":\"user\",\"message\":{\"content\":\"again\"}}";
        let parsed = parse(text.as_bytes(), "stem");
        assert_eq!(parsed.bad_lines.len(), 1);
        assert_eq!(parsed.bad_lines[0].line, 2);
        assert!(parsed.bad_lines[0].reason.starts_with("invalid JSON"));
        assert_eq!(parsed.sessions[0].external_id, "stem");
        assert_eq!(parsed.sessions[0].events.len(), 2);
    }

    #[test]
    fn invalid_utf8_line_is_a_bad_line() {
        let mut bytes =
            b"{\"type\":\"user\",\"sessionId\":\"s\",\"message\":{\"content\":\"a\xff\"}}\n"
                .to_vec();
        bytes.extend_from_slice(
            b"{\"type\":\"user\",\"sessionId\":\"s\",\"message\":{\"content\":\"ok\"}}\n",
        );
        let parsed = parse(&bytes, "f");
        assert_eq!(
            parsed.bad_lines,
            [BadLine {
                line: 1,
                reason: "invalid UTF-8 at byte 54".to_owned()
            }]
        );
        assert_eq!(parsed.sessions[0].events.len(), 1);
        assert_eq!(parsed.sessions[0].title.as_deref(), Some("ok"));
    }

    #[test]
    fn line_over_ten_mib_is_skipped() {
        let mut bytes = vec![b'x'; MAX_LINE_BYTES + 1];
        bytes.extend_from_slice(b"\n{\"type\":\"user\",\"message\":{\"content\":\"after\"}}");
        let parsed = parse(&bytes, "f");
        assert_eq!(
            parsed.bad_lines,
            [BadLine {
                line: 1,
                reason: "line longer than 10 MiB".to_owned()
            }]
        );
        assert_eq!(parsed.sessions[0].events[0].text, "after");
    }

    #[test]
    fn empty_or_blank_file_has_no_session() {
        for bytes in [&b""[..], b"\n\n  \r\n\t\n"] {
            assert_eq!(parse(bytes, "f"), ParsedFile::default());
        }
    }

    #[test]
    fn entries_without_session_id_join_the_first_session() {
        let text = concat!(
            r#"{"type":"summary","summary":"Fix it","leafUuid":"x"}"#,
            "\n",
            r#"{"type":"file-history-snapshot","messageId":"x","snapshot":{}}"#,
            "\n",
            r#"{"type":"user","sessionId":"late","uuid":"u","message":{"content":"hello\nworld"}}"#,
            "\r\n",
        );
        let parsed = parse(text.as_bytes(), "f");
        let [session] = parsed.sessions.as_slice() else {
            panic!("one session")
        };
        assert_eq!(session.external_id, "late");
        let kinds: Vec<_> = session.events.iter().map(|e| e.kind.as_str()).collect();
        assert_eq!(kinds, ["summary", "file-history-snapshot", "user"]);
        assert_eq!(session.title.as_deref(), Some("Fix it"));
        // The `\r` of a CRLF file stays in `raw`, which is the line minus its `\n`.
        assert!(session.events[2].raw.ends_with("}}\r"));
        assert_eq!(session.events[2].text, "hello\nworld");
    }

    #[test]
    fn title_falls_back_to_first_user_line() {
        let (parsed, _) = real("session_b.jsonl");
        assert_eq!(
            parsed.sessions[0].title.as_deref(),
            Some("This is from a different session file to test multi-session handling.")
        );
        let (parsed, _) = real("todowrite_examples.jsonl");
        assert_eq!(
            parsed.sessions[0].title.as_deref(),
            Some("Feature Implementation with Task Management")
        );
    }

    #[test]
    fn raw_is_exactly_the_lines() {
        let (parsed, bytes) = real("representative_messages.jsonl");
        let text = String::from_utf8(bytes).expect("utf-8 corpus");
        let raws: Vec<&str> = parsed.sessions[0]
            .events
            .iter()
            .map(|e| e.raw.as_str())
            .collect();
        let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        assert_eq!(raws, lines);
    }

    #[test]
    fn timestamps_compare_by_value_and_odd_ones_are_ignored() {
        let mut span = TimeSpan::default();
        for at in [
            "2025-01-01T10:00:00.500Z",
            "2025-01-01T10:00:00Z",
            "2025-01-01T12:00:00+02:00",
            "yesterday",
            "2025-01-01T10:00:01.25Z",
            "2025-01-01T10:00:00.Z",
        ] {
            span.add(Some(at));
        }
        assert_eq!(span.first.as_deref(), Some("2025-01-01T10:00:00Z"));
        assert_eq!(span.last.as_deref(), Some("2025-01-01T10:00:01.25Z"));
        let (parsed, _) = real("edge_cases.jsonl");
        // A line with a misspelt `timesstamp` has no `at` but is kept.
        assert_eq!(
            parsed.sessions[0]
                .events
                .iter()
                .filter(|e| e.at.is_none())
                .count(),
            2
        );
        assert_eq!(
            parsed.sessions[0].ended_at.as_deref(),
            Some("2025-06-14T11:03:30Z")
        );
    }

    #[test]
    fn long_inputs_and_results_are_cut_on_char_boundaries() {
        let input = "é".repeat(3000);
        let result = "€".repeat(2000);
        let text = format!(
            "{}\n{}",
            serde_json::json!({"type":"assistant","message":{"id":"m","content":[{"type":"tool_use","id":"t","name":"W","input":input}]}}),
            serde_json::json!({"type":"user","message":{"content":[{"type":"tool_result","tool_use_id":"t","content":result}]}}),
        );
        let parsed = parse(text.as_bytes(), "f");
        let session = &parsed.sessions[0];
        let glimpse = session.events[0]
            .text
            .strip_prefix("[tool_use W] ")
            .unwrap_or_default();
        assert_eq!(glimpse.chars().count(), TOOL_INPUT_TEXT_CHARS);
        assert_eq!(session.tool_calls[0].input.chars().count(), 3002);
        let cut = session.tool_calls[0]
            .result_text
            .as_deref()
            .unwrap_or_default();
        assert_eq!(cut.len(), 4095);
        // The event text keeps the whole result.
        assert_eq!(
            session.events[1].text.chars().count(),
            "[tool_result] ".len() + 2000
        );
    }

    #[test]
    fn mutated_transcripts_never_panic() {
        let mut runs = 0;
        for name in [
            "sidechain_integrated.jsonl",
            "edge_cases.jsonl",
            "dag_compact_after_rewind.jsonl",
        ] {
            let (_, bytes) = real(name);
            for mutated in mutations(&bytes) {
                let parsed = parse(&mutated, "m");
                assert!(parsed.sessions.iter().all(|s| !s.events.is_empty()));
                runs += 1;
            }
        }
        assert!(runs > 300, "{runs}");
    }
}
