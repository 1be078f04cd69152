//! The built-in consolidation engine: offline, deterministic, near-linear. It runs a fixed
//! sequence of passes over a working copy of the store (`store::Store`), each pass recording
//! a note with a checkable rationale and verbatim evidence for every line it changes:
//! hygiene (secrets, injected instructions) → commands/paths sessions show are gone → user
//! corrections → relative dates → duplicates → learned rules → index size and pointers.

mod corrections;
mod dates;
mod dedup;
mod fixes;
mod index;
mod learn;
mod lines;
mod notfound;
mod sessions;
mod store;
mod text;
mod writes;

#[cfg(test)]
mod tests;

use super::{Category, DreamInput, DreamOutput, Engine, EngineError};
use crate::eval::normalize;

use store::{INDEX, Store, memory_evidence};

/// Version recorded on dreams; bump when the output for the same input changes.
pub const VERSION: &str = "0.2.0";

#[derive(Debug, Clone, Copy, Default)]
pub struct Builtin;

impl Engine for Builtin {
    fn name(&self) -> &'static str {
        "builtin"
    }

    fn version(&self) -> &'static str {
        VERSION
    }

    fn dream(&self, input: &DreamInput) -> Result<DreamOutput, EngineError> {
        Ok(consolidate(input))
    }
}

/// Removes memory lines that hold a secret or an injected instruction.
fn hygiene(store: &mut Store) {
    let targets: Vec<(String, usize, String)> = store
        .docs
        .iter()
        .flat_map(|(p, d)| {
            d.editable()
                .map(move |i| (p.clone(), i, d.lines[i].text.clone()))
        })
        .filter(|(_, _, t)| {
            text::has_secret(t) || text::has_hidden_chars(t) || crate::injection::is_suspicious(t)
        })
        .collect();
    for (path, idx, line) in targets {
        let secret = text::has_secret(&line);
        if !store.edit(&[(path.clone(), idx, None)]) {
            continue;
        }
        let (category, why, quote) = if secret {
            let redacted = crate::secrets::redact(&line);
            (
                Category::Stale,
                "it holds a credential-shaped string, which must not live in memory",
                redacted,
            )
        } else {
            (
                Category::Contradiction,
                "it reads as an instruction injected from untrusted content (hidden characters or an override)",
                String::new(),
            )
        };
        let evidence = if quote.is_empty() || text::has_secret(&quote) {
            Vec::new()
        } else {
            vec![memory_evidence(&quote)]
        };
        // A redacted quote is not verbatim; cite nothing rather than something false.
        let evidence = evidence
            .into_iter()
            .filter(|e| line.contains(&e.quote))
            .collect();
        store.note(
            &path,
            category,
            format!("Removed this line because {why}."),
            evidence,
        );
    }
}

/// The whole dream: passes in a fixed order over one working copy.
pub fn consolidate(input: &DreamInput) -> DreamOutput {
    let digest = sessions::Digest::new(&input.sessions);
    let mut store = Store::new(input);
    hygiene(&mut store);
    notfound::retire_not_found(&mut store, &digest);
    corrections::apply_user_corrections(&mut store, &digest);
    let writes = writes::Writes::new(&digest.writes);
    dates::run(&mut store, &digest, &writes);
    dedup::run(&mut store, &writes);

    let memory: String = store
        .docs
        .values()
        .map(store::Doc::render)
        .map(|c| normalize(&c))
        .collect::<Vec<_>>()
        .join("\n");
    let mut learned = learn::preferences(&digest);
    let memory = text::Haystack::new(&memory);
    let (fix_rules, used) = fixes::fixes(&digest, &memory);
    learned.extend(fix_rules);
    learned.extend(fixes::workflows(&digest, &memory, &used));
    learned.retain(|l| !memory.contains(&normalize(l.line.trim_start_matches("- "))));
    let mut created = learn::place(&mut store, learned);
    created.extend(index::shrink(&mut store));
    if store.docs.contains_key(INDEX) || !created.is_empty() {
        index::link(&mut store, &created);
    }
    let (files, notes) = store.finish(input);
    DreamOutput {
        files,
        notes,
        usage: None,
    }
}
