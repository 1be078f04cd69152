//! The core's error type and the exit-code contract the CLI maps it to.
//! The library never prints: it returns these, and `main` renders one line plus a hint.

use std::path::PathBuf;

/// Exit codes (DESIGN §6): 0 ok, 1 user error, 2 usage, 3 conflict, 4 integrity, 70+ internal.
pub mod exit {
    pub const USER: i32 = 1;
    pub const USAGE: i32 = 2;
    pub const CONFLICT: i32 = 3;
    pub const INTEGRITY: i32 = 4;
    /// The dream engine failed: network, model, or an answer that did not check out.
    pub const ENGINE: i32 = 5;
    /// Stopped by Ctrl-C or `lucid dream cancel` (128 + SIGINT, as shells expect).
    pub const INTERRUPTED: i32 = 130;
    pub const INTERNAL: i32 = 70;
    pub const IO: i32 = 74;
}

#[derive(Debug, thiserror::Error)]
pub enum Error {
    #[error("{path}: not a Lucid database ({why})")]
    NotLucidDb { path: PathBuf, why: String },
    #[error(
        "{path}: database schema version {found} is newer than this lucid understands ({supported})"
    )]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },
    #[error("{path}: database is corrupt: {why}")]
    CorruptDb { path: PathBuf, why: String },
    #[error("bundled SQLite {found} is older than the required {required}")]
    OldSqlite { found: String, required: String },
    #[error("invalid memory path {path:?}: {why}")]
    InvalidPath { path: String, why: &'static str },
    #[error("{what} is {size} bytes, over the limit of {limit} bytes")]
    TooLarge {
        what: String,
        size: usize,
        limit: usize,
    },
    #[error("{what} is not valid UTF-8")]
    NotUtf8 { what: String },
    #[error("no such {kind}: {name}")]
    NotFound { kind: &'static str, name: String },
    #[error("{kind} {name} already exists")]
    AlreadyExists { kind: &'static str, name: String },
    #[error("precondition failed for {path}: expected sha256 {expected}, found {found}")]
    PreconditionFailed {
        path: String,
        expected: String,
        found: String,
    },
    #[error("conflict: {0}")]
    Conflict(String),
    #[error("{0}")]
    Invalid(String),
    /// The command was asked for something it cannot take (exit code 2, as clap's own).
    #[error("{0}")]
    Usage(String),
    #[error("audit chain broken at record {seq}: {why}")]
    AuditBroken { seq: i64, why: String },
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("database error: {0}")]
    Sqlite(#[from] rusqlite::Error),
    #[error("internal error: {0}")]
    Internal(String),
    /// A dream engine failed; the dream is recorded as `failed` with this message.
    #[error("dream {dream} failed: {why}")]
    Engine { dream: i64, why: String },
    /// A running dream was stopped; it is recorded as `canceled`.
    #[error("dream {0} canceled")]
    Interrupted(i64),
    /// Talking to Claude Managed Agents failed (409s are conflicts: exit code 3).
    #[error("{0}")]
    Remote(#[from] crate::remote::RemoteError),
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        Self::Io {
            path: path.into(),
            source,
        }
    }

    /// The process exit code for this error.
    pub fn exit_code(&self) -> i32 {
        match self {
            Self::PreconditionFailed { .. } | Self::Conflict(_) => exit::CONFLICT,
            Self::Usage(_) => exit::USAGE,
            Self::NotLucidDb { .. }
            | Self::NewerSchema { .. }
            | Self::CorruptDb { .. }
            | Self::AuditBroken { .. } => exit::INTEGRITY,
            Self::Sqlite(e) if is_busy(e) => exit::CONFLICT,
            Self::Sqlite(e) if is_corrupt(e) => exit::INTEGRITY,
            Self::OldSqlite { .. } | Self::Internal(_) | Self::Sqlite(_) => exit::INTERNAL,
            Self::Io { .. } => exit::IO,
            Self::Engine { .. } => exit::ENGINE,
            Self::Interrupted(_) => exit::INTERRUPTED,
            Self::Remote(e) => e.exit_code(),
            Self::InvalidPath { .. }
            | Self::TooLarge { .. }
            | Self::NotUtf8 { .. }
            | Self::NotFound { .. }
            | Self::AlreadyExists { .. }
            | Self::Invalid(_) => exit::USER,
        }
    }

    /// An optional second line telling the user what to do next.
    pub fn hint(&self) -> Option<String> {
        match self {
            Self::NotLucidDb { .. } => {
                Some("point --db (or LUCID_DB) at a Lucid database, or at a new path".into())
            }
            Self::NewerSchema { .. } => Some("upgrade lucid to open this database".into()),
            Self::CorruptDb { .. } => {
                Some("restore the file from a backup; lucid wrote nothing to it".into())
            }
            Self::PreconditionFailed { .. } => {
                Some("read the memory again (lucid memory cat) and retry with its sha256".into())
            }
            Self::InvalidPath { .. } => Some(
                "paths start with '/', are at most 1024 bytes, and have no empty, '.' or '..' segments"
                    .into(),
            ),
            Self::NotFound {
                kind: "database", ..
            } => Some(
                "run `lucid demo` to try Lucid on a demo fleet, or `lucid import memory DIR --store \
                 NAME` / `lucid import sessions PATH` to create it"
                    .into(),
            ),
            Self::NotFound { kind: "store", .. } => {
                Some("list stores with `lucid store ls`, create one with `lucid store create`".into())
            }
            Self::AuditBroken { .. } => Some(
                "the audit log was changed outside lucid; keep this database for investigation"
                    .into(),
            ),
            Self::Engine { .. } => Some(
                "see `lucid dream show ID`; `lucid dream --dry-run` checks the request without sending it"
                    .into(),
            ),
            Self::Remote(e) => e.hint(),
            _ => None,
        }
    }
}

/// `SQLITE_BUSY` / `SQLITE_LOCKED` after the busy timeout ran out.
pub fn is_busy(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseBusy | rusqlite::ErrorCode::DatabaseLocked)
    )
}

/// SQLite found damaged pages.
pub fn is_corrupt(e: &rusqlite::Error) -> bool {
    matches!(
        e.sqlite_error_code(),
        Some(rusqlite::ErrorCode::DatabaseCorrupt | rusqlite::ErrorCode::NotADatabase)
    )
}
