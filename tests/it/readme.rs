//! The README's key-bindings section is generated from the embedded keymap (`assets/keys.toml`):
//! this test fails when they disagree. `LUCID_UPDATE_README=1 cargo test readme` rewrites it.

use std::fmt::Write as _;

use lucid::tui::keymap::{Keymap, Mode, pretty};

const START: &str = "<!-- keys:start (generated from assets/keys.toml by tests/it/readme.rs) -->";
const END: &str = "<!-- keys:end -->";

/// Every mode, in the order the README lists them.
const MODES: [Mode; 11] = [
    Mode::Global,
    Mode::Inbox,
    Mode::Review,
    Mode::History,
    Mode::Diff,
    Mode::Blame,
    Mode::Audit,
    Mode::Confirm,
    Mode::Prompt,
    Mode::Help,
    Mode::Viewer,
];

/// One line per mode: the mode in bold, then each binding as its keys in code and its description.
fn keys_section(keymap: &Keymap) -> String {
    let mut out = String::new();
    for mode in MODES {
        let rows: Vec<String> = keymap
            .rows(mode)
            .iter()
            .map(|b| {
                let keys: Vec<String> = b
                    .labels
                    .iter()
                    .map(|l| format!("`{}`", pretty(l).replace('`', "\\`")))
                    .collect();
                format!("{} {}", keys.join(" "), b.desc)
            })
            .collect();
        let _ = writeln!(out, "- **{}**: {}", mode.title(), rows.join(" · "));
    }
    out
}

#[test]
fn the_readme_lists_the_default_keys() {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("README.md");
    let readme = std::fs::read_to_string(&path).expect("read README.md");
    let (Some(a), Some(b)) = (readme.find(START), readme.find(END)) else {
        panic!("README.md has no {START} … {END} section");
    };
    let current = &readme[a + START.len()..b];
    let expected = format!("\n{}", keys_section(&Keymap::default_keys()));
    if current != expected && std::env::var_os("LUCID_UPDATE_README").is_some() {
        let updated = format!("{}{START}{expected}{}", &readme[..a], &readme[b..]);
        std::fs::write(&path, updated).expect("write README.md");
        return;
    }
    assert_eq!(
        current, expected,
        "README.md's key bindings differ from assets/keys.toml; run \
         LUCID_UPDATE_README=1 cargo test readme"
    );
    // Every mode has bindings (the section is not empty by accident).
    for mode in MODES {
        assert!(!Keymap::default_keys().rows(mode).is_empty(), "{mode:?}");
    }
}
