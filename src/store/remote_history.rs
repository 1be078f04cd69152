//! Replaying a remote store's new versions as past operations: oldest first, one operation per
//! run of consecutive versions by the same remote actor (each memory and path at most once per
//! run), dated at the run's remote time and attributed to that actor, so history, blame and
//! rollback reach back before Lucid. A version touching a memory changed here is skipped: the
//! reconcile step after it decides what happens to that memory.

use std::collections::{BTreeMap, HashMap, HashSet};

use rusqlite::{Connection, params};

use super::changes::{FileChange, OpSpec, commit_on_state};
use super::remote::{Ref, save_ref};
use super::remote_pull::{PullData, PullOutcome, clean};
use super::stores::{state_map, store_named};
use crate::error::Result;
use crate::model::{Entry, MemoryId, OpDetail, OpKind, VersionKind};
use crate::remote::wire::RemoteVersion;
use crate::util::{Ctx, normalize_time};

/// One remote version as a file change against the state before its group, if it applies.
fn plan_version(
    v: &RemoteVersion,
    r: Option<&Ref>,
    local: &HashMap<MemoryId, Entry>,
    by_path: &BTreeMap<String, Entry>,
) -> Option<Vec<FileChange>> {
    match (v.operation.as_str(), r) {
        ("created", None) => {
            let (path, content) = (v.path.clone()?, v.content.clone()?);
            by_path.get(&path).is_none().then(|| {
                vec![FileChange::Put {
                    path,
                    content: content.into_bytes(),
                    expect_sha256: None,
                }]
            })
        }
        ("modified", Some(r)) if clean(local, r) => {
            let path = v.path.clone().unwrap_or_else(|| r.path.clone());
            let sha = v.sha256.clone()?;
            let mut changes = Vec::new();
            if path != r.path {
                if by_path.contains_key(&path) {
                    return None;
                }
                changes.push(FileChange::Rename {
                    from: r.path.clone(),
                    to: path.clone(),
                    expect_sha256: None,
                });
            }
            if sha != r.sha256 {
                changes.push(FileChange::Put {
                    path,
                    content: v.content.clone()?.into_bytes(),
                    expect_sha256: None,
                });
            }
            (!changes.is_empty()).then_some(changes)
        }
        ("deleted", Some(r)) if clean(local, r) => Some(vec![FileChange::Delete {
            path: r.path.clone(),
            expect_sha256: None,
        }]),
        _ => None,
    }
}

/// Replays new remote versions, oldest first, as operations: one per run of consecutive
/// versions by the same actor (a memory or path at most once per run), at the run's time.
pub(super) fn replay(
    tx: &Connection,
    ctx: &Ctx,
    name: &str,
    data: &PullData,
    refs: &mut HashMap<String, Ref>,
    out: &mut PullOutcome,
) -> Result<()> {
    let store = store_named(tx, name)?;
    let known: HashSet<String> = {
        let mut stmt = tx.prepare("SELECT version_id FROM remote_versions WHERE store_id = ?1")?;
        stmt.query_map([store.id], |r| r.get(0))?
            .collect::<Result<_, _>>()?
    };
    let mut versions: Vec<&RemoteVersion> = data
        .versions
        .iter()
        .filter(|v| !known.contains(&v.id))
        .collect();
    versions.sort_by(|a, b| (&a.created_at, &a.id).cmp(&(&b.created_at, &b.id)));
    let mut groups: Vec<Vec<&RemoteVersion>> = Vec::new();
    let mut touched: HashSet<String> = HashSet::new();
    for v in versions {
        let keys = [
            Some(format!("m:{}", v.memory_id)),
            v.path.as_ref().map(|p| format!("p:{p}")),
        ];
        let fits = groups.last().is_some_and(|g| g[0].actor == v.actor)
            && keys.iter().flatten().all(|k| !touched.contains(k));
        if !fits {
            groups.push(Vec::new());
            touched.clear();
        }
        touched.extend(keys.into_iter().flatten());
        if let Some(r) = refs.get(&v.memory_id) {
            touched.insert(format!("p:{}", r.path));
        }
        groups.last_mut().expect("a group was just pushed").push(v);
    }
    let mut mark = tx.prepare_cached(
        "INSERT OR IGNORE INTO remote_versions (store_id, version_id, op_id) VALUES (?1, ?2, ?3)",
    )?;
    // The head state is read once and then kept up to date from each operation's files.
    let store = store_named(tx, name)?;
    let mut head = store.head_op_id;
    let mut by_path = state_map(tx, store.id, head)?;
    let mut local: HashMap<MemoryId, Entry> =
        by_path.values().map(|e| (e.memory_id, e.clone())).collect();
    for group in groups {
        let mut changes = Vec::new();
        let mut applied = Vec::new();
        for v in &group {
            match plan_version(v, refs.get(&v.memory_id), &local, &by_path) {
                Some(c) => {
                    changes.extend(c);
                    applied.push(*v);
                }
                None => out.versions_skipped += 1,
            }
        }
        let last = group.last().expect("groups are never empty");
        let op_ctx = Ctx {
            actor: last.actor.clone(),
            now: last
                .created_at
                .as_deref()
                .and_then(normalize_time)
                .unwrap_or_else(|| ctx.now.clone()),
        };
        let ids: Vec<&str> = applied.iter().take(8).map(|v| v.id.as_str()).collect();
        let more = applied.len().saturating_sub(ids.len());
        let reason = format!(
            "remote history of {}: {}{}",
            data.remote_id,
            ids.join(", "),
            if more > 0 {
                format!(" and {more} more")
            } else {
                String::new()
            }
        );
        let detail = if changes.is_empty() {
            None
        } else {
            let spec = OpSpec::new(OpKind::Import, reason);
            commit_on_state(tx, &op_ctx, ctx, &store, head, &by_path, &spec, changes)?
        };
        if let Some(d) = &detail {
            head = Some(d.op.id);
            follow(tx, d, &mut by_path, &mut local)?;
            out.history_ops += 1;
            out.versions_replayed += applied.len();
            for v in &applied {
                update_ref_from_version(tx, store.id, refs, v, d)?;
            }
        }
        let op = detail.as_ref().map(|d| d.op.id);
        for v in &group {
            mark.execute(params![store.id, v.id, op])?;
        }
    }
    Ok(())
}

fn update_ref_from_version(
    tx: &Connection,
    store_id: i64,
    refs: &mut HashMap<String, Ref>,
    v: &RemoteVersion,
    d: &OpDetail,
) -> Result<()> {
    if v.operation == "deleted" {
        if let Some(r) = refs.remove(&v.memory_id) {
            tx.execute(
                "DELETE FROM remote_refs WHERE store_id = ?1 AND memory_id = ?2",
                params![store_id, r.memory_id],
            )?;
        }
        return Ok(());
    }
    let path = v
        .path
        .clone()
        .or_else(|| refs.get(&v.memory_id).map(|r| r.path.clone()))
        .unwrap_or_default();
    let memory_id = match refs.get(&v.memory_id) {
        Some(r) => r.memory_id,
        None => match d.files.iter().find(|f| f.path == path) {
            Some(f) => f.memory_id,
            None => return Ok(()),
        },
    };
    let r = Ref {
        memory_id,
        remote_id: v.memory_id.clone(),
        path,
        sha256: v.sha256.clone().unwrap_or_default(),
        version_id: Some(v.id.clone()),
        conflict_change_id: None,
    };
    save_ref(tx, store_id, &r)?;
    refs.insert(v.memory_id.clone(), r);
    Ok(())
}

/// Moves the in-memory head state past operation `d`.
fn follow(
    tx: &Connection,
    d: &OpDetail,
    by_path: &mut BTreeMap<String, Entry>,
    local: &mut HashMap<MemoryId, Entry>,
) -> Result<()> {
    for f in &d.files {
        if let Some(old) = local.remove(&f.memory_id) {
            by_path.remove(&old.path);
        }
    }
    let mut size = tx.prepare_cached("SELECT size FROM blobs WHERE sha256 = ?1")?;
    for f in d.files.iter().filter(|f| f.kind != VersionKind::Deleted) {
        let sha = f.after_sha256.clone().unwrap_or_default();
        let bytes: i64 = size.query_row([&sha], |r| r.get(0))?;
        let e = Entry {
            memory_id: f.memory_id,
            path: f.path.clone(),
            sha256: sha,
            size: bytes as usize,
            op_id: d.op.id,
        };
        by_path.insert(e.path.clone(), e.clone());
        local.insert(f.memory_id, e);
    }
    Ok(())
}
