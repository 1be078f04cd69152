//! What comes back: a model's answer (a JSON list of file operations) checked against the schema,
//! the store's path rules and the store itself, and turned into a [`DreamOutput`] (the whole
//! consolidated store plus one [`ChangeNote`] per changed path). Evidence is converted, not
//! judged: a quote that does not hold is kept as given for the dream gate to flag.

mod evidence;

#[cfg(test)]
mod tests;

pub use evidence::EvidenceIndex;

use std::collections::{BTreeMap, HashMap};

use serde_json::{Map, Value};

use super::LlmError;
use super::prompt::{CATEGORIES, OPS};
use crate::dream::{Category, ChangeNote, DreamInput, DreamOutput, Evidence};
use crate::memory_path;

/// Longest quote kept, in chars; a longer one is cut (a prefix of a verbatim quote still holds).
pub const QUOTE_CHARS: usize = 200;

const OP_FIELDS: [&str; 7] = [
    "op",
    "path",
    "new_path",
    "content",
    "category",
    "rationale",
    "evidence",
];
const EVIDENCE_FIELDS: [&str; 3] = ["session_id", "event_id", "quote"];

fn schema(msg: String) -> LlmError {
    LlmError::Schema(msg)
}

/// Checks `answer` against [`super::prompt::operations_schema`] and the store in `input`.
pub fn operations(input: &DreamInput, answer: &Value) -> Result<DreamOutput, LlmError> {
    operations_with(&EvidenceIndex::new(input), input, answer)
}

/// As [`operations`], with an index built once for the same `input`.
pub fn operations_with(
    index: &EvidenceIndex<'_>,
    input: &DreamInput,
    answer: &Value,
) -> Result<DreamOutput, LlmError> {
    if let Value::String(text) = answer {
        // Some servers hand the structured answer over as a JSON string.
        let parsed: Value =
            serde_json::from_str(text).map_err(|e| LlmError::Malformed(e.to_string()))?;
        return operations_with(index, input, &parsed);
    }
    let top = answer
        .as_object()
        .ok_or_else(|| schema("the answer must be an object with an operations list".into()))?;
    if let Some(k) = top.keys().find(|k| *k != "operations") {
        return Err(schema(format!("unknown top-level field {k:?}")));
    }
    let list = top
        .get("operations")
        .ok_or_else(|| schema("operations is missing".into()))?
        .as_array()
        .ok_or_else(|| schema("operations must be a list".into()))?;
    let mut files: BTreeMap<String, String> = input
        .files
        .iter()
        .map(|f| (f.path.clone(), f.content.clone()))
        .collect();
    let mut touched: HashMap<String, usize> = HashMap::new();
    let mut notes = Vec::new();
    for (i, item) in list.iter().enumerate() {
        let op = Op::parse(i, item, index)?;
        for p in op.paths() {
            if let Some(first) = touched.insert(p.to_owned(), i) {
                return Err(schema(format!(
                    "operations[{i}]: {p:?} is already changed by operations[{first}] (one \
                     operation per path)"
                )));
            }
        }
        op.apply(i, &mut files)?;
        notes.push(op);
    }
    let base: HashMap<&str, &str> = input
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    let notes = notes
        .into_iter()
        .flat_map(|op| {
            let changed: Vec<String> = op
                .paths()
                .into_iter()
                .filter(|p| base.get(p).copied() != files.get(*p).map(String::as_str))
                .map(str::to_owned)
                .collect();
            changed.into_iter().map(move |path| ChangeNote {
                path,
                category: op.category,
                rationale: op.rationale.clone(),
                evidence: op.evidence.clone(),
            })
        })
        .collect();
    Ok(DreamOutput {
        files,
        notes,
        usage: None,
    })
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Create,
    Replace,
    Delete,
    Rename,
}

/// One checked operation.
struct Op {
    kind: Kind,
    path: String,
    new_path: Option<String>,
    content: Option<String>,
    category: Category,
    rationale: String,
    evidence: Vec<Evidence>,
}

fn str_field<'v>(obj: &'v Map<String, Value>, at: &str, name: &str) -> Result<&'v str, LlmError> {
    match obj.get(name) {
        None => Err(schema(format!("{at}.{name} is missing"))),
        Some(Value::String(s)) => Ok(s),
        Some(_) => Err(schema(format!("{at}.{name} must be a string"))),
    }
}

/// A nullable string; a missing field counts as null (servers without strict mode drop them).
fn opt_field<'v>(
    obj: &'v Map<String, Value>,
    at: &str,
    name: &str,
) -> Result<Option<&'v str>, LlmError> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s)),
        Some(_) => Err(schema(format!("{at}.{name} must be a string or null"))),
    }
}

fn object<'v>(v: &'v Value, at: &str, fields: &[&str]) -> Result<&'v Map<String, Value>, LlmError> {
    let obj = v
        .as_object()
        .ok_or_else(|| schema(format!("{at} must be an object")))?;
    if let Some(k) = obj.keys().find(|k| !fields.contains(&k.as_str())) {
        return Err(schema(format!("{at}: unknown field {k:?}")));
    }
    Ok(obj)
}

fn checked_path(p: &str, at: &str, name: &str) -> Result<String, LlmError> {
    memory_path::validate(p).map_err(|e| schema(format!("{at}.{name}: {e}")))?;
    Ok(p.to_owned())
}

impl Op {
    fn parse(i: usize, v: &Value, index: &EvidenceIndex<'_>) -> Result<Self, LlmError> {
        let at = format!("operations[{i}]");
        let obj = object(v, &at, &OP_FIELDS)?;
        let kind = match str_field(obj, &at, "op")? {
            "create" => Kind::Create,
            "replace" => Kind::Replace,
            "delete" => Kind::Delete,
            "rename" => Kind::Rename,
            other => {
                return Err(schema(format!(
                    "{at}.op {other:?} is not one of {}",
                    OPS.join(", ")
                )));
            }
        };
        let path = checked_path(str_field(obj, &at, "path")?, &at, "path")?;
        let new_path = opt_field(obj, &at, "new_path")?.filter(|p| !p.is_empty());
        let content = opt_field(obj, &at, "content")?;
        let new_path = match (kind, new_path) {
            (Kind::Rename, None) => {
                return Err(schema(format!(
                    "{at}.new_path: a rename needs the new path"
                )));
            }
            (Kind::Rename, Some(p)) => Some(checked_path(p, &at, "new_path")?),
            (_, Some(_)) => {
                return Err(schema(format!(
                    "{at}.new_path must be null unless op is rename"
                )));
            }
            (_, None) => None,
        };
        match (kind, content) {
            (Kind::Create | Kind::Replace, None) => {
                return Err(schema(format!(
                    "{at}.content: a {} needs the whole new content",
                    OPS[kind as usize]
                )));
            }
            (Kind::Delete, Some(c)) if !c.is_empty() => {
                return Err(schema(format!("{at}.content must be null for a delete")));
            }
            _ => {}
        }
        let category = str_field(obj, &at, "category")?;
        let category = Category::parse(category).ok_or_else(|| {
            schema(format!(
                "{at}.category {category:?} is not one of {}",
                CATEGORIES.join(", ")
            ))
        })?;
        let rationale = str_field(obj, &at, "rationale")?.trim();
        if rationale.is_empty() {
            return Err(schema(format!("{at}.rationale is empty")));
        }
        let list = match obj.get("evidence") {
            None => return Err(schema(format!("{at}.evidence is missing"))),
            Some(Value::Array(list)) => list,
            Some(_) => return Err(schema(format!("{at}.evidence must be a list"))),
        };
        let evidence = list
            .iter()
            .enumerate()
            .map(|(j, e)| parse_evidence(e, &format!("{at}.evidence[{j}]"), index))
            .collect::<Result<_, _>>()?;
        Ok(Self {
            kind,
            path,
            new_path,
            content: content.filter(|_| kind != Kind::Delete).map(str::to_owned),
            category,
            rationale: rationale.to_owned(),
            evidence,
        })
    }

    /// The paths this operation changes.
    fn paths(&self) -> Vec<&str> {
        std::iter::once(self.path.as_str())
            .chain(self.new_path.as_deref())
            .collect()
    }

    fn apply(&self, i: usize, files: &mut BTreeMap<String, String>) -> Result<(), LlmError> {
        let at = format!("operations[{i}]");
        let exists = files.contains_key(&self.path);
        let name = OPS[self.kind as usize];
        if self.kind == Kind::Create && exists {
            return Err(schema(format!(
                "{at}.path: create of {:?}, which already exists (use replace)",
                self.path
            )));
        }
        if self.kind != Kind::Create && !exists {
            return Err(schema(format!(
                "{at}.path: {name} of {:?}, which is not in the store",
                self.path
            )));
        }
        match self.kind {
            Kind::Create | Kind::Replace => {
                files.insert(self.path.clone(), self.content.clone().unwrap_or_default());
            }
            Kind::Delete => {
                files.remove(&self.path);
            }
            Kind::Rename => {
                let to = self.new_path.clone().unwrap_or_default();
                if files.contains_key(&to) {
                    return Err(schema(format!(
                        "{at}.new_path: rename onto {to:?}, which already exists"
                    )));
                }
                let old = files.remove(&self.path).unwrap_or_default();
                files.insert(to, self.content.clone().unwrap_or(old));
            }
        }
        Ok(())
    }
}

/// The inverse of the envelope's entity escaping, for quotes copied as shown.
fn unescape(q: &str) -> String {
    q.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&amp;", "&")
}

/// One evidence item: the quote trimmed and cut to [`QUOTE_CHARS`]; a quote that holds only with
/// the envelope's entities decoded (`&lt;` for `<`) is kept decoded.
fn parse_evidence(v: &Value, at: &str, index: &EvidenceIndex<'_>) -> Result<Evidence, LlmError> {
    let obj = object(v, at, &EVIDENCE_FIELDS)?;
    let quote = str_field(obj, at, "quote")?.trim();
    let quote = match quote.char_indices().nth(QUOTE_CHARS) {
        Some((end, _)) => quote[..end].trim_end(),
        None => quote,
    };
    let mut e = Evidence {
        session_id: opt_field(obj, at, "session_id")?.map(str::to_owned),
        event_id: opt_field(obj, at, "event_id")?.map(str::to_owned),
        quote: quote.to_owned(),
    };
    if quote.contains('&') && !index.holds(&e) {
        let decoded = Evidence {
            quote: unescape(quote),
            ..e.clone()
        };
        if index.holds(&decoded) {
            e = decoded;
        }
    }
    Ok(e)
}
