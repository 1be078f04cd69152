//! Model-API helpers on top of the loopback server (`mock_http`): realistic Anthropic Messages
//! and OpenAI chat-completions bodies (successes, refusals, error envelopes) and a scripted
//! queue that answers like the Anthropic API once the script runs out. Test-only.

#![allow(dead_code)]

use serde_json::{Value, json};

use super::mock_http::{Response, Server};

/// A server answering with `responses` in order; past the end, a 500 Anthropic `api_error`
/// saying the script ran out.
pub fn queue(responses: Vec<Response>) -> Server {
    Server::queue(
        responses,
        Response::json(
            500,
            anthropic_error("api_error", "mock: no scripted response left"),
        ),
    )
}

// ---- Anthropic Messages bodies --------------------------------------------------------------

/// A success whose one content block is the forced tool call with `input`.
pub fn anthropic_tool_reply(name: &str, input: &Value) -> Vec<u8> {
    body(&json!({
        "id": "msg_01XFDUDYJgAACzvnptvVoYEL",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "tool_use", "id": "toolu_01A09q90qw90lq917835lq9", "name": name, "input": input}],
        "stop_reason": "tool_use",
        "stop_sequence": null,
        "usage": {"input_tokens": 2095, "output_tokens": 503, "cache_creation_input_tokens": 0, "cache_read_input_tokens": 1800},
    }))
}

/// A success with one text block and the given `stop_reason` (`end_turn`, `max_tokens`,
/// `refusal`).
pub fn anthropic_text_reply(text: &str, stop_reason: &str) -> Vec<u8> {
    body(&json!({
        "id": "msg_013Zva2CMHLNnXjNJJKqJ2EF",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-4-5-20250929",
        "content": [{"type": "text", "text": text}],
        "stop_reason": stop_reason,
        "stop_sequence": null,
        "usage": {"input_tokens": 12, "output_tokens": 6},
    }))
}

/// The error envelope, e.g. (`rate_limit_error`, "…"), (`overloaded_error`, "Overloaded").
pub fn anthropic_error(kind: &str, message: &str) -> Vec<u8> {
    body(&json!({
        "type": "error",
        "error": {"type": kind, "message": message},
        "request_id": "req_011CSHoEeqs5C35K2UUqR7Fy",
    }))
}

// ---- OpenAI chat-completions bodies ---------------------------------------------------------

/// A success whose first choice's content is `content`, ended by `finish_reason`.
pub fn openai_reply(content: &str, finish_reason: &str) -> Vec<u8> {
    body(&json!({
        "id": "chatcmpl-B9MHDbslfkBeAs8l4bebGdFOJ6PeG",
        "object": "chat.completion",
        "created": 1_741_570_283,
        "model": "gpt-4.1-2025-04-14",
        "choices": [{
            "index": 0,
            "message": {"role": "assistant", "content": content, "refusal": null, "annotations": []},
            "logprobs": null,
            "finish_reason": finish_reason,
        }],
        "usage": {
            "prompt_tokens": 1117, "completion_tokens": 46, "total_tokens": 1163,
            "prompt_tokens_details": {"cached_tokens": 1024, "audio_tokens": 0},
            "completion_tokens_details": {"reasoning_tokens": 0},
        },
        "service_tier": "default",
    }))
}

/// A structured-output refusal.
pub fn openai_refusal(refusal: &str) -> Vec<u8> {
    body(&json!({
        "id": "chatcmpl-refusal",
        "object": "chat.completion",
        "model": "gpt-4.1-2025-04-14",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": null, "refusal": refusal}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 10, "completion_tokens": 5, "total_tokens": 15},
    }))
}

/// The error envelope `{error:{message,type,param,code}}`.
pub fn openai_error(message: &str, kind: &str, code: Option<&str>) -> Vec<u8> {
    body(&json!({"error": {"message": message, "type": kind, "param": null, "code": code}}))
}

fn body(v: &Value) -> Vec<u8> {
    serde_json::to_vec(v).expect("JSON serializes")
}
