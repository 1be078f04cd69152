//! Helpers shared by the figure benches (`benches/*.rs`), included by each with `mod common;`.
//! A folder module, so that cargo does not take it for a bench target of its own.
//!
//! Each bench uses a subset, hence `dead_code` is allowed for the module.
#![allow(dead_code)]

use std::path::PathBuf;
use std::str::FromStr;
use std::time::Duration;

use lucid::model::OpKind;
use lucid::store::{ChangeSet, FileChange, OpSpec};
use lucid::{Ctx, Db};

/// 2026-03-01T00:00:00Z in milliseconds: the synthetic clock of the generated data.
pub const BASE_MS: u64 = 1_772_323_200_000;

// ---------------------------------------------------------------------------------------------
// Knobs: environment variables and arguments

/// The number in the environment variable `name`, if it is set; panics on one that is not a
/// number, so that a mistyped knob is not silently ignored.
pub fn env_num<T: FromStr>(name: &str) -> Option<T> {
    let raw = std::env::var(name).ok()?;
    let parsed = raw.trim().parse().ok();
    assert!(parsed.is_some(), "{name}={raw:?} is not a number");
    parsed
}

/// `LUCID_BENCH_SCALE`, the factor every data size is multiplied by (default 1).
#[derive(Clone, Copy, Debug)]
pub struct Scale(pub f64);

impl Scale {
    pub fn from_env() -> Self {
        let scale: f64 = env_num("LUCID_BENCH_SCALE").unwrap_or(1.0);
        assert!(
            scale > 0.0,
            "LUCID_BENCH_SCALE must be a positive number, e.g. 0.05"
        );
        Self(scale)
    }

    /// `n` scaled, at least `min`, rounded.
    pub fn size(self, n: f64, min: f64) -> usize {
        (n * self.0).max(min).round() as usize
    }

    /// The header's second line when the sizes are scaled (with its leading newline), or "".
    pub fn note(self) -> String {
        if (self.0 - 1.0).abs() > f64::EPSILON {
            format!(
                "\n  LUCID_BENCH_SCALE={}: sizes differ from the issue's, figures are indicative",
                self.0
            )
        } else {
            String::new()
        }
    }
}

/// The figures picked by name on the command line (after `--`); none picked means all.
pub struct Only(Vec<String>);

impl Only {
    /// `cargo bench` passes `--bench`; other arguments name the figures to run.
    pub fn from_args() -> Self {
        Self(
            std::env::args()
                .skip(1)
                .filter(|a| !a.starts_with('-'))
                .collect(),
        )
    }

    pub fn wants(&self, figure: &str) -> bool {
        self.0.is_empty() || self.0.iter().any(|o| o == figure)
    }
}

/// A fresh temporary folder `<prefix>…` for the bench data, under `LUCID_BENCH_DIR` or
/// `target/tmp`.
pub fn work_dir(prefix: &str) -> tempfile::TempDir {
    let parent = std::env::var_os("LUCID_BENCH_DIR")
        .map_or_else(|| PathBuf::from(env!("CARGO_TARGET_TMPDIR")), PathBuf::from);
    std::fs::create_dir_all(&parent).expect("create the bench data folder");
    tempfile::Builder::new()
        .prefix(prefix)
        .tempdir_in(&parent)
        .expect("create a temporary folder for the bench data")
}

/// Removes the data folder, or keeps it (and says where) with `LUCID_BENCH_KEEP` set. Call it
/// before `exit`, which would skip the destructor.
pub fn keep_or_remove(work: tempfile::TempDir) {
    if std::env::var_os("LUCID_BENCH_KEEP").is_some() {
        println!("  kept the data in {}", work.keep().display());
    } else {
        drop(work);
    }
}

// ---------------------------------------------------------------------------------------------
// Machine context (Linux)

/// The 1/5/15-minute load averages (Linux), for context next to the numbers.
pub fn load() -> String {
    std::fs::read_to_string("/proc/loadavg").map_or_else(
        |_| "unknown".to_owned(),
        |s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "),
    )
}

/// A `/proc/self/status` field in kB (Linux), e.g. `VmHWM`.
pub fn proc_status_kb(field: &str) -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    status.lines().find_map(|l| {
        l.strip_prefix(field)?
            .strip_prefix(':')?
            .trim()
            .trim_end_matches("kB")
            .trim()
            .parse()
            .ok()
    })
}

/// CPU time of the main thread so far (Linux `/proc/thread-self/schedstat`, nanoseconds); the
/// benches are single-threaded, so this is the process's CPU time. Zero where unavailable.
pub fn cpu_time() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map_or(Duration::ZERO, Duration::from_nanos)
}

// ---------------------------------------------------------------------------------------------
// Output

/// Prints one figure line and returns whether it passed.
pub fn report(label: &str, value: &str, target: &str, pass: bool) -> bool {
    let verdict = if pass { "PASS" } else { "FAIL" };
    println!("{label}: {value} (target {target}) {verdict}");
    pass
}

/// Progress and details go to stderr, so stdout holds the figures and their context.
pub fn note(text: &str) {
    eprintln!("  .. {text}");
}

/// `N of M figures PASS`, with ` (some FAIL)` when any failed: the head of the closing line.
pub fn tally(results: &[bool]) -> String {
    let failed = results.iter().filter(|ok| !**ok).count();
    format!(
        "{} of {} figures PASS{}",
        results.len() - failed,
        results.len(),
        if failed == 0 { "" } else { " (some FAIL)" }
    )
}

/// Ends the process with status 1 when any figure failed.
pub fn exit_on_failure(results: &[bool]) {
    if results.iter().any(|ok| !ok) {
        std::process::exit(1);
    }
}

pub fn ms(d: Duration) -> String {
    format!("{:.1} ms", d.as_secs_f64() * 1000.0)
}

pub fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

/// The samples, each in `unit`, comma-separated.
pub fn list(samples: &[Duration], unit: fn(Duration) -> String) -> String {
    samples
        .iter()
        .map(|d| unit(*d))
        .collect::<Vec<_>>()
        .join(", ")
}

// ---------------------------------------------------------------------------------------------
// Statistics

pub fn median(samples: &[Duration]) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    sorted[sorted.len() / 2]
}

/// The `p`-th percentile (nearest rank) of `samples`.
pub fn percentile(samples: &[Duration], p: f64) -> Duration {
    let mut sorted = samples.to_vec();
    sorted.sort_unstable();
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

// ---------------------------------------------------------------------------------------------
// Synthetic data

/// RFC 3339 UTC with milliseconds, like Claude Code's timestamps.
pub fn iso(epoch_ms: u64) -> String {
    let t = time::OffsetDateTime::from_unix_timestamp_nanos(i128::from(epoch_ms) * 1_000_000)
        .expect("bench times are in range");
    lucid::util::format_time(t)
}

/// A write context by `actor` at `at_ms` (epoch milliseconds).
pub fn ctx(actor: &str, at_ms: u64) -> Ctx {
    Ctx {
        actor: actor.to_owned(),
        now: iso(at_ms),
    }
}

/// Commits `files` (path, content) to `store` as one `Import` operation, by `bench` at `at_ms`.
pub fn commit_import(
    db: &mut Db,
    at_ms: u64,
    store: &str,
    summary: &str,
    files: impl IntoIterator<Item = (String, String)>,
) {
    let puts = files
        .into_iter()
        .map(|(path, content)| FileChange::Put {
            path,
            content: content.into_bytes(),
            expect_sha256: None,
        })
        .collect();
    db.commit(
        &ctx("bench", at_ms),
        store,
        ChangeSet::new(OpSpec::new(OpKind::Import, summary), puts),
    )
    .expect("commit the import")
    .expect("the import changes the store");
}

/// A version-4-shaped UUID made of the bits of `a` and `b`.
pub fn uuid_from(a: u64, b: u64) -> String {
    format!(
        "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xfff,
        ((b >> 48) & 0x3fff) | 0x8000,
        b & 0xffff_ffff_ffff
    )
}

/// `SplitMix64`: small, fast and deterministic.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x9e37_79b9_7f4a_7c15)
    }

    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (0 for `n` = 0).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }

    /// Uniform in `lo..=hi`.
    pub fn range(&mut self, lo: usize, hi: usize) -> usize {
        lo + self.below(hi - lo + 1)
    }

    /// True with probability `p`.
    pub fn chance(&mut self, p: f64) -> bool {
        ((self.next() >> 11) as f64 / (1u64 << 53) as f64) < p
    }

    pub fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }

    pub fn uuid(&mut self) -> String {
        let (a, b) = (self.next(), self.next());
        uuid_from(a, b)
    }

    /// `n` random ASCII letters and digits.
    pub fn alnum(&mut self, n: usize) -> String {
        const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
        (0..n)
            .map(|_| CHARS[self.below(CHARS.len())] as char)
            .collect()
    }
}
