//! Test-only helpers shared by the core's unit tests: where the shared corpus lives and how to
//! read its JSON Lines files.

use std::path::{Path, PathBuf};

/// `../shared/corpus/<sub>` beside the checkout, else its absolute home on these machines.
pub fn corpus(sub: &str) -> PathBuf {
    let beside = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../shared/corpus")
        .join(sub);
    if beside.exists() {
        beside
    } else {
        Path::new("/work/shared/corpus").join(sub)
    }
}

/// Every non-blank line of a corpus JSON Lines file, parsed.
pub fn jsonl(sub: &str) -> Vec<serde_json::Value> {
    let text = std::fs::read_to_string(corpus(sub)).expect("corpus file");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect()
}

/// Runs `count` once to warm up, then five times, and returns the fastest run with its result
/// (for the printed timing reports of the scanners' large-input tests; never asserted on).
pub fn best_of_five(count: impl Fn() -> usize) -> (std::time::Duration, usize) {
    let _ = count();
    (0..5)
        .map(|_| {
            let t = std::time::Instant::now();
            let n = count();
            (t.elapsed(), n)
        })
        .min()
        .unwrap_or_default()
}
