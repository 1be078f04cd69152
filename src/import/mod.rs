//! Importers: real agent data (Claude Code transcripts, Managed Agents events, memory folders)
//! parsed into plain [`ParsedSession`]s / files. Parsers are pure and lenient: they never panic,
//! count what they cannot read, and keep every original line in `raw`. Storage lives in `store/`.

pub mod claude_code;
pub mod managed_agents;
pub mod memory_dir;
pub mod sessions;
mod walk;

use serde::Serialize;

/// Where a session came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum SessionSource {
    ClaudeCode,
    ManagedAgents,
}

impl SessionSource {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::ClaudeCode => "claude_code",
            Self::ManagedAgents => "managed_agents",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "claude_code" => Some(Self::ClaudeCode),
            "managed_agents" => Some(Self::ManagedAgents),
            _ => None,
        }
    }
}

/// One session as read from a file, before it is stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedSession {
    pub source: SessionSource,
    /// The source's own id: Claude Code `sessionId`, Managed Agents `sesn_…`, else the file stem.
    pub external_id: String,
    /// RFC 3339 UTC of the earliest / latest event with a timestamp.
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    /// A short human title: a `summary` entry, else the first user text (≤ 120 chars).
    pub title: Option<String>,
    pub events: Vec<ParsedEvent>,
    /// Tool uses paired with their results by id.
    pub tool_calls: Vec<ToolCall>,
}

/// One event: a Claude Code entry (assistant lines sharing `message.id` merged into one), or one
/// Managed Agents event.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ParsedEvent {
    /// `uuid` / `sevt_…` id (for merged assistant lines: the first line's uuid).
    pub external_id: Option<String>,
    /// `parentUuid` (or `logicalParentUuid` for compaction boundaries).
    pub parent_external_id: Option<String>,
    /// `user`, `assistant`, `tool_result`, `summary`, `system`, or the source's own type string
    /// (`user.message`, `agent.tool_use`, `session.status_idle`, …) for anything else.
    pub kind: String,
    /// `user` / `assistant` / `tool` / `system` when known.
    pub role: Option<String>,
    /// RFC 3339 timestamp as written in the source.
    pub at: Option<String>,
    /// `main`, or `sidechain:<agentId>` for sidechain / subagent entries.
    pub thread: String,
    /// Readable text: text blocks, `[tool_use NAME] input`, `[tool_result] …`, summaries.
    pub text: String,
    /// True when the event carries a tool result with `is_error: true`.
    pub is_error: bool,
    /// The original line(s), exactly as read (merged lines joined by `\n`).
    pub raw: String,
}

/// A tool use and its result, paired by id.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ToolCall {
    pub tool_use_id: String,
    pub name: String,
    /// The tool input as compact JSON.
    pub input: String,
    /// Index into `ParsedSession::events` of the event carrying the use / the result.
    pub use_event: usize,
    pub result_event: Option<usize>,
    pub is_error: bool,
    /// Result text, truncated to 4 KiB (the whole result stays in the event's `raw`).
    pub result_text: Option<String>,
}

/// A line that could not be read.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BadLine {
    /// 1-based line number (for `{"data":[…]}` files: the element index + 1).
    pub line: usize,
    pub reason: String,
}

/// What parsing one file produced.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct ParsedFile {
    pub sessions: Vec<ParsedSession>,
    pub bad_lines: Vec<BadLine>,
}

#[cfg(test)]
mod no_panic {
    use proptest::prelude::*;

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// Arbitrary bytes, including JSON-ish fragments, never make a parser panic, and every
        /// event keeps its raw text.
        #[test]
        fn parsers_accept_any_bytes(
            bytes in prop::collection::vec(any::<u8>(), 0..512),
            json_ish in "[\\[\\]{}\":,a-z0-9 \\n\\\\.]{0,256}",
        ) {
            for input in [bytes.as_slice(), json_ish.as_bytes()] {
                for file in [super::claude_code::parse(input, "f"), super::managed_agents::parse(input, "f")] {
                    for s in &file.sessions {
                        prop_assert!(!s.events.is_empty());
                        for c in &s.tool_calls {
                            prop_assert!(c.use_event < s.events.len());
                        }
                    }
                }
            }
        }

        /// A path either fails validation or obeys every rule.
        #[test]
        fn accepted_paths_obey_the_rules(path in "(/[a-z.\\u{301}\\u{0}]{0,4}){0,5}") {
            if crate::memory_path::validate(&path).is_ok() {
                prop_assert!(path.starts_with('/'));
                prop_assert!(path[1..].split('/').all(|s| !s.is_empty() && s != "." && s != ".."));
                prop_assert!(!path.chars().any(char::is_control), "control character in {:?}", path);
            }
        }
    }
}
