//! The Dreams part of the Managed Agents mock: `POST /v1/dreams` (one running dream per input
//! store, else 409 `conflict_error`), polling that moves `pending → running → completed` (or
//! `failed` when told to), cancel, and the output store a dream writes.

use serde_json::{Value, json};

use super::mock_http::{Request, Response};
use super::mock_managed::{DreamRec, State, err};

fn dream_json(d: &DreamRec) -> Value {
    json!({"type": "dream", "id": d.id, "status": d.status,
        "inputs": d.body["inputs"], "model": {"id": d.model, "speed": "standard"},
        "outputs": d.output_store.as_ref().map_or_else(|| json!([]), |s| json!([{"type": "memory_store", "memory_store_id": s}])),
        "usage": {"input_tokens": 1000 * d.sessions.len(), "output_tokens": 500, "cache_read_input_tokens": 0, "cache_creation_input_tokens": 0},
        "error": Value::Null})
}

pub fn dreams(st: &mut State, req: &Request, segs: &[&str]) -> Response {
    match (
        req.method.as_str(),
        segs.get(2).map(|s| (*s).to_owned()),
        segs.get(3).copied(),
    ) {
        ("POST", None, _) => {
            let body = req.json();
            let inputs = body["inputs"].as_array().cloned().unwrap_or_default();
            let store = inputs
                .iter()
                .find(|i| i["type"] == "memory_store")
                .and_then(|i| i["memory_store_id"].as_str())
                .map(str::to_owned);
            let sessions: Vec<String> = inputs
                .iter()
                .find(|i| i["type"] == "sessions")
                .and_then(|i| i["session_ids"].as_array())
                .map(|a| {
                    a.iter()
                        .filter_map(|s| s.as_str().map(str::to_owned))
                        .collect()
                })
                .unwrap_or_default();
            let Some(store) = store.filter(|s| st.stores.contains_key(s)) else {
                return err(
                    400,
                    "invalid_request_error",
                    "one memory_store input is required",
                );
            };
            if sessions.is_empty() || sessions.len() > 100 {
                return err(400, "invalid_request_error", "1 to 100 sessions");
            }
            if st
                .dreams
                .values()
                .any(|d| d.input_store == store && matches!(d.status, "pending" | "running"))
            {
                return err(
                    409,
                    "conflict_error",
                    "the memory store is being dreamed on",
                );
            }
            let id = st.next("drm_");
            let d = DreamRec {
                id: id.clone(),
                status: "pending",
                input_store: store,
                sessions,
                output_store: None,
                model: body["model"].as_str().unwrap_or("").to_owned(),
                polls: 0,
                body,
            };
            let out = dream_json(&d);
            st.dreams.insert(id, d);
            Response::value(200, &out)
        }
        ("GET", Some(id), None) => {
            let Some(mut d) = st.dreams.get(&id).cloned() else {
                return err(404, "not_found_error", "no such dream");
            };
            d.polls += 1;
            if d.status == "pending" {
                d.status = "running";
                d.output_store = Some(run_dream(st, &d.input_store));
            } else if d.status == "running" && d.polls > st.dream_polls {
                if let Some((kind, message)) = st.dream_failure.clone() {
                    d.status = "failed";
                    st.dreams.insert(id, d.clone());
                    let mut v = dream_json(&d);
                    v["error"] = json!({"type": kind, "message": message});
                    return Response::value(200, &v);
                }
                d.status = "completed";
            }
            st.dreams.insert(id, d.clone());
            Response::value(200, &dream_json(&d))
        }
        ("POST", Some(id), Some("cancel")) => match st.dreams.get_mut(&id) {
            Some(d) => {
                d.status = "canceled";
                let v = dream_json(d);
                Response::value(200, &v)
            }
            None => err(404, "not_found_error", "no such dream"),
        },
        _ => err(404, "not_found_error", "no such endpoint"),
    }
}

/// The dream's output store: a copy of the input with identical files merged (the first path
/// kept) and repeated lines inside a file dropped (blank lines and headings kept).
fn run_dream(st: &mut State, input: &str) -> String {
    let out = st.create_store("dream output");
    let actor = json!({"type": "session_actor", "session_id": "sesn_dreaming"});
    let mut seen_content = std::collections::HashSet::new();
    for (path, content) in st.files(input) {
        if !seen_content.insert(content.clone()) {
            continue;
        }
        let mut seen = std::collections::HashSet::new();
        let kept: String = content
            .split_inclusive('\n')
            .filter(|l| l.trim().is_empty() || l.starts_with('#') || seen.insert(l.to_string()))
            .collect();
        st.write(&out, &path, &kept, &actor);
    }
    out
}
