//! `lucid import sessions PATH`: find transcript files, skip the unchanged ones, parse the rest
//! and store them in batches (each batch one transaction).

use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use serde::Serialize;

use super::{BadLine, ParsedFile, claude_code, managed_agents, walk};
use crate::error::{Error, Result};
use crate::store::{Db, FileStamp, ImportedFile, PackedRaw, pack_raw};
use crate::util::{Ctx, sha256_hex};

/// Commit after this many bytes of input, so a large tree is not one giant transaction.
const BATCH_BYTES: u64 = 16 * 1024 * 1024;
/// Files the reader thread may parse ahead of the writer: enough to keep it busy for a whole
/// batch commit, so reading and writing overlap.
const READ_AHEAD: usize = 64;
/// Parsing is the slower half of an import: two readers keep up with one writer.
const READERS: usize = 2;

/// Options of one import.
#[derive(Debug, Clone, Default)]
pub struct Options {
    /// Agent name for every session; default: the project folder name.
    pub agent: Option<String>,
    /// Link the sessions to this store.
    pub store: Option<String>,
}

/// A file's bad lines, as reported to the user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct FileProblem {
    pub path: String,
    pub bad_lines: Vec<BadLine>,
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub files_seen: usize,
    pub files_imported: usize,
    pub files_unchanged: usize,
    pub sessions: usize,
    pub events: usize,
    pub tool_errors: usize,
    pub bad_lines: usize,
    pub bytes: u64,
    pub problems: Vec<FileProblem>,
}

fn is_transcript(p: &Path) -> bool {
    let name = p
        .file_name()
        .map(|n| n.to_string_lossy())
        .unwrap_or_default();
    name.ends_with(".jsonl") || name.ends_with(".json")
}

/// The agent a file belongs to: the folder directly below the import root (a project folder of
/// `~/.claude/projects`), the root itself for files directly in it, or a file's parent folder.
fn agent_for(root: &Path, file: &Path, root_is_file: bool) -> String {
    let name = |p: Option<&Path>| {
        p.and_then(Path::file_name).map_or_else(
            || "unknown".to_owned(),
            |n| n.to_string_lossy().into_owned(),
        )
    };
    if root_is_file {
        return name(file.parent());
    }
    let rel = file.strip_prefix(root).unwrap_or(file);
    let mut parts = rel.components();
    match (parts.next(), parts.next()) {
        (Some(first), Some(_)) => first.as_os_str().to_string_lossy().into_owned(),
        _ => name(Some(root)),
    }
}

fn stem(file: &Path) -> String {
    let name = file
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    for suffix in [".events.json", ".jsonl", ".json"] {
        if let Some(s) = name.strip_suffix(suffix) {
            return s.to_owned();
        }
    }
    name
}

fn parse(file: &Path, bytes: &[u8]) -> ParsedFile {
    let extension = file
        .extension()
        .map(|e| e.to_string_lossy().to_ascii_lowercase());
    let managed = extension.as_deref() == Some("json") || managed_agents::looks_like(bytes);
    if managed {
        managed_agents::parse(bytes, &stem(file))
    } else {
        claude_code::parse(bytes, &stem(file))
    }
}

/// A file that needs reading: its stable key, mtime and what we knew of it.
struct Pending {
    file: PathBuf,
    key: String,
    mtime_ns: i64,
    previous: Option<FileStamp>,
}

/// A file read and parsed by the worker thread.
struct Read {
    pending: Pending,
    stamp: FileStamp,
    /// `None` when the content is unchanged since the last import (only touched).
    parsed: Option<(ParsedFile, Vec<PackedRaw>)>,
}

fn read_and_parse(pending: Pending) -> Result<Read> {
    let bytes = fs::read(&pending.file).map_err(|e| Error::io(&pending.file, e))?;
    let stamp = FileStamp {
        size: bytes.len() as u64,
        mtime_ns: pending.mtime_ns,
        sha256: sha256_hex(&bytes),
    };
    let unchanged = pending
        .previous
        .as_ref()
        .is_some_and(|p| p.sha256 == stamp.sha256);
    let parsed = (!unchanged).then(|| {
        let parsed = parse(&pending.file, &bytes);
        let packed = parsed.sessions.iter().map(pack_raw).collect();
        (parsed, packed)
    });
    Ok(Read {
        pending,
        stamp,
        parsed,
    })
}

/// Imports every transcript under `root`. Unchanged files (same size and mtime, or same hash)
/// are skipped; changed or grown files replace their sessions' events. Files are read and
/// parsed on a second thread while this one writes the previous batch.
pub fn import(db: &mut Db, ctx: &Ctx, root: &Path, opts: &Options) -> Result<Report> {
    if let Some(store) = &opts.store {
        db.store(store)?;
    }
    let root_is_file = fs::metadata(root)
        .map_err(|e| Error::io(root, e))?
        .is_file();
    let files: Vec<PathBuf> = walk::files(root, &is_transcript)?;
    let mut report = Report {
        files_seen: files.len(),
        ..Report::default()
    };
    let mut todo = Vec::new();
    for file in files {
        let key = fs::canonicalize(&file)
            .unwrap_or_else(|_| file.clone())
            .to_string_lossy()
            .into_owned();
        let meta = fs::metadata(&file).map_err(|e| Error::io(&file, e))?;
        let mtime_ns = meta.mtime() * 1_000_000_000 + meta.mtime_nsec();
        let previous = db.file_stamp(&key)?;
        if previous
            .as_ref()
            .is_some_and(|p| p.size == meta.len() && p.mtime_ns == mtime_ns)
        {
            report.files_unchanged += 1;
            continue;
        }
        todo.push(Pending {
            file,
            key,
            mtime_ns,
            previous,
        });
    }
    db.pause_checkpoints()?;
    let result = read_and_store(db, ctx, root, root_is_file, opts, todo, report);
    db.resume_checkpoints()?;
    result
}

/// Reads and parses on two reader threads while this one writes batches, in file order.
fn read_and_store(
    db: &mut Db,
    ctx: &Ctx,
    root: &Path,
    root_is_file: bool,
    opts: &Options,
    todo: Vec<Pending>,
    mut report: Report,
) -> Result<Report> {
    let queue = std::sync::Mutex::new(todo.into_iter().enumerate());
    std::thread::scope(|scope| {
        let (tx, rx) = std::sync::mpsc::sync_channel::<(usize, Result<Read>)>(READ_AHEAD);
        for n in 0..READERS {
            let (tx, queue) = (tx.clone(), &queue);
            std::thread::Builder::new()
                .name(format!("lucid-read-{n}"))
                .spawn_scoped(scope, move || {
                    loop {
                        let next = queue.lock().ok().and_then(|mut q| q.next());
                        let Some((i, pending)) = next else { break };
                        // The receiver is gone only after an error; stop reading then.
                        if tx.send((i, read_and_parse(pending))).is_err() {
                            break;
                        }
                    }
                })
                .map_err(|e| Error::Internal(format!("starting a reader thread: {e}")))?;
        }
        drop(tx);
        // Readers finish out of order; hand files to the writer in order, so imports are
        // deterministic.
        let mut early: std::collections::BTreeMap<usize, Result<Read>> =
            std::collections::BTreeMap::new();
        let mut next = 0;
        let rx = rx.into_iter().flat_map(|(i, read)| {
            early.insert(i, read);
            let mut ready = Vec::new();
            while let Some(read) = early.remove(&next) {
                ready.push(read);
                next += 1;
            }
            ready
        });
        let mut batch: Vec<ImportedFile> = Vec::new();
        let mut batch_bytes = 0;
        for read in rx {
            let Read {
                pending,
                stamp,
                parsed,
            } = read?;
            let Some((parsed, packed)) = parsed else {
                db.restamp_file(&pending.key, &stamp)?;
                report.files_unchanged += 1;
                continue;
            };
            report.files_imported += 1;
            report.bytes += stamp.size;
            report.bad_lines += parsed.bad_lines.len();
            report.sessions += parsed.sessions.len();
            for s in &parsed.sessions {
                report.events += s.events.len();
                report.tool_errors += s.tool_calls.iter().filter(|c| c.is_error).count();
            }
            if !parsed.bad_lines.is_empty() {
                report.problems.push(FileProblem {
                    path: pending.file.display().to_string(),
                    bad_lines: parsed.bad_lines,
                });
            }
            batch_bytes += stamp.size;
            batch.push(ImportedFile {
                agent: opts
                    .agent
                    .clone()
                    .unwrap_or_else(|| agent_for(root, &pending.file, root_is_file)),
                path: pending.key,
                stamp,
                sessions: parsed.sessions,
                packed,
            });
            if batch_bytes >= BATCH_BYTES {
                db.store_sessions(ctx, opts.store.as_deref(), &batch)?;
                batch.clear();
                batch_bytes = 0;
            }
        }
        if !batch.is_empty() {
            db.store_sessions(ctx, opts.store.as_deref(), &batch)?;
        }
        Ok(report)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agents_come_from_the_project_folder() {
        let root = Path::new("/home/u/.claude/projects");
        assert_eq!(
            agent_for(root, &root.join("-home-u-app/s.jsonl"), false),
            "-home-u-app"
        );
        assert_eq!(
            agent_for(root, &root.join("-home-u-app/s/subagents/a.jsonl"), false),
            "-home-u-app"
        );
        assert_eq!(agent_for(root, &root.join("s.jsonl"), false), "projects");
        assert_eq!(
            agent_for(
                Path::new("/x/coder/s.jsonl"),
                Path::new("/x/coder/s.jsonl"),
                true
            ),
            "coder"
        );
    }

    #[test]
    fn stems_drop_the_known_suffixes() {
        assert_eq!(stem(Path::new("/a/sesn_1.events.json")), "sesn_1");
        assert_eq!(stem(Path::new("/a/abc.jsonl")), "abc");
    }
}
