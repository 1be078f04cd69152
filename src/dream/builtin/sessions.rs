//! A digest of the sessions the passes share: user messages (never tool output), shell
//! commands with their outcome, and what write/edit tools put into files — built once, in one
//! pass over the events.

use std::collections::HashMap;

use crate::dream::{Evidence, Session};

use super::text;

/// A user-authored message (not a tool result, not a compaction summary).
pub struct UserMsg {
    pub sess: usize,
    pub event_id: String,
    pub at: String,
    pub text: String,
}

/// One tool call with a shell command.
pub struct Cmd {
    pub sess: usize,
    pub command: String,
    pub failed: bool,
    pub not_found: bool,
    pub result: String,
    pub use_event: Option<usize>,
    pub result_event: Option<usize>,
}

/// Text a write/edit tool put into a file.
pub struct Written {
    pub sess: usize,
    pub event: Option<usize>,
    pub at: String,
    pub new_text: String,
    pub old_text: String,
}

pub struct Digest<'a> {
    pub sessions: &'a [Session],
    pub users: Vec<UserMsg>,
    /// Per session, its commands in order.
    pub cmds: Vec<Vec<Cmd>>,
    pub writes: Vec<Written>,
    /// Per session, edited file paths (non-memory) in call order, with the call's position
    /// among that session's commands (commands seen before it).
    pub edits: Vec<Vec<(usize, String)>>,
}

const NOT_FOUND: &[&str] = &[
    "not found",
    "404",
    "no such file",
    "enoent",
    "errno 2",
    "does not exist",
    "doesn't exist",
    "could not be found",
    "cannot find",
    "can't open file",
    "no longer exists",
    "not exist",
    "unknown command",
    "is not recognized",
    "could not find",
];

/// True when a tool result says a path, command, unit or URL does not exist.
pub fn says_not_found(result: &str) -> bool {
    let r = result.to_lowercase();
    NOT_FOUND.iter().any(|p| r.contains(p))
}

fn is_user(kind: &str, role: Option<&str>, text: &str) -> bool {
    (kind == "user" || kind == "user.message")
        && role.is_none_or(|r| r == "user")
        && !text.starts_with("[tool_result")
        && !text.starts_with("This session is being continued")
}

fn json_strings(v: &serde_json::Value, key: &str, out: &mut Vec<(String, String)>) {
    match v {
        serde_json::Value::String(s) => out.push((key.to_owned(), s.clone())),
        serde_json::Value::Array(a) => a.iter().for_each(|x| json_strings(x, key, out)),
        serde_json::Value::Object(m) => m.iter().for_each(|(k, x)| json_strings(x, k, out)),
        _ => {}
    }
}

fn is_write_tool(name: &str) -> bool {
    let n = name.to_lowercase();
    [
        "write",
        "edit",
        "str_replace",
        "memory",
        "create",
        "insert",
        "append",
        "save",
    ]
    .iter()
    .any(|w| n.contains(w))
}

impl<'a> Digest<'a> {
    pub fn new(sessions: &'a [Session]) -> Self {
        let mut d = Digest {
            sessions,
            users: Vec::new(),
            cmds: Vec::new(),
            writes: Vec::new(),
            edits: Vec::new(),
        };
        for (si, s) in sessions.iter().enumerate() {
            let by_seq: HashMap<i64, usize> = s
                .events
                .iter()
                .enumerate()
                .map(|(i, e)| (e.seq, i))
                .collect();
            for e in &s.events {
                if is_user(&e.kind, e.role.as_deref(), &e.text) {
                    let at =
                        e.at.clone()
                            .or_else(|| s.started_at.clone())
                            .unwrap_or_default();
                    d.users.push(UserMsg {
                        sess: si,
                        event_id: e.id.clone(),
                        at,
                        text: e.text.clone(),
                    });
                }
            }
            let mut cmds = Vec::new();
            let mut edits = Vec::new();
            for c in &s.tool_calls {
                let use_event = by_seq.get(&c.use_seq).copied();
                let result_event = c.result_seq.and_then(|q| by_seq.get(&q).copied());
                let Ok(v) = serde_json::from_str::<serde_json::Value>(&c.input) else {
                    continue;
                };
                let command = v
                    .get("command")
                    .or_else(|| v.get("cmd"))
                    .and_then(|x| x.as_str());
                let result = c
                    .result_text
                    .clone()
                    .or_else(|| {
                        result_event
                            .and_then(|i| s.events.get(i))
                            .map(|e| e.text.clone())
                    })
                    .unwrap_or_default();
                let is_shell = command
                    .is_some_and(|cmd| cmd.contains(' ') || !is_write_tool(&c.name))
                    && !is_write_tool(&c.name);
                if let (true, Some(cmd)) = (is_shell, command) {
                    let failed = c.is_error;
                    cmds.push(Cmd {
                        sess: si,
                        command: cmd.to_owned(),
                        failed,
                        not_found: failed && says_not_found(&result),
                        result,
                        use_event,
                        result_event,
                    });
                    continue;
                }
                if is_write_tool(&c.name) {
                    let mut strings = Vec::new();
                    json_strings(&v, "", &mut strings);
                    let path = strings
                        .iter()
                        .find(|(k, _)| k == "file_path" || k == "path")
                        .map(|(_, s)| s.clone())
                        .unwrap_or_default();
                    let mut new_text = String::new();
                    let mut old_text = String::new();
                    for (k, s) in &strings {
                        if k.starts_with("old") {
                            old_text.push_str(s);
                            old_text.push('\n');
                        } else if !matches!(k.as_str(), "file_path" | "path" | "command") {
                            new_text.push_str(s);
                            new_text.push('\n');
                        }
                    }
                    let at = use_event
                        .and_then(|i| s.events.get(i))
                        .and_then(|e| e.at.clone())
                        .or_else(|| s.started_at.clone())
                        .unwrap_or_default();
                    if !path.is_empty() && !path.contains("/memory/") && !c.is_error {
                        edits.push((cmds.len(), path));
                    }
                    d.writes.push(Written {
                        sess: si,
                        event: use_event,
                        at,
                        new_text,
                        old_text,
                    });
                }
            }
            d.cmds.push(cmds);
            d.edits.push(edits);
        }
        d
    }

    /// Evidence for an event of a session, quoting `hint` if the event holds it.
    pub fn evidence(&self, sess: usize, event: Option<usize>, hint: &str) -> Option<Evidence> {
        let s = self.sessions.get(sess)?;
        let e = s.events.get(event?)?;
        let quote = text::head_quote(&e.text, hint)?;
        Some(Evidence {
            session_id: Some(s.id.clone()),
            event_id: Some(e.id.clone()),
            quote,
        })
    }

    /// Evidence for a user message.
    pub fn user_evidence(&self, m: &UserMsg, hint: &str) -> Option<Evidence> {
        let s = self.sessions.get(m.sess)?;
        let quote = text::head_quote(&m.text, hint)?;
        Some(Evidence {
            session_id: Some(s.id.clone()),
            event_id: Some(m.event_id.clone()),
            quote,
        })
    }

    pub fn agent(&self, sess: usize) -> &str {
        self.sessions.get(sess).map_or("", |s| s.agent.as_str())
    }
}

/// The shell segments of a command (`&&`, `||`, `;`, and only the first stage of a pipe).
pub fn segments(command: &str) -> Vec<String> {
    command
        .split("&&")
        .flat_map(|p| p.split("||"))
        .flat_map(|p| p.split(';'))
        .filter_map(|p| p.split('|').next())
        .map(|p| p.trim().to_owned())
        .filter(|p| !p.is_empty())
        .collect()
}

const INSPECT: &[&str] = &[
    "ls", "cat", "head", "tail", "grep", "rg", "find", "echo", "pwd", "cd", "which", "sleep", "wc",
    "sed", "awk", "less", "more", "tree", "env", "printenv", "true", "false", "date", "diff",
    "stat", "file", "git", "gh", "jq", "sort", "uniq", "xargs", "open", "clear", "export",
    "source", "man", "type", "history", "read", "test", "[",
];

/// The words that identify a command: env assignments, `sudo` and flags dropped, up to the
/// first argument that looks like a path, file, value or quote (at most 4 words).
pub fn command_key(segment: &str) -> String {
    let mut out: Vec<&str> = Vec::new();
    for tok in segment.split_whitespace() {
        if out.is_empty() && (tok.contains('=') || tok == "sudo" || tok == "env") {
            continue;
        }
        if tok.starts_with('-') {
            continue;
        }
        let plain = tok
            .chars()
            .all(|c| c.is_alphanumeric() || c == '-' || c == '_' || c == ':' || c == '@')
            && !tok.chars().next().is_some_and(|c| c.is_ascii_digit());
        if !plain {
            break;
        }
        out.push(tok);
        if out.len() == 4 {
            break;
        }
    }
    out.join(" ").to_lowercase()
}

/// True for read-only or version-control commands, which are never a fix or a workflow.
pub fn is_inspection(segment: &str) -> bool {
    is_inspection_key(&command_key(segment))
}

/// [`is_inspection`] of a segment, given its [`command_key`].
pub fn is_inspection_key(key: &str) -> bool {
    let first = key.split_whitespace().next().unwrap_or("");
    first.is_empty() || INSPECT.contains(&first)
}
