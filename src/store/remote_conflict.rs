//! Memories changed both locally and on the remote since the last sync: each becomes a change
//! of a conflict proposal (from a `remote-pull` job), so the reviewer sees the three-way
//! difference in the TUI or `lucid proposal show` and decides; nothing is overwritten meanwhile.

use std::collections::HashMap;

use rusqlite::{Connection, params};
use serde_json::json;

use super::dreams::{NewChange, insert_change};
use super::remote::{Ref, save_ref};
use super::remote_pull::PullOutcome;
use super::stores::{read_blob, store_named};
use crate::audit;
use crate::error::{Error, Result};
use crate::model::Entry;
use crate::remote::wire::RemoteMemory;
use crate::util::Ctx;

/// A memory changed on both sides, waiting to become a proposal change.
pub(crate) struct Conflict {
    pub change: NewChange,
    pub remote_id: Option<String>,
}

pub(crate) fn text(tx: &Connection, sha: &str) -> Result<String> {
    Ok(String::from_utf8_lossy(&read_blob(tx, sha)?).into_owned())
}

/// The change offered for a memory both sides changed: a clean three-way merge when there is
/// one, else the remote side (the reviewer picks per hunk); a restore when it was deleted here.
pub(crate) fn both_sides(
    tx: &Connection,
    r: &Ref,
    mine: Option<&Entry>,
    m: &RemoteMemory,
    content: String,
    remote_id: &str,
) -> Result<NewChange> {
    if let Some(e) = mine {
        let ours = text(tx, &e.sha256)?;
        let base = text(tx, &r.sha256).unwrap_or_default();
        let merged = crate::review::merge3(&base, &ours, &content);
        let (proposed, how) = if merged.conflicts == 0 {
            (merged.text, "a clean three-way merge of both sides")
        } else {
            (content, "the remote side (the two sides overlap)")
        };
        let why = format!(
            "Changed both here and on {remote_id} since the last sync; the proposed text is {how}. Accept to take it, reject to keep this side (the next push then writes it over the remote)."
        );
        Ok(conflict_change(
            "modify",
            e,
            Some(ours),
            Some(proposed),
            &why,
        ))
    } else {
        let gone = Entry {
            memory_id: r.memory_id,
            path: m.path.clone(),
            sha256: String::new(),
            size: 0,
            op_id: 0,
        };
        let why = format!(
            "Deleted here but changed on {remote_id}; accept to restore the remote text, reject to keep it deleted (the next push deletes it there)."
        );
        Ok(conflict_change("create", &gone, None, Some(content), &why))
    }
}

pub(crate) fn conflict_change(
    kind: &'static str,
    local: &Entry,
    base: Option<String>,
    proposed: Option<String>,
    why: &str,
) -> NewChange {
    NewChange {
        kind,
        path: local.path.clone(),
        new_path: None,
        base,
        proposed,
        category: "contradiction".into(),
        rationale: why.to_owned(),
        evidence: Vec::new(),
        flags: vec!["remote_conflict".into()],
    }
}

/// Writes the conflicts as a proposal of a `remote-pull` job, and marks their refs so that
/// push leaves them alone until they are decided.
pub(crate) fn conflict_proposal(
    tx: &Connection,
    ctx: &Ctx,
    name: &str,
    conflicts: &[Conflict],
    refs: &mut HashMap<String, Ref>,
    out: &mut PullOutcome,
) -> Result<()> {
    let store = store_named(tx, name)?;
    let head = store
        .head_op_id
        .ok_or_else(|| Error::Internal("store without operations".into()))?;
    tx.execute(
        "INSERT INTO dreams (store_id, base_op_id, engine, engine_version, instructions,
            session_ids, status, actor, created_at, started_at, ended_at)
         VALUES (?1, ?2, 'remote-pull', '1', '', '[]', 'completed', ?3, ?4, ?4, ?4)",
        params![store.id, head, ctx.actor, ctx.now],
    )?;
    let dream = tx.last_insert_rowid();
    tx.execute(
        "INSERT INTO proposals (dream_id, store_id, base_op_id, state, created_at)
         VALUES (?1, ?2, ?3, 'pending', ?4)",
        params![dream, store.id, head, ctx.now],
    )?;
    let proposal = tx.last_insert_rowid();
    for (i, c) in conflicts.iter().enumerate() {
        let change = insert_change(tx, proposal, i as i64 + 1, &c.change, None)?;
        out.conflicts.push(c.change.path.clone());
        if let Some(r) = c.remote_id.as_ref().and_then(|id| refs.get_mut(id)) {
            r.conflict_change_id = Some(change);
            save_ref(tx, store.id, r)?;
        }
    }
    out.conflict_proposal = Some(proposal);
    audit::append(
        tx,
        ctx,
        "remote.conflict",
        name,
        &json!({ "dream": dream, "proposal": proposal, "paths": out.conflicts }),
        "changed both here and on the remote since the last sync",
    )
}
