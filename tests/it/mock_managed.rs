//! A stateful fake of Claude Managed Agents on 127.0.0.1, speaking the wire format Lucid uses:
//! memory stores, memories (`view=full|basic`, `{data, next_page}` pages), versions with actors,
//! `content_sha256` preconditions and the 409s, sessions and their events, dreams that go
//! `pending → running → completed` and write an output store that merges duplicates. It records
//! every request, injects faults (429/529 with `retry-after-ms`, 401/403, …) and can make a
//! concurrent edit "from another client". Started by the tests and the benchmark themselves.

#![allow(dead_code)]

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex, MutexGuard};

use serde_json::{Value, json};

use super::mock_http::{Request, Response, Server, serve};

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
    pub requests: Vec<Request>,
    pub faults: Vec<Fault>,
    /// Dreams fail with this `(type, message)` instead of completing.
    pub dream_failure: Option<(String, String)>,
    /// Polls a running dream takes to complete.
    pub dream_polls: u32,
    /// Record request bodies (off for large benchmarks).
    pub record_bodies: bool,
    seq: u64,
    clock: u64,
}

fn sha(s: &str) -> String {
    lucid::util::sha256_hex(s.as_bytes())
}

pub fn err(status: u16, kind: &str, message: &str) -> Response {
    let mut r = Response::json(
        status,
        &json!({"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_mock"}),
    );
    r.headers.push(("request-id".into(), "req_mock".into()));
    r
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

    fn version(&mut self, m: &Mem, operation: &'static str, actor: &Value) {
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

    fn memory_json(m: &Mem, full: bool) -> Value {
        json!({
            "type": "memory", "id": m.id, "memory_store_id": m.store, "path": m.path,
            "content": if full { Value::String(m.content.clone()) } else { Value::Null },
            "content_sha256": sha(&m.content), "content_size_bytes": m.content.len(),
            "created_at": m.created_at, "updated_at": m.created_at,
        })
    }
}

/// One page of `items` (`limit`, `page_<offset>` cursors); only the page is turned into JSON.
pub fn page<T>(items: &[T], req: &Request, max: usize, to_json: impl Fn(&T) -> Value) -> Response {
    let limit = req
        .param("limit")
        .and_then(|l| l.parse().ok())
        .unwrap_or(20usize)
        .clamp(1, max);
    let offset: usize = req
        .param("page")
        .and_then(|p| p.strip_prefix("page_"))
        .and_then(|p| p.parse().ok())
        .unwrap_or(0);
    let end = (offset + limit).min(items.len());
    let data: Vec<Value> = items
        .get(offset..end)
        .unwrap_or_default()
        .iter()
        .map(to_json)
        .collect();
    let next = if end < items.len() {
        json!(format!("page_{end}"))
    } else {
        Value::Null
    };
    Response::json(200, &json!({ "data": data, "next_page": next }))
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
            record_bodies: true,
            ..State::default()
        }));
        let s = state.clone();
        let server = serve(Arc::new(move |req: &Request| handle(&s, req)));
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

    pub fn requests(&self) -> Vec<Request> {
        self.lock().requests.clone()
    }
}

fn handle(state: &Mutex<State>, req: &Request) -> Response {
    let mut st = state
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let mut recorded = req.clone();
    if !st.record_bodies {
        recorded.body.clear();
    }
    st.requests.push(recorded);
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
            memory_stores(&mut st, req, &segs)
        }
        Some("sessions") if has(AGENTS_BETA) => sessions(&st, req, &segs),
        Some("dreams") if has(DREAMS_BETA) => super::mock_dreams::dreams(&mut st, req, &segs),
        Some("sessions" | "dreams") => err(400, "invalid_request_error", "missing beta header"),
        _ => err(404, "not_found_error", "no such endpoint"),
    }
}

fn memory_stores(st: &mut State, req: &Request, segs: &[&str]) -> Response {
    let api_actor = json!({"type": "api_actor", "api_key_id": "apikey_test"});
    let Some(store) = segs.get(2).map(|s| (*s).to_owned()) else {
        return err(404, "not_found_error", "no store");
    };
    if !st.stores.contains_key(&store) {
        return err(404, "not_found_error", "no such memory store");
    }
    let body = req.json();
    match (
        req.method.as_str(),
        segs.get(3).copied(),
        segs.get(4).copied(),
    ) {
        ("GET", None, _) => {
            let (name, archived) = st.stores[&store].clone();
            Response::json(
                200,
                &json!({"type": "memory_store", "id": store, "name": name, "archived_at": if archived { json!("2026-06-02T00:00:00Z") } else { Value::Null }}),
            )
        }
        ("POST", Some("archive"), None) => {
            if let Some(s) = st.stores.get_mut(&store) {
                s.1 = true;
            }
            Response::json(200, &json!({"type": "memory_store", "id": store}))
        }
        ("GET", Some("memories"), None) => {
            let full = req.param("view") == Some("full");
            let mut mems: Vec<&Mem> = st.mems.values().filter(|m| m.store == store).collect();
            mems.sort_by(|a, b| a.path.cmp(&b.path));
            page(&mems, req, if full { 20 } else { 100 }, |m| {
                State::memory_json(m, full)
            })
        }
        ("GET", Some("memories"), Some(id)) => match st.mems.get(id).filter(|m| m.store == store) {
            Some(m) => Response::json(200, &State::memory_json(m, true)),
            None => err(404, "not_found_error", "no such memory"),
        },
        ("POST", Some("memories"), None) => {
            let (Some(path), Some(content)) = (body["path"].as_str(), body["content"].as_str())
            else {
                return err(
                    400,
                    "invalid_request_error",
                    "path and content are required",
                );
            };
            if st.mems.values().any(|m| m.store == store && m.path == path) {
                return err(
                    409,
                    "memory_path_conflict_error",
                    "a memory exists at this path",
                );
            }
            let id = st.write(&store, path, content, &api_actor);
            Response::json(200, &State::memory_json(&st.mems[&id], true))
        }
        ("POST", Some("memories"), Some(id)) => {
            let Some(m) = st.mems.get(id).filter(|m| m.store == store).cloned() else {
                return err(404, "not_found_error", "no such memory");
            };
            let path = body["path"].as_str().unwrap_or(&m.path).to_owned();
            let content = body["content"].as_str().unwrap_or(&m.content).to_owned();
            if let Some(expected) = body
                .pointer("/precondition/content_sha256")
                .and_then(Value::as_str)
                && expected != sha(&m.content)
            {
                if path == m.path && content == m.content {
                    return Response::json(200, &State::memory_json(&m, true));
                }
                return err(
                    409,
                    "memory_precondition_failed_error",
                    "content_sha256 does not match",
                );
            }
            if path != m.path && st.mems.values().any(|o| o.store == store && o.path == path) {
                return err(
                    409,
                    "memory_path_conflict_error",
                    "a memory exists at this path",
                );
            }
            if path != m.path || content != m.content {
                let updated = Mem { path, content, ..m };
                st.mems.insert(id.to_owned(), updated.clone());
                st.version(&updated, "modified", &api_actor);
            }
            Response::json(200, &State::memory_json(&st.mems[id], true))
        }
        ("DELETE", Some("memories"), Some(id)) => {
            let Some(m) = st.mems.get(id).filter(|m| m.store == store).cloned() else {
                return err(404, "not_found_error", "no such memory");
            };
            if req
                .param("expected_content_sha256")
                .is_some_and(|e| e != sha(&m.content))
            {
                return err(
                    409,
                    "memory_precondition_failed_error",
                    "content_sha256 does not match",
                );
            }
            st.delete(id, &api_actor);
            Response::json(200, &json!({"type": "memory_deleted", "id": id}))
        }
        ("GET", Some("memory_versions"), None) => {
            let full = req.param("view") == Some("full");
            let since = req.param("created_at[gte]").unwrap_or("");
            // Newest first (guessed order; Lucid sorts them itself).
            let items: Vec<&Ver> = st
                .vers
                .iter()
                .rev()
                .filter(|v| v.store == store && v.created_at.as_str() >= since)
                .collect();
            page(&items, req, if full { 20 } else { 100 }, |v| {
                json!({"type": "memory_version", "id": v.id, "memory_store_id": v.store,
                        "memory_id": v.memory_id, "operation": v.operation, "path": v.path,
                        "content": if full && v.operation != "deleted" { json!(v.content) } else { Value::Null },
                        "content_sha256": sha(&v.content), "content_size_bytes": v.content.len(),
                        "created_at": v.created_at, "created_by": v.actor, "redacted": false})
            })
        }
        _ => err(404, "not_found_error", "no such endpoint"),
    }
}

fn sessions(st: &State, req: &Request, segs: &[&str]) -> Response {
    match (segs.get(2), segs.get(3)) {
        (None, _) => {
            let since = req.param("created_at[gte]").unwrap_or("");
            let items: Vec<&Sess> = st
                .sessions
                .iter()
                .rev()
                .filter(|s| s.created_at.as_str() >= since)
                .collect();
            page(&items, req, 100, |s| {
                json!({"type": "session", "id": s.id, "created_at": s.created_at,
                    "updated_at": s.created_at, "title": s.title, "status": "idle",
                    "agent": {"type": "agent", "id": "agent_01", "name": "support-bot"},
                    "resources": [{"type": "memory_store", "memory_store_id": s.store}]})
            })
        }
        (Some(id), Some(&"events")) => match st.sessions.iter().find(|s| s.id == *id) {
            Some(s) => page(&s.events, req, 100, Clone::clone),
            None => err(404, "not_found_error", "no such session"),
        },
        _ => err(404, "not_found_error", "no such endpoint"),
    }
}
