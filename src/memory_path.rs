//! Memory paths: Anthropic's memory-store rules, checked once at every entry point.

use unicode_normalization::{UnicodeNormalization, is_nfc};

use crate::error::{Error, Result};

/// Longest path, in UTF-8 bytes.
pub const MAX_PATH_BYTES: usize = 1024;

/// Checks a memory path: a leading `/`, at most 1,024 bytes, NFC, no empty / `.` / `..`
/// segments, no control characters, no trailing `/`.
pub fn validate(path: &str) -> Result<()> {
    let bad = |why| {
        Err(Error::InvalidPath {
            path: path.to_owned(),
            why,
        })
    };
    if !path.starts_with('/') {
        return bad("must start with '/'");
    }
    if path.len() > MAX_PATH_BYTES {
        return bad("longer than 1024 bytes");
    }
    if path.chars().any(char::is_control) {
        return bad("contains a control character");
    }
    if !is_nfc(path) {
        return bad("not in Unicode NFC form");
    }
    for segment in path[1..].split('/') {
        match segment {
            "" => return bad("has an empty segment"),
            "." | ".." => return bad("has a '.' or '..' segment"),
            _ => {}
        }
    }
    Ok(())
}

/// Turns a relative file path from a folder (`topic/notes.md`, maybe with `\`) into a memory path.
pub fn from_relative(rel: &str) -> Result<String> {
    let joined: String = format!("/{}", rel.replace('\\', "/")).nfc().collect();
    validate(&joined)?;
    Ok(joined)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_ordinary_paths() {
        for p in ["/MEMORY.md", "/topics/build.md", "/a b/ü.md"] {
            assert!(validate(p).is_ok(), "{p}");
        }
    }

    #[test]
    fn rejects_each_broken_rule() {
        let long = format!("/{}", "a".repeat(1024));
        for p in [
            "MEMORY.md",
            "/",
            "/a//b",
            "/a/./b",
            "/../x",
            "/a/",
            "/a\u{7}b",
            "/e\u{301}",
            &long,
        ] {
            assert!(
                matches!(validate(p), Err(Error::InvalidPath { .. })),
                "{p:?}"
            );
        }
    }

    #[test]
    fn relative_paths_become_nfc_memory_paths() {
        assert_eq!(from_relative("a\\e\u{301}.md").unwrap(), "/a/\u{e9}.md");
    }
}
