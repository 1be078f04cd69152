//! The map step's answer: signals extracted from one session (corrections, preferences, errors
//! and fixes, decisions, workflows), each citing its session and events with a verbatim quote,
//! checked against the schema and rendered (escaped, redacted) for the consolidation request.

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use super::envelope::{push_attr, push_text};
use super::schema::SIGNAL_KINDS;
use crate::llm::LlmError;
use crate::secrets;

/// What kind of thing a signal records.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SignalKind {
    Correction,
    Preference,
    ErrorFix,
    Decision,
    Workflow,
}

impl SignalKind {
    pub fn as_str(self) -> &'static str {
        SIGNAL_KINDS[self as usize]
    }

    pub fn parse(s: &str) -> Option<Self> {
        [
            Self::Correction,
            Self::Preference,
            Self::ErrorFix,
            Self::Decision,
            Self::Workflow,
        ]
        .into_iter()
        .find(|k| k.as_str() == s)
    }
}

/// One thing worth remembering, with the events that show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signal {
    pub kind: SignalKind,
    pub summary: String,
    pub session_id: String,
    pub event_ids: Vec<String>,
    /// Verbatim from the first cited event (trimmed).
    pub quote: String,
}

/// The signals of one extraction request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Signals {
    /// The request's purpose: `extract:<session id>` or `extract:<session id>#<part>`.
    pub purpose: String,
    pub signals: Vec<Signal>,
}

/// The session id a purpose names, with and without a `#<part>` suffix (an id may itself hold
/// a `#`, so both are accepted).
fn purpose_sessions(purpose: &str) -> Result<(&str, &str), LlmError> {
    let id = purpose
        .strip_prefix("extract:")
        .ok_or_else(|| LlmError::Config(format!("{purpose:?} is not an extraction purpose")))?;
    let base = match id.rsplit_once('#') {
        Some((base, part)) if !part.is_empty() && part.bytes().all(|b| b.is_ascii_digit()) => base,
        _ => id,
    };
    Ok((id, base))
}

fn field<'a>(obj: &'a Map<String, Value>, at: &str, name: &str) -> Result<&'a Value, LlmError> {
    obj.get(name)
        .ok_or_else(|| LlmError::Schema(format!("{at}.{name} is missing")))
}

fn string<'a>(obj: &'a Map<String, Value>, at: &str, name: &str) -> Result<&'a str, LlmError> {
    field(obj, at, name)?
        .as_str()
        .ok_or_else(|| LlmError::Schema(format!("{at}.{name} must be a string")))
}

/// Checks an extraction answer against [`super::signals_schema`].
pub fn parse_signals(purpose: &str, answer: &Value) -> Result<Signals, LlmError> {
    let (id, base) = purpose_sessions(purpose)?;
    let top = answer.as_object().ok_or_else(|| {
        LlmError::Schema(format!(
            "{purpose}: the answer must be an object with a signals list"
        ))
    })?;
    if let Some(k) = top.keys().find(|k| *k != "signals") {
        return Err(LlmError::Schema(format!("{purpose}: unknown field {k:?}")));
    }
    let list = top
        .get("signals")
        .and_then(Value::as_array)
        .ok_or_else(|| LlmError::Schema(format!("{purpose}: signals must be a list")))?;
    let mut signals = Vec::with_capacity(list.len());
    for (i, item) in list.iter().enumerate() {
        let at = format!("{purpose}: signals[{i}]");
        let obj = item
            .as_object()
            .ok_or_else(|| LlmError::Schema(format!("{at} must be an object")))?;
        if let Some(k) = obj.keys().find(|k| {
            !["kind", "summary", "session_id", "event_ids", "quote"].contains(&k.as_str())
        }) {
            return Err(LlmError::Schema(format!("{at}: unknown field {k:?}")));
        }
        let kind = string(obj, &at, "kind")?;
        let kind = SignalKind::parse(kind).ok_or_else(|| {
            LlmError::Schema(format!(
                "{at}.kind {kind:?} is not one of {}",
                SIGNAL_KINDS.join(", ")
            ))
        })?;
        let session_id = string(obj, &at, "session_id")?;
        if session_id != id && session_id != base {
            return Err(LlmError::Schema(format!(
                "{at}.session_id {session_id:?} is not the session this request read ({base:?})"
            )));
        }
        let event_ids = field(obj, &at, "event_ids")?
            .as_array()
            .ok_or_else(|| LlmError::Schema(format!("{at}.event_ids must be a list")))?
            .iter()
            .enumerate()
            .map(|(j, v)| {
                v.as_str().map(str::to_owned).ok_or_else(|| {
                    LlmError::Schema(format!("{at}.event_ids[{j}] must be a string"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        signals.push(Signal {
            kind,
            summary: string(obj, &at, "summary")?.trim().to_owned(),
            session_id: base.to_owned(),
            event_ids,
            quote: string(obj, &at, "quote")?.trim().to_owned(),
        });
    }
    Ok(Signals {
        purpose: purpose.to_owned(),
        signals,
    })
}

/// Appends one signal as an element (model output is untrusted too: redacted and escaped).
pub fn push_signal(out: &mut String, s: &Signal) {
    out.push_str("<signal kind=\"");
    out.push_str(s.kind.as_str());
    out.push_str("\" session=\"");
    push_attr(out, &s.session_id);
    out.push_str("\">");
    for id in &s.event_ids {
        out.push_str("<cite event=\"");
        push_attr(out, id);
        out.push_str("\"/>");
    }
    out.push_str("\n<summary>");
    push_text(out, &secrets::redact(&s.summary));
    out.push_str("</summary>\n<quote>");
    push_text(out, &secrets::redact(&s.quote));
    out.push_str("</quote>\n</signal>\n");
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn one(signal: &Value) -> Value {
        json!({ "signals": [signal] })
    }

    fn good() -> Value {
        json!({"kind": "correction", "summary": " use pnpm ", "session_id": "s1",
               "event_ids": ["e1"], "quote": " use pnpm, not npm "})
    }

    #[test]
    fn parses_signals_of_a_session_or_part() {
        let s = parse_signals("extract:s1#2", &one(&good())).expect("valid");
        assert_eq!(s.signals[0].kind, SignalKind::Correction);
        assert_eq!(s.signals[0].quote, "use pnpm, not npm");
        assert_eq!(s.signals[0].session_id, "s1");
        assert!(parse_signals("extract:s1", &json!({"signals": []})).is_ok());
    }

    #[test]
    fn schema_violations_name_the_field() {
        let mut bad_kind = good();
        bad_kind["kind"] = json!("gossip");
        let mut other_session = good();
        other_session["session_id"] = json!("s9");
        let mut extra = good();
        extra["mood"] = json!("happy");
        let mut ids = good();
        ids["event_ids"] = json!([1]);
        for (answer, want) in [
            (one(&bad_kind), "signals[0].kind \"gossip\""),
            (one(&other_session), "signals[0].session_id \"s9\""),
            (one(&extra), "signals[0]: unknown field \"mood\""),
            (one(&ids), "signals[0].event_ids[0] must be a string"),
            (
                json!({"signals": [{"kind": "decision"}]}),
                "signals[0].session_id is missing",
            ),
            (json!([]), "must be an object"),
        ] {
            let e = parse_signals("extract:s1", &answer).expect_err(want);
            assert!(matches!(e, LlmError::Schema(_)), "{e}");
            assert!(e.to_string().contains(want), "{e} / {want}");
        }
        assert!(matches!(
            parse_signals("consolidate", &json!({"signals": []})),
            Err(LlmError::Config(_))
        ));
    }
}
