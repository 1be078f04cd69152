//! Reading the operation log: resolving op references, log/show, the files that differ between
//! two operations, blame, and tags.

use std::collections::BTreeMap;

use rusqlite::{OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::Db;
use super::stores::{head_op, read_blob, state_at};
use crate::audit;
use crate::error::{Error, Result};
use crate::model::{
    Entry, FileTouch, MemoryId, OpDetail, OpId, OpKind, Operation, Store, VersionKind,
};
use crate::util::Ctx;

/// A parsed operation reference: `@` (head), `@~N` / `@-` (N back), an id, or a tag name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OpRef {
    Head(usize),
    Id(OpId),
    Tag(String),
}

impl OpRef {
    pub fn parse(s: &str) -> Self {
        let s = s.trim();
        if s == "@" || s == "head" {
            return Self::Head(0);
        }
        if let Some(rest) = s.strip_prefix('@') {
            if !rest.is_empty() && rest.chars().all(|c| c == '-') {
                return Self::Head(rest.len());
            }
            if let Some(n) = rest.strip_prefix('~').and_then(|n| n.parse().ok()) {
                return Self::Head(n);
            }
        }
        match s.parse() {
            Ok(id) => Self::Id(id),
            Err(_) => Self::Tag(s.to_owned()),
        }
    }
}

/// One line of a blamed file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BlameLine {
    pub line: usize,
    pub text: String,
    pub op_id: OpId,
    pub kind: String,
    pub actor: String,
    pub at: String,
    pub reason: String,
    pub dream_id: Option<i64>,
    pub proposal_id: Option<i64>,
    /// Sessions the dream cited for this file (empty for lines no dream wrote).
    pub evidence_sessions: Vec<String>,
    /// For lines a dream wrote: its engine and model (`anthropic claude-…`, `builtin 0.2.0`).
    pub engine: Option<String>,
    /// For lines a dream wrote: the evidence its change to this file cited.
    pub evidence: Vec<crate::dream::Evidence>,
}

/// A memory's content on both sides of a comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FileDiff {
    pub memory_id: MemoryId,
    pub old_path: Option<String>,
    pub new_path: Option<String>,
    pub old: Option<Vec<u8>>,
    pub new: Option<Vec<u8>>,
}

const OP_COLUMNS: &str = "id, store_id, parent_id, kind, actor, at, reason, restores_op_id, \
                          dream_id, proposal_id, root_hash, files_changed";

fn op_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Operation> {
    Ok(Operation {
        id: r.get(0)?,
        store_id: r.get(1)?,
        parent_id: r.get(2)?,
        kind: r.get(3)?,
        actor: r.get(4)?,
        at: r.get(5)?,
        reason: r.get(6)?,
        restores_op_id: r.get(7)?,
        dream_id: r.get(8)?,
        proposal_id: r.get(9)?,
        root_hash: r.get(10)?,
        files_changed: r.get::<_, i64>(11)? as usize,
        tags: Vec::new(),
    })
}

impl Db {
    /// Resolves a reference to an operation of `store`.
    pub fn resolve_op(&self, store: &Store, reference: &str) -> Result<OpId> {
        let not_found = || Error::NotFound {
            kind: "operation",
            name: reference.to_owned(),
        };
        match OpRef::parse(reference) {
            OpRef::Head(back) => {
                let id: Option<OpId> = self
                    .conn
                    .query_row(
                        "SELECT id FROM operations WHERE store_id = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?2",
                        params![store.id, back as i64],
                        |r| r.get(0),
                    )
                    .optional()?;
                id.ok_or_else(not_found)
            }
            OpRef::Id(id) => {
                let found: Option<i64> = self
                    .conn
                    .query_row("SELECT store_id FROM operations WHERE id = ?1", [id], |r| {
                        r.get(0)
                    })
                    .optional()?;
                if found == Some(store.id) {
                    Ok(id)
                } else {
                    Err(not_found())
                }
            }
            OpRef::Tag(name) => self
                .conn
                .query_row(
                    "SELECT op_id FROM tags WHERE store_id = ?1 AND name = ?2",
                    params![store.id, name],
                    |r| r.get(0),
                )
                .optional()?
                .ok_or_else(not_found),
        }
    }

    /// How many of the store's operations are `op` or newer.
    pub fn ops_since(&self, store: &Store, op: i64) -> Result<usize> {
        let n: i64 = self.conn.query_row(
            "SELECT COUNT(*) FROM operations WHERE store_id = ?1 AND id >= ?2",
            params![store.id, op],
            |r| r.get(0),
        )?;
        Ok(usize::try_from(n).unwrap_or(0))
    }

    /// Operations newest first (at most `limit`), each with the files it touched.
    pub fn log(&self, store: &Store, limit: Option<usize>) -> Result<Vec<OpDetail>> {
        self.log_with(store, limit, None)
    }

    /// As [`Db::log`], listing at most `max_files` files per operation (in the order they were
    /// written; `files_changed` still counts them all) — cheap for an import of 10,000 files.
    pub fn log_with(
        &self,
        store: &Store,
        limit: Option<usize>,
        max_files: Option<usize>,
    ) -> Result<Vec<OpDetail>> {
        let limit = limit.map_or(-1, |n| n as i64);
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OP_COLUMNS} FROM operations WHERE store_id = ?1 ORDER BY id DESC LIMIT ?2"
        ))?;
        let ops: Vec<Operation> = stmt
            .query_map(params![store.id, limit], op_from_row)?
            .collect::<Result<_, _>>()?;
        let (Some(newest), Some(oldest)) = (ops.first(), ops.last()) else {
            return Ok(Vec::new());
        };
        let mut touches = self.touches_between(store.id, oldest.id, newest.id, max_files)?;
        let mut tags = self.tags_by_op(store.id)?;
        Ok(ops
            .into_iter()
            .map(|mut op| {
                op.tags = tags.remove(&op.id).unwrap_or_default();
                let files = touches.remove(&op.id).unwrap_or_default();
                OpDetail { op, files }
            })
            .collect())
    }

    /// Streams the log newest first for display: each operation with at most `max_files` of its
    /// files (kind, path, and the old path of a rename), without collecting the whole history.
    pub fn log_for_display(
        &self,
        store: &Store,
        limit: Option<usize>,
        max_files: usize,
        mut each: impl FnMut(&Operation, &[(VersionKind, String, Option<String>)]) -> Result<()>,
    ) -> Result<()> {
        let limit = limit.map_or(-1, |n| n as i64);
        let mut ops = self.conn.prepare(&format!(
            "SELECT {OP_COLUMNS} FROM operations WHERE store_id = ?1 ORDER BY id DESC LIMIT ?2"
        ))?;
        // Walks the (store, op) index backwards in step with the operations.
        let mut files = self.conn.prepare(
            "SELECT v.op_id, v.kind, v.path,
                    CASE WHEN v.kind = 'renamed'
                         THEN (SELECT p.path FROM versions p WHERE p.id = v.prev_id) END
             FROM versions v WHERE v.store_id = ?1 ORDER BY v.op_id DESC, v.memory_id DESC",
        )?;
        let mut tags = self.tags_by_op(store.id)?;
        let mut file_rows = files.query([store.id])?;
        let mut pending: Option<(OpId, VersionKind, String, Option<String>)> = None;
        let mut op_rows = ops.query(params![store.id, limit])?;
        let mut listed = Vec::new();
        while let Some(row) = op_rows.next()? {
            let mut op = op_from_row(row)?;
            op.tags = tags.remove(&op.id).unwrap_or_default();
            listed.clear();
            loop {
                if pending.is_none() {
                    pending = match file_rows.next()? {
                        Some(r) => Some((
                            r.get(0)?,
                            VersionKind::parse(&r.get::<_, String>(1)?)
                                .unwrap_or(VersionKind::Modified),
                            r.get(2)?,
                            r.get(3)?,
                        )),
                        None => None,
                    };
                }
                match pending.take() {
                    Some(f) if f.0 > op.id => {}
                    Some(f) if f.0 == op.id => {
                        if listed.len() < max_files {
                            listed.push((f.1, f.2, f.3));
                        }
                    }
                    other => {
                        pending = other;
                        break;
                    }
                }
            }
            each(&op, &listed)?;
        }
        Ok(())
    }

    /// One operation with the files it touched.
    pub fn operation(&self, store: &Store, op: OpId) -> Result<OpDetail> {
        let mut op_row = self
            .conn
            .query_row(
                &format!("SELECT {OP_COLUMNS} FROM operations WHERE id = ?1 AND store_id = ?2"),
                params![op, store.id],
                op_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                kind: "operation",
                name: op.to_string(),
            })?;
        op_row.tags = self.tags_by_op(store.id)?.remove(&op).unwrap_or_default();
        let files = self
            .touches_between(store.id, op, op, None)?
            .remove(&op)
            .unwrap_or_default();
        Ok(OpDetail { op: op_row, files })
    }

    /// The operations `ids` of `store` (newest first), each with its tags and files: one read of
    /// the rows and of the files between the oldest and the newest of them, and of the tags.
    pub(crate) fn operations_among(
        &self,
        store: &Store,
        ids: &std::collections::BTreeSet<OpId>,
    ) -> Result<Vec<OpDetail>> {
        let (Some(&oldest), Some(&newest)) = (ids.first(), ids.last()) else {
            return Ok(Vec::new());
        };
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {OP_COLUMNS} FROM operations
             WHERE store_id = ?1 AND id BETWEEN ?2 AND ?3 ORDER BY id DESC"
        ))?;
        let ops: Vec<Operation> = stmt
            .query_map(params![store.id, oldest, newest], op_from_row)?
            .filter(|op| op.as_ref().map_or(true, |o| ids.contains(&o.id)))
            .collect::<Result<_, _>>()?;
        let mut touches = self.touches_between(store.id, oldest, newest, None)?;
        let mut tags = self.tags_by_op(store.id)?;
        Ok(ops
            .into_iter()
            .map(|mut op| {
                op.tags = tags.remove(&op.id).unwrap_or_default();
                let files = touches.remove(&op.id).unwrap_or_default();
                OpDetail { op, files }
            })
            .collect())
    }

    /// Files touched by operations `from..=to`, with the previous version of each for the
    /// before-side.
    fn touches_between(
        &self,
        store_id: i64,
        from: OpId,
        to: OpId,
        max_per_op: Option<usize>,
    ) -> Result<BTreeMap<OpId, Vec<FileTouch>>> {
        // The cap is applied on the index alone, before any row is joined or read.
        let mut stmt = self.conn.prepare_cached(
            "SELECT v.op_id, v.memory_id, v.kind, v.path, v.sha256,
                    p.path, p.sha256, p.kind
             FROM (SELECT id, row_number() OVER (PARTITION BY op_id ORDER BY id) AS n
                   FROM versions WHERE store_id = ?1 AND op_id BETWEEN ?2 AND ?3) w
             JOIN versions v ON v.id = w.id
             LEFT JOIN versions p ON p.id = v.prev_id
             WHERE ?4 < 0 OR w.n <= ?4
             ORDER BY v.op_id, v.id",
        )?;
        let cap = max_per_op.map_or(-1, |n| n as i64);
        let mut out: BTreeMap<OpId, Vec<FileTouch>> = BTreeMap::new();
        let rows = stmt.query_map(params![store_id, from, to, cap], |r| {
            let kind: String = r.get(2)?;
            let prev_kind: Option<String> = r.get(7)?;
            let prev_live = prev_kind.as_deref().is_some_and(|k| k != "deleted");
            let path: String = r.get(3)?;
            let prev_path: Option<String> = r.get(5)?;
            let kind = VersionKind::parse(&kind).unwrap_or(VersionKind::Modified);
            Ok((
                r.get::<_, OpId>(0)?,
                FileTouch {
                    memory_id: r.get(1)?,
                    kind,
                    old_path: prev_path.filter(|p| prev_live && *p != path),
                    before_sha256: if prev_live { r.get(6)? } else { None },
                    after_sha256: if kind == VersionKind::Deleted {
                        None
                    } else {
                        Some(r.get(4)?)
                    },
                    path,
                },
            ))
        })?;
        for row in rows {
            let (op, touch) = row?;
            out.entry(op).or_default().push(touch);
        }
        Ok(out)
    }

    fn tags_by_op(&self, store_id: i64) -> Result<BTreeMap<OpId, Vec<String>>> {
        let mut stmt = self
            .conn
            .prepare("SELECT op_id, name FROM tags WHERE store_id = ?1 ORDER BY name")?;
        let mut out: BTreeMap<OpId, Vec<String>> = BTreeMap::new();
        for row in stmt.query_map([store_id], |r| Ok((r.get(0)?, r.get(1)?)))? {
            let (op, name): (OpId, String) = row?;
            out.entry(op).or_default().push(name);
        }
        Ok(out)
    }

    /// The memories that differ between the states at `from` (empty when `None`) and `to`,
    /// matched by identity so renames pair up.
    pub fn diff_states(
        &self,
        store: &Store,
        from: Option<OpId>,
        to: OpId,
        path: Option<&str>,
    ) -> Result<Vec<FileDiff>> {
        let side = |op: Option<OpId>| -> Result<BTreeMap<MemoryId, Entry>> {
            let entries = match op {
                Some(op) => state_at(&self.conn, store.id, op)?,
                None => Vec::new(),
            };
            Ok(entries.into_iter().map(|e| (e.memory_id, e)).collect())
        };
        let (old, new) = (side(from)?, side(Some(to))?);
        let mut ids: Vec<MemoryId> = old.keys().chain(new.keys()).copied().collect();
        ids.sort_unstable();
        ids.dedup();
        let mut out = Vec::new();
        for id in ids {
            let (o, n) = (old.get(&id), new.get(&id));
            if let (Some(o), Some(n)) = (o, n)
                && o.path == n.path
                && o.sha256 == n.sha256
            {
                continue;
            }
            if let Some(p) = path
                && o.map(|e| e.path.as_str()) != Some(p)
                && n.map(|e| e.path.as_str()) != Some(p)
            {
                continue;
            }
            out.push(FileDiff {
                memory_id: id,
                old_path: o.map(|e| e.path.clone()),
                new_path: n.map(|e| e.path.clone()),
                old: o.map(|e| read_blob(&self.conn, &e.sha256)).transpose()?,
                new: n.map(|e| read_blob(&self.conn, &e.sha256)).transpose()?,
            });
        }
        out.sort_by(|a, b| {
            a.new_path
                .as_ref()
                .or(a.old_path.as_ref())
                .cmp(&b.new_path.as_ref().or(b.old_path.as_ref()))
        });
        Ok(out)
    }

    /// Each line of the memory at `path` (at `at`, or head) with the operation that introduced
    /// it. Lines survive deletions and restores: a rollback that brings text back keeps the
    /// operation that first wrote it.
    pub fn blame(&self, store: &Store, path: &str, at: Option<OpId>) -> Result<Vec<BlameLine>> {
        let entry = self.entry(store, path, at)?;
        let mut stmt = self.conn.prepare(&format!(
            "SELECT v.sha256, v.kind, {} FROM versions v JOIN operations o ON o.id = v.op_id
             WHERE v.memory_id = ?1 AND v.op_id <= ?2 ORDER BY v.id",
            OP_COLUMNS
                .split(", ")
                .map(|c| format!("o.{c}"))
                .collect::<Vec<_>>()
                .join(", ")
        ))?;
        let versions: Vec<(String, String, Operation)> = stmt
            .query_map(params![entry.memory_id, entry.op_id], |r| {
                let op = op_from_row_offset(r)?;
                Ok((r.get(0)?, r.get(1)?, op))
            })?
            .collect::<Result<_, _>>()?;
        let mut lines: Vec<(String, usize)> = Vec::new();
        let mut ops: Vec<Operation> = Vec::new();
        // Content seen before (a rollback restoring it) keeps the attribution it had then.
        let mut seen: std::collections::HashMap<String, Vec<(String, usize)>> =
            std::collections::HashMap::new();
        for (sha, kind, op) in versions {
            if kind == "deleted" {
                continue;
            }
            if let Some(earlier) = seen.get(&sha) {
                lines.clone_from(earlier);
                continue;
            }
            let bytes = read_blob(&self.conn, &sha)?;
            let text = String::from_utf8_lossy(&bytes).into_owned();
            let old_text: String = lines.iter().map(|(l, _)| l.as_str()).collect();
            let op_index = ops.len();
            ops.push(op);
            let diff = similar::TextDiff::from_lines(old_text.as_str(), text.as_str());
            let mut next = Vec::new();
            for change in diff.iter_all_changes() {
                match change.tag() {
                    similar::ChangeTag::Equal => {
                        let owner = change
                            .old_index()
                            .and_then(|i| lines.get(i))
                            .map_or(op_index, |l| l.1);
                        next.push((change.value().to_owned(), owner));
                    }
                    similar::ChangeTag::Insert => next.push((change.value().to_owned(), op_index)),
                    similar::ChangeTag::Delete => {}
                }
            }
            lines = next;
            seen.insert(sha, lines.clone());
        }
        // For lines a dream wrote: the engine and the evidence its change cited.
        let mut cited: BTreeMap<usize, (Option<String>, Vec<crate::dream::Evidence>)> =
            BTreeMap::new();
        for (i, op) in ops.iter().enumerate() {
            if let Some(proposal) = op.proposal_id {
                let engine = match op.dream_id {
                    Some(d) => Some(
                        self.dream(d)
                            .map(|d| format!("{} {}", d.engine, d.engine_version))?,
                    ),
                    None => None,
                };
                cited.insert(i, (engine, self.cited_evidence(proposal, path)?));
            }
        }
        Ok(lines
            .into_iter()
            .enumerate()
            .map(|(i, (text, owner))| {
                let op = &ops[owner];
                let (engine, evidence) = cited.get(&owner).cloned().unwrap_or_default();
                let mut evidence_sessions: Vec<String> = Vec::new();
                for id in evidence.iter().filter_map(|e| e.session_id.clone()) {
                    if !evidence_sessions.contains(&id) {
                        evidence_sessions.push(id);
                    }
                }
                BlameLine {
                    evidence_sessions,
                    engine,
                    evidence,
                    line: i + 1,
                    text: text.trim_end_matches(['\n', '\r']).to_owned(),
                    op_id: op.id,
                    kind: op.kind.clone(),
                    actor: op.actor.clone(),
                    at: op.at.clone(),
                    reason: op.reason.clone(),
                    dream_id: op.dream_id,
                    proposal_id: op.proposal_id,
                }
            })
            .collect())
    }

    /// The evidence a proposal's changes to `path` cited.
    fn cited_evidence(&self, proposal: i64, path: &str) -> Result<Vec<crate::dream::Evidence>> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT evidence FROM changes WHERE proposal_id = ?1 AND (path = ?2 OR new_path = ?2)",
        )?;
        let mut out = Vec::new();
        for row in stmt.query_map(params![proposal, path], |r| r.get::<_, String>(0))? {
            let evidence: Vec<crate::dream::Evidence> =
                serde_json::from_str(&row?).unwrap_or_default();
            out.extend(evidence);
        }
        Ok(out)
    }

    /// Names an operation: a tag is itself recorded as an operation (no file changes).
    pub fn tag(
        &mut self,
        ctx: &Ctx,
        store: &str,
        name: &str,
        target: Option<&str>,
    ) -> Result<OpDetail> {
        let valid = !name.is_empty()
            && name.len() <= 64
            && !name.starts_with(['@', '-', '.'])
            && name != "head"
            && name.parse::<i64>().is_err()
            && name
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "._-/".contains(c));
        if !valid {
            return Err(Error::Invalid(format!(
                "invalid tag name {name:?}: use letters, digits, '.', '_', '-' or '/', not a number"
            )));
        }
        let meta = self.store(store)?;
        let op = self.resolve_op(&meta, target.unwrap_or("@"))?;
        let exists: bool = self.conn.query_row(
            "SELECT count(*) FROM tags WHERE store_id = ?1 AND name = ?2",
            params![meta.id, name],
            |r| r.get(0),
        )?;
        if exists {
            return Err(Error::AlreadyExists {
                kind: "tag",
                name: name.into(),
            });
        }
        let mut spec = super::OpSpec::new(OpKind::Tag, format!("tag {name} -> op {op}"));
        spec.allow_empty = true;
        let set = super::ChangeSet::new(spec, Vec::new());
        let store_id = meta.id;
        let tag_name = name.to_owned();
        self.commit_with(ctx, store, set, move |tx, _| {
            tx.execute(
                "INSERT INTO tags (store_id, name, op_id) VALUES (?1, ?2, ?3)",
                params![store_id, tag_name, op],
            )?;
            audit::append(
                tx,
                ctx,
                "tag.create",
                &tag_name,
                &json!({ "store_id": store_id, "op": op }),
                "",
            )
        })?
        .ok_or_else(|| Error::Internal("tag produced no operation".into()))
    }

    /// The newest operation of a store.
    pub fn head(&self, store: &Store) -> Result<Option<OpId>> {
        head_op(&self.conn, store.id)
    }
}

/// Reads an operation from columns 2.. of a row (after two leading columns).
fn op_from_row_offset(r: &rusqlite::Row<'_>) -> rusqlite::Result<Operation> {
    Ok(Operation {
        id: r.get(2)?,
        store_id: r.get(3)?,
        parent_id: r.get(4)?,
        kind: r.get(5)?,
        actor: r.get(6)?,
        at: r.get(7)?,
        reason: r.get(8)?,
        restores_op_id: r.get(9)?,
        dream_id: r.get(10)?,
        proposal_id: r.get(11)?,
        root_hash: r.get(12)?,
        files_changed: r.get::<_, i64>(13)? as usize,
        tags: Vec::new(),
    })
}

#[cfg(test)]
mod tests {
    use super::OpRef;

    #[test]
    fn op_references_parse() {
        assert_eq!(OpRef::parse("@"), OpRef::Head(0));
        assert_eq!(OpRef::parse("@--"), OpRef::Head(2));
        assert_eq!(OpRef::parse("@~3"), OpRef::Head(3));
        assert_eq!(OpRef::parse("42"), OpRef::Id(42));
        assert_eq!(
            OpRef::parse("before-dream"),
            OpRef::Tag("before-dream".into())
        );
    }
}
