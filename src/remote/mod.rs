//! Claude Managed Agents as a remote for a Lucid store: pull a hosted memory store (with its
//! version history and actors) and sessions, run Claude's own dream as a reviewable proposal, and
//! push exactly the accepted changes back with `content_sha256` preconditions.
//!
//! - [`client`] speaks HTTP (headers, error envelope, retries, pagination, in-flight limit);
//! - [`wire`] holds the JSON shapes;
//! - [`pull`] / [`sessions`] fetch and hand plain data to the store (`store::remote*`);
//! - [`push`] plans and sends the requests for every change since the last sync;
//! - [`dreams`] is the `anthropic-dreams` engine.
//!
//! Nothing here reads the environment, the config file or the clock: the CLI passes the
//! [`config::ManagedAgentsConfig`], the [`crate::llm::ApiKey`] and a [`crate::Ctx`].

pub mod client;
pub mod config;
pub mod dreams;
pub mod pull;
pub mod push;
pub mod sessions;
pub mod wire;

pub use client::Client;
pub use config::ManagedAgentsConfig;

/// Why a request to Managed Agents failed. Messages never contain the API key.
#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("no API key: set the environment variable {0}")]
    MissingKey(String),
    #[error("Managed Agents answered HTTP {status} {kind}: {message}{}", request_id.as_deref().map(|r| format!(" (request {r})")).unwrap_or_default())]
    Api {
        status: u16,
        /// `error.type` from the envelope (`memory_precondition_failed_error`, …) or `http`.
        kind: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("could not connect to {url}: {why}")]
    Connect { url: String, why: String },
    #[error("no answer within {0} s")]
    Timeout(f64),
    #[error("gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted {
        attempts: u32,
        last: Box<RemoteError>,
    },
    #[error("unexpected answer to {what}: {why}")]
    Malformed { what: String, why: String },
    #[error("{0}")]
    Config(String),
}

impl RemoteError {
    /// Worth another attempt: 429, 500, 502, 503, 504, 529, connection errors and timeouts —
    /// never 400, 401, 403, 404 or 409.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Api { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504 | 529),
            Self::Connect { .. } | Self::Timeout(_) => true,
            _ => false,
        }
    }

    /// The HTTP status of the (last) answer, if there was one.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Api { status, .. } => Some(*status),
            Self::RetriesExhausted { last, .. } => last.status(),
            _ => None,
        }
    }

    /// `error.type` of the (last) answer.
    pub fn kind(&self) -> Option<&str> {
        match self {
            Self::Api { kind, .. } => Some(kind),
            Self::RetriesExhausted { last, .. } => last.kind(),
            _ => None,
        }
    }

    pub fn request_id(&self) -> Option<&str> {
        match self {
            Self::Api { request_id, .. } => request_id.as_deref(),
            Self::RetriesExhausted { last, .. } => last.request_id(),
            _ => None,
        }
    }

    /// The exit code class: conflicts (409) are 3, what the user must fix is 1, the rest is
    /// the network's (74).
    pub fn exit_code(&self) -> i32 {
        use crate::error::exit;
        match (self, self.status()) {
            (_, Some(409)) => exit::CONFLICT,
            (Self::MissingKey(_) | Self::Config(_), _) | (_, Some(400 | 401 | 403 | 404 | 413)) => {
                exit::USER
            }
            _ => exit::IO,
        }
    }

    pub fn hint(&self) -> Option<String> {
        match self.status() {
            Some(401) => Some("check the API key (the `api_key_env` variable of [managed_agents])".into()),
            Some(403) => Some("the key may lack access to Managed Agents, or needs `workspace_id` set in [managed_agents]".into()),
            Some(404) => Some("check the memstore_/sesn_ id; `lucid remote status` shows the links".into()),
            _ => None,
        }
    }
}

/// The actor string recorded on operations made by someone on the remote side.
pub fn actor_label(actor: Option<&serde_json::Value>) -> String {
    let Some(a) = actor else {
        return "remote:unknown".into();
    };
    let kind = a.get("type").and_then(|t| t.as_str()).unwrap_or("unknown");
    let id = [
        "session_id",
        "api_key_id",
        "user_id",
        "service_account_id",
        "id",
    ]
    .iter()
    .find_map(|k| a.get(*k).and_then(|v| v.as_str()));
    let clean = |s: &str| -> String {
        s.chars()
            .filter(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-' | '.'))
            .take(128)
            .collect()
    };
    match id {
        Some(id) => format!("remote:{}:{}", clean(kind), clean(id)),
        None => format!("remote:{}", clean(kind)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn actors_become_op_actors() {
        let s = json!({"type": "session_actor", "session_id": "sesn_01A"});
        assert_eq!(actor_label(Some(&s)), "remote:session_actor:sesn_01A");
        let u = json!({"type": "user_actor", "user_id": "user_9\u{1b}[31m"});
        assert_eq!(actor_label(Some(&u)), "remote:user_actor:user_931m");
        assert_eq!(actor_label(None), "remote:unknown");
    }

    #[test]
    fn only_transient_failures_are_retried() {
        let api = |status| RemoteError::Api {
            status,
            kind: "x".into(),
            message: String::new(),
            request_id: None,
        };
        for s in [429, 500, 503, 529] {
            assert!(api(s).is_retryable(), "{s}");
        }
        for s in [400, 401, 403, 404, 409] {
            assert!(!api(s).is_retryable(), "{s}");
        }
        assert_eq!(api(409).exit_code(), crate::error::exit::CONFLICT);
        assert_eq!(api(401).exit_code(), crate::error::exit::USER);
    }
}
