//! The schema, as forward migrations keyed by `PRAGMA user_version`.
//! Append a migration to add tables or columns; never edit a shipped one.

/// Our `PRAGMA application_id`: "LUCD".
pub const APPLICATION_ID: i32 = 0x4C55_4344;

/// Migrations in order; migration `i` moves `user_version` from `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[V1, V2, V3];

/// The schema version this build writes.
pub fn latest_version() -> i64 {
    MIGRATIONS.len() as i64
}

const V1: &str = r"
CREATE TABLE stores (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    description TEXT NOT NULL DEFAULT '',
    mode TEXT NOT NULL DEFAULT 'review' CHECK (mode IN ('review', 'auto')),
    max_content_bytes INTEGER NOT NULL DEFAULT 102400,
    settings TEXT NOT NULL DEFAULT '{}',
    created_at TEXT NOT NULL,
    archived_at TEXT
);

CREATE TABLE blobs (
    sha256 TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    bytes BLOB NOT NULL
) WITHOUT ROWID;

CREATE TABLE operations (
    id INTEGER PRIMARY KEY,
    store_id INTEGER NOT NULL REFERENCES stores(id),
    parent_id INTEGER REFERENCES operations(id),
    kind TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL,
    reason TEXT NOT NULL DEFAULT '',
    restores_op_id INTEGER REFERENCES operations(id),
    dream_id INTEGER,
    proposal_id INTEGER,
    root_hash TEXT NOT NULL,
    files_changed INTEGER NOT NULL
);
CREATE INDEX operations_by_store ON operations (store_id, id);

CREATE TABLE memories (
    id INTEGER PRIMARY KEY,
    store_id INTEGER NOT NULL REFERENCES stores(id),
    created_op_id INTEGER NOT NULL REFERENCES operations(id)
);
CREATE INDEX memories_by_store ON memories (store_id);

CREATE TABLE versions (
    id INTEGER PRIMARY KEY,
    memory_id INTEGER NOT NULL REFERENCES memories(id),
    store_id INTEGER NOT NULL REFERENCES stores(id),
    op_id INTEGER NOT NULL REFERENCES operations(id),
    kind TEXT NOT NULL CHECK (kind IN ('created', 'modified', 'renamed', 'deleted')),
    path TEXT NOT NULL,
    sha256 TEXT NOT NULL REFERENCES blobs(sha256),
    size INTEGER NOT NULL,
    prev_id INTEGER REFERENCES versions(id)
);
-- Covers the log: an operation's files in order without reading the table.
CREATE INDEX versions_by_store_op ON versions (store_id, op_id, memory_id, kind, path, prev_id);
CREATE INDEX versions_by_memory ON versions (memory_id, id);
CREATE INDEX versions_by_path ON versions (store_id, path);
CREATE INDEX versions_by_op ON versions (op_id);

CREATE TABLE tags (
    store_id INTEGER NOT NULL REFERENCES stores(id),
    name TEXT NOT NULL,
    op_id INTEGER NOT NULL REFERENCES operations(id),
    PRIMARY KEY (store_id, name)
);

CREATE TABLE audit (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,
    target TEXT NOT NULL,
    details TEXT NOT NULL,
    reason TEXT NOT NULL,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_no_update BEFORE UPDATE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_no_delete BEFORE DELETE ON audit
    BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

CREATE TABLE sessions (
    id INTEGER PRIMARY KEY,
    store_id INTEGER REFERENCES stores(id),
    agent TEXT NOT NULL,
    source TEXT NOT NULL,
    external_id TEXT NOT NULL,
    path TEXT,
    started_at TEXT,
    ended_at TEXT,
    title TEXT,
    imported_at TEXT NOT NULL,
    event_count INTEGER NOT NULL,
    error_count INTEGER NOT NULL,
    -- every event's original line(s), concatenated and LZ4-compressed (size-prefixed)
    raw BLOB NOT NULL,
    UNIQUE (source, external_id)
);
CREATE INDEX sessions_by_store ON sessions (store_id, started_at);

CREATE TABLE events (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    seq INTEGER NOT NULL,
    external_id TEXT,
    parent_external_id TEXT,
    kind TEXT NOT NULL,
    role TEXT,
    at TEXT,
    thread TEXT NOT NULL,
    is_error INTEGER NOT NULL,
    text TEXT NOT NULL,
    -- where this event's original line(s) sit in the session's decompressed `raw`
    raw_start INTEGER NOT NULL,
    raw_len INTEGER NOT NULL,
    PRIMARY KEY (session_id, seq)
) WITHOUT ROWID;

CREATE TABLE tool_calls (
    session_id INTEGER NOT NULL REFERENCES sessions(id),
    tool_use_id TEXT NOT NULL,
    name TEXT NOT NULL,
    input TEXT NOT NULL,
    use_seq INTEGER NOT NULL,
    result_seq INTEGER,
    is_error INTEGER NOT NULL,
    result_text TEXT,
    PRIMARY KEY (session_id, tool_use_id)
) WITHOUT ROWID;

CREATE TABLE import_files (
    path TEXT PRIMARY KEY,
    size INTEGER NOT NULL,
    mtime_ns INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    session_ids TEXT NOT NULL,
    imported_at TEXT NOT NULL
) WITHOUT ROWID;
";

/// Dreams, proposals, their changes and the decisions reviewers make on them.
const V2: &str = r"
ALTER TABLE stores ADD COLUMN deletion_budget REAL NOT NULL DEFAULT 0.3;

CREATE TABLE dreams (
    id INTEGER PRIMARY KEY,
    store_id INTEGER NOT NULL REFERENCES stores(id),
    base_op_id INTEGER NOT NULL REFERENCES operations(id),
    engine TEXT NOT NULL,
    engine_version TEXT NOT NULL,
    instructions TEXT NOT NULL,
    session_ids TEXT NOT NULL,
    inputs_hash TEXT,
    status TEXT NOT NULL
        CHECK (status IN ('pending', 'running', 'completed', 'failed', 'canceled')),
    error TEXT,
    usage TEXT NOT NULL DEFAULT '{}',
    actor TEXT NOT NULL,
    created_at TEXT NOT NULL,
    started_at TEXT,
    ended_at TEXT,
    lock_pid INTEGER,
    lock_expires_at TEXT
);
CREATE INDEX dreams_by_store ON dreams (store_id, id);

CREATE TABLE proposals (
    id INTEGER PRIMARY KEY,
    dream_id INTEGER NOT NULL REFERENCES dreams(id),
    store_id INTEGER NOT NULL REFERENCES stores(id),
    base_op_id INTEGER NOT NULL REFERENCES operations(id),
    state TEXT NOT NULL
        CHECK (state IN ('pending', 'partial', 'applied', 'rejected', 'stale')),
    created_at TEXT NOT NULL
);
CREATE INDEX proposals_by_store ON proposals (store_id, id);

CREATE TABLE changes (
    id INTEGER PRIMARY KEY,
    proposal_id INTEGER NOT NULL REFERENCES proposals(id),
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('create', 'modify', 'delete', 'rename')),
    path TEXT NOT NULL,
    new_path TEXT,
    base_sha256 TEXT REFERENCES blobs(sha256),
    proposed_sha256 TEXT REFERENCES blobs(sha256),
    category TEXT NOT NULL,
    rationale TEXT NOT NULL,
    evidence TEXT NOT NULL,
    flags TEXT NOT NULL DEFAULT '[]',
    state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'applied', 'conflict')),
    rebased_from INTEGER REFERENCES changes(id),
    UNIQUE (proposal_id, seq)
);

CREATE TABLE decisions (
    id INTEGER PRIMARY KEY,
    change_id INTEGER NOT NULL REFERENCES changes(id),
    hunk INTEGER,
    verdict TEXT NOT NULL CHECK (verdict IN ('accept', 'reject', 'edit', 'undo')),
    edited_sha256 TEXT REFERENCES blobs(sha256),
    materialized_sha256 TEXT,
    reason TEXT NOT NULL,
    actor TEXT NOT NULL,
    at TEXT NOT NULL
);
CREATE INDEX decisions_by_change ON decisions (change_id, id);
";

/// Claude Managed Agents: which local store mirrors which remote one, and per memory the remote
/// id and the state last seen there (the precondition of the next push).
const V3: &str = r"
CREATE TABLE remote_stores (
    store_id INTEGER PRIMARY KEY REFERENCES stores(id),
    remote_id TEXT NOT NULL UNIQUE,
    remote_name TEXT NOT NULL DEFAULT '',
    linked_at TEXT NOT NULL,
    pulled_at TEXT,
    pushed_at TEXT,
    -- the newest remote version time seen: later pulls ask only for versions from here on
    versions_seen_at TEXT
);

CREATE TABLE remote_refs (
    store_id INTEGER NOT NULL REFERENCES stores(id),
    memory_id INTEGER NOT NULL REFERENCES memories(id),
    remote_memory_id TEXT NOT NULL,
    -- the remote path and content_sha256 as last seen (after a pull or a push)
    path TEXT NOT NULL,
    content_sha256 TEXT NOT NULL,
    version_id TEXT,
    -- a change both here and there: the proposal change offering the remote side; push skips
    -- the memory until that change is decided
    conflict_change_id INTEGER REFERENCES changes(id),
    PRIMARY KEY (store_id, memory_id),
    UNIQUE (store_id, remote_memory_id)
);

CREATE TABLE remote_versions (
    store_id INTEGER NOT NULL REFERENCES stores(id),
    version_id TEXT NOT NULL,
    op_id INTEGER REFERENCES operations(id),
    PRIMARY KEY (store_id, version_id)
) WITHOUT ROWID;

CREATE TABLE remote_sessions (
    session_id INTEGER PRIMARY KEY REFERENCES sessions(id),
    remote_id TEXT NOT NULL UNIQUE,
    updated_at TEXT,
    pulled_at TEXT NOT NULL
);
";
