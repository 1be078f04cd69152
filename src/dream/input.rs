//! Building an engine's input: sessions from parsed transcripts or stored rows, in one shape.

use super::{Event, Session, ToolCall};
use crate::import::ParsedSession;

/// The engine's view of a parsed session (ids as the source wrote them, `#seq` otherwise).
pub fn session_from_parsed(s: &ParsedSession, agent: &str) -> Session {
    let events = s
        .events
        .iter()
        .enumerate()
        .map(|(i, e)| Event {
            id: e.external_id.clone().unwrap_or_else(|| format!("#{i}")),
            seq: i as i64,
            kind: e.kind.clone(),
            role: e.role.clone(),
            at: e.at.clone(),
            thread: e.thread.clone(),
            is_error: e.is_error,
            text: e.text.clone(),
        })
        .collect();
    let tool_calls = s
        .tool_calls
        .iter()
        .map(|c| ToolCall {
            name: c.name.clone(),
            input: c.input.clone(),
            use_seq: c.use_event as i64,
            result_seq: c.result_event.map(|i| i as i64),
            is_error: c.is_error,
            result_text: c.result_text.clone(),
        })
        .collect();
    Session {
        id: s.external_id.clone(),
        agent: agent.to_owned(),
        started_at: s.started_at.clone(),
        events,
        tool_calls,
    }
}

/// Oldest first; sessions without a start time first, then by id, so the order is stable.
pub fn sort_sessions(sessions: &mut [Session]) {
    sessions.sort_by(|a, b| {
        a.started_at
            .cmp(&b.started_at)
            .then_with(|| a.id.cmp(&b.id))
    });
}
