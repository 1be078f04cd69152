//! The JSON shapes of Managed Agents, read leniently into plain data: unknown fields are ignored,
//! missing required ones are a [`RemoteError::Malformed`]. Shapes follow Anthropic's API
//! reference (mid-2026); where it was silent they are marked "guessed".

use serde_json::Value;

use super::RemoteError;
use super::client::malformed;

fn str_of(v: &Value, key: &str) -> Option<String> {
    v.get(key).and_then(Value::as_str).map(str::to_owned)
}

fn need(v: &Value, key: &str, what: &str) -> Result<String, RemoteError> {
    str_of(v, key).ok_or_else(|| malformed(what, &format!("no \"{key}\"")))
}

/// A memory as listed or read (`type: "memory"`); `content` is `None` in the `basic` view.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteMemory {
    pub id: String,
    pub path: String,
    pub content: Option<String>,
    pub sha256: String,
}

impl RemoteMemory {
    pub fn parse(v: &Value) -> Result<Self, RemoteError> {
        let m = Self {
            id: need(v, "id", "memory")?,
            path: need(v, "path", "memory")?,
            content: str_of(v, "content"),
            sha256: need(v, "content_sha256", "memory")?.to_ascii_lowercase(),
        };
        m.check()?;
        Ok(m)
    }

    /// The content's SHA-256 must be the one the server states: what we store is byte-exact.
    fn check(&self) -> Result<(), RemoteError> {
        match &self.content {
            Some(c) if crate::util::sha256_hex(c.as_bytes()) != self.sha256 => Err(malformed(
                &format!("memory {}", self.id),
                "content does not match its content_sha256",
            )),
            _ => Ok(()),
        }
    }
}

/// True for list items that are memories (not `memory_prefix` roll-ups).
pub fn is_memory(v: &Value) -> bool {
    v.get("type")
        .and_then(Value::as_str)
        .is_none_or(|t| t == "memory")
}

/// One entry of a store's history (`type: "memory_version"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteVersion {
    pub id: String,
    pub memory_id: String,
    /// `created`, `modified` or `deleted`.
    pub operation: String,
    pub path: Option<String>,
    /// Present with `view=full`, absent when redacted.
    pub content: Option<String>,
    pub sha256: Option<String>,
    pub created_at: Option<String>,
    /// `remote:session_actor:sesn_…`, `remote:api_actor:apikey_…`, `remote:user_actor:user_…`.
    pub actor: String,
}

impl RemoteVersion {
    pub fn parse(v: &Value) -> Result<Self, RemoteError> {
        let redacted = v.get("redacted").and_then(Value::as_bool).unwrap_or(false);
        let mut content = str_of(v, "content");
        let sha256 = str_of(v, "content_sha256").map(|s| s.to_ascii_lowercase());
        // A body that does not hash to the stated sha is not replayed (the final pull state wins).
        if redacted
            || content
                .as_ref()
                .is_some_and(|c| sha256.as_deref() != Some(&crate::util::sha256_hex(c.as_bytes())))
        {
            content = None;
        }
        Ok(Self {
            id: need(v, "id", "memory_version")?,
            memory_id: need(v, "memory_id", "memory_version")?,
            operation: need(v, "operation", "memory_version")?,
            path: str_of(v, "path"),
            content,
            sha256,
            created_at: str_of(v, "created_at"),
            // The actor's field name is guessed (`created_by`); `actor` is accepted too.
            actor: super::actor_label(v.get("created_by").or_else(|| v.get("actor"))),
        })
    }
}

/// A session as listed (`type: "session"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteSession {
    pub id: String,
    pub created_at: Option<String>,
    pub updated_at: Option<String>,
    pub title: Option<String>,
    /// The agent's name, else its id (guessed: `agent` is an object or an id string).
    pub agent: String,
    /// Memory stores attached through `resources[]`.
    pub memory_store_ids: Vec<String>,
}

impl RemoteSession {
    pub fn parse(v: &Value) -> Result<Self, RemoteError> {
        let agent = match v.get("agent") {
            Some(Value::String(s)) => s.clone(),
            Some(a) => str_of(a, "name")
                .or_else(|| str_of(a, "id"))
                .unwrap_or_else(|| "managed-agent".into()),
            None => "managed-agent".into(),
        };
        let memory_store_ids = v
            .get("resources")
            .and_then(Value::as_array)
            .map(|rs| {
                rs.iter()
                    .filter(|r| r.get("type").and_then(Value::as_str) == Some("memory_store"))
                    .filter_map(|r| str_of(r, "memory_store_id"))
                    .collect()
            })
            .unwrap_or_default();
        Ok(Self {
            id: need(v, "id", "session")?,
            created_at: str_of(v, "created_at"),
            updated_at: str_of(v, "updated_at"),
            title: str_of(v, "title"),
            agent: crate::util::truncate_str(&agent, 200).to_owned(),
            memory_store_ids,
        })
    }
}

/// A dream (`type: "dream"`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RemoteDream {
    pub id: String,
    /// `pending`, `running`, `completed`, `failed`, `canceled`.
    pub status: String,
    /// The first `memory_store` entry of `outputs[]`.
    pub output_store: Option<String>,
    /// `error.type` and `error.message` of a failed dream.
    pub error: Option<(String, String)>,
    pub usage: crate::llm::Usage,
    /// The model id (`model` is an id or `{id, speed}`).
    pub model: String,
}

impl RemoteDream {
    pub fn parse(v: &Value) -> Result<Self, RemoteError> {
        let output_store = v.get("outputs").and_then(Value::as_array).and_then(|o| {
            o.iter()
                .filter(|x| x.get("type").and_then(Value::as_str) == Some("memory_store"))
                .find_map(|x| str_of(x, "memory_store_id"))
        });
        let error = v.get("error").filter(|e| !e.is_null()).map(|e| {
            (
                str_of(e, "type").unwrap_or_else(|| "error".into()),
                str_of(e, "message").unwrap_or_default(),
            )
        });
        let n = |k: &str| {
            v.pointer(&format!("/usage/{k}"))
                .and_then(Value::as_u64)
                .unwrap_or(0)
        };
        let usage = crate::llm::Usage {
            input_tokens: n("input_tokens"),
            output_tokens: n("output_tokens"),
            cache_creation_input_tokens: n("cache_creation_input_tokens"),
            cache_read_input_tokens: n("cache_read_input_tokens"),
            requests: 0,
        };
        let model = match v.get("model") {
            Some(Value::String(s)) => s.clone(),
            Some(m) => str_of(m, "id").unwrap_or_default(),
            None => String::new(),
        };
        Ok(Self {
            id: need(v, "id", "dream")?,
            status: need(v, "status", "dream")?,
            output_store,
            error,
            usage,
            model,
        })
    }
}

/// An id that goes into a URL path: `prefix_` then letters, digits, `_` or `-` (ids from the
/// server are checked too, so no answer can steer a request elsewhere).
pub fn check_id<'a>(prefix: &str, id: &'a str) -> Result<&'a str, RemoteError> {
    let ok = id.len() <= 200
        && id.strip_prefix(prefix).is_some_and(|rest| {
            !rest.is_empty()
                && rest
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        });
    if ok {
        Ok(id)
    } else {
        Err(malformed(
            &format!("id {:?}", crate::util::truncate_str(id, 80)),
            &format!("expected {prefix}… of letters, digits, '_' or '-'"),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn a_memory_whose_content_does_not_hash_is_refused() {
        let ok = json!({"type":"memory","id":"mem_1","path":"/a.md","content":"abc",
            "content_sha256":"ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"});
        assert!(RemoteMemory::parse(&ok).is_ok());
        let mut bad = ok.clone();
        bad["content"] = json!("abd");
        assert!(RemoteMemory::parse(&bad).is_err());
        let mut basic = ok;
        basic["content"] = Value::Null;
        assert_eq!(
            RemoteMemory::parse(&basic).expect("basic view").content,
            None
        );
    }

    #[test]
    fn dreams_and_sessions_parse_leniently() {
        let d = RemoteDream::parse(&json!({"type":"dream","id":"drm_1","status":"completed",
            "outputs":[{"type":"memory_store","memory_store_id":"memstore_out"}],
            "model":{"id":"claude-opus-4-8","speed":"standard"},
            "usage":{"input_tokens":10,"output_tokens":5},"error":null}))
        .expect("dream");
        assert_eq!(d.output_store.as_deref(), Some("memstore_out"));
        assert_eq!(
            (d.usage.input_tokens, d.model.as_str()),
            (10, "claude-opus-4-8")
        );
        assert_eq!(d.error, None);
        let s = RemoteSession::parse(&json!({"id":"sesn_1","agent":{"id":"agent_1","name":"ops"},
            "resources":[{"type":"memory_store","memory_store_id":"memstore_a"},{"type":"file"}]}))
        .expect("session");
        assert_eq!((s.agent.as_str(), s.memory_store_ids.len()), ("ops", 1));
        assert!(RemoteSession::parse(&json!({"title":"no id"})).is_err());
    }
}
