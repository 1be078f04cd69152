//! Claude Managed Agents session events (`{"data":[…]}` as the Sessions API lists them, or one
//! event per line) parsed into one [`ParsedSession`] per file.

use serde_json::{Map, Value};

use super::claude_code::{
    JsonLine, MAX_LINE_BYTES, Rendered, TimeSpan, content_text, event_type, first_title, is_true,
    pair_results, read_json_lines, render_content, str_field,
};
use super::{BadLine, ParsedEvent, ParsedFile, ParsedSession, SessionSource};

/// True for a `{"data":[…]}` listing, or JSON lines whose first object has a dotted `type`
/// (`user.message`), which Claude Code entries (`user`, `assistant`) never have.
pub fn looks_like(bytes: &[u8]) -> bool {
    if let Ok(Value::Object(doc)) = serde_json::from_slice::<Value>(bytes)
        && !doc.contains_key("type")
    {
        return doc.get("data").is_some_and(Value::is_array);
    }
    first_object_type(bytes).is_some_and(|ty| ty.contains('.'))
}

fn first_object_type(bytes: &[u8]) -> Option<String> {
    bytes
        .split(|b| *b == b'\n')
        .filter(|chunk| chunk.len() <= MAX_LINE_BYTES)
        .find_map(|chunk| match serde_json::from_slice::<Value>(chunk) {
            Ok(Value::Object(obj)) => Some(str_field(&obj, "type").map(str::to_owned)),
            _ => None,
        })
        .flatten()
}

/// Parses one events file. Never fails: unreadable events land in `bad_lines`.
pub fn parse(bytes: &[u8], file_stem: &str) -> ParsedFile {
    let (items, bad_lines) = read_items(bytes);
    ParsedFile {
        sessions: build_session(items, file_stem).into_iter().collect(),
        bad_lines,
    }
}

/// Events as the Sessions API lists them (`data` elements of every page, in order), for
/// `session_id`. Never fails: unreadable events land in `bad_lines`.
pub fn parse_events(items: Vec<Value>, session_id: &str) -> ParsedFile {
    let (items, bad_lines) = from_elements(items);
    ParsedFile {
        sessions: build_session(items, session_id).into_iter().collect(),
        bad_lines,
    }
}

/// The events of the file, as a listing document or as JSON lines.
fn read_items(bytes: &[u8]) -> (Vec<JsonLine>, Vec<BadLine>) {
    match serde_json::from_slice::<Value>(bytes) {
        // Not one JSON document: JSON lines (or a broken file, read line by line).
        Err(_) => read_json_lines(bytes),
        Ok(Value::Object(doc)) if doc.contains_key("type") => {
            // A lone event: one line keeps its exact bytes; a pretty-printed one is compacted.
            if bytes.trim_ascii().contains(&b'\n') {
                from_elements(vec![Value::Object(doc)])
            } else {
                read_json_lines(bytes)
            }
        }
        Ok(Value::Object(mut doc)) => match doc.remove("data") {
            Some(Value::Array(items)) => from_elements(items),
            _ => one_bad("object without a \"data\" array"),
        },
        Ok(_) => one_bad("neither {\"data\":[…]} nor one event object per line"),
    }
}

fn one_bad(reason: &str) -> (Vec<JsonLine>, Vec<BadLine>) {
    (
        Vec::new(),
        vec![BadLine {
            line: 1,
            reason: reason.to_owned(),
        }],
    )
}

/// `data` elements; `line` is the element index + 1 and `raw` the element as compact JSON.
fn from_elements(items: Vec<Value>) -> (Vec<JsonLine>, Vec<BadLine>) {
    let mut lines = Vec::new();
    let mut bad = Vec::new();
    for (i, item) in items.into_iter().enumerate() {
        let line = i + 1;
        let Value::Object(obj) = item else {
            bad.push(BadLine {
                line,
                reason: "not a JSON object".to_owned(),
            });
            continue;
        };
        match event_type(&obj) {
            Ok(ty) => {
                let raw = serde_json::to_string(&obj).unwrap_or_default();
                lines.push(JsonLine { raw, obj, ty });
            }
            Err(reason) => bad.push(BadLine { line, reason }),
        }
    }
    (lines, bad)
}

fn build_session(items: Vec<JsonLine>, file_stem: &str) -> Option<ParsedSession> {
    if items.is_empty() {
        return None;
    }
    let external_id = items
        .iter()
        .find_map(|l| str_field(&l.obj, "session_id").filter(|s| !s.is_empty()))
        .unwrap_or(file_stem)
        .to_owned();
    let mut span = TimeSpan::default();
    let mut events = Vec::with_capacity(items.len());
    let mut calls = Vec::new();
    let mut results = Vec::new();
    for (index, JsonLine { raw, obj, ty }) in items.into_iter().enumerate() {
        let at = str_field(&obj, "processed_at").or_else(|| str_field(&obj, "created_at"));
        span.add(at);
        let rendered = render_event(&obj, &ty);
        events.push(ParsedEvent {
            external_id: str_field(&obj, "id").map(str::to_owned),
            parent_external_id: None,
            role: role_of(&ty).map(str::to_owned),
            at: at.map(str::to_owned),
            thread: "main".to_owned(),
            text: rendered.text(),
            is_error: rendered.has_error(),
            kind: ty,
            raw,
        });
        let (uses, found) = rendered.into_tools();
        calls.extend(uses.into_iter().map(|u| u.into_call(index)));
        results.extend(found.into_iter().map(|r| (index, r)));
    }
    pair_results(&mut calls, results);
    Some(ParsedSession {
        source: SessionSource::ManagedAgents,
        external_id,
        started_at: span.first,
        ended_at: span.last,
        title: first_title(&events, "user.message"),
        events,
        tool_calls: calls,
    })
}

/// The role follows the type's prefix; every kind of tool result is the tool speaking.
fn role_of(ty: &str) -> Option<&'static str> {
    if ty.ends_with("tool_result") {
        Some("tool")
    } else if ty.starts_with("user.") {
        Some("user")
    } else if ty.starts_with("agent.") {
        Some("assistant")
    } else if ty.starts_with("session.") {
        Some("system")
    } else {
        None
    }
}

fn render_event(obj: &Map<String, Value>, ty: &str) -> Rendered {
    let mut out = Rendered::default();
    if ty.ends_with("tool_result") {
        // The result points at the use event's id under a name that depends on the tool kind.
        let use_id = ["tool_use_id", "mcp_tool_use_id", "custom_tool_use_id"]
            .iter()
            .find_map(|key| str_field(obj, key));
        out.add_result(use_id, obj.get("content"), is_true(obj.get("is_error")));
        return out;
    }
    if let Some(content) = obj.get("content") {
        render_content(content, &mut out);
    }
    if ty.ends_with("tool_use") {
        out.add_use(
            str_field(obj, "id"),
            str_field(obj, "name"),
            obj.get("input"),
        );
    }
    if let Some(error) = obj.get("error") {
        let message = error
            .get("message")
            .map_or_else(|| content_text(error), content_text);
        out.push(&if message.is_empty() {
            "[error]".to_owned()
        } else {
            format!("[error] {message}")
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use std::path::{Path, PathBuf};

    use super::*;
    use crate::import::claude_code::tests::{consolidation_files, corpus, mutations, read, stem};

    fn corpus_file(case_agent_file: &str) -> PathBuf {
        corpus().join("consolidation").join(case_agent_file)
    }

    fn parse_path(path: &Path) -> ParsedFile {
        parse(&read(path), &stem(path))
    }

    /// The `data` elements of a listing written back as JSON lines.
    fn as_jsonl(bytes: &[u8]) -> String {
        let doc: Value = serde_json::from_slice(bytes).expect("corpus listing is JSON");
        let items = doc
            .get("data")
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default();
        items
            .iter()
            .map(Value::to_string)
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn every_corpus_listing_imports_cleanly() {
        let files = consolidation_files(".events.json");
        assert_eq!(files.len(), 34);
        let (mut events, mut calls, mut paired, mut errors) = (0, 0, 0, 0);
        for path in &files {
            let bytes = read(path);
            assert!(looks_like(&bytes), "{}", path.display());
            let parsed = parse(&bytes, &stem(path));
            assert!(
                parsed.bad_lines.is_empty(),
                "{}: {:?}",
                path.display(),
                parsed.bad_lines
            );
            let [session] = parsed.sessions.as_slice() else {
                panic!("{}: expected one session", path.display());
            };
            assert_eq!(session.external_id, stem(path));
            assert!(session.title.is_some() && session.started_at < session.ended_at);
            events += session.events.len();
            calls += session.tool_calls.len();
            paired += session
                .tool_calls
                .iter()
                .filter(|c| c.result_event.is_some())
                .count();
            errors += session.tool_calls.iter().filter(|c| c.is_error).count();
            let error_events = session.events.iter().filter(|e| e.is_error).count();
            assert_eq!(
                error_events,
                session.tool_calls.iter().filter(|c| c.is_error).count()
            );
        }
        // Counted with jq-like scripts over the listings: 508 events, 145 `*_tool_use` (98 built-in,
        // 41 MCP, 6 custom), every one answered, 10 with `is_error: true`.
        assert_eq!((events, calls, paired, errors), (508, 145, 145, 10));
    }

    #[test]
    fn claude_code_files_do_not_look_like_managed_agents() {
        for path in consolidation_files(".jsonl") {
            assert!(!looks_like(&read(&path)), "{}", path.display());
        }
        let real = corpus().join("transcripts/claude-code-log/edge_cases.jsonl");
        assert!(!looks_like(&read(&real)));
    }

    #[test]
    fn mcp_and_builtin_tools_pair_with_one_error() {
        let parsed = parse_path(&corpus_file(
            "support-refunds-endpoint-moved/sessions/support/sesn_014QnFPxft72XHrPP6uSRYgE.events.json",
        ));
        let session = &parsed.sessions[0];
        assert_eq!(session.events.len(), 16);
        let pairs: Vec<_> = session
            .tool_calls
            .iter()
            .map(|c| (c.name.as_str(), c.use_event, c.result_event, c.is_error))
            .collect();
        assert_eq!(
            pairs,
            [
                ("get_ticket", 2, Some(3), false),
                ("bash", 4, Some(5), true),
                ("web_fetch", 6, Some(7), false),
                ("bash", 8, Some(9), false),
                ("reply_to_ticket", 10, Some(11), false),
                ("set_ticket_status", 12, Some(13), false),
            ]
        );
        let failed = &session.events[5];
        assert_eq!(
            (failed.kind.as_str(), failed.role.as_deref()),
            ("agent.tool_result", Some("tool"))
        );
        assert!(failed.is_error);
        assert_eq!(
            failed.text,
            "[tool_result error] curl: (22) The requested URL returned error: 404"
        );
        assert_eq!(
            session.tool_calls[1].result_text.as_deref(),
            Some("curl: (22) The requested URL returned error: 404")
        );
        assert_eq!(
            session.title.as_deref(),
            Some("New ticket #48213 assigned to you.")
        );
        let roles: Vec<_> = [0, 1, 2, 14]
            .iter()
            .map(|&i| session.events[i].role.as_deref())
            .collect();
        assert_eq!(
            roles,
            [
                Some("user"),
                Some("system"),
                Some("assistant"),
                Some("assistant")
            ]
        );
    }

    #[test]
    fn custom_tools_pair_by_custom_tool_use_id() {
        let parsed = parse_path(&corpus_file(
            "support-signoff-superseded-and-promises/sessions/support/sesn_01FgrHskoVqHxBxsjdw3zZk8.events.json",
        ));
        let session = &parsed.sessions[0];
        assert_eq!((session.events.len(), session.tool_calls.len()), (29, 10));
        let custom: Vec<_> = session
            .tool_calls
            .iter()
            .filter(|c| session.events[c.use_event].kind == "agent.custom_tool_use")
            .collect();
        assert_eq!(custom.len(), 2);
        for call in custom {
            let result = call.result_event.map(|i| session.events[i].kind.as_str());
            assert_eq!(result, Some("user.custom_tool_result"));
            assert!(!call.is_error, "a missing is_error is no error");
        }
        assert_eq!(session.tool_calls.iter().filter(|c| c.is_error).count(), 0);
    }

    #[test]
    fn listing_events_keep_compact_raw_and_readable_text() {
        let path = corpus_file(
            "fleet-migration-freeze-dates-and-checks/sessions/lead/sesn_01RRPXuTyyUjCrqCivcJ4sVg.events.json",
        );
        let bytes = read(&path);
        let doc: Value = serde_json::from_slice(&bytes).expect("json");
        let parsed = parse(&bytes, &stem(&path));
        let session = &parsed.sessions[0];
        let first = &doc["data"][0];
        assert_eq!(session.events[0].raw, first.to_string());
        assert_eq!(
            session.events[0].external_id.as_deref(),
            Some("sevt_01pMo2gBqgazmakDaQd45mzK")
        );
        assert_eq!(session.events[0].thread, "main");
        assert!(
            session
                .events
                .iter()
                .all(|e| e.parent_external_id.is_none())
        );
        assert!(session.events[2].text.starts_with(
            "[tool_use write] {\"file_path\":\"/mnt/memory/atlas-fleet/calendar.md\""
        ));
        assert_eq!(
            session.events[3].text,
            "[tool_result] File written: /mnt/memory/atlas-fleet/calendar.md"
        );
        assert_eq!(session.events[1].text, "");
        assert_eq!(
            session.started_at.as_deref(),
            Some("2026-11-04T15:20:03.771Z")
        );
        assert_eq!(
            session.ended_at.as_deref(),
            Some("2026-11-04T15:23:37.442Z")
        );
    }

    #[test]
    fn jsonl_gives_the_same_session_with_exact_lines() {
        let path = corpus_file(
            "support-refunds-endpoint-moved/sessions/support/sesn_014QnFPxft72XHrPP6uSRYgE.events.json",
        );
        let listing = parse_path(&path);
        let jsonl = as_jsonl(&read(&path));
        assert!(looks_like(jsonl.as_bytes()));
        let lines = parse(jsonl.as_bytes(), &stem(&path));
        assert_eq!(lines, listing, "compact elements are also the exact lines");
        let raws: Vec<_> = lines.sessions[0]
            .events
            .iter()
            .map(|e| e.raw.as_str())
            .collect();
        assert_eq!(raws, jsonl.lines().collect::<Vec<_>>());
    }

    #[test]
    fn session_id_field_names_the_session() {
        let text = concat!(
            r#"{"id":"sevt_1","type":"session.status_running","processed_at":"2026-01-01T00:00:00Z"}"#,
            "\n\n",
            r#"{"id":"sevt_2","type":"user.message","session_id":"sesn_X","content":[{"type":"text","text":"hi"}]}"#,
            "\n",
            r#"{"id":"sevt_3","type":"session.error","error":{"type":"overloaded","message":"try later"}}"#,
        );
        let parsed = parse(text.as_bytes(), "sesn_stem");
        assert!(parsed.bad_lines.is_empty());
        let session = &parsed.sessions[0];
        assert_eq!(session.external_id, "sesn_X");
        assert_eq!(session.events[2].text, "[error] try later");
        assert_eq!(session.events[2].role.as_deref(), Some("system"));
        assert_eq!(
            (session.started_at.as_deref(), session.title.as_deref()),
            (Some("2026-01-01T00:00:00Z"), Some("hi"))
        );
    }

    #[test]
    fn empty_listing_or_file_has_no_session() {
        for bytes in [
            &b""[..],
            b"  \n",
            br#"{"data":[]}"#,
            br#"{"data":[],"next_page":null}"#,
        ] {
            assert_eq!(parse(bytes, "sesn_1"), ParsedFile::default(), "{bytes:?}");
        }
    }

    #[test]
    fn bad_elements_and_lines_are_counted() {
        let listing = br#"{"data":[1,{"id":"x"},{"id":"sevt_a","type":"agent.message","content":[]},{"type":7}]}"#;
        let parsed = parse(listing, "sesn_1");
        let bad: Vec<_> = parsed
            .bad_lines
            .iter()
            .map(|b| (b.line, b.reason.as_str()))
            .collect();
        assert_eq!(
            bad,
            [
                (1, "not a JSON object"),
                (2, "no \"type\" field"),
                (4, "\"type\" is not a string")
            ]
        );
        assert_eq!(parsed.sessions[0].events.len(), 1);

        let lines = b"{\"id\":\"a\",\"type\":\"user.message\"}\n{\"id\":\"b\",\"ty\n[1]\n\xff\n";
        let parsed = parse(lines, "sesn_1");
        let numbers: Vec<_> = parsed.bad_lines.iter().map(|b| b.line).collect();
        assert_eq!(numbers, [2, 3, 4]);
        assert_eq!(parsed.sessions[0].events.len(), 1);
    }

    #[test]
    fn a_top_level_value_that_is_neither_is_one_bad_line() {
        for bytes in [
            &b"42"[..],
            b"[{\"type\":\"user.message\"}]",
            br#"{"data":{"a":1}}"#,
            br#"{"object":"list"}"#,
        ] {
            let parsed = parse(bytes, "sesn_1");
            assert!(parsed.sessions.is_empty(), "{bytes:?}");
            assert_eq!(parsed.bad_lines.len(), 1, "{bytes:?}");
            assert_eq!(parsed.bad_lines[0].line, 1);
        }
    }

    #[test]
    fn a_lone_pretty_printed_event_is_read() {
        let parsed = parse(
            b"{\n  \"id\": \"sevt_1\",\n  \"type\": \"agent.message\"\n}\n",
            "sesn_1",
        );
        assert!(parsed.bad_lines.is_empty());
        assert_eq!(
            parsed.sessions[0].events[0].raw,
            r#"{"id":"sevt_1","type":"agent.message"}"#
        );
    }

    #[test]
    fn looks_like_tells_the_formats_apart() {
        assert!(looks_like(br#"{"data":[]}"#));
        assert!(looks_like(b"\n garbage\n{\"type\":\"user.message\"}\n"));
        assert!(!looks_like(
            br#"{"type":"user","message":{"content":"hi"}}"#
        ));
        assert!(!looks_like(br#"{"data":{}}"#));
        assert!(!looks_like(b""));
        assert!(!looks_like(b"{\"x\":1}\n{\"type\":\"user.message\"}"));
    }

    #[test]
    fn mutated_listings_never_panic() {
        let path = corpus_file(
            "support-refunds-endpoint-moved/sessions/support/sesn_014QnFPxft72XHrPP6uSRYgE.events.json",
        );
        let bytes = read(&path);
        let jsonl = as_jsonl(&bytes);
        let mut runs = 0;
        for source in [bytes.as_slice(), jsonl.as_bytes()] {
            for mutated in mutations(source).iter().step_by(3) {
                let parsed = parse(mutated, "m");
                let _ = looks_like(mutated);
                assert!(parsed.sessions.len() <= 1);
                runs += 1;
            }
        }
        assert!(runs > 300, "{runs}");
    }
}
