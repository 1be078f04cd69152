//! Scoring a consolidated memory against a labelled case (`../shared/corpus/README.md`): loading
//! `case.toml`, and the exact matching rules for `once`, `gone`, `kept`, `learned`, `never` and
//! the limits. Pure: the caller produces the memory after the dream.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::dream::{self, DreamInput, Engine};
use crate::error::{Error, Result};
use crate::import::{claude_code, managed_agents, memory_dir};

/// A memory store as path → text (`/MEMORY.md`, `/build.md`, …).
pub type Files = BTreeMap<String, String>;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    Once,
    Gone,
    Kept,
    Learned,
    Never,
}

impl Kind {
    pub const ALL: [Kind; 5] = [
        Kind::Once,
        Kind::Gone,
        Kind::Kept,
        Kind::Learned,
        Kind::Never,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Once => "once",
            Self::Gone => "gone",
            Self::Kept => "kept",
            Self::Learned => "learned",
            Self::Never => "never",
        }
    }

    /// The expectations a dream must *change* the memory to meet.
    pub fn is_change(self) -> bool {
        matches!(self, Self::Once | Self::Gone | Self::Learned)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Expect {
    pub kind: Kind,
    #[serde(default)]
    pub text: Option<String>,
    #[serde(default)]
    pub all: Vec<String>,
    #[serde(default)]
    pub any: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Limits {
    #[serde(default = "default_deleted")]
    pub max_deleted_lines_fraction: f64,
    #[serde(default = "default_index_lines")]
    pub index_max_lines: usize,
}

fn default_deleted() -> f64 {
    0.3
}
fn default_index_lines() -> usize {
    200
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_deleted_lines_fraction: default_deleted(),
            index_max_lines: default_index_lines(),
        }
    }
}

/// One labelled case.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Case {
    #[serde(skip)]
    pub name: String,
    #[serde(skip)]
    pub dir: PathBuf,
    #[serde(default)]
    pub description: String,
    pub now: String,
    #[serde(default)]
    pub agents: Vec<String>,
    #[serde(default, rename = "expect")]
    pub expects: Vec<Expect>,
    #[serde(default)]
    pub limits: Limits,
}

/// Loads `dir/case.toml`.
pub fn load_case(dir: &Path) -> Result<Case> {
    let file = dir.join("case.toml");
    let text = std::fs::read_to_string(&file).map_err(|e| Error::io(&file, e))?;
    let mut case: Case = toml::from_str(&text)
        .map_err(|e| Error::Invalid(format!("{}: {}", file.display(), e.message())))?;
    case.name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    dir.clone_into(&mut case.dir);
    Ok(case)
}

/// Every case folder (one holding `case.toml`) directly under `root`, sorted.
pub fn case_dirs(root: &Path) -> Result<Vec<PathBuf>> {
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(root)
        .map_err(|e| Error::io(root, e))?
        .filter_map(std::result::Result::ok)
        .map(|e| e.path())
        .filter(|p| p.join("case.toml").is_file())
        .collect();
    dirs.sort();
    Ok(dirs)
}

/// The result of one expectation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub expect: Expect,
    pub passed: bool,
}

/// The score of one case.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CaseScore {
    pub case: String,
    pub outcomes: Vec<Outcome>,
    pub deleted_fraction: f64,
    pub deleted_ok: bool,
    pub index_lines: usize,
    pub index_ok: bool,
    pub passed: bool,
}

/// Lower-case, every run of whitespace folded to one space, trimmed.
pub fn normalize(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for word in s.split_whitespace() {
        if !out.is_empty() {
            out.push(' ');
        }
        out.extend(word.chars().flat_map(char::to_lowercase));
    }
    out
}

fn is_index(path: &str) -> bool {
    path == "/MEMORY.md"
}

/// Bullet starts: `-`, `*`, `+` or `N.` / `N)` after optional indentation.
fn is_bullet(line: &str) -> bool {
    let t = line.trim_start();
    if t.starts_with("- ") || t.starts_with("* ") || t.starts_with("+ ") || t == "-" {
        return true;
    }
    let digits = t.bytes().take_while(u8::is_ascii_digit).count();
    digits > 0 && matches!(t.as_bytes().get(digits), Some(b'.' | b')'))
}

/// Units a `learned` expectation may be met by: every line, and every bullet together with its
/// continuation lines (non-blank lines after it that are not themselves bullets or headings).
fn learn_units(text: &str) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    let mut units: Vec<String> = lines.iter().map(|l| normalize(l)).collect();
    for (i, line) in lines.iter().enumerate() {
        if !is_bullet(line) {
            continue;
        }
        let mut unit = (*line).to_owned();
        for next in &lines[i + 1..] {
            if next.trim().is_empty() || is_bullet(next) || next.trim_start().starts_with('#') {
                break;
            }
            unit.push(' ');
            unit.push_str(next);
        }
        units.push(normalize(&unit));
    }
    units
}

fn holds(e: &Expect, files: &Files) -> bool {
    let text = e.text.as_deref().map(normalize).unwrap_or_default();
    let whole = |content: &str| normalize(content).contains(&text);
    match e.kind {
        Kind::Once => {
            let count: usize = files
                .iter()
                .filter(|(p, _)| !is_index(p))
                .map(|(_, c)| c.lines().filter(|l| normalize(l).contains(&text)).count())
                .sum();
            count == 1
        }
        Kind::Gone => !files.values().any(|c| whole(c)),
        Kind::Kept => files.values().any(|c| whole(c)),
        Kind::Never => !files
            .iter()
            .any(|(p, c)| whole(c) || normalize(p).contains(&text)),
        Kind::Learned => {
            let all: Vec<String> = e.all.iter().map(|t| normalize(t)).collect();
            let any: Vec<String> = e.any.iter().map(|t| normalize(t)).collect();
            files.iter().filter(|(p, _)| !is_index(p)).any(|(_, c)| {
                learn_units(c).iter().any(|u| {
                    all.iter().all(|t| u.contains(t.as_str()))
                        && (any.is_empty() || any.iter().any(|t| u.contains(t.as_str())))
                })
            })
        }
    }
}

/// The share of non-blank, non-index lines before whose normalised text appears as a line in
/// no file after.
pub fn deleted_fraction(before: &Files, after: &Files) -> f64 {
    let remaining: std::collections::HashSet<String> = after
        .values()
        .flat_map(|c| c.lines().map(normalize))
        .collect();
    let lines: Vec<String> = before
        .iter()
        .filter(|(p, _)| !is_index(p))
        .flat_map(|(_, c)| c.lines().map(normalize))
        .filter(|l| !l.is_empty())
        .collect();
    if lines.is_empty() {
        return 0.0;
    }
    let gone = lines.iter().filter(|l| !remaining.contains(*l)).count();
    gone as f64 / lines.len() as f64
}

/// Scores the memory `after` a dream against a case, given the memory `before` it.
pub fn score(case: &Case, before: &Files, after: &Files) -> CaseScore {
    let outcomes: Vec<Outcome> = case
        .expects
        .iter()
        .map(|e| Outcome {
            expect: e.clone(),
            passed: holds(e, after),
        })
        .collect();
    let deleted_fraction = deleted_fraction(before, after);
    let deleted_ok = deleted_fraction <= case.limits.max_deleted_lines_fraction + 1e-9;
    let index_lines = after.get("/MEMORY.md").map_or(0, |c| c.lines().count());
    let index_ok = index_lines <= case.limits.index_max_lines;
    let passed = deleted_ok && index_ok && outcomes.iter().all(|o| o.passed);
    CaseScore {
        case: case.name.clone(),
        outcomes,
        deleted_fraction,
        deleted_ok,
        index_lines,
        index_ok,
        passed,
    }
}

/// Totals over many cases.
#[derive(Debug, Clone, PartialEq, Default, Serialize)]
pub struct Summary {
    pub cases_passed: usize,
    pub cases: usize,
    /// kind → (passed, total)
    pub by_kind: BTreeMap<String, (usize, usize)>,
    pub change_passed: usize,
    pub change_total: usize,
    pub scores: Vec<CaseScore>,
}

impl Summary {
    pub fn new(scores: Vec<CaseScore>) -> Self {
        let mut s = Summary {
            cases: scores.len(),
            ..Summary::default()
        };
        for kind in Kind::ALL {
            s.by_kind.insert(kind.as_str().to_owned(), (0, 0));
        }
        for score in &scores {
            s.cases_passed += usize::from(score.passed);
            for o in &score.outcomes {
                let entry = s
                    .by_kind
                    .entry(o.expect.kind.as_str().to_owned())
                    .or_default();
                entry.0 += usize::from(o.passed);
                entry.1 += 1;
                if o.expect.kind.is_change() {
                    s.change_passed += usize::from(o.passed);
                    s.change_total += 1;
                }
            }
        }
        s.scores = scores;
        s
    }
}

/// The memory folder of a case as files.
pub fn case_memory(case: &Case) -> Result<Files> {
    let files = memory_dir::read(&case.dir.join("memory"), usize::MAX)?;
    Ok(files
        .into_iter()
        .map(|f| (f.path, String::from_utf8_lossy(&f.content).into_owned()))
        .collect())
}

/// The sessions of a case, parsed straight from its files (agent = the folder name), oldest
/// first.
pub fn case_sessions(case: &Case) -> Result<Vec<dream::Session>> {
    let root = case.dir.join("sessions");
    let mut out = Vec::new();
    let mut agents: Vec<PathBuf> = match std::fs::read_dir(&root) {
        Ok(rd) => rd
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .filter(|p| p.is_dir())
            .collect(),
        Err(_) => Vec::new(),
    };
    agents.sort();
    for agent_dir in agents {
        let agent = agent_dir
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut files: Vec<PathBuf> = std::fs::read_dir(&agent_dir)
            .map_err(|e| Error::io(&agent_dir, e))?
            .filter_map(std::result::Result::ok)
            .map(|e| e.path())
            .collect();
        files.sort();
        for file in files {
            let bytes = std::fs::read(&file).map_err(|e| Error::io(&file, e))?;
            let name = file
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            let parsed = if let Some(stem) = name.strip_suffix(".events.json") {
                managed_agents::parse(&bytes, stem)
            } else {
                claude_code::parse(&bytes, name.trim_end_matches(".jsonl"))
            };
            out.extend(
                parsed
                    .sessions
                    .iter()
                    .map(|s| dream::input::session_from_parsed(s, &agent)),
            );
        }
    }
    dream::input::sort_sessions(&mut out);
    Ok(out)
}

/// Runs `engine` on a case without a database and scores the result (the fast loop for engine
/// work; `lucid eval` runs the same case through a real store, review and apply).
pub fn run_pure(engine: &dyn Engine, case: &Case) -> Result<(CaseScore, dream::DreamOutput)> {
    let before = case_memory(case)?;
    let input = DreamInput {
        files: before
            .iter()
            .map(|(p, c)| dream::MemoryFile {
                path: p.clone(),
                content: c.clone(),
                written_at: case.now.clone(),
            })
            .collect(),
        sessions: case_sessions(case)?,
        now: case.now.clone(),
        instructions: String::new(),
        deletion_budget: case.limits.max_deleted_lines_fraction.min(0.3),
    };
    let output = engine
        .dream(&input)
        .map_err(|e| Error::Invalid(format!("engine failed: {e}")))?;
    Ok((score(case, &before, &output.files), output))
}

/// Runs a case the way a user would: a fresh database, the memory folder and the sessions
/// imported (agent = folder name), a dream at the case's `now`, every change accepted and
/// applied, and the resulting store scored.
pub fn run_in_db(engine: &dyn Engine, case: &Case) -> Result<CaseScore> {
    use crate::model::OpKind;
    use crate::review::{Decision, Verdict};
    use crate::store::{ChangeSet, Db, FileChange, OpSpec, Target};

    let ctx = crate::util::Ctx {
        actor: "eval".into(),
        now: crate::util::normalize_time(&case.now).unwrap_or_else(|| case.now.clone()),
    };
    let mut db = Db::open_in_memory()?;
    let store = "eval";
    let before = case_memory(case)?;
    let puts = before
        .iter()
        .map(|(p, c)| FileChange::Put {
            path: p.clone(),
            content: c.clone().into_bytes(),
            expect_sha256: None,
        })
        .collect();
    let mut set = ChangeSet::new(OpSpec::new(OpKind::Import, "eval: the case's memory"), puts);
    set.create_store = true;
    db.commit(&ctx, store, set)?;
    let sessions_dir = case.dir.join("sessions");
    if sessions_dir.is_dir() {
        let opts = crate::import::sessions::Options {
            agent: None,
            store: Some(store.into()),
        };
        crate::import::sessions::import(&mut db, &ctx, &sessions_dir, &opts)?;
    }
    let ids =
        crate::dreaming::select_sessions(&db, store, &crate::dreaming::Selection::SinceLastDream)?;
    let outcome = crate::dreaming::run(&mut db, &ctx, engine, store, ids, "")?;
    if let Some(proposal) = outcome.dream.proposal_id
        && outcome.changes > 0
    {
        {
            let accept = Decision::Verdict {
                hunk: None,
                verdict: Verdict::Accept,
            };
            db.decide(
                &ctx,
                proposal,
                &Target::All,
                &accept,
                "eval accepts everything",
            )?;
            db.apply_proposal(&ctx, proposal, OpKind::Apply)?;
        }
    }
    let meta = db.store(store)?;
    let mut after = Files::new();
    for e in db.entries(&meta, None)? {
        after.insert(
            e.path,
            String::from_utf8_lossy(&db.blob(&e.sha256)?).into_owned(),
        );
    }
    Ok(score(case, &before, &after))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(pairs: &[(&str, &str)]) -> Files {
        pairs
            .iter()
            .map(|(p, c)| ((*p).to_owned(), (*c).to_owned()))
            .collect()
    }

    fn expect(kind: Kind, text: &str) -> Expect {
        Expect {
            kind,
            text: Some(text.into()),
            all: vec![],
            any: vec![],
        }
    }

    #[test]
    fn matching_folds_case_and_whitespace() {
        let f = files(&[
            ("/MEMORY.md", "- [a](a.md)\n"),
            ("/a.md", "- Use  PNPM\n  install\n- other\n"),
        ]);
        assert!(holds(&expect(Kind::Kept, "use pnpm install"), &f));
        assert!(holds(&expect(Kind::Once, "use pnpm"), &f));
        assert!(
            !holds(&expect(Kind::Once, "pnpm install"), &f),
            "once is per line"
        );
        assert!(holds(&expect(Kind::Gone, "npm ci"), &f));
        assert!(
            !holds(&expect(Kind::Never, "a.md"), &f),
            "never also checks paths and the index"
        );
    }

    #[test]
    fn learned_accepts_a_bullet_with_its_continuation() {
        let f = files(&[(
            "/a.md",
            "- Run tsx for scripts\n  (seen in 3 sessions)\n- next\n",
        )]);
        let e = Expect {
            kind: Kind::Learned,
            text: None,
            all: vec!["tsx".into(), "3 sessions".into()],
            any: vec![],
        };
        assert!(holds(&e, &f));
        let e2 = Expect {
            kind: Kind::Learned,
            text: None,
            all: vec!["tsx".into(), "next".into()],
            any: vec![],
        };
        assert!(!holds(&e2, &f));
        let index_only = files(&[("/MEMORY.md", "- tsx 3 sessions\n")]);
        assert!(
            !holds(&e, &index_only),
            "the index does not count for learned"
        );
    }

    /// The corpus README gives the baseline: no changes pass 1 case of 20 and 2 of 44 change
    /// expectations. Our scorer must agree exactly.
    #[test]
    fn the_none_engine_scores_the_documented_baseline() {
        let scores: Vec<CaseScore> = case_dirs(&crate::test_support::corpus("consolidation"))
            .unwrap()
            .iter()
            .map(|d| {
                run_pure(&dream::NoneEngine, &load_case(d).unwrap())
                    .unwrap()
                    .0
            })
            .collect();
        let summary = Summary::new(scores);
        assert_eq!((summary.cases_passed, summary.cases), (1, 20));
        assert_eq!((summary.change_passed, summary.change_total), (2, 44));
        assert_eq!(summary.by_kind["never"].0, summary.by_kind["never"].1);
    }

    #[test]
    fn deleted_fraction_counts_lines_that_vanish_everywhere() {
        let before = files(&[
            ("/MEMORY.md", "idx\n"),
            ("/a.md", "one\ntwo\n\nthree\nfour\n"),
        ]);
        let after = files(&[("/b.md", "ONE\nthree\n")]);
        assert!((deleted_fraction(&before, &after) - 0.5).abs() < 1e-9);
    }
}
