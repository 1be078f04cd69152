//! The Anthropic Messages wire (`POST /v1/messages`): exact request bodies (a forced strict tool
//! or an `output_config` JSON schema), reply and error parsing. Pure: no IO, no clock.

use serde_json::{Value, json};

use super::config::StructuredOutput;
use super::openai::{answered_by, extract_json, short, uint};
use super::{LlmError, LlmReply, LlmRequest, Usage};

/// The path under `base_url`.
pub const PATH: &str = "/v1/messages";
/// The `anthropic-version` header value.
pub const VERSION: &str = "2023-06-01";

/// The request body, byte for byte deterministic for the same inputs.
pub fn request_body(req: &LlmRequest, model: &str, mode: StructuredOutput) -> Vec<u8> {
    let mut body = json!({
        "model": model,
        "max_tokens": req.max_tokens,
        "system": req.system,
        "messages": [{"role": "user", "content": req.user}],
    });
    match mode {
        StructuredOutput::Tool => {
            body["tools"] = json!([{
                "name": req.schema_name,
                "description": format!(
                    "Record the answer. Call this tool exactly once with the complete answer \
                     following the input schema ({}).",
                    req.schema_name
                ),
                "input_schema": req.schema,
                "strict": true,
            }]);
            body["tool_choice"] = json!({"type": "tool", "name": req.schema_name});
        }
        StructuredOutput::JsonSchema => {
            body["output_config"] =
                json!({"format": {"type": "json_schema", "schema": req.schema}});
        }
        StructuredOutput::None => {}
    }
    serde_json::to_vec(&body).expect("a JSON value always serializes")
}

/// Parses a 2xx body: the forced tool's input (or the text parsed as JSON), usage and model.
pub fn parse_reply(body: &[u8], max_tokens: u32) -> Result<LlmReply, LlmError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| LlmError::Malformed(format!("the response body is not JSON: {e}")))?;
    let content = v.get("content").and_then(Value::as_array);
    let text = content
        .into_iter()
        .flatten()
        .filter(|b| b.get("type").and_then(Value::as_str) == Some("text"))
        .filter_map(|b| b.get("text").and_then(Value::as_str))
        .collect::<Vec<_>>()
        .join("");
    match v.get("stop_reason").and_then(Value::as_str) {
        Some("refusal") => {
            let why = if text.trim().is_empty() {
                "stop_reason refusal".to_owned()
            } else {
                short(&text)
            };
            return Err(LlmError::Refused(why));
        }
        Some("max_tokens" | "model_context_window_exceeded") => {
            return Err(LlmError::Truncated(max_tokens));
        }
        _ => {}
    }
    let tool_input = content
        .into_iter()
        .flatten()
        .find(|b| b.get("type").and_then(Value::as_str) == Some("tool_use"))
        .map(|b| b.get("input").cloned().unwrap_or(Value::Null));
    let json = match tool_input {
        Some(input @ Value::Object(_)) => input,
        Some(_) => {
            return Err(LlmError::Malformed(
                "the tool input is not an object".into(),
            ));
        }
        None => extract_json(&text)?,
    };
    let usage = v.get("usage").unwrap_or(&Value::Null);
    Ok(LlmReply {
        json,
        usage: Usage {
            input_tokens: uint(usage.get("input_tokens")),
            output_tokens: uint(usage.get("output_tokens")),
            cache_creation_input_tokens: uint(usage.get("cache_creation_input_tokens")),
            cache_read_input_tokens: uint(usage.get("cache_read_input_tokens")),
            requests: 1,
        },
        model: answered_by(&v),
    })
}

/// Parses the error envelope `{type:"error", error:{type, message}, request_id}`; a spend or
/// usage limit, or a credit balance too low, becomes [`LlmError::SpendLimit`] (never retried).
pub fn parse_error(status: u16, request_id_header: Option<&str>, body: &[u8]) -> LlmError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let message = v
        .pointer("/error/message")
        .and_then(Value::as_str)
        .map_or_else(
            || String::from_utf8_lossy(body).into_owned(),
            ToOwned::to_owned,
        );
    let message = short(&message);
    if matches!(status, 400 | 402 | 403 | 429) && is_spend_limit(&message) {
        return LlmError::SpendLimit(message);
    }
    let request_id = v
        .get("request_id")
        .and_then(Value::as_str)
        .or(request_id_header)
        .map(ToOwned::to_owned);
    LlmError::Http {
        backend: "anthropic".into(),
        status,
        kind: v
            .pointer("/error/type")
            .and_then(Value::as_str)
            .unwrap_or("http")
            .to_owned(),
        message,
        request_id,
    }
}

fn is_spend_limit(message: &str) -> bool {
    let m = message.to_lowercase();
    [
        "credit balance",
        "usage limit",
        "spend limit",
        "spending limit",
    ]
    .iter()
    .any(|p| m.contains(p))
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::llm::sample_request as req;

    #[test]
    fn tool_mode_forces_one_strict_tool() {
        let body = request_body(&req(), "claude-sonnet-4-5", StructuredOutput::Tool);
        let v: Value = serde_json::from_slice(&body).expect("json");
        let keys: Vec<_> = v.as_object().expect("object").keys().cloned().collect();
        assert_eq!(
            keys,
            [
                "model",
                "max_tokens",
                "system",
                "messages",
                "tools",
                "tool_choice"
            ]
        );
        assert_eq!(
            v["messages"],
            json!([{"role": "user", "content": "<store>…</store>"}])
        );
        assert_eq!(v["tools"][0]["name"], "dream_output");
        assert_eq!(v["tools"][0]["strict"], true);
        assert_eq!(v["tools"][0]["input_schema"], req().schema);
        assert_eq!(
            v["tool_choice"],
            json!({"type": "tool", "name": "dream_output"})
        );
        assert_eq!(
            body,
            request_body(&req(), "claude-sonnet-4-5", StructuredOutput::Tool)
        );
    }

    #[test]
    fn json_schema_and_plain_modes() {
        let body = request_body(&req(), "m", StructuredOutput::JsonSchema);
        let expected = r#"{"model":"m","max_tokens":4096,"system":"You are a memory editor.","messages":[{"role":"user","content":"<store>…</store>"}],"output_config":{"format":{"type":"json_schema","schema":{"type":"object","properties":{"changes":{"type":"array"}}}}}}"#;
        assert_eq!(String::from_utf8(body).expect("utf-8"), expected);
        let plain: Value =
            serde_json::from_slice(&request_body(&req(), "m", StructuredOutput::None))
                .expect("json");
        assert!(plain.get("tools").is_none() && plain.get("output_config").is_none());
    }

    const TOOL_REPLY: &str = r#"{"id":"msg_01Aq9w938a90dw8q","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","content":[{"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"dream_output","input":{"changes":[{"path":"/a.md"}]}}],"stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":2095,"output_tokens":503,"cache_creation_input_tokens":100,"cache_read_input_tokens":2000}}"#;

    #[test]
    fn parses_the_forced_tool_input() {
        let r = parse_reply(TOOL_REPLY.as_bytes(), 4096).expect("parses");
        assert_eq!(r.json, json!({"changes": [{"path": "/a.md"}]}));
        assert_eq!(r.model, "claude-sonnet-4-5-20250929");
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 2095,
                output_tokens: 503,
                cache_creation_input_tokens: 100,
                cache_read_input_tokens: 2000,
                requests: 1,
            }
        );
    }

    #[test]
    fn parses_text_json_and_types_stops() {
        let text = r#"{"id":"msg_1","type":"message","role":"assistant","model":"claude-haiku-4-5","content":[{"type":"text","text":"{\"changes\":"},{"type":"text","text":"[]}"}],"stop_reason":"end_turn","usage":{"input_tokens":5,"output_tokens":3}}"#;
        let r = parse_reply(text.as_bytes(), 10).expect("parses");
        assert_eq!(r.json, json!({"changes": []}));
        assert_eq!(r.usage.cache_read_input_tokens, 0);
        let cut = text.replace("end_turn", "max_tokens");
        assert!(matches!(
            parse_reply(cut.as_bytes(), 10),
            Err(LlmError::Truncated(10))
        ));
        let refused = text.replace("end_turn", "refusal");
        assert!(matches!(
            parse_reply(refused.as_bytes(), 10),
            Err(LlmError::Refused(_))
        ));
        let prose = text
            .replace(r#"{\"changes\":"#, "I think ")
            .replace("[]}", "so.");
        assert!(matches!(
            parse_reply(prose.as_bytes(), 10),
            Err(LlmError::Malformed(_))
        ));
        assert!(matches!(
            parse_reply(b"not json", 10),
            Err(LlmError::Malformed(_))
        ));
        let bad_input = TOOL_REPLY.replace(r#"{"changes":[{"path":"/a.md"}]}"#, "\"x\"");
        assert!(matches!(
            parse_reply(bad_input.as_bytes(), 10),
            Err(LlmError::Malformed(_))
        ));
    }

    #[test]
    fn error_envelopes() {
        let overloaded = br#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"},"request_id":"req_011CSHoEeqs5C35K2UUqR7Fy"}"#;
        let e = parse_error(529, Some("req_header"), overloaded);
        assert!(e.is_retryable());
        assert_eq!(
            e.to_string(),
            "anthropic answered HTTP 529 overloaded_error: Overloaded (request req_011CSHoEeqs5C35K2UUqR7Fy)"
        );
        let invalid = br#"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: Field required"}}"#;
        match parse_error(400, Some("req_h"), invalid) {
            e @ LlmError::Http { .. } => {
                assert!(!e.is_retryable());
                assert!(e.to_string().contains("(request req_h)"));
            }
            other => panic!("{other:?}"),
        }
        let credit = br#"{"type":"error","error":{"type":"invalid_request_error","message":"Your credit balance is too low to access the Anthropic API. Please go to Plans & Billing to upgrade or purchase credits."}}"#;
        assert!(matches!(
            parse_error(400, None, credit),
            LlmError::SpendLimit(_)
        ));
        let limit = br#"{"type":"error","error":{"type":"rate_limit_error","message":"You have reached your specified API usage limits. You will regain access on 2026-08-01 at 00:00 UTC."}}"#;
        let e = parse_error(429, None, limit);
        assert!(matches!(e, LlmError::SpendLimit(_)) && !e.is_retryable());
        let rate = br#"{"type":"error","error":{"type":"rate_limit_error","message":"Number of request tokens has exceeded your per-minute rate limit"}}"#;
        assert!(parse_error(429, None, rate).is_retryable());
        let proxy = parse_error(503, None, b"upstream connect error\r\nreset");
        assert!(proxy.is_retryable() && !proxy.to_string().contains('\n'));
    }
}
