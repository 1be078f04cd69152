//! Fixtures for the Managed Agents mock: a store with history written by agent sessions and a
//! user, and sessions full of events — the same data for the tests and the benchmark.

#![allow(dead_code)]

use std::fmt::Write as _;

use serde_json::json;

use super::mock_managed::{Mock, Sess};

/// The text of memory `i` of a seeded store: every 5th repeats two lines far apart (two hunks
/// for a dream to remove), every 25th (from 1) duplicates the file before it.
pub fn seeded_content(i: usize) -> String {
    let base = if i % 25 == 1 { i - 1 } else { i };
    let mut s = format!(
        "# Note {base}\n\n- fact A{base}: the build uses cargo\n- shared line alpha {base}\n"
    );
    for k in 0..8 {
        let _ = writeln!(s, "- detail {base}.{k}");
    }
    if base % 5 == 0 {
        let _ = writeln!(s, "- shared line alpha {base}");
    }
    for k in 8..16 {
        let _ = writeln!(s, "- detail {base}.{k}");
    }
    if base % 5 == 0 {
        let _ = writeln!(s, "- fact A{base}: the build uses cargo");
    }
    s
}

pub fn seeded_path(i: usize) -> String {
    format!("/topic-{}/note-{i:05}.md", i % 10)
}

impl Mock {
    /// A store of `n` memories written by five agent sessions, with history: every 3rd memory
    /// first written in a shorter form and then edited by a user, and one extra memory created
    /// and deleted again. Returns the store id.
    pub fn seed_store(&self, n: usize) -> String {
        let mut st = self.lock();
        let store = st.create_store("Support fleet memory");
        let user = json!({"type": "user_actor", "user_id": "user_bob"});
        for i in 0..n {
            let actor =
                json!({"type": "session_actor", "session_id": format!("sesn_seed{}", i / 50)});
            let full = seeded_content(i);
            if i % 3 == 0 {
                let first: String = full.split_inclusive('\n').take(3).collect();
                st.write(&store, &seeded_path(i), &first, &actor);
            } else {
                st.write(&store, &seeded_path(i), &full, &actor);
            }
        }
        for i in (0..n).step_by(3) {
            st.write(&store, &seeded_path(i), &seeded_content(i), &user);
        }
        let temp = st.write(&store, "/scratch.md", "temporary\n", &user);
        st.delete(&temp, &user);
        store
    }

    /// `n` sessions attached to `store`, `events` events each (user and agent messages).
    pub fn seed_sessions(&self, store: &str, n: usize, events: usize) -> Vec<String> {
        let mut st = self.lock();
        let mut ids = Vec::new();
        for _ in 0..n {
            // Numbered across calls, so ids stay unique.
            let s = st.sessions.len();
            let id = format!("sesn_{s:04}x");
            let created = st.tick();
            let evs = (0..events)
                .map(|e| {
                    let (ty, text) = if e % 2 == 0 {
                        (
                            "user.message",
                            format!("session {s} question {e}: how do we build?"),
                        )
                    } else {
                        ("agent.message", format!("answer {e}: the build uses cargo"))
                    };
                    json!({"id": format!("sevt_{s:04}_{e:05}"), "type": ty, "processed_at": created,
                        "content": [{"type": "text", "text": text}]})
                })
                .collect();
            st.sessions.push(Sess {
                id: id.clone(),
                created_at: created,
                title: format!("Session {s}"),
                store: store.into(),
                events: evs,
            });
            ids.push(id);
        }
        ids
    }
}
