//! HTTP for Managed Agents: the headers every call carries (`x-api-key`, `anthropic-version`,
//! `anthropic-beta` per endpoint family, optional `anthropic-workspace-id`), the error envelope
//! mapped to [`RemoteError`] (keeping `request_id`), retries with exponential backoff and jitter
//! that honour `retry-after-ms` / `retry-after`, `{data, next_page}` pagination, and a small
//! bounded-concurrency helper. It owns a private single-threaded tokio runtime, so callers stay
//! synchronous.

use std::future::Future;
use std::pin::Pin;
use std::sync::atomic::{AtomicU32, Ordering};
use std::task::Poll;
use std::time::Duration;

use reqwest::header::{HeaderMap, HeaderValue};
use reqwest::{Method, Url};
use serde_json::Value;

use super::RemoteError;
use super::config::{API_VERSION, ManagedAgentsConfig};
use crate::llm::ApiKey;
use crate::llm::http::{backoff, read_capped, retry_after};

/// Responses larger than this are refused (a page of 20 memories of 100 KiB is about 2 MiB).
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// Which `anthropic-beta` list a call carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Family {
    MemoryStores,
    Sessions,
    Dreams,
}

/// A boxed request future, for [`bounded`].
pub type Job<'a, T> = Pin<Box<dyn Future<Output = T> + Send + 'a>>;

/// A Managed Agents client. Cheap to share by reference; every call is counted.
pub struct Client {
    http: reqwest::Client,
    /// Always `Some` until dropped (taken in `Drop`, see there).
    rt: Option<tokio::runtime::Runtime>,
    cfg: ManagedAgentsConfig,
    key: ApiKey,
    base: Url,
    requests: AtomicU32,
}

impl std::fmt::Debug for Client {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Client")
            .field("base", &self.base.as_str())
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}

impl Drop for Client {
    /// A runtime dropped inside another runtime's context panics; shutting it down in the
    /// background does not (the client may be dropped from async code, as it may be used there).
    fn drop(&mut self) {
        if let Some(rt) = self.rt.take() {
            rt.shutdown_background();
        }
    }
}

impl Client {
    pub fn new(cfg: &ManagedAgentsConfig, key: ApiKey) -> Result<Self, RemoteError> {
        let base = Url::parse(cfg.base_url.trim_end_matches('/'))
            .map_err(|e| RemoteError::Config(format!("base_url {:?}: {e}", cfg.base_url)))?;
        if !matches!(base.scheme(), "http" | "https") {
            return Err(RemoteError::Config(format!(
                "base_url {:?} is not http(s)",
                cfg.base_url
            )));
        }
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs_f64(cfg.request_timeout_secs.max(0.001)))
            .pool_max_idle_per_host(cfg.max_in_flight.max(1))
            .build()
            .map_err(|e| RemoteError::Config(format!("HTTP client: {e}")))?;
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .map_err(|e| RemoteError::Config(format!("async runtime: {e}")))?;
        Ok(Self {
            http,
            rt: Some(rt),
            cfg: cfg.clone(),
            key,
            base,
            requests: AtomicU32::new(0),
        })
    }

    pub fn config(&self) -> &ManagedAgentsConfig {
        &self.cfg
    }

    /// HTTP requests sent so far (retries included).
    pub fn requests(&self) -> u32 {
        self.requests.load(Ordering::Relaxed)
    }

    /// Runs `f` to completion on the client's runtime (on a helper thread when the caller is
    /// itself inside a tokio runtime, where blocking in place would panic).
    pub fn block_on<F>(&self, f: F) -> F::Output
    where
        F: Future + Send,
        F::Output: Send,
    {
        let rt = self.rt.as_ref().expect("the runtime lives until drop");
        if tokio::runtime::Handle::try_current().is_ok() {
            std::thread::scope(|s| {
                s.spawn(|| rt.block_on(f))
                    .join()
                    .unwrap_or_else(|p| std::panic::resume_unwind(p))
            })
        } else {
            rt.block_on(f)
        }
    }

    fn url(&self, path: &str, query: &[(&str, String)]) -> Url {
        let mut url = self.base.clone();
        let joined = format!("{}{path}", url.path().trim_end_matches('/'));
        url.set_path(&joined);
        if !query.is_empty() {
            let mut pairs = url.query_pairs_mut();
            for (k, v) in query {
                pairs.append_pair(k, v);
            }
        }
        url
    }

    fn headers(&self, family: Family, json_body: bool) -> Result<HeaderMap, RemoteError> {
        let bad = |what: &str| RemoteError::Config(format!("{what} is not a valid header value"));
        let mut h = HeaderMap::new();
        let mut key = HeaderValue::from_str(self.key.expose()).map_err(|_| bad("the API key"))?;
        key.set_sensitive(true);
        h.insert("x-api-key", key);
        h.insert("anthropic-version", HeaderValue::from_static(API_VERSION));
        let betas = match family {
            Family::MemoryStores => &self.cfg.betas_memory_stores,
            Family::Sessions => &self.cfg.betas_sessions,
            Family::Dreams => &self.cfg.betas_dreams,
        };
        if !betas.is_empty() {
            let joined = betas.join(",");
            h.insert(
                "anthropic-beta",
                HeaderValue::from_str(&joined).map_err(|_| bad("anthropic-beta"))?,
            );
        }
        if let Some(ws) = &self.cfg.workspace_id {
            h.insert(
                "anthropic-workspace-id",
                HeaderValue::from_str(ws).map_err(|_| bad("workspace_id"))?,
            );
        }
        if json_body {
            h.insert("content-type", HeaderValue::from_static("application/json"));
        }
        Ok(h)
    }

    /// One call with retries. Returns the parsed JSON body (`null` for an empty one).
    pub async fn call(
        &self,
        method: Method,
        family: Family,
        path: &str,
        query: &[(&str, String)],
        body: Option<&Value>,
    ) -> Result<Value, RemoteError> {
        let url = self.url(path, query);
        let mut attempt = 0;
        loop {
            match self.once(&method, family, &url, body).await {
                Ok(v) => return Ok(v),
                Err((e, after)) if e.is_retryable() && attempt < self.cfg.max_retries => {
                    tracing::debug!("retrying {method} {path}: {e}");
                    let max = Duration::from_millis(self.cfg.backoff_max_ms);
                    let initial = Duration::from_millis(self.cfg.backoff_initial_ms);
                    let wait =
                        after.map_or_else(|| backoff(initial, max, attempt + 1), |a| a.min(max));
                    tokio::time::sleep(wait).await;
                    attempt += 1;
                }
                Err((e, _)) if attempt > 0 && e.is_retryable() => {
                    return Err(RemoteError::RetriesExhausted {
                        attempts: attempt + 1,
                        last: Box::new(e),
                    });
                }
                Err((e, _)) => return Err(e),
            }
        }
    }

    async fn once(
        &self,
        method: &Method,
        family: Family,
        url: &Url,
        body: Option<&Value>,
    ) -> Result<Value, (RemoteError, Option<Duration>)> {
        let headers = self
            .headers(family, body.is_some())
            .map_err(|e| (e, None))?;
        let mut req = self
            .http
            .request(method.clone(), url.clone())
            .headers(headers);
        if let Some(b) = body {
            req = req.body(b.to_string());
        }
        self.requests.fetch_add(1, Ordering::Relaxed);
        let origin = url.origin().ascii_serialization();
        let mut resp = req
            .send()
            .await
            .map_err(|e| (transport(&e, &self.cfg, &origin), None))?;
        let status = resp.status().as_u16();
        let after = retry_after(resp.headers());
        let header_id = resp
            .headers()
            .get("request-id")
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        let Some(bytes) = read_capped(&mut resp, MAX_BODY_BYTES)
            .await
            .map_err(|e| (transport(&e, &self.cfg, &origin), None))?
        else {
            return Err((
                RemoteError::Malformed {
                    what: url.path().to_owned(),
                    why: format!("the body is over {MAX_BODY_BYTES} bytes"),
                },
                None,
            ));
        };
        if (200..300).contains(&status) {
            if bytes.is_empty() {
                return Ok(Value::Null);
            }
            return serde_json::from_slice(&bytes).map_err(|e| {
                (
                    RemoteError::Malformed {
                        what: format!("{method} {}", url.path()),
                        why: e.to_string(),
                    },
                    None,
                )
            });
        }
        Err((api_error(status, &bytes, header_id), after))
    }

    /// Every item of a paginated listing, following `next_page` until it is null.
    pub async fn list_all(
        &self,
        family: Family,
        path: &str,
        query: &[(&str, String)],
    ) -> Result<Vec<Value>, RemoteError> {
        let mut out = Vec::new();
        let mut page: Option<String> = None;
        loop {
            let mut q = query.to_vec();
            if let Some(p) = &page {
                q.push(("page", p.clone()));
            }
            let v = self.call(Method::GET, family, path, &q, None).await?;
            let Value::Object(mut obj) = v else {
                return Err(malformed(path, "not a JSON object"));
            };
            match obj.remove("data") {
                Some(Value::Array(items)) => out.extend(items),
                _ => return Err(malformed(path, "no \"data\" array")),
            }
            match obj.get("next_page").and_then(Value::as_str) {
                Some(next) if !next.is_empty() => {
                    if page.as_deref() == Some(next) {
                        return Err(malformed(path, "next_page repeats itself"));
                    }
                    page = Some(next.to_owned());
                }
                _ => return Ok(out),
            }
        }
    }
}

pub(crate) fn malformed(what: &str, why: &str) -> RemoteError {
    RemoteError::Malformed {
        what: what.to_owned(),
        why: why.to_owned(),
    }
}

fn transport(e: &reqwest::Error, cfg: &ManagedAgentsConfig, origin: &str) -> RemoteError {
    if e.is_timeout() {
        RemoteError::Timeout(cfg.request_timeout_secs)
    } else {
        // Without the URL's path and query: they may name ids the user would rather not log.
        let why = std::error::Error::source(e).map_or_else(|| e.to_string(), ToString::to_string);
        RemoteError::Connect {
            url: origin.to_owned(),
            why: crate::sanitize::line(&why),
        }
    }
}

/// The error envelope `{type:"error", error:{type, message}, request_id}` as a typed error.
fn api_error(status: u16, body: &[u8], header_id: Option<String>) -> RemoteError {
    let v: Value = serde_json::from_slice(body).unwrap_or(Value::Null);
    let text = |p: &str| v.pointer(p).and_then(Value::as_str).map(str::to_owned);
    let message = text("/error/message").unwrap_or_else(|| {
        let raw = String::from_utf8_lossy(body);
        crate::util::truncate_str(&raw, 300).to_owned()
    });
    RemoteError::Api {
        status,
        kind: text("/error/type").unwrap_or_else(|| "http".into()),
        message: crate::sanitize::line(&message),
        request_id: text("/request_id").or(header_id),
    }
}

/// Runs the jobs with at most `limit` in flight; results come back in the jobs' order.
pub async fn bounded<'a, T>(limit: usize, jobs: Vec<Job<'a, T>>) -> Vec<T> {
    let limit = limit.max(1);
    let total = jobs.len();
    let mut pending = jobs.into_iter().enumerate();
    let mut running: Vec<(usize, Job<'a, T>)> = Vec::with_capacity(limit);
    let mut results: Vec<Option<T>> = (0..total).map(|_| None).collect();
    loop {
        while running.len() < limit {
            match pending.next() {
                Some(job) => running.push(job),
                None => break,
            }
        }
        if running.is_empty() {
            break;
        }
        let (i, value) = std::future::poll_fn(|cx| {
            for k in 0..running.len() {
                if let Poll::Ready(v) = running[k].1.as_mut().poll(cx) {
                    let (i, _) = running.swap_remove(k);
                    return Poll::Ready((i, v));
                }
            }
            Poll::Pending
        })
        .await;
        results[i] = Some(value);
    }
    results
        .into_iter()
        .map(|r| r.expect("every job ran to completion"))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_error_envelope_keeps_type_message_and_request_id() {
        let body = br#"{"type":"error","error":{"type":"memory_precondition_failed_error","message":"sha differs"},"request_id":"req_1"}"#;
        let e = api_error(409, body, Some("req_header".into()));
        assert_eq!(e.kind(), Some("memory_precondition_failed_error"));
        assert_eq!(e.request_id(), Some("req_1"));
        assert!(e.to_string().contains("(request req_1)"));
        let e = api_error(502, b"<html>bad gateway</html>", Some("req_h".into()));
        assert_eq!((e.kind(), e.request_id()), (Some("http"), Some("req_h")));
    }

    #[test]
    fn bounded_keeps_order_and_limit() {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        let in_flight = std::sync::Arc::new(AtomicU32::new(0));
        let peak = std::sync::Arc::new(AtomicU32::new(0));
        let jobs: Vec<Job<'_, usize>> = (0..10usize)
            .map(|i| {
                let (f, p) = (in_flight.clone(), peak.clone());
                Box::pin(async move {
                    let now = f.fetch_add(1, Ordering::SeqCst) + 1;
                    p.fetch_max(now, Ordering::SeqCst);
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    f.fetch_sub(1, Ordering::SeqCst);
                    i * 2
                }) as Job<'_, usize>
            })
            .collect();
        let out = rt.block_on(bounded(3, jobs));
        assert_eq!(out, (0..10).map(|i| i * 2).collect::<Vec<_>>());
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }
}
