//! The dream engine boundary: what an engine sees (the store at the base operation, up to 100
//! sessions with their events, `now`, instructions) and what it returns (the consolidated files,
//! and per change a category, a rationale a reviewer can check, and evidence). Engines are pure:
//! no clock, no database, no network except an LLM engine's own client.

pub mod builtin;
pub mod input;

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// At most this many sessions feed one dream (Anthropic's Dreams API limit).
pub const MAX_SESSIONS: usize = 100;
/// At most this many characters of instructions.
pub const MAX_INSTRUCTIONS: usize = 4096;

/// One memory file as it stands at the dream's base operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MemoryFile {
    /// `/MEMORY.md`, `/build.md`, …
    pub path: String,
    pub content: String,
    /// RFC 3339 time of the operation that wrote this content (relative dates in it are
    /// relative to this).
    pub written_at: String,
}

/// One event of a session, as the engine sees it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    /// The source's id (`uuid`, `sevt_…`), else `#<seq>`.
    pub id: String,
    pub seq: i64,
    /// `user`, `assistant`, `tool_result`, `summary`, `system`, `user.message`,
    /// `agent.message`, `agent.tool_use`, `agent.tool_result`, …
    pub kind: String,
    /// `user` / `assistant` / `tool` / `system`.
    pub role: Option<String>,
    pub at: Option<String>,
    /// `main`, or `sidechain:<agent>`.
    pub thread: String,
    pub is_error: bool,
    /// Readable text (`[tool_use NAME] {input}`, `[tool_result] …` for tools).
    pub text: String,
}

/// A tool use and its result, paired by id.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ToolCall {
    pub name: String,
    /// The tool input as compact JSON.
    pub input: String,
    /// `seq` of the events holding the use and the result.
    pub use_seq: i64,
    pub result_seq: Option<i64>,
    pub is_error: bool,
    /// The start of the result text (≤ 4 KiB).
    pub result_text: Option<String>,
}

/// One session fed to the dream.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session {
    /// The source's session id (`sesn_…`, a Claude Code `sessionId`).
    pub id: String,
    pub agent: String,
    pub started_at: Option<String>,
    pub events: Vec<Event>,
    pub tool_calls: Vec<ToolCall>,
}

/// Everything an engine may look at.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct DreamInput {
    /// The store at the base operation, sorted by path.
    pub files: Vec<MemoryFile>,
    /// Sorted by start time, oldest first.
    pub sessions: Vec<Session>,
    /// RFC 3339 UTC: the dream's clock.
    pub now: String,
    pub instructions: String,
    /// Share of the store's non-blank, non-index lines a dream may remove (default 0.3).
    pub deletion_budget: f64,
}

/// Why a file changes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Category {
    Duplicate,
    Contradiction,
    Stale,
    Insight,
    Reorganize,
    Index,
}

impl Category {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Duplicate => "duplicate",
            Self::Contradiction => "contradiction",
            Self::Stale => "stale",
            Self::Insight => "insight",
            Self::Reorganize => "reorganize",
            Self::Index => "index",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Duplicate,
            Self::Contradiction,
            Self::Stale,
            Self::Insight,
            Self::Reorganize,
            Self::Index,
        ]
        .into_iter()
        .find(|c| c.as_str() == s)
    }
}

/// A pointer into the inputs that supports a change.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Evidence {
    /// Session id (as in [`Session::id`]); `None` when the evidence is the store itself.
    pub session_id: Option<String>,
    /// Event id (as in [`Event::id`]).
    pub event_id: Option<String>,
    /// A short verbatim quote (≤ 200 chars) from that event or memory file.
    pub quote: String,
}

/// One reason a file changes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ChangeNote {
    pub path: String,
    pub category: Category,
    /// One sentence a reviewer can check against the evidence.
    pub rationale: String,
    pub evidence: Vec<Evidence>,
}

/// What an engine returns: the whole consolidated store (a path missing from `files` is
/// deleted) and the notes explaining each changed file.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct DreamOutput {
    pub files: BTreeMap<String, String>,
    pub notes: Vec<ChangeNote>,
    /// What a model-backed engine spent (recorded on the dream).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub usage: Option<Usage>,
}

/// Tokens and requests a model-backed dream used, and the model that answered.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    /// The model id the server reported (may be more specific than the configured one).
    pub model: String,
    #[serde(flatten)]
    pub tokens: crate::llm::Usage,
}

/// Why an engine produced no output.
#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    /// The dream becomes `failed` with this message.
    #[error("{0}")]
    Failed(String),
    /// Stopped on request (Ctrl-C, `lucid dream cancel`): the dream becomes `canceled`.
    #[error("canceled")]
    Canceled,
}

/// A dream engine.
pub trait Engine: Send + Sync {
    /// `builtin`, `none`, `anthropic`, …
    fn name(&self) -> &str;
    /// Recorded on every dream, so a proposal can be reproduced.
    fn version(&self) -> &str;
    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError>;
}

/// The engine that changes nothing (a baseline for `lucid eval`).
#[derive(Debug, Clone, Copy, Default)]
pub struct NoneEngine;

impl Engine for NoneEngine {
    fn name(&self) -> &'static str {
        "none"
    }

    fn version(&self) -> &'static str {
        "1"
    }

    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        Ok(DreamOutput {
            files: input
                .files
                .iter()
                .map(|f| (f.path.clone(), f.content.clone()))
                .collect(),
            notes: Vec::new(),
            usage: None,
        })
    }
}

/// The engine for a name, if it is built in.
pub fn engine(name: &str) -> Option<Box<dyn Engine>> {
    match name {
        "builtin" => Some(Box::new(builtin::Builtin)),
        "none" => Some(Box::new(NoneEngine)),
        _ => None,
    }
}
