//! Secret detection and redaction: API keys, tokens, private keys, passwords in URLs. (Being
//! written.)

use std::ops::Range;

use serde::Serialize;

/// One secret found in a text.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SecretMatch {
    /// Byte range of the secret value (not the key name around it).
    pub range: Range<usize>,
    /// A short kind: `aws_access_key_id`, `github_token`, `private_key`, `url_password`, …
    pub kind: String,
}

/// Every secret in `text`, in order, not overlapping.
pub fn find(text: &str) -> Vec<SecretMatch> {
    let _ = text;
    Vec::new()
}

/// True when `text` holds at least one secret.
pub fn contains_secret(text: &str) -> bool {
    !find(text).is_empty()
}

/// `text` with every secret replaced by `[REDACTED:<kind>]`.
pub fn redact(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut last = 0;
    for m in find(text) {
        out.push_str(&text[last..m.range.start]);
        out.push_str("[REDACTED:");
        out.push_str(&m.kind);
        out.push(']');
        last = m.range.end;
    }
    out.push_str(&text[last..]);
    out
}
