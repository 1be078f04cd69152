//! Applying a pull from Managed Agents, in one transaction: the remote history replayed as past
//! operations attributed to their remote actors, then the current remote state reconciled with
//! the local one. A memory changed on both sides since the last sync is never overwritten: it
//! becomes a change of a conflict proposal (remote side, or a clean three-way merge) for review.

use std::collections::{HashMap, HashSet};

use rusqlite::{Connection, params};
use serde::Serialize;
use serde_json::json;

use super::Db;
use super::changes::{FileChange, OpSpec, commit_in_tx};
use super::remote::{Ref, load_refs, save_ref};
use super::remote_conflict::{Conflict, both_sides, conflict_change, conflict_proposal, text};
use super::stores::{head_op, insert_store, state_map, store_named, store_row};
use crate::audit;
use crate::error::{Error, Result};
use crate::model::{Entry, MemoryId, OpId, OpKind, Store};
use crate::remote::wire::{RemoteMemory, RemoteVersion};
use crate::util::Ctx;

/// What a pull fetched, handed to [`Db::apply_pull`].
#[derive(Debug, Clone, Default)]
pub struct PullData {
    pub remote_id: String,
    pub remote_name: String,
    /// The local store: required on the first pull (the CLI derives it from the remote name).
    pub local_name: String,
    /// Versions not seen before, in any order.
    pub versions: Vec<RemoteVersion>,
    /// The whole current remote state, with content.
    pub memories: Vec<RemoteMemory>,
}

/// What a pull changed locally.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct PullOutcome {
    pub store: String,
    pub remote_id: String,
    pub linked_now: bool,
    pub memories: usize,
    /// Past operations written from the remote history.
    pub history_ops: usize,
    pub versions_replayed: usize,
    /// Versions already known, redacted, or touching a memory changed here.
    pub versions_skipped: usize,
    /// The operation that brought the local store up to the remote state (if anything moved).
    pub import_op: Option<OpId>,
    pub fast_forwarded: Vec<String>,
    /// Paths changed on both sides: see `conflict_proposal`.
    pub conflicts: Vec<String>,
    pub conflict_proposal: Option<i64>,
}

impl Db {
    /// Stores what a pull fetched: history as past operations, then the current state.
    pub fn apply_pull(&mut self, ctx: &Ctx, data: &PullData) -> Result<PullOutcome> {
        self.write(|tx| pull_in_tx(tx, ctx, data))
    }
}

/// The live state keyed by memory id.
pub(super) fn by_memory(tx: &Connection, store: &Store) -> Result<HashMap<MemoryId, Entry>> {
    Ok(state_map(tx, store.id, head_op(tx, store.id)?)?
        .into_values()
        .map(|e| (e.memory_id, e))
        .collect())
}

/// The local memory still shows exactly what the remote had at the last sync.
pub(super) fn clean(local: &HashMap<MemoryId, Entry>, r: &Ref) -> bool {
    local
        .get(&r.memory_id)
        .is_some_and(|e| e.path == r.path && e.sha256 == r.sha256)
}

fn link(tx: &Connection, ctx: &Ctx, data: &PullData) -> Result<(Store, bool)> {
    let linked: Option<String> = tx
        .query_row(
            "SELECT s.name FROM remote_stores r JOIN stores s ON s.id = r.store_id
             WHERE r.remote_id = ?1",
            [&data.remote_id],
            |r| r.get(0),
        )
        .ok();
    if let Some(name) = linked {
        if !data.local_name.is_empty() && data.local_name != name {
            return Err(Error::Invalid(format!(
                "{} is already pulled into store {name}",
                data.remote_id
            )));
        }
        return Ok((store_named(tx, &name)?, false));
    }
    if data.local_name.is_empty() {
        return Err(Error::Usage("name the local store (--as NAME)".into()));
    }
    if store_row(tx, &data.local_name)?.is_none() {
        let description = format!("pulled from {}", data.remote_id);
        insert_store(tx, ctx, &data.local_name, &description, None)?;
    }
    let store = store_named(tx, &data.local_name)?;
    let other: Option<String> = tx
        .query_row(
            "SELECT remote_id FROM remote_stores WHERE store_id = ?1",
            [store.id],
            |r| r.get(0),
        )
        .ok();
    if let Some(other) = other {
        return Err(Error::Invalid(format!(
            "store {} is linked to {other} already",
            store.name
        )));
    }
    tx.execute(
        "INSERT INTO remote_stores (store_id, remote_id, remote_name, linked_at) VALUES (?1, ?2, ?3, ?4)",
        params![store.id, data.remote_id, data.remote_name, ctx.now],
    )?;
    Ok((store, true))
}

fn pull_in_tx(tx: &Connection, ctx: &Ctx, data: &PullData) -> Result<PullOutcome> {
    let (store, linked_now) = link(tx, ctx, data)?;
    let mut out = PullOutcome {
        store: store.name.clone(),
        remote_id: data.remote_id.clone(),
        linked_now,
        memories: data.memories.len(),
        ..PullOutcome::default()
    };
    let mut refs = load_refs(tx, store.id)?;
    super::remote_history::replay(tx, ctx, &store.name, data, &mut refs, &mut out)?;
    let conflicts = reconcile(tx, ctx, &store.name, data, &mut refs, &mut out)?;
    if !conflicts.is_empty() {
        conflict_proposal(tx, ctx, &store.name, &conflicts, &mut refs, &mut out)?;
    }
    let seen = data
        .versions
        .iter()
        .filter_map(|v| v.created_at.as_deref())
        .max();
    tx.execute(
        "UPDATE remote_stores SET pulled_at = ?2,
             versions_seen_at = max(coalesce(versions_seen_at, ''), coalesce(?3, ''))
         WHERE store_id = ?1",
        params![store.id, ctx.now, seen],
    )?;
    audit::append(
        tx,
        ctx,
        "remote.pull",
        &store.name,
        &json!({
            "remote": data.remote_id, "memories": data.memories.len(),
            "history_ops": out.history_ops, "versions_replayed": out.versions_replayed,
            "versions_skipped": out.versions_skipped, "import_op": out.import_op,
            "conflicts": out.conflicts, "conflict_proposal": out.conflict_proposal,
        }),
        "",
    )?;
    Ok(out)
}

/// Brings the local store to the current remote state where only the remote moved; collects
/// the memories that moved on both sides.
fn reconcile(
    tx: &Connection,
    ctx: &Ctx,
    name: &str,
    data: &PullData,
    refs: &mut HashMap<String, Ref>,
    out: &mut PullOutcome,
) -> Result<Vec<Conflict>> {
    let store = store_named(tx, name)?;
    let local = by_memory(tx, &store)?;
    let by_path = state_map(tx, store.id, store.head_op_id)?;
    let current: HashSet<&str> = data.memories.iter().map(|m| m.id.as_str()).collect();
    let (mut deletes, mut renames, mut puts) = (Vec::new(), Vec::new(), Vec::new());
    let mut conflicts = Vec::new();
    let mut new_refs: Vec<(String, RemoteMemory)> = Vec::new();
    let gone: Vec<String> = refs
        .keys()
        .filter(|k| !current.contains(k.as_str()))
        .cloned()
        .collect();
    for rid in gone {
        let r = refs.remove(&rid).expect("listed from refs");
        tx.execute(
            "DELETE FROM remote_refs WHERE store_id = ?1 AND memory_id = ?2",
            params![store.id, r.memory_id],
        )?;
        match local.get(&r.memory_id) {
            Some(e) if clean(&local, &r) => {
                deletes.push(FileChange::Delete { path: e.path.clone(), expect_sha256: None });
                out.fast_forwarded.push(e.path.clone());
            }
            Some(e) => conflicts.push(Conflict {
                change: conflict_change("delete", e, Some(text(tx, &e.sha256)?), None, &format!(
                    "Deleted on {} while it changed here; accept to delete it here too, reject to keep it (the next push creates it again).",
                    data.remote_id
                )),
                remote_id: None,
            }),
            None => {}
        }
    }
    for m in &data.memories {
        let content = m.content.clone().ok_or_else(|| {
            Error::Internal(format!("memory {} was fetched without content", m.id))
        })?;
        let Some(r) = refs.get(&m.id).cloned() else {
            match by_path.get(&m.path) {
                None => {
                    puts.push(FileChange::Put {
                        path: m.path.clone(),
                        content: content.into_bytes(),
                        expect_sha256: None,
                    });
                    new_refs.push((m.path.clone(), m.clone()));
                    out.fast_forwarded.push(m.path.clone());
                }
                Some(e) if e.sha256 == m.sha256 => adopt(tx, store.id, refs, e.memory_id, m)?,
                Some(e) => {
                    adopt(tx, store.id, refs, e.memory_id, m)?;
                    let why = format!(
                        "Created both here and on {} with different content; the proposed text is the remote one.",
                        data.remote_id
                    );
                    conflicts.push(Conflict {
                        change: conflict_change(
                            "modify",
                            e,
                            Some(text(tx, &e.sha256)?),
                            Some(content),
                            &why,
                        ),
                        remote_id: Some(m.id.clone()),
                    });
                }
            }
            continue;
        };
        if m.path == r.path && m.sha256 == r.sha256 {
            continue;
        }
        let mine = local.get(&r.memory_id);
        let occupied = by_path
            .get(&m.path)
            .is_some_and(|e| e.memory_id != r.memory_id);
        if clean(&local, &r) && !occupied {
            if m.path != r.path {
                renames.push(FileChange::Rename {
                    from: r.path.clone(),
                    to: m.path.clone(),
                    expect_sha256: None,
                });
            }
            if m.sha256 != r.sha256 {
                puts.push(FileChange::Put {
                    path: m.path.clone(),
                    content: content.into_bytes(),
                    expect_sha256: None,
                });
            }
            out.fast_forwarded.push(m.path.clone());
            adopt(tx, store.id, refs, r.memory_id, m)?;
        } else if mine.is_some_and(|e| e.path == m.path && e.sha256 == m.sha256) {
            adopt(tx, store.id, refs, r.memory_id, m)?;
        } else {
            let change = both_sides(tx, &r, mine, m, content, &data.remote_id)?;
            adopt(tx, store.id, refs, r.memory_id, m)?;
            conflicts.push(Conflict {
                change,
                remote_id: Some(m.id.clone()),
            });
        }
    }
    let mut changes = deletes;
    changes.extend(renames);
    changes.extend(puts);
    let mut spec = OpSpec::new(OpKind::Import, format!("pull {}", data.remote_id));
    spec.allow_empty = out.linked_now;
    let store = store_named(tx, name)?;
    if let Some(d) = commit_in_tx(tx, ctx, &store, &spec, changes, false)? {
        out.import_op = Some(d.op.id);
        for (path, m) in new_refs {
            if let Some(f) = d.files.iter().find(|f| f.path == path) {
                adopt(tx, store.id, refs, f.memory_id, &m)?;
            }
        }
    }
    Ok(conflicts)
}

/// Points the ref of remote memory `m` at local memory `memory_id`, as last seen remotely.
fn adopt(
    tx: &Connection,
    store_id: i64,
    refs: &mut HashMap<String, Ref>,
    memory_id: MemoryId,
    m: &RemoteMemory,
) -> Result<()> {
    let previous = refs.get(&m.id).and_then(|r| r.version_id.clone());
    let r = Ref {
        memory_id,
        remote_id: m.id.clone(),
        path: m.path.clone(),
        sha256: m.sha256.clone(),
        version_id: previous,
        conflict_change_id: None,
    };
    save_ref(tx, store_id, &r)?;
    refs.insert(m.id.clone(), r);
    Ok(())
}
