//! The runtime: owns the terminal (raw mode, alternate screen, mouse; restored on exit, error
//! and panic), turns terminal events into [`Msg`]s through the keymap, sends effects to the
//! worker thread, and draws once after draining what is ready. The only impure part of the TUI.

use std::io::{Stdout, Write, stdout};
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use crossterm::event::{
    self, DisableMouseCapture, EnableMouseCapture, Event, KeyEvent, KeyEventKind, KeyModifiers,
    MouseEventKind,
};
use crossterm::execute;
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use ratatui::Terminal;
use ratatui::backend::CrosstermBackend;

use crate::error::{Error, Result};
use crate::review::Decision;
use crate::store::Target;
use crate::util::{Ctx, format_time};

use super::effect::Effect;
use super::keymap::{Keymap, Mode};
use super::state::State;
use super::update::{Msg, update};
use super::view;
use super::worker::{self, Job};

const TICK: Duration = Duration::from_millis(33);
/// While the worker has jobs, the loop waits on its answers and looks at the terminal this
/// often, so a result is drawn as soon as it arrives rather than at the next tick.
const BUSY_SLICE: Duration = Duration::from_millis(8);
/// Hidden, for the figures bench (`benches/tui.rs`): when set, the TUI exits right after the
/// first frame that shows the loaded inbox; a value other than `1` names a file that receives
/// the process's peak RSS (`vmhwm_kb=N`) after the terminal is restored.
const EXIT_AFTER_FIRST_FRAME: &str = "LUCID_TUI_EXIT_AFTER_FIRST_FRAME";
const POLL_EVERY: Duration = Duration::from_secs(1);

type Term = Terminal<CrosstermBackend<Stdout>>;

/// The message a key produces in the current mode: an action, or a typed character in a prompt.
pub fn key_msg(state: &State, key: &KeyEvent) -> Option<Msg> {
    if key.kind == KeyEventKind::Release {
        return None;
    }
    let mode = state.mode();
    if let Some(a) = state.keymap.resolve(mode, key) {
        return Some(Msg::Action(a));
    }
    match key.code {
        event::KeyCode::Char(c)
            if mode == Mode::Prompt
                && !key
                    .modifiers
                    .intersects(KeyModifiers::CONTROL | KeyModifiers::ALT) =>
        {
            Some(Msg::Char(c))
        }
        _ => None,
    }
}

fn io_err(e: &std::io::Error) -> Error {
    Error::Internal(format!("terminal: {e}"))
}

fn enter() -> std::io::Result<()> {
    enable_raw_mode()?;
    execute!(stdout(), EnterAlternateScreen, EnableMouseCapture)
}

fn leave() {
    let _ = disable_raw_mode();
    let _ = execute!(
        stdout(),
        DisableMouseCapture,
        LeaveAlternateScreen,
        crossterm::cursor::Show
    );
}

/// Restores the terminal when dropped (normal exit and errors); a panic hook covers panics.
struct Guard;

impl Drop for Guard {
    fn drop(&mut self) {
        leave();
    }
}

fn install_panic_hook() {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        leave();
        previous(info);
    }));
}

/// The time to stamp writes with: `None` keeps the caller's (pinned by `LUCID_NOW`).
fn clock(pinned: bool) -> Option<String> {
    (!pinned).then(|| format_time(time::OffsetDateTime::now_utc()))
}

/// Runs `$VISUAL` / `$EDITOR` (fallback `vi`) on a private temporary file holding `text`;
/// returns the edited text.
fn edit(text: &str, path_hint: &str) -> std::io::Result<String> {
    let ext = Path::new(path_hint)
        .extension()
        .and_then(|e| e.to_str())
        .filter(|e| e.len() <= 8 && e.chars().all(|c| c.is_ascii_alphanumeric()))
        .unwrap_or("md");
    let file = std::env::temp_dir().join(format!(
        "lucid-edit-{}-{}.{ext}",
        std::process::id(),
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos())
    ));
    let mut opts = std::fs::OpenOptions::new();
    opts.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut opts, 0o600);
    opts.open(&file)?.write_all(text.as_bytes())?;
    let editor = std::env::var("VISUAL")
        .or_else(|_| std::env::var("EDITOR"))
        .unwrap_or_else(|_| "vi".into());
    let mut words = editor.split_whitespace();
    let program = words.next().unwrap_or("vi");
    let status = std::process::Command::new(program)
        .args(words)
        .arg(&file)
        .status();
    let result = match status {
        Ok(s) if s.success() => std::fs::read_to_string(&file),
        Ok(s) => Err(std::io::Error::other(format!("{program} exited with {s}"))),
        Err(e) => Err(std::io::Error::other(format!("{program}: {e}"))),
    };
    let _ = std::fs::remove_file(&file);
    result
}

/// Opens the review TUI on the database at `db_path` and runs until the user quits.
pub fn run(db_path: &Path, ctx: Ctx) -> Result<()> {
    // Refuse a missing or bad database before touching the terminal: the review TUI reads a
    // database, it never creates an empty one.
    match std::fs::metadata(db_path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            return Err(Error::NotFound {
                kind: "database",
                name: db_path.display().to_string(),
            });
        }
        Err(e) => return Err(Error::io(db_path, e)),
        Ok(_) => {}
    }
    // Opened once, here (a bad file is refused before the terminal changes), then handed to
    // the worker thread that owns it.
    let db = crate::store::Db::open(db_path)?;
    let config = directories::ProjectDirs::from("", "", "lucid").map(|d| d.config_dir().to_owned());
    let (keymap, warning) = Keymap::load(config.as_deref());
    let pinned = std::env::var_os("LUCID_NOW").is_some();
    let first_frame = std::env::var_os(EXIT_AFTER_FIRST_FRAME).filter(|v| !v.is_empty());
    let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());

    let (job_tx, job_rx) = mpsc::channel::<Job>();
    let (msg_tx, msg_rx) = mpsc::channel::<Msg>();
    let start_now = ctx.now.clone();
    let worker_ctx = ctx;
    let worker = std::thread::Builder::new()
        .name("lucid-tui-db".into())
        .spawn(move || worker::run(db, worker_ctx, move || clock(pinned), &job_rx, &msg_tx))
        .map_err(|e| io_err(&e))?;

    install_panic_hook();
    enter().map_err(|e| io_err(&e))?;
    let guard = Guard;
    let result = Terminal::new(CrosstermBackend::new(stdout()))
        .map_err(|e| io_err(&e))
        .and_then(|mut term| {
            let size = term.size().map_err(|e| io_err(&e))?;
            let mut state = State::new(keymap, size.width, size.height);
            state.color = color;
            // Ages are measured from `LUCID_NOW` when it is set (tests, screenshots).
            state.now = Some(clock(pinned).unwrap_or(start_now));
            if let Some(w) = warning {
                state.error(w);
            }
            event_loop(
                &mut term,
                &mut state,
                &job_tx,
                &msg_rx,
                first_frame.is_some(),
                pinned,
            )
        });
    drop(guard);
    drop(job_tx);
    let _ = worker.join();
    if let Some(report) = first_frame.filter(|v| v != "1") {
        let hwm = peak_rss_kb().unwrap_or(0);
        std::fs::write(&report, format!("vmhwm_kb={hwm}\n"))
            .map_err(|e| Error::io(PathBuf::from(&report), e))?;
    }
    result
}

/// The process's peak resident set size in kB (`VmHWM`, Linux); `None` elsewhere.
fn peak_rss_kb() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix("VmHWM:")?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}

fn event_loop(
    term: &mut Term,
    state: &mut State,
    jobs: &mpsc::Sender<Job>,
    results: &mpsc::Receiver<Msg>,
    exit_after_first_frame: bool,
    pinned: bool,
) -> Result<()> {
    let mut pending: Vec<Effect> = vec![Effect::LoadInbox];
    let mut in_flight = 0usize;
    let mut dirty = true;
    let mut last_poll = Instant::now();
    let mut worker_gone = false;
    loop {
        for effect in std::mem::take(&mut pending) {
            match effect {
                Effect::Quit => return Ok(()),
                Effect::OpenEditor {
                    proposal,
                    seq,
                    path,
                    text,
                } => {
                    leave();
                    let edited = edit(&text, &path);
                    enter().map_err(|e| io_err(&e))?;
                    term.clear().map_err(|e| io_err(&e))?;
                    match edited {
                        Ok(new) if new == text => state.info("No change: nothing recorded"),
                        Ok(new) => pending.push(Effect::Decide {
                            proposal,
                            target: Target::Change { seq, hunk: None },
                            decision: Decision::Edit(new),
                            reason: "edited in the review TUI".into(),
                        }),
                        Err(e) => state.error(format!("Editor: {e}")),
                    }
                    dirty = true;
                }
                other => {
                    if jobs.send(Job::Effect(other)).is_ok() {
                        in_flight += 1;
                    }
                }
            }
        }
        if !pending.is_empty() {
            continue;
        }
        if state.busy != in_flight {
            pending.extend(update(state, Msg::Busy(in_flight)));
            dirty = true;
        }
        if dirty {
            term.draw(|f| view::render(state, f))
                .map_err(|e| io_err(&e))?;
            dirty = false;
            if exit_after_first_frame && state.inbox.loaded {
                return Ok(());
            }
        }
        // Drain what is ready, then draw once.
        // While jobs are in flight, wait on the worker (up to a slice), then take the terminal's
        // events without waiting; otherwise wait on the terminal for up to a tick.
        let mut msgs = Vec::new();
        let mut received = |m: Msg, in_flight: &mut usize| {
            if m != Msg::ExternalChange {
                *in_flight = in_flight.saturating_sub(1);
            }
            msgs.push(m);
        };
        let wait = if in_flight > 0 && !worker_gone {
            if let Ok(m) = results.recv_timeout(BUSY_SLICE) {
                received(m, &mut in_flight);
            }
            Duration::ZERO
        } else {
            TICK
        };
        // Each event is resolved against the state the previous one left (a key typed right
        // after Enter must not land in the closed prompt); the frame is drawn once after.
        if event::poll(wait).map_err(|e| io_err(&e))? {
            let mut handled = 0;
            while handled < 256 && event::poll(Duration::ZERO).map_err(|e| io_err(&e))? {
                handled += 1;
                let msg = match event::read().map_err(|e| io_err(&e))? {
                    Event::Key(k) => key_msg(state, &k),
                    Event::Resize(w, h) => Some(Msg::Resize(w, h)),
                    Event::Mouse(m) => match m.kind {
                        MouseEventKind::ScrollDown => Some(Msg::Wheel(1)),
                        MouseEventKind::ScrollUp => Some(Msg::Wheel(-1)),
                        MouseEventKind::Down(event::MouseButton::Left) => Some(Msg::Click {
                            x: m.column,
                            y: m.row,
                        }),
                        _ => None,
                    },
                    _ => None,
                };
                if let Some(msg) = msg {
                    dirty = true;
                    pending.extend(update(state, msg));
                }
                // The editor and quitting take over the terminal: stop reading keys here.
                if state.quit
                    || pending
                        .iter()
                        .any(|e| matches!(e, Effect::OpenEditor { .. } | Effect::Quit))
                {
                    break;
                }
            }
        }
        loop {
            match results.try_recv() {
                Ok(m) => received(m, &mut in_flight),
                Err(mpsc::TryRecvError::Empty) => break,
                Err(mpsc::TryRecvError::Disconnected) => {
                    if !worker_gone {
                        worker_gone = true;
                        in_flight = 0;
                        msgs.push(Msg::Failed(
                            "the database worker stopped; quit and reopen Lucid".into(),
                        ));
                    }
                    break;
                }
            }
        }
        if last_poll.elapsed() >= POLL_EVERY {
            last_poll = Instant::now();
            let _ = jobs.send(Job::Poll);
            if let Some(now) = clock(pinned) {
                msgs.push(Msg::Now(now));
            }
        }
        for m in msgs {
            dirty = true;
            pending.extend(update(state, m));
        }
        if state.quit {
            return Ok(());
        }
    }
}
