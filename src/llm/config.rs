//! The LLM engines' settings (one TOML file in Lucid's config directory, `[anthropic]` and
//! `[openai]` tables) and the API key type. Parsing only: the CLI finds the file and reads the
//! key from the environment; the key lives in [`ApiKey`], whose `Debug` never shows it.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::LlmError;

/// Every engine's settings.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct LlmConfig {
    pub anthropic: EngineConfig,
    pub openai: EngineConfig,
    /// Claude Managed Agents (`lucid remote …`, `--engine anthropic-dreams`).
    pub managed_agents: crate::remote::ManagedAgentsConfig,
}

impl Default for LlmConfig {
    fn default() -> Self {
        Self {
            anthropic: EngineConfig::anthropic(),
            openai: EngineConfig::openai(),
            managed_agents: crate::remote::ManagedAgentsConfig::default(),
        }
    }
}

/// How the answer is forced into the schema.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StructuredOutput {
    /// Anthropic: one strict tool and `tool_choice` forcing it.
    Tool,
    /// Anthropic `output_config.format` / OpenAI `response_format` with a JSON schema.
    JsonSchema,
    /// No schema on the wire (servers that reject it): the JSON is extracted from the text and
    /// validated.
    None,
}

/// The request field that carries the output limit on the OpenAI-compatible wire: OpenAI's
/// reasoning models (o-series, GPT-5) take only `max_completion_tokens`; Ollama, LM Studio and
/// older servers only `max_tokens`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum MaxTokensField {
    #[default]
    MaxTokens,
    MaxCompletionTokens,
}

impl MaxTokensField {
    pub fn name(self) -> &'static str {
        match self {
            Self::MaxTokens => "max_tokens",
            Self::MaxCompletionTokens => "max_completion_tokens",
        }
    }
}

/// One engine's settings. Unknown keys are an error, so a typo does not silently fall back.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EngineConfig {
    /// Without the `/v1/...` path: `https://api.anthropic.com`, `http://localhost:11434`.
    pub base_url: String,
    pub model: String,
    /// The environment variable holding the key.
    pub api_key_env: String,
    /// Or a file holding the key, readable by its owner only (mode 0600).
    #[serde(default)]
    pub api_key_file: Option<String>,
    /// Output tokens per request.
    pub max_tokens: u32,
    /// Per-request timeout, seconds.
    pub request_timeout_secs: f64,
    /// The whole dream's deadline, seconds.
    pub deadline_secs: f64,
    /// Attempts after the first for retryable failures.
    pub max_retries: u32,
    /// First backoff delay, milliseconds (doubled per attempt, with jitter, capped).
    pub backoff_initial_ms: u64,
    pub backoff_max_ms: u64,
    /// Input tokens one request may carry; over it, the dream runs as map-reduce.
    pub input_budget_tokens: u64,
    /// Requests in flight at once in the map step.
    pub max_parallel: usize,
    pub structured_output: StructuredOutput,
    /// OpenAI-compatible only: which field carries `max_tokens` (the Messages API has one).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_tokens_field: Option<MaxTokensField>,
    /// USD per million tokens, for `--dry-run` estimates (0 for a local model).
    pub price_input_per_mtok: f64,
    pub price_output_per_mtok: f64,
}

impl EngineConfig {
    pub fn anthropic() -> Self {
        Self {
            base_url: "https://api.anthropic.com".into(),
            model: "claude-sonnet-4-5".into(),
            api_key_env: "ANTHROPIC_API_KEY".into(),
            api_key_file: None,
            max_tokens: 16_000,
            request_timeout_secs: 600.0,
            deadline_secs: 1800.0,
            max_retries: 4,
            backoff_initial_ms: 1000,
            backoff_max_ms: 60_000,
            input_budget_tokens: 150_000,
            max_parallel: 4,
            structured_output: StructuredOutput::Tool,
            max_tokens_field: None,
            price_input_per_mtok: 3.0,
            price_output_per_mtok: 15.0,
        }
    }

    /// As [`EngineConfig::anthropic`] but for the server, model, key, budget, wire options and
    /// prices.
    pub fn openai() -> Self {
        Self {
            base_url: "https://api.openai.com".into(),
            model: "gpt-4.1".into(),
            api_key_env: "OPENAI_API_KEY".into(),
            input_budget_tokens: 100_000,
            structured_output: StructuredOutput::JsonSchema,
            max_tokens_field: Some(MaxTokensField::MaxTokens),
            price_input_per_mtok: 2.0,
            price_output_per_mtok: 8.0,
            ..Self::anthropic()
        }
    }
}

impl LlmConfig {
    /// Parses a config file; tables and keys left out keep their defaults.
    pub fn parse(text: &str) -> Result<Self, LlmError> {
        #[derive(Deserialize)]
        #[serde(deny_unknown_fields)]
        struct File {
            #[serde(default)]
            anthropic: Option<toml::Table>,
            #[serde(default)]
            openai: Option<toml::Table>,
            #[serde(default)]
            managed_agents: Option<toml::Table>,
        }
        let file: File =
            toml::from_str(text).map_err(|e| LlmError::Config(one_line(&e.to_string())))?;
        let anthropic = merge(EngineConfig::anthropic(), file.anthropic, "anthropic")?;
        if anthropic.max_tokens_field.is_some() {
            return Err(LlmError::Config(
                "[anthropic]: max_tokens_field is for [openai] only (the Messages API always \
                 takes max_tokens)"
                    .into(),
            ));
        }
        Ok(Self {
            anthropic,
            openai: merge(EngineConfig::openai(), file.openai, "openai")?,
            managed_agents: match file.managed_agents {
                None => crate::remote::ManagedAgentsConfig::default(),
                Some(t) => t.try_into().map_err(|e: toml::de::Error| {
                    LlmError::Config(format!("[managed_agents]: {}", one_line(&e.to_string())))
                })?,
            },
        })
    }

    /// The settings of engine `name` (`anthropic` or `openai`).
    pub fn engine(&self, name: &str) -> Option<&EngineConfig> {
        match name {
            "anthropic" => Some(&self.anthropic),
            "openai" => Some(&self.openai),
            _ => None,
        }
    }

    /// The file as TOML (for `lucid config show`); holds no key, only where keys come from.
    pub fn to_toml(&self) -> String {
        toml::to_string_pretty(self).unwrap_or_default()
    }
}

/// Overlays the keys a table sets onto the defaults.
fn merge(
    defaults: EngineConfig,
    table: Option<toml::Table>,
    name: &str,
) -> Result<EngineConfig, LlmError> {
    let Some(table) = table else {
        return Ok(defaults);
    };
    let mut full =
        toml::Table::try_from(&defaults).map_err(|e| LlmError::Config(format!("[{name}]: {e}")))?;
    full.extend(table);
    full.try_into().map_err(|e: toml::de::Error| {
        LlmError::Config(format!("[{name}]: {}", one_line(&e.to_string())))
    })
}

fn one_line(s: &str) -> String {
    s.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// An API key. Never printed: `Debug` and `Display` show `[redacted]`; only the HTTP layer reads
/// it, to set the auth header (marked sensitive).
#[derive(Clone, PartialEq, Eq)]
pub struct ApiKey(String);

impl ApiKey {
    /// A key from the environment or a key file; surrounding whitespace is dropped.
    pub fn new(key: &str) -> Result<Self, LlmError> {
        let key = key.trim();
        if key.is_empty() {
            return Err(LlmError::Config("the API key is empty".into()));
        }
        if key.chars().any(|c| c.is_control() || c == ' ') {
            return Err(LlmError::Config(
                "the API key contains spaces or control characters".into(),
            ));
        }
        Ok(Self(key.to_owned()))
    }

    /// The key's text, for the auth header only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("ApiKey([redacted])")
    }
}

impl fmt::Display for ApiKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn partial_tables_keep_defaults() {
        let c = LlmConfig::parse(
            "[openai]\nbase_url = \"http://localhost:11434\"\nmodel = \"llama3.1\"\n",
        )
        .expect("parses");
        assert_eq!(c.openai.base_url, "http://localhost:11434");
        assert_eq!(c.openai.model, "llama3.1");
        assert_eq!(c.openai.api_key_env, "OPENAI_API_KEY");
        assert_eq!(c.anthropic, EngineConfig::anthropic());
    }

    #[test]
    fn unknown_keys_and_bad_types_are_one_line_errors() {
        for text in [
            "[openai]\nbase_ulr = \"x\"\n",
            "[anthropic]\nmax_tokens = \"many\"\n",
            "[gemini]\nmodel = \"x\"\n",
            "not toml at all [",
        ] {
            let e = LlmConfig::parse(text).expect_err(text).to_string();
            assert!(!e.contains('\n'), "{e}");
        }
    }

    #[test]
    fn the_output_limit_field_is_an_openai_setting() {
        let c = LlmConfig::parse("[openai]\nmax_tokens_field = \"max_completion_tokens\"\n")
            .expect("parses");
        assert_eq!(
            c.openai.max_tokens_field,
            Some(MaxTokensField::MaxCompletionTokens)
        );
        for text in [
            "[anthropic]\nmax_tokens_field = \"max_completion_tokens\"\n",
            "[openai]\nmax_tokens_field = \"max_output_tokens\"\n",
        ] {
            let e = LlmConfig::parse(text).expect_err(text).to_string();
            assert!(!e.contains('\n') && e.contains("max_tokens_field"), "{e}");
        }
    }

    #[test]
    fn round_trips_through_toml() {
        let c = LlmConfig::default();
        assert_eq!(LlmConfig::parse(&c.to_toml()).expect("parses"), c);
    }

    #[test]
    fn key_never_shows_in_debug_or_display() {
        let k = ApiKey::new(" sk-ant-secret-123 \n").expect("valid");
        assert_eq!(k.expose(), "sk-ant-secret-123");
        assert!(!format!("{k:?} {k}").contains("secret"));
        assert!(ApiKey::new("  ").is_err());
        assert!(ApiKey::new("a\x1bb").is_err());
    }
}
