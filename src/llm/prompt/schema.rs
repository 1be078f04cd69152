//! The strict JSON schemas of the two answers (file operations, extracted signals): every
//! property required, `additionalProperties: false`, nullable as `["string", "null"]`, so one
//! schema serves as an Anthropic strict tool `input_schema` and an OpenAI strict `response_format`.

use serde_json::{Value, json};

/// Name of the consolidation answer (tool / schema name).
pub const OPERATIONS: &str = "memory_operations";
/// Name of the extraction answer.
pub const SIGNALS: &str = "session_signals";

/// The operation kinds, in the schema's order.
pub const OPS: [&str; 4] = ["create", "replace", "delete", "rename"];
/// The change categories (as [`crate::dream::Category::as_str`]).
pub const CATEGORIES: [&str; 6] = [
    "duplicate",
    "contradiction",
    "stale",
    "insight",
    "reorganize",
    "index",
];
/// The signal kinds.
pub const SIGNAL_KINDS: [&str; 5] = [
    "correction",
    "preference",
    "error_fix",
    "decision",
    "workflow",
];

fn object(properties: &Value) -> Value {
    let required: Vec<&String> = properties
        .as_object()
        .map(|m| m.keys().collect())
        .unwrap_or_default();
    json!({
        "type": "object",
        "additionalProperties": false,
        "required": required,
        "properties": properties,
    })
}

/// `{"operations": [{op, path, new_path, content, category, rationale, evidence: [{session_id,
/// event_id, quote}]}]}`.
pub fn operations_schema() -> Value {
    let evidence = object(&json!({
        "session_id": {
            "type": ["string", "null"],
            "description": "The session's id, or null when quoting a store file."
        },
        "event_id": {
            "type": ["string", "null"],
            "description": "The event's id within that session (null for a store file)."
        },
        "quote": {
            "type": "string",
            "description": "A short verbatim quote (at most 200 characters) from that event or file."
        },
    }));
    let operation = object(&json!({
        "op": { "type": "string", "enum": OPS },
        "path": {
            "type": "string",
            "description": "The file the operation acts on: an existing path, or the new file for create."
        },
        "new_path": {
            "type": ["string", "null"],
            "description": "rename only: the new path; null otherwise."
        },
        "content": {
            "type": ["string", "null"],
            "description": "The whole new file for create and replace (and optionally rename); null for delete."
        },
        "category": { "type": "string", "enum": CATEGORIES },
        "rationale": {
            "type": "string",
            "description": "One sentence a reviewer can check against the evidence."
        },
        "evidence": { "type": "array", "items": evidence },
    }));
    object(&json!({ "operations": { "type": "array", "items": operation } }))
}

/// `{"signals": [{kind, summary, session_id, event_ids, quote}]}`.
pub fn signals_schema() -> Value {
    let signal = object(&json!({
        "kind": { "type": "string", "enum": SIGNAL_KINDS },
        "summary": {
            "type": "string",
            "description": "One or two sentences: what was learned, with absolute dates."
        },
        "session_id": { "type": "string" },
        "event_ids": {
            "type": "array",
            "items": { "type": "string" },
            "description": "The events that show it, most telling first."
        },
        "quote": {
            "type": "string",
            "description": "A short verbatim quote (at most 200 characters) from the first event."
        },
    }));
    object(&json!({ "signals": { "type": "array", "items": signal } }))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every object in the schema is strict: all properties required, nothing else allowed.
    fn assert_strict(v: &Value, at: &str) {
        if let Some(props) = v.get("properties").and_then(Value::as_object) {
            assert_eq!(v["additionalProperties"], json!(false), "{at}");
            let required: Vec<&str> = v["required"]
                .as_array()
                .expect("required")
                .iter()
                .filter_map(Value::as_str)
                .collect();
            let keys: Vec<&str> = props.keys().map(String::as_str).collect();
            assert_eq!(required, keys, "{at}");
            for (k, p) in props {
                assert_strict(p, &format!("{at}.{k}"));
            }
        }
        if let Some(items) = v.get("items") {
            assert_strict(items, &format!("{at}[]"));
        }
    }

    #[test]
    fn schemas_are_strict() {
        assert_strict(&operations_schema(), "operations");
        assert_strict(&signals_schema(), "signals");
    }

    #[test]
    fn categories_match_the_engine_boundary() {
        for c in CATEGORIES {
            assert_eq!(
                crate::dream::Category::parse(c).map(crate::dream::Category::as_str),
                Some(c)
            );
        }
    }
}
