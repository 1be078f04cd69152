//! The memory-store and session endpoints of the Managed Agents mock: stores (get, archive),
//! memories (`view=full|basic` pages, create, update with `content_sha256` preconditions and
//! path conflicts, delete with `expected_content_sha256`), versions with their actors, sessions
//! and their events; all paged as `{data, next_page}` with `page_<offset>` cursors.

use serde_json::{Value, json};

use super::mock_http::{Request, Response};
use super::mock_managed::{Mem, Sess, State, Ver, err, sha};

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
    Response::value(200, &json!({ "data": data, "next_page": next }))
}

pub fn memory_stores(st: &mut State, req: &Request, segs: &[&str]) -> Response {
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
            Response::value(
                200,
                &json!({"type": "memory_store", "id": store, "name": name, "archived_at": if archived { json!("2026-06-02T00:00:00Z") } else { Value::Null }}),
            )
        }
        ("POST", Some("archive"), None) => {
            if let Some(s) = st.stores.get_mut(&store) {
                s.1 = true;
            }
            Response::value(200, &json!({"type": "memory_store", "id": store}))
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
            Some(m) => Response::value(200, &State::memory_json(m, true)),
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
            Response::value(200, &State::memory_json(&st.mems[&id], true))
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
                    return Response::value(200, &State::memory_json(&m, true));
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
            Response::value(200, &State::memory_json(&st.mems[id], true))
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
            Response::value(200, &json!({"type": "memory_deleted", "id": id}))
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

pub fn sessions(st: &State, req: &Request, segs: &[&str]) -> Response {
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
