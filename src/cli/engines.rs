//! Choosing a dream engine from the command line: the builtin ones, `anthropic` / `openai` with
//! the config file and an API key from the environment (or an owner-only key file), and
//! `replay:DIR`. Also `lucid config show|path`, and the watchers that turn Ctrl-C or a
//! `lucid dream cancel` from another process into a cancel of the running requests.

use std::path::{Path, PathBuf};

use clap::Subcommand;
use lucid::dream::Engine;
use lucid::error::Error;
use lucid::llm::engine::LlmEngine;
use lucid::llm::http::{HttpBackend, Wire};
use lucid::llm::replay::{Drift, Recorder, ReplayBackend};
use lucid::llm::{ApiKey, Backend, CancelToken, EngineConfig, LlmConfig, LlmError};

use super::output::{Out, safe};

/// How `--engine` names a model-backed engine.
const LLM_ENGINES: &str = "builtin, none, anthropic, openai, anthropic-dreams or replay:DIR";

#[derive(Debug, Subcommand)]
pub enum ConfigCmd {
    /// The settings in effect (file values over defaults) and where each API key comes from.
    Show,
    /// Where the config file is (set `LUCID_CONFIG` to use another).
    Path,
}

/// An engine ready to dream, and for model-backed ones what `--dry-run` needs.
pub enum Chosen {
    Plain(Box<dyn Engine>),
    Llm {
        engine: Box<LlmEngine>,
        config: EngineConfig,
        /// For `replay:DIR`: how many replayed requests differ from the recording.
        drift: Option<Drift>,
    },
}

impl Chosen {
    pub fn engine(&self) -> &dyn Engine {
        match self {
            Self::Plain(e) => e.as_ref(),
            Self::Llm { engine, .. } => engine.as_ref(),
        }
    }
}

/// The config file: `LUCID_CONFIG`, else `config.toml` in Lucid's config folder.
pub fn config_path() -> Option<PathBuf> {
    if let Some(p) = std::env::var_os("LUCID_CONFIG").filter(|p| !p.is_empty()) {
        return Some(PathBuf::from(p));
    }
    directories::ProjectDirs::from("", "", "lucid").map(|d| d.config_dir().join("config.toml"))
}

/// The settings: the file's values over the defaults; no file, the defaults.
pub fn load_config() -> Result<LlmConfig, Error> {
    let Some(path) = config_path() else {
        return Ok(LlmConfig::default());
    };
    match std::fs::read_to_string(&path) {
        Ok(text) => {
            LlmConfig::parse(&text).map_err(|e| Error::Invalid(format!("{}: {e}", path.display())))
        }
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(LlmConfig::default()),
        Err(e) => Err(Error::io(path, e)),
    }
}

pub fn config(cmd: &ConfigCmd) -> Result<(), Error> {
    let mut out = Out::new();
    let path = config_path();
    match cmd {
        ConfigCmd::Path => {
            out.line(&path.map_or_else(|| "(no config folder)".into(), |p| p.display().to_string()))
        }
        ConfigCmd::Show => {
            let config = load_config()?;
            let exists = path.as_deref().is_some_and(Path::exists);
            out.line(&format!(
                "# {} ({})",
                path.as_deref().map_or_else(
                    || "no config folder".to_owned(),
                    |p| safe(&p.display().to_string()).into_owned()
                ),
                if exists {
                    "in effect"
                } else {
                    "not found: defaults"
                }
            ))?;
            for (name, cfg) in [("anthropic", &config.anthropic), ("openai", &config.openai)] {
                let source = match key_source(cfg) {
                    Ok(s) => s,
                    Err(e) => format!("unusable: {e}"),
                };
                out.line(&format!("# {name} key: {}", safe(&source)))?;
            }
            let source = env_key_source(&config.managed_agents.api_key_env)
                .unwrap_or_else(|| format!("${} is not set", config.managed_agents.api_key_env));
            out.line(&format!("# managed_agents key: {}", safe(&source)))?;
            for line in config.to_toml().lines() {
                out.line(&safe(line))?;
            }
            out.finish()
        }
    }
}

/// `from $VAR (set)` when the variable holds a value.
fn env_key_source(var: &str) -> Option<String> {
    std::env::var_os(var)
        .is_some_and(|v| !v.is_empty())
        .then(|| format!("from ${var} (set)"))
}

/// Where a key would come from, without reading it out.
fn key_source(cfg: &EngineConfig) -> Result<String, Error> {
    if let Some(source) = env_key_source(&cfg.api_key_env) {
        return Ok(source);
    }
    if let Some(file) = &cfg.api_key_file {
        check_key_file(Path::new(file))?;
        return Ok(format!("from {file}"));
    }
    if is_loopback(&cfg.base_url) {
        return Ok(format!("none needed for {}", cfg.base_url));
    }
    Ok(format!("${} is not set", cfg.api_key_env))
}

/// The API key for an engine: its environment variable, else its key file (owner-only), else
/// none for a server on this machine (Ollama, LM Studio, vLLM need none).
fn api_key(cfg: &EngineConfig) -> Result<ApiKey, Error> {
    let llm = |e: LlmError| Error::Invalid(e.to_string());
    if let Some(v) = std::env::var_os(&cfg.api_key_env).filter(|v| !v.is_empty()) {
        let v = v
            .into_string()
            .map_err(|_| Error::Invalid(format!("${} is not valid UTF-8", cfg.api_key_env)))?;
        return ApiKey::new(&v).map_err(llm);
    }
    if let Some(file) = &cfg.api_key_file {
        let path = Path::new(file);
        check_key_file(path)?;
        let text = std::fs::read_to_string(path).map_err(|e| Error::io(path, e))?;
        return ApiKey::new(&text).map_err(llm);
    }
    if is_loopback(&cfg.base_url) {
        return ApiKey::new("none").map_err(llm);
    }
    Err(Error::Invalid(
        LlmError::MissingKey(cfg.api_key_env.clone()).to_string(),
    ))
}

/// A key file must be readable by its owner only.
fn check_key_file(path: &Path) -> Result<(), Error> {
    use std::os::unix::fs::PermissionsExt;
    let meta = std::fs::metadata(path).map_err(|e| Error::io(path, e))?;
    if meta.permissions().mode() & 0o077 != 0 {
        return Err(Error::Invalid(format!(
            "{}: the key file is readable by others (chmod 600 it)",
            path.display()
        )));
    }
    Ok(())
}

fn is_loopback(url: &str) -> bool {
    let rest = url
        .strip_prefix("http://")
        .or_else(|| url.strip_prefix("https://"))
        .unwrap_or(url);
    let host = rest.split(['/', ':']).next().unwrap_or("");
    matches!(host, "localhost" | "127.0.0.1" | "[::1]")
}

/// The engine `--engine` names, with `--model` and `--record` applied.
pub fn choose(
    name: &str,
    model: Option<&str>,
    record: Option<&Path>,
    cancel: &CancelToken,
) -> Result<Chosen, Error> {
    let llm = |e: LlmError| Error::Invalid(e.to_string());
    if let Some(dir) = name.strip_prefix("replay:") {
        if record.is_some() {
            return Err(Error::Usage("--record cannot record a replay".into()));
        }
        let backend = ReplayBackend::open(Path::new(dir)).map_err(llm)?;
        let drift = backend.drift();
        let config = load_config()?;
        let cfg = config
            .engine(backend.wire_name())
            .cloned()
            .unwrap_or_else(EngineConfig::anthropic);
        let engine = LlmEngine::new(Box::new(backend), &cfg, cancel.clone());
        return Ok(Chosen::Llm {
            engine: Box::new(engine),
            config: cfg,
            drift: Some(drift),
        });
    }
    let wire = match name {
        "anthropic" => Wire::Anthropic,
        "openai" => Wire::OpenAi,
        _ => {
            if model.is_some() || record.is_some() {
                return Err(Error::Usage(format!(
                    "--model and --record apply to model-backed engines ({LLM_ENGINES})"
                )));
            }
            return lucid::dream::engine(name)
                .map(Chosen::Plain)
                .ok_or_else(|| {
                    Error::Usage(format!("unknown engine {name:?}: use {LLM_ENGINES}"))
                });
        }
    };
    let config = load_config()?;
    let mut cfg = config
        .engine(name)
        .cloned()
        .ok_or_else(|| Error::Internal(format!("no settings for {name}")))?;
    if let Some(m) = model {
        m.clone_into(&mut cfg.model);
    }
    let recorder = record.map(Recorder::new).transpose().map_err(llm)?;
    let backend: Box<dyn Backend> =
        Box::new(HttpBackend::new(wire, &cfg, api_key(&cfg)?, recorder).map_err(llm)?);
    let engine = LlmEngine::new(backend, &cfg, cancel.clone());
    Ok(Chosen::Llm {
        engine: Box::new(engine),
        config: cfg,
        drift: None,
    })
}

/// After a replay, a note on stderr when replayed requests differ from the recorded ones: the
/// recorded answers were given to other questions.
pub fn note_drift(chosen: &Chosen) {
    if let Chosen::Llm {
        drift: Some(drift), ..
    } = chosen
        && drift.count() > 0
    {
        eprintln!(
            "lucid: note: {} replayed request(s) differ from the recording (the prompt, the \
             input or the settings changed since it was recorded): its answers may not fit them",
            drift.count()
        );
    }
}

/// Claude's own Dreams API on the remote store `store` is linked to (`lucid remote pull-store`).
pub fn anthropic_dreams(
    db: &lucid::Db,
    store: &str,
    model: Option<&str>,
    archive_output: bool,
    cancel: &CancelToken,
) -> Result<Chosen, Error> {
    let cfg = super::remote::load_config()?;
    let key = super::remote::api_key(&cfg)?;
    let mut engine =
        lucid::remote::dreams::DreamsEngine::for_store(db, store, &cfg, key, cancel.clone())?
            .with_archive_output(archive_output);
    if let Some(m) = model {
        engine = engine.with_model(m);
    }
    Ok(Chosen::Plain(Box::new(engine)))
}

/// Cancels `token` on Ctrl-C (the dream is then recorded as canceled and the process exits 130).
pub fn cancel_on_ctrl_c(token: &CancelToken) {
    let token = token.clone();
    std::thread::spawn(move || {
        let Ok(rt) = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        else {
            return;
        };
        if rt.block_on(tokio::signal::ctrl_c()).is_ok() {
            token.cancel();
        }
    });
}

/// Cancels `token` when another process runs `lucid dream cancel` on a dream of `store` newer
/// than `after` (ours, once it starts).
pub fn cancel_on_request(db_path: &Path, store: &str, after: i64, token: &CancelToken) {
    let (path, store, token) = (db_path.to_owned(), store.to_owned(), token.clone());
    std::thread::spawn(move || {
        let Ok(db) = lucid::Db::open(&path) else {
            return;
        };
        while !token.is_canceled() {
            std::thread::sleep(std::time::Duration::from_millis(250));
            let Ok(dreams) = db.dreams(Some(&store)) else {
                continue;
            };
            if dreams
                .iter()
                .any(|d| d.id > after && d.status == "canceled")
            {
                token.cancel();
            }
        }
    });
}
