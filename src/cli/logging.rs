//! Logs go to a file, never to the terminal (the TUI owns it): `LUCID_LOG` sets the level or
//! filter (`info`, `lucid=trace`, …), `LUCID_LOG_FILE` the file (default `lucid.log` in the
//! data folder). Without `LUCID_LOG` nothing is logged.

use std::path::PathBuf;

use lucid::error::Error;

pub fn init() -> Result<(), Error> {
    let Some(filter) = std::env::var("LUCID_LOG")
        .ok()
        .filter(|v| !v.trim().is_empty())
    else {
        return Ok(());
    };
    let path = match std::env::var_os("LUCID_LOG_FILE").filter(|v| !v.is_empty()) {
        Some(p) => PathBuf::from(p),
        None => directories::ProjectDirs::from("", "", "lucid")
            .map(|d| d.data_dir().join("lucid.log"))
            .ok_or_else(|| Error::Invalid("no home folder: set LUCID_LOG_FILE".into()))?,
    };
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).map_err(|e| Error::io(dir, e))?;
    }
    let file = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(&path)
        .map_err(|e| Error::io(&path, e))?;
    let filter = tracing_subscriber::EnvFilter::try_new(&filter)
        .map_err(|e| Error::Usage(format!("LUCID_LOG={filter:?}: {e}")))?;
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(false)
        .with_writer(std::sync::Mutex::new(file))
        .try_init()
        .map_err(|e| Error::Internal(format!("logging: {e}")))
}
