//! The keymap: the embedded default `assets/keys.toml` plus an optional user file, resolved to
//! [`Action`]s per mode. The footer hints and the help overlay are generated from the same rows,
//! so a binding, its dispatch and its help text are one line. No terminal IO here.

use std::collections::BTreeMap;
use std::path::Path;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde::Deserialize;

use super::action::Action;

/// The default keymap, embedded in the binary.
pub const DEFAULT: &str = include_str!("../../assets/keys.toml");

/// Which table of the keymap is consulted.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Mode {
    Global,
    Inbox,
    Review,
    History,
    Diff,
    Blame,
    Audit,
    Confirm,
    Prompt,
    Help,
    Viewer,
}

impl Mode {
    /// Modal modes do not fall back to the global table (except for `quit`).
    fn is_modal(self) -> bool {
        matches!(
            self,
            Self::Confirm | Self::Prompt | Self::Help | Self::Viewer
        )
    }

    pub fn title(self) -> &'static str {
        match self {
            Self::Global => "Everywhere",
            Self::Inbox => "Inbox",
            Self::Review => "Review",
            Self::History => "History",
            Self::Diff => "Operation diff",
            Self::Blame => "Blame",
            Self::Audit => "Audit",
            Self::Confirm => "Confirmation",
            Self::Prompt => "Prompt",
            Self::Help => "Help",
            Self::Viewer => "Session viewer",
        }
    }
}

/// A key with the modifiers that matter (Shift is folded into the character).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    pub fn from_event(ev: &KeyEvent) -> Self {
        let mut mods = ev.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match ev.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            c => c,
        };
        Self { code, mods }
    }

    /// Parses `a`, `A`, `enter`, `ctrl-c`, `alt-x`, `pgdown`, …
    pub fn parse(s: &str) -> Option<Self> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = s;
        loop {
            if let Some(r) = rest.strip_prefix("ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "enter" => KeyCode::Enter,
            "esc" => KeyCode::Esc,
            "tab" => KeyCode::Tab,
            "backtab" => KeyCode::BackTab,
            "backspace" => KeyCode::Backspace,
            "up" => KeyCode::Up,
            "down" => KeyCode::Down,
            "left" => KeyCode::Left,
            "right" => KeyCode::Right,
            "pgup" => KeyCode::PageUp,
            "pgdown" => KeyCode::PageDown,
            "home" => KeyCode::Home,
            "end" => KeyCode::End,
            "space" => KeyCode::Char(' '),
            one => {
                let mut chars = one.chars();
                let c = chars.next()?;
                if chars.next().is_some() {
                    return None;
                }
                KeyCode::Char(c)
            }
        };
        Some(Self { code, mods })
    }
}

/// A key label as shown in hints.
pub fn pretty(label: &str) -> String {
    match label {
        "down" => "↓".into(),
        "up" => "↑".into(),
        "left" => "←".into(),
        "right" => "→".into(),
        "enter" => "Enter".into(),
        "esc" => "Esc".into(),
        "tab" => "Tab".into(),
        "backtab" => "S-Tab".into(),
        "backspace" => "Bksp".into(),
        "pgdown" => "PgDn".into(),
        "pgup" => "PgUp".into(),
        "home" => "Home".into(),
        "end" => "End".into(),
        "space" => "Space".into(),
        other => other.strip_prefix("ctrl-").map_or_else(
            || other.to_owned(),
            |k| format!("^{}", k.to_ascii_uppercase()),
        ),
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(String),
    Many(Vec<String>),
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRow {
    on: OneOrMany,
    run: Action,
    #[serde(default)]
    desc: String,
}

/// One binding: its keys, as parsed and as written, the action and its description.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<Key>,
    pub labels: Vec<String>,
    pub action: Action,
    pub desc: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Keymap {
    modes: BTreeMap<Mode, Vec<Binding>>,
}

fn parse(text: &str) -> Result<BTreeMap<Mode, Vec<Binding>>, String> {
    let raw: BTreeMap<Mode, Vec<RawRow>> = toml::from_str(text).map_err(|e| e.to_string())?;
    let mut out = BTreeMap::new();
    for (mode, rows) in raw {
        let mut bindings = Vec::with_capacity(rows.len());
        for row in rows {
            let labels = match row.on {
                OneOrMany::One(s) => vec![s],
                OneOrMany::Many(v) => v,
            };
            let keys = labels
                .iter()
                .map(|l| Key::parse(l).ok_or_else(|| format!("unknown key {l:?}")))
                .collect::<Result<Vec<_>, _>>()?;
            bindings.push(Binding {
                keys,
                labels,
                action: row.run,
                desc: row.desc,
            });
        }
        out.insert(mode, bindings);
    }
    Ok(out)
}

impl Keymap {
    /// The embedded default keymap.
    pub fn default_keys() -> Self {
        Self {
            modes: parse(DEFAULT).expect("the embedded keymap parses (a unit test checks it)"),
        }
    }

    /// The default keymap with a user file's rows taking their keys over.
    pub fn with_overrides(user: &str) -> Result<Self, String> {
        let mut map = Self::default_keys();
        for (mode, rows) in parse(user)? {
            let defaults = map.modes.entry(mode).or_default();
            for row in &rows {
                for b in defaults.iter_mut() {
                    let keep: Vec<usize> = (0..b.keys.len())
                        .filter(|i| !row.keys.contains(&b.keys[*i]))
                        .collect();
                    b.labels = keep.iter().map(|i| b.labels[*i].clone()).collect();
                    b.keys = keep.iter().map(|i| b.keys[*i]).collect();
                }
            }
            defaults.retain(|b| !b.keys.is_empty());
            let mut merged = rows;
            merged.append(defaults);
            *defaults = merged;
        }
        Ok(map)
    }

    /// Loads `dir/keys.toml` when it exists; an unreadable or invalid file gives the defaults
    /// and a message to show.
    pub fn load(dir: Option<&Path>) -> (Self, Option<String>) {
        let Some(path) = dir.map(|d| d.join("keys.toml")) else {
            return (Self::default_keys(), None);
        };
        match std::fs::read_to_string(&path) {
            Ok(text) => match Self::with_overrides(&text) {
                Ok(map) => (map, None),
                Err(e) => (
                    Self::default_keys(),
                    Some(format!("{}: {e}; using the default keys", path.display())),
                ),
            },
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => (Self::default_keys(), None),
            Err(e) => (
                Self::default_keys(),
                Some(format!("{}: {e}; using the default keys", path.display())),
            ),
        }
    }

    /// The action bound to `key` in `mode` (falling back to the global table).
    pub fn resolve(&self, mode: Mode, key: &KeyEvent) -> Option<Action> {
        let key = Key::from_event(key);
        let find = |m: Mode| {
            self.modes
                .get(&m)?
                .iter()
                .find(|b| b.keys.contains(&key))
                .map(|b| b.action)
        };
        find(mode).or_else(|| find(Mode::Global).filter(|a| !mode.is_modal() || *a == Action::Quit))
    }

    /// The first key bound to `action` in `mode`, as shown in hints.
    pub fn key_of(&self, mode: Mode, action: Action) -> Option<String> {
        self.rows(mode)
            .iter()
            .find(|b| b.action == action)
            .and_then(|b| b.labels.first())
            .map(|l| pretty(l))
    }

    /// The rows of one mode, in file order.
    pub fn rows(&self, mode: Mode) -> &[Binding] {
        self.modes.get(&mode).map_or(&[], Vec::as_slice)
    }

    /// `(key, description)` pairs for the footer: the mode's rows then the global ones.
    pub fn hints(&self, mode: Mode) -> Vec<(String, String)> {
        let mut rows: Vec<&Binding> = self.rows(mode).iter().collect();
        if !mode.is_modal() {
            rows.extend(self.rows(Mode::Global));
        }
        rows.iter()
            .filter_map(|b| Some((pretty(b.labels.first()?), b.desc.clone())))
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn the_default_keymap_parses_and_resolves_vim_keys_and_arrows() {
        let k = Keymap::default_keys();
        let none = KeyModifiers::NONE;
        assert_eq!(
            k.resolve(Mode::Inbox, &ev(KeyCode::Char('j'), none)),
            Some(Action::Down)
        );
        assert_eq!(
            k.resolve(Mode::Inbox, &ev(KeyCode::Down, none)),
            Some(Action::Down)
        );
        assert_eq!(
            k.resolve(Mode::Review, &ev(KeyCode::Char('A'), KeyModifiers::SHIFT)),
            Some(Action::AcceptFile)
        );
        assert_eq!(
            k.resolve(Mode::Review, &ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Action::PrevFile)
        );
        assert_eq!(
            k.resolve(Mode::Review, &ev(KeyCode::Char('?'), none)),
            Some(Action::Help)
        );
        assert_eq!(k.resolve(Mode::Prompt, &ev(KeyCode::Char('q'), none)), None);
        assert_eq!(
            k.resolve(Mode::Prompt, &ev(KeyCode::Char('c'), KeyModifiers::CONTROL)),
            Some(Action::Quit)
        );
    }

    #[test]
    fn a_user_row_takes_its_key_over() {
        let k = Keymap::with_overrides(r#"review = [{ on = "a", run = "apply", desc = "Go" }]"#)
            .expect("valid override");
        let a = ev(KeyCode::Char('a'), KeyModifiers::NONE);
        assert_eq!(k.resolve(Mode::Review, &a), Some(Action::Apply));
        assert!(
            !k.rows(Mode::Review)
                .iter()
                .any(|b| b.action == Action::AcceptHunk)
        );
        let r = ev(KeyCode::Char('r'), KeyModifiers::NONE);
        assert_eq!(k.resolve(Mode::Review, &r), Some(Action::RejectHunk));
    }

    #[test]
    fn bad_user_files_are_reported() {
        assert!(Keymap::with_overrides(r#"review = [{ on = "zz", run = "apply" }]"#).is_err());
        assert!(Keymap::with_overrides(r#"review = [{ on = "a", run = "fly" }]"#).is_err());
    }
}
