//! `lucid remote pull-sessions`: list Managed Agents sessions (optionally only those attached to
//! a linked store, started since a date, at most N), fetch the events of new or updated ones
//! (paginated, ≤ `max_in_flight` sessions at once) and store them as Lucid sessions keeping their
//! `sesn_` / `sevt_` ids. A session whose `updated_at` did not change is skipped.

use serde::Serialize;
use serde_json::Value;

use super::RemoteError;
use super::client::{Client, Family, Job, bounded};
use super::wire::{RemoteSession, check_id};
use crate::error::{Error, Result};
use crate::import::managed_agents;
use crate::store::{Db, pack_raw, remote_session_file};
use crate::util::{Ctx, sha256_hex};

/// Sessions stored per transaction.
const BATCH: usize = 10;

/// Which sessions to pull.
#[derive(Debug, Clone, Default)]
pub struct SessionFilter {
    /// Only sessions attached to this (linked) store; they are linked to it locally.
    pub store: Option<String>,
    /// RFC 3339 time or date: sessions created at or after it.
    pub since: Option<String>,
    /// At most this many sessions (newest first as the API lists them).
    pub limit: Option<usize>,
}

/// What a session pull did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SessionsReport {
    pub listed: usize,
    pub pulled: usize,
    pub unchanged: usize,
    pub events: usize,
    pub bad_events: usize,
    pub requests: u32,
}

pub fn pull_sessions(
    db: &mut Db,
    ctx: &Ctx,
    client: &Client,
    filter: &SessionFilter,
) -> Result<SessionsReport> {
    let remote_store = match &filter.store {
        Some(s) => Some(
            db.remote_link(s)?
                .ok_or_else(|| crate::store::not_linked_error(s))?
                .remote_id,
        ),
        None => None,
    };
    let since = filter
        .since
        .as_deref()
        .map(|s| {
            crate::util::normalize_time(s).ok_or_else(|| {
                Error::Usage(format!("--since {s:?} is not a date or RFC 3339 time"))
            })
        })
        .transpose()?;
    let mut query = vec![("limit", "100".to_owned())];
    if let Some(s) = &since {
        query.push(("created_at[gte]", s.clone()));
    }
    let known = db.remote_sessions()?;
    let listed = client.block_on(client.list_all(Family::Sessions, "/v1/sessions", &query))?;
    let mut report = SessionsReport::default();
    let mut wanted = Vec::new();
    for v in &listed {
        let s = RemoteSession::parse(v)?;
        check_id("sesn_", &s.id)?;
        if remote_store
            .as_ref()
            .is_some_and(|id| !s.memory_store_ids.contains(id))
        {
            continue;
        }
        if since.as_ref().is_some_and(|t| {
            s.created_at
                .as_deref()
                .and_then(crate::util::normalize_time)
                .is_some_and(|c| &c < t)
        }) {
            continue;
        }
        if filter.limit.is_some_and(|n| report.listed >= n) {
            break;
        }
        report.listed += 1;
        match known.get(&s.id) {
            Some(seen) if seen.is_some() && *seen == s.updated_at => report.unchanged += 1,
            _ => wanted.push(s),
        }
    }
    for chunk in wanted.chunks(BATCH) {
        let events = client.block_on(fetch_events(client, chunk))?;
        let mut files = Vec::with_capacity(chunk.len());
        let mut updated = Vec::with_capacity(chunk.len());
        for (s, items) in chunk.iter().zip(events) {
            let raw: String = items
                .iter()
                .map(Value::to_string)
                .collect::<Vec<_>>()
                .join("\n");
            let parsed = managed_agents::parse_events(items, &s.id);
            report.bad_events += parsed.bad_lines.len();
            let Some(mut session) = parsed.sessions.into_iter().next() else {
                continue;
            };
            session.external_id.clone_from(&s.id);
            if session.title.is_none() {
                session.title.clone_from(&s.title);
            }
            if session.started_at.is_none() {
                session.started_at = s
                    .created_at
                    .as_deref()
                    .and_then(crate::util::normalize_time);
            }
            let packed = pack_raw(&session);
            files.push(remote_session_file(
                session,
                packed,
                &s.agent,
                sha256_hex(raw.as_bytes()),
                raw.len() as u64,
            ));
            updated.push(s.updated_at.clone());
        }
        report.events +=
            db.store_remote_sessions(ctx, filter.store.as_deref(), &files, &updated)?;
        report.pulled += files.len();
    }
    report.requests = client.requests();
    Ok(report)
}

/// Every event of each session, `max_in_flight` sessions at once, in order.
async fn fetch_events(
    client: &Client,
    sessions: &[RemoteSession],
) -> Result<Vec<Vec<Value>>, RemoteError> {
    let jobs: Vec<Job<'_, Result<Vec<Value>, RemoteError>>> = sessions
        .iter()
        .map(|s| {
            let path = format!("/v1/sessions/{}/events", s.id);
            Box::pin(async move {
                client
                    .list_all(Family::Sessions, &path, &[("limit", "100".to_owned())])
                    .await
            }) as Job<'_, _>
        })
        .collect();
    bounded(client.config().max_in_flight, jobs)
        .await
        .into_iter()
        .collect()
}
