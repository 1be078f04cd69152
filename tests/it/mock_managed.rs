//! A stateful fake of Claude Managed Agents on the loopback server (`mock_http`), speaking the
//! wire format Lucid uses: memory stores, memories (`view=full|basic`, `{data, next_page}`
//! pages), versions with actors, `content_sha256` preconditions and the 409s, sessions and their
//! events (`mock_stores`), dreams that go `pending → running → completed` and write an output
//! store that merges duplicates (`mock_dreams`). The server records every request; this module
//! checks auth and betas, injects faults (429/529 with `retry-after-ms`, 401/403, …) and can
//! make a concurrent edit "from another client". Started by the tests and the benchmark.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use super::mock_http::{Request, Response, Server};

pub const API_KEY: &str = "sk-ant-test-key";
pub const MEMORY_BETA: &str = "agent-memory-2026-07-22";
pub const AGENTS_BETA: &str = "managed-agents-2026-04-01";
pub const DREAMS_BETA: &str = "dreaming-2026-04-21";

#[derive(Debug, Clone)]
pub struct Mem {
    pub id: String,
    pub store: String,
    pub path: String,
    pub content: String,
    pub created_at: String,
}

#[derive(Debug, Clone)]
pub struct Ver {
    pub id: String,
    pub store: String,
    pub memory_id: String,
    pub operation: &'static str,
    pub path: String,
    pub content: String,
    pub created_at: String,
    pub actor: Value,
}

#[derive(Debug, Clone)]
pub struct Sess {
    pub id: String,
    pub created_at: String,
    pub title: String,
    pub store: String,
    pub events: Vec<Value>,
}

#[derive(Debug, Clone)]
pub struct DreamRec {
    pub id: String,
    pub status: &'static str,
    pub input_store: String,
    pub sessions: Vec<String>,
    pub output_store: Option<String>,
    pub model: String,
    pub polls: u32,
    pub body: Value,
}

/// The next `times` requests whose path starts with `prefix` get this answer.
#[derive(Debug, Clone)]
pub struct Fault {
    pub prefix: String,
    pub status: u16,
    pub kind: String,
    pub retry_after_ms: Option<u64>,
    pub times: usize,
}

#[derive(Debug, Default)]
pub struct State {
    pub stores: BTreeMap<String, (String, bool)>,
    pub mems: BTreeMap<String, Mem>,
    pub vers: Vec<Ver>,
    pub sessions: Vec<Sess>,
    pub dreams: BTreeMap<String, DreamRec>,
    pub faults: Vec<Fault>,
    /// Dreams fail with this `(type, message)` instead of completing.
    pub dream_failure: Option<(String, String)>,
    /// Polls a running dream takes to complete.
    pub dream_polls: u32,
    seq: u64,
    clock: u64,
}

pub fn sha(s: &str) -> String {
    lucid::util::sha256_hex(s.as_bytes())
}

pub fn err(status: u16, kind: &str, message: &str) -> Response {
    Response::value(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_mock"}),
    )
    .header("request-id", "req_mock")
}

impl State {
    pub fn next(&mut self, prefix: &str) -> String {
        self.seq += 1;
        format!("{prefix}{:08}", self.seq)
    }

    /// A strictly increasing timestamp.
    pub fn tick(&mut self) -> String {
        self.clock += 1;
        let t = time::macros::datetime!(2026-06-01 00:00 UTC)
            + time::Duration::seconds(self.clock as i64);
        lucid::util::format_time(t)
    }

    pub fn create_store(&mut self, name: &str) -> String {
        let id = self.next("memstore_");
        self.stores.insert(id.clone(), (name.to_owned(), false));
        id
    }

    pub fn version(&mut self, m: &Mem, operation: &'static str, actor: &Value) {
        let id = self.next("memver_");
        let at = self.tick();
        self.vers.push(Ver {
            id,
            store: m.store.clone(),
            memory_id: m.id.clone(),
            operation,
            path: m.path.clone(),
            content: m.content.clone(),
            created_at: at,
            actor: actor.clone(),
        });
    }

    pub fn write(&mut self, store: &str, path: &str, content: &str, actor: &Value) -> String {
        if let Some(m) = self
            .mems
            .values_mut()
            .find(|m| m.store == store && m.path == path)
        {
            content.clone_into(&mut m.content);
            let m = m.clone();
            self.version(&m, "modified", actor);
            return m.id;
        }
        let id = self.next("mem_");
        let at = self.tick();
        let m = Mem {
            id: id.clone(),
            store: store.into(),
            path: path.into(),
            content: content.into(),
            created_at: at,
        };
        self.mems.insert(id.clone(), m.clone());
        self.version(&m, "created", actor);
        id
    }

    pub fn delete(&mut self, id: &str, actor: &Value) {
        if let Some(m) = self.mems.remove(id) {
            self.version(&m, "deleted", actor);
        }
    }

    /// The live memories of a store: path → content.
    pub fn files(&self, store: &str) -> BTreeMap<String, String> {
        self.mems
            .values()
            .filter(|m| m.store == store)
            .map(|m| (m.path.clone(), m.content.clone()))
            .collect()
    }

    pub fn memory_json(m: &Mem, full: bool) -> Value {
        json!({
            "type": "memory", "id": m.id, "memory_store_id": m.store, "path": m.path,
            "content": if full { Value::String(m.content.clone()) } else { Value::Null },
            "content_sha256": sha(&m.content), "content_size_bytes": m.content.len(),
            "created_at": m.created_at, "updated_at": m.created_at,
        })
    }
}

/// A running mock.
pub struct Mock {
    pub server: Server,
    pub state: Arc<Mutex<State>>,
}

impl Mock {
    pub fn start() -> Self {
        let state = Arc::new(Mutex::new(State {
            dream_polls: 2,
            ..State::default()
        }));
        let s = state.clone();
        let server = Server::start(move |req| handle(&s, req));
        Self { server, state }
    }

    pub fn url(&self) -> String {
        self.server.url()
    }

    pub fn lock(&self) -> MutexGuard<'_, State> {
        self.state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    pub fn fault(
        &self,
        prefix: &str,
        status: u16,
        kind: &str,
        retry_after_ms: Option<u64>,
        times: usize,
    ) {
        self.lock().faults.push(Fault {
            prefix: prefix.into(),
            status,
            kind: kind.into(),
            retry_after_ms,
            times,
        });
    }

    /// An edit by someone else (a user in the Console), between our pull and push.
    pub fn remote_edit(&self, store: &str, path: &str, content: &str) {
        self.lock().write(
            store,
            path,
            content,
            &json!({"type": "user_actor", "user_id": "user_alice"}),
        );
    }

    /// Every request so far, in arrival order.
    pub fn requests(&self) -> Vec<Request> {
        self.server.requests()
    }
}

fn handle(state: &Mutex<State>, req: &Request) -> Response {
    let mut st = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    if let Some(i) = st
        .faults
        .iter()
        .position(|f| f.times > 0 && req.path.starts_with(&f.prefix))
    {
        st.faults[i].times -= 1;
        let f = st.faults[i].clone();
        let mut r = err(f.status, &f.kind, "injected fault");
        if let Some(ms) = f.retry_after_ms {
            r.headers.push(("retry-after-ms".into(), ms.to_string()));
            r.headers.push(("retry-after".into(), "1".into()));
        }
        return r;
    }
    if req.header("x-api-key") != Some(API_KEY) {
        return err(401, "authentication_error", "invalid x-api-key");
    }
    if req.header("anthropic-version") != Some("2023-06-01") {
        return err(
            400,
            "invalid_request_error",
            "anthropic-version must be 2023-06-01",
        );
    }
    let betas: Vec<&str> = req
        .header("anthropic-beta")
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .collect();
    let has = |b: &str| betas.contains(&b);
    let segs: Vec<&str> = req.path.trim_start_matches('/').split('/').collect();
    match segs.get(1).copied() {
        Some("memory_stores") => {
            if has(MEMORY_BETA) && has(AGENTS_BETA) {
                return err(
                    400,
                    "invalid_request_error",
                    "send one of the memory betas, not both",
                );
            }
            if !has(MEMORY_BETA) && !has(AGENTS_BETA) {
                return err(400, "invalid_request_error", "missing beta header");
            }
            super::mock_stores::memory_stores(&mut st, req, &segs)
        }
        Some("sessions") if has(AGENTS_BETA) => super::mock_stores::sessions(&st, req, &segs),
        Some("dreams") if has(DREAMS_BETA) => super::mock_dreams::dreams(&mut st, req, &segs),
        Some("sessions" | "dreams") => err(400, "invalid_request_error", "missing beta header"),
        _ => err(404, "not_found_error", "no such endpoint"),
    }
}
