//! The review TUI end to end: the real `lucid` binary in a real terminal (tmux), driven by keys.
//! `lucid demo` → accept a hunk, reject a file with a reason, read a cited session full of escape
//! sequences, edit a file in `$EDITOR`, apply → check the store and the audit through the CLI →
//! `lucid review` → roll back from the History screen → the audit verifies and the store equals
//! its state before the apply. Every byte the binary wrote to the terminal is recorded
//! (`pipe-pane`) and checked: only the escape sequences the renderer emits, none from content.
//!
//! tmux is required: without it the test fails (`.ci/run` installs it). Set
//! `LUCID_E2E_SKIP_TMUX=1` to skip it explicitly on a machine without tmux.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

use crate::common::{BIN, read_tree};

const NOW: &str = "2026-10-21T09:00:00Z";
const ACTOR: &str = "e2e-reviewer";
/// How long a screen may take to show what a step expects (debug build, 2 shared cores).
const PATIENCE: Duration = Duration::from_secs(30);
const EDIT_LINE: &str = "- Edited in $EDITOR during the end-to-end test";
const REJECT_REASON: &str = "the EU region still deploys from Heroku";
const ROLLBACK_REASON: &str = "undo the e2e apply";

/// A private tmux server (its own socket, no config) whose panes run with a pinned, isolated
/// environment. Dropping it kills the server, so a failing test leaves nothing running.
struct Tmux {
    dir: PathBuf,
    socket: PathBuf,
    env: Vec<(String, String)>,
}

impl Tmux {
    fn new(dir: &Path, env: Vec<(String, String)>) -> Self {
        Self {
            dir: dir.to_owned(),
            socket: dir.join("tmux.sock"),
            env,
        }
    }

    fn cmd(&self, args: &[&str]) -> Output {
        let out = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("-f")
            .arg("/dev/null")
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run tmux");
        assert!(
            out.status.success(),
            "tmux {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// Starts `lucid ARGS` in a new 160×48 session named `name`, recording every byte it writes
    /// to `raw`. The program waits for a newline before it starts, so the recording covers its
    /// very first byte.
    fn start(&self, name: &str, args: &[&str], raw: &Path) {
        let script = format!(
            "read -r _ && \"$0\" \"$@\"; echo \"$?\" > '{}'",
            self.status_file(name).display()
        );
        let mut command = vec![
            "new-session",
            "-d",
            "-s",
            name,
            "-x",
            "160",
            "-y",
            "48",
            "sh",
            "-c",
            &script,
            BIN,
        ];
        command.extend_from_slice(args);
        self.cmd(&command);
        let pipe = format!("cat >> '{}'", raw.display());
        self.cmd(&["pipe-pane", "-o", "-t", name, &pipe]);
        self.cmd(&["send-keys", "-t", name, "Enter"]);
    }

    /// Sends tmux key names (`Tab`, `Enter`, `j`, …).
    fn keys(&self, name: &str, keys: &[&str]) {
        let mut argv = vec!["send-keys", "-t", name];
        argv.extend_from_slice(keys);
        self.cmd(&argv);
    }

    /// Types `text` literally.
    fn type_text(&self, name: &str, text: &str) {
        self.cmd(&["send-keys", "-t", name, "-l", text]);
    }

    fn screen(&self, name: &str) -> String {
        String::from_utf8_lossy(&self.cmd(&["capture-pane", "-p", "-t", name]).stdout).into_owned()
    }

    /// Polls the screen until every one of `texts` is on it; returns that screen.
    fn wait_for(&self, name: &str, texts: &[&str]) -> String {
        let start = Instant::now();
        loop {
            let screen = self.screen(name);
            if texts.iter().all(|t| screen.contains(t)) {
                return screen;
            }
            assert!(
                start.elapsed() < PATIENCE,
                "waited {PATIENCE:?} for {texts:?}; the screen shows:\n{screen}"
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    /// Waits for the program in `name` to exit; returns its exit status (written by the shell
    /// that started it: tmux itself may notice a dead pane late).
    fn wait_exit(&self, name: &str) -> i32 {
        let start = Instant::now();
        let file = self.status_file(name);
        loop {
            let text = std::fs::read_to_string(&file).unwrap_or_default();
            if text.ends_with('\n') {
                return text.trim().parse().expect("a numeric exit status");
            }
            assert!(
                start.elapsed() < PATIENCE,
                "lucid did not exit; the screen shows:\n{}",
                self.screen(name)
            );
            std::thread::sleep(Duration::from_millis(40));
        }
    }

    fn status_file(&self, name: &str) -> PathBuf {
        self.dir.join(format!("{name}.status"))
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .arg("kill-server")
            .env_clear()
            .output();
        let _ = std::fs::remove_file(self.dir.join("tmux.sock"));
    }
}

/// Reads the recording once the program has restored the terminal (the recorder is a separate
/// `cat` that may lag behind a little).
fn recording(raw: &Path) -> Vec<u8> {
    let start = Instant::now();
    loop {
        let bytes = std::fs::read(raw).unwrap_or_default();
        if bytes.ends_with(b"\x1b[?1049l\x1b[?25h") {
            return bytes;
        }
        assert!(
            start.elapsed() < PATIENCE,
            "the recording does not end by leaving the alternate screen and showing the cursor: \
             …{:?}",
            String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(200)..])
        );
        std::thread::sleep(Duration::from_millis(40));
    }
}

// ---------------------------------------------------------------------------------------------
// Escape sequences

/// One escape sequence found in the terminal output.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
enum Seq {
    /// `ESC [ params final`.
    Csi { params: String, fin: char },
    /// Anything else that starts with ESC: OSC, DCS, APC, PM, SOS, a bare ESC X.
    Other(String),
}

/// Every escape sequence in `raw`, in order, and the non-escape control bytes seen (other than
/// CR and LF).
fn sequences(raw: &[u8]) -> (Vec<Seq>, BTreeSet<u8>) {
    let mut out = Vec::new();
    let mut controls = BTreeSet::new();
    let mut i = 0;
    while i < raw.len() {
        let b = raw[i];
        if b != 0x1b {
            if (b < 0x20 && b != b'\r' && b != b'\n') || b == 0x7f {
                controls.insert(b);
            }
            i += 1;
            continue;
        }
        if raw.get(i + 1) == Some(&b'[') {
            let mut j = i + 2;
            while j < raw.len() && (0x20..=0x3f).contains(&raw[j]) {
                j += 1;
            }
            match raw.get(j) {
                Some(f) if (0x40..=0x7e).contains(f) => {
                    out.push(Seq::Csi {
                        params: String::from_utf8_lossy(&raw[i + 2..j]).into_owned(),
                        fin: char::from(*f),
                    });
                    i = j + 1;
                }
                _ => {
                    out.push(Seq::Other(
                        String::from_utf8_lossy(&raw[i..(j + 1).min(raw.len())]).into_owned(),
                    ));
                    i = j + 1;
                }
            }
        } else {
            let end = (i + 24).min(raw.len());
            out.push(Seq::Other(
                String::from_utf8_lossy(&raw[i..end]).into_owned(),
            ));
            i += 2;
        }
    }
    (out, controls)
}

/// Whether a Select Graphic Rendition parameter list is one crossterm writes for ratatui: resets,
/// attributes, and colours as `38;5;N` / `38;2;R;G;B` (and the 48 / 58 forms), possibly several
/// in one sequence (`38;5;6;48;5;8`). Plain 30–37 / 90–97 colours are never written by crossterm,
/// so an `ESC[32m` copied from content fails here.
fn renderer_sgr(params: &str) -> bool {
    let Some(n) = params
        .split(';')
        .map(|p| p.parse::<u16>().ok())
        .collect::<Option<Vec<u16>>>()
    else {
        return false;
    };
    let mut rest = n.as_slice();
    while let Some((first, tail)) = rest.split_first() {
        rest = match (first, tail) {
            (38 | 48 | 58, [5, c, more @ ..]) if *c <= 255 => more,
            (38 | 48 | 58, [2, r, g, b, more @ ..]) if *r <= 255 && *g <= 255 && *b <= 255 => more,
            (0..=5 | 7..=9 | 21..=25 | 27..=29 | 39 | 49 | 59, more) => more,
            _ => return false,
        };
    }
    true
}

/// Private modes crossterm sets and resets: cursor (25), alternate screen (1049), mouse
/// reporting (1000, 1002, 1003, 1006, 1015) and synchronized output (2026).
const MODES: [&str; 8] = [
    "?25", "?1049", "?1000", "?1002", "?1003", "?1006", "?1015", "?2026",
];

fn renderer_seq(s: &Seq) -> bool {
    let Seq::Csi { params, fin } = s else {
        return false;
    };
    let numbers = |p: &str| p.split(';').all(|x| x.chars().all(|c| c.is_ascii_digit()));
    match fin {
        'm' => renderer_sgr(params),
        'H' => numbers(params) && params.split(';').count() <= 2,
        // Clear the screen / the line.
        'J' | 'K' => matches!(params.as_str(), "" | "0" | "1" | "2" | "3"),
        'h' | 'l' => MODES.contains(&params.as_str()),
        // The cursor position query ratatui makes when it sets up the terminal.
        'n' => params == "6",
        _ => false,
    }
}

/// Every string in the demo fleet that holds an ESC: the hostile payloads the screen may show.
fn hostile_payloads() -> Vec<String> {
    fn walk(v: &serde_json::Value, out: &mut Vec<String>) {
        match v {
            serde_json::Value::String(s) if s.contains('\x1b') => out.push(s.clone()),
            serde_json::Value::Array(a) => a.iter().for_each(|x| walk(x, out)),
            serde_json::Value::Object(o) => o.values().for_each(|x| walk(x, out)),
            _ => {}
        }
    }
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("assets/demo");
    let mut out = Vec::new();
    for (rel, bytes) in read_tree(&root.join("sessions")) {
        let text = String::from_utf8(bytes).expect("demo sessions are UTF-8");
        let docs: Vec<serde_json::Value> =
            if Path::new(&rel).extension().is_some_and(|e| e == "jsonl") {
                text.lines()
                    .filter_map(|l| serde_json::from_str(l).ok())
                    .collect()
            } else {
                serde_json::from_str(&text).into_iter().collect()
            };
        for d in &docs {
            walk(d, &mut out);
        }
    }
    for (_, bytes) in read_tree(&root.join("memory")) {
        let text = String::from_utf8(bytes).expect("demo memory is UTF-8");
        out.extend(
            text.lines()
                .filter(|l| l.contains('\x1b'))
                .map(str::to_owned),
        );
    }
    out
}

/// The pieces of a payload that must never reach the terminal as they are: each OSC / DCS /
/// other non-CSI sequence, and each CSI sequence glued to the text that follows it (up to the
/// next ESC, at most 12 characters) when that text has at least two visible characters — a bare
/// `ESC[1m` is also something the renderer writes, `ESC[1mSnapshots` is not.
fn verbatim_pieces(payload: &str) -> Vec<String> {
    let mut out = Vec::new();
    for part in payload.split('\x1b').skip(1) {
        let mut chars = part.char_indices();
        let end = match chars.next() {
            Some((_, '[')) => chars
                .find(|(_, c)| ('\u{40}'..='\u{7e}').contains(c))
                .map_or(part.len(), |(i, c)| i + c.len_utf8()),
            Some((_, ']' | 'P' | '_' | '^' | 'X')) => {
                let body = part.split('\u{7}').next().unwrap_or(part);
                out.push(format!("\x1b{body}"));
                continue;
            }
            Some((_, c)) => c.len_utf8(),
            None => 0,
        };
        let (seq, text) = part.split_at(end);
        let text: String = text.chars().take(12).collect();
        if text.chars().filter(|c| !c.is_whitespace()).count() >= 2 {
            out.push(format!("\x1b{seq}{text}"));
        }
    }
    out
}

/// Checks one recording: only renderer sequences, no stray control bytes, no payload verbatim.
fn check_recording(raw: &[u8], payloads: &[String], what: &str) {
    let (seqs, controls) = sequences(raw);
    assert!(
        seqs.len() > 100,
        "{what}: too few escape sequences for a drawn TUI"
    );
    let foreign: BTreeSet<&Seq> = seqs.iter().filter(|s| !renderer_seq(s)).collect();
    assert!(
        foreign.is_empty(),
        "{what}: escape sequences the renderer does not write: {foreign:?}"
    );
    // Backspace is allowed: the shell gate may echo nothing else. BEL ends an OSC: none.
    assert!(
        controls.is_empty(),
        "{what}: control bytes other than ESC, CR and LF: {controls:?}"
    );
    let c1 = raw
        .windows(2)
        .any(|w| w[0] == 0xc2 && (0x80..=0x9f).contains(&w[1]));
    assert!(!c1, "{what}: a C1 control character (8-bit CSI, OSC, …)");
    for p in payloads {
        for piece in verbatim_pieces(p) {
            assert!(
                !raw.windows(piece.len()).any(|w| w == piece.as_bytes()),
                "{what}: a payload reached the terminal verbatim: {piece:?}"
            );
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The CLI around it

struct Cli {
    db: PathBuf,
    env: Vec<(String, String)>,
}

impl Cli {
    fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .arg("--db")
            .arg(&self.db)
            .args(args)
            .env_clear()
            .envs(self.env.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .output()
            .expect("run lucid")
    }

    fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "lucid {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).expect("UTF-8 output")
    }

    fn json(&self, args: &[&str]) -> serde_json::Value {
        serde_json::from_str(&self.ok(args)).expect("JSON output")
    }

    /// The store's files as they are now (`lucid memory export`).
    fn export(&self, dir: &Path) -> Vec<(String, Vec<u8>)> {
        self.ok(&["memory", "export", dir.to_str().expect("UTF-8 path")]);
        read_tree(dir)
    }
}

fn file<'a>(tree: &'a [(String, Vec<u8>)], name: &str) -> &'a str {
    let bytes = &tree
        .iter()
        .find(|(p, _)| p == name)
        .unwrap_or_else(|| panic!("{name} in the store"))
        .1;
    std::str::from_utf8(bytes).expect("UTF-8 memory")
}

fn tmux_present() -> bool {
    Command::new("tmux")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success())
}

#[test]
fn review_apply_and_roll_back_in_a_real_terminal() {
    if !tmux_present() {
        assert!(
            std::env::var_os("LUCID_E2E_SKIP_TMUX").is_some(),
            "tmux is required for the end-to-end TUI test (.ci/run installs it; \
             LUCID_E2E_SKIP_TMUX=1 skips this test explicitly)"
        );
        eprintln!("skipped: no tmux and LUCID_E2E_SKIP_TMUX is set");
        return;
    }
    let payloads = hostile_payloads();
    assert!(
        payloads.iter().any(|p| p.contains("\x1b]"))
            && payloads.iter().any(|p| p.contains("\x1b[")),
        "the demo fleet holds OSC and CSI payloads for this test to check"
    );

    let tmp = tempfile::Builder::new()
        .prefix("lucid-e2e-")
        .tempdir()
        .expect("temp dir");
    let dir = tmp.path();
    for sub in ["home", "config", "data", "cache", "state", "runtime", "tmp"] {
        std::fs::create_dir_all(dir.join(sub)).expect("create a private folder");
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir.join("runtime"), std::fs::Permissions::from_mode(0o700))
            .expect("chmod runtime");
    }
    // The editor: appends a line to the file it is given and leaves a mark that it ran.
    let editor = dir.join("editor.sh");
    let mark = dir.join("editor-ran");
    std::fs::write(
        &editor,
        format!(
            "#!/bin/sh\nprintf '%s\\n' '{EDIT_LINE}' >> \"$1\"\n: > '{}'\n",
            mark.display()
        ),
    )
    .expect("write the editor script");
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&editor, std::fs::Permissions::from_mode(0o755))
            .expect("chmod the editor script");
    }
    let db = dir.join("fleet.db");
    let path = |p: &str| dir.join(p).display().to_string();
    let env: Vec<(String, String)> = [
        ("PATH", std::env::var("PATH").unwrap_or_default()),
        ("HOME", path("home")),
        ("XDG_CONFIG_HOME", path("config")),
        ("XDG_DATA_HOME", path("data")),
        ("XDG_CACHE_HOME", path("cache")),
        ("XDG_STATE_HOME", path("state")),
        ("XDG_RUNTIME_DIR", path("runtime")),
        ("TMPDIR", path("tmp")),
        ("TERM", "xterm-256color".to_owned()),
        ("LANG", "C.UTF-8".to_owned()),
        ("LC_ALL", "C.UTF-8".to_owned()),
        ("LUCID_NOW", NOW.to_owned()),
        ("LUCID_ACTOR", ACTOR.to_owned()),
        ("EDITOR", editor.display().to_string()),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_owned(), v))
    .collect();
    let tmux = Tmux::new(dir, env.clone());
    let cli = Cli {
        db: db.clone(),
        env,
    };
    let db_arg = db.to_str().expect("UTF-8 path");

    // 1. The demo: inbox → the proposal.
    let raw1 = dir.join("demo.raw");
    tmux.start("demo", &["demo", "--db", db_arg], &raw1);
    tmux.wait_for("demo", &["Inbox · 1 waiting", "#1", "fleet", "pending"]);
    tmux.keys("demo", &["Enter"]);
    tmux.wait_for(
        "demo",
        &["Proposal #1", "/backend.md · modify", "Files 0/7"],
    );
    let before_apply = cli.export(&dir.join("before"));
    let head_before: i64 = cli.json(&["log", "--json"])[0]["id"]
        .as_i64()
        .expect("an operation id");

    // Accept the only hunk of /backend.md.
    tmux.keys("demo", &["a"]);
    tmux.wait_for("demo", &["Accepted /backend.md", "Files 1/7"]);

    // Reject /deploy.md as a whole, with a reason.
    tmux.keys("demo", &["Tab"]);
    tmux.wait_for("demo", &["/deploy.md · modify"]);
    tmux.keys("demo", &["R"]);
    tmux.wait_for("demo", &["Why reject /deploy.md?"]);
    tmux.type_text("demo", REJECT_REASON);
    tmux.wait_for("demo", &[REJECT_REASON]);
    tmux.keys("demo", &["Enter"]);
    tmux.wait_for("demo", &["Rejected /deploy.md", "Files 2/7"]);

    // The session cited for /frontend.md: coloured vitest output with an OSC title and an OSC 8
    // hyperlink, drawn as visible text.
    tmux.keys("demo", &["Tab", "Tab"]);
    tmux.wait_for("demo", &["/frontend.md · modify"]);
    tmux.keys("demo", &["o"]);
    let viewer = tmux.wait_for("demo", &["We use vitest now", "[tool_result] ␛]0;vitest"]);
    assert!(viewer.contains("␛[32m✓␛[39m"), "{viewer}");
    assert!(viewer.contains("␛]8;;file:///home/maya/"), "{viewer}");
    tmux.keys("demo", &["q"]);
    tmux.wait_for("demo", &["/frontend.md · modify"]);

    // Edit /preferences.md in $EDITOR: the TUI leaves the terminal and comes back.
    tmux.keys("demo", &["Tab", "Tab"]);
    tmux.wait_for("demo", &["/preferences.md · modify"]);
    tmux.keys("demo", &["e"]);
    tmux.wait_for(
        "demo",
        &["Files 3/7", "showing your edit", "✎ ~ /preferences.md"],
    );
    assert!(mark.exists(), "the editor ran");

    // Apply: a confirmation naming what is written, then one operation.
    tmux.keys("demo", &["c"]);
    tmux.wait_for(
        "demo",
        &[
            "Apply proposal #1",
            "Write 2 file(s) to store fleet",
            "/backend.md (all hunks)",
            "/preferences.md (your edit)",
        ],
    );
    tmux.keys("demo", &["y"]);
    let applied = head_before + 1;
    tmux.wait_for(
        "demo",
        &[&format!(
            "Applied #1: wrote 2 file(s) as operation #{applied}"
        )],
    );
    tmux.keys("demo", &["q"]);
    tmux.wait_for("demo", &["Inbox ·"]);
    tmux.keys("demo", &["q"]);
    assert_eq!(tmux.wait_exit("demo"), 0, "lucid demo exits cleanly");
    let raw = recording(&raw1);

    // 2. The store and the audit, through the CLI.
    let after_apply = cli.export(&dir.join("applied"));
    let backend = file(&after_apply, "backend.md");
    assert!(backend.contains("uv run fernhill seed --demo"), "{backend}");
    assert!(!backend.contains("seed_dev.sh"), "{backend}");
    assert_eq!(
        file(&after_apply, "preferences.md"),
        format!("{}{EDIT_LINE}\n", file(&before_apply, "preferences.md")),
        "the edit is what was written"
    );
    for same in [
        "deploy.md",
        "docs.md",
        "frontend.md",
        "incidents.md",
        "project.md",
    ] {
        assert_eq!(
            file(&after_apply, same),
            file(&before_apply, same),
            "{same} was not accepted"
        );
    }
    assert_eq!(
        cli.ok(&["memory", "cat", "/preferences.md"]),
        file(&after_apply, "preferences.md")
    );
    let ls = cli.ok(&["memory", "ls"]);
    assert!(
        ls.contains("/preferences.md") && ls.contains("/backend.md"),
        "{ls}"
    );
    let log = cli.json(&["log", "--json"]);
    let op = &log[0];
    assert_eq!(op["id"], applied, "{op}");
    assert_eq!(op["kind"], "apply", "{op}");
    assert_eq!(op["actor"], ACTOR, "{op}");
    assert_eq!(op["proposal_id"], 1, "{op}");
    assert_eq!(op["at"], "2026-10-21T09:00:00.000Z", "{op}");
    let audit = cli.json(&["audit", "log", "--json"]);
    let records = audit.as_array().expect("audit records");
    let by = |action: &str| {
        records
            .iter()
            .filter(|r| r["action"].as_str().is_some_and(|a| a.contains(action)))
            .filter(|r| r["actor"] == ACTOR)
            .count()
    };
    assert!(
        records
            .iter()
            .any(|r| r["reason"] == REJECT_REASON && r["actor"] == ACTOR),
        "the rejection and its reason are audited: {audit}"
    );
    assert!(by("apply") >= 1, "the apply is audited: {audit}");
    assert!(
        by("decide") + by("decision") >= 3,
        "the decisions are audited: {audit}"
    );
    cli.ok(&["audit", "verify"]);

    // 3. The TUI again: History, the operation before the apply, R, a reason, yes.
    let raw2 = dir.join("review.raw");
    tmux.start("review", &["review", "--db", db_arg], &raw2);
    tmux.wait_for("review", &["Inbox ·", "#1"]);
    tmux.keys("review", &["h"]);
    tmux.wait_for(
        "review",
        &[
            &format!("▶ #{applied}"),
            "apply",
            &format!("#{head_before}"),
        ],
    );
    tmux.keys("review", &["j"]);
    tmux.wait_for("review", &[&format!("▶ #{head_before}")]);
    tmux.keys("review", &["R"]);
    tmux.wait_for(
        "review",
        &[
            &format!("Why roll back to operation #{head_before}?"),
            &format!("Rolling back to #{head_before} changes"),
        ],
    );
    tmux.type_text("review", ROLLBACK_REASON);
    tmux.keys("review", &["Enter"]);
    tmux.wait_for(
        "review",
        &[
            &format!("Roll back to #{head_before}"),
            &format!("Reason: {ROLLBACK_REASON}"),
        ],
    );
    tmux.keys("review", &["y"]);
    let rolled = applied + 1;
    tmux.wait_for(
        "review",
        &[&format!(
            "Rolled fleet back to operation #{head_before} (new operation #{rolled})"
        )],
    );
    tmux.keys("review", &["q"]);
    tmux.wait_for("review", &["Inbox ·"]);
    tmux.keys("review", &["q"]);
    assert_eq!(tmux.wait_exit("review"), 0, "lucid review exits cleanly");
    let raw_review = recording(&raw2);

    // 4. The audit verifies and the store is what it was before the apply.
    let verify = cli.run(&["audit", "verify"]);
    assert!(
        verify.status.success(),
        "{}",
        String::from_utf8_lossy(&verify.stderr)
    );
    assert_eq!(cli.export(&dir.join("rolled-back")), before_apply);
    let op = &cli.json(&["log", "--json"])[0];
    assert_eq!(op["id"], rolled, "{op}");
    assert_eq!(op["kind"], "rollback", "{op}");
    assert_eq!(op["restores_op_id"], head_before, "{op}");
    assert_eq!(op["reason"], ROLLBACK_REASON, "{op}");
    assert_eq!(op["actor"], ACTOR, "{op}");

    // 5. What the binary wrote to the terminal.
    check_recording(&raw, &payloads, "lucid demo");
    check_recording(&raw_review, &payloads, "lucid review");
    // The hostile session was drawn (as text) during the first run.
    assert!(
        String::from_utf8_lossy(&raw).contains("␛]0;vitest"),
        "the payload was drawn, made visible"
    );
    // The editor round trip left and re-entered the alternate screen.
    let text = String::from_utf8_lossy(&raw);
    assert!(
        text.matches("\x1b[?1049h").count() >= 2 && text.matches("\x1b[?1049l").count() >= 2,
        "the editor round trip leaves and re-enters the alternate screen"
    );
}

#[test]
fn the_escape_sequence_check_catches_content_sequences() {
    let payload = "ok \x1b[32m✓\x1b[39m \x1b]0;title\x07 \x1b]8;;file:///x\x1b\\x\x1b]8;;\x1b\\";
    let (seqs, controls) = sequences(payload.as_bytes());
    let foreign: Vec<&Seq> = seqs.iter().filter(|s| !renderer_seq(s)).collect();
    assert!(foreign.contains(&&Seq::Csi {
        params: "32".into(),
        fin: 'm'
    }));
    assert!(
        foreign
            .iter()
            .any(|s| matches!(s, Seq::Other(o) if o.starts_with("\x1b]0;")))
    );
    assert!(controls.contains(&0x07));
    // What crossterm writes passes.
    let (ok, none) =
        sequences(b"\x1b[?1049h\x1b[1;1H\x1b[38;5;6m\x1b[1mLucid\x1b[0m\x1b[2J\x1b[?25l");
    assert!(ok.iter().all(renderer_seq), "{ok:?}");
    assert!(none.is_empty());
    let pieces = verbatim_pieces(payload);
    assert_eq!(pieces, ["\x1b]0;title", "\x1b]8;;file:///x", "\x1b]8;;"]);
    assert!(
        verbatim_pieces("\x1b[1m\x1b[32mSnapshots\x1b[39m") == vec!["\x1b[32mSnapshots".to_owned()]
    );
}
