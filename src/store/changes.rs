//! The one write path for memory contents: a set of file changes checked against the head state
//! and committed as exactly one operation, with its versions, blobs and audit record.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, Transaction, params};
use serde_json::json;

use super::Db;
use super::stores::{head_op, insert_store, root_hash, state_map, store_row};
use crate::audit;
use crate::error::{Error, Result};
use crate::memory_path;
use crate::model::{
    Entry, FileTouch, MemoryId, OpDetail, OpId, OpKind, Operation, Store, VersionKind,
};
use crate::util::{Ctx, sha256_hex};

/// One requested change; `expect_sha256` is a precondition on the current content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FileChange {
    Put {
        path: String,
        content: Vec<u8>,
        expect_sha256: Option<String>,
    },
    Delete {
        path: String,
        expect_sha256: Option<String>,
    },
    Rename {
        from: String,
        to: String,
        expect_sha256: Option<String>,
    },
}

/// What the operation is, beyond its file changes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpSpec {
    pub kind: OpKind,
    pub reason: String,
    pub restores_op_id: Option<OpId>,
    pub dream_id: Option<i64>,
    pub proposal_id: Option<i64>,
    /// Record the operation even when no file changes (tags, store creation).
    pub allow_empty: bool,
}

impl OpSpec {
    pub fn new(kind: OpKind, reason: impl Into<String>) -> Self {
        Self {
            kind,
            reason: reason.into(),
            restores_op_id: None,
            dream_id: None,
            proposal_id: None,
            allow_empty: false,
        }
    }
}

/// A batch of changes for one store, committed with [`Db::commit`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ChangeSet {
    pub spec: OpSpec,
    pub changes: Vec<FileChange>,
    /// Delete every memory the changes did not put (an import that mirrors a folder).
    pub mirror: bool,
    /// Create the store, in the same transaction, when it does not exist.
    pub create_store: bool,
}

impl ChangeSet {
    pub fn new(spec: OpSpec, changes: Vec<FileChange>) -> Self {
        Self {
            spec,
            changes,
            mirror: false,
            create_store: false,
        }
    }
}

/// A memory's identity inside a draft: stored already, or new in this operation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Key {
    Existing(MemoryId),
    New(usize),
}

#[derive(Debug, Clone)]
struct Live {
    key: Key,
    sha256: String,
    size: usize,
}

/// What one memory looks like after the draft, against how it looked at the head.
#[derive(Debug, Clone)]
struct Touch {
    before: Option<(String, String)>,
    after: Option<(String, String, usize)>,
}

/// The head state with changes applied in memory; nothing is written until [`Draft::commit`].
struct Draft<'a> {
    store: &'a Store,
    live: BTreeMap<String, Live>,
    touched: HashMap<Key, Touch>,
    order: Vec<Key>,
    new_blobs: HashMap<String, Vec<u8>>,
    next_new: usize,
}

impl<'a> Draft<'a> {
    fn new(store: &'a Store, head: &BTreeMap<String, Entry>) -> Self {
        let live = head
            .iter()
            .map(|(p, e)| {
                (
                    p.clone(),
                    Live {
                        key: Key::Existing(e.memory_id),
                        sha256: e.sha256.clone(),
                        size: e.size,
                    },
                )
            })
            .collect();
        Self {
            store,
            live,
            touched: HashMap::new(),
            order: Vec::new(),
            new_blobs: HashMap::new(),
            next_new: 0,
        }
    }

    fn check_expect(&self, path: &str, expect: Option<&String>) -> Result<()> {
        let Some(expected) = expect else {
            return Ok(());
        };
        let found = self
            .live
            .get(path)
            .map_or("(absent)", |l| l.sha256.as_str());
        if !found.eq_ignore_ascii_case(expected) {
            return Err(Error::PreconditionFailed {
                path: path.into(),
                expected: expected.clone(),
                found: found.into(),
            });
        }
        Ok(())
    }

    fn note_before(&mut self, key: Key, path: &str, sha: &str) {
        if let std::collections::hash_map::Entry::Vacant(slot) = self.touched.entry(key) {
            let before = matches!(key, Key::Existing(_)).then(|| (path.to_owned(), sha.to_owned()));
            slot.insert(Touch {
                before,
                after: None,
            });
            self.order.push(key);
        }
    }

    fn set_after(&mut self, key: Key, after: Option<(String, String, usize)>) {
        if let Some(t) = self.touched.get_mut(&key) {
            t.after = after;
        }
    }

    fn apply(&mut self, change: FileChange) -> Result<()> {
        match change {
            FileChange::Put {
                path,
                content,
                expect_sha256,
            } => {
                memory_path::validate(&path)?;
                self.check_expect(&path, expect_sha256.as_ref())?;
                if content.len() > self.store.max_content_bytes {
                    return Err(Error::TooLarge {
                        what: format!("content of {path}"),
                        size: content.len(),
                        limit: self.store.max_content_bytes,
                    });
                }
                if std::str::from_utf8(&content).is_err() {
                    return Err(Error::NotUtf8 {
                        what: format!("content of {path}"),
                    });
                }
                let sha = sha256_hex(&content);
                let size = content.len();
                let key = if let Some(l) = self.live.get(&path) {
                    let (key, old_sha) = (l.key, l.sha256.clone());
                    self.note_before(key, &path, &old_sha);
                    key
                } else {
                    let key = Key::New(self.next_new);
                    self.next_new += 1;
                    self.touched.insert(
                        key,
                        Touch {
                            before: None,
                            after: None,
                        },
                    );
                    self.order.push(key);
                    key
                };
                self.new_blobs.entry(sha.clone()).or_insert(content);
                self.live.insert(
                    path.clone(),
                    Live {
                        key,
                        sha256: sha.clone(),
                        size,
                    },
                );
                self.set_after(key, Some((path, sha, size)));
            }
            FileChange::Delete {
                path,
                expect_sha256,
            } => {
                memory_path::validate(&path)?;
                self.check_expect(&path, expect_sha256.as_ref())?;
                let Some(l) = self.live.remove(&path) else {
                    return Err(Error::NotFound {
                        kind: "memory",
                        name: path,
                    });
                };
                self.note_before(l.key, &path, &l.sha256);
                self.set_after(l.key, None);
            }
            FileChange::Rename {
                from,
                to,
                expect_sha256,
            } => {
                memory_path::validate(&from)?;
                memory_path::validate(&to)?;
                self.check_expect(&from, expect_sha256.as_ref())?;
                if self.live.contains_key(&to) {
                    return Err(Error::AlreadyExists {
                        kind: "memory",
                        name: to,
                    });
                }
                let Some(l) = self.live.remove(&from) else {
                    return Err(Error::NotFound {
                        kind: "memory",
                        name: from,
                    });
                };
                self.note_before(l.key, &from, &l.sha256);
                self.set_after(l.key, Some((to.clone(), l.sha256.clone(), l.size)));
                self.live.insert(to, l);
            }
        }
        Ok(())
    }

    /// Rollback, step 1: takes a stored memory out of the live state (all of them go out before
    /// any comes back, so swapped or reused paths never collide).
    fn detach(&mut self, memory: MemoryId, current: Option<&Entry>) {
        let key = Key::Existing(memory);
        if let Some(cur) = current {
            self.live.remove(&cur.path);
            self.note_before(key, &cur.path, &cur.sha256);
        } else {
            self.touched.insert(
                key,
                Touch {
                    before: None,
                    after: None,
                },
            );
            self.order.push(key);
        }
    }

    /// Rollback, step 2: puts a stored memory back as `target` (its blob exists already).
    fn attach(&mut self, memory: MemoryId, target: &Entry) {
        let key = Key::Existing(memory);
        self.live.insert(
            target.path.clone(),
            Live {
                key,
                sha256: target.sha256.clone(),
                size: target.size,
            },
        );
        self.set_after(
            key,
            Some((target.path.clone(), target.sha256.clone(), target.size)),
        );
    }

    /// Deletes every live memory that no change in this draft put or renamed.
    fn delete_untouched(&mut self) {
        let untouched: Vec<(String, Key, String)> = self
            .live
            .iter()
            .filter(|(_, l)| !self.touched.contains_key(&l.key))
            .map(|(p, l)| (p.clone(), l.key, l.sha256.clone()))
            .collect();
        for (path, key, sha) in untouched {
            self.live.remove(&path);
            self.note_before(key, &path, &sha);
            self.set_after(key, None);
        }
    }

    /// The touched memories whose state really differs from the head.
    fn effective(&self) -> Vec<(Key, &Touch)> {
        self.order
            .iter()
            .filter_map(|k| self.touched.get(k).map(|t| (*k, t)))
            .filter(|(_, t)| match (&t.before, &t.after) {
                (Some((bp, bs)), Some((ap, as_, _))) => bp != ap || bs != as_,
                (None, None) => false,
                _ => true,
            })
            .collect()
    }

    fn commit(
        self,
        tx: &Connection,
        ctx: &Ctx,
        spec: &OpSpec,
        parent: Option<OpId>,
    ) -> Result<Option<OpDetail>> {
        self.commit_as(tx, ctx, ctx, spec, parent)
    }

    /// As [`Draft::commit`], the operation attributed to `ctx` (who and when it happened, e.g. a
    /// remote actor at the remote time) and audited as `audit_ctx` (who recorded it, now).
    fn commit_as(
        self,
        tx: &Connection,
        ctx: &Ctx,
        audit_ctx: &Ctx,
        spec: &OpSpec,
        parent: Option<OpId>,
    ) -> Result<Option<OpDetail>> {
        let effective = self.effective();
        if effective.is_empty() && !spec.allow_empty {
            return Ok(None);
        }
        let root = root_hash(
            self.live
                .iter()
                .map(|(p, l)| (p.as_str(), l.sha256.as_str())),
        );
        tx.execute(
            "INSERT INTO operations (store_id, parent_id, kind, actor, at, reason, restores_op_id,
                                     dream_id, proposal_id, root_hash, files_changed)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)",
            params![
                self.store.id,
                parent,
                spec.kind.as_str(),
                ctx.actor,
                ctx.now,
                spec.reason,
                spec.restores_op_id,
                spec.dream_id,
                spec.proposal_id,
                root,
                effective.len() as i64
            ],
        )?;
        let op_id = tx.last_insert_rowid();
        let mut insert_blob = tx.prepare_cached(
            "INSERT OR IGNORE INTO blobs (sha256, size, bytes) VALUES (?1, ?2, ?3)",
        )?;
        let mut insert_memory =
            tx.prepare_cached("INSERT INTO memories (store_id, created_op_id) VALUES (?1, ?2)")?;
        let mut insert_version = tx.prepare_cached(
            "INSERT INTO versions (memory_id, store_id, op_id, kind, path, sha256, size, prev_id)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7,
                     (SELECT max(id) FROM versions WHERE memory_id = ?1))",
        )?;
        let mut files = Vec::with_capacity(effective.len());
        for (key, touch) in effective {
            let memory_id = match key {
                Key::Existing(id) => id,
                Key::New(_) => {
                    insert_memory.execute(params![self.store.id, op_id])?;
                    tx.last_insert_rowid()
                }
            };
            let (kind, path, sha, size) = match (&touch.before, &touch.after) {
                (None, Some((p, s, n))) => (VersionKind::Created, p, s, *n),
                (Some((bp, _)), Some((p, s, n))) if bp != p => (VersionKind::Renamed, p, s, *n),
                (Some(_), Some((p, s, n))) => (VersionKind::Modified, p, s, *n),
                (Some((p, s)), None) => (VersionKind::Deleted, p, s, 0),
                (None, None) => continue,
            };
            if let Some(bytes) = self.new_blobs.get(sha) {
                insert_blob.execute(params![sha, bytes.len() as i64, bytes])?;
            }
            insert_version.execute(params![
                memory_id,
                self.store.id,
                op_id,
                kind.as_str(),
                path,
                sha,
                size as i64
            ])?;
            files.push(FileTouch {
                memory_id,
                kind,
                path: path.clone(),
                old_path: touch
                    .before
                    .as_ref()
                    .map(|b| b.0.clone())
                    .filter(|b| b != path),
                before_sha256: touch.before.as_ref().map(|b| b.1.clone()),
                after_sha256: touch.after.as_ref().map(|a| a.1.clone()),
            });
        }
        let op = Operation {
            id: op_id,
            store_id: self.store.id,
            parent_id: parent,
            kind: spec.kind.as_str().into(),
            actor: ctx.actor.clone(),
            at: ctx.now.clone(),
            reason: spec.reason.clone(),
            restores_op_id: spec.restores_op_id,
            dream_id: spec.dream_id,
            proposal_id: spec.proposal_id,
            root_hash: root,
            files_changed: files.len(),
            tags: Vec::new(),
        };
        let detail = OpDetail { op, files };
        audit_operation(tx, audit_ctx, self.store, &detail)?;
        Ok(Some(detail))
    }
}

/// One audit record per operation: before/after sha256 of every file it touched.
fn audit_operation(tx: &Connection, ctx: &Ctx, store: &Store, d: &OpDetail) -> Result<()> {
    let files: Vec<_> = d
        .files
        .iter()
        .map(|f| {
            json!({
                "path": f.path,
                "old_path": f.old_path,
                "change": f.kind.as_str(),
                "before": f.before_sha256,
                "after": f.after_sha256,
            })
        })
        .collect();
    let details = json!({
        "store": store.name,
        "op": d.op.id,
        "parent": d.op.parent_id,
        "root_hash": d.op.root_hash,
        "restores_op": d.op.restores_op_id,
        "dream": d.op.dream_id,
        "proposal": d.op.proposal_id,
        "files": files,
    });
    let action = format!("op.{}", d.op.kind);
    audit::append(tx, ctx, &action, &store.name, &details, &d.op.reason)
}

impl Db {
    /// Applies `set` to the store's head as one operation. Returns `None` when nothing would
    /// change (and the spec does not ask for an empty operation).
    pub fn commit(&mut self, ctx: &Ctx, store: &str, set: ChangeSet) -> Result<Option<OpDetail>> {
        self.commit_with(ctx, store, set, |_, _| Ok(()))
    }

    /// As [`Db::commit`], running `also` in the same transaction after the operation is written
    /// (rows that belong with it: a tag, a proposal's state).
    pub(crate) fn commit_with(
        &mut self,
        ctx: &Ctx,
        store: &str,
        set: ChangeSet,
        also: impl FnOnce(&Transaction<'_>, Option<&OpDetail>) -> Result<()>,
    ) -> Result<Option<OpDetail>> {
        self.write(|tx| {
            if set.create_store && store_row(tx, store)?.is_none() {
                insert_store(tx, ctx, store, "", None)?;
            }
            let store = store_row(tx, store)?.ok_or_else(|| Error::NotFound {
                kind: "store",
                name: store.into(),
            })?;
            let detail = commit_in_tx(tx, ctx, &store, &set.spec, set.changes, set.mirror)?;
            also(tx, detail.as_ref())?;
            Ok(detail)
        })
    }

    /// A new operation whose state equals the state at `target`; history is kept.
    pub fn rollback(
        &mut self,
        ctx: &Ctx,
        store: &str,
        target: OpId,
        reason: &str,
    ) -> Result<OpDetail> {
        if reason.trim().is_empty() {
            return Err(Error::Invalid(
                "a rollback needs a reason (--reason TEXT)".into(),
            ));
        }
        let store = self.store(store)?;
        self.write(|tx| {
            let target_store: Option<i64> = tx
                .query_row(
                    "SELECT store_id FROM operations WHERE id = ?1",
                    [target],
                    |r| r.get(0),
                )
                .ok();
            if target_store != Some(store.id) {
                return Err(Error::NotFound {
                    kind: "operation",
                    name: format!("{target} in store {}", store.name),
                });
            }
            let head = head_op(tx, store.id)?;
            let current = by_memory(state_map(tx, store.id, head)?);
            let wanted = by_memory(state_map(tx, store.id, Some(target))?);
            let mut draft = Draft::new(
                &store,
                &current
                    .values()
                    .map(|e| (e.path.clone(), e.clone()))
                    .collect(),
            );
            let mut ids: Vec<MemoryId> = current.keys().chain(wanted.keys()).copied().collect();
            ids.sort_unstable();
            ids.dedup();
            ids.retain(|id| match (current.get(id), wanted.get(id)) {
                (Some(c), Some(w)) => c.path != w.path || c.sha256 != w.sha256,
                _ => true,
            });
            for id in &ids {
                draft.detach(*id, current.get(id));
            }
            for id in &ids {
                if let Some(want) = wanted.get(id) {
                    draft.attach(*id, want);
                }
            }
            let mut spec = OpSpec::new(OpKind::Rollback, reason);
            spec.restores_op_id = Some(target);
            spec.allow_empty = true;
            draft
                .commit(tx, ctx, &spec, head)?
                .ok_or_else(|| Error::Internal("rollback produced no operation".into()))
        })
    }
}

/// Applies `changes` to the head of `store` as one operation inside the caller's transaction.
pub(crate) fn commit_in_tx(
    tx: &Connection,
    ctx: &Ctx,
    store: &Store,
    spec: &OpSpec,
    changes: Vec<FileChange>,
    mirror: bool,
) -> Result<Option<OpDetail>> {
    let head = head_op(tx, store.id)?;
    let state = state_map(tx, store.id, head)?;
    let mut draft = Draft::new(store, &state);
    for change in changes {
        draft.apply(change)?;
    }
    if mirror {
        draft.delete_untouched();
    }
    draft.commit(tx, ctx, spec, head)
}

/// As [`commit_in_tx`], the operation attributed to `op_ctx` (a remote actor and the remote time
/// of the change) while its audit record names `audit_ctx`, who imported it and when; on a head
/// state the caller already holds (`state` must be the state at `head`, the store's newest
/// operation): for many operations in a row.
#[allow(clippy::too_many_arguments)]
pub(crate) fn commit_on_state(
    tx: &Connection,
    op_ctx: &Ctx,
    audit_ctx: &Ctx,
    store: &Store,
    head: Option<OpId>,
    state: &BTreeMap<String, Entry>,
    spec: &OpSpec,
    changes: Vec<FileChange>,
) -> Result<Option<OpDetail>> {
    let mut draft = Draft::new(store, state);
    for change in changes {
        draft.apply(change)?;
    }
    draft.commit_as(tx, op_ctx, audit_ctx, spec, head)
}

/// Every store starts with an empty `create` operation, so "before anything" can be restored.
pub(crate) fn initial_operation(
    tx: &Connection,
    ctx: &Ctx,
    store_id: i64,
    name: &str,
) -> Result<()> {
    let store = Store {
        id: store_id,
        name: name.into(),
        description: String::new(),
        mode: "review".into(),
        max_content_bytes: 0,
        deletion_budget: 0.0,
        created_at: ctx.now.clone(),
        head_op_id: None,
        memories: 0,
    };
    let mut spec = OpSpec::new(OpKind::Create, "store created");
    spec.allow_empty = true;
    Draft::new(&store, &BTreeMap::new()).commit(tx, ctx, &spec, None)?;
    Ok(())
}

fn by_memory(state: BTreeMap<String, Entry>) -> BTreeMap<MemoryId, Entry> {
    state.into_values().map(|e| (e.memory_id, e)).collect()
}
