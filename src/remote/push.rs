//! `lucid remote push`: write every change made locally since the last sync to the remote store,
//! one request per changed memory (its net change since the state last seen there): create at a
//! path, update by id with a `content_sha256` precondition (content and/or path), delete with
//! `expected_content_sha256`. A 409 is never forced: the memory is skipped, a pull turns it into
//! a conflict proposal, and the push reports it (exit code 3).

use std::collections::{HashMap, HashSet};

use reqwest::Method;
use serde::Serialize;
use serde_json::{Value, json};

use super::client::{Client, Family, Job, bounded};
use super::wire::{RemoteMemory, check_id};
use super::{RemoteError, pull};
use crate::error::Result;
use crate::store::{Db, PushResult, not_linked_error};
use crate::util::Ctx;

/// One request a push sends (what `--dry-run` lists).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Planned {
    /// `create`, `update`, `rename` (path, maybe content) or `delete`.
    pub action: &'static str,
    pub method: String,
    pub path: String,
    pub query: Vec<(String, String)>,
    pub body: Option<Value>,
    /// The local memory's path.
    pub memory_path: String,
    #[serde(skip)]
    memory_id: i64,
    #[serde(skip)]
    remote_id: Option<String>,
}

/// What a push did (or, with `dry_run`, would do).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct PushReport {
    pub store: String,
    pub remote_id: String,
    pub dry_run: bool,
    pub planned: Vec<Planned>,
    pub written: usize,
    pub deleted: usize,
    /// `(path, why)` of every change not written.
    pub skipped: Vec<(String, String)>,
    /// Paths the remote changed meanwhile (409): see `conflict_proposal`.
    pub conflicts: Vec<String>,
    pub conflict_proposal: Option<i64>,
    pub requests: u32,
}

/// The requests for every memory whose local state differs from the state last seen remotely,
/// and the memories held back by an undecided conflict.
pub fn plan(db: &Db, store: &str) -> Result<(String, Vec<Planned>, Vec<PushResult>)> {
    let link = db
        .remote_link(store)?
        .ok_or_else(|| not_linked_error(store))?;
    let rid = link.remote_id;
    let base = format!("/v1/memory_stores/{rid}/memories");
    let live = db.entries(&db.store(store)?, None)?;
    let by_mem: HashMap<i64, &crate::model::Entry> =
        live.iter().map(|e| (e.memory_id, e)).collect();
    let mut refs: Vec<_> = db.remote_refs(store)?.into_values().collect();
    refs.sort_by(|a, b| a.path.cmp(&b.path));
    let referenced: HashSet<i64> = refs.iter().map(|r| r.memory_id).collect();
    let mut handled: HashSet<i64> = HashSet::new();
    let (mut deletes, mut moves, mut updates, mut creates) = (vec![], vec![], vec![], vec![]);
    let mut skipped = Vec::new();
    let content =
        |sha: &str| -> Result<String> { Ok(String::from_utf8_lossy(&db.blob(sha)?).into_owned()) };
    for r in &refs {
        check_id("mem_", &r.remote_id)?;
        // Deleted here, recreated at the same path: an update of the same remote memory.
        let local = by_mem.get(&r.memory_id).copied().or_else(|| {
            live.iter()
                .find(|e| e.path == r.path && !referenced.contains(&e.memory_id))
        });
        if let Some(e) = local {
            handled.insert(e.memory_id);
        }
        if local.is_some_and(|e| e.path == r.path && e.sha256 == r.sha256) {
            continue;
        }
        if let Some(change) = r.conflict_change_id
            && let Some(why) = db.remote_conflict_open(change)?
        {
            let path = local.map_or(r.path.clone(), |e| e.path.clone());
            skipped.push(PushResult::Skipped {
                path,
                action: "update".into(),
                why,
            });
            continue;
        }
        let url = format!("{base}/{}", r.remote_id);
        match local {
            None => deletes.push(Planned {
                action: "delete",
                method: "DELETE".into(),
                path: url,
                query: vec![("expected_content_sha256".into(), r.sha256.clone())],
                body: None,
                memory_path: r.path.clone(),
                memory_id: r.memory_id,
                remote_id: Some(r.remote_id.clone()),
            }),
            Some(e) => {
                let mut body = json!({
                    "precondition": { "type": "content_sha256", "content_sha256": r.sha256 }
                });
                if e.sha256 != r.sha256 {
                    body["content"] = Value::String(content(&e.sha256)?);
                }
                let renamed = e.path != r.path;
                if renamed {
                    body["path"] = Value::String(e.path.clone());
                }
                let p = Planned {
                    action: if renamed { "rename" } else { "update" },
                    method: "POST".into(),
                    path: url,
                    query: Vec::new(),
                    body: Some(body),
                    memory_path: e.path.clone(),
                    memory_id: e.memory_id,
                    remote_id: Some(r.remote_id.clone()),
                };
                if renamed {
                    moves.push(p);
                } else {
                    updates.push(p);
                }
            }
        }
    }
    for e in live
        .iter()
        .filter(|e| !handled.contains(&e.memory_id) && !referenced.contains(&e.memory_id))
    {
        creates.push(Planned {
            action: "create",
            method: "POST".into(),
            path: base.clone(),
            query: Vec::new(),
            body: Some(json!({ "path": e.path, "content": content(&e.sha256)? })),
            memory_path: e.path.clone(),
            memory_id: e.memory_id,
            remote_id: None,
        });
    }
    let mut all = deletes;
    all.extend(moves);
    all.extend(updates);
    all.extend(creates);
    Ok((rid, all, skipped))
}

/// What a push would send and what it would skip, sending nothing (no key needed).
pub fn dry_run(db: &Db, store: &str) -> Result<PushReport> {
    planned_report(db, store).map(|(report, _)| report)
}

/// The report of the plan (as a dry run) and the results already decided (the skipped).
fn planned_report(db: &Db, store: &str) -> Result<(PushReport, Vec<PushResult>)> {
    let (remote_id, planned, held) = plan(db, store)?;
    let skipped = held
        .iter()
        .filter_map(|h| match h {
            PushResult::Skipped { path, why, .. } => Some((path.clone(), why.clone())),
            _ => None,
        })
        .collect();
    let report = PushReport {
        store: store.to_owned(),
        remote_id,
        dry_run: true,
        planned,
        skipped,
        ..PushReport::default()
    };
    Ok((report, held))
}

/// Sends the plan: deletes first, then renames one at a time (paths may chain), then content
/// updates and creates with up to `max_in_flight` at once. Records every result (one
/// transaction); on a 409 pulls, which turns each conflict into a proposal change.
pub fn push(db: &mut Db, ctx: &Ctx, client: &Client, store: &str) -> Result<PushReport> {
    let (mut report, held) = planned_report(db, store)?;
    report.dry_run = false;
    let remote_id = report.remote_id.clone();
    let limit = client.config().max_in_flight;
    let stages: [(&[&str], usize); 3] = [
        (&["delete"], limit),
        (&["rename"], 1),
        (&["update", "create"], limit),
    ];
    let mut results = held;
    let mut failure: Option<RemoteError> = None;
    for (actions, width) in stages {
        let batch: Vec<&Planned> = report
            .planned
            .iter()
            .filter(|p| actions.contains(&p.action))
            .collect();
        let jobs: Vec<Job<'_, Result<PushResult, RemoteError>>> = batch
            .iter()
            .map(|p| Box::pin(send(client, p)) as Job<'_, _>)
            .collect();
        for (p, outcome) in batch.iter().zip(client.block_on(bounded(width, jobs))) {
            match outcome {
                Ok(r) => results.push(r),
                Err(e) => {
                    let why = crate::sanitize::line(&e.to_string());
                    if matches!(e.status(), Some(409 | 404)) {
                        report.conflicts.push(p.memory_path.clone());
                    } else if failure.is_none() {
                        failure = Some(e);
                    }
                    report.skipped.push((p.memory_path.clone(), why.clone()));
                    results.push(PushResult::Skipped {
                        path: p.memory_path.clone(),
                        action: p.action.into(),
                        why,
                    });
                }
            }
        }
    }
    for r in &results {
        match r {
            PushResult::Written { .. } => report.written += 1,
            PushResult::Deleted { .. } => report.deleted += 1,
            PushResult::Skipped { .. } => {}
        }
    }
    db.record_push(ctx, store, &results)?;
    if let Some(e) = failure {
        return Err(e.into());
    }
    if !report.conflicts.is_empty() {
        let pulled = pull::pull_store(db, ctx, client, &remote_id, None)?;
        report.conflict_proposal = pulled.conflict_proposal;
    }
    report.requests = client.requests();
    Ok(report)
}

async fn send(client: &Client, p: &Planned) -> Result<PushResult, RemoteError> {
    let method = Method::from_bytes(p.method.as_bytes())
        .map_err(|_| RemoteError::Config(format!("method {}", p.method)))?;
    let query: Vec<(&str, String)> = p
        .query
        .iter()
        .map(|(k, v)| (k.as_str(), v.clone()))
        .collect();
    let answer = client
        .call(
            method,
            Family::MemoryStores,
            &p.path,
            &query,
            p.body.as_ref(),
        )
        .await?;
    if p.action == "delete" {
        return Ok(PushResult::Deleted {
            memory_id: p.memory_id,
            remote_id: p.remote_id.clone().unwrap_or_default(),
            path: p.memory_path.clone(),
        });
    }
    let m = RemoteMemory::parse(&answer)?;
    check_id("mem_", &m.id)?;
    Ok(PushResult::Written {
        memory_id: p.memory_id,
        action: p.action.into(),
        remote_id: m.id,
        path: m.path,
        sha256: m.sha256,
    })
}
