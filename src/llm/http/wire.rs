//! Which wire format a backend speaks, and the dispatch to its body builder and parsers.

use crate::llm::config::{MaxTokensField, StructuredOutput};
use crate::llm::{LlmError, LlmReply, LlmRequest, anthropic, openai};

/// The wire format a backend speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Wire {
    /// `POST /v1/messages`.
    Anthropic,
    /// `POST /v1/chat/completions`.
    OpenAi,
}

impl Wire {
    /// `anthropic` or `openai`: the backend's name and the recording's `wire`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Anthropic => "anthropic",
            Self::OpenAi => "openai",
        }
    }

    /// The inverse of [`Wire::name`].
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "anthropic" => Some(Self::Anthropic),
            "openai" => Some(Self::OpenAi),
            _ => None,
        }
    }

    /// The request path under the base URL.
    pub fn path(self) -> &'static str {
        match self {
            Self::Anthropic => anthropic::PATH,
            Self::OpenAi => openai::PATH,
        }
    }

    /// The body of `req`; `limit` names the output-limit field on the OpenAI wire.
    pub fn request_body(
        self,
        req: &LlmRequest,
        model: &str,
        mode: StructuredOutput,
        limit: MaxTokensField,
    ) -> Vec<u8> {
        match self {
            Self::Anthropic => anthropic::request_body(req, model, mode),
            Self::OpenAi => openai::request_body(req, model, mode, limit),
        }
    }

    pub fn parse_reply(self, body: &[u8], max_tokens: u32) -> Result<LlmReply, LlmError> {
        match self {
            Self::Anthropic => anthropic::parse_reply(body, max_tokens),
            Self::OpenAi => openai::parse_reply(body, max_tokens),
        }
    }

    pub fn parse_error(self, status: u16, request_id: Option<&str>, body: &[u8]) -> LlmError {
        match self {
            Self::Anthropic => anthropic::parse_error(status, request_id, body),
            Self::OpenAi => openai::parse_error(status, request_id, body),
        }
    }

    /// The response header carrying the server's request id.
    pub fn request_id_header(self) -> &'static str {
        match self {
            Self::Anthropic => "request-id",
            Self::OpenAi => "x-request-id",
        }
    }
}
