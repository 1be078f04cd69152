//! The SQLite store: one [`Db`] handle; every write is one `BEGIN IMMEDIATE` transaction that
//! commits versions, the operation and its audit records together or not at all.

mod changes;
mod dreams;
mod history;
mod open;
mod proposals;
mod remote;
mod remote_conflict;
mod remote_history;
mod remote_pull;
pub mod schema;
mod search;
mod sessions;
mod stores;

use std::path::{Path, PathBuf};

use rusqlite::{Connection, Transaction, TransactionBehavior};

pub use changes::{ChangeSet, FileChange, OpSpec};
pub use dreams::{DreamStart, NewChange, notes_by_path};
pub use history::{BlameLine, OpRef};
pub use open::check_sqlite_version;
pub use proposals::{ApplyReport, Target};
pub use remote::{
    PushResult, Ref, RemoteLink, not_linked as not_linked_error, remote_session_file,
};
pub use remote_pull::{PullData, PullOutcome};
pub use search::{SearchHit, TextChange};
pub use sessions::{FileStamp, ImportedFile, PackedRaw, pack_raw};
pub use stores::DEFAULT_MAX_CONTENT_BYTES;

use crate::error::{Error, Result};

/// An open Lucid database.
pub struct Db {
    conn: Connection,
    path: PathBuf,
}

impl Db {
    /// Opens or creates the database file, refusing files that are not Lucid databases.
    pub fn open(path: &Path) -> Result<Self> {
        let conn = open::open_path(path)?;
        Ok(Self {
            conn,
            path: path.to_owned(),
        })
    }

    /// A private in-memory database (tests, benchmarks).
    pub fn open_in_memory() -> Result<Self> {
        Ok(Self {
            conn: open::open_in_memory()?,
            path: PathBuf::from(":memory:"),
        })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// The raw connection, for read-only integrity checks by tools and tests.
    pub fn connection(&self) -> &Connection {
        &self.conn
    }

    /// Runs `f` in one `BEGIN IMMEDIATE` transaction: all of it commits, or none of it.
    fn write<T>(&mut self, f: impl FnOnce(&Transaction<'_>) -> Result<T>) -> Result<T> {
        let path = self.path.clone();
        let tx = self
            .conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| open::corrupt_or(&path, e))?;
        let value = f(&tx)?;
        tx.commit().map_err(|e| open::corrupt_or(&path, e))?;
        Ok(value)
    }

    /// For bulk imports: stop checkpointing after every commit, so each page reaches the
    /// database file once, at [`Db::resume_checkpoints`], instead of once per batch.
    pub fn pause_checkpoints(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 0)?;
        Ok(())
    }

    /// Checkpoints the write-ahead log now and restores the default of every 1,000 pages.
    pub fn resume_checkpoints(&self) -> Result<()> {
        self.conn.pragma_update(None, "wal_autocheckpoint", 1000)?;
        self.conn
            .query_row("PRAGMA wal_checkpoint(PASSIVE)", [], |_| Ok(()))?;
        Ok(())
    }

    /// `PRAGMA data_version`: changes when another connection commits.
    pub fn data_version(&self) -> Result<i64> {
        Ok(self
            .conn
            .query_row("PRAGMA data_version", [], |r| r.get(0))?)
    }

    /// Full `PRAGMA integrity_check`; `Ok(())` when SQLite answers "ok".
    pub fn integrity_check(&self) -> Result<()> {
        let mut stmt = self.conn.prepare("PRAGMA integrity_check")?;
        let rows: Vec<String> = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        if rows.len() == 1 && rows[0] == "ok" {
            Ok(())
        } else {
            Err(Error::CorruptDb {
                path: self.path.clone(),
                why: rows.join("; "),
            })
        }
    }
}

/// A bare in-memory connection with the schema, for module tests.
#[cfg(test)]
pub(crate) fn schema_for_tests() -> Connection {
    open::open_in_memory().expect("in-memory schema")
}
