//! Prompt-injection and memory-poisoning heuristics for untrusted text (fetched pages, tool
//! output, documents) before anything from it can reach long-term memory. (Being written.)

use serde::Serialize;

/// The attack classes of the injection corpus.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Class {
    InstructionOverride,
    MemoryWrite,
    Exfiltration,
    RoleForgery,
    HiddenUnicode,
    ToolAbuse,
}

/// One suspicious span.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub class: Class,
    /// Byte range in the scanned text.
    pub range: std::ops::Range<usize>,
    /// Why it was flagged, for a reviewer.
    pub why: String,
}

/// Every suspicious span in `text`.
pub fn scan(text: &str) -> Vec<Finding> {
    let _ = text;
    Vec::new()
}

/// True when `text` looks like an injection or poisoning attempt.
pub fn is_suspicious(text: &str) -> bool {
    !scan(text).is_empty()
}
