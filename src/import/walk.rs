//! Finding files under a path: follows symbolic links but refuses loops, skips dot-files, and
//! never descends without bound.

use std::collections::HashSet;
use std::fs;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use crate::error::{Error, Result};

const MAX_DEPTH: usize = 64;

/// Every regular file under `root` (or `root` itself when it is a file) accepted by `keep`,
/// sorted by path. A directory reached twice through links is a loop: an error, before anything
/// is read.
pub fn files(root: &Path, keep: &dyn Fn(&Path) -> bool) -> Result<Vec<PathBuf>> {
    let meta = fs::metadata(root).map_err(|e| Error::io(root, e))?;
    if meta.is_file() {
        return Ok(vec![root.to_owned()]);
    }
    let mut out = Vec::new();
    let mut seen = HashSet::new();
    visit(root, 0, &mut seen, keep, &mut out)?;
    out.sort();
    Ok(out)
}

fn visit(
    dir: &Path,
    depth: usize,
    seen: &mut HashSet<(u64, u64)>,
    keep: &dyn Fn(&Path) -> bool,
    out: &mut Vec<PathBuf>,
) -> Result<()> {
    let meta = fs::metadata(dir).map_err(|e| Error::io(dir, e))?;
    if !seen.insert((meta.dev(), meta.ino())) {
        return Err(Error::Invalid(format!(
            "{}: symbolic link loop",
            dir.display()
        )));
    }
    if depth > MAX_DEPTH {
        return Err(Error::Invalid(format!(
            "{}: nested more than {MAX_DEPTH} levels",
            dir.display()
        )));
    }
    let mut entries: Vec<_> = fs::read_dir(dir)
        .map_err(|e| Error::io(dir, e))?
        .collect::<std::io::Result<_>>()
        .map_err(|e| Error::io(dir, e))?;
    entries.sort_by_key(fs::DirEntry::file_name);
    for entry in entries {
        let path = entry.path();
        if entry.file_name().to_string_lossy().starts_with('.') {
            continue;
        }
        // `metadata` follows links; a dangling link is an error worth reporting.
        let meta = fs::metadata(&path).map_err(|e| Error::io(&path, e))?;
        if meta.is_dir() {
            visit(&path, depth + 1, seen, keep, out)?;
        } else if meta.is_file() && keep(&path) {
            out.push(path);
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_loop_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        fs::create_dir(dir.path().join("a")).unwrap();
        std::os::unix::fs::symlink(dir.path(), dir.path().join("a/back")).unwrap();
        let err = files(dir.path(), &|_| true).unwrap_err();
        assert!(err.to_string().contains("loop"), "{err}");
    }

    #[test]
    fn dot_files_are_skipped_and_order_is_stable() {
        let dir = tempfile::tempdir().unwrap();
        for f in ["b.md", "a.md", ".hidden"] {
            fs::write(dir.path().join(f), "x").unwrap();
        }
        let names: Vec<_> = files(dir.path(), &|_| true)
            .unwrap()
            .iter()
            .map(|p| p.file_name().unwrap().to_string_lossy().into_owned())
            .collect();
        assert_eq!(names, ["a.md", "b.md"]);
    }
}
