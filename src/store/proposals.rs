//! Proposals and review decisions: listing, per-file and per-hunk decisions (each recording the
//! hash of the exact text it produces), and apply — one transaction that writes exactly what was
//! decided, sets conflicting files aside with a rebased change, and audits every file.

use std::collections::{BTreeMap, HashMap};

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use serde_json::json;

use super::Db;
use super::changes::{FileChange, OpSpec, commit_in_tx};
use super::dreams::{NewChange, insert_change};
use super::stores::{head_op, read_blob, state_map, store_row};
use crate::audit;
use crate::error::{Error, Result};
use crate::model::{DecisionRow, Entry, OpDetail, OpKind, Proposal, ProposalChange};
use crate::review::{self, Decision, Resolution, Verdict};
use crate::util::{Ctx, sha256_hex};

const CHANGE_COLUMNS: &str = "id, seq, kind, path, new_path, base_sha256, proposed_sha256, \
                              category, rationale, evidence, flags, state, rebased_from";

fn change_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<ProposalChange> {
    let evidence: String = r.get(9)?;
    let flags: String = r.get(10)?;
    Ok(ProposalChange {
        id: r.get(0)?,
        seq: r.get(1)?,
        kind: r.get(2)?,
        path: r.get(3)?,
        new_path: r.get(4)?,
        base_sha256: r.get(5)?,
        proposed_sha256: r.get(6)?,
        category: r.get(7)?,
        rationale: r.get(8)?,
        evidence: serde_json::from_str(&evidence).unwrap_or_default(),
        flags: serde_json::from_str(&flags).unwrap_or_default(),
        state: r.get(11)?,
        rebased_from: r.get(12)?,
    })
}

/// What a decision applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Target {
    /// Every open change of the proposal.
    All,
    /// Every open change of one category.
    Category(String),
    /// One change (by seq), optionally one hunk of it.
    Change { seq: i64, hunk: Option<usize> },
}

/// What one apply did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ApplyReport {
    pub proposal_id: i64,
    pub operation: Option<OpDetail>,
    /// Paths written.
    pub written: Vec<String>,
    /// Paths not written because the store moved on; each got a rebased change (its seq).
    pub conflicts: Vec<(String, i64)>,
    /// Changes left open (undecided or rejected).
    pub left_open: usize,
    pub state: String,
}

fn text_of(conn: &Connection, sha: Option<&String>) -> Result<String> {
    match sha {
        Some(s) => Ok(String::from_utf8_lossy(&read_blob(conn, s)?).into_owned()),
        None => Ok(String::new()),
    }
}

fn decisions_of(conn: &Connection, change_id: i64) -> Result<Vec<DecisionRow>> {
    let mut stmt = conn.prepare_cached(
        "SELECT id, change_id, hunk, verdict, edited_sha256, materialized_sha256, reason, actor, at
         FROM decisions WHERE change_id = ?1 ORDER BY id",
    )?;
    let rows = stmt.query_map([change_id], |r| {
        Ok(DecisionRow {
            id: r.get(0)?,
            change_id: r.get(1)?,
            hunk: r.get::<_, Option<i64>>(2)?.map(|h| h as usize),
            verdict: r.get(3)?,
            edited_sha256: r.get(4)?,
            materialized_sha256: r.get(5)?,
            reason: r.get(6)?,
            actor: r.get(7)?,
            at: r.get(8)?,
        })
    })?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// Replays a change's decisions.
fn resolution_of(
    conn: &Connection,
    change: &ProposalChange,
    hunks: usize,
) -> Result<(Resolution, Vec<DecisionRow>)> {
    let rows = decisions_of(conn, change.id)?;
    let mut log = Vec::with_capacity(rows.len());
    for d in &rows {
        log.push(match d.verdict.as_str() {
            "undo" => Decision::Undo,
            "edit" => Decision::Edit(text_of(conn, d.edited_sha256.as_ref())?),
            v => Decision::Verdict {
                hunk: d.hunk,
                verdict: if v == "accept" {
                    Verdict::Accept
                } else {
                    Verdict::Reject
                },
            },
        });
    }
    Ok((review::resolve(&log, hunks), rows))
}

/// The exact text a change's decisions produce (for a delete: empty when accepted).
fn materialized(
    conn: &Connection,
    change: &ProposalChange,
    resolution: &Resolution,
) -> Result<String> {
    let base = text_of(conn, change.base_sha256.as_ref())?;
    let proposed = text_of(conn, change.proposed_sha256.as_ref())?;
    Ok(review::materialize(&base, &proposed, resolution))
}

fn hunks_of(conn: &Connection, change: &ProposalChange) -> Result<usize> {
    if change.kind == "delete" || change.kind == "create" {
        return Ok(1);
    }
    let base = text_of(conn, change.base_sha256.as_ref())?;
    let proposed = text_of(conn, change.proposed_sha256.as_ref())?;
    Ok(review::hunk_count(&base, &proposed).max(1))
}

/// Whole-file kinds (create, delete) take a single verdict: hunk 0 stands for the file.
fn file_verdict(resolution: &Resolution) -> Option<Verdict> {
    match resolution {
        Resolution::Hunks(v) => v.get(&0).copied(),
        Resolution::Edited(_) => Some(Verdict::Accept),
        Resolution::Undecided => None,
    }
}

impl Db {
    /// Proposals, newest first, optionally of one store and (stored) state.
    pub fn proposals(&self, store: Option<&str>, state: Option<&str>) -> Result<Vec<Proposal>> {
        list_proposals(&self.conn, store, state.map(|s| vec![s]).as_deref())
    }

    /// The review inbox: every proposal still waiting for a decision (`pending`, `partial` or
    /// `stale`), newest first. The same summaries as [`Db::proposals`] gives, without reading the
    /// applied and rejected ones.
    pub fn waiting_proposals(&self) -> Result<Vec<Proposal>> {
        list_proposals(&self.conn, None, Some(&WAITING))
    }

    /// One proposal with its changes.
    pub fn proposal(&self, id: i64) -> Result<(Proposal, Vec<ProposalChange>)> {
        load_proposal(&self.conn, id)
    }

    pub fn changes(&self, proposal: i64) -> Result<Vec<ProposalChange>> {
        load_changes(&self.conn, proposal)
    }

    /// The base and proposed text of a change, its decisions and what they produce now.
    pub fn change_texts(
        &self,
        change: &ProposalChange,
    ) -> Result<(String, String, Resolution, String)> {
        let base = text_of(&self.conn, change.base_sha256.as_ref())?;
        let proposed = text_of(&self.conn, change.proposed_sha256.as_ref())?;
        let (resolution, _) = resolution_of(&self.conn, change, hunks_of(&self.conn, change)?)?;
        let result = review::materialize(&base, &proposed, &resolution);
        Ok((base, proposed, resolution, result))
    }

    pub fn decisions(&self, change_id: i64) -> Result<Vec<DecisionRow>> {
        decisions_of(&self.conn, change_id)
    }

    /// Records a verdict (or an edit, or an undo) on changes of a proposal. Each decision stores
    /// the SHA-256 of the text the change materializes to after it.
    pub fn decide(
        &mut self,
        ctx: &Ctx,
        proposal: i64,
        target: &Target,
        decision: &Decision,
        reason: &str,
    ) -> Result<usize> {
        self.write(|tx| decide_in(tx, ctx, proposal, target, decision, reason))
    }

    /// Writes every accepted change as one operation. Conflicting files (changed since the
    /// proposal's base) are not written: each gets a rebased change instead. The proposal is
    /// read inside the transaction, so two reviewers applying at once cannot both write.
    pub fn apply_proposal(
        &mut self,
        ctx: &Ctx,
        proposal: i64,
        kind: OpKind,
    ) -> Result<ApplyReport> {
        self.write(|tx| apply_in(tx, ctx, proposal, kind))
    }
}

/// [`Db::decide`] inside the caller's transaction.
pub(crate) fn decide_in(
    tx: &Connection,
    ctx: &Ctx,
    proposal: i64,
    target: &Target,
    decision: &Decision,
    reason: &str,
) -> Result<usize> {
    let (p, changes) = load_proposal(tx, proposal)?;
    if p.state == "applied" {
        return Err(Error::Invalid(format!(
            "proposal {proposal} is already applied"
        )));
    }
    let chosen: Vec<&ProposalChange> = changes
        .iter()
        .filter(|c| c.state != "applied")
        .filter(|c| match target {
            Target::All => c.state == "open",
            Target::Category(cat) => c.state == "open" && c.category == *cat,
            Target::Change { seq, .. } => c.seq == *seq,
        })
        .collect();
    if chosen.is_empty() {
        return Err(Error::NotFound {
            kind: "open change",
            name: format!("{target:?} in proposal {proposal}"),
        });
    }
    if matches!(
        decision,
        Decision::Verdict {
            verdict: Verdict::Reject,
            ..
        }
    ) && reason.trim().is_empty()
    {
        return Err(Error::Invalid(
            "a rejection needs a reason (--reason TEXT)".into(),
        ));
    }
    let hunk = match target {
        Target::Change { hunk, .. } => *hunk,
        _ => None,
    };
    {
        for c in &chosen {
            let hunks = hunks_of(tx, c)?;
            if let Some(h) = hunk
                && h >= hunks
            {
                return Err(Error::NotFound {
                    kind: "hunk",
                    name: format!("{} of change {} (it has {hunks})", h + 1, c.seq),
                });
            }
            let (edited_sha, verdict) = match decision {
                Decision::Edit(text) => {
                    let sha = sha256_hex(text.as_bytes());
                    tx.execute(
                        "INSERT OR IGNORE INTO blobs (sha256, size, bytes) VALUES (?1, ?2, ?3)",
                        params![sha, text.len() as i64, text.as_bytes()],
                    )?;
                    (Some(sha), "edit")
                }
                Decision::Undo => (None, "undo"),
                Decision::Verdict {
                    verdict: Verdict::Accept,
                    ..
                } => (None, "accept"),
                Decision::Verdict {
                    verdict: Verdict::Reject,
                    ..
                } => (None, "reject"),
            };
            tx.execute(
                "INSERT INTO decisions (change_id, hunk, verdict, edited_sha256, reason, actor, at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
                params![
                    c.id,
                    hunk.map(|h| h as i64),
                    verdict,
                    edited_sha,
                    reason,
                    ctx.actor,
                    ctx.now
                ],
            )?;
            let decision_id = tx.last_insert_rowid();
            let (resolution, _) = resolution_of(tx, c, hunks)?;
            let text = materialized(tx, c, &resolution)?;
            let sha = sha256_hex(text.as_bytes());
            // The hash goes in with the decision: a later change to the proposal's bytes
            // cannot pass apply.
            tx.execute(
                "UPDATE decisions SET materialized_sha256 = ?2 WHERE id = ?1 AND materialized_sha256 IS NULL",
                params![decision_id, sha],
            )
            .map_err(|e| Error::Internal(format!("recording the decided hash: {e}")))?;
            audit::append(
                tx,
                ctx,
                "proposal.decide",
                &c.path,
                &json!({ "proposal": proposal, "change": c.seq, "hunk": hunk.map(|h| h + 1),
                         "verdict": verdict, "edited": edited_sha, "materialized": sha }),
                reason,
            )?;
        }
        let state = proposal_state(tx, proposal)?;
        tx.execute(
            "UPDATE proposals SET state = ?2 WHERE id = ?1",
            params![proposal, state],
        )?;
        Ok(chosen.len())
    }
}

/// [`Db::apply_proposal`] inside the caller's transaction.
pub(crate) fn apply_in(
    tx: &Connection,
    ctx: &Ctx,
    proposal: i64,
    kind: OpKind,
) -> Result<ApplyReport> {
    let (p, changes) = load_proposal(tx, proposal)?;
    if p.state == "applied" || p.state == "rejected" {
        return Err(Error::Invalid(format!(
            "proposal {proposal} is already {}",
            p.state
        )));
    }
    apply_in_tx(tx, ctx, &p, &changes, kind)
}

/// The stored states of proposals still waiting for review. A `pending` or `partial` one whose
/// files moved on is shown as `stale`, so this is also the set of shown states that wait.
const WAITING: [&str; 3] = ["pending", "partial", "stale"];

/// A proposal's own row, with its store and dream.
const HEADER_SQL: &str = "SELECT p.id, p.dream_id, s.name, p.base_op_id, p.state, p.created_at, \
     d.engine, s.id FROM proposals p JOIN stores s ON s.id = p.store_id \
     JOIN dreams d ON d.id = p.dream_id";

/// Which proposals a listing reads: of one store (by name) when `?1` is not NULL, in one of the
/// stored states of the JSON array `?2` when it is not NULL.
const LIST_FILTER: &str = "(?1 IS NULL OR s.name = ?1) \
     AND (?2 IS NULL OR p.state IN (SELECT value FROM json_each(?2)))";

struct Header {
    id: i64,
    dream_id: i64,
    store: String,
    base_op_id: i64,
    state: String,
    created_at: String,
    engine: String,
    store_id: i64,
}

fn header_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<Header> {
    Ok(Header {
        id: r.get(0)?,
        dream_id: r.get(1)?,
        store: r.get(2)?,
        base_op_id: r.get(3)?,
        state: r.get(4)?,
        created_at: r.get(5)?,
        engine: r.get(6)?,
        store_id: r.get(7)?,
    })
}

/// What a proposal's summary reads of each of its changes.
struct ChangeFacts {
    kind: String,
    path: String,
    base_sha256: Option<String>,
    category: String,
    flags: Vec<String>,
    state: String,
}

impl From<&ProposalChange> for ChangeFacts {
    fn from(c: &ProposalChange) -> Self {
        Self {
            kind: c.kind.clone(),
            path: c.path.clone(),
            base_sha256: c.base_sha256.clone(),
            category: c.category.clone(),
            flags: c.flags.clone(),
            state: c.state.clone(),
        }
    }
}

/// The summary of a proposal: categories, flags, counts, and whether the files it changes
/// moved on since its base (`head` is its store's state now).
fn summarize(h: Header, changes: &[ChangeFacts], head: &BTreeMap<String, Entry>) -> Proposal {
    let mut categories = BTreeMap::new();
    let mut flags: Vec<String> = Vec::new();
    for c in changes {
        *categories.entry(c.category.clone()).or_insert(0) += 1;
        for f in &c.flags {
            if !flags.contains(f) {
                flags.push(f.clone());
            }
        }
    }
    flags.sort();
    let moved_on = changes
        .iter()
        .filter(|c| c.state == "open")
        .any(|c| !base_matches(head, &c.kind, &c.path, c.base_sha256.as_ref()));
    // A proposal still waiting whose files moved on is `stale`: applying it would conflict.
    let state = if moved_on && (h.state == "pending" || h.state == "partial") {
        "stale".to_owned()
    } else {
        h.state
    };
    Proposal {
        id: h.id,
        dream_id: h.dream_id,
        store: h.store,
        base_op_id: h.base_op_id,
        state,
        created_at: h.created_at,
        engine: h.engine,
        categories,
        flags,
        changes: changes.len(),
        conflicts: changes.iter().filter(|c| c.state == "conflict").count(),
        stale: moved_on,
    }
}

fn load_proposal(conn: &Connection, id: i64) -> Result<(Proposal, Vec<ProposalChange>)> {
    let header = conn
        .query_row(
            &format!("{HEADER_SQL} WHERE p.id = ?1"),
            [id],
            header_from_row,
        )
        .optional()?
        .ok_or_else(|| Error::NotFound {
            kind: "proposal",
            name: id.to_string(),
        })?;
    let changes = load_changes(conn, id)?;
    let head = state_map(conn, header.store_id, head_op(conn, header.store_id)?)?;
    let facts: Vec<ChangeFacts> = changes.iter().map(ChangeFacts::from).collect();
    Ok((summarize(header, &facts, &head), changes))
}

/// The summaries of many proposals, newest first, in three queries whatever their number: the
/// proposals, the few columns of their changes that a summary needs, and the head state of each
/// store once (not once per proposal).
fn list_proposals(
    conn: &Connection,
    store: Option<&str>,
    states: Option<&[&str]>,
) -> Result<Vec<Proposal>> {
    let states = states.map(|s| serde_json::Value::from(s.to_vec()).to_string());
    let mut stmt = conn.prepare(&format!(
        "{HEADER_SQL} WHERE {LIST_FILTER} ORDER BY p.id DESC"
    ))?;
    let headers: Vec<Header> = stmt
        .query_map(params![store, states], header_from_row)?
        .collect::<Result<_, _>>()?;
    let mut facts: HashMap<i64, Vec<ChangeFacts>> = HashMap::with_capacity(headers.len());
    let mut stmt = conn.prepare(&format!(
        "SELECT c.proposal_id, c.kind, c.path, c.base_sha256, c.category, c.flags, c.state
         FROM changes c JOIN proposals p ON p.id = c.proposal_id
         JOIN stores s ON s.id = p.store_id
         WHERE {LIST_FILTER}"
    ))?;
    let mut rows = stmt.query(params![store, states])?;
    while let Some(r) = rows.next()? {
        let flags: String = r.get(5)?;
        facts.entry(r.get(0)?).or_default().push(ChangeFacts {
            kind: r.get(1)?,
            path: r.get(2)?,
            base_sha256: r.get(3)?,
            category: r.get(4)?,
            flags: serde_json::from_str(&flags).unwrap_or_default(),
            state: r.get(6)?,
        });
    }
    let mut heads: HashMap<i64, BTreeMap<String, Entry>> = HashMap::new();
    let mut out = Vec::with_capacity(headers.len());
    for h in headers {
        let head = match heads.entry(h.store_id) {
            std::collections::hash_map::Entry::Occupied(e) => e.into_mut(),
            std::collections::hash_map::Entry::Vacant(e) => {
                e.insert(state_map(conn, h.store_id, head_op(conn, h.store_id)?)?)
            }
        };
        let changes = facts.remove(&h.id).unwrap_or_default();
        out.push(summarize(h, &changes, head));
    }
    Ok(out)
}

fn load_changes(conn: &Connection, proposal: i64) -> Result<Vec<ProposalChange>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT {CHANGE_COLUMNS} FROM changes WHERE proposal_id = ?1 ORDER BY seq"
    ))?;
    let rows = stmt.query_map([proposal], change_from_row)?;
    Ok(rows.collect::<Result<_, _>>()?)
}

/// True when the file a change was made against is still what `head` holds (for a create: no
/// file at its path).
fn base_matches(
    head: &BTreeMap<String, Entry>,
    kind: &str,
    path: &str,
    base_sha256: Option<&String>,
) -> bool {
    match kind {
        "create" => !head.contains_key(path),
        _ => head.get(path).map(|e| &e.sha256) == base_sha256,
    }
}

fn apply_in_tx(
    tx: &Connection,
    ctx: &Ctx,
    p: &Proposal,
    changes: &[ProposalChange],
    kind: OpKind,
) -> Result<ApplyReport> {
    let store = store_row(tx, &p.store)?.ok_or_else(|| Error::NotFound {
        kind: "store",
        name: p.store.clone(),
    })?;
    let head = state_map(tx, store.id, head_op(tx, store.id)?)?;
    let mut writes: Vec<(FileChange, &ProposalChange, String)> = Vec::new();
    let mut conflicts = Vec::new();
    let mut left_open = 0;
    let mut next_seq = changes.iter().map(|c| c.seq).max().unwrap_or(0) + 1;
    for c in changes.iter().filter(|c| c.state == "open") {
        let hunks = hunks_of(tx, c)?;
        let (resolution, decisions) = resolution_of(tx, c, hunks)?;
        if !review::accepts_anything(&resolution) {
            left_open += 1;
            continue;
        }
        let text = materialized(tx, c, &resolution)?;
        let sha = sha256_hex(text.as_bytes());
        let decided = decisions
            .iter()
            .rev()
            .find_map(|d| d.materialized_sha256.clone());
        if decided.as_deref() != Some(sha.as_str()) {
            return Err(Error::Conflict(format!(
                "change {} ({}) no longer produces the text that was decided (decided {}, now {}): nothing was applied",
                c.seq,
                c.path,
                decided
                    .as_deref()
                    .map_or("nothing", |d| crate::util::truncate_str(d, 12)),
                crate::util::truncate_str(&sha, 12)
            )));
        }
        if !base_matches(&head, &c.kind, &c.path, c.base_sha256.as_ref()) {
            let current = head
                .get(&c.path)
                .map(|e| read_blob(tx, &e.sha256))
                .transpose()?;
            let current = current.map(|b| String::from_utf8_lossy(&b).into_owned());
            let base = text_of(tx, c.base_sha256.as_ref())?;
            let merged = review::merge3(&base, current.as_deref().unwrap_or(""), &text);
            let mut flags = c.flags.clone();
            flags.push("rebased".into());
            if merged.conflicts > 0 {
                flags.push("conflict_markers".into());
            }
            let rebased = NewChange {
                kind: if current.is_some() {
                    "modify"
                } else {
                    "create"
                },
                path: c.path.clone(),
                new_path: None,
                base: current,
                proposed: Some(merged.text),
                category: c.category.clone(),
                rationale: format!("Rebased onto the current file: {}", c.rationale),
                evidence: c.evidence.clone(),
                flags,
            };
            insert_change(tx, p.id, next_seq, &rebased, Some(c.id))?;
            tx.execute(
                "UPDATE changes SET state = 'conflict' WHERE id = ?1",
                [c.id],
            )?;
            conflicts.push((c.path.clone(), next_seq));
            next_seq += 1;
            continue;
        }
        let expect = c.base_sha256.clone();
        let change = match (c.kind.as_str(), file_verdict(&resolution)) {
            ("delete", Some(Verdict::Accept)) if !matches!(resolution, Resolution::Edited(_)) => {
                FileChange::Delete {
                    path: c.path.clone(),
                    expect_sha256: expect,
                }
            }
            ("rename", _) => FileChange::Rename {
                from: c.path.clone(),
                to: c.new_path.clone().unwrap_or_else(|| c.path.clone()),
                expect_sha256: expect,
            },
            _ => FileChange::Put {
                path: c.path.clone(),
                content: text.clone().into_bytes(),
                expect_sha256: expect,
            },
        };
        writes.push((change, c, sha));
    }
    let mut spec = OpSpec::new(
        kind,
        format!("apply proposal {} (dream {})", p.id, p.dream_id),
    );
    spec.dream_id = Some(p.dream_id);
    spec.proposal_id = Some(p.id);
    let mut file_changes: Vec<FileChange> = Vec::new();
    for (change, c, _) in &writes {
        file_changes.push(change.clone());
        // A rename whose content also changed writes the new content at the new path.
        if let FileChange::Rename { to, .. } = change {
            let (resolution, _) = resolution_of(tx, c, hunks_of(tx, c)?)?;
            let text = materialized(tx, c, &resolution)?;
            if Some(sha256_hex(text.as_bytes())) != c.base_sha256 {
                file_changes.push(FileChange::Put {
                    path: to.clone(),
                    content: text.into_bytes(),
                    expect_sha256: None,
                });
            }
        }
    }
    let operation = commit_in_tx(tx, ctx, &store, &spec, file_changes, false)?;
    for (_, c, sha) in &writes {
        tx.execute("UPDATE changes SET state = 'applied' WHERE id = ?1", [c.id])?;
        audit::append(
            tx,
            ctx,
            "proposal.apply_file",
            &c.path,
            &json!({ "proposal": p.id, "change": c.seq, "base": c.base_sha256, "written": sha,
                     "op": operation.as_ref().map(|o| o.op.id) }),
            "",
        )?;
    }
    for (path, seq) in &conflicts {
        audit::append(
            tx,
            ctx,
            "proposal.conflict",
            path,
            &json!({ "proposal": p.id, "rebased_change": seq }),
            "",
        )?;
    }
    let state = proposal_state(tx, p.id)?;
    tx.execute(
        "UPDATE proposals SET state = ?2 WHERE id = ?1",
        params![p.id, state],
    )?;
    audit::append(
        tx,
        ctx,
        "proposal.apply",
        &p.store,
        &json!({ "proposal": p.id, "written": writes.len(), "conflicts": conflicts.len(), "state": state }),
        "",
    )?;
    Ok(ApplyReport {
        proposal_id: p.id,
        operation,
        written: writes
            .iter()
            .map(|(_, c, _)| c.new_path.clone().unwrap_or_else(|| c.path.clone()))
            .collect(),
        conflicts,
        left_open,
        state,
    })
}

/// `applied` when nothing is left open, `rejected` when everything open was rejected and
/// nothing applied, `partial` when some applied, else `pending`.
fn proposal_state(tx: &Connection, proposal: i64) -> Result<String> {
    let mut stmt = tx.prepare(&format!(
        "SELECT {CHANGE_COLUMNS} FROM changes WHERE proposal_id = ?1"
    ))?;
    let changes: Vec<ProposalChange> = stmt
        .query_map([proposal], change_from_row)?
        .collect::<Result<_, _>>()?;
    let applied = changes.iter().filter(|c| c.state == "applied").count();
    let mut open_undecided = 0;
    for c in changes.iter().filter(|c| c.state == "open") {
        let hunks = hunks_of(tx, c)?;
        let (resolution, _) = resolution_of(tx, c, hunks)?;
        if !review::fully_decided(&resolution, hunks) || review::accepts_anything(&resolution) {
            open_undecided += 1;
        }
    }
    Ok(match (applied, open_undecided) {
        (0, 0) => "rejected",
        (_, 0) => "applied",
        (0, _) => "pending",
        _ => "partial",
    }
    .to_owned())
}
