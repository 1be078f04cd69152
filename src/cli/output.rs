//! Writing results: JSON for scripts, sanitized text for people, colour only when wanted.

use std::io::Write;

use lucid::error::Error;
use lucid::sanitize;
use serde::Serialize;

pub fn io_err(e: std::io::Error) -> Error {
    Error::io("stdout", e)
}

/// Prints a value as JSON on one line.
pub fn json<T: Serialize + ?Sized>(value: &T) -> Result<(), Error> {
    let text = serde_json::to_string(value).map_err(|e| Error::Internal(e.to_string()))?;
    let mut out = std::io::stdout().lock();
    writeln!(out, "{text}").map_err(io_err)
}

/// Untrusted text made safe for a terminal line.
pub fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    sanitize::clean_line(s)
}

/// The first 12 hex digits of a hash.
pub fn short(hash: &str) -> &str {
    lucid::util::truncate_str(hash, 12)
}

/// ANSI styling that turns itself off.
#[derive(Debug, Clone, Copy)]
pub struct Paint {
    pub on: bool,
}

impl Paint {
    pub fn auto() -> Self {
        Self {
            on: super::use_color(),
        }
    }

    fn wrap(self, code: &str, s: &str) -> String {
        if self.on {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_owned()
        }
    }

    pub fn red(self, s: &str) -> String {
        self.wrap("31", s)
    }
    pub fn green(self, s: &str) -> String {
        self.wrap("32", s)
    }
    pub fn yellow(self, s: &str) -> String {
        self.wrap("33", s)
    }
    pub fn cyan(self, s: &str) -> String {
        self.wrap("36", s)
    }
    pub fn bold(self, s: &str) -> String {
        self.wrap("1", s)
    }
    pub fn dim(self, s: &str) -> String {
        self.wrap("2", s)
    }
}

/// Writes lines to stdout, stopping quietly if the reader went away.
pub struct Out {
    inner: std::io::BufWriter<std::io::StdoutLock<'static>>,
}

impl Out {
    pub fn new() -> Self {
        Self {
            inner: std::io::BufWriter::new(std::io::stdout().lock()),
        }
    }

    pub fn line(&mut self, s: &str) -> Result<(), Error> {
        writeln!(self.inner, "{s}").map_err(io_err)
    }

    pub fn raw(&mut self, bytes: &[u8]) -> Result<(), Error> {
        self.inner.write_all(bytes).map_err(io_err)
    }

    pub fn finish(mut self) -> Result<(), Error> {
        self.inner.flush().map_err(io_err)
    }
}
