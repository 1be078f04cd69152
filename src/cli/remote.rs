//! `lucid remote …`: pull a Claude Managed Agents memory store and its sessions, push the
//! accepted changes back, show the links. Reads the config file (`LUCID_CONFIG`, else
//! `config.toml` in the config folder, `[managed_agents]` table) and the API key's variable.

use clap::Subcommand;
use lucid::error::Error;
use lucid::llm::ApiKey;
use lucid::remote::sessions::SessionFilter;
use lucid::remote::{Client, ManagedAgentsConfig, RemoteError, pull, push, sessions};

use super::output::{Out, json, safe};
use super::{Env, pick_store};

#[derive(Debug, Subcommand)]
pub enum RemoteCmd {
    /// Pull a memory store (memories, and its version history with their actors).
    PullStore {
        /// The remote store's id (`memstore_…`).
        id: String,
        /// The local store (default: the remote store's name).
        #[arg(long = "as", value_name = "NAME")]
        name: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Pull sessions and their events (kept with their `sesn_` / `sevt_` ids).
    PullSessions {
        /// Only sessions attached to this store's remote store; linked to it locally.
        #[arg(long, short = 's', value_name = "NAME")]
        store: Option<String>,
        /// Only sessions created at or after this date or time.
        #[arg(long, value_name = "DATE")]
        since: Option<String>,
        /// At most N sessions.
        #[arg(long, value_name = "N")]
        limit: Option<usize>,
        #[arg(long)]
        json: bool,
    },
    /// Write every change since the last sync to the remote store, with preconditions.
    Push {
        #[arg(long, short = 's', env = "LUCID_STORE", value_name = "NAME")]
        store: Option<String>,
        /// List the requests without sending them.
        #[arg(long)]
        dry_run: bool,
        #[arg(long)]
        json: bool,
    },
    /// Show a store's link: remote id, last pull and push, memories waiting to be pushed.
    Status {
        #[arg(long, short = 's', env = "LUCID_STORE", value_name = "NAME")]
        store: Option<String>,
        #[arg(long)]
        json: bool,
    },
}

/// The `[managed_agents]` settings of the config file (defaults when there is none).
pub fn load_config() -> Result<ManagedAgentsConfig, Error> {
    super::engines::load_config().map(|c| c.managed_agents)
}

/// The API key from the configured environment variable.
pub fn api_key(cfg: &ManagedAgentsConfig) -> Result<ApiKey, Error> {
    let value = std::env::var(&cfg.api_key_env)
        .map_err(|_| Error::from(RemoteError::MissingKey(cfg.api_key_env.clone())))?;
    ApiKey::new(&value).map_err(|e| Error::Invalid(format!("{}: {e}", cfg.api_key_env)))
}

fn client() -> Result<Client, Error> {
    let cfg = load_config()?;
    let key = api_key(&cfg)?;
    Ok(Client::new(&cfg, key)?)
}

pub fn run(env: &Env, cmd: RemoteCmd) -> Result<(), Error> {
    match cmd {
        RemoteCmd::PullStore {
            id,
            name,
            json: as_json,
        } => {
            let client = client()?;
            let mut db = env.open()?;
            let r = pull::pull_store(&mut db, &env.ctx, &client, &id, name.as_deref())?;
            if as_json {
                return json(&r);
            }
            let mut out = Out::new();
            out.line(&format!(
                "pulled {} into store {}: {} memories, {} history operations ({} versions), {} updated here, {} requests",
                safe(&r.remote_id), safe(&r.store), r.memories, r.history_ops,
                r.versions_replayed, r.fast_forwarded.len(), client.requests()
            ))?;
            conflicts_note(&mut out, &r.conflicts, r.conflict_proposal)?;
            out.finish()
        }
        RemoteCmd::PullSessions {
            store,
            since,
            limit,
            json: as_json,
        } => {
            let client = client()?;
            let mut db = env.open()?;
            let filter = SessionFilter {
                store,
                since,
                limit,
            };
            let r = sessions::pull_sessions(&mut db, &env.ctx, &client, &filter)?;
            if as_json {
                return json(&r);
            }
            let mut out = Out::new();
            out.line(&format!(
                "{} sessions pulled ({} events), {} unchanged, {} requests{}",
                r.pulled,
                r.events,
                r.unchanged,
                r.requests,
                if r.bad_events > 0 {
                    format!(", {} unreadable events", r.bad_events)
                } else {
                    String::new()
                }
            ))?;
            out.finish()
        }
        RemoteCmd::Push {
            store,
            dry_run,
            json: as_json,
        } => {
            let mut db = env.open()?;
            let store = pick_store(&db, store.as_deref())?;
            // A dry run needs no key: it only plans.
            let r = if dry_run {
                push::dry_run(&db, &store)?
            } else {
                push::push(&mut db, &env.ctx, &client()?, &store)?
            };
            if as_json {
                json(&r)?;
            } else {
                let mut out = Out::new();
                for p in &r.planned {
                    let pre = p
                        .body
                        .as_ref()
                        .and_then(|b| b.pointer("/precondition/content_sha256"))
                        .and_then(|v| v.as_str())
                        .or_else(|| {
                            p.query
                                .iter()
                                .find(|(k, _)| k == "expected_content_sha256")
                                .map(|(_, v)| v.as_str())
                        })
                        .map(|s| format!("  (expects sha256 {})", super::output::short(s)))
                        .unwrap_or_default();
                    out.line(&format!(
                        "{:<7} {:<6} {}  {}{pre}",
                        p.action,
                        p.method,
                        safe(&p.path),
                        safe(&p.memory_path)
                    ))?;
                }
                for (path, why) in &r.skipped {
                    out.line(&format!("skipped {}: {}", safe(path), safe(why)))?;
                }
                if r.dry_run {
                    out.line(&format!("dry run: {} requests not sent", r.planned.len()))?;
                } else {
                    out.line(&format!(
                        "pushed to {}: {} written, {} deleted, {} skipped",
                        safe(&r.remote_id),
                        r.written,
                        r.deleted,
                        r.skipped.len()
                    ))?;
                }
                conflicts_note(&mut out, &r.conflicts, r.conflict_proposal)?;
                out.finish()?;
            }
            if r.conflicts.is_empty() {
                Ok(())
            } else {
                Err(Error::Conflict(format!(
                    "{} memories changed on the remote meanwhile; nothing of theirs was overwritten",
                    r.conflicts.len()
                )))
            }
        }
        RemoteCmd::Status {
            store,
            json: as_json,
        } => {
            let db = env.open()?;
            let store = pick_store(&db, store.as_deref())?;
            let link = db
                .remote_link(&store)?
                .ok_or_else(|| lucid::store::not_linked_error(&store))?;
            let (_, planned, held) = push::plan(&db, &store)?;
            if as_json {
                return json(
                    &serde_json::json!({ "link": link, "to_push": planned, "held": held }),
                );
            }
            let mut out = Out::new();
            out.line(&format!(
                "store {} ↔ {} ({})",
                safe(&link.store),
                safe(&link.remote_id),
                safe(&link.remote_name)
            ))?;
            out.line(&format!(
                "pulled {}  pushed {}",
                link.pulled_at.as_deref().unwrap_or("never"),
                link.pushed_at.as_deref().unwrap_or("never")
            ))?;
            out.line(&format!(
                "{} changes to push, {} held by undecided conflicts",
                planned.len(),
                held.len()
            ))?;
            out.finish()
        }
    }
}

fn conflicts_note(out: &mut Out, conflicts: &[String], proposal: Option<i64>) -> Result<(), Error> {
    if conflicts.is_empty() {
        return Ok(());
    }
    for c in conflicts {
        out.line(&format!("conflict {}", safe(c)))?;
    }
    if let Some(p) = proposal {
        out.line(&format!(
            "review the three-way difference: `lucid proposal show {p}` or `lucid review`; accept the remote side or reject it, `lucid proposal apply {p}`, then push"
        ))?;
    }
    Ok(())
}
