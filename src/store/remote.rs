//! Bookkeeping for Claude Managed Agents remotes: which store mirrors which `memstore_`, per
//! memory its `mem_` id and the state last seen remotely (the next push's precondition), open
//! conflicts, pulled sessions, and recording what a push did — each write one transaction with
//! its audit records. Pulling itself lives in `remote_pull`.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::Db;
use super::sessions::upsert_session;
use crate::audit;
use crate::error::{Error, Result};
use crate::model::MemoryId;
use crate::store::{ImportedFile, PackedRaw};
use crate::util::Ctx;

/// A local store linked to a remote memory store.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RemoteLink {
    pub store: String,
    pub remote_id: String,
    pub remote_name: String,
    pub linked_at: String,
    pub pulled_at: Option<String>,
    pub pushed_at: Option<String>,
    /// The newest remote version time seen (later pulls start there).
    pub versions_seen_at: Option<String>,
}

/// One local memory's remote identity and the remote state last seen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ref {
    pub memory_id: MemoryId,
    /// `mem_…`
    pub remote_id: String,
    pub path: String,
    pub sha256: String,
    /// `memver_…` of the last version seen, when known.
    pub version_id: Option<String>,
    /// The conflict proposal change this memory waits on, if any.
    pub conflict_change_id: Option<i64>,
}

/// What one push request did, for [`Db::record_push`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub enum PushResult {
    /// Written remotely: the memory's remote id, path and sha now.
    Written {
        memory_id: MemoryId,
        action: String,
        remote_id: String,
        path: String,
        sha256: String,
    },
    /// Deleted remotely.
    Deleted {
        memory_id: MemoryId,
        remote_id: String,
        path: String,
    },
    /// Not written: a conflict, an undecided conflict, or an error; nothing remote changed.
    Skipped {
        path: String,
        action: String,
        why: String,
    },
}

pub(crate) fn load_refs(conn: &Connection, store_id: i64) -> Result<HashMap<String, Ref>> {
    let mut stmt = conn.prepare_cached(
        "SELECT memory_id, remote_memory_id, path, content_sha256, version_id, conflict_change_id
         FROM remote_refs WHERE store_id = ?1",
    )?;
    let rows = stmt.query_map([store_id], |r| {
        Ok(Ref {
            memory_id: r.get(0)?,
            remote_id: r.get(1)?,
            path: r.get(2)?,
            sha256: r.get(3)?,
            version_id: r.get(4)?,
            conflict_change_id: r.get(5)?,
        })
    })?;
    let mut out = HashMap::new();
    for r in rows {
        let r = r?;
        out.insert(r.remote_id.clone(), r);
    }
    Ok(out)
}

pub(crate) fn save_ref(conn: &Connection, store_id: i64, r: &Ref) -> Result<()> {
    // A remote memory maps to one local memory and back: drop stale pairings first.
    conn.prepare_cached(
        "DELETE FROM remote_refs WHERE store_id = ?1 AND (memory_id = ?2 OR remote_memory_id = ?3)",
    )?
    .execute(params![store_id, r.memory_id, r.remote_id])?;
    conn.prepare_cached(
        "INSERT INTO remote_refs (store_id, memory_id, remote_memory_id, path, content_sha256,
                                  version_id, conflict_change_id)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
    )?
    .execute(params![
        store_id,
        r.memory_id,
        r.remote_id,
        r.path,
        r.sha256,
        r.version_id,
        r.conflict_change_id
    ])?;
    Ok(())
}

/// Why a conflict still blocks pushing its memory, or `None` once it was decided: its change
/// applied, its proposal applied or rejected, or the change rejected as a whole.
pub(crate) fn conflict_open(conn: &Connection, change_id: i64) -> Result<Option<String>> {
    let row: Option<(String, String, i64)> = conn
        .query_row(
            "SELECT c.state, p.state, p.id FROM changes c JOIN proposals p ON p.id = c.proposal_id
             WHERE c.id = ?1",
            [change_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    let Some((change_state, proposal_state, proposal)) = row else {
        return Ok(None);
    };
    if change_state == "applied" || proposal_state == "applied" || proposal_state == "rejected" {
        return Ok(None);
    }
    let last: Option<(String, Option<i64>)> = conn
        .query_row(
            "SELECT verdict, hunk FROM decisions WHERE change_id = ?1 ORDER BY id DESC LIMIT 1",
            [change_id],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    if matches!(last, Some((ref v, None)) if v == "reject") {
        return Ok(None);
    }
    Ok(Some(format!(
        "changed on both sides: decide proposal {proposal} (accept the remote side or reject it), apply, then push"
    )))
}

impl Db {
    /// The remote link of a store, if it has one.
    pub fn remote_link(&self, store: &str) -> Result<Option<RemoteLink>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.name, r.remote_id, r.remote_name, r.linked_at, r.pulled_at, r.pushed_at,
                        r.versions_seen_at
                 FROM remote_stores r JOIN stores s ON s.id = r.store_id WHERE s.name = ?1",
                [store],
                |r| {
                    Ok(RemoteLink {
                        store: r.get(0)?,
                        remote_id: r.get(1)?,
                        remote_name: r.get(2)?,
                        linked_at: r.get(3)?,
                        pulled_at: r.get(4)?,
                        pushed_at: r.get(5)?,
                        versions_seen_at: r.get(6)?,
                    })
                },
            )
            .optional()?)
    }

    /// The local store a remote memory store was pulled into.
    pub fn store_for_remote(&self, remote_id: &str) -> Result<Option<String>> {
        Ok(self
            .conn
            .query_row(
                "SELECT s.name FROM remote_stores r JOIN stores s ON s.id = r.store_id
                 WHERE r.remote_id = ?1",
                [remote_id],
                |r| r.get(0),
            )
            .optional()?)
    }

    /// Every remote ref of a store, keyed by `mem_` id.
    pub fn remote_refs(&self, store: &str) -> Result<HashMap<String, Ref>> {
        let meta = self.store(store)?;
        load_refs(&self.conn, meta.id)
    }

    /// Why a memory's conflict still blocks a push (see [`Ref::conflict_change_id`]).
    pub fn remote_conflict_open(&self, change_id: i64) -> Result<Option<String>> {
        conflict_open(&self.conn, change_id)
    }

    /// Pulled sessions: `sesn_` id → the remote `updated_at` seen.
    pub fn remote_sessions(&self) -> Result<BTreeMap<String, Option<String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT remote_id, updated_at FROM remote_sessions")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// Stores pulled sessions (one batch, one transaction, one audit record); `updated` holds
    /// each session's remote `updated_at`, in the same order as `files`.
    pub fn store_remote_sessions(
        &mut self,
        ctx: &Ctx,
        store: Option<&str>,
        files: &[ImportedFile],
        updated: &[Option<String>],
    ) -> Result<usize> {
        let store_id = store.map(|s| self.store(s).map(|m| m.id)).transpose()?;
        self.write(|tx| {
            let mut events = 0;
            let mut audited = Vec::new();
            for (file, updated_at) in files.iter().zip(updated) {
                for (s, packed) in file.sessions.iter().zip(&file.packed) {
                    let id = upsert_session(tx, ctx, store_id, file, s, packed)?;
                    tx.execute(
                        "INSERT INTO remote_sessions (session_id, remote_id, updated_at, pulled_at)
                         VALUES (?1, ?2, ?3, ?4)
                         ON CONFLICT (session_id) DO UPDATE SET updated_at = ?3, pulled_at = ?4",
                        params![id, s.external_id, updated_at, ctx.now],
                    )?;
                    events += s.events.len();
                    audited.push(json!({ "session": s.external_id, "events": s.events.len() }));
                }
            }
            audit::append(
                tx,
                ctx,
                "remote.sessions",
                store.unwrap_or(""),
                &json!({ "sessions": audited }),
                "",
            )?;
            Ok(events)
        })
    }

    /// Records a push: refs follow what was written, every pushed and skipped change gets an
    /// audit record, all in one transaction.
    pub fn record_push(&mut self, ctx: &Ctx, store: &str, results: &[PushResult]) -> Result<()> {
        let meta = self.store(store)?;
        let link = self.remote_link(store)?.ok_or_else(|| not_linked(store))?;
        self.write(|tx| {
            for r in results {
                let (action, details) = match r {
                    PushResult::Written { memory_id, action, remote_id, path, sha256 } => {
                        save_ref(tx, meta.id, &Ref {
                            memory_id: *memory_id,
                            remote_id: remote_id.clone(),
                            path: path.clone(),
                            sha256: sha256.clone(),
                            version_id: None,
                            conflict_change_id: None,
                        })?;
                        ("remote.push", json!({ "remote": link.remote_id, "memory": remote_id, "action": action, "path": path, "sha256": sha256 }))
                    }
                    PushResult::Deleted { memory_id, remote_id, path } => {
                        tx.execute(
                            "DELETE FROM remote_refs WHERE store_id = ?1 AND memory_id = ?2",
                            params![meta.id, memory_id],
                        )?;
                        ("remote.push", json!({ "remote": link.remote_id, "memory": remote_id, "action": "delete", "path": path }))
                    }
                    PushResult::Skipped { path, action, why } => (
                        "remote.push_skipped",
                        json!({ "remote": link.remote_id, "action": action, "path": path, "why": why }),
                    ),
                };
                audit::append(tx, ctx, action, store, &details, "")?;
            }
            tx.execute(
                "UPDATE remote_stores SET pushed_at = ?2 WHERE store_id = ?1",
                params![meta.id, ctx.now],
            )?;
            Ok(())
        })
    }
}

pub fn not_linked(store: &str) -> Error {
    Error::Invalid(format!(
        "store {store} is not linked to a Managed Agents memory store: run `lucid remote pull-store memstore_… --as {store}` first"
    ))
}

/// A pulled session as a storable file (no file on disk: the path names the remote session).
pub fn remote_session_file(
    session: crate::import::ParsedSession,
    packed: PackedRaw,
    agent: &str,
    raw_sha256: String,
    raw_len: u64,
) -> ImportedFile {
    ImportedFile {
        path: format!("managed-agents:{}", session.external_id),
        stamp: crate::store::FileStamp {
            size: raw_len,
            mtime_ns: 0,
            sha256: raw_sha256,
        },
        agent: agent.to_owned(),
        sessions: vec![session],
        packed: vec![packed],
    }
}
