//! Opening a database safely: refuse anything that is not ours *before* SQLite touches it,
//! create new files private (0600 in a 0700 directory), and migrate forward only.

use std::fs::{self, OpenOptions};
use std::io::Read;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use rusqlite::{Connection, OpenFlags};

use super::schema::{APPLICATION_ID, MIGRATIONS, latest_version};
use crate::error::{Error, Result};

/// Bundled SQLite before this has a WAL-reset corruption bug.
const MIN_SQLITE: (u32, u32, u32) = (3, 51, 3);
const BUSY_TIMEOUT: Duration = Duration::from_secs(10);
const SQLITE_MAGIC: &[u8; 16] = b"SQLite format 3\0";

/// Fails when the SQLite linked in is too old to be trusted with the store.
pub fn check_sqlite_version() -> Result<()> {
    let n = rusqlite::version_number();
    let found = (n / 1_000_000, (n / 1000) % 1000, n % 1000);
    let found = (found.0 as u32, found.1 as u32, found.2 as u32);
    if found < MIN_SQLITE {
        return Err(Error::OldSqlite {
            found: rusqlite::version().to_owned(),
            required: format!("{}.{}.{}", MIN_SQLITE.0, MIN_SQLITE.1, MIN_SQLITE.2),
        });
    }
    Ok(())
}

/// Opens (creating if absent) the database at `path` and migrates it to the latest schema.
pub fn open_path(path: &Path) -> Result<Connection> {
    check_sqlite_version()?;
    match fs::symlink_metadata(path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => create_new(path)?,
        Err(e) => return Err(Error::io(path, e)),
        Ok(_) => check_header(path)?,
    }
    let conn = Connection::open_with_flags(
        path,
        OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX,
    )
    .map_err(|e| corrupt_or(path, e))?;
    configure(&conn).map_err(|e| corrupt_or(path, e))?;
    verify_identity(&conn, path)?;
    migrate(&conn, path)?;
    Ok(conn)
}

/// An in-memory database with the full schema, for tests.
pub fn open_in_memory() -> Result<Connection> {
    let conn = Connection::open_in_memory()?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "application_id", APPLICATION_ID)?;
    migrate(&conn, Path::new(":memory:"))?;
    Ok(conn)
}

/// Creates the schema in a private temporary file beside `path`, then links it into place, so a
/// crash never leaves a half-made or zero-length database under the real name.
fn create_new(path: &Path) -> Result<()> {
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d.to_path_buf(),
        _ => PathBuf::from("."),
    };
    if !dir.exists() {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&dir)
            .map_err(|e| Error::io(&dir, e))?;
    }
    let file_name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let tmp = dir.join(format!(".{file_name}.init-{}", std::process::id()));
    let _ = fs::remove_file(&tmp);
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&tmp)
        .map_err(|e| Error::io(&tmp, e))?;
    let made = (|| -> Result<()> {
        let conn = Connection::open(&tmp)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "application_id", APPLICATION_ID)?;
        migrate(&conn, &tmp)?;
        conn.close().map_err(|(_, e)| Error::Sqlite(e))?;
        Ok(())
    })();
    let linked = made.and_then(|()| match fs::hard_link(&tmp, path) {
        // Another process created it first: use theirs.
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        other => other.map_err(|e| Error::io(path, e)),
    });
    for suffix in ["", "-wal", "-shm"] {
        let _ = fs::remove_file(format!("{}{suffix}", tmp.display()));
    }
    linked
}

/// Reads the 100-byte header without SQLite: junk, empty, foreign, newer and truncated files are
/// refused here, before anything could write to them.
fn check_header(path: &Path) -> Result<()> {
    let not_ours = |why: &str| Error::NotLucidDb {
        path: path.to_owned(),
        why: why.to_owned(),
    };
    let meta = fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if !meta.is_file() {
        return Err(not_ours("not a regular file"));
    }
    if meta.len() == 0 {
        return Err(not_ours("the file is empty"));
    }
    let mut header = [0u8; 100];
    let mut file = fs::File::open(path).map_err(|e| Error::io(path, e))?;
    let mut read = 0;
    while read < header.len() {
        match file.read(&mut header[read..]) {
            Ok(0) => break,
            Ok(n) => read += n,
            Err(e) => return Err(Error::io(path, e)),
        }
    }
    if read < header.len() || &header[..16] != SQLITE_MAGIC {
        return Err(not_ours("not a SQLite database"));
    }
    let be32 = |at: usize| {
        u32::from_be_bytes([header[at], header[at + 1], header[at + 2], header[at + 3]])
    };
    if be32(68) as i32 != APPLICATION_ID {
        return Err(not_ours("a SQLite database of another application"));
    }
    let version = i64::from(be32(60));
    if version > latest_version() {
        return Err(Error::NewerSchema {
            path: path.to_owned(),
            found: version,
            supported: latest_version(),
        });
    }
    let page_size = match u32::from(u16::from_be_bytes([header[16], header[17]])) {
        1 => 65_536,
        n => n,
    };
    // The in-header page count is valid when the change counter matches "version-valid-for".
    // With a write-ahead log present the file may legitimately be shorter (a checkpoint writes
    // page 1 before the pages after it), so only a database without one is checked.
    if be32(24) == be32(92) && !wal_present(path) {
        let expected = u64::from(page_size) * u64::from(be32(28));
        let size = fs::metadata(path).map_err(|e| Error::io(path, e))?.len();
        if size < expected && !wal_present(path) {
            return Err(Error::CorruptDb {
                path: path.to_owned(),
                why: format!("file is {size} bytes, the header says {expected}"),
            });
        }
    }
    Ok(())
}

/// True when a `-wal` file sits beside the database (another connection may be checkpointing).
fn wal_present(path: &Path) -> bool {
    let mut wal = path.as_os_str().to_owned();
    wal.push("-wal");
    Path::new(&wal).exists()
}

fn configure(conn: &Connection) -> rusqlite::Result<()> {
    conn.busy_timeout(BUSY_TIMEOUT)?;
    conn.pragma_update(None, "foreign_keys", true)?;
    conn.pragma_update(None, "synchronous", "FULL")?;
    // Big imports commit in 32 MB batches; a cache that holds a batch avoids spilling mid-way.
    conn.pragma_update(None, "cache_size", -65_536)?;
    let mode: String = conn.query_row("PRAGMA journal_mode", [], |r| r.get(0))?;
    if !mode.eq_ignore_ascii_case("wal") {
        conn.pragma_update(None, "journal_mode", "WAL")?;
    }
    Ok(())
}

/// Reads the settings back: a file that lies in its header or whose pages are damaged fails here.
fn verify_identity(conn: &Connection, path: &Path) -> Result<()> {
    let app: i32 = conn
        .query_row("PRAGMA application_id", [], |r| r.get(0))
        .map_err(|e| corrupt_or(path, e))?;
    if app != APPLICATION_ID {
        return Err(Error::NotLucidDb {
            path: path.to_owned(),
            why: "foreign application id".into(),
        });
    }
    let fk: bool = conn.query_row("PRAGMA foreign_keys", [], |r| r.get(0))?;
    if !fk {
        return Err(Error::Internal("foreign keys could not be enabled".into()));
    }
    // Touch the schema so damaged pages surface now rather than mid-command.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |r| {
        r.get::<_, i64>(0)
    })
    .map_err(|e| corrupt_or(path, e))?;
    Ok(())
}

fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let current: i64 = conn
        .query_row("PRAGMA user_version", [], |r| r.get(0))
        .map_err(|e| corrupt_or(path, e))?;
    let latest = latest_version();
    if current > latest {
        return Err(Error::NewerSchema {
            path: path.to_owned(),
            found: current,
            supported: latest,
        });
    }
    if current == latest {
        return Ok(());
    }
    conn.execute_batch("BEGIN IMMEDIATE")
        .map_err(|e| corrupt_or(path, e))?;
    let result = (|| -> rusqlite::Result<()> {
        // Re-read inside the lock: another process may have migrated meanwhile.
        let current: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(current.max(0) as usize) {
            conn.execute_batch(sql)?;
            conn.pragma_update(None, "user_version", i as i64 + 1)?;
        }
        Ok(())
    })();
    match result {
        Ok(()) => conn
            .execute_batch("COMMIT")
            .map_err(|e| corrupt_or(path, e)),
        Err(e) => {
            let _ = conn.execute_batch("ROLLBACK");
            Err(corrupt_or(path, e))
        }
    }
}

/// Maps SQLite's "not a database" / "corrupt" answers to a refusal naming the file.
pub(crate) fn corrupt_or(path: &Path, e: rusqlite::Error) -> Error {
    match e.sqlite_error_code() {
        Some(rusqlite::ErrorCode::NotADatabase) => Error::NotLucidDb {
            path: path.to_owned(),
            why: "not a SQLite database".into(),
        },
        Some(rusqlite::ErrorCode::DatabaseCorrupt) => Error::CorruptDb {
            path: path.to_owned(),
            why: e.to_string(),
        },
        _ => Error::Sqlite(e),
    }
}
