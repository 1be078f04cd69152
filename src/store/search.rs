//! Searching the history for a text, as `git log -S` does: the operations that changed how often
//! it occurs in some file — "when did the agent learn that?" without knowing the file.

use std::collections::HashMap;

use memchr::memmem;
use rusqlite::params;
use serde::Serialize;

use super::Db;
use super::stores::read_blob;
use crate::error::{Error, Result};
use crate::model::{OpDetail, OpId, Store};

/// A file an operation wrote, and how often the text occurs in it before and after.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TextChange {
    pub path: String,
    pub before: usize,
    pub after: usize,
}

/// An operation that added or removed the text, with the files where it did.
#[derive(Debug, Clone, Serialize)]
pub struct SearchHit {
    #[serde(flatten)]
    pub op: OpDetail,
    pub matches: Vec<TextChange>,
}

impl Db {
    /// The operations of `store`, newest first (at most `limit`), that changed how many times
    /// `text` occurs in a file they wrote: it was written, removed, or its file created or
    /// deleted (a rename that keeps the content does not count). Case-sensitive, exact bytes.
    pub fn search_history(
        &self,
        store: &Store,
        text: &str,
        limit: Option<usize>,
    ) -> Result<Vec<SearchHit>> {
        if text.is_empty() {
            return Err(Error::Invalid("the text to search for is empty".into()));
        }
        let finder = memmem::Finder::new(text.as_bytes());
        // Blobs recur (rollbacks, renames): each is read and counted once.
        let mut counts: HashMap<String, usize> = HashMap::new();
        let mut count = |sha: &str| -> Result<usize> {
            if let Some(&n) = counts.get(sha) {
                return Ok(n);
            }
            let n = finder.find_iter(&read_blob(&self.conn, sha)?).count();
            counts.insert(sha.to_owned(), n);
            Ok(n)
        };
        let mut stmt = self.conn.prepare(
            "SELECT v.op_id, v.kind, v.path, v.sha256, p.kind, p.sha256
             FROM versions v LEFT JOIN versions p ON p.id = v.prev_id
             WHERE v.store_id = ?1 ORDER BY v.op_id DESC, v.id",
        )?;
        let mut rows = stmt.query(params![store.id])?;
        let mut found: Vec<(OpId, Vec<TextChange>)> = Vec::new();
        let mut current: Option<(OpId, Vec<TextChange>)> = None;
        while let Some(r) = rows.next()? {
            let op: OpId = r.get(0)?;
            if current.as_ref().is_some_and(|c| c.0 != op) {
                if limit.is_some_and(|n| found.len() >= n) {
                    break;
                }
                found.extend(current.take().filter(|c| !c.1.is_empty()));
            }
            let (kind, path, sha): (String, String, String) = (r.get(1)?, r.get(2)?, r.get(3)?);
            let prev: (Option<String>, Option<String>) = (r.get(4)?, r.get(5)?);
            let before = match prev {
                (Some(k), Some(s)) if k != "deleted" => count(&s)?,
                _ => 0,
            };
            let after = if kind == "deleted" { 0 } else { count(&sha)? };
            let entry = current.get_or_insert_with(|| (op, Vec::new()));
            if before != after {
                entry.1.push(TextChange {
                    path,
                    before,
                    after,
                });
            }
        }
        found.extend(current.filter(|c| !c.1.is_empty()));
        found.truncate(limit.unwrap_or(usize::MAX));
        let ids = found.iter().map(|f| f.0).collect();
        // Both newest first, one entry per operation.
        Ok(self
            .operations_among(store, &ids)?
            .into_iter()
            .zip(found)
            .map(|(op, (_, matches))| SearchHit { op, matches })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::OpKind;
    use crate::store::{ChangeSet, FileChange, OpSpec};
    use crate::util::Ctx;

    fn commit(db: &mut Db, ctx: &Ctx, change: FileChange) -> OpId {
        let set = ChangeSet::new(OpSpec::new(OpKind::Write, "test"), vec![change]);
        db.commit(ctx, "s", set)
            .expect("commit")
            .expect("an operation")
            .op
            .id
    }

    fn put(db: &mut Db, ctx: &Ctx, path: &str, text: &str) -> OpId {
        commit(
            db,
            ctx,
            FileChange::Put {
                path: path.into(),
                content: text.as_bytes().to_vec(),
                expect_sha256: None,
            },
        )
    }

    #[test]
    fn finds_the_operations_that_added_or_removed_the_text() {
        let mut db = Db::open_in_memory().expect("db");
        let ctx = Ctx::new("tester", time::OffsetDateTime::UNIX_EPOCH);
        db.create_store(&ctx, "s", "", None).expect("store");
        let learned = put(&mut db, &ctx, "/build.md", "- use npm\n");
        put(&mut db, &ctx, "/other.md", "unrelated\n");
        let switched = put(&mut db, &ctx, "/build.md", "- use pnpm, not npm\n");
        let renamed = commit(
            &mut db,
            &ctx,
            FileChange::Rename {
                from: "/build.md".into(),
                to: "/tools/build.md".into(),
                expect_sha256: None,
            },
        );
        let deleted = commit(
            &mut db,
            &ctx,
            FileChange::Delete {
                path: "/tools/build.md".into(),
                expect_sha256: None,
            },
        );
        let restored = db
            .rollback(&ctx, "s", renamed, "deleted by mistake")
            .expect("rollback")
            .op
            .id;
        let store = db.store("s").expect("store");
        let hits = |text: &str, limit: Option<usize>| -> Vec<(OpId, Vec<TextChange>)> {
            db.search_history(&store, text, limit)
                .expect("search")
                .into_iter()
                .map(|h| (h.op.op.id, h.matches))
                .collect()
        };
        let change = |path: &str, before, after| TextChange {
            path: path.into(),
            before,
            after,
        };
        assert_eq!(
            hits("pnpm", None),
            [
                (restored, vec![change("/tools/build.md", 0, 1)]),
                (deleted, vec![change("/tools/build.md", 1, 0)]),
                (switched, vec![change("/build.md", 0, 1)]),
            ],
            "the rename kept the text: not a match"
        );
        // "npm" occurs in "pnpm" too: twice after the switch.
        let npm: Vec<OpId> = hits("npm", None).iter().map(|h| h.0).collect();
        assert_eq!(npm, [restored, deleted, switched, learned]);
        assert_eq!(hits("npm", Some(2)).len(), 2);
        assert_eq!(hits("npm", Some(2))[1].0, deleted);
        assert!(hits("yarn", None).is_empty());
        assert!(db.search_history(&store, "", None).is_err());
    }
}
