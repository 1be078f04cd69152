//! Stores and reading their state: the entries at any operation, blobs by hash.

use std::collections::BTreeMap;

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::Db;
use crate::audit;
use crate::error::{Error, Result};
use crate::memory_path;
use crate::model::{Entry, OpId, Store, StoreId};
use crate::util::Ctx;

/// Default per-file content limit (Anthropic's memory stores: 100 KiB).
pub const DEFAULT_MAX_CONTENT_BYTES: usize = 100 * 1024;

impl Db {
    /// Creates an empty store; names are 1–64 characters of `[A-Za-z0-9._-]`.
    /// `max_content_bytes` overrides the default per-file limit.
    pub fn create_store(
        &mut self,
        ctx: &Ctx,
        name: &str,
        description: &str,
        max_content_bytes: Option<usize>,
    ) -> Result<Store> {
        self.write(|tx| insert_store(tx, ctx, name, description, max_content_bytes))?;
        self.store(name)
    }

    /// Every store with its memory count, by name.
    pub fn stores(&self) -> Result<Vec<Store>> {
        let mut out = Vec::new();
        for name in self.store_names()? {
            let mut store = self.store(&name)?;
            store.memories = match store.head_op_id {
                Some(op) => state_at(&self.conn, store.id, op)?.len(),
                None => 0,
            };
            out.push(store);
        }
        Ok(out)
    }

    /// Store names, sorted (cheap).
    pub fn store_names(&self) -> Result<Vec<String>> {
        let mut stmt = self.conn.prepare("SELECT name FROM stores ORDER BY name")?;
        let names = stmt.query_map([], |r| r.get(0))?;
        Ok(names.collect::<Result<_, _>>()?)
    }

    /// One store by name with its head operation (its memory count is left at 0: only
    /// [`Db::stores`] counts).
    pub fn store(&self, name: &str) -> Result<Store> {
        store_named(&self.conn, name)
    }

    /// The memories of a store at an operation (its head when `None`), sorted by path.
    pub fn entries(&self, store: &Store, at: Option<OpId>) -> Result<Vec<Entry>> {
        match at.or(store.head_op_id) {
            Some(op) => state_at(&self.conn, store.id, op),
            None => Ok(Vec::new()),
        }
    }

    /// One memory by path at an operation (head when `None`).
    pub fn entry(&self, store: &Store, path: &str, at: Option<OpId>) -> Result<Entry> {
        memory_path::validate(path)?;
        let Some(op) = at.or(store.head_op_id) else {
            return Err(Error::NotFound {
                kind: "memory",
                name: path.into(),
            });
        };
        entry_at(&self.conn, store.id, path, op)?.ok_or_else(|| Error::NotFound {
            kind: "memory",
            name: path.into(),
        })
    }

    /// The bytes of a blob.
    pub fn blob(&self, sha256: &str) -> Result<Vec<u8>> {
        read_blob(&self.conn, sha256)
    }
}

/// Inserts a store with its audit record and initial empty operation.
pub(crate) fn insert_store(
    tx: &Connection,
    ctx: &Ctx,
    name: &str,
    description: &str,
    max_content_bytes: Option<usize>,
) -> Result<()> {
    validate_store_name(name)?;
    let exists: bool =
        tx.query_row("SELECT count(*) FROM stores WHERE name = ?1", [name], |r| {
            r.get(0)
        })?;
    if exists {
        return Err(Error::AlreadyExists {
            kind: "store",
            name: name.to_owned(),
        });
    }
    tx.execute(
        "INSERT INTO stores (name, description, max_content_bytes, created_at)
         VALUES (?1, ?2, ?3, ?4)",
        params![
            name,
            description,
            max_content_bytes.unwrap_or(DEFAULT_MAX_CONTENT_BYTES) as i64,
            ctx.now
        ],
    )?;
    let store_id = tx.last_insert_rowid();
    audit::append(
        tx,
        ctx,
        "store.create",
        name,
        &json!({ "description": description, "max_content_bytes": max_content_bytes }),
        "",
    )?;
    super::changes::initial_operation(tx, ctx, store_id, name)
}

/// The store's row, without its head or counts (cheap).
pub(crate) fn store_row(conn: &Connection, name: &str) -> Result<Option<Store>> {
    Ok(conn
        .query_row(
            "SELECT id, name, description, mode, max_content_bytes, created_at,
                    (SELECT max(o.id) FROM operations o WHERE o.store_id = stores.id),
                    deletion_budget
             FROM stores WHERE name = ?1",
            [name],
            |r| {
                Ok(Store {
                    id: r.get(0)?,
                    name: r.get(1)?,
                    description: r.get(2)?,
                    mode: r.get(3)?,
                    max_content_bytes: r.get::<_, i64>(4)? as usize,
                    created_at: r.get(5)?,
                    deletion_budget: r.get(7)?,
                    head_op_id: r.get(6)?,
                    memories: 0,
                })
            },
        )
        .optional()?)
}

fn validate_store_name(name: &str) -> Result<()> {
    let ok = !name.is_empty()
        && name.len() <= 64
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
        && !name.starts_with(['.', '-']);
    if ok {
        Ok(())
    } else {
        Err(Error::Invalid(format!(
            "invalid store name {name:?}: use 1-64 letters, digits, '.', '_' or '-'"
        )))
    }
}

/// The store called `name`, or [`Error::NotFound`].
pub(crate) fn store_named(conn: &Connection, name: &str) -> Result<Store> {
    store_row(conn, name)?.ok_or_else(|| Error::NotFound {
        kind: "store",
        name: name.into(),
    })
}

pub(crate) fn read_blob(conn: &Connection, sha256: &str) -> Result<Vec<u8>> {
    conn.query_row("SELECT bytes FROM blobs WHERE sha256 = ?1", [sha256], |r| {
        r.get(0)
    })
    .optional()?
    .ok_or_else(|| Error::Internal(format!("blob {sha256} is missing")))
}

pub(crate) fn head_op(conn: &Connection, store_id: StoreId) -> Result<Option<OpId>> {
    Ok(conn.query_row(
        "SELECT max(id) FROM operations WHERE store_id = ?1",
        [store_id],
        |r| r.get(0),
    )?)
}

/// The state at `op`: for each memory, its newest version at or before `op`, unless deleted.
/// The op log of a store is linear and ids only grow, so "at or before" is `op_id <= op`.
pub(crate) fn state_at(conn: &Connection, store_id: StoreId, op: OpId) -> Result<Vec<Entry>> {
    // One index probe per memory (its newest version at or before `op`), so the cost follows
    // the number of memories, not the length of history.
    let mut stmt = conn.prepare_cached(
        "SELECT v.memory_id, v.path, v.sha256, v.size, v.op_id
         FROM memories m
         JOIN versions v ON v.id = (SELECT max(w.id) FROM versions w
                                    WHERE w.memory_id = m.id AND w.op_id <= ?2)
         WHERE m.store_id = ?1 AND v.kind != 'deleted'
         ORDER BY v.path",
    )?;
    let rows = stmt.query_map(params![store_id, op], entry_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// The state at `op` keyed by path.
pub(crate) fn state_map(
    conn: &Connection,
    store_id: StoreId,
    op: Option<OpId>,
) -> Result<BTreeMap<String, Entry>> {
    let Some(op) = op else {
        return Ok(BTreeMap::new());
    };
    Ok(state_at(conn, store_id, op)?
        .into_iter()
        .map(|e| (e.path.clone(), e))
        .collect())
}

fn entry_at(conn: &Connection, store_id: StoreId, path: &str, op: OpId) -> Result<Option<Entry>> {
    // Candidates: memories that ever had this path; keep those whose newest version at `op`
    // still has it.
    let mut stmt = conn.prepare_cached(
        "SELECT v.memory_id, v.path, v.sha256, v.size, v.op_id, v.kind
         FROM versions v
         WHERE v.id IN (
             SELECT (SELECT max(id) FROM versions w WHERE w.memory_id = c.memory_id AND w.op_id <= ?3)
             FROM (SELECT DISTINCT memory_id FROM versions WHERE store_id = ?1 AND path = ?2) c)
           AND v.path = ?2 AND v.kind != 'deleted'",
    )?;
    Ok(stmt
        .query_row(params![store_id, path, op], entry_from_row)
        .optional()?)
}

fn entry_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Entry> {
    Ok(Entry {
        memory_id: r.get(0)?,
        path: r.get(1)?,
        sha256: r.get(2)?,
        size: r.get::<_, i64>(3)? as usize,
        op_id: r.get(4)?,
    })
}

/// SHA-256 over the sorted manifest: `path NUL sha256 LF` per live memory.
pub(crate) fn root_hash<'a>(entries: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    use sha2::{Digest, Sha256};
    let mut h = Sha256::new();
    for (path, sha) in entries {
        h.update(path.as_bytes());
        h.update([0]);
        h.update(sha.as_bytes());
        h.update([b'\n']);
    }
    hex::encode(h.finalize())
}
