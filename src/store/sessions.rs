//! Sessions and events: storing parsed transcripts (replacing a session's events when its file
//! grew or changed), remembering imported files for incremental re-import, and listing them.

use rusqlite::{OptionalExtension, Transaction, params};
use serde::Serialize;
use serde_json::json;

use super::Db;
use crate::audit;
use crate::error::{Error, Result};
use crate::import::ParsedSession;
use crate::model::{EventRow, SessionInfo};
use crate::util::Ctx;

/// What we remember about an imported file, to skip it when unchanged.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileStamp {
    pub size: u64,
    pub mtime_ns: i64,
    pub sha256: String,
}

/// One parsed file ready to store.
#[derive(Debug, Clone)]
pub struct ImportedFile {
    pub path: String,
    pub stamp: FileStamp,
    pub agent: String,
    pub sessions: Vec<ParsedSession>,
    /// Each session's raw lines packed by [`pack_raw`] (same order as `sessions`).
    pub packed: Vec<PackedRaw>,
}

/// A session's original lines, concatenated and compressed once: per-line compression gains
/// little, a whole session compresses several times over.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PackedRaw {
    pub blob: Vec<u8>,
    /// (start, length) of each event's raw text in the decompressed blob.
    pub ranges: Vec<(usize, usize)>,
}

/// Packs a session's raw lines (cheap enough to do off the writing thread).
pub fn pack_raw(session: &ParsedSession) -> PackedRaw {
    let total = session.events.iter().map(|e| e.raw.len()).sum();
    let mut all = String::with_capacity(total);
    let mut ranges = Vec::with_capacity(session.events.len());
    for e in &session.events {
        ranges.push((all.len(), e.raw.len()));
        all.push_str(&e.raw);
    }
    PackedRaw {
        blob: lz4_flex::compress_prepend_size(all.as_bytes()),
        ranges,
    }
}

impl Db {
    /// The stamp recorded for a file at its last import.
    pub fn file_stamp(&self, path: &str) -> Result<Option<FileStamp>> {
        Ok(self
            .conn
            .query_row(
                "SELECT size, mtime_ns, sha256 FROM import_files WHERE path = ?1",
                [path],
                |r| {
                    Ok(FileStamp {
                        size: r.get::<_, i64>(0)? as u64,
                        mtime_ns: r.get(1)?,
                        sha256: r.get(2)?,
                    })
                },
            )
            .optional()?)
    }

    /// Records a new stamp for a file whose content did not change (only touched).
    pub fn restamp_file(&mut self, path: &str, stamp: &FileStamp) -> Result<()> {
        self.write(|tx| {
            tx.execute(
                "UPDATE import_files SET size = ?2, mtime_ns = ?3, sha256 = ?4 WHERE path = ?1",
                params![path, stamp.size as i64, stamp.mtime_ns, stamp.sha256],
            )?;
            Ok(())
        })
    }

    /// Stores a batch of parsed files in one transaction, with one audit record.
    /// Returns the number of sessions and events written.
    pub fn store_sessions(
        &mut self,
        ctx: &Ctx,
        store: Option<&str>,
        files: &[ImportedFile],
    ) -> Result<(usize, usize)> {
        let store_id = store.map(|s| self.store(s).map(|m| m.id)).transpose()?;
        self.write(|tx| {
            let (mut sessions, mut events) = (0, 0);
            let mut audited = Vec::new();
            for file in files {
                let mut ids = Vec::new();
                for (s, packed) in file.sessions.iter().zip(&file.packed) {
                    ids.push(upsert_session(tx, ctx, store_id, file, s, packed)?);
                    sessions += 1;
                    events += s.events.len();
                    audited.push(json!({
                        "file": file.path, "session": s.external_id, "events": s.events.len()
                    }));
                }
                tx.execute(
                    "INSERT OR REPLACE INTO import_files
                        (path, size, mtime_ns, sha256, session_ids, imported_at)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                    params![
                        file.path,
                        file.stamp.size as i64,
                        file.stamp.mtime_ns,
                        file.stamp.sha256,
                        serde_json::to_string(&ids).unwrap_or_default(),
                        ctx.now
                    ],
                )?;
            }
            let target = store.unwrap_or("");
            audit::append(
                tx,
                ctx,
                "sessions.import",
                target,
                &json!({ "sessions": audited }),
                "",
            )?;
            Ok((sessions, events))
        })
    }

    /// Sessions, newest first, optionally of one store / agent.
    pub fn sessions(&self, store: Option<&str>, agent: Option<&str>) -> Result<Vec<SessionInfo>> {
        let mut stmt = self.conn.prepare(
            "SELECT s.id, st.name, s.agent, s.source, s.external_id, s.path, s.started_at,
                    s.ended_at, s.title, s.imported_at, s.event_count, s.error_count
             FROM sessions s LEFT JOIN stores st ON st.id = s.store_id
             WHERE (?1 IS NULL OR st.name = ?1) AND (?2 IS NULL OR s.agent = ?2)
             ORDER BY s.started_at DESC, s.id DESC",
        )?;
        let rows = stmt.query_map(params![store, agent], session_from_row)?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// One session by its local id or its external id.
    pub fn session(&self, reference: &str) -> Result<SessionInfo> {
        let id: Option<i64> = reference.parse().ok();
        self.conn
            .query_row(
                "SELECT s.id, st.name, s.agent, s.source, s.external_id, s.path, s.started_at,
                        s.ended_at, s.title, s.imported_at, s.event_count, s.error_count
                 FROM sessions s LEFT JOIN stores st ON st.id = s.store_id
                 WHERE s.id = ?1 OR s.external_id = ?2
                 ORDER BY s.id LIMIT 1",
                params![id, reference],
                session_from_row,
            )
            .optional()?
            .ok_or_else(|| Error::NotFound {
                kind: "session",
                name: reference.into(),
            })
    }

    /// The original source line(s) of one event, exactly as imported.
    pub fn event_raw(&self, session_id: i64, seq: i64) -> Result<String> {
        let (blob, start, len): (Vec<u8>, i64, i64) = self
            .conn
            .query_row(
                "SELECT s.raw, e.raw_start, e.raw_len FROM events e JOIN sessions s ON s.id = e.session_id
                 WHERE e.session_id = ?1 AND e.seq = ?2",
                params![session_id, seq],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .optional()?
            .ok_or_else(|| Error::NotFound { kind: "event", name: format!("{session_id}#{seq}") })?;
        let damaged = || Error::Internal(format!("stored session {session_id} is damaged"));
        let all = lz4_flex::decompress_size_prepended(&blob).map_err(|_| damaged())?;
        let slice = all
            .get(start as usize..(start + len) as usize)
            .ok_or_else(damaged)?;
        String::from_utf8(slice.to_vec()).map_err(|_| damaged())
    }

    /// The events of a session in order.
    pub fn events(&self, session_id: i64) -> Result<Vec<EventRow>> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, external_id, parent_external_id, kind, role, at, thread, is_error, text
             FROM events WHERE session_id = ?1 ORDER BY seq",
        )?;
        let rows = stmt.query_map([session_id], |r| {
            Ok(EventRow {
                seq: r.get(0)?,
                external_id: r.get(1)?,
                parent_external_id: r.get(2)?,
                kind: r.get(3)?,
                role: r.get(4)?,
                at: r.get(5)?,
                thread: r.get(6)?,
                is_error: r.get(7)?,
                text: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }
}

fn session_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<SessionInfo> {
    Ok(SessionInfo {
        id: r.get(0)?,
        store: r.get(1)?,
        agent: r.get(2)?,
        source: r.get(3)?,
        external_id: r.get(4)?,
        path: r.get(5)?,
        started_at: r.get(6)?,
        ended_at: r.get(7)?,
        title: r.get(8)?,
        imported_at: r.get(9)?,
        events: r.get::<_, i64>(10)? as usize,
        errors: r.get::<_, i64>(11)? as usize,
    })
}

/// Inserts or replaces one session; its local id stays stable across re-imports.
pub(super) fn upsert_session(
    tx: &Transaction<'_>,
    ctx: &Ctx,
    store_id: Option<i64>,
    file: &ImportedFile,
    s: &ParsedSession,
    packed: &PackedRaw,
) -> Result<i64> {
    let errors = s.events.iter().filter(|e| e.is_error).count();
    let existing: Option<i64> = tx
        .query_row(
            "SELECT id FROM sessions WHERE source = ?1 AND external_id = ?2",
            params![s.source.as_str(), s.external_id],
            |r| r.get(0),
        )
        .optional()?;
    let id = if let Some(id) = existing {
        tx.execute("DELETE FROM events WHERE session_id = ?1", [id])?;
        tx.execute("DELETE FROM tool_calls WHERE session_id = ?1", [id])?;
        tx.execute(
            "UPDATE sessions SET store_id = coalesce(?2, store_id), agent = ?3, path = ?4,
                 started_at = ?5, ended_at = ?6, title = ?7, imported_at = ?8,
                 event_count = ?9, error_count = ?10, raw = ?11
             WHERE id = ?1",
            params![
                id,
                store_id,
                file.agent,
                file.path,
                s.started_at,
                s.ended_at,
                s.title,
                ctx.now,
                s.events.len() as i64,
                errors as i64,
                packed.blob
            ],
        )?;
        id
    } else {
        tx.execute(
            "INSERT INTO sessions (store_id, agent, source, external_id, path, started_at,
                                   ended_at, title, imported_at, event_count, error_count, raw)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
            params![
                store_id,
                file.agent,
                s.source.as_str(),
                s.external_id,
                file.path,
                s.started_at,
                s.ended_at,
                s.title,
                ctx.now,
                s.events.len() as i64,
                errors as i64,
                packed.blob
            ],
        )?;
        tx.last_insert_rowid()
    };
    let mut insert_event = tx.prepare_cached(
        "INSERT INTO events (session_id, seq, external_id, parent_external_id, kind, role, at,
                             thread, is_error, text, raw_start, raw_len)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12)",
    )?;
    for (seq, (e, (start, len))) in s.events.iter().zip(&packed.ranges).enumerate() {
        insert_event.execute(params![
            id,
            seq as i64,
            e.external_id,
            e.parent_external_id,
            e.kind,
            e.role,
            e.at,
            e.thread,
            e.is_error,
            e.text,
            *start as i64,
            *len as i64
        ])?;
    }
    let mut insert_call = tx.prepare_cached(
        "INSERT OR REPLACE INTO tool_calls (session_id, tool_use_id, name, input, use_seq,
                                            result_seq, is_error, result_text)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
    )?;
    for c in &s.tool_calls {
        insert_call.execute(params![
            id,
            c.tool_use_id,
            c.name,
            c.input,
            c.use_event as i64,
            c.result_event.map(|i| i as i64),
            c.is_error,
            c.result_text
        ])?;
    }
    Ok(id)
}
