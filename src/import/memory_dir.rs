//! Memory folders: a Claude Code auto-memory folder (MEMORY.md + topic files) or an Anthropic
//! memory-tool `/memories` folder, read into (path, bytes) pairs and written back byte-identical.

use std::fs;
use std::io::Write;
use std::path::Path;

use super::walk;
use crate::error::{Error, Result};
use crate::memory_path;

/// One file of a memory folder.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryFile {
    /// The memory path: `/` + the path below the folder, NFC.
    pub path: String,
    pub content: Vec<u8>,
}

/// Reads every regular file under `dir` (dot-files skipped). Fails, before anything is stored,
/// on a file that is not UTF-8, over `max_bytes`, or whose name breaks the path rules.
pub fn read(dir: &Path, max_bytes: usize) -> Result<Vec<MemoryFile>> {
    if !fs::metadata(dir).map_err(|e| Error::io(dir, e))?.is_dir() {
        return Err(Error::Invalid(format!("{}: not a folder", dir.display())));
    }
    let mut out = Vec::new();
    for file in walk::files(dir, &|_| true)? {
        let rel = file
            .strip_prefix(dir)
            .map_err(|_| Error::Internal("walk left its root".into()))?;
        let rel = rel.to_str().ok_or_else(|| Error::NotUtf8 {
            what: format!("file name {}", rel.display()),
        })?;
        let path = memory_path::from_relative(rel)?;
        let size = fs::metadata(&file).map_err(|e| Error::io(&file, e))?.len() as usize;
        if size > max_bytes {
            return Err(Error::TooLarge {
                what: file.display().to_string(),
                size,
                limit: max_bytes,
            });
        }
        let content = fs::read(&file).map_err(|e| Error::io(&file, e))?;
        if std::str::from_utf8(&content).is_err() {
            return Err(Error::NotUtf8 {
                what: file.display().to_string(),
            });
        }
        out.push(MemoryFile { path, content });
    }
    Ok(out)
}

/// Writes files under `dir` exactly as stored. Refuses a non-empty folder unless `force`.
pub fn write(dir: &Path, files: &[MemoryFile], force: bool) -> Result<()> {
    if dir.exists() {
        let mut entries = fs::read_dir(dir).map_err(|e| Error::io(dir, e))?;
        if !force && entries.next().is_some() {
            return Err(Error::Invalid(format!(
                "{}: folder is not empty (use --force to write into it)",
                dir.display()
            )));
        }
    }
    for file in files {
        memory_path::validate(&file.path)?;
        let target = dir.join(&file.path[1..]);
        if let Some(parent) = target.parent() {
            fs::create_dir_all(parent).map_err(|e| Error::io(parent, e))?;
        }
        // Write beside, then rename: a reader never sees half a file.
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let tmp = target.with_file_name(format!(".{name}.lucid-tmp"));
        let mut f = fs::File::create(&tmp).map_err(|e| Error::io(&tmp, e))?;
        f.write_all(&file.content).map_err(|e| Error::io(&tmp, e))?;
        f.sync_all().map_err(|e| Error::io(&tmp, e))?;
        fs::rename(&tmp, &target).map_err(|e| Error::io(&target, e))?;
    }
    Ok(())
}
