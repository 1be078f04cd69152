//! Plain data the core hands out: stores, operations, memory entries, sessions.
//! No behaviour beyond small conversions; storage lives in `store/`.

use serde::Serialize;

pub type StoreId = i64;
pub type OpId = i64;
pub type MemoryId = i64;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Store {
    pub id: StoreId,
    pub name: String,
    pub description: String,
    pub mode: String,
    pub max_content_bytes: usize,
    /// Share of non-blank, non-index lines one dream may remove.
    pub deletion_budget: f64,
    pub created_at: String,
    /// The newest operation, if the store has any.
    pub head_op_id: Option<OpId>,
    pub memories: usize,
}

/// What kind of change an operation made.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum OpKind {
    Create,
    Write,
    Import,
    Apply,
    AutoApply,
    Rollback,
    Tag,
}

impl OpKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Create => "create",
            Self::Write => "write",
            Self::Import => "import",
            Self::Apply => "apply",
            Self::AutoApply => "auto_apply",
            Self::Rollback => "rollback",
            Self::Tag => "tag",
        }
    }
}

/// One entry of the operation log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Operation {
    pub id: OpId,
    pub store_id: StoreId,
    pub parent_id: Option<OpId>,
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
    pub restores_op_id: Option<OpId>,
    pub dream_id: Option<i64>,
    pub proposal_id: Option<i64>,
    /// SHA-256 over the sorted `(path, sha256)` manifest of the state after this operation.
    pub root_hash: String,
    pub files_changed: usize,
    /// Tags pointing at this operation.
    pub tags: Vec<String>,
}

/// How a memory changed in one operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VersionKind {
    Created,
    Modified,
    Renamed,
    Deleted,
}

impl VersionKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Created => "created",
            Self::Modified => "modified",
            Self::Renamed => "renamed",
            Self::Deleted => "deleted",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "created" => Some(Self::Created),
            "modified" => Some(Self::Modified),
            "renamed" => Some(Self::Renamed),
            "deleted" => Some(Self::Deleted),
            _ => None,
        }
    }
}

/// A memory as it stands at some operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub memory_id: MemoryId,
    pub path: String,
    pub sha256: String,
    pub size: usize,
    /// The operation that wrote this version.
    pub op_id: OpId,
}

/// One file touched by an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileTouch {
    pub memory_id: MemoryId,
    pub kind: VersionKind,
    pub path: String,
    /// The path before a rename.
    pub old_path: Option<String>,
    pub before_sha256: Option<String>,
    pub after_sha256: Option<String>,
}

/// An operation together with the files it touched.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OpDetail {
    #[serde(flatten)]
    pub op: Operation,
    pub files: Vec<FileTouch>,
}

/// An imported session, without its events.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SessionInfo {
    pub id: i64,
    pub store: Option<String>,
    pub agent: String,
    pub source: String,
    pub external_id: String,
    pub path: Option<String>,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub title: Option<String>,
    pub imported_at: String,
    pub events: usize,
    pub errors: usize,
}

/// One stored event of a session.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct EventRow {
    pub seq: i64,
    pub external_id: Option<String>,
    pub parent_external_id: Option<String>,
    pub kind: String,
    pub role: Option<String>,
    pub at: Option<String>,
    pub thread: String,
    pub is_error: bool,
    pub text: String,
}

/// A dream job.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Dream {
    pub id: i64,
    pub store: String,
    pub base_op_id: OpId,
    pub engine: String,
    pub engine_version: String,
    pub instructions: String,
    /// Local session ids fed to the dream.
    pub session_ids: Vec<i64>,
    pub inputs_hash: Option<String>,
    /// `pending`, `running`, `completed`, `failed` or `canceled` (as Anthropic's Dreams API).
    pub status: String,
    pub error: Option<String>,
    pub actor: String,
    pub created_at: String,
    pub started_at: Option<String>,
    pub ended_at: Option<String>,
    pub proposal_id: Option<i64>,
    /// Model and tokens, for engines backed by a model.
    pub usage: Option<crate::dream::Usage>,
}

/// A proposal: a dream's changes waiting for (or past) review.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub id: i64,
    pub dream_id: i64,
    pub store: String,
    pub base_op_id: OpId,
    /// `pending`, `partial`, `applied`, `rejected` or `stale`.
    pub state: String,
    pub created_at: String,
    pub engine: String,
    /// Changes per category.
    pub categories: std::collections::BTreeMap<String, usize>,
    /// Flags raised on any change (`secret`, `suspicious_source`, `near_deletion_budget`, …).
    pub flags: Vec<String>,
    pub changes: usize,
    pub conflicts: usize,
    /// True when a file it changes moved on since the base (apply would conflict).
    pub stale: bool,
}

/// One file-level change of a proposal.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalChange {
    pub id: i64,
    /// 1-based position in the proposal (what `--change N` names).
    pub seq: i64,
    /// `create`, `modify`, `delete` or `rename`.
    pub kind: String,
    pub path: String,
    pub new_path: Option<String>,
    pub base_sha256: Option<String>,
    pub proposed_sha256: Option<String>,
    pub category: String,
    pub rationale: String,
    pub evidence: Vec<crate::dream::Evidence>,
    pub flags: Vec<String>,
    /// `open`, `applied` or `conflict`.
    pub state: String,
    pub rebased_from: Option<i64>,
}

/// One recorded review decision.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionRow {
    pub id: i64,
    pub change_id: i64,
    pub hunk: Option<usize>,
    pub verdict: String,
    pub edited_sha256: Option<String>,
    pub materialized_sha256: Option<String>,
    pub reason: String,
    pub actor: String,
    pub at: String,
}
