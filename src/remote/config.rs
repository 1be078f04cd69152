//! Settings for Claude Managed Agents (the `[managed_agents]` table of the config file): where the
//! API is, which headers it wants, and how patient to be. Parsing and defaults only; the CLI reads
//! the file and the key.

use serde::{Deserialize, Serialize};

/// The public API.
pub const DEFAULT_BASE_URL: &str = "https://api.anthropic.com";
/// `anthropic-version` sent on every request.
pub const API_VERSION: &str = "2023-06-01";

/// Everything the Managed Agents client needs besides the key. Unknown keys are an error.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ManagedAgentsConfig {
    /// Without the `/v1/...` path.
    pub base_url: String,
    /// The environment variable holding the key (sent as `x-api-key`).
    pub api_key_env: String,
    /// Sent as `anthropic-workspace-id` when set.
    pub workspace_id: Option<String>,
    /// `anthropic-beta` values for `/v1/memory_stores/...`. The docs (mid-2026) say a memory store
    /// call carrying both `managed-agents-2026-04-01` and `agent-memory-2026-07-22` gets a 400,
    /// so only the memory beta is sent there by default.
    pub betas_memory_stores: Vec<String>,
    /// `anthropic-beta` values for `/v1/sessions/...`.
    pub betas_sessions: Vec<String>,
    /// `anthropic-beta` values for `/v1/dreams/...`.
    pub betas_dreams: Vec<String>,
    /// Attempts after the first for 429 / 5xx / 529 and connection errors.
    pub max_retries: u32,
    /// First backoff delay (doubled per attempt, with jitter), milliseconds.
    pub backoff_initial_ms: u64,
    /// Longest wait between attempts, including a server's `retry-after`.
    pub backoff_max_ms: u64,
    pub request_timeout_secs: f64,
    /// Requests in flight at once (reading memories by id, events, pushing).
    pub max_in_flight: usize,
    /// The model a dream runs on unless `--model` says otherwise.
    pub dream_model: String,
    /// First and longest delay between polls of a running dream, milliseconds.
    pub dream_poll_initial_ms: u64,
    pub dream_poll_max_ms: u64,
    /// Let a dream on a store in auto mode write straight into the remote store
    /// (`output_behavior: update_existing`). Off: dreams always create a new store.
    pub allow_update_existing: bool,
}

impl Default for ManagedAgentsConfig {
    fn default() -> Self {
        Self {
            base_url: DEFAULT_BASE_URL.into(),
            api_key_env: "ANTHROPIC_API_KEY".into(),
            workspace_id: None,
            betas_memory_stores: vec!["agent-memory-2026-07-22".into()],
            betas_sessions: vec!["managed-agents-2026-04-01".into()],
            betas_dreams: vec![
                "managed-agents-2026-04-01".into(),
                "dreaming-2026-04-21".into(),
            ],
            max_retries: 4,
            backoff_initial_ms: 500,
            backoff_max_ms: 60_000,
            request_timeout_secs: 120.0,
            max_in_flight: 4,
            dream_model: "claude-opus-4-8".into(),
            dream_poll_initial_ms: 2_000,
            dream_poll_max_ms: 30_000,
            allow_update_existing: false,
        }
    }
}

impl ManagedAgentsConfig {
    /// Defaults pointed at `base_url` with no waiting (tests, benchmarks, the mock).
    pub fn for_tests(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            backoff_initial_ms: 1,
            backoff_max_ms: 20,
            dream_poll_initial_ms: 1,
            dream_poll_max_ms: 5,
            request_timeout_secs: 30.0,
            ..Self::default()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_partial_table_keeps_defaults() {
        let c: ManagedAgentsConfig =
            toml::from_str("base_url = \"http://127.0.0.1:9\"\nworkspace_id = \"wrkspc_1\"\n")
                .expect("parses");
        assert_eq!(c.base_url, "http://127.0.0.1:9");
        assert_eq!(c.workspace_id.as_deref(), Some("wrkspc_1"));
        assert_eq!(c.betas_dreams, ManagedAgentsConfig::default().betas_dreams);
        assert!(toml::from_str::<ManagedAgentsConfig>("base_ulr = \"x\"").is_err());
    }
}
