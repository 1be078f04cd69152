//! `lucid session ls | show`.

use clap::Subcommand;
use lucid::error::Error;

use super::Env;
use super::output::{Out, Paint, json, safe};

#[derive(Debug, Subcommand)]
pub enum SessionCmd {
    /// List imported sessions, newest first.
    Ls {
        #[arg(long, short = 's', value_name = "NAME")]
        store: Option<String>,
        #[arg(long)]
        agent: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Show a session's events.
    Show {
        /// Local id or the source's id (sessionId, sesn_…).
        session: String,
        #[arg(long)]
        json: bool,
    },
}

pub fn run(env: &Env, cmd: SessionCmd) -> Result<(), Error> {
    let db = env.open()?;
    let (mut out, p) = (Out::new(), Paint::auto());
    match cmd {
        SessionCmd::Ls {
            store,
            agent,
            json: as_json,
        } => {
            let list = db.sessions(store.as_deref(), agent.as_deref())?;
            if as_json {
                return json(&list);
            }
            for s in &list {
                out.line(&format!(
                    "{:>5} {} {:<20} {:>5} events {:>3} errors  {}",
                    s.id,
                    p.dim(
                        s.started_at
                            .as_deref()
                            .map_or("-", |t| lucid::util::truncate_str(t, 16))
                    ),
                    safe(&s.agent),
                    s.events,
                    s.errors,
                    safe(s.title.as_deref().unwrap_or(&s.external_id))
                ))?;
            }
        }
        SessionCmd::Show {
            session,
            json: as_json,
        } => {
            let info = db.session(&session)?;
            let events = db.events(info.id)?;
            if as_json {
                return json(&serde_json::json!({ "session": info, "events": events }));
            }
            out.line(&p.bold(&format!(
                "session {} ({}) agent {}",
                info.id,
                safe(&info.external_id),
                safe(&info.agent)
            )))?;
            for e in &events {
                let head = format!(
                    "#{} {} {}{}",
                    e.seq,
                    e.at.as_deref().unwrap_or(""),
                    e.kind,
                    if e.thread == "main" {
                        String::new()
                    } else {
                        format!(" [{}]", safe(&e.thread))
                    }
                );
                out.line(&if e.is_error {
                    p.red(&head)
                } else {
                    p.cyan(&head)
                })?;
                for line in lucid::util::truncate_str(&e.text, 2000).lines() {
                    out.line(&format!("    {}", lucid::sanitize::text(line, 8)))?;
                }
            }
        }
    }
    out.finish()
}
