//! LLM dream engines: the Anthropic Messages and OpenAI-compatible backends behind the same
//! [`crate::dream::Engine`] boundary as the builtin engine. This module owns the wire-neutral
//! types shared by the parts:
//! - [`prompt`] turns a [`crate::dream::DreamInput`] into requests (envelope, redaction, budget,
//!   map-reduce plan);
//! - [`anthropic`] / [`openai`] turn a request into exact HTTP bodies and parse the answers;
//! - [`http`] sends them (timeouts, deadline, retries, body cap, cancel, recording);
//! - [`replay`] answers from a recording instead of the network;
//! - [`validate`] turns a model's answer into a checked [`crate::dream::DreamOutput`];
//! - [`engine`] ties them together as a [`crate::dream::Engine`].
//!
//! Nothing here reads user config or the environment: the CLI resolves the config file and the
//! API key and passes them in.

pub mod anthropic;
pub mod config;
pub mod engine;
pub mod http;
pub mod openai;
pub mod prompt;
pub mod replay;
pub mod validate;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use serde::{Deserialize, Serialize};

pub use config::{ApiKey, EngineConfig, LlmConfig};

/// One request to a model, independent of the wire format.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LlmRequest {
    /// What the request is for: `consolidate`, or `extract:<session id>` in the map step of a
    /// map-reduce dream. Recorded and shown by `--dry-run`.
    pub purpose: String,
    /// The system prompt (fixed text plus the user's `--instructions`).
    pub system: String,
    /// The one user turn: the delimited envelope with store files, sessions or signals.
    pub user: String,
    /// Name of the structured answer (the forced tool's name / the JSON schema's name).
    pub schema_name: String,
    /// JSON schema the answer must follow.
    pub schema: serde_json::Value,
    /// Output budget for this request.
    pub max_tokens: u32,
    /// Estimated input tokens (system + user + schema).
    pub estimated_input_tokens: u64,
}

/// Tokens a dream used, summed over its requests.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
    /// HTTP requests that got an answer (retries included).
    pub requests: u32,
}

impl Usage {
    pub fn add(&mut self, other: &Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
        self.requests += other.requests;
    }
}

/// A model's structured answer to one request.
#[derive(Debug, Clone, PartialEq)]
pub struct LlmReply {
    /// The answer, already parsed as JSON (tool input, `output_config` text, or extracted).
    pub json: serde_json::Value,
    pub usage: Usage,
    /// The model id the server reports.
    pub model: String,
}

/// Why a request (and so the dream) failed. Messages never contain the API key.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    #[error("no API key: set the environment variable {0}")]
    MissingKey(String),
    #[error("{backend} answered HTTP {status} {kind}: {message}{}", request_id.as_deref().map(|r| format!(" (request {r})")).unwrap_or_default())]
    Http {
        backend: String,
        status: u16,
        /// The error type from the body (`rate_limit_error`, `overloaded_error`, …) or `http`.
        kind: String,
        message: String,
        request_id: Option<String>,
    },
    #[error("spend limit reached: {0}")]
    SpendLimit(String),
    #[error("could not connect to {url}: {why}")]
    Connect { url: String, why: String },
    #[error("no answer within {0} s (per-request timeout)")]
    Timeout(f64),
    #[error("the dream's deadline of {0} s passed")]
    Deadline(f64),
    #[error("gave up after {attempts} attempts; last error: {last}")]
    RetriesExhausted { attempts: u32, last: Box<LlmError> },
    #[error(
        "the answer was cut off at max_tokens ({0}): raise max_tokens or lower the input budget"
    )]
    Truncated(u32),
    #[error("the model refused: {0}")]
    Refused(String),
    #[error("the answer is not valid JSON: {0}")]
    Malformed(String),
    #[error("the answer does not follow the schema: {0}")]
    Schema(String),
    #[error("the response body is over {0} bytes")]
    TooLarge(usize),
    #[error("canceled")]
    Canceled,
    #[error("replay: {0}")]
    Replay(String),
    #[error("{0}")]
    Config(String),
}

impl LlmError {
    /// Worth another attempt: 429 (not a spend limit), 500, 503, 529, connection errors and
    /// per-request timeouts.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Http { status, .. } => matches!(status, 429 | 500 | 502 | 503 | 504 | 529),
            Self::Connect { .. } | Self::Timeout(_) => true,
            _ => false,
        }
    }
}

/// Set once to stop a running dream (Ctrl-C, `lucid dream cancel`); checked between and during
/// requests.
#[derive(Debug, Clone, Default)]
pub struct CancelToken(Arc<AtomicBool>);

impl CancelToken {
    pub fn cancel(&self) {
        self.0.store(true, Ordering::SeqCst);
    }

    pub fn is_canceled(&self) -> bool {
        self.0.load(Ordering::SeqCst)
    }
}

/// Sends requests to one model. Implementations block the calling thread and may be called
/// from several threads at once (the map step runs requests in parallel).
pub trait Backend: Send + Sync {
    /// `anthropic`, `openai`, `replay`.
    fn name(&self) -> &str;
    /// The configured model id (the reply says which model answered).
    fn model(&self) -> &str;
    /// One request, with retries; `Err(Canceled)` soon after `cancel` is set.
    fn complete(&self, req: &LlmRequest, cancel: &CancelToken) -> Result<LlmReply, LlmError>;
}

/// A small request for the wire formats' unit tests.
#[cfg(test)]
pub(crate) fn sample_request() -> LlmRequest {
    LlmRequest {
        purpose: "consolidate".into(),
        system: "You are a memory editor.".into(),
        user: "<store>…</store>".into(),
        schema_name: "dream_output".into(),
        schema: serde_json::json!({"type": "object", "properties": {"changes": {"type": "array"}}}),
        max_tokens: 4096,
        estimated_input_tokens: 100,
    }
}
