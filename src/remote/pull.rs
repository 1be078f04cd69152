//! `lucid remote pull-store`: read a remote memory store (current memories with content, and
//! the versions not seen yet) and hand them to [`Db::apply_pull`], which writes them as one
//! transaction. Later pulls ask only for versions from the last one seen on.

use reqwest::Method;

use super::RemoteError;
use super::client::{Client, Family, Job, bounded};
use super::wire::{RemoteMemory, RemoteVersion, check_id, is_memory};
use crate::error::Result;
use crate::store::{Db, PullData, PullOutcome};
use crate::util::Ctx;

/// Pulls `remote_id` into the store it is linked to, or into `local_name` (default: derived
/// from the remote store's name) on the first pull.
pub fn pull_store(
    db: &mut Db,
    ctx: &Ctx,
    client: &Client,
    remote_id: &str,
    local_name: Option<&str>,
) -> Result<PullOutcome> {
    check_id("memstore_", remote_id)?;
    let linked = db.store_for_remote(remote_id)?;
    let since = match &linked {
        Some(s) => db.remote_link(s)?.and_then(|l| l.versions_seen_at),
        None => None,
    };
    let (remote_name, versions, memories) = client.block_on(async {
        let path = format!("/v1/memory_stores/{remote_id}");
        let store = client
            .call(Method::GET, Family::MemoryStores, &path, &[], None)
            .await?;
        let name = store
            .get("name")
            .and_then(|n| n.as_str())
            .unwrap_or_default()
            .to_owned();
        let versions = fetch_versions(client, remote_id, since.as_deref()).await?;
        let memories = fetch_memories(client, remote_id).await?;
        Ok::<_, RemoteError>((name, versions, memories))
    })?;
    let local_name = match (local_name, linked) {
        (Some(n), _) => n.to_owned(),
        (None, Some(n)) => n,
        (None, None) => local_name_for(&remote_name, remote_id),
    };
    db.apply_pull(
        ctx,
        &PullData {
            remote_id: remote_id.to_owned(),
            remote_name,
            local_name,
            versions,
            memories,
        },
    )
}

/// A valid store name from the remote's name (`[A-Za-z0-9._-]`, ≤ 64), else the remote id.
pub fn local_name_for(remote_name: &str, remote_id: &str) -> String {
    let cleaned: String = remote_name
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '-'
            }
        })
        .collect();
    let trimmed = cleaned.trim_start_matches(['.', '-']).trim_end_matches('-');
    let name = crate::util::truncate_str(trimmed, 64);
    if name.is_empty() {
        crate::util::truncate_str(remote_id, 64).to_owned()
    } else {
        name.to_owned()
    }
}

/// Every memory of a store with its content: `view=full` pages (≤ 20 each), and a read by id
/// (≤ `max_in_flight` at once) for any item that came without content.
pub async fn fetch_memories(
    client: &Client,
    store_id: &str,
) -> Result<Vec<RemoteMemory>, RemoteError> {
    let path = format!("/v1/memory_stores/{store_id}/memories");
    let query = [("view", "full".to_owned()), ("limit", "20".to_owned())];
    let items = client.list_all(Family::MemoryStores, &path, &query).await?;
    let mut out = Vec::with_capacity(items.len());
    for item in items.iter().filter(|v| is_memory(v)) {
        out.push(RemoteMemory::parse(item)?);
    }
    let missing: Vec<usize> = (0..out.len())
        .filter(|i| out[*i].content.is_none())
        .collect();
    let jobs: Vec<Job<'_, Result<RemoteMemory, RemoteError>>> = missing
        .iter()
        .map(|i| {
            let id = out[*i].id.clone();
            let path = path.clone();
            Box::pin(async move {
                check_id("mem_", &id)?;
                let v = client
                    .call(
                        Method::GET,
                        Family::MemoryStores,
                        &format!("{path}/{id}"),
                        &[],
                        None,
                    )
                    .await?;
                RemoteMemory::parse(&v)
            }) as Job<'_, _>
        })
        .collect();
    let read = bounded(client.config().max_in_flight, jobs).await;
    for (i, m) in missing.into_iter().zip(read) {
        out[i] = m?;
    }
    Ok(out)
}

/// Paths and hashes only (`view=basic`, pages of 100): cheap, for comparing states.
pub async fn fetch_manifest(
    client: &Client,
    store_id: &str,
) -> Result<Vec<RemoteMemory>, RemoteError> {
    let path = format!("/v1/memory_stores/{store_id}/memories");
    let query = [("view", "basic".to_owned()), ("limit", "100".to_owned())];
    let items = client.list_all(Family::MemoryStores, &path, &query).await?;
    items
        .iter()
        .filter(|v| is_memory(v))
        .map(RemoteMemory::parse)
        .collect()
}

/// The store's versions (with content: `view=full`), from `since` on when given.
async fn fetch_versions(
    client: &Client,
    store_id: &str,
    since: Option<&str>,
) -> Result<Vec<RemoteVersion>, RemoteError> {
    let path = format!("/v1/memory_stores/{store_id}/memory_versions");
    let mut query = vec![("view", "full".to_owned()), ("limit", "20".to_owned())];
    if let Some(s) = since {
        query.push(("created_at[gte]", s.to_owned()));
    }
    let items = client.list_all(Family::MemoryStores, &path, &query).await?;
    items.iter().map(RemoteVersion::parse).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn local_names_are_valid_store_names() {
        assert_eq!(
            local_name_for("Team memory / ops", "memstore_1"),
            "Team-memory---ops"
        );
        assert_eq!(local_name_for("..", "memstore_1"), "memstore_1");
        assert_eq!(local_name_for("", "memstore_1"), "memstore_1");
        assert!(check_id("memstore_", "memstore_../x").is_err());
        assert!(check_id("mem_", "mem_01Ab-_").is_ok());
    }
}
