//! The audit log: append-only (triggers abort UPDATE/DELETE) and hash-chained. Each record's hash
//! is SHA-256 over `prev_hash` and a canonical JSON array of its fields; `verify` recomputes the
//! chain and names the first record that does not fit.

use rusqlite::{Connection, OptionalExtension, params};
use serde::Serialize;
use sha2::{Digest, Sha256};

use crate::error::{Error, Result};
use crate::util::Ctx;

/// `prev_hash` of the first record.
pub const GENESIS: &str = "0000000000000000000000000000000000000000000000000000000000000000";

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Record {
    pub seq: i64,
    pub at: String,
    pub actor: String,
    pub action: String,
    pub target: String,
    /// JSON text, hashed exactly as stored.
    pub details: String,
    pub reason: String,
    pub prev_hash: String,
    pub hash: String,
}

/// The hashed fields of a record, in canonical order.
#[derive(Debug, Clone, Copy)]
pub struct Fields<'a> {
    pub seq: i64,
    pub at: &'a str,
    pub actor: &'a str,
    pub action: &'a str,
    pub target: &'a str,
    pub details: &'a str,
    pub reason: &'a str,
}

/// The hash of a record: SHA-256 over `prev_hash`, a newline, and the canonical encoding
/// `[seq, at, actor, action, target, details, reason]` as compact JSON (strings escaped by
/// `serde_json`, so no field can forge a separator).
pub fn record_hash(prev_hash: &str, f: &Fields<'_>) -> String {
    hex::encode(record_digest(prev_hash, f))
}

/// The raw SHA-256 behind [`record_hash`]; the canonical JSON streams into the hasher.
fn record_digest(prev_hash: &str, f: &Fields<'_>) -> [u8; 32] {
    let mut h = Sha256::new();
    h.update(prev_hash.as_bytes());
    h.update(b"\n");
    serde_json::to_writer(
        HashWriter(&mut h),
        &(
            f.seq, f.at, f.actor, f.action, f.target, f.details, f.reason,
        ),
    )
    .expect("a tuple of strings and an integer always serializes");
    h.finalize().into()
}

/// Lets `serde_json` write straight into a hasher.
struct HashWriter<'a>(&'a mut Sha256);

impl std::io::Write for HashWriter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.update(buf);
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Appends one record inside the caller's transaction.
pub fn append(
    conn: &Connection,
    ctx: &Ctx,
    action: &str,
    target: &str,
    details: &serde_json::Value,
    reason: &str,
) -> Result<()> {
    let last: Option<(i64, String)> = conn
        .query_row(
            "SELECT seq, hash FROM audit ORDER BY seq DESC LIMIT 1",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .optional()?;
    let (seq, prev) = match last {
        Some((s, h)) => (s + 1, h),
        None => (1, GENESIS.to_owned()),
    };
    let details = details.to_string();
    let fields = Fields {
        seq,
        at: &ctx.now,
        actor: &ctx.actor,
        action,
        target,
        details: &details,
        reason,
    };
    let hash = record_hash(&prev, &fields);
    conn.prepare_cached(
        "INSERT INTO audit (seq, at, actor, action, target, details, reason, prev_hash, hash)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
    )?
    .execute(params![
        seq, ctx.now, ctx.actor, action, target, details, reason, prev, hash
    ])?;
    Ok(())
}

/// The result of a successful verification, for anchoring outside the database.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Verified {
    pub records: i64,
    pub head_hash: String,
}

/// Recomputes the whole chain. Fails with [`Error::AuditBroken`] naming the first bad record:
/// a changed field, a gap or reordering in `seq`, or a `prev_hash` that does not link.
pub fn verify(conn: &Connection) -> Result<Verified> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, target, details, reason, prev_hash, hash
         FROM audit ORDER BY seq",
    )?;
    let mut rows = stmt.query([])?;
    let mut expected_seq = 1;
    let mut prev = GENESIS.to_owned();
    let mut computed_hex = [0u8; 64];
    while let Some(r) = rows.next()? {
        let seq = match r.get_ref(0)? {
            rusqlite::types::ValueRef::Integer(n) => n,
            _ => expected_seq,
        };
        let broken = |why: String| Err(Error::AuditBroken { seq, why });
        if seq != expected_seq {
            return broken(format!(
                "expected record {expected_seq} here (a record is missing or was inserted)"
            ));
        }
        // Borrowed, and only TEXT: a field rewritten as a BLOB or number is tampering too.
        let mut fields: [&str; 8] = [""; 8];
        for (i, slot) in fields.iter_mut().enumerate() {
            match r.get_ref(i + 1)? {
                rusqlite::types::ValueRef::Text(t) => match std::str::from_utf8(t) {
                    Ok(text) => *slot = text,
                    Err(_) => return broken(format!("field {} is not valid UTF-8", i + 1)),
                },
                _ => return broken(format!("field {} is not text", i + 1)),
            }
        }
        let [at, actor, action, target, details, reason, prev_hash, hash] = fields;
        if prev_hash != prev {
            return broken("prev_hash does not match the previous record's hash".into());
        }
        let record = Fields {
            seq,
            at,
            actor,
            action,
            target,
            details,
            reason,
        };
        hex::encode_to_slice(record_digest(prev_hash, &record), &mut computed_hex)
            .expect("64 hex digits fit a 64-byte buffer");
        if computed_hex.as_slice() != hash.as_bytes() {
            return broken("contents do not match the recorded hash".into());
        }
        hash.clone_into(&mut prev);
        expected_seq += 1;
    }
    Ok(Verified {
        records: expected_seq - 1,
        head_hash: prev,
    })
}

/// Filters for [`records`].
#[derive(Debug, Clone, Default)]
pub struct Filter {
    pub since: Option<String>,
    pub actor: Option<String>,
    /// Matches the target or any path inside the details.
    pub path: Option<String>,
    /// Matches the action or its prefix before the first dot (`op` matches `op.write`).
    pub action: Option<String>,
}

/// Records in order, filtered.
pub fn records(conn: &Connection, filter: &Filter) -> Result<Vec<Record>> {
    let mut stmt = conn.prepare(
        "SELECT seq, at, actor, action, target, details, reason, prev_hash, hash FROM audit
         WHERE (?1 IS NULL OR at >= ?1) AND (?2 IS NULL OR actor = ?2)
           AND (?3 IS NULL OR action = ?3 OR action LIKE ?3 || '.%')
         ORDER BY seq",
    )?;
    let rows = stmt.query_map(params![filter.since, filter.actor, filter.action], |r| {
        Ok(Record {
            seq: r.get(0)?,
            at: r.get(1)?,
            actor: r.get(2)?,
            action: r.get(3)?,
            target: r.get(4)?,
            details: r.get(5)?,
            reason: r.get(6)?,
            prev_hash: r.get(7)?,
            hash: r.get(8)?,
        })
    })?;
    let mut out = Vec::new();
    for rec in rows {
        let rec = rec?;
        if let Some(p) = &filter.path
            && rec.target != *p
            && !mentions_path(&rec.details, p)
        {
            continue;
        }
        out.push(rec);
    }
    Ok(out)
}

fn mentions_path(details: &str, path: &str) -> bool {
    let Ok(v) = serde_json::from_str::<serde_json::Value>(details) else {
        return false;
    };
    v.get("files")
        .and_then(|f| f.as_array())
        .is_some_and(|files| {
            files.iter().any(|f| {
                f.get("path").and_then(|p| p.as_str()) == Some(path)
                    || f.get("old_path").and_then(|p| p.as_str()) == Some(path)
            })
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn db_with(n: usize) -> Connection {
        let conn = crate::store::schema_for_tests();
        for i in 0..n {
            let ctx = Ctx {
                actor: format!("actor{i}"),
                now: format!("2026-01-01T00:00:0{i}.000Z"),
            };
            append(
                &conn,
                &ctx,
                "op.write",
                "s",
                &serde_json::json!({"i": i}),
                "why",
            )
            .unwrap();
        }
        conn
    }

    #[test]
    fn an_untouched_chain_verifies() {
        let conn = db_with(5);
        let v = verify(&conn).unwrap();
        assert_eq!(v.records, 5);
        assert_eq!(v.head_hash.len(), 64);
    }

    #[test]
    fn the_triggers_refuse_update_and_delete() {
        let conn = db_with(2);
        assert!(
            conn.execute("UPDATE audit SET actor = 'x' WHERE seq = 1", [])
                .is_err()
        );
        assert!(conn.execute("DELETE FROM audit WHERE seq = 2", []).is_err());
    }

    #[test]
    fn a_changed_field_is_reported_at_its_record() {
        let conn = db_with(4);
        conn.execute_batch("DROP TRIGGER audit_no_update").unwrap();
        conn.execute("UPDATE audit SET reason = 'other' WHERE seq = 3", [])
            .unwrap();
        assert!(matches!(
            verify(&conn),
            Err(Error::AuditBroken { seq: 3, .. })
        ));
    }

    #[test]
    fn the_hash_covers_every_field() {
        let base = ["2026", "a", "act", "t", "{}", "r", GENESIS];
        let h = |seq: i64, f: [&str; 7]| {
            let fields = Fields {
                seq,
                at: f[0],
                actor: f[1],
                action: f[2],
                target: f[3],
                details: f[4],
                reason: f[5],
            };
            record_hash(f[6], &fields)
        };
        let original = h(1, base);
        for i in 0..base.len() {
            let mut changed = base;
            changed[i] = "x";
            assert_ne!(h(1, changed), original, "field {i}");
        }
        assert_ne!(h(2, base), original);
    }
}
