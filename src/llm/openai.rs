//! The OpenAI-compatible chat-completions wire (`POST /v1/chat/completions`: OpenAI, Ollama, vLLM,
//! LM Studio, OpenRouter): exact request bodies, reply and error parsing, and the JSON extraction
//! used when a server ignores the schema. Pure: no IO, no clock.

use serde_json::{Value, json};

use super::config::{MaxTokensField, StructuredOutput};
use super::{LlmError, LlmReply, LlmRequest, Usage};

/// The path under `base_url`.
pub const PATH: &str = "/v1/chat/completions";

/// The request body, byte for byte deterministic for the same inputs.
pub fn request_body(
    req: &LlmRequest,
    model: &str,
    mode: StructuredOutput,
    limit: MaxTokensField,
) -> Vec<u8> {
    // Built as a map in this order so the bytes stay the same whichever field names the limit.
    let mut body = serde_json::Map::new();
    body.insert("model".into(), json!(model));
    body.insert(limit.name().into(), json!(req.max_tokens));
    body.insert(
        "messages".into(),
        json!([
            {"role": "system", "content": req.system},
            {"role": "user", "content": req.user},
        ]),
    );
    let mut body = Value::Object(body);
    if mode != StructuredOutput::None {
        body["response_format"] = json!({
            "type": "json_schema",
            "json_schema": {"name": req.schema_name, "schema": req.schema, "strict": true},
        });
    }
    serde_json::to_vec(&body).expect("a JSON value always serializes")
}

/// Parses a 2xx body: the first choice's content as JSON, its usage and model.
pub fn parse_reply(body: &[u8], max_tokens: u32) -> Result<LlmReply, LlmError> {
    let v: Value = serde_json::from_slice(body)
        .map_err(|e| LlmError::Malformed(format!("the response body is not JSON: {e}")))?;
    let choice = v
        .get("choices")
        .and_then(|c| c.get(0))
        .ok_or_else(|| LlmError::Malformed("the response has no choices".into()))?;
    let message = choice.get("message").unwrap_or(&Value::Null);
    if let Some(refusal) = message.get("refusal").and_then(Value::as_str) {
        return Err(LlmError::Refused(short(refusal)));
    }
    match choice.get("finish_reason").and_then(Value::as_str) {
        Some("length") => return Err(LlmError::Truncated(max_tokens)),
        Some("content_filter") => {
            return Err(LlmError::Refused("stopped by the content filter".into()));
        }
        _ => {}
    }
    let content = message.get("content").and_then(Value::as_str).unwrap_or("");
    let json = extract_json(content)?;
    let usage = v.get("usage").unwrap_or(&Value::Null);
    let prompt = uint(usage.get("prompt_tokens"));
    let cached = uint(usage.pointer("/prompt_tokens_details/cached_tokens"));
    Ok(LlmReply {
        json,
        usage: Usage {
            // Anthropic's meaning: input tokens not read from the cache.
            input_tokens: prompt.saturating_sub(cached),
            output_tokens: uint(usage.get("completion_tokens")),
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: cached,
            requests: 1,
        },
        model: answered_by(&v),
    })
}

/// Parses an error answer: `{error:{message,type,code}}` (or Ollama's `{error:"…"}`); quota
/// exhaustion becomes [`LlmError::SpendLimit`].
pub fn parse_error(status: u16, request_id_header: Option<&str>, body: &[u8]) -> LlmError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let err = v.get("error").unwrap_or(&Value::Null);
    let (message, kind, code) = match err {
        Value::String(s) => (s.clone(), None, None),
        _ => (
            err.get("message").and_then(Value::as_str).map_or_else(
                || String::from_utf8_lossy(body).into_owned(),
                ToOwned::to_owned,
            ),
            err.get("type").and_then(Value::as_str),
            err.get("code").and_then(Value::as_str),
        ),
    };
    let message = short(&message);
    let quota = matches!(kind, Some("insufficient_quota"))
        || matches!(
            code,
            Some("insufficient_quota" | "billing_hard_limit_reached")
        );
    if quota && matches!(status, 400 | 402 | 403 | 429) {
        return LlmError::SpendLimit(message);
    }
    LlmError::Http {
        backend: "openai".into(),
        status,
        kind: kind.or(code).unwrap_or("http").to_owned(),
        message,
        request_id: request_id_header.map(ToOwned::to_owned),
    }
}

/// The JSON object in a model's text: the whole text, else the inside of a Markdown code fence,
/// else the first balanced top-level `{…}` that parses. Anything but an object is
/// [`LlmError::Malformed`].
pub fn extract_json(text: &str) -> Result<Value, LlmError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(LlmError::Malformed("the answer is empty".into()));
    }
    let first_error = match serde_json::from_str::<Value>(text) {
        Ok(v) if v.is_object() => return Ok(v),
        Ok(_) => "the answer is JSON but not an object".to_owned(),
        Err(e) => e.to_string(),
    };
    if let Some(inner) = fenced(text)
        && let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(inner.trim())
    {
        return Ok(v);
    }
    let mut from = 0;
    while let Some(start) = text[from..].find('{').map(|i| from + i) {
        let Some(end) = balanced_end(&text[start..]).map(|n| start + n) else {
            break;
        };
        if let Ok(v @ Value::Object(_)) = serde_json::from_str::<Value>(&text[start..end]) {
            return Ok(v);
        }
        from = start + 1;
    }
    Err(LlmError::Malformed(first_error))
}

/// The text between the first Markdown code fence (with an optional language tag) and the next.
fn fenced(text: &str) -> Option<&str> {
    let open = text.find("```")?;
    let rest = &text[open + 3..];
    let body = &rest[rest.find('\n')? + 1..];
    Some(&body[..body.find("```")?])
}

/// The length of the balanced `{…}` at the start of `s`, skipping braces inside strings.
fn balanced_end(s: &str) -> Option<usize> {
    let (mut depth, mut in_string, mut escaped) = (0usize, false, false);
    for (i, c) in s.char_indices() {
        if in_string {
            match c {
                _ if escaped => escaped = false,
                '\\' => escaped = true,
                '"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match c {
            '"' => in_string = true,
            '{' => depth += 1,
            '}' => {
                depth = depth.checked_sub(1)?;
                if depth == 0 {
                    return Some(i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A server's message on one line, at most 500 characters.
pub(crate) fn short(s: &str) -> String {
    let line = s.split_whitespace().collect::<Vec<_>>().join(" ");
    match line.char_indices().nth(500) {
        Some((i, _)) => format!("{}…", &line[..i]),
        None => line,
    }
}

pub(crate) fn uint(v: Option<&Value>) -> u64 {
    v.and_then(Value::as_u64).unwrap_or(0)
}

/// The model that answered, as the reply names it (empty when it does not).
pub(crate) fn answered_by(reply: &Value) -> String {
    reply
        .get("model")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    use crate::llm::sample_request as req;

    #[test]
    fn request_body_is_exact() {
        let body = request_body(
            &req(),
            "gpt-4.1",
            StructuredOutput::JsonSchema,
            MaxTokensField::MaxTokens,
        );
        let expected = r#"{"model":"gpt-4.1","max_tokens":4096,"messages":[{"role":"system","content":"You are a memory editor."},{"role":"user","content":"<store>…</store>"}],"response_format":{"type":"json_schema","json_schema":{"name":"dream_output","schema":{"type":"object","properties":{"changes":{"type":"array"}}},"strict":true}}}"#;
        assert_eq!(String::from_utf8(body).expect("utf-8"), expected);
        let reasoning = request_body(
            &req(),
            "gpt-4.1",
            StructuredOutput::JsonSchema,
            MaxTokensField::MaxCompletionTokens,
        );
        assert_eq!(
            String::from_utf8(reasoning).expect("utf-8"),
            expected.replace("\"max_tokens\"", "\"max_completion_tokens\"")
        );
        let plain = request_body(
            &req(),
            "llama3.1",
            StructuredOutput::None,
            MaxTokensField::MaxTokens,
        );
        let v: Value = serde_json::from_slice(&plain).expect("json");
        assert!(v.get("response_format").is_none());
        assert_eq!(v["messages"][1]["role"], "user");
    }

    const OK: &str = r#"{"id":"chatcmpl-B9MBs8CjcvOU2jLn4n570S5qMJKcT","object":"chat.completion","created":1741569952,"model":"gpt-4.1-2025-04-14","choices":[{"index":0,"message":{"role":"assistant","content":"{\"changes\":[]}","refusal":null,"annotations":[]},"logprobs":null,"finish_reason":"stop"}],"usage":{"prompt_tokens":1200,"completion_tokens":10,"total_tokens":1210,"prompt_tokens_details":{"cached_tokens":1024,"audio_tokens":0},"completion_tokens_details":{"reasoning_tokens":0}},"service_tier":"default"}"#;

    #[test]
    fn parses_a_reply_with_usage() {
        let r = parse_reply(OK.as_bytes(), 4096).expect("parses");
        assert_eq!(r.json, json!({"changes": []}));
        assert_eq!(r.model, "gpt-4.1-2025-04-14");
        assert_eq!(
            r.usage,
            Usage {
                input_tokens: 176,
                output_tokens: 10,
                cache_creation_input_tokens: 0,
                cache_read_input_tokens: 1024,
                requests: 1,
            }
        );
    }

    #[test]
    fn refusal_length_and_filter_are_typed() {
        let refused = OK.replace(
            r#""refusal":null"#,
            r#""refusal":"I can't help with that.""#,
        );
        assert!(matches!(
            parse_reply(refused.as_bytes(), 10),
            Err(LlmError::Refused(m)) if m == "I can't help with that."
        ));
        let cut = OK.replace(r#""finish_reason":"stop""#, r#""finish_reason":"length""#);
        assert!(matches!(
            parse_reply(cut.as_bytes(), 77),
            Err(LlmError::Truncated(77))
        ));
        let filtered = OK.replace(r#""stop""#, r#""content_filter""#);
        assert!(matches!(
            parse_reply(filtered.as_bytes(), 1),
            Err(LlmError::Refused(_))
        ));
    }

    #[test]
    fn malformed_bodies_and_contents() {
        assert!(matches!(
            parse_reply(b"<html>", 1),
            Err(LlmError::Malformed(_))
        ));
        assert!(matches!(
            parse_reply(b"{\"choices\":[]}", 1),
            Err(LlmError::Malformed(_))
        ));
        let empty = OK.replace(r#""{\"changes\":[]}""#, r#""""#);
        assert!(matches!(
            parse_reply(empty.as_bytes(), 1),
            Err(LlmError::Malformed(_))
        ));
        let broken = OK.replace(r#""{\"changes\":[]}""#, r#""{\"changes\":[""#);
        assert!(matches!(
            parse_reply(broken.as_bytes(), 1),
            Err(LlmError::Malformed(_))
        ));
    }

    #[test]
    fn extracts_json_from_fences_and_prose() {
        let want = json!({"a": "}{", "b": [1]});
        for text in [
            r#"{"a":"}{","b":[1]}"#,
            "```json\n{\"a\":\"}{\",\"b\":[1]}\n```",
            "Sure! Here is the JSON:\n```\n{\"a\":\"}{\",\"b\":[1]}\n```\nHope it helps.",
            "Here it is {not json} and then {\"a\":\"}{\",\"b\":[1]} done",
        ] {
            assert_eq!(extract_json(text).expect(text), want, "{text}");
        }
        for text in ["", "   ", "[1,2]", "no json here", "{\"a\": 1", "\"str\""] {
            assert!(
                matches!(extract_json(text), Err(LlmError::Malformed(_))),
                "{text}"
            );
        }
    }

    #[test]
    fn errors_keep_their_type_and_quota_is_a_spend_limit() {
        let quota = br#"{"error":{"message":"You exceeded your current quota, please check your plan and billing details.","type":"insufficient_quota","param":null,"code":"insufficient_quota"}}"#;
        assert!(
            matches!(parse_error(429, None, quota), LlmError::SpendLimit(m) if m.contains("quota"))
        );
        let rate = br#"{"error":{"message":"Rate limit reached for gpt-4.1","type":"requests","param":null,"code":"rate_limit_exceeded"}}"#;
        let e = parse_error(429, Some("req_123"), rate);
        assert!(e.is_retryable());
        assert!(e.to_string().contains("Rate limit reached") && e.to_string().contains("req_123"));
        let ollama = br#"{"error":"model \"llama9\" not found, try pulling it first"}"#;
        match parse_error(404, None, ollama) {
            LlmError::Http {
                status: 404,
                kind,
                message,
                ..
            } => {
                assert_eq!(kind, "http");
                assert!(message.contains("llama9"));
            }
            other => panic!("{other:?}"),
        }
        let html = parse_error(502, None, b"<html>\n<body>Bad gateway</body>\n</html>");
        assert!(!html.to_string().contains('\n'));
        assert!(html.is_retryable());
    }
}
