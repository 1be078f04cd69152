//! Recordings of a dream's HTTP exchanges (`--record DIR`) and the backend that answers from
//! them (`--engine replay:DIR`), parsing each recorded body with the recorded wire's parser.
//! Files per request: `NNNN.request.json`, `NNNN.response.json` (exact bytes), `NNNN.meta.json`.

use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::http::Wire;
use super::{Backend, CancelToken, LlmError, LlmReply, LlmRequest};

/// What `NNNN.meta.json` says about one exchange.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordedMeta {
    pub purpose: String,
    /// `anthropic` or `openai`.
    pub wire: String,
    /// The configured model.
    pub model: String,
    /// The request path (`/v1/messages`).
    pub path: String,
    /// The final answer's HTTP status.
    pub status: u16,
    /// HTTP attempts made for this request (retries included).
    pub attempts: u32,
}

/// Writes one numbered triple of files per request into a folder; shared by all threads of a
/// backend (the counter is atomic).
#[derive(Debug)]
pub struct Recorder {
    dir: PathBuf,
    next: AtomicU32,
}

impl Recorder {
    /// Creates `dir` (owner-only on Unix); refuses a folder that already holds a recording, so
    /// two dreams never interleave.
    pub fn new(dir: impl Into<PathBuf>) -> Result<Self, LlmError> {
        let dir = dir.into();
        let fail = |e: std::io::Error| {
            LlmError::Config(format!("cannot record into {}: {e}", dir.display()))
        };
        let mut builder = fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
        builder.create(&dir).map_err(fail)?;
        if !entries(&dir).map_err(fail)?.is_empty() {
            return Err(LlmError::Config(format!(
                "{} already holds a recording: record into an empty folder",
                dir.display()
            )));
        }
        Ok(Self {
            dir,
            next: AtomicU32::new(1),
        })
    }

    /// Writes the exact request and response bytes, then the meta file (whose presence marks
    /// the triple complete).
    pub fn record(
        &self,
        meta: &RecordedMeta,
        request: &[u8],
        response: &[u8],
    ) -> Result<(), LlmError> {
        let n = self.next.fetch_add(1, Ordering::SeqCst);
        let meta_bytes = serde_json::to_vec_pretty(meta).expect("the meta always serializes");
        for (kind, bytes) in [
            ("request", request),
            ("response", response),
            ("meta", &meta_bytes),
        ] {
            let path = self.dir.join(format!("{n:04}.{kind}.json"));
            write_private(&path, bytes).map_err(|e| {
                LlmError::Config(format!("cannot record into {}: {e}", path.display()))
            })?;
        }
        Ok(())
    }
}

fn write_private(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    let mut options = fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path)?;
    file.write_all(bytes)?;
    file.sync_all()
}

/// The recorded exchanges in `dir`, by number.
fn entries(dir: &Path) -> std::io::Result<Vec<(u32, PathBuf)>> {
    let mut found = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        let name = path
            .file_name()
            .and_then(|n| n.to_str())
            .unwrap_or_default();
        if let Some(n) = name
            .strip_suffix(".meta.json")
            .and_then(|n| n.parse::<u32>().ok())
        {
            found.push((n, path));
        }
    }
    found.sort();
    Ok(found)
}

struct Entry {
    meta: RecordedMeta,
    wire: Wire,
    request: PathBuf,
    response: PathBuf,
    used: bool,
}

/// How many replayed requests asked something else than the recorded request did: their system
/// prompt or user text differs (the prompt, the input or the settings changed since the
/// recording), so the recorded answer may not fit. Shared with whoever reports it.
#[derive(Debug, Clone, Default)]
pub struct Drift(Arc<AtomicUsize>);

impl Drift {
    pub fn count(&self) -> usize {
        self.0.load(Ordering::Relaxed)
    }
}

/// The system prompt and user text of a recorded request body, by wire.
fn recorded_texts(wire: Wire, body: &Value) -> Option<(&str, &str)> {
    let messages = body.get("messages")?;
    match wire {
        Wire::Anthropic => Some((
            body.get("system")?.as_str()?,
            messages.get(0)?.get("content")?.as_str()?,
        )),
        Wire::OpenAi => Some((
            messages.get(0)?.get("content")?.as_str()?,
            messages.get(1)?.get("content")?.as_str()?,
        )),
    }
}

/// Answers requests from a recording, offline: each request takes the first unused exchange
/// with the same purpose, so parallel map requests replay correctly in any order.
pub struct ReplayBackend {
    dir: PathBuf,
    model: String,
    wire: Wire,
    entries: Mutex<Vec<Entry>>,
    drift: Drift,
}

impl ReplayBackend {
    /// Reads the recording's meta files; a missing folder, an empty one, or a broken triple is
    /// a [`LlmError::Replay`] error.
    pub fn open(dir: impl Into<PathBuf>) -> Result<Self, LlmError> {
        let dir = dir.into();
        let shown = dir.display().to_string();
        let found = entries(&dir).map_err(|e| LlmError::Replay(format!("{shown}: {e}")))?;
        let mut list = Vec::with_capacity(found.len());
        for (n, meta_path) in found {
            let bad = |why: String| LlmError::Replay(format!("{}: {why}", meta_path.display()));
            let text = fs::read(&meta_path).map_err(|e| bad(e.to_string()))?;
            let meta: RecordedMeta =
                serde_json::from_slice(&text).map_err(|e| bad(e.to_string()))?;
            let wire = Wire::from_name(&meta.wire)
                .ok_or_else(|| bad(format!("unknown wire {:?}", meta.wire)))?;
            let response = dir.join(format!("{n:04}.response.json"));
            if !response.is_file() {
                return Err(bad(format!("{} is missing", response.display())));
            }
            list.push(Entry {
                meta,
                wire,
                request: dir.join(format!("{n:04}.request.json")),
                response,
                used: false,
            });
        }
        let Some(first) = list.first() else {
            return Err(LlmError::Replay(format!(
                "{shown} holds no recorded requests"
            )));
        };
        Ok(Self {
            model: first.meta.model.clone(),
            wire: first.wire,
            dir,
            entries: Mutex::new(list),
            drift: Drift::default(),
        })
    }

    /// The count of replayed requests that differ from their recording, as it grows.
    pub fn drift(&self) -> Drift {
        self.drift.clone()
    }

    /// Counts `req` as drift when the recorded request holds other texts (a recording without
    /// its request file, or one this build cannot read, is not compared).
    fn compare(&self, req: &LlmRequest, wire: Wire, recorded: &Path) {
        let Ok(bytes) = fs::read(recorded) else {
            return;
        };
        let Ok(body) = serde_json::from_slice::<Value>(&bytes) else {
            return;
        };
        if let Some((system, user)) = recorded_texts(wire, &body)
            && (system != req.system || user != req.user)
        {
            tracing::warn!(
                purpose = %req.purpose,
                file = %recorded.display(),
                "the replayed request differs from the recorded one"
            );
            self.drift.0.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// The wire format of the recording (`anthropic`, `openai`): its settings (budget, output
    /// tokens) plan the same requests again.
    pub fn wire_name(&self) -> &'static str {
        self.wire.name()
    }
}

impl Backend for ReplayBackend {
    fn name(&self) -> &'static str {
        "replay"
    }

    fn model(&self) -> &str {
        &self.model
    }

    fn complete(&self, req: &LlmRequest, cancel: &CancelToken) -> Result<LlmReply, LlmError> {
        if cancel.is_canceled() {
            return Err(LlmError::Canceled);
        }
        let (wire, status, request, response) = {
            let mut entries = self
                .entries
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            let entry = entries
                .iter_mut()
                .find(|e| !e.used && e.meta.purpose == req.purpose)
                .ok_or_else(|| {
                    LlmError::Replay(format!(
                        "no recorded answer left for {:?} in {}",
                        req.purpose,
                        self.dir.display()
                    ))
                })?;
            entry.used = true;
            (
                entry.wire,
                entry.meta.status,
                entry.request.clone(),
                entry.response.clone(),
            )
        };
        self.compare(req, wire, &request);
        let body = fs::read(&response)
            .map_err(|e| LlmError::Replay(format!("{}: {e}", response.display())))?;
        if (200..300).contains(&status) {
            wire.parse_reply(&body, req.max_tokens)
        } else {
            Err(wire.parse_error(status, None, &body))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn req(purpose: &str) -> LlmRequest {
        LlmRequest {
            purpose: purpose.into(),
            system: "s".into(),
            user: "u".into(),
            schema_name: "dream_output".into(),
            schema: serde_json::json!({"type": "object"}),
            max_tokens: 100,
            estimated_input_tokens: 1,
        }
    }

    fn meta(purpose: &str, wire: &str, status: u16) -> RecordedMeta {
        RecordedMeta {
            purpose: purpose.into(),
            wire: wire.into(),
            model: "m-1".into(),
            path: "/v1/x".into(),
            status,
            attempts: 1,
        }
    }

    fn openai_reply(content: &str) -> Vec<u8> {
        serde_json::to_vec(&serde_json::json!({
            "model": "gpt-x",
            "choices": [{"message": {"role": "assistant", "content": content}, "finish_reason": "stop"}],
        }))
        .expect("json")
    }

    #[test]
    fn replays_by_purpose_in_order() {
        let dir = tempfile::tempdir().expect("tmp");
        let rec = Recorder::new(dir.path().join("rec")).expect("recorder");
        rec.record(
            &meta("extract:a", "openai", 200),
            b"{}",
            &openai_reply(r#"{"n":1}"#),
        )
        .expect("record");
        rec.record(
            &meta("extract:b", "openai", 200),
            b"{}",
            &openai_reply(r#"{"n":2}"#),
        )
        .expect("record");
        rec.record(
            &meta("extract:a", "openai", 200),
            b"{}",
            &openai_reply(r#"{"n":3}"#),
        )
        .expect("record");
        let err = br#"{"type":"error","error":{"type":"invalid_request_error","message":"bad"}}"#;
        rec.record(&meta("consolidate", "anthropic", 400), b"{}", err)
            .expect("record");
        assert!(
            Recorder::new(dir.path().join("rec")).is_err(),
            "refuses a used folder"
        );

        let replay = ReplayBackend::open(dir.path().join("rec")).expect("opens");
        assert_eq!((replay.name(), replay.model()), ("replay", "m-1"));
        let c = CancelToken::default();
        let n = |p: &str| replay.complete(&req(p), &c).map(|r| r.json["n"].clone());
        assert_eq!(n("extract:b").expect("b"), 2);
        assert_eq!(n("extract:a").expect("a"), 1);
        assert_eq!(n("extract:a").expect("a again"), 3);
        assert!(matches!(n("extract:a"), Err(LlmError::Replay(_))));
        assert!(matches!(
            n("consolidate"),
            Err(LlmError::Http { status: 400, .. })
        ));
        c.cancel();
        assert!(matches!(n("extract:b"), Err(LlmError::Canceled)));
        assert_eq!(
            replay.drift().count(),
            0,
            "bodies it cannot read are not compared"
        );
    }

    #[test]
    fn requests_that_differ_from_the_recording_are_counted() {
        use crate::llm::config::StructuredOutput;
        let dir = tempfile::tempdir().expect("tmp");
        let rec = Recorder::new(dir.path().join("rec")).expect("recorder");
        let answer = br#"{"model":"m","content":[{"type":"text","text":"{}"}],"stop_reason":"end_turn","usage":{"input_tokens":1,"output_tokens":1}}"#;
        for _ in 0..3 {
            let body = crate::llm::anthropic::request_body(&req("p"), "m", StructuredOutput::Tool);
            rec.record(&meta("p", "anthropic", 200), &body, answer)
                .expect("record");
        }
        let replay = ReplayBackend::open(dir.path().join("rec")).expect("opens");
        let drift = replay.drift();
        let c = CancelToken::default();
        replay.complete(&req("p"), &c).expect("the same request");
        assert_eq!(drift.count(), 0);
        let mut other = req("p");
        other.system = "another prompt".into();
        replay.complete(&other, &c).expect("answered all the same");
        assert_eq!(drift.count(), 1);
        other = req("p");
        other.user = "another input".into();
        replay.complete(&other, &c).expect("answered all the same");
        assert_eq!(drift.count(), 2);
    }

    #[test]
    fn malformed_recordings_are_replay_errors() {
        let dir = tempfile::tempdir().expect("tmp");
        assert!(matches!(
            ReplayBackend::open(dir.path()),
            Err(LlmError::Replay(_))
        ));
        assert!(matches!(
            ReplayBackend::open(dir.path().join("nope")),
            Err(LlmError::Replay(_))
        ));
        fs::write(dir.path().join("0001.meta.json"), "{not json").expect("write");
        assert!(matches!(
            ReplayBackend::open(dir.path()),
            Err(LlmError::Replay(_))
        ));
        let m = serde_json::to_vec(&meta("p", "gemini", 200)).expect("json");
        fs::write(dir.path().join("0001.meta.json"), m).expect("write");
        assert!(matches!(
            ReplayBackend::open(dir.path()),
            Err(LlmError::Replay(_))
        ));
        let m = serde_json::to_vec(&meta("p", "openai", 200)).expect("json");
        fs::write(dir.path().join("0001.meta.json"), m).expect("write");
        let e = ReplayBackend::open(dir.path())
            .err()
            .expect("missing response");
        assert!(e.to_string().contains("missing"), "{e}");
    }
}
