//! Dream jobs: the per-store lock (a lease a crashed dream cannot hold forever), status changes,
//! the engine's input read at the base operation, and writing the result as a proposal.

use rusqlite::{Connection, OptionalExtension, params};
use serde_json::json;

use super::Db;
use super::proposals::{Target, apply_in, decide_in};
use super::stores::{read_blob, state_at, store_row};
use crate::audit;
use crate::dream::{self, ChangeNote};
use crate::error::{Error, Result};
use crate::model::OpKind;
use crate::model::{Dream, OpId, Store};
use crate::review::{Decision, Verdict};
use crate::util::{Ctx, format_time, parse_time};

/// How long a running dream holds its store without finishing.
pub const LEASE_SECS: i64 = 15 * 60;

const DREAM_COLUMNS: &str = "d.id, s.name, d.base_op_id, d.engine, d.engine_version, \
    d.instructions, d.session_ids, d.inputs_hash, d.status, d.error, d.actor, d.created_at, \
    d.started_at, d.ended_at, (SELECT p.id FROM proposals p WHERE p.dream_id = d.id), d.usage";

fn dream_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Dream> {
    let ids: String = r.get(6)?;
    Ok(Dream {
        id: r.get(0)?,
        store: r.get(1)?,
        base_op_id: r.get(2)?,
        engine: r.get(3)?,
        engine_version: r.get(4)?,
        instructions: r.get(5)?,
        session_ids: serde_json::from_str(&ids).unwrap_or_default(),
        inputs_hash: r.get(7)?,
        status: r.get(8)?,
        error: r.get(9)?,
        actor: r.get(10)?,
        created_at: r.get(11)?,
        started_at: r.get(12)?,
        ended_at: r.get(13)?,
        proposal_id: r.get(14)?,
        // `{}` for engines that use no model.
        usage: serde_json::from_str(&r.get::<_, String>(15)?).ok(),
    })
}

/// One file change of a dream result, before it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewChange {
    pub kind: &'static str,
    pub path: String,
    pub new_path: Option<String>,
    pub base: Option<String>,
    pub proposed: Option<String>,
    pub category: String,
    pub rationale: String,
    pub evidence: Vec<dream::Evidence>,
    pub flags: Vec<String>,
}

/// What a dream starts from.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DreamStart {
    pub engine: String,
    pub engine_version: String,
    pub instructions: String,
    pub session_ids: Vec<i64>,
}

fn lease_holder(conn: &Connection, store_id: i64, now: &str) -> Result<Option<(i64, Option<i64>)>> {
    let running: Option<(i64, Option<String>, Option<i64>)> = conn
        .query_row(
            "SELECT id, lock_expires_at, lock_pid FROM dreams
             WHERE store_id = ?1 AND status IN ('pending', 'running') ORDER BY id DESC LIMIT 1",
            [store_id],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
        )
        .optional()?;
    Ok(running.and_then(|(id, expires, pid)| {
        let live = expires.as_deref().is_some_and(|e| e > now) && pid.is_none_or(process_alive);
        live.then_some((id, pid))
    }))
}

/// A process with this id exists (Linux `/proc`; elsewhere assume it does and let the lease
/// expire).
fn process_alive(pid: i64) -> bool {
    let proc_root = std::path::Path::new("/proc");
    if !proc_root.join("self").exists() {
        return true;
    }
    proc_root.join(pid.to_string()).exists()
}

impl Db {
    /// Registers a running dream on `store` at its head, refusing while another holds the lease.
    /// A dream whose process died, or whose lease expired, is marked `failed` first.
    pub fn start_dream(
        &mut self,
        ctx: &Ctx,
        store: &str,
        start: &DreamStart,
        pid: u32,
    ) -> Result<Dream> {
        let id = self.write(|tx| {
            let meta = store_row(tx, store)?.ok_or_else(|| Error::NotFound { kind: "store", name: store.into() })?;
            if let Some((holder, pid)) = lease_holder(tx, meta.id, &ctx.now)? {
                return Err(Error::Conflict(format!(
                    "dream {holder} is still running on store {store}{}",
                    pid.map(|p| format!(" (process {p})")).unwrap_or_default()
                )));
            }
            let abandoned = tx.execute(
                "UPDATE dreams SET status = 'failed', error = 'abandoned: its process ended or its lease expired', ended_at = ?2
                 WHERE store_id = ?1 AND status IN ('pending', 'running')",
                params![meta.id, ctx.now],
            )?;
            if abandoned > 0 {
                audit::append(tx, ctx, "dream.abandon", store, &json!({ "dreams": abandoned }), "")?;
            }
            let head: OpId = meta.head_op_id.ok_or_else(|| Error::Internal("store without operations".into()))?;
            let expires = parse_time(&ctx.now).map_or_else(
                || ctx.now.clone(),
                |t| format_time(t + time::Duration::seconds(LEASE_SECS)),
            );
            tx.execute(
                "INSERT INTO dreams (store_id, base_op_id, engine, engine_version, instructions,
                    session_ids, status, actor, created_at, started_at, lock_pid, lock_expires_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'running', ?7, ?8, ?8, ?9, ?10)",
                params![
                    meta.id,
                    head,
                    start.engine,
                    start.engine_version,
                    start.instructions,
                    serde_json::to_string(&start.session_ids).unwrap_or_default(),
                    ctx.actor,
                    ctx.now,
                    i64::from(pid),
                    expires
                ],
            )?;
            let id = tx.last_insert_rowid();
            audit::append(
                tx,
                ctx,
                "dream.start",
                store,
                &json!({ "dream": id, "engine": start.engine, "engine_version": start.engine_version,
                         "base_op": head, "sessions": start.session_ids }),
                &start.instructions,
            )?;
            Ok(id)
        })?;
        self.dream(id)
    }

    /// The engine's input: the store at the base operation and the chosen sessions.
    pub fn dream_input(
        &self,
        dream: &Dream,
        now: &str,
        deletion_budget: f64,
    ) -> Result<dream::DreamInput> {
        let store = self.store(&dream.store)?;
        let mut files = Vec::new();
        let mut op_times = std::collections::HashMap::new();
        for e in state_at(&self.conn, store.id, dream.base_op_id)? {
            let at = if let Some(at) = op_times.get(&e.op_id) {
                String::clone(at)
            } else {
                let at: String = self.conn.query_row(
                    "SELECT at FROM operations WHERE id = ?1",
                    [e.op_id],
                    |r| r.get(0),
                )?;
                op_times.insert(e.op_id, at.clone());
                at
            };
            let content = String::from_utf8_lossy(&read_blob(&self.conn, &e.sha256)?).into_owned();
            files.push(dream::MemoryFile {
                path: e.path,
                content,
                written_at: at,
            });
        }
        let mut sessions = Vec::new();
        for id in &dream.session_ids {
            sessions.push(self.session_for_engine(*id)?);
        }
        dream::input::sort_sessions(&mut sessions);
        Ok(dream::DreamInput {
            files,
            sessions,
            now: now.to_owned(),
            instructions: dream.instructions.clone(),
            deletion_budget,
        })
    }

    fn session_for_engine(&self, id: i64) -> Result<dream::Session> {
        let info = self.session(&id.to_string())?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT seq, external_id, kind, role, at, thread, is_error, text FROM events
             WHERE session_id = ?1 ORDER BY seq",
        )?;
        let events = stmt
            .query_map([id], |r| {
                let seq: i64 = r.get(0)?;
                Ok(dream::Event {
                    id: r
                        .get::<_, Option<String>>(1)?
                        .unwrap_or_else(|| format!("#{seq}")),
                    seq,
                    kind: r.get(2)?,
                    role: r.get(3)?,
                    at: r.get(4)?,
                    thread: r.get(5)?,
                    is_error: r.get(6)?,
                    text: r.get(7)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        let mut stmt = self.conn.prepare_cached(
            "SELECT name, input, use_seq, result_seq, is_error, result_text FROM tool_calls
             WHERE session_id = ?1 ORDER BY use_seq, tool_use_id",
        )?;
        let tool_calls = stmt
            .query_map([id], |r| {
                Ok(dream::ToolCall {
                    name: r.get(0)?,
                    input: r.get(1)?,
                    use_seq: r.get(2)?,
                    result_seq: r.get(3)?,
                    is_error: r.get(4)?,
                    result_text: r.get(5)?,
                })
            })?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(dream::Session {
            id: info.external_id,
            agent: info.agent,
            started_at: info.started_at,
            events,
            tool_calls,
        })
    }

    /// Stores a completed dream's changes as a pending proposal, in one transaction. Returns
    /// `None` when the dream was canceled meanwhile (nothing is written).
    pub fn finish_dream(
        &mut self,
        ctx: &Ctx,
        dream_id: i64,
        inputs_hash: &str,
        usage: Option<&crate::dream::Usage>,
        changes: &[NewChange],
        auto: Option<&Ctx>,
    ) -> Result<(Option<i64>, Option<super::ApplyReport>)> {
        self.write(|tx| {
            let (status, store_id, base): (String, i64, OpId) = tx.query_row(
                "SELECT status, store_id, base_op_id FROM dreams WHERE id = ?1",
                [dream_id],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )?;
            if status == "canceled" {
                return Ok((None, None));
            }
            let usage = usage.map_or_else(|| "{}".to_owned(), |u| json!(u).to_string());
            tx.execute(
                "UPDATE dreams SET status = 'completed', inputs_hash = ?2, ended_at = ?3,
                    usage = ?4, lock_pid = NULL, lock_expires_at = NULL WHERE id = ?1",
                params![dream_id, inputs_hash, ctx.now, usage],
            )?;
            tx.execute(
                "INSERT INTO proposals (dream_id, store_id, base_op_id, state, created_at)
                 VALUES (?1, ?2, ?3, 'pending', ?4)",
                params![dream_id, store_id, base, ctx.now],
            )?;
            let proposal = tx.last_insert_rowid();
            for (i, c) in changes.iter().enumerate() {
                insert_change(tx, proposal, i as i64 + 1, c, None)?;
            }
            let store_name: String = tx.query_row("SELECT name FROM stores WHERE id = ?1", [store_id], |r| r.get(0))?;
            audit::append(
                tx,
                ctx,
                "dream.complete",
                &store_name,
                &json!({ "dream": dream_id, "proposal": proposal, "changes": changes.len(), "inputs_hash": inputs_hash }),
                "",
            )?;
            // Auto mode: accepted and applied in the same transaction, so a crash leaves either
            // no proposal or an applied one.
            let applied = match auto {
                Some(actor) => {
                    let accept = Decision::Verdict { hunk: None, verdict: Verdict::Accept };
                    decide_in(tx, actor, proposal, &Target::All, &accept, "auto mode")?;
                    Some(apply_in(tx, actor, proposal, OpKind::AutoApply)?)
                }
                None => None,
            };
            Ok((Some(proposal), applied))
        })
    }

    /// Marks a dream failed with its reason; no proposal is written.
    pub fn fail_dream(&mut self, ctx: &Ctx, dream_id: i64, error: &str) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE dreams SET status = 'failed', error = ?2, ended_at = ?3,
                    lock_pid = NULL, lock_expires_at = NULL
                 WHERE id = ?1 AND status IN ('pending', 'running')",
                params![dream_id, error, ctx.now],
            )?;
            audit::append(
                tx,
                ctx,
                "dream.fail",
                &dream_id.to_string(),
                &json!({ "error": error }),
                "",
            )
        })
    }

    /// Cancels a pending or running dream (its result, if it arrives, is discarded).
    pub fn cancel_dream(&mut self, ctx: &Ctx, dream_id: i64, reason: &str) -> Result<Dream> {
        self.write(|tx| {
            let n = tx.execute(
                "UPDATE dreams SET status = 'canceled', ended_at = ?2, lock_pid = NULL, lock_expires_at = NULL
                 WHERE id = ?1 AND status IN ('pending', 'running')",
                params![dream_id, ctx.now],
            )?;
            if n == 0 {
                return Err(Error::Invalid(format!("dream {dream_id} is not running")));
            }
            audit::append(tx, ctx, "dream.cancel", &dream_id.to_string(), &json!({}), reason)
        })?;
        self.dream(dream_id)
    }

    pub fn dream(&self, id: i64) -> Result<Dream> {
        self.conn
            .query_row(
                &format!("SELECT {DREAM_COLUMNS} FROM dreams d JOIN stores s ON s.id = d.store_id WHERE d.id = ?1"),
                [id],
                dream_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound { kind: "dream", name: id.to_string() })
    }

    /// Dreams, newest first.
    pub fn dreams(&self, store: Option<&str>) -> Result<Vec<Dream>> {
        let mut stmt = self.conn.prepare(&format!(
            "SELECT {DREAM_COLUMNS} FROM dreams d JOIN stores s ON s.id = d.store_id
             WHERE (?1 IS NULL OR s.name = ?1) ORDER BY d.id DESC"
        ))?;
        let rows = stmt.query_map([store], dream_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The default sessions of a dream: those linked to the store and imported since its last
    /// completed dream, newest 100.
    pub fn sessions_since_last_dream(&self, store: &Store) -> Result<Vec<i64>> {
        let last: Option<String> = self.conn.query_row(
            "SELECT max(created_at) FROM dreams WHERE store_id = ?1 AND status = 'completed'",
            [store.id],
            |r| r.get(0),
        )?;
        let mut stmt = self.conn.prepare(
            "SELECT id FROM sessions WHERE store_id = ?1 AND (?2 IS NULL OR imported_at > ?2)
             ORDER BY started_at DESC, id DESC LIMIT ?3",
        )?;
        let ids = stmt.query_map(params![store.id, last, dream::MAX_SESSIONS as i64], |r| {
            r.get(0)
        })?;
        Ok(ids.collect::<Result<_, _>>()?)
    }

    /// Sets a store's mode (`review` / `auto`) and deletion budget.
    pub fn configure_store(
        &mut self,
        ctx: &Ctx,
        name: &str,
        mode: Option<&str>,
        deletion_budget: Option<f64>,
    ) -> Result<Store> {
        if let Some(m) = mode
            && m != "review"
            && m != "auto"
        {
            return Err(Error::Invalid(format!(
                "mode must be review or auto, not {m:?}"
            )));
        }
        if let Some(b) = deletion_budget
            && !(0.0..=1.0).contains(&b)
        {
            return Err(Error::Invalid(
                "the deletion budget is a fraction from 0 to 1".into(),
            ));
        }
        let before = self.store(name)?;
        self.write(|tx| {
            tx.execute(
                "UPDATE stores SET mode = coalesce(?2, mode), deletion_budget = coalesce(?3, deletion_budget)
                 WHERE id = ?1",
                params![before.id, mode, deletion_budget],
            )?;
            audit::append(
                tx,
                ctx,
                "store.configure",
                name,
                &json!({ "mode": { "before": before.mode, "after": mode.unwrap_or(&before.mode) },
                         "deletion_budget": { "before": before.deletion_budget, "after": deletion_budget.unwrap_or(before.deletion_budget) } }),
                "",
            )
        })?;
        self.store(name)
    }
}

/// Inserts one change row (its blobs first).
pub(crate) fn insert_change(
    tx: &Connection,
    proposal: i64,
    seq: i64,
    c: &NewChange,
    rebased_from: Option<i64>,
) -> Result<i64> {
    let blob = |text: &Option<String>| -> Result<Option<String>> {
        let Some(t) = text else { return Ok(None) };
        let sha = crate::util::sha256_hex(t.as_bytes());
        tx.execute(
            "INSERT OR IGNORE INTO blobs (sha256, size, bytes) VALUES (?1, ?2, ?3)",
            params![sha, t.len() as i64, t.as_bytes()],
        )?;
        Ok(Some(sha))
    };
    let base = blob(&c.base)?;
    let proposed = blob(&c.proposed)?;
    tx.execute(
        "INSERT INTO changes (proposal_id, seq, kind, path, new_path, base_sha256, proposed_sha256,
                              category, rationale, evidence, flags, rebased_from)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
        params![
            proposal,
            seq,
            c.kind,
            c.path,
            c.new_path,
            base,
            proposed,
            c.category,
            c.rationale,
            serde_json::to_string(&c.evidence).unwrap_or_else(|_| "[]".into()),
            serde_json::to_string(&c.flags).unwrap_or_else(|_| "[]".into()),
            rebased_from
        ],
    )?;
    Ok(tx.last_insert_rowid())
}

/// Groups engine notes by path (category of the first note; rationales joined; evidence merged).
pub fn notes_by_path(
    notes: &[ChangeNote],
) -> std::collections::BTreeMap<String, (String, String, Vec<dream::Evidence>)> {
    let mut out: std::collections::BTreeMap<String, (String, String, Vec<dream::Evidence>)> =
        std::collections::BTreeMap::new();
    for n in notes {
        let entry = out
            .entry(n.path.clone())
            .or_insert_with(|| (n.category.as_str().to_owned(), String::new(), Vec::new()));
        if !entry.1.is_empty() {
            entry.1.push(' ');
        }
        entry.1.push_str(n.rationale.trim());
        entry.2.extend(n.evidence.iter().cloned());
    }
    out
}
