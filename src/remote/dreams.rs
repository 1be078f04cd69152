//! The `anthropic-dreams` engine: Claude's own dream (Managed Agents Dreams API, research
//! preview) behind the same [`Engine`] boundary as the builtin one. It checks that the remote
//! store still equals the local store at the dream's base, starts a dream over that store and the
//! chosen remote sessions (output to a new store unless the store is in auto mode and
//! `allow_update_existing` is set), polls it with backoff, and returns the output store's files:
//! `dreaming::run` then diffs them against the base into a proposal. Cancelling (Ctrl-C,
//! `lucid dream cancel` through the [`CancelToken`]) cancels the remote dream too.

use std::collections::BTreeMap;
use std::time::Duration;

use reqwest::Method;
use serde_json::{Value, json};

use super::RemoteError;
use super::client::{Client, Family};
use super::config::ManagedAgentsConfig;
use super::pull::{fetch_manifest, fetch_memories};
use super::wire::{RemoteDream, check_id};
use crate::dream::{self, ChangeNote, DreamInput, DreamOutput, Engine, EngineError, Evidence};
use crate::error::Result;
use crate::llm::{ApiKey, CancelToken};
use crate::store::{Db, not_linked_error};
use crate::util::sha256_hex;

/// The engine's name, as `--engine` takes it.
pub const NAME: &str = "anthropic-dreams";

/// Claude's dreams as proposals.
#[derive(Debug)]
pub struct DreamsEngine {
    client: Client,
    remote_store: String,
    model: String,
    update_existing: bool,
    archive_output: bool,
    cancel: CancelToken,
}

impl DreamsEngine {
    /// The engine for a local store linked to a remote one (`lucid remote pull-store`).
    pub fn for_store(
        db: &Db,
        store: &str,
        cfg: &ManagedAgentsConfig,
        key: ApiKey,
        cancel: CancelToken,
    ) -> Result<Self> {
        let link = db
            .remote_link(store)?
            .ok_or_else(|| not_linked_error(store))?;
        let meta = db.store(store)?;
        Ok(Self {
            client: Client::new(cfg, key)?,
            remote_store: link.remote_id,
            model: cfg.dream_model.clone(),
            update_existing: meta.mode == "auto" && cfg.allow_update_existing,
            archive_output: false,
            cancel,
        })
    }

    /// `--model M`.
    #[must_use]
    pub fn with_model(mut self, model: &str) -> Self {
        if !model.trim().is_empty() {
            model.trim().clone_into(&mut self.model);
        }
        self
    }

    /// `--archive-output`: archive the dream's output store once it has been read.
    #[must_use]
    pub fn with_archive_output(mut self, archive: bool) -> Self {
        self.archive_output = archive;
        self
    }

    /// The request body of `POST /v1/dreams`.
    pub fn request_body(&self, session_ids: &[String], instructions: &str) -> Value {
        let mut body = json!({
            "inputs": [
                { "type": "memory_store", "memory_store_id": self.remote_store },
                { "type": "sessions", "session_ids": session_ids },
            ],
            "model": self.model,
            "output_behavior": {
                "type": if self.update_existing { "update_existing" } else { "create_new" }
            },
        });
        if !instructions.is_empty() {
            body["instructions"] = Value::String(instructions.to_owned());
        }
        body
    }

    fn run(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        let sessions: Vec<String> = input.sessions.iter().map(|s| s.id.clone()).collect();
        if sessions.is_empty() || sessions.len() > dream::MAX_SESSIONS {
            return Err(EngineError::Failed(format!(
                "Claude's dreams read 1 to {} sessions; {} were chosen",
                dream::MAX_SESSIONS,
                sessions.len()
            )));
        }
        for id in &sessions {
            if check_id("sesn_", id).is_err() {
                return Err(EngineError::Failed(format!(
                    "session {} is not a Managed Agents session (pull them with `lucid remote pull-sessions`)",
                    crate::sanitize::line(id)
                )));
            }
        }
        self.client
            .block_on(self.check_base(input))
            .map_err(failed)?;
        let body = self.request_body(&sessions, &input.instructions);
        let started = self.client.block_on(self.client.call(
            Method::POST,
            Family::Dreams,
            "/v1/dreams",
            &[],
            Some(&body),
        ));
        let started = match started {
            Ok(v) => RemoteDream::parse(&v).map_err(failed)?,
            Err(e) if e.kind() == Some("conflict_error") => {
                return Err(EngineError::Failed(format!(
                    "{} is held by another dream (conflict_error); wait for it or cancel it, then retry{}",
                    self.remote_store,
                    e.request_id()
                        .map(|r| format!(" (request {r})"))
                        .unwrap_or_default()
                )));
            }
            Err(e) => return Err(failed(e)),
        };
        check_id("drm_", &started.id).map_err(failed)?;
        let done = self.poll(&started.id)?;
        match done.status.as_str() {
            "completed" => self.output(input, &done),
            "canceled" => Err(EngineError::Canceled),
            _ => {
                let (kind, message) = done
                    .error
                    .unwrap_or_else(|| ("failed".into(), String::new()));
                Err(EngineError::Failed(format!(
                    "Claude's dream {} failed: {kind}: {}",
                    done.id,
                    crate::sanitize::line(&message)
                )))
            }
        }
    }

    /// The remote store must equal the local store at the dream's base, or the proposal's
    /// diff would be against the wrong text.
    async fn check_base(&self, input: &DreamInput) -> Result<(), RemoteError> {
        let remote = fetch_manifest(&self.client, &self.remote_store).await?;
        let remote: BTreeMap<&str, &str> = remote
            .iter()
            .map(|m| (m.path.as_str(), m.sha256.as_str()))
            .collect();
        let local: Vec<(String, String)> = input
            .files
            .iter()
            .map(|f| (f.path.clone(), sha256_hex(f.content.as_bytes())))
            .collect();
        let same = remote.len() == local.len()
            && local
                .iter()
                .all(|(p, s)| remote.get(p.as_str()) == Some(&s.as_str()));
        if same {
            Ok(())
        } else {
            Err(RemoteError::Config(format!(
                "{} differs from the local store: push local changes and pull remote ones (lucid remote push / pull-store) before dreaming",
                self.remote_store
            )))
        }
    }

    fn poll(&self, id: &str) -> Result<RemoteDream, EngineError> {
        let path = format!("/v1/dreams/{id}");
        let cfg = self.client.config();
        let mut wait = cfg.dream_poll_initial_ms.max(1);
        loop {
            if self.cancel.is_canceled() {
                let cancel = format!("{path}/cancel");
                // Best effort: the local dream is canceled whatever the remote answers.
                let _ = self.client.block_on(self.client.call(
                    Method::POST,
                    Family::Dreams,
                    &cancel,
                    &[],
                    None,
                ));
                return Err(EngineError::Canceled);
            }
            let v = self
                .client
                .block_on(
                    self.client
                        .call(Method::GET, Family::Dreams, &path, &[], None),
                )
                .map_err(failed)?;
            let d = RemoteDream::parse(&v).map_err(failed)?;
            if matches!(d.status.as_str(), "completed" | "failed" | "canceled") {
                return Ok(d);
            }
            self.sleep(Duration::from_millis(wait));
            wait = (wait * 2).min(cfg.dream_poll_max_ms.max(1));
        }
    }

    /// Sleeps in short slices so a cancel is noticed quickly.
    fn sleep(&self, total: Duration) {
        let slice = Duration::from_millis(50);
        let mut left = total;
        while !left.is_zero() && !self.cancel.is_canceled() {
            let step = left.min(slice);
            std::thread::sleep(step);
            left -= step;
        }
    }

    fn output(&self, input: &DreamInput, d: &RemoteDream) -> Result<DreamOutput, EngineError> {
        let store = match (&d.output_store, self.update_existing) {
            (Some(s), _) => s.clone(),
            (None, true) => self.remote_store.clone(),
            (None, false) => {
                return Err(EngineError::Failed(format!(
                    "Claude's dream {} completed without an output memory store",
                    d.id
                )));
            }
        };
        check_id("memstore_", &store).map_err(failed)?;
        let memories = self
            .client
            .block_on(fetch_memories(&self.client, &store))
            .map_err(failed)?;
        let files: BTreeMap<String, String> = memories
            .into_iter()
            .map(|m| (m.path, m.content.unwrap_or_default()))
            .collect();
        if self.archive_output && store != self.remote_store {
            let path = format!("/v1/memory_stores/{store}/archive");
            self.client
                .block_on(
                    self.client
                        .call(Method::POST, Family::MemoryStores, &path, &[], None),
                )
                .map_err(failed)?;
        }
        let notes = notes(input, &files, d);
        let mut tokens = d.usage.clone();
        tokens.requests = self.client.requests();
        Ok(DreamOutput {
            files,
            notes,
            usage: Some(dream::Usage {
                model: if d.model.is_empty() {
                    self.model.clone()
                } else {
                    d.model.clone()
                },
                tokens,
            }),
        })
    }
}

fn failed(e: impl std::fmt::Display) -> EngineError {
    EngineError::Failed(e.to_string())
}

/// The Dreams API returns a store, not reasons: each changed file gets a note naming the dream,
/// a category read from the change's shape, and the dream's sessions as evidence.
fn notes(input: &DreamInput, out: &BTreeMap<String, String>, d: &RemoteDream) -> Vec<ChangeNote> {
    let evidence: Vec<Evidence> = input
        .sessions
        .iter()
        .map(|s| Evidence {
            session_id: Some(s.id.clone()),
            event_id: None,
            quote: String::new(),
        })
        .collect();
    let base: BTreeMap<&str, &str> = input
        .files
        .iter()
        .map(|f| (f.path.as_str(), f.content.as_str()))
        .collect();
    let mut notes = Vec::new();
    let note = |path: &str, category, what: &str| ChangeNote {
        path: path.to_owned(),
        category,
        rationale: format!("Claude's dream {} ({}) {what}.", d.id, d.model),
        evidence: evidence.clone(),
    };
    for (path, old) in &base {
        match out.get(*path) {
            Some(new) if new == old => {}
            Some(_) => notes.push(note(path, dream::Category::Reorganize, "rewrote this file")),
            None => {
                let kept = old.trim();
                let merged = !kept.is_empty() && out.values().any(|c| c.contains(kept));
                if merged {
                    notes.push(note(
                        path,
                        dream::Category::Duplicate,
                        "merged this file into another one with the same content",
                    ));
                } else {
                    notes.push(note(path, dream::Category::Stale, "dropped this file"));
                }
            }
        }
    }
    for path in out.keys().filter(|p| !base.contains_key(p.as_str())) {
        notes.push(note(path, dream::Category::Insight, "added this file"));
    }
    notes
}

impl Engine for DreamsEngine {
    fn name(&self) -> &'static str {
        NAME
    }

    fn version(&self) -> &'static str {
        "1"
    }

    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        self.run(input)
    }
}
