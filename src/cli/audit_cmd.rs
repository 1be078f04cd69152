//! `lucid audit log | verify | export`.

use std::io::Write;
use std::path::PathBuf;

use clap::{Subcommand, ValueEnum};
use lucid::audit::{self, Filter};
use lucid::error::Error;

use super::Env;
use super::output::{Out, Paint, io_err, json, safe, short};

#[derive(Debug, Subcommand)]
pub enum AuditCmd {
    /// Audit records, oldest first.
    Log {
        /// Only records at or after this time (RFC 3339 or YYYY-MM-DD).
        #[arg(long)]
        since: Option<String>,
        #[arg(long)]
        actor: Option<String>,
        /// Only records about this memory path (or target).
        #[arg(long)]
        path: Option<String>,
        /// Only this action, or family (`op`, `store`, `sessions`).
        #[arg(long)]
        action: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Recompute the hash chain; exit 4 naming the first broken record.
    Verify {
        /// Also require this head hash (anchored outside the database).
        #[arg(long, value_name = "HEX")]
        expect_head: Option<String>,
        #[arg(long)]
        json: bool,
    },
    /// Write every record as JSON lines or CSV.
    Export {
        #[arg(long, value_enum, default_value_t = Format::Jsonl)]
        format: Format,
        /// Output file (default: standard output).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
    },
}

#[derive(Debug, Clone, Copy, ValueEnum)]
pub enum Format {
    Jsonl,
    Csv,
}

pub fn run(env: &Env, cmd: AuditCmd) -> Result<(), Error> {
    let db = env.open()?;
    match cmd {
        AuditCmd::Log {
            since,
            actor,
            path,
            action,
            json: as_json,
        } => {
            let since = since
                .map(|s| {
                    lucid::util::normalize_time(&s).ok_or_else(|| {
                        Error::Invalid(format!("--since {s:?} is not a date or RFC 3339 time"))
                    })
                })
                .transpose()?;
            let records = audit::records(
                db.connection(),
                &Filter {
                    since,
                    actor,
                    path,
                    action,
                },
            )?;
            if as_json {
                return json(&records);
            }
            let (mut out, p) = (Out::new(), Paint::auto());
            for r in &records {
                out.line(&format!(
                    "{:>6} {} {:<16} {:<16} {} {}",
                    r.seq,
                    p.dim(&r.at),
                    safe(&r.actor),
                    p.cyan(&r.action),
                    safe(&r.target),
                    if r.reason.is_empty() {
                        String::new()
                    } else {
                        format!("— {}", safe(&r.reason))
                    }
                ))?;
            }
            out.finish()
        }
        AuditCmd::Verify {
            expect_head,
            json: as_json,
        } => {
            let verified = audit::verify(db.connection())?;
            if let Some(expected) = expect_head
                && !verified.head_hash.eq_ignore_ascii_case(expected.trim())
            {
                return Err(Error::AuditBroken {
                    seq: verified.records,
                    why: format!(
                        "head hash {} is not the anchored {}",
                        short(&verified.head_hash),
                        safe(&expected)
                    ),
                });
            }
            if as_json {
                return json(&verified);
            }
            println!(
                "ok: {} records, head {}",
                verified.records, verified.head_hash
            );
            Ok(())
        }
        AuditCmd::Export { format, output } => {
            let records = audit::records(db.connection(), &Filter::default())?;
            let mut sink: Box<dyn Write> = match &output {
                Some(path) => Box::new(std::io::BufWriter::new(
                    std::fs::File::create(path).map_err(|e| Error::io(path, e))?,
                )),
                None => Box::new(std::io::BufWriter::new(std::io::stdout().lock())),
            };
            if matches!(format, Format::Csv) {
                writeln!(
                    sink,
                    "seq,at,actor,action,target,details,reason,prev_hash,hash"
                )
                .map_err(io_err)?;
            }
            for r in &records {
                let line = match format {
                    Format::Jsonl => {
                        serde_json::to_string(r).map_err(|e| Error::Internal(e.to_string()))?
                    }
                    Format::Csv => [
                        r.seq.to_string(),
                        r.at.clone(),
                        r.actor.clone(),
                        r.action.clone(),
                        r.target.clone(),
                        r.details.clone(),
                        r.reason.clone(),
                        r.prev_hash.clone(),
                        r.hash.clone(),
                    ]
                    .iter()
                    .map(|f| csv_field(f))
                    .collect::<Vec<_>>()
                    .join(","),
                };
                writeln!(sink, "{line}").map_err(io_err)?;
            }
            sink.flush().map_err(io_err)
        }
    }
}

/// RFC 4180 quoting; a leading formula character is prefixed with `'` so spreadsheet tools do
/// not execute untrusted text.
fn csv_field(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}
